package issuance

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/jobs"
)

// ExpireInterval is how often credentials past their expiry are marked
// expired (verification checks validUntil itself; this keeps lists and
// filters right).
const ExpireInterval = 10 * time.Minute

// Expire is the periodic job (expire_credentials) that marks expired
// credentials.
type Expire struct{}

func (Expire) Kind() string { return "expire_credentials" }

// ExpireWorker marks active credentials past their expiry as expired
// (Issuer.ExpireDue: with their credential.expired events).
type ExpireWorker struct {
	river.WorkerDefaults[Expire]
	Issuer *Issuer
	Log    *slog.Logger
	Now    func() time.Time // nil: time.Now
}

func (w *ExpireWorker) Work(ctx context.Context, _ *river.Job[Expire]) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	total := 0
	for {
		n, err := w.Issuer.ExpireDue(ctx, now(), 1000)
		if err != nil {
			return err
		}
		total += n
		if n < 1000 {
			break
		}
	}
	if total > 0 {
		w.Log.Info("marked expired credentials", "count", total)
	}
	return nil
}

// RegisterExpire registers the expiry job, run every ExpireInterval and at
// start.
func RegisterExpire(ws *jobs.Workers, is *Issuer, log *slog.Logger) {
	jobs.Add(ws, &ExpireWorker{Issuer: is, Log: log.With("component", "jobs")})
	ws.Every(ExpireInterval, Expire{})
}
