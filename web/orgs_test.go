package web_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// setStatus changes an organization's status (what the organizations
// console does), with a reason.
func setStatus(t *testing.T, env *webtest.Env, o *store.Organization, status store.OrganizationStatus, reason string) {
	t.Helper()
	var r any
	if reason != "" {
		r = reason
	}
	if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), "UPDATE organizations SET status = ?, status_reason = ?, status_changed_at = ? WHERE id = ?"),
		string(status), r, time.Now().UTC(), o.ID); err != nil {
		t.Fatal(err)
	}
	o.Status = status
}

// Members of a suspended or revoked organization cannot sign in and are
// told why once their password is right; a session they had ends on its
// next request; platform operators are not affected.
func TestBlockedOrganizationsLockMembersOut(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		acme := env.Org("acme")
		admin, issuer := env.User(store.RoleAdmin, acme), env.User(store.RoleIssuer, acme)
		super := env.User(store.RoleSuperAdmin, nil)
		signed, operator := env.Client(), env.Client()
		signed.Login(issuer)
		operator.Login(super)

		setStatus(t, env, acme, store.OrganizationSuspended, "Unpaid invoices.")
		r := env.Client().Post("/login", url.Values{"email": {admin.Email}, "password": {webtest.Password}})
		want := "Your organization&#39;s account is suspended: Unpaid invoices. Contact the platform operator."
		if r.Status != 422 || !r.Has("form-error") || !strings.Contains(r.Body, want) {
			t.Fatalf("suspended member signing in: %d\n%s", r.Status, between(r.Body, `data-testid="form-error"`, "</div>"))
		}
		// A wrong password learns nothing about the organization.
		r = env.Client().Post("/login", url.Values{"email": {admin.Email}, "password": {"wrong password entirely"}})
		if r.Status != 422 || strings.Contains(r.Body, "suspended") {
			t.Fatalf("wrong password for a suspended member: %d", r.Status)
		}
		// The signed-in member's next request ends the session and says why.
		r = signed.Get("/members")
		if r.Status != 303 || !strings.HasPrefix(r.Location(), "/login") {
			t.Fatalf("a suspended member's session: %d → %q", r.Status, r.Location())
		}
		if page := signed.Get(r.Location()); !page.Has("login-page") || !strings.Contains(page.Body, "account is suspended: Unpaid invoices.") {
			t.Fatalf("no reason on the sign-in page:\n%s", between(page.Body, `id="flash"`, "</div>"))
		}
		if signedIn(signed) {
			t.Fatal("the session still works")
		}
		if n := count(t, env, "SELECT count(*) FROM user_sessions WHERE user_id = '"+issuer.ID+"' AND revoked_at IS NULL"); n != 0 {
			t.Errorf("%d sessions of the suspended member left open", n)
		}
		if audits(t, env, "login.refused") != 1 || audits(t, env, "session.ended_organization_inactive") != 1 {
			t.Errorf("audited: %d refusals, %d ended sessions", audits(t, env, "login.refused"), audits(t, env, "session.ended_organization_inactive"))
		}
		// The platform operator carries on.
		if !signedIn(operator) {
			t.Error("the platform operator was signed out")
		}

		// Revoked, without a reason; reactivated, sign-in works again.
		setStatus(t, env, acme, store.OrganizationRevoked, "")
		r = env.Client().Post("/login", url.Values{"email": {issuer.Email}, "password": {webtest.Password}})
		if r.Status != 422 || !strings.Contains(r.Body, "Your organization&#39;s account has been revoked. Contact the platform operator.") {
			t.Fatalf("revoked member signing in: %d", r.Status)
		}
		setStatus(t, env, acme, store.OrganizationActive, "")
		signed.Login(issuer)
		if !signedIn(signed) {
			t.Fatal("sign-in after reactivation")
		}
	})
}

