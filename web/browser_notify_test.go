package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// A user adds a phone number, then on the preferences page turns SMS on
// for one type, sets quiet hours with a mistake (seen next to the field,
// the form swapped in place by htmx), fixes it and saves; the page holds
// at a phone's and a laptop's width and passes axe.
func TestBrowserNotificationPreferences(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite, withTwilio())
	u := env.User(store.RoleIssuer, env.Org("acme"))
	base := env.Serve()
	q := func(id string) string { return `[data-testid="` + id + `"]` }
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#f-email`, u.Email),
		chromedp.SendKeys(`#f-password`, webtest.Password),
		chromedp.Click(q("login-submit")),
		chromedp.WaitVisible(q("dashboard")),
		chromedp.Navigate(base+"/account"),
		chromedp.SendKeys(`#f-phone`, "+44 7911 123456"),
		chromedp.Click(q("account-phone-save")),
		chromedp.WaitVisible(q("account-phone-saved")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Look(t, tab, "account-phone")
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/notifications/preferences"),
		chromedp.WaitVisible(q("notification-preferences-table")),
		chromedp.Click(q("pref-sms-credential_revoked")),
		chromedp.Click(q("pref-email-digest")),
		chromedp.SetValue(`#f-quiet_start`, "22:00"),
		chromedp.SetValue(`#f-timezone`, "Europe/Nowhere"),
		chromedp.Click(q("notification-preferences-save")),
		chromedp.WaitVisible(q("error-quiet_end")),
		chromedp.WaitVisible(q("error-timezone")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Look(t, tab, "notification-preferences-errors")
	if err := chromedp.Do(tab,
		chromedp.SetValue(`#f-quiet_end`, "07:00"),
		chromedp.SetValue(`#f-timezone`, "Europe/London"),
		chromedp.Click(q("notification-preferences-save")),
		chromedp.WaitVisible(q("notification-preferences-saved")),
	); err != nil {
		t.Fatal(err)
	}
	s, err := env.DB.Account(u.ID).NotificationSettings(t.Context())
	if err != nil || !s.EmailDigest || s.QuietStart != "22:00" || s.QuietEnd != "07:00" || s.Timezone != "Europe/London" || s.Phone != "+447911123456" {
		t.Fatalf("saved %+v %v", s, err)
	}
	checked, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector('[data-testid="pref-sms-credential_revoked"]').checked`))
	if err != nil || !checked {
		t.Fatalf("SMS for revoked credentials not shown on after saving (%v)", err)
	}
	text, err := chromedp.Run(tab, chromedp.Text(q("notification-preference-critical")))
	if err != nil || !strings.Contains(text, "Critical") {
		t.Fatalf("critical row: %q %v", text, err)
	}
	browsertest.Look(t, tab, "notification-preferences")
	browsertest.Axe(t, tab, "notification-preferences")
}

// From the notifications page a user opens their delivery history and
// sees each channel's outcome, a text message's failure with the
// provider's reason; the page holds at a phone's and a laptop's width and
// passes axe.
func TestBrowserNotificationHistory(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite, withTwilio())
	u := env.User(store.RoleIssuer, env.Org("acme"))
	ctx := t.Context()
	acc := env.DB.Account(u.ID)
	if err := acc.SetPhone(ctx, "+14155552671"); err != nil {
		t.Fatal(err)
	}
	if err := acc.SaveNotificationPreferences(ctx, []store.NotificationPreference{
		{NotificationType: store.NotifySystemAlert, InAppEnabled: true, EmailEnabled: true, SMSEnabled: true}}); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour)
	id := notifyUser(t, env, u, store.NotifySystemAlert, "Your role in Acme University's credential office has changed to administrator", "", at)
	notifyUser(t, env, u, store.NotifyCredentialIssued, "Bulk issuance finished: graduates-2026.csv", "", at.Add(time.Minute))
	ds, err := env.DB.NotificationDeliveries(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Channel == store.ChannelSMS {
			why, provider := "Twilio 21610: Attempt to send to unsubscribed recipient. The number replied STOP to an earlier message.", "twilio"
			if err := env.DB.RecordSMS(ctx, d.ID, &store.SMSDelivery{UserID: u.ID, PhoneNumber: "+14155552671", Message: "Role changed",
				Status: store.SMSFailed, Provider: &provider, ErrorMessage: &why, NotificationID: &id}, at); err != nil {
				t.Fatal(err)
			}
		} else if err := env.DB.FinishDelivery(ctx, d.ID, store.DeliverySent, "", at); err != nil {
			t.Fatal(err)
		}
	}
	base := env.Serve()
	q := func(id string) string { return `[data-testid="` + id + `"]` }
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#f-email`, u.Email),
		chromedp.SendKeys(`#f-password`, webtest.Password),
		chromedp.Click(q("login-submit")),
		chromedp.WaitVisible(q("dashboard")),
		chromedp.Navigate(base+"/notifications"),
		chromedp.Click(q("notification-history-link")),
		chromedp.WaitVisible(q("history-table")),
	); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(tab, chromedp.Text(q("history-table")))
	if err != nil || !strings.Contains(text, "unsubscribed recipient") || !strings.Contains(text, "Failed") || !strings.Contains(text, "Text message") {
		t.Fatalf("history: %q %v", text, err)
	}
	browsertest.Look(t, tab, "notification-history")
	browsertest.Axe(t, tab, "notification-history")
}
