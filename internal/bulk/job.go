package bulk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/notify"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/store"
)

// Defaults of the bulk issuance job.
const (
	bulkChunk  = issuance.SubmitChunk // pending rows read and issued at a time
	bulkBudget = 10 * time.Second     // work per run before the job snoozes and goes on (under Timeout)
	// Timeout bounds one run of the job: under jobs.RescueAfter, so that
	// River's rescuer retries the job of a server that died within a
	// minute, and never a run that is still alive.
	Timeout = 15 * time.Second
)

// Job is the job (bulk_issue) that issues a queued batch's pending rows.
type Job struct {
	BatchID        string `json:"batch_id" river:"unique"`
	OrganizationID string `json:"organization_id"`
}

// Kind is the River job kind.
func (Job) Kind() string { return "bulk_issue" }

// InsertOpts: one job per batch at a time (unique by batch while it is
// waiting or running).
func (Job) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Worker works bulk_issue jobs.
//
// Rows are issued a chunk at a time by issuance.Issuer.SubmitBatch with
// their batch row ids, in one transaction per chunk that also marks the
// rows issued: a row is issued at most once however often the job runs, and a run that is killed half way
// leaves the rest pending for the next run. A row that cannot be issued
// (its data no longer passes the checks, the credential is refused, the
// database refuses its data, issuing it panics) is marked failed with the
// reason; any other error (the database is down…) ends the run, the row
// stays pending and River retries the job. Rows are
// read in chunks; between chunks the run stops if the batch was
// cancelled, and after Budget it snoozes so that River runs it again at
// once, in a new run under the job timeout. Runs are short (Timeout)
// so that River's rescuer can retry the job of a server that died soon
// after, without ever rescuing a run that is still alive.
type Worker struct {
	river.WorkerDefaults[Job]
	DB       *store.DB
	Issuer   *issuance.Issuer
	Log      *slog.Logger
	Chunk    int           // rows per chunk; 0: sized to take about chunkTime each, at most issuance.SubmitChunk
	Budget   time.Duration // per run; 0: bulkBudget
	Parallel int           // rows read and checked at once; 0: the CPUs (signing always uses every CPU)
	// Email enqueues a credential's email inside tx, the transaction that
	// stores the credential; nil: notify.EnqueueCredentialEmail through the
	// job's River client (no email when the worker is run outside River).
	Email func(ctx context.Context, tx *sql.Tx, credentialID, orgID string) error
}

// Timeout bounds one run: the budget, then at most the rows in flight.
func (w *Worker) Timeout(*river.Job[Job]) time.Duration { return Timeout }

// rescued is the error River's rescuer records on a job it found stuck.
const rescued = "Stuck job rescued by JobRescuer"

// NextRetry is River's default backoff ((errors+1)^4 seconds) without
// counting rescues: a batch whose servers died twice resumes as soon as
// the first time, while real errors still back off.
func (w *Worker) NextRetry(j *river.Job[Job]) time.Time {
	n := 1
	for _, e := range j.Errors {
		if e.Error != rescued {
			n++
		}
	}
	return time.Now().Add(time.Duration(n*n*n*n) * time.Second)
}

// Work issues the batch's pending rows.
func (w *Worker) Work(ctx context.Context, j *river.Job[Job]) error {
	done, err := w.Run(ctx, j.Args)
	switch {
	case err != nil && ctx.Err() != nil:
		// Shutting down (or the job timed out): go on at the next start
		// without counting an attempt.
		return river.JobSnooze(0)
	case err != nil:
		return err
	case !done:
		return river.JobSnooze(0) // the budget is spent: the next run goes on
	}
	return nil
}

// Run issues pending rows of a batch until none is left (done), the batch
// is cancelled (done), the budget is spent (not done) or an error.
func (w *Worker) Run(ctx context.Context, args Job) (done bool, err error) {
	// A run stopped mid-query fails with the driver's own error (SQLite:
	// "interrupted"); it is the stop, and says so.
	defer func() {
		if cerr := ctx.Err(); err != nil && cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w: %w", cerr, err)
		}
	}()
	sc := w.DB.Scoped(args.OrganizationID)
	b, err := sc.StartBatch(ctx, args.BatchID)
	if errors.Is(err, store.ErrNotFound) {
		w.Log.Warn("bulk issuance: batch not found", "batch", args.BatchID)
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if b.Status != store.BatchRunning {
		return true, nil // cancelled, completed, or not queued
	}
	r := &bulkRun{w: w, sc: sc, batch: b, actor: store.Actor{UserID: b.CreatedBy}}
	chunk, budget := w.Chunk, w.Budget
	adapt := chunk <= 0
	if adapt {
		chunk = firstChunk
	}
	if budget <= 0 {
		budget = bulkBudget
	}
	deadline := time.Now().Add(budget)
	after := 0
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		cur, err := sc.Batch(ctx, b.ID)
		if err != nil {
			return false, err
		}
		if cur.Status != store.BatchRunning {
			return true, nil // cancelled
		}
		rows, err := sc.PendingBatchRows(ctx, b.ID, after, chunk)
		if err != nil {
			return false, err
		}
		if len(rows) == 0 {
			if after == 0 {
				_, err := sc.CompleteBatch(ctx, b.ID, w.completed(ctx))
				return err == nil, err
			}
			after = 0 // rows before the cursor may have been left pending by a concurrent run: look again
			continue
		}
		began := time.Now()
		if err := r.issue(ctx, rows, deadline); err != nil {
			return false, err
		}
		if adapt {
			chunk = nextChunk(chunk, time.Since(began))
		}
		after = rows[len(rows)-1].RowNumber
		if time.Now().After(deadline) {
			return false, nil
		}
	}
}

