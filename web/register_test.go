package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/mailtest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

const orgPassword = "a long and unusual passphrase for registration"

// registrationForm is a valid registration; change fields for the cases.
func registrationForm(name, slug, email string) url.Values {
	return url.Values{"name": {name}, "type": {"educational"}, "domain": {"Example.EDU."}, "slug": {slug},
		"admin_name": {"Ada Lovelace"}, "email": {email}, "password": {orgPassword}, "confirm": {orgPassword}}
}

// slugValue is the value of the URL name input in a page or partial.
func slugValue(body string) string {
	field := body[max(0, strings.Index(body, `id="f-slug"`)):]
	return between(field, `value="`, `"`)
}

// An organization registers: the URL name follows the name until edited,
// the organization is pending with its DID, its admin unconfirmed; the
// confirmation email arrives through a real SMTP server and its link
// confirms the address once; the admin signs in to an "awaiting approval"
// dashboard.
func TestRegistrationEndToEnd(t *testing.T) {
	srv := mailtest.Start(t)
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithSMTP(srv.SMTPURL()))
		cl := env.Client()
		page := cl.Get("/register")
		if page.Status != 200 || !page.Has("register-form") || !strings.Contains(page.Body, `hx-get="/register/slug"`) ||
			!strings.Contains(page.Body, "localhost:8080/orgs/") || strings.Count(page.Body, "<option") != 6 {
			t.Fatalf("register page: %d\n%.1000s", page.Status, page.Body)
		}

		// The URL name as the name is typed (htmx), and once edited.
		p := cl.Htmx("GET", "/register/slug?"+url.Values{"name": {"Université de Montréal"}, "slug": {""}, "slug_source": {""}}.Encode(), nil)
		if p.Status != 200 || slugValue(p.Body) != "universite-de-montreal" || !p.Has("slug-available") || p.Has("app") ||
			!strings.Contains(p.Body, `name="slug_source" value="Université de Montréal"`) {
			t.Fatalf("derived slug: %d %q\n%s", p.Status, slugValue(p.Body), p.Body)
		}
		p = cl.Htmx("GET", "/register/slug?"+url.Values{"name": {"Université de Montréal (Québec)"}, "slug": {"universite-de-montreal"},
			"slug_source": {"Université de Montréal"}}.Encode(), nil)
		if slugValue(p.Body) != "universite-de-montreal-quebec" {
			t.Errorf("the derived slug did not follow the name: %q", slugValue(p.Body))
		}
		p = cl.Htmx("GET", "/register/slug?"+url.Values{"name": {"Université de Montréal (Québec)"}, "slug": {"udem"},
			"slug_source": {"Université de Montréal"}}.Encode(), nil)
		if slugValue(p.Body) != "udem" || !p.Has("slug-available") {
			t.Errorf("a slug edited by hand changed: %q", slugValue(p.Body))
		}
		for _, c := range []struct{ slug, want string }{{"ad", "must be 3 to 63"}, {"admin", "reserved"}, {"Bad_Slug", "must be 3 to 63"}} {
			p := cl.Htmx("GET", "/register/slug?"+url.Values{"name": {"X"}, "slug": {c.slug}, "slug_source": {"X"}}.Encode(), nil)
			if !p.Has("error-slug") || !strings.Contains(p.Body, c.want) {
				t.Errorf("slug %q: no error %q\n%s", c.slug, c.want, p.Body)
			}
		}

		to := mailtest.Address(t)
		res := cl.Post("/register", registrationForm("  Université de Montréal  ", "", strings.ToUpper(to)))
		if res.Status != 201 || !res.Has("register-done") || !res.Has("register-email-sent") || !res.Has("register-awaiting-approval") ||
			!strings.Contains(res.Body, to) {
			t.Fatalf("register: %d\n%.2000s", res.Status, res.Body)
		}
		org := scalar[string](t, env, "SELECT id FROM organizations WHERE slug = 'universite-de-montreal'")
		if got := scalar[string](t, env, "SELECT status FROM organizations WHERE id = ?", org); got != "pending" {
			t.Errorf("status %q", got)
		}
		if got := scalar[string](t, env, "SELECT did FROM organizations WHERE id = ?", org); got != "did:web:localhost%3A8080:orgs:universite-de-montreal" {
			t.Errorf("did %q", got)
		}
		if got := scalar[string](t, env, "SELECT name || '|' || type || '|' || domain FROM organizations WHERE id = ?", org); got != "Université de Montréal|educational|example.edu" {
			t.Errorf("stored %q", got)
		}
		admin := scalar[string](t, env, "SELECT id FROM users WHERE email = ? AND organization_id = ? AND role = 'admin' AND password_hash IS NOT NULL", to, org)
		if scalar[bool](t, env, "SELECT email_verified FROM users WHERE id = ?", admin) {
			t.Error("the admin's email is confirmed before the link was opened")
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM user_tokens WHERE user_id = ? AND purpose = 'email_verification' AND length(token_hash) = 64", admin); n != 1 {
			t.Errorf("%d confirmation tokens", n)
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM audit_logs WHERE action = 'organization.registered' AND resource_id = ? AND user_id = ?", org, admin); n != 1 {
			t.Errorf("registration audited %d times", n)
		}
		msg := srv.WaitFor(t, to, waitMail)
		if !strings.Contains(msg.Subject, "Université de Montréal") || !strings.Contains(msg.Text, "works once") {
			t.Errorf("email %q\n%s", msg.Subject, msg.Text)
		}
		link := linkIn(t, env, msg.Text, "/confirm-email/")
		if n := scalar[int](t, env, "SELECT count(*) FROM user_tokens WHERE token_hash = ?", strings.TrimPrefix(link, "/confirm-email/")); n != 0 {
			t.Error("the token is stored in clear")
		}

		// The admin signs in before confirming: a banner asks for it.
		home := env.Client()
		r := home.Post("/login", url.Values{"email": {to}, "password": {orgPassword}})
		if r.Status != 303 {
			t.Fatalf("the new admin signing in: %d\n%.500s", r.Status, r.Body)
		}
		dash := home.Get("/")
		if !dash.Has("org-pending") || !dash.Has("email-unverified") || !dash.Has("resend-confirmation") || dash.Has("org-panel") {
			t.Fatalf("the pending admin's dashboard:\n%.3000s", dash.Body)
		}
		if r := home.Get("/members"); r.Status != 403 || !r.Has("org-not-active-yet") {
			t.Errorf("/members of a pending organization: %d", r.Status)
		}

		// The link confirms once; the banner goes.
		r = home.Get(link)
		if r.Status != 200 || !r.Has("email-confirmed") || !r.Has("confirmed-awaiting-approval") || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("confirm: %d\n%.1000s", r.Status, r.Body)
		}
		if !scalar[bool](t, env, "SELECT email_verified FROM users WHERE id = ?", admin) {
			t.Error("not confirmed")
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM audit_logs WHERE action = 'email.confirmed' AND user_id = ?", admin); n != 1 {
			t.Errorf("confirmation audited %d times", n)
		}
		if r := env.Client().Get(link); r.Status != 410 || !r.Has("confirm-email-invalid") {
			t.Errorf("the link a second time: %d", r.Status)
		}
		if dash := home.Get("/"); dash.Has("email-unverified") || !dash.Has("org-pending") {
			t.Error("the banner stays after confirming")
		}
		// A resend for a confirmed address says so.
		if r := home.Post("/confirm-email/resend", nil); r.Status != 303 || !strings.Contains(home.Get("/").Body, "already confirmed") {
			t.Errorf("resend when confirmed: %d", r.Status)
		}
	})
}

