package notify

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/mailtest"
	"github.com/trustcred/trustcred/internal/sms"
	"github.com/trustcred/trustcred/internal/sms/smstest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(mailtest.Main(m)) }

// fakeMailer records messages, or fails with err.
type fakeMailer struct {
	mu   sync.Mutex
	sent []mail.Message
	err  error
}

func (m *fakeMailer) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	if err := msg.Validate(); err != nil {
		return err
	}
	m.sent = append(m.sent, msg)
	return nil
}

func (m *fakeMailer) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sent)
}

// fixture is a user, the workers, and a clock.
type fixture struct {
	t      *testing.T
	db     *store.DB
	user   *store.User
	now    time.Time
	mailer mail.Mailer
	sms    *smstest.Server
	w      *DeliveryWorker
}

// The clock of these tests: a Tuesday, 10:00 UTC.
var t0 = time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, db *store.DB, mailer mail.Mailer, profile store.UserProfile, prefs ...store.NotificationPreference) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db, now: t0, mailer: mailer, sms: smstest.Start(t)}
	addr := "ada-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + "@example.org"
	if len(addr) > 60 {
		addr = addr[len(addr)-60:]
	}
	if a, ok := mailer.(interface{ addr() string }); ok {
		addr = a.addr()
	}
	f.user = &store.User{Email: addr, Role: store.RoleRecipient, EmailVerified: true,
		Profile: datatypes.NewJSONType(profile)}
	if err := db.Seed(context.Background(), func(create func(any) error) error {
		if err := create(f.user); err != nil {
			return err
		}
		for _, p := range prefs {
			p.UserID = f.user.ID
			if err := create(&p); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f.w = &DeliveryWorker{DB: db, Mailer: mailer, BaseURL: "https://tc.example/", Log: storetest.Logger(t),
		SMS: &sms.Twilio{AccountSID: smstest.AccountSID, AuthToken: smstest.AuthToken, From: smstest.From, BaseURL: f.sms.URL},
		Now: func() time.Time { return f.now }}
	return f
}

// notify creates a notification for the user at t0 and returns its deliveries.
func (f *fixture) notify(typ store.NotificationType, title string, critical bool) (store.Notification, []store.NotificationDelivery) {
	f.t.Helper()
	ctx := context.Background()
	n := store.Notification{Type: typ, Title: title, Message: "Something happened.\nSecond line.", Critical: critical, SentAt: t0}
	if _, err := f.db.Notify(ctx, []string{f.user.ID}, n); err != nil {
		f.t.Fatal(err)
	}
	var id string
	err := f.db.SQL().QueryRow(storetest.Rebind(f.db.Dialect(), "SELECT id FROM notifications WHERE user_id = ? AND title = ?"), f.user.ID, title).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return n, nil // every channel off
	}
	if err != nil {
		f.t.Fatal(err)
	}
	ds, err := f.db.NotificationDeliveries(ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	n.ID = id
	return n, ds
}

// work runs the delivery job once, as River's attempt number attempt.
func (f *fixture) work(d store.NotificationDelivery, attempt int) error {
	return f.w.Work(context.Background(), &river.Job[NotificationDelivery]{
		JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: 10}, Args: NotificationDelivery{DeliveryID: d.ID}})
}

func (f *fixture) delivery(id string) store.NotificationDelivery {
	f.t.Helper()
	dw, err := f.db.NotificationDelivery(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return dw.Delivery
}

func channels(ds []store.NotificationDelivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, string(d.Channel)+":"+string(d.Status))
	}
	return out
}

