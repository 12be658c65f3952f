package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func invite(t *testing.T, env *webtest.Env, org *store.Organization, email string, role store.Role) (*store.Member, string) {
	t.Helper()
	token := auth.NewToken()
	m, err := env.DB.Scoped(org.ID).InviteMember(context.Background(), email, role,
		store.EmailLink{TokenHash: auth.HashToken(token), ExpiresAt: time.Now().Add(72 * time.Hour)}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	return m, token
}

// Every route of the members page, the invitation and the password reset,
// for each role of organization alpha, a platform operator, an anonymous
// visitor and beta's admin acting on alpha's members.
func TestMemberRoutesByRole(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		alpha, beta := env.Org("alpha"), env.Org("beta")
		target := env.User(store.RoleVerifier, alpha)
		invited, _ := invite(t, env, alpha, "invited@alpha.example", store.RoleIssuer)
		clients := env.RoleClients(alpha, beta)
		newMember := func(who string) url.Values {
			return url.Values{"email": {"new-" + strings.ReplaceAll(strings.ToLower(who), " ", "-") + "@example.org"}, "role": {"issuer"}}
		}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/members", Want: webtest.AdminOnly(200, 200)},
			{Method: "GET", Path: "/members?q=verifier&role=verifier", Want: webtest.AdminOnly(200, 200)},
			{Method: "GET", Path: "/members/invite", Want: webtest.AdminOnly(200, 200)},
			{Method: "POST", Path: "/members/invite", FormFor: newMember, Want: webtest.AdminOnly(303, 303)},
			{Method: "POST", Path: "/members/" + target.ID + "/role", Form: url.Values{"role": {"verifier"}}, Want: webtest.AdminOnly(303, 404)},
			{Method: "POST", Path: "/members/" + target.ID + "/deactivate", Want: webtest.AdminOnly(303, 404)},
			{Method: "POST", Path: "/members/" + target.ID + "/reactivate", Want: webtest.AdminOnly(303, 404)},
			{Method: "POST", Path: "/members/" + invited.ID + "/resend", Want: webtest.AdminOnly(303, 404)},
			// The invitation and the password reset are public.
			{Method: "GET", Path: "/invitations/not-a-real-token", Want: webtest.All(410)},
			{Method: "POST", Path: "/invitations/not-a-real-token", Want: webtest.All(410)},
			{Method: "GET", Path: "/password/forgot", Want: webtest.All(200)},
			{Method: "POST", Path: "/password/forgot", Form: url.Values{"email": {"nobody@example.org"}}, Want: webtest.All(200)},
			{Method: "GET", Path: "/password/reset/not-a-real-token", Want: webtest.All(410)},
			{Method: "POST", Path: "/password/reset/not-a-real-token", Want: webtest.All(410)},
		})
		// Nobody but the two admins changed anything.
		if n := scalar[int](t, env, "SELECT count(*) FROM users WHERE email LIKE 'new-%'"); n != 2 {
			t.Errorf("%d invitations created, want 2 (alpha's and beta's admins)", n)
		}
		if org := scalar[string](t, env, "SELECT organization_id FROM users WHERE email = 'new-admin-of-org-b@example.org'"); org != beta.ID {
			t.Errorf("beta's admin invited into %s", org)
		}
		m, err := env.DB.Scoped(alpha.ID).Member(context.Background(), target.ID)
		if err != nil || m.Role != store.RoleVerifier || m.DeactivatedAt != nil {
			t.Fatalf("target after the table: %+v %v", m, err)
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM audit_logs WHERE action IN ('member.deactivated', 'member.reactivated', 'member.invitation_resent')"); n != 3 {
			t.Errorf("%d member changes audited, want 3 (alpha's admin's)", n)
		}
	})
}

// rowOf returns the <tr> of the member with this email in a page or partial.
func rowOf(body, email string) string {
	i := strings.Index(body, `data-member-email="`+email+`"`)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(body[:i], "<tr")
	end := strings.Index(body[i:], "</tr>")
	return body[start : i+end]
}

