package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/sms"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

const twilioToken = "web-test-twilio-token"

func withTwilio() webtest.Option {
	return webtest.WithConfig(func(c *config.Config) {
		c.TwilioAccountSID, c.TwilioAuthToken, c.TwilioFrom = "AC0001", twilioToken, "+15005550006"
	})
}

// The preferences, the phone number and the SMS callback, for every role:
// each signed-in user changes only their own (no organization's ids in
// these URLs, so another organization's admin simply has their own); the
// callback answers Twilio's signature only, signed in or not.
func TestNotificationChannelsRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, withTwilio())
		clients := env.RoleClients(env.Org("acme"), env.Org("bolt"))
		user := func(status int) map[string]int {
			m := webtest.All(status)
			m[webtest.AsAnonymous] = 303
			return m
		}
		prefs := url.Values{"in_app": {"system_alert"}, "email": {"system_alert"}, "email_digest": {"1"},
			"quiet_start": {"22:00"}, "quiet_end": {"07:00"}, "timezone": {"Europe/Paris"}}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/notifications/preferences", Want: user(200)},
			{Method: "POST", Path: "/notifications/preferences", Form: prefs, Want: user(303)},
			{Method: "POST", Path: "/notifications/preferences", Form: url.Values{"timezone": {"Mars/Olympus"}}, Want: user(422)},
			{Method: "GET", Path: "/account", Want: user(200)},
			{Method: "POST", Path: "/account/phone", Form: url.Values{"phone": {"+44 7911 123456"}}, Want: user(303)},
			{Method: "POST", Path: "/account/phone", Form: url.Values{"phone": {"12"}}, Want: user(422)},
			{Method: "POST", Path: "/sms/twilio/status", Form: url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}}, Want: webtest.All(403)},
		})
		// Each saved their own.
		for _, who := range []string{webtest.AsAdmin, webtest.AsOtherAdmin, webtest.AsRecipient} {
			r := clients[who].Get("/notifications/preferences")
			if !strings.Contains(r.Body, `value="Europe/Paris"`) || !strings.Contains(r.Body, `value="22:00"`) {
				t.Errorf("%s: settings not shown after saving", who)
			}
			if r := clients[who].Get("/account"); !strings.Contains(r.Body, `value="+447911123456"`) {
				t.Errorf("%s: phone not stored in E.164", who)
			}
		}
	})
}

