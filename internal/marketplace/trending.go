package marketplace

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
)

// TrendingInterval is how often the catalogue's trending counts are
// refreshed: the trending order lags new adoptions by at most this.
const TrendingInterval = 15 * time.Minute

// trendingSettle is how far behind the clock a refresh's window ends, so
// that an adoption committing while it runs is counted by the next one
// rather than missed.
const trendingSettle = time.Minute

// Trending is the periodic job (marketplace_trending) that recounts each
// listing's adoptions of the last 30 days.
type Trending struct{}

func (Trending) Kind() string { return "marketplace_trending" }

// TrendingWorker runs store.RefreshMarketplaceTrending for the window
// ending trendingSettle ago; running it twice changes nothing more.
type TrendingWorker struct {
	river.WorkerDefaults[Trending]
	DB  *store.DB
	Log *slog.Logger
	Now func() time.Time // nil: time.Now
}

func (w *TrendingWorker) Work(ctx context.Context, _ *river.Job[Trending]) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	n, err := w.DB.RefreshMarketplaceTrending(ctx, now().Add(-trendingSettle))
	if err != nil {
		return err
	}
	if n > 0 {
		w.Log.Info("refreshed marketplace trending counts", "changed", n)
	}
	return nil
}

// RegisterTrending registers the trending job, run every TrendingInterval
// and at start.
func RegisterTrending(ws *jobs.Workers, db *store.DB, log *slog.Logger) {
	jobs.Add(ws, &TrendingWorker{DB: db, Log: log.With("component", "jobs")})
	ws.Every(TrendingInterval, Trending{})
}
