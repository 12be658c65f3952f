package notify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

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

func (m *fakeMailer) to() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, msg := range m.sent {
		out = append(out, msg.To)
	}
	return out
}

// Each pending notification is emailed once, to users who want email for
// its type; failures leave it for the next run, except a message the mailer
// refuses as invalid.
func TestNotificationEmailWorker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
		var ada, bob *store.User
		if err := db.Seed(ctx, func(create func(any) error) error {
			ada = &store.User{Email: "ada@example.org", Role: store.RoleRecipient, EmailVerified: true,
				Profile: datatypes.NewJSONType(store.UserProfile{DisplayName: "Ada Lovelace"})}
			bob = &store.User{Email: "bob@example.org", Role: store.RoleRecipient, EmailVerified: true}
			if err := create(ada); err != nil {
				return err
			}
			if err := create(bob); err != nil {
				return err
			}
			// Bob does not want system alerts by email.
			return create(&store.NotificationPreference{UserID: bob.ID, NotificationType: store.NotifySystemAlert, InAppEnabled: true})
		}); err != nil {
			t.Fatal(err)
		}
		notify := func(typ store.NotificationType, title, link string) {
			t.Helper()
			n := store.Notification{Type: typ, Title: title, Message: "Something happened.",
				Metadata: datatypes.NewJSONType(store.NotificationMetadata{Link: link}), SentAt: now.Add(-time.Minute)}
			if _, err := db.Notify(ctx, []string{ada.ID, bob.ID}, n); err != nil {
				t.Fatal(err)
			}
		}
		notify(store.NotifySystemAlert, "Organization approved", "/")
		notify(store.NotifyCredentialIssued, "Credential issued", "")

		m := &fakeMailer{}
		w := &NotificationEmailWorker{DB: db, Mailer: m, BaseURL: "https://trustcred.example/", Log: storetest.Logger(t), Now: func() time.Time { return now }}
		if err := w.Work(ctx, nil); err != nil {
			t.Fatal(err)
		}
		got := m.to()
		slices.Sort(got)
		want := []string{`"Ada Lovelace" <ada@example.org>`, `"Ada Lovelace" <ada@example.org>`, `<bob@example.org>`}
		if !slices.Equal(got, want) {
			t.Fatalf("sent to %q, want %q", got, want)
		}
		var first mail.Message
		for _, msg := range m.sent {
			if strings.Contains(msg.To, "ada") && strings.Contains(msg.Subject, "approved") {
				first = msg
			}
		}
		if first.Subject != "TrustCred: Organization approved" || !strings.Contains(first.Text, "Something happened.") ||
			!strings.Contains(first.Text, "https://trustcred.example/notifications/") || !strings.Contains(first.Text, "/open") ||
			!strings.Contains(first.Text, "https://trustcred.example/notifications/preferences") {
			t.Fatalf("message:\n%s\n%s", first.Subject, first.Text)
		}

		// Sent once: the next run has nothing to do.
		if err := w.Work(ctx, nil); err != nil || len(m.to()) != 3 {
			t.Fatalf("second run: %d sent, %v", len(m.to()), err)
		}

		// A failing mail server: nothing is lost, the next run sends it.
		notify(store.NotifyApprovalDecided, "Approved", "")
		m.err = errors.New("connection refused")
		if err := w.Work(ctx, nil); err == nil {
			t.Fatal("a failed send was not reported")
		}
		// Email not configured: the server said so once at start; a run
		// every minute does not say it again at warning level.
		var logged bytes.Buffer
		w.Log = slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
		m.err = mail.ErrNotConfigured
		if err := w.Work(ctx, nil); err != nil {
			t.Fatalf("email not configured is not a job failure: %v", err)
		}
		if logged.Len() != 0 {
			t.Fatalf("a run without email configured warned: %s", logged.String())
		}
		w.Log = storetest.Logger(t)
		m.err = nil
		if err := w.Work(ctx, nil); err != nil || len(m.to()) != 5 {
			t.Fatalf("after recovery: %d sent, %v", len(m.to()), err)
		}

		// Too old: never sent.
		if _, err := db.Notify(ctx, []string{ada.ID}, store.Notification{Type: store.NotifyApprovalDecided, Title: "Old", Message: "m",
			SentAt: now.Add(-NotificationEmailWindow - time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if err := w.Work(ctx, nil); err != nil || len(m.to()) != 5 {
			t.Fatalf("old notification: %d sent, %v", len(m.to()), err)
		}
		// Refused by the mailer as invalid: logged, not retried.
		m.err = mail.ErrInvalidMessage
		notify(store.NotifyApprovalDecided, "Refused", "")
		if err := w.Work(ctx, nil); err != nil {
			t.Fatalf("invalid messages are logged, not retried: %v", err)
		}
		m.err = nil
		if err := w.Work(ctx, nil); err != nil || len(m.to()) != 5 {
			t.Fatalf("invalid messages were retried: %d sent, %v", len(m.to()), err)
		}
	})
}

// Register registers both email kinds (and schedules the notification
// emails).
func TestRegister(t *testing.T) {
	ws := jobs.NewWorkers()
	Register(ws, nil, &fakeMailer{}, "http://localhost", storetest.Logger(t))
	if got := ws.Kinds(); !slices.Equal(got, []string{"notification_email", "credential_email"}) {
		t.Fatalf("kinds %v", got)
	}
}
