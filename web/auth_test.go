package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

func TestFirstRunSetup(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithoutAdmin())
		cl := env.Client()
		for _, path := range []string{"/", "/login", "/account"} {
			if r := cl.Get(path); r.Status != 303 || r.Location() != "/setup" {
				t.Errorf("%s on an empty database: %d → %q, want a redirect to /setup", path, r.Status, r.Location())
			}
		}
		if r := cl.Get("/healthz"); r.Status != 200 {
			t.Errorf("healthz during setup: %d", r.Status)
		}
		r := cl.Get("/setup?token=" + env.SetupToken)
		if r.Status != 200 || !r.Has("setup-form") || !strings.Contains(r.Body, env.SetupToken) {
			t.Fatalf("setup page: %d", r.Status)
		}
		good := url.Values{"token": {env.SetupToken}, "name": {"Pat"}, "email": {"Pat@Example.org"},
			"password": {"a long and unusual passphrase"}, "confirm": {"a long and unusual passphrase"}}
		bad := []struct {
			field, value, errorField string
		}{
			{"token", "guess", "token"},
			{"email", "not-an-email", "email"},
			{"password", "short", "password"},
			{"confirm", "something else entirely", "confirm"},
			{"name", "", "name"},
		}
		for _, b := range bad {
			form := url.Values{}
			for k, v := range good {
				form[k] = v
			}
			form.Set(b.field, b.value)
			r := cl.Post("/setup", form)
			if r.Status != 422 || !r.Has("error-"+b.errorField) {
				t.Errorf("setup with %s=%q: %d, error shown for %s: %v", b.field, b.value, r.Status, b.errorField, r.Has("error-"+b.errorField))
			}
		}
		if done, _ := env.DB.HasSuperAdmin(context.Background()); done {
			t.Fatal("a refused setup created an administrator")
		}
		r = cl.Post("/setup", good)
		if r.Status != 303 || r.Location() != "/" {
			t.Fatalf("setup: %d → %q\n%.500s", r.Status, r.Location(), r.Body)
		}
		r = cl.Get("/")
		if !r.Has("dashboard") || !strings.Contains(r.Body, "pat@example.org") || !strings.Contains(r.Body, "Welcome to TrustCred") {
			t.Fatalf("after setup the administrator is not signed in on the dashboard:\n%.800s", r.Body)
		}
		// Once an administrator exists, setup is gone.
		if r := env.Client().Get("/setup?token=" + env.SetupToken); r.Status != 404 {
			t.Errorf("setup after completion: %d, want 404", r.Status)
		}
		if r := cl.Post("/setup", good); r.Status != 404 {
			t.Errorf("second setup: %d, want 404", r.Status)
		}
	})
}

