package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/store"
)

// Timing of the email channel of notifications.
const (
	// NotificationEmailInterval is how often pending notification emails
	// are sent: the longest an email waits after its notification.
	NotificationEmailInterval = time.Minute
	// NotificationEmailWindow is how old a notification may be and still be
	// emailed: after an outage (or while email was not configured) users do
	// not get a flood of stale emails.
	NotificationEmailWindow = 24 * time.Hour
	notificationEmailBatch  = 100
	notificationEmailRun    = 10 // batches per run at most
	notificationEmailGiveUp = 5  // failures in a row that end a run (the mail server is down)
)

// NotificationEmail is the periodic job that emails notifications to the
// users whose preference for the type has email on.
//
// Notifications are created inside the transactions of the changes that
// cause them (store.Notify), which know nothing of the queue; so rather
// than a job per notification, this job finds the notifications of the
// last NotificationEmailWindow not emailed yet (notifications.emailed_at).
// Each is claimed (emailed_at set) before it is sent, so two runs never
// send one twice; a failed send releases the claim for the next run. A
// message the mailer refuses as invalid stays claimed: trying again would
// not help.
type NotificationEmail struct{}

// Kind is the River job kind.
func (NotificationEmail) Kind() string { return "notification_email" }

// NotificationEmailWorker works NotificationEmail jobs.
type NotificationEmailWorker struct {
	river.WorkerDefaults[NotificationEmail]
	DB      *store.DB
	Mailer  mail.Mailer
	BaseURL string // links in the email
	Log     *slog.Logger
	Now     func() time.Time // nil: time.Now
}

// Work sends the pending emails, up to notificationEmailRun batches.
func (w *NotificationEmailWorker) Work(ctx context.Context, _ *river.Job[NotificationEmail]) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	sent, failed, inARow := 0, 0, 0
	var errs []error
	for range notificationEmailRun {
		batch, err := w.DB.PendingNotificationEmails(ctx, now().Add(-NotificationEmailWindow), notificationEmailBatch)
		if err != nil {
			return err
		}
		for _, n := range batch {
			ok, err := w.DB.ClaimNotificationEmail(ctx, n.ID, now())
			if err != nil {
				return err
			}
			if !ok {
				continue // another run has it
			}
			err = w.Mailer.Send(ctx, w.message(n))
			switch {
			case err == nil:
				sent, inARow = sent+1, 0
				continue
			case errors.Is(err, mail.ErrInvalidMessage):
				w.Log.Error("notification email refused; not retried", "notification", n.ID, "error", err)
				failed++
				continue
			}
			failed++
			if rerr := w.DB.ReleaseNotificationEmail(context.WithoutCancel(ctx), n.ID); rerr != nil {
				return errors.Join(err, rerr)
			}
			if errors.Is(err, mail.ErrNotConfigured) {
				// The operator has not set up email: nothing will go out
				// until they do, so wait for the next run quietly (serve
				// warned once at start, mail.FromConfig).
				w.Log.Debug("notification emails waiting: email is not configured", "pending", len(batch))
				return nil
			}
			errs = append(errs, fmt.Errorf("notification %s: %w", n.ID, err))
			if inARow++; inARow >= notificationEmailGiveUp || ctx.Err() != nil {
				break
			}
		}
		// A short batch was the last; after failures, the rest waits for
		// the next run (the failed ones would come back first).
		if len(batch) < notificationEmailBatch || failed > 0 {
			break
		}
	}
	if sent > 0 || failed > 0 {
		w.Log.Info("notification emails", "sent", sent, "failed", failed)
	}
	return errors.Join(errs...)
}

// message is the email for one notification: its title and text, and
// links to open it and to change the preferences.
func (w *NotificationEmailWorker) message(n store.NotificationEmail) mail.Message {
	to := (&netmail.Address{Name: n.DisplayName, Address: n.Email}).String()
	oneLine := strings.NewReplacer("\r", " ", "\n", " ").Replace
	base := strings.TrimRight(w.BaseURL, "/")
	var b strings.Builder
	b.WriteString(n.Title)
	b.WriteString("\n\n")
	b.WriteString(n.Message)
	b.WriteString("\n\nOpen it in TrustCred: ")
	b.WriteString(base + "/notifications/" + n.ID + "/open")
	b.WriteString("\n\n-- \nYou get this email because your notification preferences have email on for this kind of notification.\n")
	b.WriteString("Change them: " + base + "/notifications/preferences\n")
	return mail.Message{To: to, Subject: "TrustCred: " + oneLine(n.Title), Text: b.String()}
}