// A notification's email is rendered (HTML through the base layout, and
// text) and delivered to a real SMTP server once: running its job again,
// as River does on a retry, sends nothing more.
func TestEmailDelivered(t *testing.T) {
	srv := mailtest.Start(t)
	mailer, err := mail.NewSMTP(srv.SMTPURL())
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		to := mailtest.Address(t)
		f := newFixture(t, db, addrMailer{mailer, to}, store.UserProfile{DisplayName: "Ada Lovelace"})
		n, ds := f.notify(store.NotifyCredentialRevoked, "Credential revoked", false)
		if got := channels(ds); !slices.Equal(got, []string{"email:pending"}) {
			t.Fatalf("deliveries %v", got)
		}
		if err := f.work(ds[0], 1); err != nil {
			t.Fatal(err)
		}
		msg := srv.WaitFor(t, to, 10*time.Second)
		open := "https://tc.example/notifications/" + n.ID + "/open"
		if msg.Subject != "TrustCred: Credential revoked" || msg.FromName == "x" {
			t.Fatalf("subject %q", msg.Subject)
		}
		for _, want := range []string{`data-email="header"`, `data-email="footer"`, "Credential revoked", "Something happened.",
			`href="` + open + `"`, `href="https://tc.example/notifications/preferences"`} {
			if !strings.Contains(msg.HTML, want) {
				t.Fatalf("HTML lacks %q:\n%s", want, msg.HTML)
			}
		}
		for _, want := range []string{"Credential revoked\n\nSomething happened.\nSecond line.", "Open it in TrustCred: " + open,
			"Change your notification preferences: https://tc.example/notifications/preferences"} {
			if !strings.Contains(strings.ReplaceAll(msg.Text, "\r\n", "\n"), want) {
				t.Fatalf("text lacks %q:\n%s", want, msg.Text)
			}
		}
		if d := f.delivery(ds[0].ID); d.Status != store.DeliverySent || d.SentAt == nil {
			t.Fatalf("delivery %+v", d)
		}
		// The job again (a retry, or a second job for the same row): no second email.
		for attempt := 2; attempt <= 3; attempt++ {
			if err := f.work(ds[0], attempt); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(300 * time.Millisecond)
		if got := srv.Messages(t, to); len(got) != 1 {
			t.Fatalf("%d emails after the retries, want 1", len(got))
		}
	})
}

// addrMailer gives the fixture's user the address a test's mailpit
// messages are filtered by.
type addrMailer struct {
	mail.Mailer
	to string
}

func (a addrMailer) addr() string { return a.to }

// A failing mail server: the attempt is recorded and the error returned
// for River to retry; the retry sends it. A message the mailer refuses is
// failed for good; on the last attempt a temporary failure fails too.
func TestEmailRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := &fakeMailer{err: errors.New("connection refused")}
		f := newFixture(t, db, m, store.UserProfile{})
		_, ds := f.notify(store.NotifySystemAlert, "Down", false)
		if err := f.work(ds[0], 1); err == nil {
			t.Fatal("a failed send was not returned for a retry")
		}
		if d := f.delivery(ds[0].ID); d.Status != store.DeliveryPending || d.Attempts != 1 || d.ErrorMessage == nil {
			t.Fatalf("after a failure: %+v", d)
		}
		m.err = nil
		if err := f.work(ds[0], 2); err != nil || m.count() != 1 {
			t.Fatalf("retry: %d sent, %v", m.count(), err)
		}
		// Email not configured: snoozed, not failed.
		_, ds = f.notify(store.NotifySystemAlert, "Unconfigured", false)
		m.err = mail.ErrNotConfigured
		var snooze *river.JobSnoozeError
		if err := f.work(ds[0], 1); !errors.As(err, &snooze) {
			t.Fatalf("email not configured: %v, want a snooze", err)
		}
		m.err = mail.ErrInvalidMessage
		if err := f.work(ds[0], 1); err != nil || f.delivery(ds[0].ID).Status != store.DeliveryFailed {
			t.Fatalf("refused: %v %s", err, f.delivery(ds[0].ID).Status)
		}
		_, ds = f.notify(store.NotifySystemAlert, "Last", false)
		m.err = errors.New("timeout")
		if err := f.work(ds[0], 10); err != nil || f.delivery(ds[0].ID).Status != store.DeliveryFailed {
			t.Fatalf("last attempt: %v %s", err, f.delivery(ds[0].ID).Status)
		}
		// Too old: skipped.
		m.err = nil
		_, ds = f.notify(store.NotifySystemAlert, "Old", false)
		f.now = t0.Add(DeliveryWindow + time.Minute)
		if err := f.work(ds[0], 1); err != nil || f.delivery(ds[0].ID).Status != store.DeliverySkipped || m.count() != 1 {
			t.Fatalf("old: %v %s", err, f.delivery(ds[0].ID).Status)
		}
	})
}

