package bulk

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
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

// A 20,000-row batch is issued by servers that are killed (SIGKILL) three
// times, each at a random point of the batch (in the first, middle and
// last third of the rows), each one started after the last was killed and
// resuming the batch once River's rescuer gave its job back; a last server
// finishes it. Then every row has exactly one credential and one email
// job, no status entry is shared, and the results CSV gives each row its
// own recipient's credential: 0 lost, 0 duplicated. PostgreSQL, as several
// serve processes share it. About 4 minutes (each kill waits for the
// rescue, under a minute): skipped with -short.
//
// TRUSTCRED_KILLTEST_ROWS sets another number of rows.
func TestBulkIssueKilledServer(t *testing.T) {
	if dbURL := os.Getenv(killDBEnv); dbURL != "" {
		doomedServer(t, dbURL)
		return
	}
	if testing.Short() {
		t.Skip("kills a server process three times (about 4 minutes)")
	}
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("TRUSTCRED_KILLTEST_ROWS")); err == nil && v > 0 {
		n = v
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
	jobs.Add(ws, &Worker{DB: db, Issuer: f.is, Log: storetest.Logger(t)})
	jobs.Add(ws, heldEmail{})
	q, err := jobs.New(db, storetest.Logger(t), ws)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := bigTable(n, studentEmail)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Import(ctx, f.sc, keys, f.tpl, "x.csv", tab, store.Actor{UserID: &f.admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	// send_email: each credential's email job is queued in its chunk's
	// transaction, and must be there exactly once too.
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
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 15))
	var killed time.Time
	for k := range 3 {
		// A random row count in the k-th third of the batch, short of its
		// last twentieth: rows commit in chunks, so an aim in the last few
		// hundred rows let a quick server finish before the kill.
		at := n*k/3 + 1 + rng.IntN(n/3-n/20)
		cmd := exec.Command(os.Args[0], "-test.run=^TestBulkIssueKilledServer$")
		cmd.Env = append(os.Environ(), killDBEnv+"="+u.String(), killKeyEnv+"="+hex.EncodeToString(raw))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		// The server's job waits for the rescue of the last one's: under
		// a minute (TestRescueWindow); then a third of the rows, at 20 a
		// second at least (a machine loaded ten times over).
		deadline := time.Now().Add(90*time.Second + time.Duration(n/3)*50*time.Millisecond)
		for {
			got, err := f.sc.Batch(ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.IssuedCount >= at {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("server %d: %d rows issued, waiting for %d", k+1, got.IssuedCount, at)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		killed = time.Now()
		got, _ := f.sc.Batch(ctx, b.ID)
		t.Logf("server %d killed at %d of %d rows issued (aimed at %d)", k+1, got.IssuedCount, n, at)
		if got.IssuedCount == n {
			t.Fatal("the server finished before it was killed: the test proves nothing")
		}
	}
	list, err := q.Client().JobList(ctx, river.NewJobListParams().Kinds(Job{}.Kind()))
	if err != nil || len(list.Jobs) != 1 || list.Jobs[0].State != rivertype.JobStateRunning {
		t.Fatalf("after the kills: %v %+v", err, list)
	}

	startQueue(t, ctx, q)
	limit := 90*time.Second + time.Duration(n/3)*50*time.Millisecond
	if got, ok := f.waitCompleted(t, b.ID, killed, limit); !ok {
		t.Fatalf("%v after the last kill the batch is %s with %d of %d issued", limit, got.Status, got.IssuedCount, n)
	}
	t.Logf("the last server completed the batch %v after the third kill", time.Since(killed).Round(time.Second))
	f.checkIssuedOnce(t, b.ID, n, 0)

	// No status entry given twice, one email job per credential.
	for _, query := range []string{
		"SELECT count(DISTINCT status_list_id || ':' || status_list_index) FROM credentials WHERE issuer_id = ?",
		"SELECT count(DISTINCT suspension_list_id || ':' || suspension_list_index) FROM credentials WHERE issuer_id = ?",
	} {
		if got := count(t, db, query, f.org.ID); got != n {
			t.Errorf("%s: %d, want %d", query, got, n)
		}
	}
	emails := count(t, db, "SELECT count(*) FROM river_job WHERE kind = 'credential_email'")
	distinctEmails := count(t, db, "SELECT count(DISTINCT args->>'credential_id') FROM river_job WHERE kind = 'credential_email'")
	// The results CSV: each row issued, to its own recipient, with its
	// own credential.
	res, err := Results(ctx, f.sc, keys, b.ID, bulkBase)
	if err != nil {
		t.Fatal(err)
	}
	urls := map[string]bool{}
	lost, duplicated := 0, n-count(t, db, "SELECT count(DISTINCT recipient_address) FROM credentials WHERE issuer_id = ?", f.org.ID)
	for i, r := range res {
		if r.Row != i+1 || r.Status != store.RowIssued || r.Recipient != studentEmail(i) || r.URL == "" {
			lost++
			t.Errorf("results row %d: %+v", i+1, r)
		}
		if urls[r.URL] {
			duplicated++
		}
		urls[r.URL] = true
	}
	t.Logf("%d rows: %d lost, %d duplicated; %d email jobs for %d credentials", n, lost, duplicated, emails, distinctEmails)
	if len(res) != n || lost != 0 || duplicated != 0 || emails != n || distinctEmails != n {
		t.Fatalf("%d results: %d lost, %d duplicated; %d email jobs (%d distinct), want %d", len(res), lost, duplicated, emails, distinctEmails, n)
	}
}

// bigTable is a parsed file of n valid rows (emails from email(i)), past
// the upload's MaxRows: files of MaxRows parsed one after the other,
// renumbered.
func bigTable(n int, email func(i int) string) (*Table, error) {
	var tab *Table
	for start := 0; start < n; start += MaxRows {
		part, err := Parse(bulkCSV(min(MaxRows, n-start), 0, func(i int) string { return email(start + i) }))
		if err != nil {
			return nil, err
		}
		if tab == nil {
			tab = &Table{Headers: part.Headers}
		}
		for _, r := range part.Rows {
			tab.Rows = append(tab.Rows, Row{Number: len(tab.Rows) + 1, Values: r.Values})
		}
	}
	return tab, nil
}

// doomedServer works the queue of the database at dbURL until it is
// killed.
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
	jobs.Add(ws, &Worker{DB: db, Issuer: &issuance.Issuer{DB: db, Keys: keys, BaseURL: bulkBase}, Log: storetest.Logger(t)})
	jobs.Add(ws, heldEmail{})
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