func TestMembersSearchAndFilter(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		acme := env.Org("acme")
		admin := env.User(store.RoleAdmin, acme)
		issuer := env.User(store.RoleIssuer, acme)
		reviewer := env.User(store.RoleReviewer, acme)
		invited, _ := invite(t, env, acme, "zoe@acme.example", store.RoleIssuer)
		other := env.User(store.RoleIssuer, env.Org("other"))
		if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), "UPDATE users SET profile = ? WHERE id = ?"), `{"display_name":"Grace Hopper"}`, reviewer.ID); err != nil {
			t.Fatal(err)
		}
		cl := env.Client()
		cl.Login(admin)

		page := cl.Get("/members")
		if page.Status != 200 || !page.Has("members-page") || !page.Has("app") {
			t.Fatalf("members page: %d", page.Status)
		}
		for _, u := range []string{admin.Email, issuer.Email, reviewer.Email, invited.Email} {
			if rowOf(page.Body, u) == "" {
				t.Errorf("%s is not listed", u)
			}
		}
		if strings.Contains(page.Body, other.Email) {
			t.Error("another organization's member is listed")
		}
		if r := rowOf(page.Body, invited.Email); !strings.Contains(r, `data-testid="status-invited"`) || !strings.Contains(r, `data-testid="member-resend"`) {
			t.Errorf("invited row: %s", r)
		}
		if r := rowOf(page.Body, admin.Email); strings.Contains(r, `data-testid="member-deactivate"`) || !strings.Contains(r, "(you)") {
			t.Errorf("one's own row offers deactivation: %s", r)
		}
		// The search box and the role filter swap the table only.
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"q=HOPPER", []string{reviewer.Email}},
			{"q=zoe%40", []string{invited.Email}},
			{"role=issuer", []string{issuer.Email, invited.Email}},
			{"role=issuer&q=zoe", []string{invited.Email}},
			{"role=admin&q=zoe", nil},
			{"role=super_admin", []string{admin.Email, issuer.Email, reviewer.Email, invited.Email}}, // not a filter: ignored
		} {
			res := cl.Do("GET", "/members?"+tc.query, nil, map[string]string{"HX-Request": "true", "HX-Target": "members-table"})
			if res.Status != 200 || !res.Has("members-table") || res.Has("app") || res.Has("members-page") {
				t.Errorf("%s: %d, table partial only %v", tc.query, res.Status, !res.Has("app"))
			}
			if got := strings.Count(res.Body, `data-testid="member-row"`); got != len(tc.want) {
				t.Errorf("%s: %d rows, want %d", tc.query, got, len(tc.want))
			}
			for _, e := range tc.want {
				if rowOf(res.Body, e) == "" {
					t.Errorf("%s: %s missing", tc.query, e)
				}
			}
			if len(tc.want) == 0 && !res.Has("members-empty") {
				t.Errorf("%s: no 'nothing matches' message", tc.query)
			}
		}
		// Without JavaScript the same search is a full page, with the form filled in.
		res := cl.Get("/members?q=hopper&role=reviewer")
		if !res.Has("app") || strings.Count(res.Body, `data-testid="member-row"`) != 1 ||
			!strings.Contains(res.Body, `value="hopper"`) || !strings.Contains(res.Body, `<option value="reviewer" selected>`) {
			t.Errorf("plain GET search: full page %v, rows %d", res.Has("app"), strings.Count(res.Body, `data-testid="member-row"`))
		}
	})
}

