// Package notify sends TrustCred's messages to people: the email and SMS
// channels of notifications (the in-app ones, and the delivery rows of the
// other channels, are stored by store.Notify inside the transactions that
// cause them), the daily email digest, and recipients' links to their new
// credentials. Each is a job of its own kind on the queue (internal/jobs);
// internal/mail and internal/sms are the transports, views/email the
// emails' one base layout.
package notify

import (
	"log/slog"
	"strings"
	"time"

	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/sms"
	"github.com/trustcred/trustcred/store"
)

// Deps are what the workers send with.
type Deps struct {
	DB      *store.DB
	Mailer  mail.Mailer
	SMS     sms.Provider // nil: sms.Unconfigured
	BaseURL string
	Log     *slog.Logger
	// EmailWait is how long a delivery waits before it looks again
	// whether email has been set up (zero: five minutes); tests shorten it.
	EmailWait time.Duration
}

// Register registers the workers: the dispatch of notification deliveries
// (every DispatchInterval and at start), the deliveries themselves, the
// daily digest (every DigestInterval), and the credential emails, enqueued
// by whoever issues a credential (EnqueueCredentialEmail).
func Register(ws *jobs.Workers, d Deps) {
	log := d.Log.With("component", "jobs")
	if d.SMS == nil {
		d.SMS = sms.Unconfigured{}
	}
	jobs.Add(ws, &DispatchWorker{DB: d.DB})
	ws.Every(DispatchInterval, NotificationDispatch{})
	jobs.Add(ws, &DeliveryWorker{DB: d.DB, Mailer: d.Mailer, SMS: d.SMS, BaseURL: d.BaseURL, Log: log, EmailWait: d.EmailWait})
	jobs.Add(ws, &DigestWorker{DB: d.DB, Mailer: d.Mailer, BaseURL: d.BaseURL, Log: log})
	ws.Every(DigestInterval, NotificationDigest{})
	jobs.Add(ws, &CredentialEmailWorker{DB: d.DB, Mailer: d.Mailer, BaseURL: d.BaseURL, Log: log})
}

func trim(base string) string { return strings.TrimRight(base, "/") }
