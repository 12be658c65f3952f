package notify

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // users' time zones, wherever the server runs

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/branding"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/sms"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/email"
)

// Timing of the email and SMS channels of notifications.
const (
	// DispatchInterval is how often deliveries waiting for their job get
	// one: the longest a notification's email or SMS waits to start.
	DispatchInterval = time.Minute
	// DeliveryWindow is how old a notification may be and still be sent
	// (quiet hours defer a send by at most a day): after an outage, or
	// while email was not configured, users do not get a flood of stale
	// messages.
	DeliveryWindow = 48 * time.Hour
	// notConfiguredRetry is when a delivery waiting for email to be set up
	// looks again.
	notConfiguredRetry = 5 * time.Minute
	dispatchBatch      = 500
	// requeueAfter is when a delivery already queued is enqueued again
	// (a no-op while its job exists, snoozed or retrying).
	requeueAfter  = time.Hour
	smsMaxMessage = 300 // characters of the notification's text in an SMS
)

// StatusCallbackPath is the public route Twilio reports a message's fate
// to (handlers.SMSStatus).
const StatusCallbackPath = "/sms/twilio/status"

// NotificationDispatch is the periodic job that gives every delivery
// waiting in notification_deliveries (status pending) its
// NotificationDelivery job, never-queued rows first (a row already queued
// is looked at again after requeueAfter). Notifications and their deliveries are created
// inside the transactions of the changes that cause them (store.Notify),
// which know nothing of the queue; this job is the bridge, at most
// DispatchInterval late. Enqueueing a delivery that already has a job does
// nothing (unique by args).
type NotificationDispatch struct{}

// Kind is the River job kind.
func (NotificationDispatch) Kind() string { return "notification_dispatch" }

// DispatchWorker works NotificationDispatch jobs.
type DispatchWorker struct {
	river.WorkerDefaults[NotificationDispatch]
	DB    *store.DB
	Queue jobs.Enqueuer    // nil: the client working the job (jobs.InWork)
	Now   func() time.Time // nil: time.Now
}

// Work enqueues a job for each pending delivery.
func (w *DispatchWorker) Work(ctx context.Context, _ *river.Job[NotificationDispatch]) error {
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	ids, err := w.DB.DeliveriesToQueue(ctx, now.Add(-requeueAfter), dispatchBatch)
	if err != nil || len(ids) == 0 {
		return err
	}
	q := w.Queue
	if q == nil {
		if q = jobs.InWork(ctx); q == nil {
			return errors.New("notify: dispatch outside a job queue")
		}
	}
	for _, id := range ids {
		if err := q.EnqueueTx(ctx, nil, NotificationDelivery{DeliveryID: id}); err != nil {
			return err
		}
	}
	return w.DB.DeliveriesQueued(ctx, ids, now)
}

// NotificationDelivery is the job that sends one notification on one
// channel (a notification_deliveries row).
//
// Idempotency: the row, unique per notification and channel, is the key.
// The job sends only while the row is pending and records the send on it
// right after (status sent): a retry, a second job for the same row, or a
// dispatch of a row already sent finds it done and sends nothing. The one
// window left is a process dying after the provider accepted the message
// and before the record committed: River retries the job (at-least-once)
// and the user gets that notification twice on that channel. Neither SMTP
// nor Twilio's Messages API lets a sender make the send itself idempotent,
// so this window cannot be closed from our side.
type NotificationDelivery struct {
	DeliveryID string `json:"delivery_id" river:"unique"`
}

// Kind is the River job kind.
func (NotificationDelivery) Kind() string { return "notification_delivery" }

// InsertOpts: one job per delivery (enqueueing it again while its job
// exists does nothing).
func (NotificationDelivery) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// DeliveryWorker works NotificationDelivery jobs.
type DeliveryWorker struct {
	river.WorkerDefaults[NotificationDelivery]
	DB      *store.DB
	Mailer  mail.Mailer
	SMS     sms.Provider
	BaseURL string
	Log     *slog.Logger
	Now     func() time.Time // nil: time.Now
	// EmailWait is when a delivery waiting for email to be set up looks
	// again (zero: notConfiguredRetry).
	EmailWait time.Duration
}