func TestMemberRoleChange(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		acme := env.Org("acme")
		admin := env.User(store.RoleAdmin, acme)
		issuer := env.User(store.RoleIssuer, acme)
		cl := env.Client()
		cl.Login(admin)

		res := cl.Htmx("POST", "/members/"+issuer.ID+"/role", url.Values{"role": {"reviewer"}})
		if res.Status != 200 || res.Has("app") || !strings.Contains(res.Body, `<option value="reviewer" selected>`) || !res.Has("member-notice") {
			t.Fatalf("role change: %d\n%s", res.Status, res.Body)
		}
		if r := scalar[string](t, env, "SELECT role FROM users WHERE id = ?", issuer.ID); r != "reviewer" {
			t.Fatalf("role in the database: %s", r)
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM audit_logs WHERE action = 'member.role_changed' AND resource_id = ? AND user_id = ? AND organization_id = ? AND ip_address IS NOT NULL",
			issuer.ID, admin.ID, acme.ID); n != 1 {
			t.Errorf("role change audited %d times with actor, organization and IP", n)
		}
		// Roles outside the list are refused in the row; nothing changes.
		for _, role := range []string{"super_admin", "owner", ""} {
			res := cl.Htmx("POST", "/members/"+issuer.ID+"/role", url.Values{"role": {role}})
			if res.Status != 422 || !res.Has("member-error") || !strings.Contains(res.Body, `<option value="reviewer" selected>`) {
				t.Errorf("role %q: %d\n%.300s", role, res.Status, res.Body)
			}
		}
		if r := scalar[string](t, env, "SELECT role FROM users WHERE id = ?", issuer.ID); r != "reviewer" {
			t.Fatalf("a refused role was stored: %s", r)
		}
		// Without htmx: back to the list with a flash message.
		res = cl.Post("/members/"+issuer.ID+"/role", url.Values{"role": {"verifier"}})
		if res.Status != 303 || res.Location() != "/members" {
			t.Fatalf("plain form: %d → %q", res.Status, res.Location())
		}
		if page := cl.Get("/members"); !page.Has("flash-success") || !strings.Contains(rowOf(page.Body, issuer.Email), `<option value="verifier" selected>`) {
			t.Error("plain role change: no flash, or the row does not show the new role")
		}
		// Unknown ids are 404.
		if res := cl.Htmx("POST", "/members/00000000-0000-0000-0000-000000000000/role", url.Values{"role": {"issuer"}}); res.Status != 404 {
			t.Errorf("unknown member: %d", res.Status)
		}
	})
}

// Two admins: one demotes the other, then cannot demote or deactivate
// themselves, because they are the last one.
func TestLastAdminProtection(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		acme := env.Org("acme")
		a1, a2 := env.User(store.RoleAdmin, acme), env.User(store.RoleAdmin, acme)
		cl := env.Client()
		cl.Login(a1)

		if res := cl.Htmx("POST", "/members/"+a2.ID+"/role", url.Values{"role": {"issuer"}}); res.Status != 200 {
			t.Fatalf("demoting the other admin: %d", res.Status)
		}
		res := cl.Htmx("POST", "/members/"+a1.ID+"/role", url.Values{"role": {"issuer"}})
		if res.Status != 422 || !strings.Contains(res.Body, "last active administrator") || !strings.Contains(res.Body, `<option value="admin" selected>`) {
			t.Fatalf("the last admin demoting themselves: %d\n%s", res.Status, res.Body)
		}
		res = cl.Htmx("POST", "/members/"+a1.ID+"/deactivate", nil)
		if res.Status != 422 || !strings.Contains(res.Body, "cannot deactivate your own account") {
			t.Fatalf("deactivating oneself: %d\n%s", res.Status, res.Body)
		}
		// Without htmx the refusal is a flash message on the list.
		res = cl.Post("/members/"+a1.ID+"/role", url.Values{"role": {"recipient"}})
		if res.Status != 303 {
			t.Fatalf("plain refused demotion: %d", res.Status)
		}
		if page := cl.Get("/members"); !page.Has("flash-error") || !strings.Contains(page.Body, "last active administrator") {
			t.Error("plain refused demotion: no error flash")
		}
		if r := scalar[string](t, env, "SELECT role FROM users WHERE id = ?", a1.ID); r != "admin" {
			t.Fatalf("the last admin was demoted: %s", r)
		}
		// With another admin again, stepping down works and leaves the page.
		if res := cl.Htmx("POST", "/members/"+a2.ID+"/role", url.Values{"role": {"admin"}}); res.Status != 200 {
			t.Fatalf("promoting again: %d", res.Status)
		}
		res = cl.Htmx("POST", "/members/"+a1.ID+"/role", url.Values{"role": {"issuer"}})
		if res.Status != 204 || res.Location() != "/" {
			t.Fatalf("stepping down: %d → %q", res.Status, res.Location())
		}
		if res := cl.Get("/members"); res.Status != 403 {
			t.Errorf("members page after stepping down: %d", res.Status)
		}
	})
}