// Every bad field gets its own message next to it (422), nothing is
// created, and what was typed stays (but the passwords).
func TestRegistrationValidation(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithMailer(mail.Unconfigured{}))
		taken := env.Org("taken")
		env.User(store.RoleAdmin, taken)
		cl := env.Client()
		for _, c := range []struct {
			field, value, error string
		}{
			{"name", "", "Enter the organization"},
			{"name", "   ", "Enter the organization"},
			{"name", strings.Repeat("n", 201), "at most 200"},
			{"name", "Tab\tName", "contains a line break or tab"},
			{"name", "Acme\u202E", "invisible formatting character (U+202E)"},
			{"name", "TAKEN ORG", "already registered"},
			{"type", "", "Choose one of the types"},
			{"type", "church", "Choose one of the types"},
			{"domain", "", "web domain"},
			{"domain", "https://example.edu/", "such as example.edu"},
			{"domain", "localhost", "such as example.edu"},
			{"domain", "192.168.1.1", "such as example.edu"},
			{"domain", "-bad-.example", "such as example.edu"},
			{"domain", "exa mple.edu", "such as example.edu"},
			{"slug", "ab", "must be 3 to 63"},
			{"slug", "Upper-Case", "must be 3 to 63"},
			{"slug", "a--b", "must be 3 to 63"},
			{"slug", strings.Repeat("s", 64), "must be 3 to 63"},
			{"slug", "api", "reserved"},
			{"slug", "taken", "already taken"},
			{"admin_name", "", "Enter your name"},
			{"admin_name", strings.Repeat("a", 201), "at most 200"},
			{"admin_name", "Ada\x07", "contains a control character"},
			{"admin_name", "Ada\u200D", "invisible formatting character (U+200D)"},
			{"email", "", "email address such as"},
			{"email", "not-an-email", "email address such as"},
			{"email", "Ada <ada@example.edu>", "email address such as"},
			{"password", "short", "at least 12"},
			{"password", "password1234", "common"},
			{"confirm", "something else entirely", "differ"},
		} {
			form := registrationForm("Valid Name", "valid-name", "ada@valid.example")
			form.Set(c.field, c.value)
			r := cl.Post("/register", form)
			if r.Status != 422 || !r.Has("error-"+c.field) || !strings.Contains(between(r.Body, `data-testid="error-`+c.field+`"`, "</p>"), c.error) {
				t.Errorf("%s = %q: %d, error %q", c.field, c.value, r.Status, between(r.Body, `data-testid="error-`+c.field+`"`, "</p>"))
				continue
			}
			if n := strings.Count(r.Body, `data-testid="error-`); n != 1 {
				t.Errorf("%s = %q: %d errors shown, want 1", c.field, c.value, n)
			}
			if c.field != "password" && c.field != "confirm" && strings.Contains(r.Body, orgPassword) {
				t.Errorf("%s: the password is echoed", c.field)
			}
		}
		// Several at once, the typed values kept.
		r := cl.Post("/register", url.Values{"name": {"Kept Name"}, "email": {"kept@example.org"}})
		for _, f := range []string{"type", "domain", "admin_name", "password"} {
			if !r.Has("error-" + f) {
				t.Errorf("no error on %s when empty", f)
			}
		}
		if !strings.Contains(r.Body, `value="Kept Name"`) || !strings.Contains(r.Body, `value="kept@example.org"`) || slugValue(r.Body) != "kept-name" {
			t.Error("typed values not kept")
		}
		// A name that gives no URL name asks for one.
		form := registrationForm("東京大学", "", "ada@valid.example")
		if r := cl.Post("/register", form); r.Status != 422 || !strings.Contains(between(r.Body, `data-testid="error-slug"`, "</p>"), "Choose a URL name") {
			t.Errorf("a name without a URL name: %d", r.Status)
		}
		form.Set("slug", "tokyo-daigaku")
		if r := cl.Post("/register", form); r.Status != 201 {
			t.Errorf("the same with a URL name: %d", r.Status)
		}
		// Slug, name and email taken at once: the two public ones are said;
		// whether the email has an account is not (TestRegistrationWithAnAccountsEmail).
		r = cl.Post("/register", registrationForm("東京大学", "tokyo-daigaku", "ADA@valid.example"))
		for _, f := range []string{"slug", "name"} {
			if r.Status != 422 || !r.Has("error-"+f) {
				t.Errorf("duplicate %s: %d", f, r.Status)
			}
		}
		if r.Has("error-email") {
			t.Error("the form says the email has an account")
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM organizations"); n != 2 {
			t.Errorf("%d organizations, want 2 (taken and tokyo-daigaku)", n)
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM users"); n != 3 {
			t.Errorf("%d users, want 3", n)
		}
	})
}