// Preferences decide the channels: off means no delivery on that channel;
// SMS needs a phone number too.
func TestPreferencesChooseChannels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := &fakeMailer{}
		f := newFixture(t, db, m, store.UserProfile{Phone: "+14155550123"},
			store.NotificationPreference{NotificationType: store.NotifyCredentialIssued, InAppEnabled: true},
			store.NotificationPreference{NotificationType: store.NotifyCredentialRevoked, InAppEnabled: true, SMSEnabled: true},
			store.NotificationPreference{NotificationType: store.NotifyApprovalDecided, EmailEnabled: true, SMSEnabled: true})
		if _, ds := f.notify(store.NotifyCredentialIssued, "In app only", false); len(ds) != 0 {
			t.Fatalf("email off: deliveries %v", channels(ds))
		}
		if _, ds := f.notify(store.NotifyCredentialRevoked, "SMS only", false); !slices.Equal(channels(ds), []string{"sms:pending"}) {
			t.Fatalf("sms only: %v", channels(ds))
		}
		if _, ds := f.notify(store.NotifyApprovalDecided, "Both", false); !slices.Equal(channels(ds), []string{"email:pending", "sms:pending"}) {
			t.Fatalf("both: %v", channels(ds))
		}
		// No preference row: in-app and email.
		if _, ds := f.notify(store.NotifySystemAlert, "Default", false); !slices.Equal(channels(ds), []string{"email:pending"}) {
			t.Fatalf("default: %v", channels(ds))
		}
	})
}

// SMS go to Twilio (the local server that speaks its protocol) with the
// account's basic auth and the form fields; the send is recorded in
// sms_deliveries with Twilio's SID. An invalid number fails with Twilio's
// message; 429 and 5xx are retried.
func TestSMSDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, &fakeMailer{}, store.UserProfile{Phone: "+14155550123"},
			store.NotificationPreference{NotificationType: store.NotifyCredentialRevoked, SMSEnabled: true})
		n, ds := f.notify(store.NotifyCredentialRevoked, "Credential revoked", false)
		if err := f.work(ds[0], 1); err != nil {
			t.Fatal(err)
		}
		got := f.sms.Messages()
		if len(got) != 1 || got[0].To != "+14155550123" || got[0].From != smstest.From ||
			got[0].StatusCallback != "https://tc.example"+StatusCallbackPath ||
			!strings.HasPrefix(got[0].Body, "TrustCred: Credential revoked\nSomething happened.") ||
			!strings.HasSuffix(got[0].Body, "https://tc.example/notifications/"+n.ID+"/open") {
			t.Fatalf("Twilio got %+v", got)
		}
		row, err := db.SMSByProviderID(ctx, "twilio", got[0].SID)
		if err != nil || row.Status != store.SMSSent || row.NotificationID == nil || *row.NotificationID != n.ID || row.SentAt == nil {
			t.Fatalf("sms_deliveries %+v %v", row, err)
		}
		if err := f.work(ds[0], 2); err != nil || len(f.sms.Messages()) != 1 {
			t.Fatalf("retry sent again: %d, %v", len(f.sms.Messages()), err)
		}

		// 429 then 503: retried, then sent.
		_, ds = f.notify(store.NotifyCredentialRevoked, "Busy", false)
		f.sms.FailNext(429, 503)
		for attempt := 1; attempt <= 2; attempt++ {
			if err := f.work(ds[0], attempt); err == nil {
				t.Fatalf("attempt %d: the provider's refusal was not returned for a retry", attempt)
			}
		}
		if d := f.delivery(ds[0].ID); d.Status != store.DeliveryPending || d.Attempts != 2 {
			t.Fatalf("after 429 and 503: %+v", d)
		}
		if err := f.work(ds[0], 3); err != nil || len(f.sms.Messages()) != 2 {
			t.Fatalf("third attempt: %d sent, %v", len(f.sms.Messages()), err)
		}

		// An invalid number: failed, with Twilio's words, not retried.
		if err := db.Account(f.user.ID).SetPhone(ctx, smstest.InvalidNumber); err != nil {
			t.Fatal(err)
		}
		n, ds = f.notify(store.NotifyCredentialRevoked, "Invalid", false)
		if err := f.work(ds[0], 1); err != nil {
			t.Fatalf("a permanent refusal is not a job failure: %v", err)
		}
		d := f.delivery(ds[0].ID)
		if d.Status != store.DeliveryFailed || d.ErrorMessage == nil || !strings.Contains(*d.ErrorMessage, "is not a valid phone number") ||
			!strings.Contains(*d.ErrorMessage, "21211") {
			t.Fatalf("invalid number: %+v %v", d, d.ErrorMessage)
		}
		var status, msg string
		if err := db.SQL().QueryRow(storetest.Rebind(db.Dialect(), "SELECT status, error_message FROM sms_deliveries WHERE notification_id = ?"), n.ID).Scan(&status, &msg); err != nil ||
			status != "failed" || !strings.Contains(msg, "not a valid phone number") {
			t.Fatalf("sms_deliveries: %s %q %v", status, msg, err)
		}
		// sent, 429, 503, sent, invalid: the retry of a sent one asked nothing.
		if reqs := f.sms.Requests(); reqs != 5 {
			t.Fatalf("%d requests to Twilio, want 5", reqs)
		}
	})
}

