// Package jobs runs TrustCred's background work on River, in the same process
// as the web server by default: the client, the registry of workers with
// their timeouts, periodic jobs, and enqueueing any job inside the caller's
// transaction. The work itself belongs to the packages that own it (bulk
// issuance in internal/bulk, emails in internal/notify, credential expiry in
// internal/issuance): each defines its job's args and worker and registers
// them here through Add; this package knows none of them.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/trustcred/trustcred/store"
)

// Retention of finished jobs: long enough to investigate a failure, short
// enough that the table stays small.
const (
	completedRetention = 24 * time.Hour
	cancelledRetention = 7 * 24 * time.Hour
	discardedRetention = 30 * 24 * time.Hour
	maxAttempts        = 10
)

// Timeouts. A process killed while it works a job (kill -9, a crash, the
// machine lost) leaves the job running; River's rescuer, on the elected
// leader, retries a running job once its attempt is older than both
// RescueAfter and the kind's timeout, checking every 30 seconds. Every kind
// gets DefaultTimeout unless its worker says otherwise (Timeout). A kind
// whose timeout is under RescueAfter (the bulk issuance job's runs) is
// picked up again within RescueAfter + 30 s + a few seconds (under a
// minute) when its server died, while a run that is still alive somewhere
// is never rescued (its context ends before RescueAfter).
const (
	DefaultTimeout = 5 * time.Minute
	RescueAfter    = 20 * time.Second
)

// QueueOutbound is the queue of jobs that mostly wait on another server
// (webhook deliveries): many of them run at once, and a receiver that hangs
// for its whole timeout holds one of them, never a slot of the default
// queue's jobs (bulk issuance, emails, event fan-out).
const QueueOutbound = "outbound"

// QueueEvents is the queue of published events' fan-out (internal/events):
// short transactions that mostly wait on the database's commit, so many
// run at once, and neither a bulk batch's jobs nor the emails on the
// default queue hold them up (nor they those).
const QueueEvents = "events"

// Workers per queue. The default queue's jobs are CPU and database work;
// on SQLite one writer works at a time anyway. Outbound jobs wait on the
// network: a slow receiver must not keep others waiting.
const (
	postgresWorkers = 10
	sqliteWorkers   = 2
	outboundWorkers = 50
	// An event's fan-out waits mostly on its commit: on PostgreSQL, more of
	// them at once share the server's WAL flushes (BenchmarkDeliveries:
	// the fan-out was the stage deliveries waited on with 10). SQLite has
	// one writer.
	postgresEventWorkers = 30
	sqliteEventWorkers   = 2
)

// Workers is the set of job kinds this process can run, and the periodic
// jobs it schedules.
type Workers struct {
	river    *river.Workers
	kinds    []string
	periodic []periodic
	hurry    time.Duration
}

// periodic is one job scheduled with Every.
type periodic struct {
	interval time.Duration
	args     river.JobArgs
}

// NewWorkers returns an empty set.
func NewWorkers() *Workers { return &Workers{river: river.NewWorkers()} }

// Add registers the worker for one job kind. Its jobs time out after
// DefaultTimeout unless the worker's Timeout says otherwise.
func Add[T river.JobArgs](ws *Workers, w river.Worker[T]) {
	river.AddWorker[T](ws.river, timed[T]{w})
	var args T
	ws.kinds = append(ws.kinds, args.Kind())
}

// timed gives a worker without a timeout of its own DefaultTimeout: the
// client's default cannot be it, because River wants the rescue delay at
// or above the client's default (which, with every worker timed, is never
// used).
type timed[T river.JobArgs] struct{ river.Worker[T] }

func (w timed[T]) Timeout(j *river.Job[T]) time.Duration {
	if d := w.Worker.Timeout(j); d != 0 {
		return d
	}
	return DefaultTimeout
}

// Every schedules args every interval, and once when the queue starts, for
// a kind registered with Add. Only the elected leader among the processes
// schedules, and a period's job is inserted at most once, so restarts and
// several processes do not pile them up.
func (ws *Workers) Every(interval time.Duration, args river.JobArgs) {
	ws.periodic = append(ws.periodic, periodic{interval: interval, args: args})
}