// The table of types × channels with accessible labels, the critical row,
// the digest and quiet hours; every mistake is told next to its field and
// nothing is half-written.
func TestNotificationPreferencesChannels(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, withTwilio())
		u := env.User(store.RoleIssuer, env.Org("acme"))
		cl := env.Client()
		cl.Login(u)
		r := cl.Get("/notifications/preferences")
		for _, want := range []string{`aria-label="Organization and account by SMS"`, `data-testid="critical-badge"`,
			`data-testid="notification-preference-critical"`, `data-testid="sms-no-phone"`, `name="quiet_start"`, `name="timezone"`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		if smsDisabled(r.Body) {
			t.Error("SMS is configured, but its checkboxes are disabled")
		}
		settings := func() store.NotificationSettings {
			s, err := env.DB.Account(u.ID).NotificationSettings(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		for _, c := range []struct {
			name  string
			form  url.Values
			field string
		}{
			{"SMS without a phone", url.Values{"sms": {"system_alert"}}, "error-sms"},
			{"start only", url.Values{"quiet_start": {"22:00"}}, "error-quiet_end"},
			{"end only", url.Values{"quiet_end": {"07:00"}}, "error-quiet_start"},
			{"not a time", url.Values{"quiet_start": {"25:00"}, "quiet_end": {"07:00"}}, "error-quiet_start"},
			{"same times", url.Values{"quiet_start": {"07:00"}, "quiet_end": {"07:00"}}, "error-quiet_end"},
			{"unknown zone", url.Values{"timezone": {"Mars/Olympus"}, "email_digest": {"1"}}, "error-timezone"},
			{"server's zone", url.Values{"timezone": {"Local"}}, "error-timezone"},
		} {
			r := cl.Htmx("POST", "/notifications/preferences", c.form)
			if r.Status != 422 || !r.Has(c.field) || !r.Has("notification-preferences-form") {
				t.Errorf("%s: %d, want 422 with %s\n%.800s", c.name, r.Status, c.field, r.Body)
			}
		}
		if s := settings(); s.EmailDigest || s.Timezone != "" || count(t, env, "SELECT count(*) FROM notification_preferences WHERE user_id = '"+u.ID+"'") != 0 {
			t.Fatalf("a refused save wrote something: %+v", s)
		}

		// A phone number, then SMS, digest and quiet hours are saved together.
		if r := cl.Post("/account/phone", url.Values{"phone": {"+1 415 555 2671"}}); r.Status != 303 {
			t.Fatalf("phone: %d", r.Status)
		}
		form := url.Values{"in_app": {"system_alert"}, "email": {"system_alert"}, "sms": {"system_alert", "credential_revoked"},
			"email_digest": {"1"}, "quiet_start": {"22:30:00"}, "quiet_end": {"06:45"}, "timezone": {"America/New_York"}}
		r = cl.Htmx("POST", "/notifications/preferences", form)
		if r.Status != 200 || !r.Has("notification-preferences-saved") {
			t.Fatalf("save: %d\n%.800s", r.Status, r.Body)
		}
		want := store.NotificationSettings{EmailDigest: true, QuietStart: "22:30", QuietEnd: "06:45", Timezone: "America/New_York", Phone: "+14155552671"}
		if s := settings(); s != want {
			t.Fatalf("settings %+v, want %+v", s, want)
		}
		if n := count(t, env, "SELECT count(*) FROM notification_preferences WHERE user_id = '"+u.ID+"' AND sms_enabled = true"); n != 2 {
			t.Fatalf("%d types with SMS, want 2", n)
		}
		// A critical notification is marked in the list.
		if _, err := env.DB.Notify(context.Background(), []string{u.ID}, store.Notification{Type: store.NotifySystemAlert, Critical: true, Title: "New sign-in", Message: "m"}); err != nil {
			t.Fatal(err)
		}
		if r := cl.Get("/notifications"); !r.Has("notification-critical") {
			t.Error("the critical notification is not marked")
		}
	})
}

// Without SMS set up, the SMS column is disabled and says why; a forged
// sms value is ignored.
func TestNotificationPreferencesWithoutSMS(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		u := env.User(store.RoleRecipient, nil)
		cl := env.Client()
		cl.Login(u)
		r := cl.Get("/notifications/preferences")
		if !r.Has("sms-unavailable") || !smsDisabled(r.Body) {
			t.Fatal("SMS not shown as unavailable")
		}
		if r := cl.Post("/notifications/preferences", url.Values{"sms": {"system_alert"}}); r.Status != 303 {
			t.Fatalf("save: %d", r.Status)
		}
		if n := count(t, env, "SELECT count(*) FROM notification_preferences WHERE sms_enabled = true"); n != 0 {
			t.Fatal("SMS saved while it is not set up")
		}
		// The callback route does not exist without Twilio.
		if r := cl.Do("POST", "/sms/twilio/status", url.Values{"MessageSid": {"SM1"}}, nil); r.Status != 404 {
			t.Fatalf("callback without Twilio: %d", r.Status)
		}
	})
}

// Phone numbers are validated as E.164 with field errors, stored
// normalized, and removed when emptied.
func TestAccountPhone(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		u := env.User(store.RoleVerifier, env.Org("acme"))
		cl := env.Client()
		cl.Login(u)
		for _, c := range []struct{ in, msg string }{
			{"0612345678", "Start with + and the country code"},
			{"+33 6", "not a complete phone number"},
			{"+44 7700 900123", "does not exist"}, // a range kept for fiction
			{"+1 000 000 0000", "does not exist"},
			{"+44 abc", "not a complete phone number"},
			{"+" + strings.Repeat("1", 45), "too long"},
		} {
			r := cl.Htmx("POST", "/account/phone", url.Values{"phone": {c.in}})
			if r.Status != 422 || !r.Has("error-phone") || !strings.Contains(r.Body, c.msg) || !strings.Contains(r.Body, `aria-invalid="true"`) {
				t.Errorf("%q: %d\n%.600s", c.in, r.Status, r.Body)
			}
		}
		phone := func() string {
			s, _ := env.DB.Account(u.ID).NotificationSettings(context.Background())
			return s.Phone
		}
		if phone() != "" {
			t.Fatal("a refused number was stored")
		}
		r := cl.Htmx("POST", "/account/phone", url.Values{"phone": {"+33 6 12 34 56 78"}})
		if r.Status != 200 || !r.Has("account-phone-saved") || phone() != "+33612345678" {
			t.Fatalf("valid number: %d %q", r.Status, phone())
		}
		if r := cl.Post("/account/phone", url.Values{"phone": {""}}); r.Status != 303 || phone() != "" {
			t.Fatalf("remove: %d %q", r.Status, phone())
		}
	})
}