// Registrations racing for one URL name: exactly one wins, each other one
// gets the form back with "already taken" next to the URL name.
func TestRegistrationRaceForOneSlug(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithMailer(mail.Unconfigured{}))
		const n = 4
		clients := make([]*webtest.Client, n)
		for i := range clients {
			clients[i] = env.Client()
			clients[i].Get("/register")
		}
		results := make([]*webtest.Response, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, cl := range clients {
			wg.Go(func() {
				<-start
				results[i] = cl.Post("/register", registrationForm(fmt.Sprintf("Racer %d", i), "the-prize", fmt.Sprintf("racer%d@example.org", i)))
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for i, r := range results {
			switch {
			case r.Status == 201:
				won++
			case r.Status == 422 && strings.Contains(between(r.Body, `data-testid="error-slug"`, "</p>"), "already taken") &&
				strings.Count(r.Body, `data-testid="error-`) == 1:
			default:
				t.Errorf("racer %d: %d\n%.500s", i, r.Status, between(r.Body, `data-testid="register-form"`, "</form>"))
			}
		}
		if won != 1 {
			t.Fatalf("%d registrations won, want 1", won)
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM organizations WHERE slug = 'the-prize'"); n != 1 {
			t.Errorf("%d organizations", n)
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM users WHERE email LIKE 'racer%'"); n != 1 {
			t.Errorf("%d racer accounts, want 1: the losers left rows", n)
		}
	})
}

// Registering with the email of an existing account answers as any
// registration does (so the page does not tell who has an account), creates
// nothing, and tells the account's owner by email.
func TestRegistrationWithAnAccountsEmail(t *testing.T) {
	srv := mailtest.Start(t)
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithSMTP(srv.SMTPURL()))
		owner := mailtest.Address(t)
		if r := env.Client().Post("/register", registrationForm("First Org", "", owner)); r.Status != 201 {
			t.Fatalf("first registration: %d", r.Status)
		}
		srv.WaitFor(t, owner, waitMail) // the confirmation
		fresh := env.Client().Post("/register", registrationForm("Fresh Org", "", mailtest.Address(t)))
		again := env.Client().Post("/register", registrationForm("Second Org", "", strings.ToUpper(owner)))
		if again.Status != fresh.Status || !again.Has("register-done") || !again.Has("register-email-sent") ||
			!again.Has("register-awaiting-approval") || strings.Contains(again.Body, "already") {
			t.Fatalf("registration with a known email: %d (a new one: %d)\n%.2000s", again.Status, fresh.Status, again.Body)
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM organizations WHERE slug = 'second-org'"); n != 0 {
			t.Fatal("an organization was registered with another account's email")
		}
		// Sent before the page answered; mailpit may take a moment to list it.
		var told bool
		for deadline := time.Now().Add(waitMail); !told && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			for _, m := range srv.Messages(t, owner) {
				told = told || m.Subject == "You already have a TrustCred account" && strings.Contains(m.Text, "Second Org") &&
					strings.Contains(m.Text, "/password/forgot")
			}
		}
		if !told {
			t.Fatal("the account's owner was not told")
		}
	})
}

