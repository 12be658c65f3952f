// Package jobs runs TrustCred's background work on River, in the same process
// as the web server by default. Workers are registered by the packages that
// own the work (email, webhooks, bulk issuance…) through Add.
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
// rescueAfter and the kind's timeout, checking every 30 seconds. Every kind
// gets jobTimeout unless its worker says otherwise (Timeout); the bulk
// issuance job works in runs of bulkBudget under bulkTimeout, so a batch
// whose server died is picked up again within rescueAfter + 30 s + a few
// seconds (under a minute), while a run that is still alive somewhere is
// never rescued (its context ends at bulkTimeout, before rescueAfter).
const (
	jobTimeout  = 5 * time.Minute
	bulkTimeout = 15 * time.Second
	rescueAfter = 20 * time.Second
)

// Workers is the set of job kinds this process can run, and the periodic
// jobs it schedules.
type Workers struct {
	river    *river.Workers
	kinds    []string
	periodic []*river.PeriodicJob
}

// NewWorkers returns an empty set.
func NewWorkers() *Workers { return &Workers{river: river.NewWorkers()} }

// Add registers the worker for one job kind. Its jobs time out after
// jobTimeout unless the worker's Timeout says otherwise.
func Add[T river.JobArgs](ws *Workers, w river.Worker[T]) {
	river.AddWorker[T](ws.river, timed[T]{w})
	var args T
	ws.kinds = append(ws.kinds, args.Kind())
}

// timed gives a worker without a timeout of its own jobTimeout: the
// client's default is the shortest timeout (bulkTimeout), because River
// wants the rescue delay above it.
type timed[T river.JobArgs] struct{ river.Worker[T] }

func (w timed[T]) Timeout(j *river.Job[T]) time.Duration {
	if d := w.Worker.Timeout(j); d != 0 {
		return d
	}
	return jobTimeout
}

// Every schedules args every interval, and once when the queue starts, for
// a kind registered with Add. Only the elected leader among the processes
// schedules, and a period's job is inserted at most once, so restarts and
// several processes do not pile them up.
func (ws *Workers) Every(interval time.Duration, args river.JobArgs) {
	ws.periodic = append(ws.periodic, river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return args, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: interval}}
		},
		&river.PeriodicJobOpts{ID: args.Kind(), RunOnStart: true}))
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
		driver     riverdriver.Driver[*sql.Tx]
		maxWorkers = 10
	)
	switch db.Dialect() {
	case store.Postgres:
		driver = riverdatabasesql.New(pool)
	case store.SQLite:
		driver = riversqlite.New(pool)
		maxWorkers = 2 // one writer at a time anyway
	}
	cfg := &river.Config{
		Logger:                      log.With("component", "jobs"),
		CompletedJobRetentionPeriod: completedRetention,
		CancelledJobRetentionPeriod: cancelledRetention,
		DiscardedJobRetentionPeriod: discardedRetention,
		JobTimeout:                  bulkTimeout,
		RescueStuckJobsAfter:        rescueAfter,
		MaxAttempts:                 maxAttempts,
	}
	working := ws != nil && len(ws.kinds) > 0
	if working {
		cfg.Workers = ws.river
		cfg.PeriodicJobs = ws.periodic
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}}
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