// Twilio's status callbacks update sms_deliveries when signed with the
// auth token over the full URL and the parameters; a bad signature is 403
// and changes nothing.
func TestSMSStatusCallback(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, withTwilio())
		ctx := context.Background()
		u := env.User(store.RoleRecipient, nil)
		provider, sid := "twilio", "SM00000000000000000000000000000042"
		insertSMS(t, env, u.ID, sid)
		cl := env.Client()
		post := func(params url.Values, signature string) int {
			return cl.Do("POST", "/sms/twilio/status", params, map[string]string{"X-Twilio-Signature": signature}).Status
		}
		const callback = "http://localhost:8080/sms/twilio/status"
		status := func() store.SMSDelivery {
			got, err := env.DB.SMSByProviderID(ctx, provider, sid)
			if err != nil {
				t.Fatal(err)
			}
			return *got
		}
		delivered := url.Values{"MessageSid": {sid}, "MessageStatus": {"delivered"}, "AccountSid": {"AC0001"}, "To": {"+14155552671"}}
		if got := post(delivered, sms.TwilioSignature("wrong-token", callback, delivered)); got != 403 {
			t.Fatalf("bad signature: %d", got)
		}
		if got := post(delivered, ""); got != 403 {
			t.Fatalf("no signature: %d", got)
		}
		sig := sms.TwilioSignature(twilioToken, callback, delivered)
		tampered := url.Values{"MessageSid": {sid}, "MessageStatus": {"failed"}, "AccountSid": {"AC0001"}, "To": {"+14155552671"}}
		if got := post(tampered, sig); got != 403 {
			t.Fatalf("tampered parameters: %d", got)
		}
		if s := status(); s.Status != store.SMSSent {
			t.Fatalf("refused callbacks changed the row: %s", s.Status)
		}
		if got := post(delivered, sig); got != 204 {
			t.Fatalf("valid: %d", got)
		}
		if s := status(); s.Status != store.SMSDelivered || s.DeliveredAt == nil {
			t.Fatalf("after delivered: %+v", s)
		}

		// undelivered, with Twilio's error code.
		sid2 := "SM00000000000000000000000000000043"
		insertSMS(t, env, u.ID, sid2)
		failed := url.Values{"MessageSid": {sid2}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}}
		if got := post(failed, sms.TwilioSignature(twilioToken, callback, failed)); got != 204 {
			t.Fatalf("undelivered: %d", got)
		}
		got, _ := env.DB.SMSByProviderID(ctx, provider, sid2)
		if got.Status != store.SMSFailed || got.ErrorMessage == nil || !strings.Contains(*got.ErrorMessage, "30003") {
			t.Fatalf("after undelivered: %+v", got)
		}
		unknown := url.Values{"MessageSid": {"SMnope"}, "MessageStatus": {"delivered"}}
		if got := post(unknown, sms.TwilioSignature(twilioToken, callback, unknown)); got != 404 {
			t.Fatalf("unknown message: %d", got)
		}
	})
}

// insertSMS stores a text message Twilio accepted as sid.
func insertSMS(t *testing.T, env *webtest.Env, userID, sid string) {
	t.Helper()
	_, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(),
		"INSERT INTO sms_deliveries (id, user_id, phone_number, message, status, provider, provider_message_id) VALUES (?, ?, '+14155552671', 'm', 'sent', 'twilio', ?)"),
		uuid.NewString(), userID, sid)
	if err != nil {
		t.Fatal(err)
	}
}

// smsDisabled reports whether the SMS checkbox of system alerts is disabled.
func smsDisabled(body string) bool {
	tag := regexp.MustCompile(`<input[^>]*data-testid="pref-sms-system_alert"[^>]*>`).FindString(body)
	return tag != "" && regexp.MustCompile(` disabled[ />]`).MatchString(tag)
}