func TestLoginLogoutAndFixation(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		u := env.User(store.RoleIssuer, org)
		cl := env.Client()

		// An attacker-planted session cookie does not survive sign-in.
		cl.SetCookie("tc_session", "planted")
		r := cl.Get("/account")
		if r.Status != 303 || r.Location() != "/login?next=%2Faccount" {
			t.Fatalf("anonymous /account: %d → %q", r.Status, r.Location())
		}
		csrfBefore := cl.CSRF()
		r = cl.Post("/login", url.Values{"email": {strings.ToUpper(u.Email)}, "password": {webtest.Password}, "next": {"/account"}})
		if r.Status != 303 || r.Location() != "/account" {
			t.Fatalf("login: %d → %q\n%.400s", r.Status, r.Location(), r.Body)
		}
		first := cl.Cookie("tc_session")
		if first == "" || first == "planted" {
			t.Fatal("no new session cookie at sign-in")
		}
		r = cl.Get("/")
		if !r.Has("dashboard") || cl.CSRF() == csrfBefore {
			t.Fatalf("dashboard %v, CSRF token rotated %v", r.Has("dashboard"), cl.CSRF() != csrfBefore)
		}
		// Signing in again in the same browser replaces the session.
		cl.Login(u)
		if cl.Cookie("tc_session") == first {
			t.Fatal("the session id did not change at sign-in")
		}
		var revoked int
		if err := env.DB.SQL().QueryRow("SELECT count(*) FROM user_sessions WHERE revoked_at IS NOT NULL").Scan(&revoked); err != nil || revoked != 1 {
			t.Fatalf("replaced session revoked: %d (%v)", revoked, err)
		}
		// Sign out ends the session for good, even with the old cookie.
		old := cl.Cookie("tc_session")
		r = cl.Post("/logout", nil)
		if r.Status != 303 || r.Location() != "/login" {
			t.Fatalf("logout: %d → %q", r.Status, r.Location())
		}
		thief := env.Client()
		thief.SetCookie("tc_session", old)
		if r := thief.Get("/"); r.Has("dashboard") {
			t.Fatal("a signed-out session cookie still works")
		}
		// An off-site next is ignored.
		r = env.Client().Post("/login", url.Values{"email": {u.Email}, "password": {webtest.Password}, "next": {"//evil.example/x"}})
		if r.Location() != "/" {
			t.Errorf("next=//evil.example: redirected to %q", r.Location())
		}
	})
}

func TestLoginFailuresRevealNothingAndLockTheAccount(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		u := env.User(store.RoleAdmin, env.Org("acme"))
		cl := env.Client()
		unknown := cl.Post("/login", url.Values{"email": {"nobody@nowhere.example"}, "password": {"whatever it is"}})
		wrong := cl.Post("/login", url.Values{"email": {u.Email}, "password": {"not the password"}})
		if unknown.Status != 422 || wrong.Status != 422 {
			t.Fatalf("statuses %d %d", unknown.Status, wrong.Status)
		}
		msg := func(r *webtest.Response) string {
			i := strings.Index(r.Body, `data-testid="form-error"`)
			if i < 0 {
				return ""
			}
			return r.Body[i : i+strings.Index(r.Body[i:], "</div>")]
		}
		if msg(unknown) == "" || msg(unknown) != msg(wrong) {
			t.Fatalf("an unknown email and a wrong password answer differently:\n%q\n%q", msg(unknown), msg(wrong))
		}
		for i := 2; i <= store.MaxFailedLogins; i++ {
			cl.Post("/login", url.Values{"email": {u.Email}, "password": {"not the password"}})
		}
		locked, err := env.DB.UserByEmail(context.Background(), u.Email)
		if err != nil || locked.LockedUntil == nil || locked.LockedUntil.Before(time.Now().Add(14*time.Minute)) {
			t.Fatalf("after %d failures: locked until %v (%v)", store.MaxFailedLogins, locked.LockedUntil, err)
		}
		// Locked: even the right password is refused, with the same message.
		r := cl.Post("/login", url.Values{"email": {u.Email}, "password": {webtest.Password}})
		if r.Status != 422 || msg(r) != msg(wrong) {
			t.Fatalf("right password while locked: %d %q", r.Status, msg(r))
		}
		var audits int
		if err := env.DB.SQL().QueryRow("SELECT count(*) FROM audit_logs WHERE action IN ('login.failed', 'login.locked')").Scan(&audits); err != nil || audits != store.MaxFailedLogins+1 {
			t.Errorf("failed sign-ins audited: %d (%v), want %d", audits, err, store.MaxFailedLogins+1)
		}
	})
}