// Inside quiet hours, email and SMS are deferred to the end of the window
// (the job snoozes), then sent; critical messages go at once.
func TestQuietHours(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := &fakeMailer{}
		// 10:00 UTC is 11:00 in Paris: inside 09:30–12:15.
		f := newFixture(t, db, m, store.UserProfile{Timezone: "Europe/Paris", QuietStart: "09:30", QuietEnd: "12:15"})
		_, ds := f.notify(store.NotifySystemAlert, "Quiet", false)
		var snooze *river.JobSnoozeError
		if err := f.work(ds[0], 1); !errors.As(err, &snooze) || snooze.Duration != 75*time.Minute {
			t.Fatalf("inside the window: %v, want a snooze of 1h15m", err)
		}
		if m.count() != 0 || f.delivery(ds[0].ID).Status != store.DeliveryPending {
			t.Fatal("sent inside quiet hours")
		}
		_, crit := f.notify(store.NotifySystemAlert, "New sign-in", true)
		if err := f.work(crit[0], 1); err != nil || m.count() != 1 || !strings.HasPrefix(m.sent[0].Subject, "Security alert:") {
			t.Fatalf("critical inside quiet hours: %d sent, %v", m.count(), err)
		}
		f.now = t0.Add(75 * time.Minute)
		if err := f.work(ds[0], 1); err != nil || m.count() != 2 {
			t.Fatalf("after the window: %d sent, %v", m.count(), err)
		}
	})
}

func TestQuietUntil(t *testing.T) {
	p := store.UserProfile{Timezone: "America/New_York", QuietStart: "22:00", QuietEnd: "07:00"}
	ny, _ := time.LoadLocation("America/New_York")
	for _, c := range []struct {
		at    time.Time
		quiet bool
		until time.Time
	}{
		{time.Date(2026, 3, 1, 21, 59, 0, 0, ny), false, time.Time{}},
		{time.Date(2026, 3, 1, 22, 0, 0, 0, ny), true, time.Date(2026, 3, 2, 7, 0, 0, 0, ny)},
		{time.Date(2026, 3, 2, 6, 59, 0, 0, ny), true, time.Date(2026, 3, 2, 7, 0, 0, 0, ny)},
		{time.Date(2026, 3, 2, 7, 0, 0, 0, ny), false, time.Time{}},
		// The night the clocks go forward: still 07:00 local.
		{time.Date(2026, 3, 7, 23, 0, 0, 0, ny), true, time.Date(2026, 3, 8, 7, 0, 0, 0, ny)},
	} {
		until, quiet := QuietUntil(p, c.at.UTC())
		if quiet != c.quiet || !until.Equal(c.until) {
			t.Errorf("%v: %v %v, want %v %v", c.at, quiet, until, c.quiet, c.until)
		}
	}
	if _, q := QuietUntil(store.UserProfile{QuietStart: "25:00", QuietEnd: "07:00"}, t0); q {
		t.Error("a malformed window is quiet")
	}
}

