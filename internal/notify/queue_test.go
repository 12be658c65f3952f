package notify

import (
	"context"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/mailtest"
	"github.com/trustcred/trustcred/internal/sms"
	"github.com/trustcred/trustcred/internal/sms/smstest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Through the real queue: the dispatch job (run at start) gives each
// delivery its job, and the user gets the notification once by email (a
// real SMTP server) and once by SMS (the local Twilio).
func TestDeliveredThroughTheQueue(t *testing.T) {
	srv := mailtest.Start(t)
	mailer, err := mail.NewSMTP(srv.SMTPURL())
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		to := mailtest.Address(t)
		f := newFixture(t, db, addrMailer{mailer, to}, store.UserProfile{Phone: "+14155552671"},
			store.NotificationPreference{NotificationType: store.NotifyApprovalDecided, InAppEnabled: true, EmailEnabled: true, SMSEnabled: true})
		n := store.Notification{Type: store.NotifyApprovalDecided, Title: "Approved", Message: "Your credential was approved."}
		if _, err := db.Notify(ctx, []string{f.user.ID}, n); err != nil {
			t.Fatal(err)
		}
		ws := jobs.NewWorkers()
		Register(ws, Deps{DB: db, Mailer: mailer, BaseURL: "https://tc.example", Log: storetest.Logger(t),
			SMS: &sms.Twilio{AccountSID: smstest.AccountSID, AuthToken: smstest.AuthToken, From: smstest.From, BaseURL: f.sms.URL}})
		q, err := jobs.New(db, storetest.Logger(t), ws)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = q.Stop(sctx)
		})
		msg := srv.WaitFor(t, to, 30*time.Second)
		if msg.Subject != "TrustCred: Approved" {
			t.Fatalf("subject %q", msg.Subject)
		}
		deadline := time.Now().Add(30 * time.Second)
		for len(f.sms.Messages()) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("no SMS within 30 s")
			}
			time.Sleep(50 * time.Millisecond)
		}
		// Every delivery recorded sent; one message per channel.
		for {
			ids, err := db.PendingDeliveries(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("still pending: %v", ids)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
		if got := len(srv.Messages(t, to)); got != 1 || len(f.sms.Messages()) != 1 {
			t.Fatalf("%d emails, %d SMS; want one each", got, len(f.sms.Messages()))
		}
	})
}