func TestRevokedSessionStopsOnTheNextRequest(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	u := env.User(store.RoleAdmin, env.Org("acme"))
	cl := env.Client()
	cl.Login(u)
	if r := cl.Get("/"); !r.Has("dashboard") {
		t.Fatal("not signed in")
	}
	if _, err := env.DB.SQL().Exec("UPDATE user_sessions SET revoked_at = ?", time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if r := cl.Get("/"); r.Has("dashboard") {
		t.Fatal("a revoked session still works")
	}
}

func TestIdleAndDeactivatedSessionsEnd(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	u := env.User(store.RoleAdmin, env.Org("acme"))
	cl := env.Client()
	cl.Login(u)
	old := time.Now().UTC().Add(-2 * time.Hour)
	if _, err := env.DB.SQL().Exec("UPDATE user_sessions SET last_seen_at = ?", old); err != nil {
		t.Fatal(err)
	}
	if r := cl.Get("/"); r.Has("dashboard") {
		t.Fatal("a session idle for 2h (idle limit 1h) still works")
	}
	cl.Login(u)
	if _, err := env.DB.SQL().Exec("UPDATE users SET deactivated_at = ? WHERE id = ?", time.Now().UTC(), u.ID); err != nil {
		t.Fatal(err)
	}
	if r := cl.Get("/"); r.Has("dashboard") {
		t.Fatal("a deactivated user's session still works")
	}
	r := env.Client().Post("/login", url.Values{"email": {u.Email}, "password": {webtest.Password}})
	if r.Status != 422 || !strings.Contains(r.Body, "deactivated") {
		t.Fatalf("deactivated user signing in: %d", r.Status)
	}
}

func TestCSRF(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	u := env.User(store.RoleAdmin, env.Org("acme"))
	cl := env.Client()
	cl.Login(u)
	// A form posted without the token, or with another browser's, is refused.
	if r := cl.Do("POST", "/logout", url.Values{}, nil); r.Status != 403 {
		t.Fatalf("POST without a CSRF token: %d, want 403", r.Status)
	}
	other := env.Client()
	other.Get("/login")
	if r := cl.Do("POST", "/logout", url.Values{"csrf_token": {other.CSRF()}}, nil); r.Status != 403 {
		t.Fatalf("POST with another browser's token: %d, want 403", r.Status)
	}
	if r := cl.Get("/"); !r.Has("dashboard") {
		t.Fatal("the refused sign-out signed the user out")
	}
	// The header htmx sends works like the form field.
	if r := cl.Htmx("POST", "/logout", nil); r.Status != 204 || r.Location() != "/login" {
		t.Fatalf("htmx sign-out: %d → %q", r.Status, r.Location())
	}
}

func TestLoginRateLimit(t *testing.T) {
	env := webtest.New(t, store.SQLite, webtest.WithConfig(func(c *config.Config) { c.LoginRateLimit = 3 }))
	cl := env.Client()
	var last int
	for range 4 {
		last = cl.Post("/login", url.Values{"email": {"a@b.example"}, "password": {"x"}}).Status
	}
	if last != 429 {
		t.Fatalf("4th sign-in attempt within a minute (limit 3): %d, want 429", last)
	}
}

// A NUL byte or invalid UTF-8 in a form or query never reaches
// PostgreSQL, which cannot store it (a 500): the sign-in form shows it next
// to the email; the page middleware refuses it in the password (a field no
// form checks itself) and in the query, naming it.
func TestControlBytesAreRefused(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		cl := env.Client()
		if r := cl.Post("/login", url.Values{"email": {"a\x00@b.example"}, "password": {"x"}}); r.Status != 422 ||
			!strings.Contains(fieldError(r, "email"), "contains a control character") {
			t.Errorf("POST /login with a NUL in the email: %d, %q next to it", r.Status, fieldError(r, "email"))
		}
		if r := cl.Post("/login", url.Values{"email": {"a@b.example"}, "password": {"\xff\xfe"}}); r.Status != 400 || !r.Has("error-page") ||
			!strings.Contains(r.Body, "The field “password” is not valid UTF-8 text.") {
			t.Errorf("POST /login with invalid UTF-8 in the password: %d\n%.3000s", r.Status, r.Body)
		}
		if r := cl.Get("/login?next=%00"); r.Status != 400 {
			t.Errorf("NUL in the query: %d, want 400", r.Status)
		}
	})
}
