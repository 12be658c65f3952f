package customdomain

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
)

// RecheckInterval is how often the job runs; RecheckAfter is how old a
// domain's last check must be for the job to check it again.
const (
	RecheckInterval = 15 * time.Minute
	RecheckAfter    = time.Hour
)

// Recheck is the periodic job (recheck_custom_domains) that checks every
// domain again: a new domain gets verified without anyone pressing
// "Check now", and a domain whose record was removed stops being served.
type Recheck struct{}

func (Recheck) Kind() string { return "recheck_custom_domains" }

// RecheckWorker checks the domains not checked for RecheckAfter, a batch
// at a time. Running it twice checks nothing twice (a check moves the
// domain out of the queue), and a domain changed meanwhile is skipped.
type RecheckWorker struct {
	river.WorkerDefaults[Recheck]
	Service *Service
}

// recheckBatch bounds one run's lookups.
const recheckBatch = 200

func (w *RecheckWorker) Work(ctx context.Context, _ *river.Job[Recheck]) error {
	due, err := w.Service.DB.CustomDomainsToCheck(ctx, w.Service.now().Add(-RecheckAfter), recheckBatch)
	if err != nil {
		return err
	}
	for _, d := range due {
		_, err := w.Service.Check(ctx, w.Service.DB.Scoped(d.OrganizationID), d.Domain, store.Actor{})
		if err != nil && !errors.Is(err, store.ErrDomainChanged) && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// Register registers the re-check, run every RecheckInterval and at start.
func Register(ws *jobs.Workers, s *Service) {
	jobs.Add(ws, &RecheckWorker{Service: s})
	ws.Every(RecheckInterval, Recheck{})
}