// Members of an organization awaiting approval sign in to an "awaiting
// approval" dashboard and their account; every organization page is 403
// with a page that says why; the navigation offers none of them.
func TestPendingOrganizationMembers(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		acme := env.Org("acme")
		setStatus(t, env, acme, store.OrganizationPending, "")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, acme))
		home := cl.Get("/")
		if !home.Has("dashboard") || !home.Has("org-pending") || home.Has("org-panel") || strings.Contains(home.Body, `href="/members"`) {
			t.Fatalf("pending dashboard:\n%.2000s", between(home.Body, `id="main"`, "</main>"))
		}
		for _, path := range []string{"/members", "/members/invite", "/api-keys", "/audit", "/settings/security"} {
			r := cl.Get(path)
			if r.Status != 403 || !r.Has("org-not-active-yet") || !strings.Contains(r.Body, "Acme Org awaits approval") {
				t.Errorf("GET %s for a pending organization: %d", path, r.Status)
			}
		}
		if r := cl.Post("/members/invite", url.Values{"email": {"x@acme.example"}, "role": {"issuer"}}); r.Status != 403 || !r.Has("org-not-active-yet") {
			t.Errorf("POST /members/invite for a pending organization: %d", r.Status)
		}
		if r := cl.Htmx("POST", "/api-keys", url.Values{"name": {"k"}}); r.Status != 403 || !r.Has("org-not-active-yet") || r.Has("app") {
			t.Errorf("htmx POST /api-keys for a pending organization: %d", r.Status)
		}
		if n := count(t, env, "SELECT count(*) FROM users WHERE email = 'x@acme.example'"); n != 0 {
			t.Error("a pending organization invited a member")
		}
		for _, path := range []string{"/account", "/account/sessions", "/account/mfa"} {
			if r := cl.Get(path); r.Status != 200 {
				t.Errorf("GET %s for a pending organization's member: %d", path, r.Status)
			}
		}
		// Approved: the organization's pages open.
		setStatus(t, env, acme, store.OrganizationActive, "")
		if r := cl.Get("/members"); r.Status != 200 {
			t.Errorf("/members after approval: %d", r.Status)
		}
	})
}

// /orgs/{slug}: an active organization's profile; pending, suspended,
// revoked and unknown organizations all get the same 404 page.
func TestPublicIssuerPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		acme := env.Org("acme")
		if _, err := env.DB.SQL().Exec(storetest.Rebind(d, "UPDATE organizations SET verified = ?, description = ?, website = ?, logo_key = ? WHERE id = ?"),
			true, "We <b>teach</b>.", "https://acme.example/about", "orgs/acme/logo", acme.ID); err != nil {
			t.Fatal(err)
		}
		for _, c := range []string{"engineering", "arts"} {
			if _, err := env.DB.SQL().Exec(storetest.Rebind(d, "INSERT INTO issuer_categories (id, issuer_id, category) VALUES (?, ?, ?)"),
				uuid.Must(uuid.NewV7()).String(), acme.ID, c); err != nil {
				t.Fatal(err)
			}
		}
		plain := env.Org("plain")
		anon := env.Client()
		r := anon.Get("/orgs/acme")
		if r.Status != 200 || !r.Has("issuer-page") || !r.Has("issuer-verified") || !r.Has("issuer-logo") {
			t.Fatalf("active issuer: %d\n%.1500s", r.Status, r.Body)
		}
		for _, s := range []string{"Acme Org", "Company", "We &lt;b&gt;teach&lt;/b&gt;.", `href="https://acme.example/about"`,
			`src="/orgs/acme/logo"`, acme.DID, ">arts<", ">engineering<"} {
			if !strings.Contains(r.Body, s) {
				t.Errorf("the active issuer's page lacks %q", s)
			}
		}
		if strings.Index(r.Body, ">arts<") > strings.Index(r.Body, ">engineering<") {
			t.Error("categories not in alphabetical order")
		}
		r = anon.Get("/orgs/plain")
		if r.Status != 200 || r.Has("issuer-verified") || !r.Has("issuer-unverified") || r.Has("issuer-logo") || r.Has("issuer-categories") ||
			r.Has("issuer-website") || r.Has("issuer-description") || !strings.Contains(r.Body, plain.DID) {
			t.Errorf("a bare issuer's page: %d", r.Status)
		}
		// Any organization that is not active answers exactly as an unknown
		// slug of the same length does: same status, same page but for the
		// request id, so the page does not tell which slugs are registered.
		reqID := regexp.MustCompile(`data-testid="error-request-id">[^<]*<`)
		same := func(r *webtest.Response) string { return withoutCSRF(reqID.ReplaceAllString(r.Body, "")) }
		unknown := anon.Get("/orgs/acmf")
		if unknown.Status != 404 || !unknown.Has("error-page") || !unknown.Has("error-request-id") {
			t.Fatalf("unknown issuer: %d", unknown.Status)
		}
		for _, st := range []store.OrganizationStatus{store.OrganizationSuspended, store.OrganizationPending, store.OrganizationRevoked} {
			setStatus(t, env, acme, st, "secret reason")
			r := anon.Get("/orgs/acme")
			if r.Status != 404 || !r.Has("error-page") || r.Has("issuer-page") {
				t.Errorf("%s issuer: %d, want 404", st, r.Status)
			}
			if got, want := same(r), same(unknown); got != want {
				t.Errorf("the %s issuer's page differs from an unknown one's:\n%s\n---\n%s", st, got, want)
			}
			if r.Header.Get("Cache-Control") != unknown.Header.Get("Cache-Control") {
				t.Errorf("the %s issuer's page: Cache-Control %q, an unknown one's %q", st, r.Header.Get("Cache-Control"), unknown.Header.Get("Cache-Control"))
			}
		}
		for _, path := range []string{"/orgs/acme", "/orgs/no-such-org", "/orgs/Not_A_Slug", "/orgs/" + strings.Repeat("a", 64)} {
			if r := anon.Get(path); r.Status != 404 || !r.Has("error-page") {
				t.Errorf("GET %s: %d, want 404", path, r.Status)
			}
		}
	})
}