// The digest collects a day's notifications into one email the next day;
// critical ones do not wait for it.
func TestDigest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := &fakeMailer{}
		f := newFixture(t, db, m, store.UserProfile{EmailDigest: true})
		var ids []string
		for _, title := range []string{"First", "Second", "Third"} {
			_, ds := f.notify(store.NotifySystemAlert, title, false)
			if !slices.Equal(channels(ds), []string{"email:digest"}) {
				t.Fatalf("digest user's delivery: %v", channels(ds))
			}
			ids = append(ids, ds[0].ID)
		}
		_, crit := f.notify(store.NotifySystemAlert, "Security", true)
		if !slices.Equal(channels(crit), []string{"email:pending"}) {
			t.Fatalf("critical waits for the digest: %v", channels(crit))
		}
		// A dispatch does not touch the digest's deliveries.
		q := &recordingQueue{}
		if err := (&DispatchWorker{DB: db, Queue: q}).Work(ctx, nil); err != nil || len(q.args) != 1 {
			t.Fatalf("dispatched %d, want the critical one only (%v)", len(q.args), err)
		}
		now := time.Now()
		dw := &DigestWorker{DB: db, Mailer: m, BaseURL: "https://tc.example", Log: storetest.Logger(t), Now: func() time.Time { return now }}
		if err := dw.Work(ctx, nil); err != nil || m.count() != 0 {
			t.Fatalf("today: %d sent, %v", m.count(), err)
		}
		now = now.Add(24 * time.Hour)
		if err := dw.Work(ctx, nil); err != nil || m.count() != 1 {
			t.Fatalf("tomorrow: %d sent, %v", m.count(), err)
		}
		msg := m.sent[0]
		if !strings.Contains(msg.Subject, "(3)") || strings.Count(msg.HTML, `data-email="digest-item"`) != 3 ||
			!strings.Contains(msg.Text, "First") || !strings.Contains(msg.Text, "Third") || strings.Contains(msg.Text, "Security") {
			t.Fatalf("digest:\n%s\n%s", msg.Subject, msg.Text)
		}
		for _, id := range ids {
			if d := f.delivery(id); d.Status != store.DeliverySent {
				t.Fatalf("delivery %s %s", id, d.Status)
			}
		}
		if err := dw.Work(ctx, nil); err != nil || m.count() != 1 {
			t.Fatalf("again: %d sent, %v", m.count(), err)
		}
	})
}

// Critical messages ignore preferences (every channel off), the digest and
// quiet hours.
func TestCriticalIgnoresAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := &fakeMailer{}
		f := newFixture(t, db, m, store.UserProfile{EmailDigest: true, Phone: "+14155550123", QuietStart: "00:00", QuietEnd: "23:59"},
			store.NotificationPreference{NotificationType: store.NotifySystemAlert})
		if _, ds := f.notify(store.NotifySystemAlert, "Not critical", false); len(ds) != 0 {
			t.Fatalf("every channel off: %v", channels(ds))
		}
		_, ds := f.notify(store.NotifySystemAlert, "Two-factor authentication turned off", true)
		if !slices.Equal(channels(ds), []string{"email:pending", "sms:pending"}) {
			t.Fatalf("critical: %v", channels(ds))
		}
		for _, d := range ds {
			if err := f.work(d, 1); err != nil {
				t.Fatal(err)
			}
		}
		if m.count() != 1 || len(f.sms.Messages()) != 1 || !strings.HasPrefix(f.sms.Messages()[0].Body, "TrustCred security alert:") {
			t.Fatalf("sent %d emails, %d SMS", m.count(), len(f.sms.Messages()))
		}
		if !strings.Contains(m.sent[0].HTML, `data-email="critical"`) || !strings.Contains(m.sent[0].Text, "[Security alert]") {
			t.Fatalf("not marked critical:\n%s", m.sent[0].Text)
		}
		// In the app, too, though in-app is off.
		p, err := db.Account(f.user.ID).Notifications(context.Background(), store.NotificationFilter{})
		if err != nil || len(p.Notifications) != 1 || !p.Notifications[0].Critical {
			t.Fatalf("in-app: %+v %v", p.Notifications, err)
		}
	})
}