// Deactivation ends the member's sessions at once; reactivation lets them
// sign in again but does not bring the old sessions back.
func TestDeactivateSignsTheMemberOut(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		acme := env.Org("acme")
		admin, issuer := env.User(store.RoleAdmin, acme), env.User(store.RoleIssuer, acme)
		adm, victim := env.Client(), env.Client()
		adm.Login(admin)
		victim.Login(issuer)
		if res := victim.Get("/"); !res.Has("dashboard") {
			t.Fatal("issuer not signed in")
		}
		res := adm.Htmx("POST", "/members/"+issuer.ID+"/deactivate", nil)
		if res.Status != 200 || !res.Has("status-deactivated") || !res.Has("member-reactivate") || res.Has("member-deactivate") {
			t.Fatalf("deactivate: %d\n%s", res.Status, res.Body)
		}
		if res := victim.Get("/account"); res.Status != 303 || !strings.HasPrefix(res.Location(), "/login") {
			t.Fatalf("the deactivated member's next request: %d → %q", res.Status, res.Location())
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM user_sessions WHERE user_id = ? AND revoked_at IS NULL", issuer.ID); n != 0 {
			t.Errorf("%d sessions of the deactivated member still live", n)
		}
		res = adm.Htmx("POST", "/members/"+issuer.ID+"/reactivate", nil)
		if res.Status != 200 || !res.Has("status-active") || !res.Has("member-deactivate") {
			t.Fatalf("reactivate: %d\n%s", res.Status, res.Body)
		}
		if res := victim.Get("/"); res.Has("dashboard") {
			t.Fatal("reactivation revived the old session")
		}
		victim.Login(issuer)
		if n := scalar[int](t, env, "SELECT count(*) FROM audit_logs WHERE action IN ('member.deactivated', 'member.reactivated') AND resource_id = ?", issuer.ID); n != 2 {
			t.Errorf("deactivation and reactivation audited %d times", n)
		}
	})
}

// Malformed input (invalid UTF-8, NUL bytes, overlong values) is refused
// or ignored, never a server error, on either database. In a field the
// form checks (handlers.FormField) it is shown next to the field (422);
// anywhere else (the query, a password) the page middleware answers 400.
func TestMemberRoutesSurviveBadInput(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		acme := env.Org("acme")
		admin := env.User(store.RoleAdmin, acme)
		issuer := env.User(store.RoleIssuer, acme)
		_, token := invite(t, env, acme, "new@acme.example", store.RoleIssuer)
		cl := env.Client()
		cl.Login(admin)
		long := strings.Repeat("é", 300)
		for target, want := range map[string]int{"/members?q=%ff": 400, "/members?q=" + url.QueryEscape(long): 200, "/members?role=%ff": 400, "/members?q=%00": 400} {
			if res := cl.Get(target); res.Status != want {
				t.Errorf("GET %s: %d, want %d", target, res.Status, want)
			}
		}
		posts := []struct {
			path string
			form url.Values
			want int
		}{
			{"/members/invite", url.Values{"email": {"\xff@acme.example"}, "role": {"issuer"}}, 422},
			{"/members/invite", url.Values{"email": {long + "@acme.example"}, "role": {"issuer"}}, 422},
			{"/members/invite", url.Values{"email": {"x@acme.example"}, "role": {"\xff"}}, 400},
			{"/members/" + issuer.ID + "/role", url.Values{"role": {"\xff"}}, 400},
			{"/members/%ff/role", url.Values{"role": {"issuer"}}, 404},
			{"/password/forgot", url.Values{"email": {"\xff@acme.example"}}, 422},
			{"/password/forgot", url.Values{"email": {"a\x00@acme.example"}}, 422},
			{"/members/invite", url.Values{"email": {"a\x00@acme.example"}, "role": {"issuer"}}, 422},
			{"/invitations/" + token, url.Values{"name": {"a\x00b"}, "password": {newPassword}, "confirm": {newPassword}}, 422},
			{"/invitations/" + token, url.Values{"name": {"\xff"}, "password": {newPassword}, "confirm": {newPassword}}, 422},
			{"/invitations/" + token, url.Values{"name": {"Ada"}, "password": {newPassword + "\x00"}, "confirm": {newPassword}}, 400},
			{"/invitations/" + token, url.Values{"name": {long}, "password": {newPassword}, "confirm": {newPassword}}, 422},
			{"/invitations/%ff", url.Values{}, 410},
			{"/password/reset/%ff", url.Values{}, 410},
		}
		for _, p := range posts {
			if res := cl.Post(p.path, p.form); res.Status != p.want {
				t.Errorf("POST %s %v: %d, want %d", p.path, p.form, res.Status, p.want)
			}
		}
	})
}
