// Package notify sends TrustCred's emails to people: the email channel of
// notifications (the in-app ones are stored by store.Notify inside the
// transactions that cause them) and recipients' links to their new
// credentials. Each is a job of its own kind on the queue (internal/jobs);
// internal/mail is the transport.
package notify

import (
	"log/slog"

	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/store"
)

// Register registers the email workers: the notification emails, scheduled
// every NotificationEmailInterval and at start, and the credential emails,
// enqueued by whoever issues a credential (EnqueueCredentialEmail).
func Register(ws *jobs.Workers, db *store.DB, mailer mail.Mailer, baseURL string, log *slog.Logger) {
	log = log.With("component", "jobs")
	jobs.Add(ws, &NotificationEmailWorker{DB: db, Mailer: mailer, BaseURL: baseURL, Log: log})
	ws.Every(NotificationEmailInterval, NotificationEmail{})
	jobs.Add(ws, &CredentialEmailWorker{DB: db, Mailer: mailer, BaseURL: baseURL, Log: log})
}
