package bulk

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/mailtest"
	"github.com/trustcred/trustcred/internal/notify"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// The credential email tests talk to a real SMTP server (mailpit).
func TestMain(m *testing.M) { os.Exit(mailtest.Main(m)) }

const bulkBase = "https://creds.example.org"

type bulkFixture struct {
	db     *store.DB
	sc     *store.Scoped
	org    *store.Organization
	is     *issuance.Issuer
	tpl    *store.CredentialTemplate
	jcsTpl *store.CredentialTemplate
	admin  *store.User
}

func newBulkFixture(t testing.TB, db *store.DB) *bulkFixture {
	t.Helper()
	keys, err := secret.NewKeyring(secret.Key{Raw: secret.GenerateKey()})
	if err != nil {
		t.Fatal(err)
	}
	f := &bulkFixture{db: db, is: &issuance.Issuer{DB: db, Keys: keys, BaseURL: bulkBase}}
	err = db.Seed(context.Background(), func(create func(any) error) error {
		f.org = &store.Organization{Name: "Example University", Slug: "example-uni", Type: store.OrganizationEducational,
			Status: store.OrganizationActive, DID: "did:web:creds.example.org:orgs:example-uni"}
		if err := create(f.org); err != nil {
			return err
		}
		f.admin = &store.User{Email: "admin@example-uni.example", Role: store.RoleAdmin, OrganizationID: &f.org.ID}
		if err := create(f.admin); err != nil {
			return err
		}
		cs := &store.CredentialSchema{Name: "Degree", Version: "1", OrganizationID: f.org.ID, Active: true,
			Fields: datatypes.NewJSONSlice([]store.SchemaField{
				{Name: "degree", Label: "Degree", Type: store.SchemaFieldText, Required: true},
				{Name: "gpa", Label: "GPA", Type: store.SchemaFieldNumber},
			})}
		if err := create(cs); err != nil {
			return err
		}
		f.tpl = &store.CredentialTemplate{Name: "BSc", OrganizationID: f.org.ID, SchemaID: cs.ID, Active: true,
			TemplateData: datatypes.NewJSONType(store.TemplateData{Kind: store.TemplateDiploma})}
		if err := create(f.tpl); err != nil {
			return err
		}
		f.jcsTpl = &store.CredentialTemplate{Name: "MSc", OrganizationID: f.org.ID, SchemaID: cs.ID, Active: true,
			TemplateData: datatypes.NewJSONType(store.TemplateData{Kind: store.TemplateDiploma, Cryptosuite: vc.CryptosuiteJCS})}
		if err := create(f.jcsTpl); err != nil {
			return err
		}
		f.tpl.Schema, f.jcsTpl.Schema = cs, cs
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.sc = db.Scoped(f.org.ID)
	return f
}

// csv is a file of valid rows (emails from email(i)) followed by invalid ones.
func bulkCSV(valid, invalid int, email func(i int) string) []byte {
	var b strings.Builder
	b.WriteString("recipient_name,recipient_email,degree,gpa\n")
	for i := range valid {
		fmt.Fprintf(&b, "Student %d,%s,Physics,3.%d\n", i, email(i), i%10)
	}
	for i := range invalid {
		fmt.Fprintf(&b, "Bad %d,not-an-address,,x\n", i)
	}
	return []byte(b.String())
}

func studentEmail(i int) string { return fmt.Sprintf("student%d@example.org", i) }

// importBatch imports a file and queues the batch (without a job).
func (f *bulkFixture) importBatch(t testing.TB, tpl *store.CredentialTemplate, data []byte, sendEmail bool) *store.IssuanceBatch {
	t.Helper()
	ctx := context.Background()
	tab, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	actor := store.Actor{UserID: &f.admin.ID}
	b, err := Import(ctx, f.sc, f.is.Keys, tpl, "students.csv", tab, actor)
	if err != nil {
		t.Fatal(err)
	}
	if b, err = f.sc.QueueBatch(ctx, b.ID, sendEmail, actor); err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *bulkFixture) worker(t testing.TB) *Worker {
	return &Worker{DB: f.db, Issuer: f.is, Log: storetest.Logger(t), Chunk: 7}
}

func count(t testing.TB, db *store.DB, q string, args ...any) int {
	t.Helper()
	if db.Dialect() == store.Postgres {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	var n int
	if err := db.SQL().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// checkIssuedOnce: as many credentials as valid rows, each row issued
// once with its own credential, the counts right and the batch completed.
// startQueue starts q until the test ends.
func startQueue(t *testing.T, ctx context.Context, q *jobs.Queue) {
	t.Helper()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(sctx)
	})
}

// waitCompleted polls the batch until it is completed, or until limit has
// passed since from; it returns the batch as last read and whether it
// completed.
func (f *bulkFixture) waitCompleted(t *testing.T, batchID string, from time.Time, limit time.Duration) (*store.IssuanceBatch, bool) {
	t.Helper()
	for {
		got, err := f.sc.Batch(context.Background(), batchID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == store.BatchCompleted {
			return got, true
		}
		if time.Since(from) > limit {
			return got, false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (f *bulkFixture) checkIssuedOnce(t *testing.T, batchID string, valid, invalid int) {
	t.Helper()
	creds := count(t, f.db, "SELECT count(*) FROM credentials WHERE issuer_id = ?", f.org.ID)
	distinct := count(t, f.db, "SELECT count(DISTINCT credential_id) FROM issuance_batch_rows WHERE batch_id = ? AND status = 'issued'", batchID)
	recipients := count(t, f.db, "SELECT count(DISTINCT recipient_address) FROM credentials WHERE issuer_id = ?", f.org.ID)
	if creds != valid || distinct != valid || recipients != valid {
		t.Fatalf("%d credentials for %d distinct rows and %d recipients, want %d each", creds, distinct, recipients, valid)
	}
	b, err := f.sc.Batch(context.Background(), batchID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != store.BatchCompleted || b.IssuedCount != valid || b.FailedCount != 0 || b.InvalidRows != invalid ||
		b.StartedAt == nil || b.CompletedAt == nil {
		t.Fatalf("batch %s: issued %d failed %d invalid %d, started %v completed %v", b.Status, b.IssuedCount, b.FailedCount,
			b.InvalidRows, b.StartedAt, b.CompletedAt)
	}
	if n := count(t, f.db, "SELECT count(*) FROM issuance_batch_rows WHERE batch_id = ? AND status = 'invalid'", batchID); n != invalid {
		t.Fatalf("%d invalid rows, want %d", n, invalid)
	}
}

// Two runs at once, then a third: every valid row is issued exactly once.
func TestBulkIssueConcurrentRuns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newBulkFixture(t, db)
		const valid, invalid = 30, 2
		b := f.importBatch(t, f.tpl, bulkCSV(valid, invalid, studentEmail), false)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() {
				w := f.worker(t)
				w.Parallel = 2
				_, errs[i] = w.Run(context.Background(), Job{BatchID: b.ID, OrganizationID: f.org.ID})
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if done, err := f.worker(t).Run(context.Background(), Job{BatchID: b.ID, OrganizationID: f.org.ID}); err != nil || !done {
			t.Fatalf("third run: %v %v", done, err)
		}
		f.checkIssuedOnce(t, b.ID, valid, invalid)
	})
}

// A run killed half way (its context cancelled) leaves some rows issued
// and the rest pending; the next run issues the rest, none twice.
func TestBulkIssueResumesAfterKill(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newBulkFixture(t, db)
		const valid = 40
		b := f.importBatch(t, f.tpl, bulkCSV(valid, 0, studentEmail), false)
		ctx, cancel := context.WithCancel(context.Background())
		res := make(chan error, 1)
		go func() {
			_, err := f.worker(t).Run(ctx, Job{BatchID: b.ID, OrganizationID: f.org.ID})
			res <- err
		}()
		deadline := time.Now().Add(30 * time.Second)
		for count(t, db, "SELECT count(*) FROM credentials WHERE issuer_id = ?", f.org.ID) < 5 {
			if time.Now().After(deadline) {
				t.Fatal("nothing issued within 30s")
			}
			time.Sleep(2 * time.Millisecond)
		}
		cancel()
		if err := <-res; !errors.Is(err, context.Canceled) {
			t.Fatalf("killed run: %v", err)
		}
		issued := count(t, db, "SELECT count(*) FROM credentials WHERE issuer_id = ?", f.org.ID)
		if issued == valid {
			t.Fatal("the run finished before it was killed: the test proves nothing")
		}
		if got, _ := f.sc.Batch(context.Background(), b.ID); got.Status != store.BatchRunning || got.IssuedCount != issued {
			t.Fatalf("after the kill: %s with %d issued, %d credentials", got.Status, got.IssuedCount, issued)
		}
		// What River does with the killed run: snooze, to run again at once.
		w := f.worker(t)
		var snooze *river.JobSnoozeError
		cctx, ccancel := context.WithCancel(context.Background())
		ccancel()
		if err := w.Work(cctx, &river.Job[Job]{Args: Job{BatchID: b.ID, OrganizationID: f.org.ID}}); !errors.As(err, &snooze) {
			t.Fatalf("a cancelled Work returned %v, want a snooze", err)
		}
		if err := w.Work(context.Background(), &river.Job[Job]{Args: Job{BatchID: b.ID, OrganizationID: f.org.ID}}); err != nil {
			t.Fatal(err)
		}
		f.checkIssuedOnce(t, b.ID, valid, 0)
	})
}

// A row that cannot be issued is failed with its reason; a cancelled
// batch issues nothing more and keeps its pending rows.
func TestBulkIssueFailedRowsAndCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newBulkFixture(t, db)
		// A row whose sealed data does not open (sealed by another key).
		other, _ := secret.NewKeyring(secret.Key{Raw: secret.GenerateKey()})
		bad, err := Seal(other, []string{"recipient_name", "recipient_email", "degree"}, Row{Number: 2, Values: []string{"X", "x@example.org", "Physics"}})
		if err != nil {
			t.Fatal(err)
		}
		good, err := Seal(f.is.Keys, []string{"recipient_name", "recipient_email", "degree"}, Row{Number: 1, Values: []string{"Ok", "ok@example.org", "Physics"}})
		if err != nil {
			t.Fatal(err)
		}
		b := &store.IssuanceBatch{TemplateID: &f.tpl.ID, ColumnMapping: datatypes.NewJSONType(map[string]string{
			RecipientName: "recipient_name", RecipientAddress: "recipient_email", "degree": "degree"})}
		if err := f.sc.CreateBatch(ctx, b, []store.IssuanceBatchRow{{RowNumber: 1, DataEncrypted: good}, {RowNumber: 2, DataEncrypted: bad}}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.sc.QueueBatch(ctx, b.ID, false, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if done, err := f.worker(t).Run(ctx, Job{BatchID: b.ID, OrganizationID: f.org.ID}); err != nil || !done {
			t.Fatalf("run: %v %v", done, err)
		}
		got, _ := f.sc.Batch(ctx, b.ID)
		rows, _ := f.sc.BatchRows(ctx, b.ID)
		if got.Status != store.BatchCompleted || got.IssuedCount != 1 || got.FailedCount != 1 ||
			rows[1].Status != store.RowFailed || rows[1].Error == nil || !strings.Contains(*rows[1].Error, "could not be read") {
			t.Fatalf("batch %+v rows %+v", got, rows)
		}

		// Cancelled before it ran: nothing is issued, rows stay pending.
		c := f.importBatch(t, f.jcsTpl, bulkCSV(3, 0, func(i int) string { return fmt.Sprintf("c%d@example.org", i) }), false)
		if _, err := f.sc.CancelBatch(ctx, c.ID, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if done, err := f.worker(t).Run(ctx, Job{BatchID: c.ID, OrganizationID: f.org.ID}); err != nil || !done {
			t.Fatalf("run of a cancelled batch: %v %v", done, err)
		}
		if p, _ := f.sc.PendingBatchRows(ctx, c.ID, 0, 10); len(p) != 3 {
			t.Fatalf("%d pending rows after cancel, want 3", len(p))
		}
		if n := count(t, db, "SELECT count(*) FROM credentials WHERE issuer_id = ?", f.org.ID); n != 1 {
			t.Fatalf("%d credentials, want 1", n)
		}
		// Another organization's id finds nothing.
		if done, err := f.worker(t).Run(ctx, Job{BatchID: c.ID, OrganizationID: "0190a0a0-0000-7000-8000-000000000000"}); err != nil || !done {
			t.Fatalf("foreign org: %v %v", done, err)
		}
	})
}

// Through the real queue: issuing a batch with send_email emails each
// recipient the link to their credential, except one who turned these
// emails off; without SMTP the job skips quietly.
func TestBulkIssueEmailsRecipients(t *testing.T) {
	srv := mailtest.Start(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newBulkFixture(t, db)
		addrs := []string{mailtest.Address(t), mailtest.Address(t), mailtest.Address(t)}
		optOut := addrs[2]
		u := &store.User{Email: optOut, Role: store.RoleRecipient}
		if err := db.CreateUser(ctx, u, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if err := db.Account(u.ID).SaveNotificationPreferences(ctx, []store.NotificationPreference{
			{NotificationType: store.NotifyCredentialIssued, InAppEnabled: true, EmailEnabled: false}}); err != nil {
			t.Fatal(err)
		}
		mailer, err := mail.FromConfig(srv.SMTPURL(), false, storetest.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		ws := jobs.NewWorkers()
		Register(ws, db, f.is, storetest.Logger(t))
		notify.Register(ws, notify.Deps{DB: db, Mailer: mailer, BaseURL: bulkBase, Log: storetest.Logger(t)})
		q, err := jobs.New(db, storetest.Logger(t), ws)
		if err != nil {
			t.Fatal(err)
		}
		startQueue(t, ctx, q)
		tab, err := Parse(bulkCSV(3, 1, func(i int) string { return addrs[i] }))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Import(ctx, f.sc, f.is.Keys, f.tpl, "x.csv", tab, store.Actor{UserID: &f.admin.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Queue(ctx, f.sc, q, b.ID, true, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		for _, a := range addrs[:2] {
			msg := srv.WaitFor(t, a, 30*time.Second)
			var publicID string
			if err := db.SQL().QueryRow(storetest.Rebind(db.Dialect(), "SELECT public_id FROM credentials WHERE recipient_address = ?"), a).Scan(&publicID); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(msg.Text, bulkBase+"/v/"+publicID) || !strings.Contains(msg.Subject, "Example University") {
				t.Fatalf("email to %s:\n%s\n%s", a, msg.Subject, msg.Text)
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			got, _ := f.sc.Batch(ctx, b.ID)
			if got.Status == store.BatchCompleted {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("batch still %s", got.Status)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The opted-out recipient got a credential but no email (the
		// others' arrived; give the third job time to have run).
		time.Sleep(time.Second)
		if n := count(t, db, "SELECT count(*) FROM credentials WHERE recipient_address = ?", optOut); n != 1 {
			t.Fatalf("opted-out recipient has %d credentials", n)
		}
		if msgs := srv.Messages(t, optOut); len(msgs) != 0 {
			t.Fatalf("opted-out recipient got %d emails", len(msgs))
		}
		// Without SMTP the job does nothing and succeeds.
		w := &notify.CredentialEmailWorker{DB: db, Mailer: mail.Unconfigured{}, BaseURL: bulkBase, Log: storetest.Logger(t)}
		var credID string
		if err := db.SQL().QueryRow(storetest.Rebind(db.Dialect(), "SELECT id FROM credentials WHERE recipient_address = ?"), addrs[0]).Scan(&credID); err != nil {
			t.Fatal(err)
		}
		if err := w.Work(ctx, &river.Job[notify.CredentialEmail]{Args: notify.CredentialEmail{CredentialID: credID, OrganizationID: f.org.ID}}); err != nil {
			t.Fatalf("without SMTP: %v", err)
		}
	})
}

// TestBulkIssueThroughput times a file end to end (parse, check and store
// every row, then issue them through the real queue, with the job's runs
// and snoozes, each row signed, sealed, its status entries reserved and
// its recipient's email job queued), for each cryptosuite, and reports
// the process's peak RSS. Not part of make test:
//
//	TRUSTCRED_BULK_BENCH=100000 go test -p 1 -count=1 -run BulkIssueThroughput -v -timeout 30m ./internal/bulk/
//
// TRUSTCRED_BULK_DIALECT=sqlite runs it on the embedded SQLite (default
// PostgreSQL); TRUSTCRED_BULK_SUITES=rdfc (or jcs) times one suite only;
// TRUSTCRED_BULK_BUDGET (a duration) sets the runs' budget, to compare.
// -cpuprofile profiles the lot.
func TestBulkIssueThroughput(t *testing.T) {
	n := 0
	if _, err := fmt.Sscan(os.Getenv("TRUSTCRED_BULK_BENCH"), &n); err != nil || n <= 0 {
		t.Skip("set TRUSTCRED_BULK_BENCH to a number of rows")
	}
	ctx := context.Background()
	dialect := store.Postgres
	if os.Getenv("TRUSTCRED_BULK_DIALECT") == "sqlite" {
		dialect = store.SQLite
	}
	db := storetest.Open(t, dialect)
	f := newBulkFixture(t, db)
	ws := jobs.NewWorkers()
	budget, _ := time.ParseDuration(os.Getenv("TRUSTCRED_BULK_BUDGET")) // a run's budget; default bulkBudget
	jobs.Add(ws, &Worker{DB: db, Issuer: f.is, Log: storetest.Logger(t), Budget: budget})
	jobs.Add(ws, heldEmail{})
	q, err := jobs.New(db, storetest.Logger(t), ws)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	for _, tpl := range []*store.CredentialTemplate{f.tpl, f.jcsTpl} {
		suite := issuance.Cryptosuite(tpl)
		if only := os.Getenv("TRUSTCRED_BULK_SUITES"); only != "" && !strings.Contains(suite, only) {
			continue
		}
		start := time.Now()
		tab, err := bigTable(n, func(i int) string { return fmt.Sprintf("%s-%d@example.org", suite, i) })
		if err != nil {
			t.Fatal(err)
		}
		b, err := Import(ctx, f.sc, f.is.Keys, tpl, "bench.csv", tab, store.Actor{UserID: &f.admin.ID})
		if err != nil {
			t.Fatal(err)
		}
		imported := time.Since(start)
		if _, err := Queue(ctx, f.sc, q, b.ID, true, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		for {
			got, err := f.sc.Batch(ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status == store.BatchCompleted {
				if got.IssuedCount != n {
					t.Fatalf("%s: %d issued", suite, got.IssuedCount)
				}
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		total := time.Since(start)
		emails := count(t, db, "SELECT count(*) FROM river_job WHERE kind = 'credential_email'")
		runs := count(t, db, "SELECT count(*) FROM river_job WHERE kind = 'bulk_issue'") // one job: its runs are in its snoozes
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		t.Logf("%s on %s: %d rows: upload (parse, check, store) %v; end to end %v = %.0f rows/s; %d emails queued; %d job; peak RSS %d MB; GOMAXPROCS %d",
			suite, dialect, n, imported.Round(time.Millisecond), total.Round(time.Millisecond), float64(n)/total.Seconds(),
			emails, runs, ru.Maxrss/1024, runtime.GOMAXPROCS(0))
		if distinct := count(t, db, "SELECT count(DISTINCT status_list_id || ':' || status_list_index) FROM credentials WHERE issuer_id = ?", f.org.ID); distinct != count(t, db, "SELECT count(*) FROM credentials WHERE issuer_id = ?", f.org.ID) {
			t.Fatalf("status entries shared: %d distinct", distinct)
		}
	}
}

// A server killed while it worked a batch leaves its job running, attempted
// by a client that is gone. A new server rescues the job and finishes the
// batch, within a minute of the crash.
func TestBulkIssueRescuedAfterCrash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newBulkFixture(t, db)
		ws := jobs.NewWorkers()
		Register(ws, db, f.is, storetest.Logger(t))
		jobs.Add(ws, &echoWorker{seen: make(chan int, 1)})
		q, err := jobs.New(db, storetest.Logger(t), ws)
		if err != nil {
			t.Fatal(err)
		}
		tab, err := Parse(bulkCSV(12, 0, studentEmail))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Import(ctx, f.sc, f.is.Keys, f.tpl, "x.csv", tab, store.Actor{UserID: &f.admin.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Queue(ctx, f.sc, q, b.ID, false, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		// The crashed server had marked the batch running and taken the job
		// 30 seconds ago; it will never finish that attempt. Two servers
		// had crashed on it before (River would wait 3^4 s to retry a job
		// with two errors).
		if _, err := f.sc.StartBatch(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		list, err := q.Client().JobList(ctx, river.NewJobListParams().Kinds(Job{}.Kind()))
		if err != nil || len(list.Jobs) != 1 {
			t.Fatalf("jobs %v %v", list, err)
		}
		crashed := time.Now().Add(-30 * time.Second).UTC()
		var rescues [][]byte
		for i := range 2 {
			e, _ := json.Marshal(rivertype.AttemptError{At: crashed.Add(-time.Duration(i+1) * time.Minute), Attempt: i + 1, Error: rescued})
			rescues = append(rescues, e)
		}
		if _, err := q.Client().Driver().GetExecutor().JobUpdateFull(ctx, &riverdriver.JobUpdateFullParams{
			ID:            list.Jobs[0].ID,
			StateDoUpdate: true, State: rivertype.JobStateRunning,
			AttemptDoUpdate: true, Attempt: 3,
			ErrorsDoUpdate: true, Errors: rescues,
			AttemptedAtDoUpdate: true, AttemptedAt: &crashed,
			AttemptedByDoUpdate: true, AttemptedBy: []string{"crashed-server"},
		}); err != nil {
			t.Fatal(err)
		}
		// A job of another kind taken at the same time is within its own
		// 5-minute timeout: the rescuer leaves it alone.
		other, err := q.Client().Insert(ctx, echoArgs{N: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := q.Client().Driver().GetExecutor().JobUpdateFull(ctx, &riverdriver.JobUpdateFullParams{
			ID:            other.Job.ID,
			StateDoUpdate: true, State: rivertype.JobStateRunning,
			AttemptDoUpdate: true, Attempt: 1,
			AttemptedAtDoUpdate: true, AttemptedAt: &crashed,
			AttemptedByDoUpdate: true, AttemptedBy: []string{"crashed-server"},
		}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		startQueue(t, ctx, q)
		if got, ok := f.waitCompleted(t, b.ID, start, 50*time.Second); !ok {
			job, _ := q.Client().JobGet(ctx, list.Jobs[0].ID)
			t.Fatalf("a minute after the crash the batch is still %s with %d of 12 issued; job %s", got.Status, got.IssuedCount, job.State)
		}
		f.checkIssuedOnce(t, b.ID, 12, 0)
		// The rescue was River's, recorded in the words NextRetry looks for.
		job, err := q.Client().JobGet(ctx, list.Jobs[0].ID)
		if err != nil || len(job.Errors) != 3 || job.Errors[2].Error != rescued {
			t.Fatalf("job after the rescue: %v %+v", err, job)
		}
		if o, err := q.Client().JobGet(ctx, other.Job.ID); err != nil || o.State != rivertype.JobStateRunning {
			t.Fatalf("the other kind's job: %v %+v", err, o)
		}
		t.Logf("resumed and completed %v after the start, %v after the crash", time.Since(start).Round(time.Second), time.Since(crashed).Round(time.Second))
	})
}

// A run stops taking rows once its budget is spent, even inside a chunk,
// so that it ends well within its timeout; the next run goes on.
func TestBulkIssueRunStopsAtBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newBulkFixture(t, db)
		b := f.importBatch(t, f.tpl, bulkCSV(30, 0, studentEmail), false)
		w := &Worker{DB: db, Issuer: f.is, Log: storetest.Logger(t), Chunk: 100, Parallel: 1, Budget: time.Nanosecond}
		done, err := w.Run(ctx, Job{BatchID: b.ID, OrganizationID: f.org.ID})
		if err != nil || done {
			t.Fatalf("run over budget: done %v, %v", done, err)
		}
		if got, _ := f.sc.Batch(ctx, b.ID); got.IssuedCount > 1 {
			t.Fatalf("a run with a spent budget issued %d rows of its chunk", got.IssuedCount)
		}
		w.Budget = 0
		if done, err := w.Run(ctx, Job{BatchID: b.ID, OrganizationID: f.org.ID}); err != nil || !done {
			t.Fatalf("next run: %v %v", done, err)
		}
		f.checkIssuedOnce(t, b.ID, 30, 0)
	})
}

// Rescues do not slow the next retry down; errors do, as River's default.
func TestBulkIssueNextRetry(t *testing.T) {
	w := &Worker{}
	for _, tt := range []struct {
		errors []string
		want   time.Duration
	}{
		{nil, time.Second},
		{[]string{rescued, rescued, rescued}, time.Second},
		{[]string{"database is down"}, 16 * time.Second},
		{[]string{rescued, "database is down", rescued, "database is down"}, 81 * time.Second},
	} {
		j := &river.Job[Job]{JobRow: &rivertype.JobRow{}}
		for _, e := range tt.errors {
			j.Errors = append(j.Errors, rivertype.AttemptError{Error: e})
		}
		if got := time.Until(w.NextRetry(j)); got > tt.want || got < tt.want-time.Second {
			t.Errorf("after %v: retry in %v, want %v", tt.errors, got, tt.want)
		}
	}
}

// The timeouts that make a crashed batch resume within a minute: a bulk
// run ends (budget, then timeout) before River may rescue it, and the
// rescue comes at most one rescuer period (30 s) and one scheduler period
// (5 s) after jobs.RescueAfter. (That jobs.Add keeps a worker's own
// timeout and gives the others jobs.DefaultTimeout is tested in jobs.)
func TestRescueWindow(t *testing.T) {
	const rescuerPeriod, schedulerPeriod = 30 * time.Second, 5 * time.Second
	if !(bulkBudget < Timeout && Timeout < jobs.RescueAfter && jobs.RescueAfter+rescuerPeriod+schedulerPeriod < time.Minute) {
		t.Fatalf("budget %v, timeout %v, rescue after %v: a crashed batch may wait more than a minute", bulkBudget, Timeout, jobs.RescueAfter)
	}
	if got := (&Worker{}).Timeout(&river.Job[Job]{}); got != Timeout {
		t.Fatalf("bulk timeout %v", got)
	}
}

// echoArgs is a job of another kind, with the default timeout.
type echoArgs struct{ N int }

func (echoArgs) Kind() string { return "test_echo" }

type echoWorker struct {
	river.WorkerDefaults[echoArgs]
	seen chan int
}

func (w *echoWorker) Work(_ context.Context, j *river.Job[echoArgs]) error {
	w.seen <- j.Args.N
	return nil
}

// A row whose data the database refuses is that row's failure, with a
// reason that does not quote the database; the batch goes on and
// completes (it used to end every run with a job error, the rows after it
// left pending).
func TestBulkIssueRowRefusedByDatabase(t *testing.T) {
	db := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	f := newBulkFixture(t, db)
	// A constraint the checks know nothing of stands for whatever the
	// database may refuse (an invalid byte, a value too long…).
	if _, err := db.SQL().Exec(`ALTER TABLE credentials ADD CONSTRAINT test_refused CHECK (recipient_name IS DISTINCT FROM 'Student 3')`); err != nil {
		t.Fatal(err)
	}
	const valid = 10
	b := f.importBatch(t, f.tpl, bulkCSV(valid, 0, studentEmail), false)
	w := f.worker(t)
	w.Parallel = 1
	if done, err := w.Run(ctx, Job{BatchID: b.ID, OrganizationID: f.org.ID}); err != nil || !done {
		t.Fatalf("run: done %v, %v", done, err)
	}
	got, _ := f.sc.Batch(ctx, b.ID)
	rows, _ := f.sc.BatchRows(ctx, b.ID)
	if got.Status != store.BatchCompleted || got.IssuedCount != valid-1 || got.FailedCount != 1 {
		t.Fatalf("batch %s: %d issued, %d failed", got.Status, got.IssuedCount, got.FailedCount)
	}
	r := rows[3] // Student 3, the fourth row
	if r.Status != store.RowFailed || r.Error == nil || !strings.Contains(*r.Error, "the database refused a value of this row") ||
		strings.Contains(*r.Error, "test_refused") || strings.Contains(*r.Error, "credentials") {
		t.Fatalf("refused row: %s %v", r.Status, *r.Error)
	}
	// What a user sees: the failure in the results, with its reason.
	res, err := Results(ctx, f.sc, f.is.Keys, b.ID, bulkBase)
	if err != nil {
		t.Fatal(err)
	}
	if res[3].Status != store.RowFailed || res[3].Recipient != studentEmail(3) || !strings.Contains(res[3].Error, "the database refused") {
		t.Fatalf("results: %+v", res[3])
	}
}

// Errors that are the database's own trouble, not the row's, are not
// taken for the row's (River retries them).
func TestDataRefused(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "22021"}, true}, // invalid byte sequence (a NUL)
		{&pgconn.PgError{Code: "22001"}, true}, // value too long
		{fmt.Errorf("issue: %w", &pgconn.PgError{Code: "23514"}), true},
		{&pgconn.PgError{Code: "54000"}, true},  // index row too large
		{&pgconn.PgError{Code: "23505"}, false}, // unique: a concurrent writer
		{&pgconn.PgError{Code: "40001"}, false}, // serialization
		{&pgconn.PgError{Code: "57P01"}, false}, // admin shutdown
		{&pgconn.PgError{Code: "08006"}, false}, // connection failure
		{context.DeadlineExceeded, false},
		{sql.ErrConnDone, false},
	} {
		if got := store.DataRefused(tt.err); got != tt.want {
			t.Errorf("DataRefused(%v) = %v", tt.err, got)
		}
	}
}

// A row stored with a NUL (before the upload refused them: PostgreSQL
// cannot store it, and every run of the batch ended with a job error) is
// that row's failure, named; the other rows are issued.
func TestBulkIssueStoredRowWithNUL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newBulkFixture(t, db)
		headers := []string{"recipient_name", "recipient_email", "degree"}
		var rows []store.IssuanceBatchRow
		for i := range 6 {
			name := fmt.Sprintf("Student %d", i)
			if i == 2 {
				name = "Stu\x00dent 2"
			}
			sealed, err := Seal(f.is.Keys, headers, Row{Number: i + 1, Values: []string{name, studentEmail(i), "Physics"}})
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, store.IssuanceBatchRow{RowNumber: i + 1, DataEncrypted: sealed})
		}
		b := &store.IssuanceBatch{TemplateID: &f.tpl.ID, ColumnMapping: datatypes.NewJSONType(map[string]string{
			RecipientName: "recipient_name", RecipientAddress: "recipient_email", "degree": "degree"})}
		if err := f.sc.CreateBatch(ctx, b, rows, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.sc.QueueBatch(ctx, b.ID, false, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if done, err := f.worker(t).Run(ctx, Job{BatchID: b.ID, OrganizationID: f.org.ID}); err != nil || !done {
			t.Fatalf("run: done %v, %v", done, err)
		}
		got, _ := f.sc.Batch(ctx, b.ID)
		stored, _ := f.sc.BatchRows(ctx, b.ID)
		if got.Status != store.BatchCompleted || got.IssuedCount != 5 || got.FailedCount != 1 || stored[2].Status != store.RowFailed ||
			stored[2].Error == nil || !strings.Contains(*stored[2].Error, "recipient_name: contains a control character (U+0000)") {
			t.Fatalf("batch %s: %d issued, %d failed; row 3 %s %v", got.Status, got.IssuedCount, got.FailedCount, stored[2].Status, stored[2].Error)
		}
	})
}

// A panic while a row is issued (here in the email hook, inside the
// chunk's transaction, for one row's credential: a bug that its data
// triggers) fails that row and rolls its credential back; the process
// survives, the other rows of its chunk are issued and the batch
// completes.
func TestBulkIssueRowPanics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newBulkFixture(t, db)
		b := f.importBatch(t, f.tpl, bulkCSV(8, 0, studentEmail), true)
		w := f.worker(t)
		q := "SELECT recipient_address FROM credentials WHERE id = ?"
		if db.Dialect() == store.Postgres {
			q = "SELECT recipient_address FROM credentials WHERE id = $1"
		}
		w.Email = func(ctx context.Context, tx *sql.Tx, credentialID, orgID string) error {
			var to string
			if err := tx.QueryRowContext(ctx, q, credentialID).Scan(&to); err != nil {
				return err
			}
			if to == studentEmail(2) {
				panic("a bug")
			}
			return nil
		}
		if done, err := w.Run(ctx, Job{BatchID: b.ID, OrganizationID: f.org.ID}); err != nil || !done {
			t.Fatalf("run: done %v, %v", done, err)
		}
		got, _ := f.sc.Batch(ctx, b.ID)
		failed := count(t, db, "SELECT count(*) FROM issuance_batch_rows WHERE batch_id = ? AND status = 'failed' AND error LIKE '%internal error%'", b.ID)
		creds := count(t, db, "SELECT count(*) FROM credentials WHERE issuer_id = ?", f.org.ID)
		if got.Status != store.BatchCompleted || got.IssuedCount != 7 || got.FailedCount != 1 || failed != 1 || creds != 7 {
			t.Fatalf("batch %s: %d issued, %d failed (%d with the reason), %d credentials", got.Status, got.IssuedCount, got.FailedCount, failed, creds)
		}
	})
}

// Chunks grow while they are quick and shrink when the machine is slow,
// so that one always fits in a run's timeout.
func TestNextChunk(t *testing.T) {
	for _, tt := range []struct {
		n    int
		d    time.Duration
		want int
	}{
		{50, 100 * time.Millisecond, 100}, // quick: doubles at most
		{400, 1 * time.Second, 500},       // at most bulkChunk
		{500, 10 * time.Second, 100},      // a loaded machine: a fifth
		{100, 60 * time.Second, 10},       // at least 10
		{200, 2 * time.Second, 200},       // on target
	} {
		if got := nextChunk(tt.n, tt.d); got != tt.want {
			t.Errorf("nextChunk(%d, %v) = %d, want %d", tt.n, tt.d, got, tt.want)
		}
	}
}

// heldEmail works credential_email jobs by putting them off for an hour:
// a queue that must accept them (River inserts only registered kinds)
// without sending or spending the machine on them, for the timing and
// kill tests, which count them.
type heldEmail struct {
	river.WorkerDefaults[notify.CredentialEmail]
}

func (heldEmail) Work(context.Context, *river.Job[notify.CredentialEmail]) error {
	return river.JobSnooze(time.Hour)
}
