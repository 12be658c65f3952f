package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

const (
	chromeLinux  = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	safariIPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)

// loginAs signs u in from a browser that sends userAgent.
func loginAs(t *testing.T, cl *webtest.Client, u *store.User, userAgent string) {
	t.Helper()
	cl.Get("/login")
	r := cl.Do("POST", "/login", url.Values{"email": {u.Email}, "password": {webtest.Password}, "csrf_token": {cl.CSRF()}},
		map[string]string{"User-Agent": userAgent})
	if r.Status != 303 {
		t.Fatalf("login %s: %d", u.Email, r.Status)
	}
	cl.Get("/")
}

// signedIn reports whether the client's session still works.
func signedIn(cl *webtest.Client) bool {
	r := cl.Get("/account")
	return r.Status == 200 && r.Has("account-page")
}

func count(t *testing.T, env *webtest.Env, query string) int {
	t.Helper()
	var n int
	if err := env.DB.SQL().QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func audits(t *testing.T, env *webtest.Env, action string) int {
	t.Helper()
	return count(t, env, "SELECT count(*) FROM audit_logs WHERE action = '"+action+"'")
}

func user(t *testing.T, env *webtest.Env, id string) *store.User {
	t.Helper()
	u, err := env.DB.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestChangePassword(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		u := env.User(store.RoleIssuer, env.Org("acme"))
		cl, other := env.Client(), env.Client()
		cl.Login(u)
		other.Login(u)

		if r := cl.Get("/account/password"); r.Status != 200 || !r.Has("password-form") {
			t.Fatalf("password page: %d", r.Status)
		}
		const newPassword = "a new and quite unusual passphrase"
		good := url.Values{"current": {webtest.Password}, "password": {newPassword}, "confirm": {newPassword}}
		for _, b := range []struct{ field, value, errorField string }{
			{"current", "", "current"},
			{"current", "not my password at all", "current"},
			{"password", "short", "password"},
			{"password", webtest.Password, "password"}, // unchanged
			{"confirm", "something else entirely", "confirm"},
		} {
			form := url.Values{}
			for k, v := range good {
				form[k] = v
			}
			form.Set(b.field, b.value)
			if b.field == "password" {
				form.Set("confirm", b.value)
			}
			r := cl.Post("/account/password", form)
			if r.Status != 422 || !r.Has("error-"+b.errorField) {
				t.Errorf("%s=%q: %d, error next to %s: %v", b.field, b.value, r.Status, b.errorField, r.Has("error-"+b.errorField))
			}
			if b.value != "" && strings.Contains(r.Body, `value="`+b.value+`"`) {
				t.Errorf("%s=%q: the refused password is echoed in the page", b.field, b.value)
			}
		}
		if audits(t, env, "password.changed") != 0 || !signedIn(other) {
			t.Fatal("a refused change changed something")
		}

		r := cl.Post("/account/password", good)
		if r.Status != 303 || r.Location() != "/account" {
			t.Fatalf("change: %d → %q\n%.600s", r.Status, r.Location(), r.Body)
		}
		if r := cl.Get("/account"); !r.Has("account-page") || !strings.Contains(r.Body, "Your password has been changed. 1 session elsewhere was signed out.") {
			t.Fatalf("after the change: no flash, or signed out\n%.2000s", r.Body)
		}
		if signedIn(other) {
			t.Fatal("the other session still works after the password change")
		}
		if audits(t, env, "password.changed") != 1 || audits(t, env, "session.revoked_others") != 1 {
			t.Fatal("password change or revocation not audited")
		}
		old := env.Client().Post("/login", url.Values{"email": {u.Email}, "password": {webtest.Password}})
		fresh := env.Client().Post("/login", url.Values{"email": {u.Email}, "password": {newPassword}})
		if old.Status != 422 || fresh.Status != 303 {
			t.Fatalf("sign-in with the old password: %d, with the new one: %d", old.Status, fresh.Status)
		}
	})
}

func TestSessionsPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		u, stranger := env.User(store.RoleAdmin, org), env.User(store.RoleAdmin, env.Org("other"))
		laptop, phone, tablet, theirs := env.Client(), env.Client(), env.Client(), env.Client()
		loginAs(t, laptop, u, chromeLinux)
		loginAs(t, phone, u, safariIPhone)
		loginAs(t, theirs, stranger, chromeLinux)

		ids := func(who *store.User) []string {
			list, err := env.DB.Account(who.ID).Sessions(context.Background(), time.Now(), time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, s := range list {
				out = append(out, s.ID)
			}
			return out
		}
		r := laptop.Get("/account/sessions")
		if r.Status != 200 || !r.Has("sessions-table") || strings.Count(r.Body, `data-testid="session-row"`) != 2 ||
			!strings.Contains(r.Body, "Chrome on Linux") || !strings.Contains(r.Body, "Safari on iPhone") ||
			strings.Count(r.Body, `data-testid="this-device"`) != 1 || !r.Has("revoke-others") {
			t.Fatalf("sessions page: %d\n%.3000s", r.Status, r.Body)
		}
		mine := ids(u)
		if len(mine) != 2 {
			t.Fatalf("%d sessions", len(mine))
		}
		laptopID, phoneID := mine[1], mine[0] // most recently used first: the laptop checked its list last
		for _, id := range mine {
			if !strings.Contains(r.Body, `data-session-id="`+id+`"`) {
				t.Fatalf("session %s not listed", id)
			}
		}
		// The laptop is "this device".
		row := r.Body[strings.Index(r.Body, `data-session-id="`+laptopID+`"`):]
		row = row[:strings.Index(row, "</tr>")]
		if !strings.Contains(row, `data-testid="this-device"`) {
			laptopID, phoneID = phoneID, laptopID
		}

		// Another user's session, or nonsense, is not found; theirs goes on.
		for _, id := range append(ids(stranger), "nonsense", "00000000-0000-0000-0000-000000000000") {
			if r := laptop.Htmx("POST", "/account/sessions/"+id+"/revoke", nil); r.Status != 404 {
				t.Errorf("revoking %q: %d, want 404", id, r.Status)
			}
		}
		if !signedIn(theirs) {
			t.Fatal("another user's session was ended")
		}

		// Revoke the phone: the row goes away, the phone is signed out on
		// its very next request.
		r = laptop.Htmx("POST", "/account/sessions/"+phoneID+"/revoke", nil)
		if r.Status != 200 || r.Has("session-row") || !r.Has("flash-success") || !strings.Contains(r.Body, `hx-swap-oob="true"`) {
			t.Fatalf("htmx revoke: %d\n%s", r.Status, r.Body)
		}
		if signedIn(phone) {
			t.Fatal("a revoked session still works")
		}
		if !signedIn(laptop) || audits(t, env, "session.revoked") != 1 {
			t.Fatal("revoking another session signed this one out, or was not audited")
		}

		// Sign out everywhere else.
		loginAs(t, tablet, u, safariIPhone)
		r = laptop.Post("/account/sessions/revoke-others", nil)
		if r.Status != 303 || r.Location() != "/account/sessions" {
			t.Fatalf("revoke others: %d → %q", r.Status, r.Location())
		}
		if r := laptop.Get("/account/sessions"); strings.Count(r.Body, `data-testid="session-row"`) != 1 || r.Has("revoke-others") ||
			!strings.Contains(r.Body, "1 session ended") {
			t.Fatalf("after signing out elsewhere:\n%.3000s", r.Body)
		}
		if signedIn(tablet) || !signedIn(laptop) || audits(t, env, "session.revoked_others") != 1 {
			t.Fatal("sign out everywhere else")
		}

		// Revoking this very session signs out here.
		r = laptop.Htmx("POST", "/account/sessions/"+laptopID+"/revoke", nil)
		if r.Status != 204 || r.Header.Get("HX-Redirect") != "/login" {
			t.Fatalf("revoking the current session: %d → %q", r.Status, r.Location())
		}
		if signedIn(laptop) || audits(t, env, "session.revoked") != 2 {
			t.Fatal("revoking the current session did not sign out")
		}
	})
}
