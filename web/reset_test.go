package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/mailtest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Forgot password through a real SMTP server: an unknown address gets the
// same answer and no email; the link works once; the reset ends every
// session and clears the lockout.
func TestPasswordResetEndToEnd(t *testing.T) {
	srv := mailtest.Start(t)
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithSMTP(srv.SMTPURL()))
		u := userWithEmail(t, env, store.RoleIssuer, env.Org("acme"), mailtest.Address(t))
		signedIn := env.Client()
		signedIn.Login(u)
		// Locked out after failed sign-ins.
		if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), "UPDATE users SET failed_logins = 5, locked_until = ? WHERE id = ?"), time.Now().Add(10*time.Minute).UTC(), u.ID); err != nil {
			t.Fatal(err)
		}

		anon := env.Client()
		if res := anon.Get("/password/forgot"); res.Status != 200 || !res.Has("forgot-form") {
			t.Fatalf("forgot page: %d", res.Status)
		}
		if res := anon.Post("/password/forgot", url.Values{"email": {"not an email"}}); res.Status != 422 || !res.Has("error-email") {
			t.Errorf("forgot with a malformed email: %d", res.Status)
		}
		nobody := mailtest.Address(t)
		unknown := anon.Post("/password/forgot", url.Values{"email": {nobody}})
		known := anon.Post("/password/forgot", url.Values{"email": {strings.ToUpper(u.Email)}})
		if unknown.Status != 200 || known.Status != 200 || !known.Has("forgot-sent") {
			t.Fatalf("forgot: %d %d", unknown.Status, known.Status)
		}
		if a, b := sectionOf(unknown.Body, "forgot-sent"), sectionOf(known.Body, "forgot-sent"); a == "" || a != b {
			t.Fatalf("an unknown and a known address answer differently:\n%s\n%s", a, b)
		}
		msg := srv.WaitFor(t, u.Email, waitMail)
		link := linkIn(t, env, msg.Text, "/password/reset/")
		if got := srv.Messages(t, nobody); len(got) != 0 {
			t.Errorf("an unknown address got %d emails", len(got))
		}

		res := anon.Get(link)
		if res.Status != 200 || !res.Has("reset-form") || !strings.Contains(res.Body, u.Email) {
			t.Fatalf("reset page: %d", res.Status)
		}
		for _, bad := range []struct{ pw, confirm, field string }{
			{"short", "short", "password"},
			{"password1234", "password1234", "password"}, // common
			{newPassword, "something else", "confirm"},
		} {
			if res := anon.Post(link, url.Values{"password": {bad.pw}, "confirm": {bad.confirm}}); res.Status != 422 || !res.Has("error-"+bad.field) {
				t.Errorf("reset with a bad %s: %d", bad.field, res.Status)
			}
		}
		res = anon.Post(link, url.Values{"password": {newPassword}, "confirm": {newPassword}})
		if res.Status != 303 || res.Location() != "/login" {
			t.Fatalf("reset: %d → %q", res.Status, res.Location())
		}
		if page := anon.Get("/login"); !page.Has("flash-success") {
			t.Error("no confirmation on the sign-in page")
		}
		// Every old session is gone, on its very next request.
		if res := signedIn.Get("/"); res.Has("dashboard") {
			t.Fatal("a session from before the reset still works")
		}
		if n := scalar[int](t, env, "SELECT failed_logins FROM users WHERE id = ?", u.ID); n != 0 {
			t.Errorf("failed_logins %d after the reset", n)
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM users WHERE id = ? AND locked_until IS NULL", u.ID); n != 1 {
			t.Error("still locked after the reset")
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM audit_logs WHERE action = 'password.reset' AND user_id = ?", u.ID); n != 1 {
			t.Errorf("reset audited %d times", n)
		}
		// The link works once.
		if res := anon.Get(link); res.Status != 410 || !res.Has("reset-invalid") || !res.Has("reset-request-new") {
			t.Errorf("the used link: %d", res.Status)
		}
		if res := anon.Post(link, url.Values{"password": {newPassword + "!"}, "confirm": {newPassword + "!"}}); res.Status != 410 {
			t.Errorf("posting to the used link: %d", res.Status)
		}
		// The new password signs in (the lock is gone); the old one does not.
		if res := env.Client().Post("/login", url.Values{"email": {u.Email}, "password": {webtest.Password}}); res.Status != 422 {
			t.Errorf("old password: %d", res.Status)
		}
		if res := env.Client().Post("/login", url.Values{"email": {u.Email}, "password": {newPassword}}); res.Status != 303 {
			t.Errorf("new password: %d", res.Status)
		}

		// An expired link is refused.
		anon.Post("/password/forgot", url.Values{"email": {u.Email}})
		var second string
		deadline := time.Now().Add(waitMail)
		for second == "" || second == link {
			if time.Now().After(deadline) {
				t.Fatal("no second reset email")
			}
			second = linkIn(t, env, srv.WaitFor(t, u.Email, waitMail).Text, "/password/reset/")
		}
		if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), "UPDATE user_tokens SET expires_at = ? WHERE user_id = ? AND used_at IS NULL"), time.Now().Add(-time.Second).UTC(), u.ID); err != nil {
			t.Fatal(err)
		}
		if res := anon.Get(second); res.Status != 410 || !res.Has("reset-invalid") {
			t.Errorf("an expired link: %d", res.Status)
		}
	})
}

func TestPasswordForgotIsRateLimited(t *testing.T) {
	env := webtest.New(t, store.SQLite, webtest.WithConfig(func(c *config.Config) { c.LoginRateLimit = 2 }))
	cl := env.Client()
	var last int
	for range 3 {
		last = cl.Post("/password/forgot", url.Values{"email": {"someone@example.org"}}).Status
	}
	if last != 429 {
		t.Fatalf("3rd reset request within a minute (limit 2): %d, want 429", last)
	}
}
