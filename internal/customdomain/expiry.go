package customdomain

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
)

// WarnDays are the expiry warnings of an uploaded certificate, in days
// before it expires, largest first.
var WarnDays = []int{30, 7}

// ExpiryInterval is how often the expiry warning job runs.
const ExpiryInterval = time.Hour

// CertificateExpiry is the periodic job (warn_certificate_expiry) that
// tells an organization's admins that their custom domain's uploaded
// certificate expires in 30 days, then in 7.
type CertificateExpiry struct{}

func (CertificateExpiry) Kind() string { return "warn_certificate_expiry" }

// ExpiryWorker sends the due warnings. Each warning is recorded with its
// notification in one transaction (store.Scoped.WarnCertificateExpiry), so
// running it twice, or on two servers, warns nobody twice; a certificate
// first seen with 5 days left gets only the 7-day warning.
type ExpiryWorker struct {
	river.WorkerDefaults[CertificateExpiry]
	Service *Service
}

const expiryBatch = 500

func (w *ExpiryWorker) Work(ctx context.Context, _ *river.Job[CertificateExpiry]) error {
	now := w.Service.now()
	// The smallest threshold first: its warning supersedes the larger ones.
	for i := len(WarnDays) - 1; i >= 0; i-- {
		days := WarnDays[i]
		due, err := w.Service.DB.CertificatesToWarn(ctx, now, time.Duration(days)*24*time.Hour, days, expiryBatch)
		if err != nil {
			return err
		}
		for _, d := range due {
			err := w.Service.DB.Scoped(d.OrganizationID).WarnCertificateExpiry(ctx, d.Domain, *d.TLSNotAfter, days, ExpiryNotice(d.Domain, *d.TLSNotAfter, now))
			if err != nil && !errors.Is(err, store.ErrAlreadyWarned) && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

// ExpiryNotice is the admins' notification for a certificate of domain
// expiring at notAfter, as seen at now.
func ExpiryNotice(domain string, notAfter, now time.Time) store.Notification {
	title := "The TLS certificate of " + domain
	switch left := int(notAfter.Sub(now).Hours() / 24); {
	case notAfter.Before(now):
		title += " has expired"
	case left == 0:
		title += " expires today"
	case left == 1:
		title += " expires tomorrow"
	default:
		title += " expires in " + strconv.Itoa(left) + " days"
	}
	return store.Notification{Type: store.NotifySystemAlert, Title: title,
		Message: "The certificate you uploaded for " + domain + " is valid until " + notAfter.UTC().Format("2 Jan 2006, 15:04 UTC") +
			". Upload a renewed certificate and key on the Custom domain page before then, or visitors of " + domain + " will see a security warning.",
		Metadata: datatypes.NewJSONType(store.NotificationMetadata{Link: "/settings/domain"})}
}

// RegisterExpiry registers the expiry warnings, run every ExpiryInterval
// and at start.
func RegisterExpiry(ws *jobs.Workers, s *Service) {
	jobs.Add(ws, &ExpiryWorker{Service: s})
	ws.Every(ExpiryInterval, CertificateExpiry{})
}
