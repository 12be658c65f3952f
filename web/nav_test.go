package web_test

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/nav"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

var navLink = regexp.MustCompile(`<a href="([^"]*)"[^>]*data-testid="nav-[^"]*"`)

// sidebarLinks are the links of the page's sidebar (the large-screen one;
// the phone menu holds the same).
func sidebarLinks(t *testing.T, body string) []string {
	t.Helper()
	side := between(body, `data-testid="sidebar-nav"`, "</nav>")
	phone := between(body, `data-testid="sidebar-nav-mobile"`, "</nav>")
	if side == "" || side != phone {
		t.Fatalf("the sidebar and the phone menu differ (or are missing):\n%.1500s\n---\n%.1500s", side, phone)
	}
	var out []string
	for _, m := range navLink.FindAllStringSubmatch(side, -1) {
		out = append(out, m[1])
	}
	return out
}

// Every row of the navigation table names the permission its page's route
// requires (web/routes.go, as routeGuards declares it), so that the table
// and the routes cannot drift apart.
func TestNavTableMatchesRouteGuards(t *testing.T) {
	for _, e := range nav.Table {
		g, ok := routeGuards["GET "+e.Href]
		if !ok {
			t.Errorf("nav row %q links to %s, which is not a route", e.Label, e.Href)
			continue
		}
		want := map[nav.Where]string{nav.Anyone: "user", nav.InOrganization: "org", nav.OnPlatform: "platform"}[e.Where]
		if g.kind == "public" && e.Where == nav.Anyone {
			continue // a public page, which any signed-in person can open too
		}
		if g.kind != want || g.perm != e.Permission {
			t.Errorf("nav row %q: %v needs %s; the route %s is guarded by %s %s", e.Label, e.Where, e.Permission, e.Href, g.kind, g.perm)
		}
	}
}

// For every role, the sidebar shows exactly the links whose pages that
// person can open: each row of the table is requested as each of them, and
// it is in their sidebar if and only if it answers 200.
func TestSidebarShowsWhatEachRoleCanOpen(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	a, b := env.Org("acme"), env.Org("bolt")
	clients := env.RoleClients(a, b)
	pending := env.Org("waiting")
	setStatus(t, env, pending, store.OrganizationPending, "")
	clients["admin of a pending organization"] = env.Client()
	clients["admin of a pending organization"].Login(env.User(store.RoleAdmin, pending))
	for who, cl := range clients {
		if who == webtest.AsAnonymous {
			continue
		}
		home := cl.Get("/")
		if home.Status != 200 {
			t.Fatalf("dashboard as %s: %d", who, home.Status)
		}
		shown := sidebarLinks(t, home.Body)
		var opens []string
		for _, e := range nav.Table {
			if r := cl.Get(e.Href); r.Status == 200 {
				opens = append(opens, e.Href)
			}
		}
		if !slices.Equal(shown, opens) {
			t.Errorf("%s: the sidebar shows %v; the pages that open are %v", who, shown, opens)
		}
	}
	// The anonymous visitor has no sidebar, and sign-in and /verify in
	// the top bar; the home page and the footer link /verify too.
	r := clients[webtest.AsAnonymous].Get("/")
	if r.Has("sidebar-nav") || !r.Has("sign-in") || !r.Has("public-verify") || !r.Has("footer-verify") {
		t.Errorf("signed-out top bar: sidebar %v, sign-in %v, verify %v", r.Has("sidebar-nav"), r.Has("sign-in"), r.Has("public-verify"))
	}
	for _, id := range []string{"public-verify", "home-verify", "footer-verify"} {
		if !regexp.MustCompile(`<a [^>]*href="/verify"[^>]*data-testid="` + id + `"`).MatchString(r.Body) {
			t.Errorf("the signed-out home page has no %s link to /verify", id)
		}
	}
}

// Exactly one sidebar item is the current page: the longest that holds
// the path (Issue, not Credentials, on /credentials/issue).
func TestSidebarMarksOneCurrentItem(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	cl := env.Client()
	cl.Login(env.User(store.RoleAdmin, env.Org("acme")))
	for path, want := range map[string]string{
		"/":                     "/",
		"/credentials":          "/credentials",
		"/credentials/issue":    "/credentials/issue",
		"/credentials/bulk":     "/credentials/bulk",
		"/credentials/bulk/new": "/credentials/bulk",
		"/schemas/new":          "/schemas",
		"/settings/keys":        "/settings/keys",
		"/verify":               "/verify", // a public page, which a signed-in person sees in the staff shell
		"/marketplace":          "/marketplace",
		"/account":              "",
	} {
		r := cl.Get(path)
		if r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
		side := between(r.Body, `data-testid="sidebar-nav"`, "</nav>")
		current := regexp.MustCompile(`<a href="([^"]*)" aria-current="page"`).FindAllStringSubmatch(side, -1)
		var got []string
		for _, m := range current {
			got = append(got, m[1])
		}
		if want == "" && len(got) != 0 || want != "" && (len(got) != 1 || got[0] != want) {
			t.Errorf("%s: current items %v, want %q", path, got, want)
		}
	}
}