// The dispatch job enqueues one delivery job per pending delivery; done
// ones are not enqueued again.
func TestDispatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := &fakeMailer{}
		f := newFixture(t, db, m, store.UserProfile{})
		_, a := f.notify(store.NotifySystemAlert, "A", false)
		_, b := f.notify(store.NotifySystemAlert, "B", false)
		q := &recordingQueue{}
		w := &DispatchWorker{DB: db, Queue: q}
		if err := w.Work(ctx, nil); err != nil || len(q.args) != 2 {
			t.Fatalf("dispatched %d, %v", len(q.args), err)
		}
		// Queued ones wait an hour before being enqueued again (a no-op
		// while their job exists); new ones go first.
		_, c := f.notify(store.NotifySystemAlert, "C", false)
		q.args = nil
		if err := w.Work(ctx, nil); err != nil || len(q.args) != 1 || q.args[0].(NotificationDelivery).DeliveryID != c[0].ID {
			t.Fatalf("second dispatch %v, %v", q.args, err)
		}
		if err := f.work(a[0], 1); err != nil {
			t.Fatal(err)
		}
		q.args = nil
		w.Now = func() time.Time { return time.Now().Add(requeueAfter + time.Minute) }
		if err := w.Work(ctx, nil); err != nil || len(q.args) != 2 || q.args[0].(NotificationDelivery).DeliveryID != b[0].ID {
			t.Fatalf("an hour later %v, %v (the sent one must not come back)", q.args, err)
		}
	})
}

type recordingQueue struct{ args []river.JobArgs }

func (q *recordingQueue) EnqueueTx(_ context.Context, _ *sql.Tx, a river.JobArgs) error {
	q.args = append(q.args, a)
	return nil
}

// Register registers every kind.
func TestRegister(t *testing.T) {
	ws := jobs.NewWorkers()
	Register(ws, Deps{Mailer: &fakeMailer{}, BaseURL: "http://localhost", Log: slog.New(slog.DiscardHandler)})
	want := []string{"notification_dispatch", "notification_delivery", "notification_digest", "credential_email"}
	if got := ws.Kinds(); !slices.Equal(got, want) {
		t.Fatalf("kinds %v", got)
	}
}

// Every notification type has its email, HTML and text through the one
// layout; a notification about an organization comes under its name and
// logo.
func TestEveryTypeEmailed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := &fakeMailer{}
		f := newFixture(t, db, m, store.UserProfile{})
		logo := "orgs/acme/logo-ab"
		org := &store.Organization{Name: "Acme Academy", Slug: "acme-academy", Type: store.OrganizationEducational, Status: store.OrganizationActive,
			DID: "did:web:x:orgs:acme-academy", LogoKey: &logo}
		if err := db.CreateOrganization(ctx, org, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		for i, typ := range store.NotificationTypes {
			n := store.Notification{Type: typ, Title: "About " + string(typ), Message: "m", SentAt: t0,
				Metadata: datatypes.NewJSONType(store.NotificationMetadata{OrganizationID: org.ID})}
			if _, err := db.Notify(ctx, []string{f.user.ID}, n); err != nil {
				t.Fatal(err)
			}
			ids, err := db.PendingDeliveries(ctx, 10)
			if err != nil || len(ids) != 1 {
				t.Fatalf("%s: pending %v %v", typ, ids, err)
			}
			if err := f.work(store.NotificationDelivery{ID: ids[0]}, 1); err != nil {
				t.Fatal(err)
			}
			if m.count() != i+1 {
				t.Fatalf("%s: not emailed", typ)
			}
			msg := m.sent[i]
			if msg.Subject != "Acme Academy: About "+string(typ) || !strings.Contains(msg.HTML, `src="https://tc.example/orgs/acme-academy/logo"`) ||
				!strings.Contains(msg.HTML, `alt="Acme Academy"`) || !strings.HasPrefix(msg.Text, "Acme Academy\n\nAbout "+string(typ)) ||
				!strings.Contains(msg.Text, "Sent by Acme Academy through TrustCred.") {
				t.Fatalf("%s:\n%s\n%s\n%s", typ, msg.Subject, msg.Text, msg.HTML)
			}
		}
	})
}
