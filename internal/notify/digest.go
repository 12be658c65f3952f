package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/email"
)

// DigestInterval is how often the digest job looks for users whose day has
// ended: a digest goes out within this long after the user's midnight (or
// the end of their quiet hours, if those cover midnight).
const DigestInterval = 15 * time.Minute

// NotificationDigest is the periodic job that sends the daily digest: for
// each user who takes one (users.profile email_digest), one email with the
// notifications whose email waited for it (deliveries with status digest)
// from before the start of the user's current day, in their time zone.
// Critical notifications never wait for a digest (store.Notify sends them
// on their own). The digest respects quiet hours: inside the window it
// waits for a later run. The deliveries it carried are marked sent right
// after the send, so the next run does not send them again (the same
// crash window as NotificationDelivery).
type NotificationDigest struct{}

// Kind is the River job kind.
func (NotificationDigest) Kind() string { return "notification_digest" }

// DigestWorker works NotificationDigest jobs.
type DigestWorker struct {
	river.WorkerDefaults[NotificationDigest]
	DB      *store.DB
	Mailer  mail.Mailer
	BaseURL string
	Log     *slog.Logger
	Now     func() time.Time // nil: time.Now
}

// Work sends the digests that are due.
func (w *DigestWorker) Work(ctx context.Context, _ *river.Job[NotificationDigest]) error {
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	users, err := w.DB.DigestUsers(ctx, now)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range users {
		err := w.one(ctx, id, now)
		if errors.Is(err, mail.ErrNotConfigured) {
			return nil // nothing goes out until the operator sets email up
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("digest for user %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

func (w *DigestWorker) one(ctx context.Context, userID string, now time.Time) error {
	u, err := w.DB.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	prof := u.Profile.Data()
	loc := location(prof.Timezone)
	local := now.In(loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	_, entries, err := w.DB.Digest(ctx, userID, midnight)
	if err != nil || len(entries) == 0 {
		return err
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.DeliveryID
	}
	switch {
	case u.DeactivatedAt != nil:
		return w.DB.FinishDigest(ctx, ids, store.DeliverySkipped, "the user is deactivated", now)
	case !u.EmailVerified:
		return w.DB.FinishDigest(ctx, ids, store.DeliverySkipped, "the email address is not verified", now)
	}
	if _, quiet := QuietUntil(prof, now); quiet {
		return nil // a later run, after the window
	}
	m, err := digestMessage(ctx, email.Brand{Name: "TrustCred", BaseURL: trim(w.BaseURL)}, u, entries, loc)
	if err != nil {
		return err
	}
	err = w.Mailer.Send(ctx, m)
	switch {
	case err == nil:
		w.Log.Info("notification digest sent", "user", userID, "notifications", len(entries))
		return w.DB.FinishDigest(context.WithoutCancel(ctx), ids, store.DeliverySent, "", now)
	case errors.Is(err, mail.ErrInvalidMessage):
		return w.DB.FinishDigest(context.WithoutCancel(ctx), ids, store.DeliveryFailed, err.Error(), now)
	}
	return err
}

func digestMessage(ctx context.Context, b email.Brand, u *store.User, entries []store.DigestEntry, loc *time.Location) (mail.Message, error) {
	d := email.Digest{Day: entries[len(entries)-1].Notification.SentAt.In(loc).Format("Monday 2 January 2006")}
	for _, e := range entries {
		n := e.Notification
		d.Items = append(d.Items, email.DigestItem{Title: n.Title, Message: n.Message, At: n.SentAt.In(loc),
			OpenURL: b.BaseURL + "/notifications/" + n.ID + "/open"})
	}
	var html bytes.Buffer
	if err := email.DigestHTML(b, d).Render(ctx, &html); err != nil {
		return mail.Message{}, err
	}
	subject := fmt.Sprintf("Your TrustCred notifications for %s (%d)", d.Day, len(entries))
	return mail.Message{To: recipient(u), Subject: subject, Text: email.DigestText(b, d), HTML: html.String()}, nil
}

func location(tz string) *time.Location {
	if tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			return l
		}
	}
	return time.UTC
}