// The dashboard by role: the platform operator's counts and pending
// registrations, an org admin's members and recent activity, an issuer's
// figures without them.
func TestDashboardByRole(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		acme := env.Org("acme")
		env.Org("beta")
		admin := env.User(store.RoleAdmin, acme)
		issuer := env.User(store.RoleIssuer, acme)
		for i, slug := range []string{"new-one", "new-two"} {
			o := env.Org(slug)
			env.User(store.RoleAdmin, o)
			setStatus(t, env, o, store.OrganizationPending, "")
			if i == 0 {
				time.Sleep(10 * time.Millisecond) // distinct creation times order the list
			}
		}
		super := env.Client()
		super.Login(env.User(store.RoleSuperAdmin, nil))
		r := super.Get("/")
		if !r.Has("platform-panel") || r.Has("org-panel") || r.Has("email-unverified") {
			t.Fatalf("operator dashboard:\n%.3000s", between(r.Body, `id="main"`, "</main>"))
		}
		counts := map[string]string{"count-pending": "2", "count-active": "2", "count-suspended": "0", "count-revoked": "0", "count-users": "6"}
		for id, want := range counts {
			got := between(between(r.Body, `data-testid="`+id+`"`, "</dd>"), `data-testid="stat-value">`, "<")
			if got != want {
				t.Errorf("%s = %q, want %s", id, got, want)
			}
		}
		if n := strings.Count(r.Body, `data-testid="pending-registration"`); n != 2 ||
			strings.Index(r.Body, "New-two Org") > strings.Index(r.Body, "New-one Org") || !r.Has("pending-registrations-link") ||
			!strings.Contains(r.Body, `href="/admin/organizations?status=pending"`) {
			t.Errorf("pending registrations: %d rows", n)
		}

		// An org admin: members by status, the latest audit entries.
		if _, err := env.DB.Scoped(acme.ID).InviteMember(t.Context(), "new@acme.example", store.RoleVerifier,
			store.EmailLink{TokenHash: strings.Repeat("c", 64), ExpiresAt: time.Now().Add(time.Hour)}, store.Actor{UserID: &admin.ID}); err != nil {
			t.Fatal(err)
		}
		ac := env.Client()
		ac.Login(admin)
		r = ac.Get("/")
		if !r.Has("org-panel") || r.Has("platform-panel") || !r.Has("recent-events") || r.Has("org-pending") {
			t.Fatalf("admin dashboard:\n%.3000s", between(r.Body, `id="main"`, "</main>"))
		}
		for id, want := range map[string]string{"count-members": "2", "count-invitations": "1", "count-deactivated": "0"} {
			if got := between(between(r.Body, `data-testid="`+id+`"`, "</dd>"), `data-testid="stat-value">`, "<"); got != want {
				t.Errorf("%s = %q, want %s", id, got, want)
			}
		}
		if n := strings.Count(r.Body, `data-testid="recent-event"`); n < 2 || n > 5 || !strings.Contains(r.Body, "member.invited") {
			t.Errorf("recent activity: %d entries", n)
		}
		// Only five, newest first.
		for i := range 6 {
			if err := env.DB.Audit(t.Context(), store.Actor{OrganizationID: &acme.ID}, "test.event", "organization", acme.ID,
				store.AuditDetails{Summary: fmt.Sprintf("event %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if r := ac.Get("/"); strings.Count(r.Body, `data-testid="recent-event"`) != 5 {
			t.Errorf("%d recent entries, want 5", strings.Count(r.Body, `data-testid="recent-event"`))
		}

		// An issuer: the organization's figures, without its members or audit log.
		ic := env.Client()
		ic.Login(issuer)
		r = ic.Get("/")
		if !r.Has("org-panel") || !r.Has("stat-issued") || !r.Has("pending-batches") || r.Has("member-counts") || r.Has("recent-events") ||
			r.Has("platform-panel") || r.Has("org-pending") {
			t.Errorf("issuer dashboard:\n%.2000s", between(r.Body, `id="main"`, "</main>"))
		}
		// Another organization's counts are its own.
		bc := env.Client()
		bc.Login(env.User(store.RoleAdmin, env.Org("gamma")))
		if got := between(between(bc.Get("/").Body, `data-testid="count-invitations"`, "</dd>"), `data-testid="stat-value">`, "<"); got != "0" {
			t.Errorf("another organization sees %s invitations", got)
		}
	})
}

// The registration, confirmation and public page routes for every role:
// all public but the resend, which needs a signed-in user.
func TestOrganizationRoutesByRole(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		clients := env.RoleClients(a, b)
		resend := webtest.All(303) // signed in: back to the dashboard (already confirmed); anonymous: to sign in
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/register", Want: webtest.All(200)},
			{Method: "POST", Path: "/register", Form: url.Values{"name": {""}}, Want: webtest.All(422)},
			{Method: "GET", Path: "/register/slug?name=New+Org", Htmx: true, Want: webtest.All(200)},
			{Method: "GET", Path: "/confirm-email/unknown-token", Want: webtest.All(410)},
			{Method: "POST", Path: "/confirm-email/resend", Want: resend},
			{Method: "GET", Path: "/orgs/acme", Want: webtest.All(200)},
			{Method: "GET", Path: "/orgs/nobody", Want: webtest.All(404)},
		})
		// Org B's admin looking at org A's page sees A's public profile,
		// like anyone.
		if r := clients[webtest.AsOtherAdmin].Get("/orgs/acme"); !strings.Contains(r.Body, a.DID) {
			t.Error("org B's admin does not see org A's public page")
		}
		// Resending is for one's own address: org B's admin's request
		// renews nothing for anyone (everyone here is confirmed).
		if n := count(t, env, "SELECT count(*) FROM user_tokens WHERE purpose = 'email_verification'"); n != 0 {
			t.Errorf("%d confirmation links created for confirmed accounts", n)
		}
	})
}

// An organization suspended between the password and the second factor:
// the second step refuses with the reason.
func TestBlockedBetweenPasswordAndSecondFactor(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	acme := env.Org("acme")
	u := env.User(store.RoleIssuer, acme)
	secret, _ := enrol(t, env, u)
	cl := env.Client()
	if r := cl.Post("/login", url.Values{"email": {u.Email}, "password": {webtest.Password}}); r.Status != 303 || r.Location() != "/login/mfa" {
		t.Fatalf("password step: %d → %q", r.Status, r.Location())
	}
	setStatus(t, env, acme, store.OrganizationSuspended, "Audit in progress")
	r := cl.Post("/login/mfa", url.Values{"code": {code(t, secret, 0)}})
	if r.Status != 422 || !strings.Contains(r.Body, "account is suspended: Audit in progress. Contact the platform operator.") || signedIn(cl) {
		t.Fatalf("second factor of a suspended member: %d", r.Status)
	}
}