// completed runs in the transaction that completes the batch, which
// runs it only when it is the one that completes it (a retried or rescued
// run does it once): when its rows were stored pending (their schema
// requires approval) the batch becomes ONE approval request
// (store.Scoped.OpenBatchApproval, approval.requested published with it);
// bulk_batch.completed is published through the issuer's events queue
// (nil: no event).
func (w *Worker) completed(ctx context.Context) func(tx *store.Scoped, b *store.IssuanceBatch) error {
	q := w.Issuer.Events
	return func(tx *store.Scoped, b *store.IssuanceBatch) error {
		name := ""
		if b.Filename != nil {
			name = *b.Filename
		}
		req, err := tx.OpenBatchApproval(ctx, b.ID, b.CreatedBy, store.Actor{UserID: b.CreatedBy})
		if err != nil {
			return err
		}
		if q == nil {
			return nil
		}
		if req != nil {
			if err := w.approvalRequested(ctx, tx, b, req, name); err != nil {
				return err
			}
		}
		e, err := events.New(tx.OrganizationID(), events.BulkBatchCompleted, *b.CompletedAt, events.BatchCompleted{
			BatchID: b.ID, FileName: name, Total: b.TotalRows, Issued: b.IssuedCount, Failed: b.FailedCount,
			CompletedAt: b.CompletedAt.UTC()})
		if err != nil {
			return err
		}
		return events.Publish(ctx, tx, q, e)
	}
}

// approvalRequested publishes approval.requested for a batch's request.
func (w *Worker) approvalRequested(ctx context.Context, tx *store.Scoped, b *store.IssuanceBatch, req *store.ApprovalRequest, name string) error {
	c, err := tx.Credential(ctx, req.CredentialID)
	if err != nil {
		return err
	}
	st, err := tx.BatchApprovalOf(ctx, b.ID)
	if err != nil {
		return err
	}
	asked := events.ApprovalAsked{RequestID: req.ID, ResourceType: "credential", Credential: events.CredentialOf(c, w.Issuer.CredentialURL(c.PublicID)),
		Via: string(store.ViaWeb), Batch: &events.BatchRef{BatchID: b.ID, FileName: name, Count: st.Pending, Sample: len(req.SampleRows)}}
	if b.CreatedBy != nil {
		asked.RequestedBy = *b.CreatedBy
	}
	rules, err := tx.ApprovalRequirements(ctx, req.SchemaID)
	if err != nil {
		return err
	}
	asked.Required = events.RulesOf(rules)
	e, err := events.New(tx.OrganizationID(), events.ApprovalRequested, req.CreatedAt, asked)
	if err != nil {
		return err
	}
	return events.Publish(ctx, tx, w.Issuer.Events, e)
}

// Chunk sizes: a run starts small and sizes each chunk after the last so
// that one takes about chunkTime, at most bulkChunk rows: a chunk's work
// is lost when the run's timeout ends it half way, so a chunk must fit in
// what the timeout leaves after the budget, also on a loaded machine.
const (
	firstChunk = 50
	chunkTime  = 2 * time.Second
)

// nextChunk is the size of the chunk after one of n rows that took d.
func nextChunk(n int, d time.Duration) int {
	if d <= 0 {
		return bulkChunk
	}
	next := int(float64(n) * float64(chunkTime) / float64(d))
	return max(10, min(next, 2*n, bulkChunk))
}

// bulkRun is one run of a batch.
type bulkRun struct {
	w       *Worker
	sc      *store.Scoped
	batch   *store.IssuanceBatch
	actor   store.Actor
	mu      sync.Mutex
	checker *Checker
	headers []string
}

func (w *Worker) parallel() int {
	if w.Parallel > 0 {
		return w.Parallel
	}
	return runtime.GOMAXPROCS(0)
}

