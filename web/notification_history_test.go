package web_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// The delivery history is one's own, for every role: no organization's
// ids in its URL, so another organization's admin simply has their own; a
// paging link that is not valid is 422.
func TestNotificationHistoryRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		clients := env.RoleClients(env.Org("acme"), env.Org("bolt"))
		user := func(status int) map[string]int {
			m := webtest.All(status)
			m[webtest.AsAnonymous] = 303
			return m
		}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/notifications/deliveries", Want: user(200)},
			{Method: "GET", Path: "/notifications/deliveries?before=yesterday", Want: user(422)},
			{Method: "GET", Path: "/notifications/deliveries?before=" + store.Cursor{At: time.Now().UTC(), ID: "0190a0a0-0000-7000-8000-000000000000"}.String(), Want: user(200)},
		})
	})
}

// A person sees how each of their notifications went out: shown in the
// app or not, the email sent or waiting for the digest, the text message
// delivered or failed with the provider's reason; never another person's;
// newest first, a page at a time.
func TestNotificationHistoryPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		org := env.Org("acme")
		u, other := env.User(store.RoleIssuer, org), env.User(store.RoleIssuer, org)
		acc := env.DB.Account(u.ID)
		if err := acc.SetPhone(ctx, "+14155552671"); err != nil {
			t.Fatal(err)
		}
		if err := acc.SaveNotificationPreferences(ctx, []store.NotificationPreference{
			{NotificationType: store.NotifySystemAlert, InAppEnabled: true, EmailEnabled: true, SMSEnabled: true},
			{NotificationType: store.NotifyCredentialIssued, InAppEnabled: false, EmailEnabled: true},
		}); err != nil {
			t.Fatal(err)
		}
		base := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
		for i := range 21 {
			notifyUser(t, env, u, store.NotifySystemAlert, fmt.Sprintf("Old %02d", i), "", base.Add(time.Duration(i)*time.Second))
		}
		failedText := notifyUser(t, env, u, store.NotifySystemAlert, "Your role has changed", "", base.Add(time.Minute))
		// An email-only notification (in-app off for the type).
		if _, err := env.DB.Notify(ctx, []string{u.ID}, store.Notification{Type: store.NotifyCredentialIssued, Title: "Batch finished",
			Message: "All issued", SentAt: base.Add(2 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		notifyUser(t, env, other, store.NotifySystemAlert, "Not yours", "", base.Add(3*time.Minute))
		// The email went out; the text message was refused by the provider.
		ds, err := env.DB.NotificationDeliveries(ctx, failedText)
		if err != nil || len(ds) != 2 {
			t.Fatalf("deliveries: %v %v", ds, err)
		}
		sent := base.Add(90 * time.Second)
		for _, dl := range ds {
			switch dl.Channel {
			case store.ChannelEmail:
				if err := env.DB.FinishDelivery(ctx, dl.ID, store.DeliverySent, "", sent); err != nil {
					t.Fatal(err)
				}
			case store.ChannelSMS:
				why, provider := "Twilio 21211: The 'To' number is not a valid phone number.", "twilio"
				if err := env.DB.RecordSMS(ctx, dl.ID, &store.SMSDelivery{UserID: u.ID, PhoneNumber: "+14155552671", Message: "Your role has changed",
					Status: store.SMSFailed, Provider: &provider, ErrorMessage: &why, NotificationID: &failedText}, sent); err != nil {
					t.Fatal(err)
				}
			}
		}

		cl := env.Client()
		cl.Login(u)
		if r := cl.Get("/notifications"); !r.Has("notification-history-link") {
			t.Fatal("no link to the delivery history from the notifications page")
		}
		r := cl.Get("/notifications/deliveries")
		if r.Status != 200 || !r.Has("notification-history-page") || strings.Contains(r.Body, "Not yours") {
			t.Fatalf("page: %d", r.Status)
		}
		rows := regexp.MustCompile(`data-testid="history-row"`)
		if n := len(rows.FindAllString(r.Body, -1)); n != 20 {
			t.Fatalf("first page: %d rows", n)
		}
		if strings.Index(r.Body, "Batch finished") > strings.Index(r.Body, "Your role has changed") {
			t.Fatal("not newest first")
		}
		row := func(body, title string) string {
			i := strings.Index(body, ">"+title+"<")
			if i < 0 {
				t.Fatalf("no row %q", title)
			}
			end := strings.Index(body[i:], "</tr>")
			return body[i : i+end]
		}
		batch := row(r.Body, "Batch finished")
		for _, want := range []string{"Off in your preferences", "Email", "Waiting"} {
			if !strings.Contains(batch, want) {
				t.Errorf("email-only row lacks %q:\n%s", want, batch)
			}
		}
		role := row(r.Body, "Your role has changed")
		for _, want := range []string{"Shown", ">Sent<", "Text message", ">Failed<", "The &#39;To&#39; number is not a valid phone number.", "Sent <time"} {
			if !strings.Contains(role, want) {
				t.Errorf("failed text row lacks %q:\n%s", want, role)
			}
		}
		href := regexp.MustCompile(`href="(/notifications/deliveries\?before=[^"]+)"`).FindStringSubmatch(r.Body)
		if href == nil || !r.Has("history-older") {
			t.Fatal("no link to older notifications")
		}
		r = cl.Do("GET", strings.ReplaceAll(href[1], "&amp;", "&"), nil, map[string]string{"HX-Request": "true", "HX-Target": "history-results"})
		if n := len(rows.FindAllString(r.Body, -1)); r.Status != 200 || n != 3 || r.Has("notification-history-page") || !r.Has("history-newest") ||
			!strings.Contains(r.Body, "Old 00") || strings.Contains(r.Body, "Old 03") {
			t.Fatalf("second page (htmx): %d, %d rows", r.Status, n)
		}

		// Someone who was never notified: the empty state says what comes.
		fresh := env.Client()
		fresh.Login(env.User(store.RoleVerifier, org))
		if r := fresh.Get("/notifications/deliveries"); r.Status != 200 || !r.Has("history-empty") {
			t.Fatalf("empty history: %d", r.Status)
		}
	})
}
