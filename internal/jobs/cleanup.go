package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/store"
)

// PurgeInterval is how often ended sessions and spent tokens are deleted.
const PurgeInterval = 15 * time.Minute

// Purge is the job that deletes sessions that expired, were revoked or sat
// idle too long, and invitation, reset and verification tokens that
// expired or were used. Neither works any more; deleting them keeps the
// tables small and stops keeping data that is not needed.
type Purge struct{}

// Kind is the River job kind.
func (Purge) Kind() string { return "purge_expired" }

// PurgeWorker works Purge jobs.
type PurgeWorker struct {
	river.WorkerDefaults[Purge]
	DB   *store.DB
	Idle time.Duration // the session idle limit (Config.SessionIdle)
	Log  *slog.Logger
	Now  func() time.Time // nil: time.Now
}

// Work deletes what has ended by now.
func (w *PurgeWorker) Work(ctx context.Context, _ *river.Job[Purge]) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	sessions, tokens, err := w.DB.PurgeExpired(ctx, now(), w.Idle)
	if err != nil {
		return err
	}
	w.Log.Info("purged ended sessions and spent tokens", "sessions", sessions, "tokens", tokens)
	return nil
}

// AddPurge registers the purge worker and schedules it every PurgeInterval
// and at start.
func AddPurge(ws *Workers, db *store.DB, idle time.Duration, log *slog.Logger) {
	Add(ws, &PurgeWorker{DB: db, Idle: idle, Log: log.With("component", "jobs")})
	ws.Every(PurgeInterval, Purge{})
}