// issue issues a chunk of rows through issuance.Issuer.SubmitBatch (one
// reservation of status entries, signing on every core, one transaction
// that stores the credentials, marks their rows issued and enqueues their
// emails); none after the deadline (the rows stay pending for the next
// run). A row that fails its checks or that issuance refuses is failed
// with the reason. When the chunk's transaction fails for what may be one
// row's own fault (the database refuses a value, a panic), the chunk is
// issued again one row at a time, so that only that row fails. Any other
// error ends the chunk, its rows still pending.
func (r *bulkRun) issue(ctx context.Context, rows []store.IssuanceBatchRow, deadline time.Time) error {
	if time.Now().After(deadline) {
		return nil
	}
	reqs, problems := r.requests(ctx, rows)
	var (
		ok     []issuance.Request
		rowIDs []string
		from   []*store.IssuanceBatchRow
	)
	for i := range rows {
		if problems[i] != "" {
			if err := r.fail(ctx, &rows[i], problems[i]); err != nil {
				return err
			}
			continue
		}
		ok, rowIDs, from = append(ok, reqs[i]), append(rowIDs, rows[i].ID), append(from, &rows[i])
	}
	if len(ok) == 0 {
		return nil
	}
	errs, err := r.submit(ctx, ok, rowIDs)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, own := rowProblem(err); !own && !errors.Is(err, issuance.ErrInternal) {
			return fmt.Errorf("bulk issuance: batch %s rows %d-%d: %w", r.batch.ID, from[0].RowNumber, from[len(from)-1].RowNumber, err)
		}
		// One row's fault, or the chunk's? One at a time tells.
		for i := range ok {
			e, err := r.submit(ctx, ok[i:i+1], rowIDs[i:i+1])
			if err == nil {
				err = e[0]
			}
			if err := r.outcome(ctx, from[i], err); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range ok {
		if err := r.outcome(ctx, from[i], errs[i]); err != nil {
			return err
		}
	}
	return nil
}

// submit is SubmitBatch of the rows' requests, a panic in it (a bug that
// a row's data triggers, inside the chunk's transaction) being its
// ErrInternal error: these goroutines are not River's, whose recovery
// covers only Work's own.
func (r *bulkRun) submit(ctx context.Context, reqs []issuance.Request, rowIDs []string) (errs []error, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v\n%s", issuance.ErrInternal, p, debug.Stack())
		}
	}()
	_, errs, err = r.w.Issuer.SubmitBatch(ctx, r.sc, reqs, store.ViaSystem, rowIDs, r.actor)
	return errs, err
}

// outcome records what issuing a row gave: nothing when it was issued
// (by this run or another), the row failed with the reason when the error
// is the row's own, else the error (River retries the job).
func (r *bulkRun) outcome(ctx context.Context, row *store.IssuanceBatchRow, err error) error {
	switch {
	case err == nil, errors.Is(err, store.ErrRowDone):
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, issuance.ErrInternal):
		r.w.Log.Error("bulk issuance: panic while issuing a row", "batch", r.batch.ID, "row", row.RowNumber, "panic", err.Error())
		return r.fail(ctx, row, "the credential could not be issued because of an internal error (reported in the server log)")
	}
	if reason, ok := rowProblem(err); ok {
		if store.DataRefused(err) {
			r.w.Log.Warn("bulk issuance: the database refused a row", "batch", r.batch.ID, "row", row.RowNumber, "error", err)
		}
		return r.fail(ctx, row, reason)
	}
	return fmt.Errorf("bulk issuance: batch %s row %d: %w", r.batch.ID, row.RowNumber, err)
}