// Hurry schedules every periodic job every d instead (at least a second,
// River's shortest unique period), for tests that watch a whole server
// through many runs of its periodic jobs in seconds rather than hours.
func (ws *Workers) Hurry(d time.Duration) { ws.hurry = max(d, time.Second) }

// periodicJobs is the schedule for River.
func (ws *Workers) periodicJobs() []*river.PeriodicJob {
	out := make([]*river.PeriodicJob, 0, len(ws.periodic))
	for _, p := range ws.periodic {
		interval, args := p.interval, p.args
		if ws.hurry != 0 {
			interval = ws.hurry
		}
		out = append(out, river.NewPeriodicJob(river.PeriodicInterval(interval),
			func() (river.JobArgs, *river.InsertOpts) {
				return args, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: interval}}
			},
			&river.PeriodicJobOpts{ID: args.Kind(), RunOnStart: true}))
	}
	return out
}

// Kinds lists the registered job kinds.
func (ws *Workers) Kinds() []string { return append([]string(nil), ws.kinds...) }

// Queue is the in-process River client.
type Queue struct {
	client  *river.Client[*sql.Tx]
	pool    *sql.DB // closed on Stop when owned
	owned   bool
	working bool
	log     *slog.Logger
}

// New builds the River client over db. With no workers registered it can
// enqueue but does not work jobs (River refuses to start without workers).
func New(db *store.DB, log *slog.Logger, ws *Workers) (*Queue, error) {
	pool, owned, err := db.JobPool()
	if err != nil {
		return nil, err
	}
	var (
		driver       riverdriver.Driver[*sql.Tx]
		maxWorkers   = postgresWorkers
		eventWorkers = postgresEventWorkers
	)
	switch db.Dialect() {
	case store.Postgres:
		driver = riverdatabasesql.New(pool)
	case store.SQLite:
		driver = riversqlite.New(pool)
		maxWorkers, eventWorkers = sqliteWorkers, sqliteEventWorkers
	}
	// A queue fetches at most once per cooldown, up to its free workers:
	// at River's default of 100 ms the default queue ran at most 100 jobs a
	// second, and an event's webhook delivery is two jobs (fan-out, then
	// delivery): 38 deliveries a second (BenchmarkDeliveries). A fetch is
	// one indexed query, made only while jobs keep coming. PostgreSQL
	// tells the queue of new jobs (LISTEN/NOTIFY); SQLite cannot, so the
	// queue polls: at River's default of once a second it would run at
	// most maxWorkers jobs a second.
	fetchPoll, fetchCooldown := river.FetchPollIntervalDefault, 10*time.Millisecond
	if db.Dialect() == store.SQLite {
		fetchPoll = 50 * time.Millisecond
	}
	cfg := &river.Config{
		Logger:                      log.With("component", "jobs"),
		CompletedJobRetentionPeriod: completedRetention,
		CancelledJobRetentionPeriod: cancelledRetention,
		DiscardedJobRetentionPeriod: discardedRetention,
		JobTimeout:                  RescueAfter, // never used: see timed
		RescueStuckJobsAfter:        RescueAfter,
		MaxAttempts:                 maxAttempts,
		FetchPollInterval:           fetchPoll,
		FetchCooldown:               fetchCooldown,
	}
	working := ws != nil && len(ws.kinds) > 0
	if working {
		cfg.Workers = ws.river
		cfg.PeriodicJobs = ws.periodicJobs()
		cfg.Queues = map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: maxWorkers},
			QueueEvents:        {MaxWorkers: eventWorkers},
			QueueOutbound:      {MaxWorkers: outboundWorkers},
		}
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		if owned {
			_ = pool.Close()
		}
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Queue{client: client, pool: pool, owned: owned, working: working, log: log}, nil
}

// Enqueuer inserts jobs inside the caller's transaction: *Queue, or the
// client working the current job (InWork). Feature packages take one to
// enqueue their own job args.
type Enqueuer interface {
	EnqueueTx(ctx context.Context, tx *sql.Tx, args river.JobArgs) error
}