// The dashboard's figures are the organization's own, on both dialects:
// this month's credentials and verifications with last month's, the
// batches in progress; another organization's admin sees theirs.
func TestDashboardFiguresAreScoped(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		tplA, tplB := degreeTemplate(t, env, a), degreeTemplate(t, env, b)
		c1 := issueDegree(t, env, a, tplA, "Ada Lovelace", "ada@example.org")
		issueDegree(t, env, a, tplA, "Grace Hopper", "grace@example.org")
		issueDegree(t, env, b, tplB, "Alan Turing", "alan@example.org")
		// A credential issued last month, earlier in the month than today.
		now := time.Now().UTC()
		m := store.MonthOf(now)
		old := issueDegree(t, env, a, tplA, "Old Timer", "old@example.org")
		lastMonth := m.PrevStart.Add(m.PrevSame.Sub(m.PrevStart) / 2)
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := env.DB.SQL().Exec(storetest.Rebind(d, q), args...); err != nil {
				t.Fatal(err)
			}
		}
		exec("UPDATE credentials SET issued_at = ? WHERE id = ?", lastMonth, old.ID)
		for range 3 {
			exec("INSERT INTO verification_logs (id, credential_id, organization_id, verdict, verification_result, verification_method, verified_at) VALUES (?, ?, ?, 'valid', '{}', 'web_interface', ?)",
				uuid.NewString(), c1.ID, a.ID, now.Add(-time.Minute))
		}
		admin := func(o *store.Organization) *webtest.Client {
			cl := env.Client()
			cl.Login(env.User(store.RoleAdmin, o))
			return cl
		}
		stat := func(body, id string) string {
			return between(between(body, `data-testid="`+id+`"`, "</dd>"), `data-testid="stat-value">`, "<")
		}
		ra := admin(a).Get("/")
		for id, want := range map[string]string{"stat-issued": "2", "stat-verifications": "3", "stat-batches": "0"} {
			if got := stat(ra.Body, id); got != want {
				t.Errorf("A's %s = %q, want %s", id, got, want)
			}
		}
		if !strings.Contains(between(ra.Body, `data-testid="stat-issued"`, "</dl>"), "Up from 1 by this day last month") {
			t.Errorf("A's trend:\n%s", between(ra.Body, `data-testid="stat-issued"`, "</dl>"))
		}
		if n := strings.Count(ra.Body, `data-testid="recent-verification"`); n != 3 || !strings.Contains(ra.Body, "Ada Lovelace") {
			t.Errorf("A's recent verifications: %d", n)
		}
		rb := admin(b).Get("/")
		for id, want := range map[string]string{"stat-issued": "1", "stat-verifications": "0"} {
			if got := stat(rb.Body, id); got != want {
				t.Errorf("B's %s = %q, want %s", id, got, want)
			}
		}
		if strings.Contains(rb.Body, "Ada Lovelace") || strings.Count(rb.Body, `data-testid="recent-verification"`) != 0 {
			t.Error("B's dashboard shows A's verifications")
		}
	})
}

// Each role lands somewhere useful: a verifier on the verify box and their
// own verifications, a recipient on the credentials issued to them (or why
// none shows, and the verify page).
func TestLandingPerRole(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	a := env.Org("acme")
	tpl := degreeTemplate(t, env, a)
	verifier, recipient := env.User(store.RoleVerifier, a), env.User(store.RoleRecipient, a)
	vc, rc := env.Client(), env.Client()
	vc.Login(verifier)
	rc.Login(recipient)

	r := vc.Get("/")
	if !r.Has("verifier-panel") || !r.Has("verify-box") || !strings.Contains(r.Body, `action="/verify"`) || r.Has("org-panel") {
		t.Errorf("verifier's dashboard:\n%.2000s", between(r.Body, `id="main"`, "</main>"))
	}
	cred := issueDegree(t, env, a, tpl, "Ada Lovelace", "ada@example.org")
	if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), "INSERT INTO verification_logs (id, credential_id, organization_id, verdict, verification_result, verification_method, verifier_user_id, verified_at) VALUES (?, ?, ?, 'revoked', '{}', 'web_interface', ?, ?)"),
		uuid.NewString(), cred.ID, a.ID, verifier.ID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	r = vc.Get("/")
	if n := strings.Count(r.Body, `data-testid="recent-verification"`); n != 1 || !strings.Contains(r.Body, "/v/"+cred.PublicID) ||
		!strings.Contains(between(r.Body, `data-testid="verification-verdict"`, "<"), "Revoked") {
		t.Errorf("the verifier's own verifications: %d rows\n%.2000s", n, between(r.Body, `data-testid="my-verifications"`, "</section>"))
	}

	r = rc.Get("/")
	if !r.Has("recipient-panel") || !r.Has("no-credentials") || !r.Has("recipient-verify") {
		t.Errorf("recipient without credentials:\n%.2000s", between(r.Body, `id="main"`, "</main>"))
	}
	issueDegree(t, env, a, tpl, "Recipient", recipient.Email)
	r = rc.Get("/")
	if strings.Count(r.Body, `data-testid="received-credential"`) != 1 || !strings.Contains(r.Body, "Acme Org") || r.Has("no-credentials") {
		t.Errorf("recipient with a credential:\n%.2000s", between(r.Body, `data-testid="recipient-panel"`, "</section>"))
	}
}