func (w *DeliveryWorker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// Work sends the delivery, unless it is done already (sent, failed or
// skipped: nothing happens), it is too old, its user is deactivated, or it
// falls inside the user's quiet hours: then the job is snoozed to the end
// of the window (deferred, not dropped). A critical notification ignores
// quiet hours. A temporary failure (mail server down, Twilio 429 or 5xx)
// returns the error, and River retries with backoff; a permanent one (an
// invalid number, a message the mailer refuses) marks the delivery failed
// with why.
func (w *DeliveryWorker) Work(ctx context.Context, j *river.Job[NotificationDelivery]) error {
	now := w.now()
	dw, err := w.DB.NotificationDelivery(ctx, j.Args.DeliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if dw.Delivery.Status != store.DeliveryPending {
		return nil
	}
	skip := func(why string) error { return w.finish(ctx, dw, store.DeliverySkipped, why) }
	switch {
	case dw.User.DeactivatedAt != nil:
		return skip("the user is deactivated")
	case now.Sub(dw.Notification.SentAt) > DeliveryWindow:
		return skip("too old to send")
	}
	prof := dw.User.Profile.Data()
	if !dw.Notification.Critical {
		if until, ok := QuietUntil(prof, now); ok {
			return river.JobSnooze(until.Sub(now))
		}
	}
	last := j.JobRow != nil && j.Attempt >= j.MaxAttempts
	switch dw.Delivery.Channel {
	case store.ChannelEmail:
		return w.email(ctx, dw, last)
	case store.ChannelSMS:
		return w.sms(ctx, dw, prof.Phone, last)
	}
	return skip("unknown channel")
}

func (w *DeliveryWorker) finish(ctx context.Context, dw *store.DeliveryWork, status store.DeliveryStatus, why string) error {
	err := w.DB.FinishDelivery(context.WithoutCancel(ctx), dw.Delivery.ID, status, why, w.now())
	if errors.Is(err, store.ErrDeliveryDone) {
		return nil
	}
	return err
}

// retry records a temporary failure and returns it for River to retry; on
// the last attempt the delivery is marked failed instead.
func (w *DeliveryWorker) retry(ctx context.Context, dw *store.DeliveryWork, last bool, err error) error {
	if last {
		w.Log.Error("notification delivery failed on its last attempt", "delivery", dw.Delivery.ID, "channel", dw.Delivery.Channel, "error", err)
		return w.finish(ctx, dw, store.DeliveryFailed, err.Error())
	}
	if rerr := w.DB.DeliveryAttemptFailed(context.WithoutCancel(ctx), dw.Delivery.ID, err.Error()); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

func (w *DeliveryWorker) email(ctx context.Context, dw *store.DeliveryWork, last bool) error {
	if !dw.User.EmailVerified {
		return w.finish(ctx, dw, store.DeliverySkipped, "the email address is not verified")
	}
	b := brand(ctx, w.DB, w.BaseURL, dw.Notification.Metadata.Data().OrganizationID)
	m, err := notificationMessage(ctx, b, &dw.User, &dw.Notification)
	if err != nil {
		return err
	}
	err = w.Mailer.Send(ctx, m)
	switch {
	case err == nil:
		return w.finish(ctx, dw, store.DeliverySent, "")
	case errors.Is(err, mail.ErrNotConfigured):
		// The operator has not set up email (serve warned once at start):
		// wait for it quietly.
		return river.JobSnooze(cmp.Or(w.EmailWait, notConfiguredRetry))
	case errors.Is(err, mail.ErrInvalidMessage):
		w.Log.Error("notification email refused; not retried", "delivery", dw.Delivery.ID, "error", err)
		return w.finish(ctx, dw, store.DeliveryFailed, err.Error())
	}
	return w.retry(ctx, dw, last, err)
}

func (w *DeliveryWorker) sms(ctx context.Context, dw *store.DeliveryWork, phone string, last bool) error {
	if phone == "" {
		return w.finish(ctx, dw, store.DeliverySkipped, "no phone number")
	}
	provider := w.SMS
	if provider == nil {
		provider = sms.Unconfigured{}
	}
	body := smsText(&dw.Notification, strings.TrimRight(w.BaseURL, "/"))
	res, err := provider.Send(ctx, sms.Message{To: phone, Body: body, StatusCallback: strings.TrimRight(w.BaseURL, "/") + StatusCallbackPath})
	name := provider.Name()
	row := &store.SMSDelivery{UserID: dw.User.ID, PhoneNumber: phone, Message: body, Provider: &name, NotificationID: &dw.Notification.ID}
	now := w.now().UTC()
	switch {
	case err == nil:
		row.Status, row.ProviderMessageID, row.SentAt = store.SMSSent, &res.ID, &now
	case errors.Is(err, sms.ErrNotConfigured):
		return w.finish(ctx, dw, store.DeliverySkipped, "SMS is not configured")
	case sms.Permanent(err):
		why := err.Error()
		var e *sms.Error
		if errors.As(err, &e) {
			why = fmt.Sprintf("%s (code %d)", e.Message, e.Code)
		}
		row.Status, row.ErrorMessage = store.SMSFailed, &why
		w.Log.Warn("SMS refused by the provider; not retried", "delivery", dw.Delivery.ID, "error", why)
	default:
		return w.retry(ctx, dw, last, err)
	}
	err = w.DB.RecordSMS(context.WithoutCancel(ctx), dw.Delivery.ID, row, now)
	if errors.Is(err, store.ErrDeliveryDone) {
		return nil
	}
	return err
}

// smsText is a notification as a text message: title, text (shortened),
// link.
func smsText(n *store.Notification, base string) string {
	msg := n.Message
	if r := []rune(msg); len(r) > smsMaxMessage {
		msg = string(r[:smsMaxMessage-1]) + "…"
	}
	prefix := "TrustCred: "
	if n.Critical {
		prefix = "TrustCred security alert: "
	}
	return prefix + n.Title + "\n" + msg + "\n" + base + "/notifications/" + n.ID + "/open"
}

// brand is who a notification's email comes from: the organization it is
// about (its name, logo and saved look), else TrustCred.
func brand(ctx context.Context, db *store.DB, baseURL, orgID string) email.Brand {
	if orgID == "" || db == nil {
		return OrgBrand(baseURL, nil, nil)
	}
	o, err := db.OrganizationByID(ctx, orgID)
	if err != nil {
		return OrgBrand(baseURL, nil, nil)
	}
	// Its look's colours and font, as its public pages apply them; without them (none
	// saved, or unreadable now) the email keeps TrustCred's.
	if b, err := db.Scoped(orgID).Branding(ctx); err == nil && b.ID != "" {
		look := b.Look()
		return OrgBrand(baseURL, o, &look)
	}
	return OrgBrand(baseURL, o, nil)
}

// OrgBrand is the email Brand of an organization (nil: TrustCred) in a look (nil:
// TrustCred's colours and font): its name, its logo, and the look's colours and
// display font as its public pages apply them (Palette.Applied, FontStack). The
// branding editor's email preview passes the look being typed.
func OrgBrand(baseURL string, o *store.Organization, look *store.BrandingLook) email.Brand {
	b := email.Brand{Name: "TrustCred", BaseURL: strings.TrimRight(baseURL, "/")}
	if o == nil {
		return b
	}
	b.Name = o.Name
	if o.LogoKey != nil && *o.LogoKey != "" {
		b.LogoURL = b.BaseURL + "/orgs/" + o.Slug + "/logo"
	}
	if look != nil {
		p := look.Palette()
		b.Font = branding.FontStack(p.Font)
		if c, ok := p.Applied(branding.Primary); ok {
			b.Primary = c.Hex()
		}
		if c, ok := p.Applied(branding.Secondary); ok {
			b.Secondary = c.Hex()
		}
	}
	return b
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

var oneLine = strings.NewReplacer("\r", " ", "\n", " ").Replace

// notificationMessage is one notification's email, HTML and text, through
// the base email layout.
func notificationMessage(ctx context.Context, b email.Brand, u *store.User, n *store.Notification) (mail.Message, error) {
	v := email.Notification{Title: n.Title, Message: n.Message, Critical: n.Critical,
		OpenURL: b.BaseURL + "/notifications/" + n.ID + "/open"}
	var html bytes.Buffer
	if err := email.NotificationHTML(b, v).Render(ctx, &html); err != nil {
		return mail.Message{}, err
	}
	subject := b.Name + ": " + n.Title
	if n.Critical {
		subject = "Security alert: " + n.Title
	}
	return mail.Message{To: recipient(u), Subject: oneLine(subject), Text: email.NotificationText(b, v), HTML: html.String()}, nil
}

func recipient(u *store.User) string {
	return (&netmail.Address{Name: oneLine(strings.TrimSpace(u.Profile.Data().DisplayName)), Address: u.Email}).String()
}

// QuietUntil reports whether now falls inside the user's quiet hours and,
// if so, when they end. The window is QuietStart to QuietEnd ("HH:MM") in
// the user's time zone (UTC when unset or unknown); it spans midnight when
// the end is earlier than the start. No window, or a malformed one: never
// quiet.
func QuietUntil(p store.UserProfile, now time.Time) (time.Time, bool) {
	start, ok1 := ClockMinutes(p.QuietStart)
	end, ok2 := ClockMinutes(p.QuietEnd)
	if !ok1 || !ok2 || start == end {
		return time.Time{}, false
	}
	loc := time.UTC
	if p.Timezone != "" {
		if l, err := time.LoadLocation(p.Timezone); err == nil {
			loc = l
		}
	}
	local := now.In(loc)
	m := local.Hour()*60 + local.Minute()
	at := func(dayOffset int) time.Time {
		return time.Date(local.Year(), local.Month(), local.Day()+dayOffset, end/60, end%60, 0, 0, loc)
	}
	switch {
	case start < end && m >= start && m < end:
		return at(0), true
	case start > end && m >= start:
		return at(1), true
	case start > end && m < end:
		return at(0), true
	}
	return time.Time{}, false
}

// ClockMinutes parses "HH:MM" (24-hour) into minutes after midnight.
func ClockMinutes(s string) (int, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, false
	}
	return hh*60 + mm, true
}

// ValidTimezone reports whether name is a time zone QuietUntil knows: an
// IANA name such as Europe/Paris, or "" (UTC). "Local" is refused: the
// server's zone means nothing to the user.
func ValidTimezone(name string) bool {
	if name == "" {
		return true
	}
	if name == "Local" || len(name) > 64 {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}