// EnqueueTx inserts a job (any River job args, with their InsertOpts)
// inside tx, so that it commits with the caller's changes or not at all
// (River's InsertTx); with a nil tx, in a transaction of its own.
func (q *Queue) EnqueueTx(ctx context.Context, tx *sql.Tx, args river.JobArgs) error {
	return insert(ctx, q.client, tx, args)
}

// EnqueueManyTx inserts many jobs inside tx in one statement (River's
// InsertManyTx), with the same guarantee as EnqueueTx.
func (q *Queue) EnqueueManyTx(ctx context.Context, tx *sql.Tx, args []river.JobArgs) error {
	return insertMany(ctx, q.client, tx, args)
}

// EnqueueMany inserts jobs inside tx through q: in one statement when q
// can (*Queue, InWork's), else one by one.
func EnqueueMany(ctx context.Context, q Enqueuer, tx *sql.Tx, args []river.JobArgs) error {
	if len(args) == 0 {
		return nil
	}
	if m, ok := q.(interface {
		EnqueueManyTx(ctx context.Context, tx *sql.Tx, args []river.JobArgs) error
	}); ok {
		return m.EnqueueManyTx(ctx, tx, args)
	}
	for _, a := range args {
		if err := q.EnqueueTx(ctx, tx, a); err != nil {
			return err
		}
	}
	return nil
}

// Enqueue inserts a job in a transaction of its own.
func (q *Queue) Enqueue(ctx context.Context, args river.JobArgs) error {
	return insert(ctx, q.client, nil, args)
}

// Client is River's client, for what River's own API does (listing and
// inspecting jobs).
func (q *Queue) Client() *river.Client[*sql.Tx] { return q.client }

// InWork is the Enqueuer of the River client working the job of ctx (a
// worker's Work), or nil outside River: a worker enqueues follow-up jobs in
// its own transactions through it.
func InWork(ctx context.Context) Enqueuer {
	c, err := river.ClientFromContextSafely[*sql.Tx](ctx)
	if err != nil {
		return nil
	}
	return clientEnqueuer{c}
}

type clientEnqueuer struct{ c *river.Client[*sql.Tx] }

func (e clientEnqueuer) EnqueueTx(ctx context.Context, tx *sql.Tx, args river.JobArgs) error {
	return insert(ctx, e.c, tx, args)
}

func (e clientEnqueuer) EnqueueManyTx(ctx context.Context, tx *sql.Tx, args []river.JobArgs) error {
	return insertMany(ctx, e.c, tx, args)
}

// insertMany enqueues jobs inside tx in one statement.
func insertMany(ctx context.Context, c *river.Client[*sql.Tx], tx *sql.Tx, args []river.JobArgs) error {
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a}
	}
	if _, err := c.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("jobs: enqueue %d jobs (%s…): %w", len(args), args[0].Kind(), err)
	}
	return nil
}

// insert enqueues a job, inside tx when it is not nil.
func insert(ctx context.Context, c *river.Client[*sql.Tx], tx *sql.Tx, args river.JobArgs) error {
	var err error
	if tx != nil {
		_, err = c.InsertTx(ctx, tx, args, nil)
	} else {
		_, err = c.Insert(ctx, args, nil)
	}
	if err != nil {
		return fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// Working reports whether this process works jobs (has at least one worker).
func (q *Queue) Working() bool { return q.working }

// Start begins working jobs in the background until Stop.
func (q *Queue) Start(ctx context.Context) error {
	if !q.working {
		q.log.Info("job queue ready; no job kinds registered, so none are worked")
		return nil
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop lets running jobs finish until ctx is done, then cancels what is
// still running, and releases the queue's own connection pool.
func (q *Queue) Stop(ctx context.Context) error {
	var err error
	if q.working {
		if err = q.client.Stop(ctx); errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			q.log.Warn("jobs still running at shutdown deadline; cancelling them")
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			err = q.client.StopAndCancel(cctx)
			cancel()
		}
	}
	if q.owned {
		err = errors.Join(err, q.pool.Close())
	}
	return err
}