// A new organization's checklist: every step open and linked for its
// admin; each ticks from real data; once all are done it is gone. An
// issuer sees the admin's steps without links.
func TestGettingStartedChecklist(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	a := env.Org("fresh")
	admin := env.Client()
	admin.Login(env.User(store.RoleAdmin, a))
	steps := map[string]string{"step-profile": "/settings/profile", "step-schema": "/schemas/new", "step-template": "/templates/new",
		"step-credential": "/credentials/issue", "step-invite": "/members/invite"}
	done := func(r *webtest.Response, id string) string {
		return between(r.Body, `data-testid="`+id+`" data-done="`, `"`)
	}
	r := admin.Get("/")
	for id, href := range steps {
		if done(r, id) != "false" || !strings.Contains(between(r.Body, `data-testid="`+id+`"`, "</li>"), `href="`+href+`"`) {
			t.Errorf("%s on a new organization: done %q, link to %s missing", id, done(r, id), href)
		}
	}
	tpl := degreeTemplate(t, env, a) // a schema and a template
	r = admin.Get("/")
	if done(r, "step-schema") != "true" || done(r, "step-template") != "true" || done(r, "step-credential") != "false" {
		t.Errorf("after a schema and a template: %s %s %s", done(r, "step-schema"), done(r, "step-template"), done(r, "step-credential"))
	}
	issuer := env.Client()
	issuer.Login(env.User(store.RoleIssuer, a)) // a colleague
	if ri := issuer.Get("/"); !ri.Has("checklist") || strings.Contains(between(ri.Body, `data-testid="step-profile"`, "</li>"), "href=") {
		t.Error("the issuer's checklist: missing, or links to a page the issuer cannot open")
	}
	issueDegree(t, env, a, tpl, "Ada Lovelace", "ada@example.org")
	if r = admin.Get("/"); done(r, "step-invite") != "true" || done(r, "step-credential") != "true" || done(r, "step-profile") != "false" {
		t.Errorf("after a credential and a colleague: %s %s", done(r, "step-credential"), done(r, "step-invite"))
	}
	if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), "UPDATE organizations SET description = 'We teach.', logo_key = 'logos/fresh.png' WHERE id = ?"), a.ID); err != nil {
		t.Fatal(err)
	}
	if r = admin.Get("/"); r.Has("checklist") {
		t.Error("the checklist is still shown once every step is done")
	}
}

// /verify is one page for everyone: a signed-in person sees it in the
// staff shell (the sidebar with "Verify a credential" current, the
// account menu able to sign out), and can verify there; a signed-out
// visitor in the public layout, with no cookie set.
func TestVerifyPageInTheStaffShellWhenSignedIn(t *testing.T) {
	webtest.Each(t, func(t *testing.T, dialect store.Dialect) {
		env := webtest.New(t, dialect)
		org := env.Org("acme")
		for _, role := range []store.Role{store.RoleAdmin, store.RoleVerifier} {
			cl := env.Client()
			cl.Login(env.User(role, org))
			r := cl.Get("/verify")
			if r.Status != 200 || !r.Has("verify-form") || !r.Has("sidebar-nav") || r.Has("sign-in") ||
				!strings.Contains(between(r.Body, `data-testid="sidebar-nav"`, "</nav>"), `<a href="/verify" aria-current="page"`) {
				t.Errorf("%s: GET /verify: %d, form %v, sidebar %v, public bar %v", role, r.Status, r.Has("verify-form"), r.Has("sidebar-nav"), r.Has("sign-in"))
			}
			if token := regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`).FindStringSubmatch(r.Body); token == nil {
				t.Errorf("%s: the staff shell on /verify has no CSRF token for its forms", role)
			}
			// Verifying from the shell: the result is shown in it too.
			r = cl.Post("/verify", url.Values{"credential": {""}})
			if r.Status != 422 || !r.Has("sidebar-nav") || !r.Has("verify-error") {
				t.Errorf("%s: POST /verify: %d, sidebar %v, error %v", role, r.Status, r.Has("sidebar-nav"), r.Has("verify-error"))
			}
		}
		anon := env.Client()
		r := anon.Get("/verify")
		if r.Status != 200 || !r.Has("verify-form") || r.Has("sidebar-nav") || !r.Has("sign-in") {
			t.Errorf("signed out: GET /verify: %d, sidebar %v, sign-in %v", r.Status, r.Has("sidebar-nav"), r.Has("sign-in"))
		}
		if c := r.Header.Values("Set-Cookie"); len(c) > 0 {
			t.Errorf("signed out: /verify set cookies %v", c)
		}
	})
}