// requests reads and checks the rows again (on a few cores: decrypting
// and checking is per-row work): each row's request, or the reason it
// fails.
func (r *bulkRun) requests(ctx context.Context, rows []store.IssuanceBatchRow) ([]issuance.Request, []string) {
	reqs, problems := make([]issuance.Request, len(rows)), make([]string, len(rows))
	var email jobs.Enqueuer
	if r.batch.SendEmail {
		// The email jobs commit with the credentials: a crash between the
		// two can lose neither alone.
		email = r.w.emails(ctx)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range r.w.parallel() {
		wg.Go(func() {
			for i := range next {
				reqs[i], problems[i] = r.request(&rows[i], email)
			}
		})
	}
	for i := range rows {
		next <- i
	}
	close(next)
	wg.Wait()
	return reqs, problems
}

// request is one row's request, or the reason the row fails; a panic
// (a bug that this row's data triggers) is the row's failure.
func (r *bulkRun) request(row *store.IssuanceBatchRow, email jobs.Enqueuer) (req issuance.Request, problem string) {
	defer func() {
		if p := recover(); p != nil {
			r.w.Log.Error("bulk issuance: panic while checking a row", "batch", r.batch.ID, "row", row.RowNumber,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			problem = "the credential could not be issued because of an internal error (reported in the server log)"
		}
	}()
	t := r.batch.Template
	if t == nil || t.Schema == nil {
		return req, "the template was deleted"
	}
	headers, data, err := Open(r.w.Issuer.Keys, row)
	if err != nil {
		return req, "the row’s data could not be read"
	}
	c, err := r.checkerFor(headers)
	if err != nil {
		return req, "the template’s schema cannot check the row"
	}
	checked, errs := c.Check(data)
	if errs != nil {
		return req, strings.ReplaceAll(Join(errs), "\n", "; ")
	}
	return issuance.Request{Template: t, RecipientName: checked.RecipientName, RecipientAddress: checked.RecipientAddress,
		Data: checked.Data, Email: email, BatchID: r.batch.ID}, ""
}

// fail marks a pending row failed with the reason; one that is no longer
// pending is left as it is.
func (r *bulkRun) fail(ctx context.Context, row *store.IssuanceBatchRow, reason string) error {
	err := r.sc.FailBatchRow(ctx, r.batch.ID, row.ID, reason)
	if errors.Is(err, store.ErrRowDone) {
		return nil
	}
	return err
}

func (r *bulkRun) checkerFor(headers []string) (*Checker, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.checker != nil && equal(r.headers, headers) {
		return r.checker, nil
	}
	c, err := NewChecker(r.batch.Template, headers, Mapping(r.batch.ColumnMapping.Data()))
	if err != nil {
		return nil, err
	}
	r.checker, r.headers = c, headers
	return c, nil
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// rowProblem tells the errors that are the row's own (issuing it again
// would fail the same way: the checks, signing, the database refusing the
// data) and words them for the summary. Any other error (the connection,
// the context) is the job's, and River retries it.
func rowProblem(err error) (string, bool) {
	var fe store.FieldErrors
	switch {
	case errors.As(err, &fe):
		return "the credential was refused: " + fe.Error(), true
	case errors.Is(err, issuance.ErrCredential), errors.Is(err, issuance.ErrIssuer), errors.Is(err, issuance.ErrCryptosuite):
		return err.Error(), true
	case errors.Is(err, vc.ErrUndefinedTerm):
		return "a field is not defined by the credential’s JSON-LD context", true
	case errors.Is(err, vc.ErrUnknownContext), errors.Is(err, vc.ErrJSONLD), errors.Is(err, vc.ErrJCS):
		return "the credential is not valid JSON-LD", true
	case store.DataRefused(err):
		// The database's own words stay in the log: they name tables and bytes.
		return "the database refused a value of this row (a character it cannot store, or a value too long)", true
	}
	return "", false
}

// emails is the queue of the recipients' emails: w.Email, or the job's
// River client (nil, no email, when the worker is run outside River).
func (w *Worker) emails(ctx context.Context) jobs.Enqueuer {
	if w.Email != nil {
		return emailFunc(w.Email)
	}
	return jobs.InWork(ctx)
}

// emailFunc is a Worker.Email hook as the queue of credential emails.
type emailFunc func(ctx context.Context, tx *sql.Tx, credentialID, orgID string) error

func (f emailFunc) EnqueueTx(ctx context.Context, tx *sql.Tx, args river.JobArgs) error {
	e, ok := args.(notify.CredentialEmail)
	if !ok {
		return fmt.Errorf("bulk: unexpected job %s", args.Kind())
	}
	return f(ctx, tx, e.CredentialID, e.OrganizationID)
}

// Register registers the bulk issuance worker.
func Register(ws *jobs.Workers, db *store.DB, is *issuance.Issuer, log *slog.Logger) {
	jobs.Add(ws, &Worker{DB: db, Issuer: is, Log: log.With("component", "jobs")})
}

// Queue starts the issuance of a reviewed batch's valid rows: in one
// transaction (store.Scoped.InTx) the batch moves to queued
// (store.Scoped.QueueBatch) and its bulk_issue job is enqueued through q,
// so that the job commits with the status or not at all; callers hand
// over a queue, never a transaction.
func Queue(ctx context.Context, sc *store.Scoped, q jobs.Enqueuer, batchID string, sendEmail bool, actor store.Actor) (*store.IssuanceBatch, error) {
	var b *store.IssuanceBatch
	err := sc.InTx(ctx, func(tx *store.Scoped) error {
		var err error
		if b, err = tx.QueueBatch(ctx, batchID, sendEmail, actor); err != nil {
			return err
		}
		sqlTx, err := tx.SQLTx()
		if err != nil {
			return err
		}
		return q.EnqueueTx(ctx, sqlTx, Job{BatchID: batchID, OrganizationID: sc.OrganizationID()})
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}