// Without email the registration is kept and the page says the email did
// not go out; an expired link is refused; the dashboard's button sends a
// new link that replaces the old one.
func TestRegistrationEmailProblems(t *testing.T) {
	srv := mailtest.Start(t)
	env := webtest.New(t, store.SQLite, webtest.WithMailer(mail.Unconfigured{}))
	to := mailtest.Address(t)
	r := env.Client().Post("/register", registrationForm("Offline Org", "", to))
	if r.Status != 201 || !r.Has("register-email-failed") || !strings.Contains(r.Body, "email is not configured") || r.Has("register-email-sent") {
		t.Fatalf("register without email: %d\n%.2000s", r.Status, r.Body)
	}
	if n := scalar[int](t, env, "SELECT count(*) FROM organizations WHERE slug = 'offline-org' AND status = 'pending'"); n != 1 {
		t.Fatal("the registration was not kept")
	}

	// With email: an expired link is refused, and the admin asks for a
	// new one from the dashboard.
	mailing := webtest.New(t, store.SQLite, webtest.WithSMTP(srv.SMTPURL()))
	to2 := mailtest.Address(t)
	if r := mailing.Client().Post("/register", registrationForm("Online Org", "", to2)); r.Status != 201 || !r.Has("register-email-sent") {
		t.Fatalf("register: %d", r.Status)
	}
	first := linkIn(t, mailing, srv.WaitFor(t, to2, waitMail).Text, "/confirm-email/")
	if _, err := mailing.DB.SQL().Exec("UPDATE user_tokens SET expires_at = ? WHERE purpose = 'email_verification'", time.Now().Add(-time.Minute).UTC()); err != nil {
		t.Fatal(err)
	}
	if r := mailing.Client().Get(first); r.Status != 410 || !r.Has("confirm-email-invalid") {
		t.Fatalf("an expired link: %d", r.Status)
	}
	cl := mailing.Client()
	if r := cl.Post("/login", url.Values{"email": {to2}, "password": {orgPassword}}); r.Status != 303 {
		t.Fatalf("sign in: %d", r.Status)
	}
	cl.Get("/")
	r = cl.Post("/confirm-email/resend", nil)
	if r.Status != 303 || r.Location() != "/" {
		t.Fatalf("resend: %d → %q", r.Status, r.Location())
	}
	if dash := cl.Get("/"); !dash.Has("flash-success") || !dash.Has("email-unverified") {
		t.Errorf("after resending:\n%.1500s", dash.Body)
	}
	var second string
	deadline := time.Now().Add(waitMail)
	for second == "" || second == first {
		if time.Now().After(deadline) {
			t.Fatal("no second confirmation email")
		}
		second = linkIn(t, mailing, srv.WaitFor(t, to2, waitMail).Text, "/confirm-email/")
	}
	if n := scalar[int](t, mailing, "SELECT count(*) FROM audit_logs WHERE action = 'email.confirmation_sent'"); n != 1 {
		t.Errorf("resend audited %d times", n)
	}
	if r := mailing.Client().Get(second); r.Status != 200 || !r.Has("email-confirmed") || !r.Has("confirmed-sign-in") {
		t.Errorf("the new link: %d", r.Status)
	}
	if dash := cl.Get("/"); dash.Has("email-unverified") {
		t.Error("the banner stays after confirming")
	}
}
