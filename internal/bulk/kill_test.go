package bulk

import (
	"context"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// The environment of the server that TestBulkIssueKilledServer kills.
const (
	killDBEnv  = "TRUSTCRED_KILLTEST_DB"
	killKeyEnv = "TRUSTCRED_KILLTEST_KEY"
)

// A server is killed (SIGKILL) while it issues a batch; another server,
// started right after, finishes the batch: every row issued exactly once.
// PostgreSQL, as several serve processes share it.
func TestBulkIssueKilledServer(t *testing.T) {
	if dbURL := os.Getenv(killDBEnv); dbURL != "" {
		doomedServer(t, dbURL)
		return
	}
	if testing.Short() {
		t.Skip("kills a server process")
	}
	ctx := context.Background()
	db := storetest.Open(t, store.Postgres)
	raw := secret.GenerateKey()
	keys, err := secret.NewKeyring(secret.Key{Raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	f := newBulkFixture(t, db)
	f.is.Keys = keys
	ws := jobs.NewWorkers()
	jobs.Add(ws, &Worker{DB: db, Issuer: f.is, Log: storetest.Logger(t), Email: noEmail})
	q, err := jobs.New(db, storetest.Logger(t), ws)
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	tab, err := Parse(bulkCSV(n, 0, studentEmail))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Import(ctx, f.sc, keys, f.tpl, "x.csv", tab, store.Actor{UserID: &f.admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	// send_email: the doomed server's email hook slows it down.
	if _, err := Queue(ctx, f.sc, q, b.ID, true, store.Actor{}); err != nil {
		t.Fatal(err)
	}

	var dbName string
	if err := db.SQL().QueryRow("SELECT current_database()").Scan(&dbName); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(storetest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + dbName
	cmd := exec.Command(os.Args[0], "-test.run=^TestBulkIssueKilledServer$")
	cmd.Env = append(os.Environ(), killDBEnv+"="+u.String(), killKeyEnv+"="+hex.EncodeToString(raw))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, err := f.sc.Batch(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.IssuedCount >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server issued %d rows in a minute", got.IssuedCount)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed := time.Now()
	got, _ := f.sc.Batch(ctx, b.ID)
	if got.IssuedCount == n {
		t.Fatal("the server finished before it was killed: the test proves nothing")
	}
	list, err := q.Client().JobList(ctx, nil)
	if err != nil || len(list.Jobs) != 1 || list.Jobs[0].State != rivertype.JobStateRunning {
		t.Fatalf("after the kill: %v %+v", err, list)
	}

	startQueue(t, ctx, q)
	// The window is under a minute by construction (TestRescueWindow); the
	// margin is for a loaded machine.
	if got, ok := f.waitCompleted(t, b.ID, killed, 90*time.Second); !ok {
		t.Fatalf("90 s after the kill the batch is %s with %d of %d issued", got.Status, got.IssuedCount, n)
	}
	t.Logf("killed with %d of %d issued; the new server completed the batch %v after the kill",
		got.IssuedCount, n, time.Since(killed).Round(time.Second))
	f.checkIssuedOnce(t, b.ID, n, 0)
}

func noEmail(context.Context, *sql.Tx, string, string) error { return nil }

// doomedServer works the queue of the database at dbURL, slowly, until it
// is killed.
func doomedServer(t *testing.T, dbURL string) {
	ctx := context.Background()
	raw, err := hex.DecodeString(os.Getenv(killKeyEnv))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.NewKeyring(secret.Key{Raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, store.Options{DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	ws := jobs.NewWorkers()
	jobs.Add(ws, &Worker{DB: db, Issuer: &issuance.Issuer{DB: db, Keys: keys, BaseURL: bulkBase}, Log: storetest.Logger(t), Parallel: 1,
		Email: func(context.Context, *sql.Tx, string, string) error { time.Sleep(50 * time.Millisecond); return nil }})
	q, err := jobs.New(db, storetest.Logger(t), ws)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Minute) // killed long before
	t.Fatal("the doomed server was not killed")
}
