package web_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// consoleOrg creates an organization in the given status.
func consoleOrg(t *testing.T, env *webtest.Env, slug string, status store.OrganizationStatus) *store.Organization {
	t.Helper()
	o := env.Org(slug)
	if status != store.OrganizationActive {
		if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), "UPDATE organizations SET status = ? WHERE id = ?"), string(status), o.ID); err != nil {
			t.Fatal(err)
		}
		o.Status = status
	}
	return o
}

func statusOf(t *testing.T, env *webtest.Env, o *store.Organization) store.OrganizationStatus {
	t.Helper()
	e, err := env.DB.OrganizationEntry(context.Background(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return e.Status
}

// onlyRow reports whether an htmx answer is one table row and nothing else.
func onlyRow(body string) bool {
	b := strings.TrimSpace(body)
	return strings.HasPrefix(b, "<tr") && strings.HasSuffix(b, "</tr>") && strings.Count(b, "<tr") == 1 && !strings.Contains(b, "<html")
}

// Every route of the organizations console, for every role: only platform
// operators get through; other organizations' admins are refused like
// any organization member (403), whichever organization the id names.
func TestOrgConsoleRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		pending := consoleOrg(t, env, "pending-org", store.OrganizationPending)
		active := consoleOrg(t, env, "active-org", store.OrganizationActive)
		suspended := consoleOrg(t, env, "suspended-org", store.OrganizationSuspended)
		doomed := consoleOrg(t, env, "doomed-org", store.OrganizationPending)
		clients := env.RoleClients(a, b)
		platform := func(super, anonymous int) map[string]int {
			return map[string]int{webtest.AsSuperAdmin: super, webtest.AsAdmin: 403, webtest.AsIssuer: 403, webtest.AsReviewer: 403, webtest.AsVerifier: 403, webtest.AsRecipient: 403,
				webtest.AsAnonymous: anonymous, webtest.AsOtherAdmin: 403}
		}
		p := "/admin/organizations/"
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/admin/organizations", Want: platform(200, 303)},
			{Method: "GET", Path: "/admin/organizations?q=acme&type=corporate&status=active&verified=no&sort=name&dir=asc", Want: platform(200, 303)},
			{Method: "GET", Path: "/admin/organizations?sort=evil", Want: platform(422, 303)},
			{Method: "GET", Path: p + a.ID, Htmx: true, Want: platform(200, 204)},
			{Method: "GET", Path: p + a.ID, Want: platform(303, 303)},
			{Method: "GET", Path: p + active.ID + "/suspend", Want: platform(200, 303)},
			{Method: "GET", Path: p + active.ID + "/suspend", Htmx: true, Want: platform(200, 204)},
			{Method: "POST", Path: p + active.ID + "/suspend", Form: url.Values{"reason": {"Fraud"}}, Want: platform(303, 303)},
			{Method: "POST", Path: p + pending.ID + "/approve", Want: platform(303, 303)},
			{Method: "POST", Path: p + suspended.ID + "/reactivate", Htmx: true, Want: platform(200, 204)},
			{Method: "GET", Path: p + doomed.ID + "/revoke", Want: platform(200, 303)},
			{Method: "POST", Path: p + doomed.ID + "/revoke", Form: url.Values{"reason": {"Fake"}, "confirm": {"doomed-org"}}, Want: platform(303, 303)},
			{Method: "POST", Path: p + a.ID + "/verified", Form: url.Values{"verified": {"true"}}, Want: platform(303, 303)},
			{Method: "POST", Path: p + "0190a0a0-0000-7000-8000-000000000000/approve", Want: platform(404, 303)},
			{Method: "GET", Path: p + "not-an-id/revoke", Want: platform(404, 303)},
		})
		for o, want := range map[*store.Organization]store.OrganizationStatus{pending: store.OrganizationActive, active: store.OrganizationSuspended,
			suspended: store.OrganizationActive, doomed: store.OrganizationRevoked} {
			if got := statusOf(t, env, o); got != want {
				t.Errorf("%s is %s, want %s", o.Slug, got, want)
			}
		}
		if e, _ := env.DB.OrganizationEntry(context.Background(), a.ID); !e.Verified {
			t.Error("acme is not verified")
		}
	})
}

var nextLink = regexp.MustCompile(`href="([^"]*)"[^>]*data-testid="orgs-next"`)

func link(r *webtest.Response, re *regexp.Regexp) string {
	m := re.FindStringSubmatch(r.Body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// The list: filters and search as a plain GET form and through htmx (only
// the results), sortable columns, Next and Previous pages; every bad
// filter value is 422 with its message, never 500.
func TestOrgConsoleList(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		for _, s := range []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"} {
			env.Org(s + "-university")
		}
		consoleOrg(t, env, "hotel-college", store.OrganizationPending)
		cl := env.Client()
		cl.Login(env.User(store.RoleSuperAdmin, nil))
		rows := func(r *webtest.Response) int { return strings.Count(r.Body, `data-testid="org-row"`) }

		r := cl.Get("/admin/organizations")
		if r.Status != 200 || !r.Has("orgs-page") || !r.Has("orgs-filters") || rows(r) != 8 || !strings.Contains(r.Body, "hotel-college") {
			t.Fatalf("the console: %d, %d rows", r.Status, rows(r))
		}
		if !strings.Contains(r.Body, `href="/admin/organizations"`) {
			t.Error("no navigation link to the console")
		}
		// Search and filters, as htmx sends them: only the results.
		r = cl.Htmx("GET", "/admin/organizations?q=UNIVERSITY&status=active", nil)
		if r.Status != 200 || !r.Has("orgs-results") || r.Has("orgs-filters") || strings.Contains(r.Body, "<html") || rows(r) != 7 {
			t.Fatalf("htmx search: %d, %d rows\n%.300s", r.Status, rows(r), r.Body)
		}
		r = cl.Get("/admin/organizations?status=pending")
		if r.Status != 200 || rows(r) != 1 || !strings.Contains(r.Body, "hotel-college") || !r.Has("org-approve") {
			t.Fatalf("pending filter: %d, %d rows", r.Status, rows(r))
		}
		// Sorting by name, A to Z; the heading then sorts Z to A.
		r = cl.Get("/admin/organizations?sort=name")
		if i, j := strings.Index(r.Body, "alpha-university"), strings.Index(r.Body, "golf-university"); i < 0 || j < i {
			t.Fatal("not sorted by name")
		}
		if !strings.Contains(r.Body, `aria-sort="ascending"`) || !strings.Contains(r.Body, `href="/admin/organizations?dir=desc&amp;sort=name"`) {
			t.Error("the name heading does not offer Z to A")
		}
		// Pages of 50 by name: Next, then Previous back to the same first page.
		for i := range 52 {
			env.Org("zulu-" + strconv.Itoa(100+i))
		}
		first := cl.Get("/admin/organizations?sort=name")
		next := link(first, nextLink)
		if rows(first) != store.DefaultOrganizationPage || next == "" || first.Has("orgs-prev") || first.Has("orgs-first") {
			t.Fatalf("first page: %d rows, next %q", rows(first), next)
		}
		second := cl.Htmx("GET", next, nil)
		if second.Status != 200 || rows(second) != 60-store.DefaultOrganizationPage || second.Has("orgs-next") || !second.Has("orgs-prev") ||
			!second.Has("orgs-first") || !strings.Contains(second.Body, "zulu-151") || strings.Contains(second.Body, "alpha-university") {
			t.Fatalf("second page: %d, %d rows\n%.300s", second.Status, rows(second), second.Body)
		}
		back := cl.Htmx("GET", link(second, prevLink), nil)
		if back.Status != 200 || rows(back) != store.DefaultOrganizationPage || withoutCSRF(section(back.Body, "orgs-table")) != withoutCSRF(section(first.Body, "orgs-table")) {
			t.Fatalf("Previous did not bring back the first page: %d, %d rows", back.Status, rows(back))
		}
		if !strings.Contains(next, "sort=name") || !strings.Contains(next, "after=") {
			t.Errorf("the Next link %q loses the order or has no cursor", next)
		}
	})
}

var prevLink = regexp.MustCompile(`href="([^"]*)"[^>]*data-testid="orgs-prev"`)

// section is the body from the element with data-testid id to the end of
// its table, to compare two renderings.
func section(body, id string) string {
	i := strings.Index(body, `data-testid="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</table>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

// Every bad filter value is refused with 422 and its message: next to its
// field on the page, above the results for htmx.
func TestOrgConsoleBadFilters(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	env.Org("acme")
	cl := env.Client()
	cl.Login(env.User(store.RoleSuperAdmin, nil))
	byCreated := store.Cursor{Key: "acme", ID: "0190a0a0-0000-7000-8000-000000000000"}.String()
	for _, tc := range []struct{ query, field string }{
		{"type=school", "error-type"},
		{"status=deleted", "error-status"},
		{"verified=maybe", "error-verified"},
		{"sort=id%3B+DROP+TABLE+organizations", "error-sort"},
		{"dir=up", "error-dir"},
		{"q=" + strings.Repeat("x", 101), "error-q"},
		{"after=garbage", "form-error"},
		{"after=" + byCreated, "form-error"}, // a cursor of the name order, on the default order
		{"sort=name&after=" + byCreated + "&before=" + byCreated, "form-error"},
	} {
		r := cl.Get("/admin/organizations?" + tc.query)
		if r.Status != 422 || !r.Has(tc.field) || !r.Has("orgs-filters") || r.Has("org-row") {
			t.Errorf("%s: %d, want 422 with %s\n%.300s", tc.query, r.Status, tc.field, r.Body)
		}
		r = cl.Htmx("GET", "/admin/organizations?"+tc.query, nil)
		if r.Status != 422 || !r.Has("form-error") || !r.Has("orgs-results") || r.Has("orgs-filters") {
			t.Errorf("%s with htmx: %d, want 422 with the message above the results", tc.query, r.Status)
		}
	}
	// Control characters are dropped, not refused; a long search in
	// accented letters is fine.
	for _, q := range []string{"ac\tme", strings.Repeat("é", 100)} {
		if r := cl.Get("/admin/organizations?q=" + url.QueryEscape(q)); r.Status != 200 {
			t.Errorf("q=%q: %d", q, r.Status)
		}
	}
}

// Row actions answer htmx with the row alone: the new state and a notice,
// or the state as it is and why the action was refused (422). Suspension
// needs a reason; revocation a reason and the slug typed again.
func TestOrgConsoleRowActions(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := consoleOrg(t, env, "acme", store.OrganizationPending)
		admin := env.User(store.RoleAdmin, org)
		cl := env.Client()
		cl.Login(env.User(store.RoleSuperAdmin, nil))
		p := "/admin/organizations/" + org.ID
		notifications := func() int {
			var n int
			if err := env.DB.SQL().QueryRow(storetest.Rebind(d, "SELECT count(*) FROM notifications WHERE user_id = ?"), admin.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		r := cl.Htmx("POST", p+"/approve", nil)
		if r.Status != 200 || !onlyRow(r.Body) || !r.Has("status-active") || !r.Has("org-notice") || !r.Has("org-suspend") {
			t.Fatalf("approve: %d\n%s", r.Status, r.Body)
		}
		if statusOf(t, env, org) != store.OrganizationActive || notifications() != 1 {
			t.Fatal("approval not stored or not notified")
		}
		// Approving again is refused in the row.
		r = cl.Htmx("POST", p+"/approve", nil)
		if r.Status != 422 || !onlyRow(r.Body) || !r.Has("org-error") || !strings.Contains(r.Body, "already active") {
			t.Fatalf("approving twice: %d\n%s", r.Status, r.Body)
		}

		// Suspension: the row becomes the form; no reason, no suspension.
		r = cl.Htmx("GET", p+"/suspend", nil)
		if r.Status != 200 || !onlyRow(r.Body) || !r.Has("org-confirm-row") || !r.Has("org-reason") || r.Has("org-confirm-slug") {
			t.Fatalf("suspend form: %d\n%s", r.Status, r.Body)
		}
		r = cl.Htmx("POST", p+"/suspend", url.Values{"reason": {"   "}})
		if r.Status != 422 || !onlyRow(r.Body) || !r.Has("error-reason") || statusOf(t, env, org) != store.OrganizationActive {
			t.Fatalf("suspend without a reason: %d\n%s", r.Status, r.Body)
		}
		r = cl.Htmx("POST", p+"/suspend", url.Values{"reason": {"Unpaid invoices"}})
		if r.Status != 200 || !onlyRow(r.Body) || !r.Has("status-suspended") || !r.Has("org-reactivate") || statusOf(t, env, org) != store.OrganizationSuspended {
			t.Fatalf("suspend: %d\n%s", r.Status, r.Body)
		}
		var reason string
		if err := env.DB.SQL().QueryRow(storetest.Rebind(d, "SELECT message FROM notifications WHERE user_id = ? AND title LIKE ?"), admin.ID, "%suspended%").Scan(&reason); err != nil ||
			!strings.Contains(reason, "Unpaid invoices") {
			t.Fatalf("the admins' notification: %q (%v)", reason, err)
		}
		// Cancel brings the row back.
		if r = cl.Htmx("GET", p, nil); r.Status != 200 || !onlyRow(r.Body) || !r.Has("org-row") {
			t.Fatalf("cancel: %d", r.Status)
		}

		// Revocation: the slug must be typed exactly.
		r = cl.Htmx("GET", p+"/revoke", nil)
		if r.Status != 200 || !r.Has("org-confirm-slug") || !strings.Contains(r.Body, "Type <span class=\"font-mono\">acme</span> to confirm") {
			t.Fatalf("revoke form: %d\n%s", r.Status, r.Body)
		}
		for _, typed := range []string{"", "ACME", "acme-", "bolt"} {
			r = cl.Htmx("POST", p+"/revoke", url.Values{"reason": {"Fraud"}, "confirm": {typed}})
			if r.Status != 422 || !onlyRow(r.Body) || !r.Has("error-confirm") || !strings.Contains(r.Body, `value="Fraud"`) && !strings.Contains(r.Body, ">Fraud</textarea>") {
				t.Fatalf("revoke confirmed with %q: %d\n%s", typed, r.Status, r.Body)
			}
		}
		if statusOf(t, env, org) != store.OrganizationSuspended {
			t.Fatal("a mistyped confirmation revoked the organization")
		}
		r = cl.Htmx("POST", p+"/revoke", url.Values{"reason": {"Fraud"}, "confirm": {" acme "}})
		if r.Status != 200 || !onlyRow(r.Body) || !r.Has("status-revoked") || r.Has("org-approve") || r.Has("org-revoke") {
			t.Fatalf("revoke: %d\n%s", r.Status, r.Body)
		}
		// Revoked is final, even for a form left open in another tab.
		for _, action := range []string{"approve", "reactivate"} {
			r = cl.Htmx("POST", p+"/"+action, nil)
			if r.Status != 422 || !onlyRow(r.Body) || !strings.Contains(r.Body, "Revocation is final") {
				t.Errorf("%s a revoked organization: %d\n%s", action, r.Status, r.Body)
			}
		}
		if r = cl.Htmx("GET", p+"/suspend", nil); r.Status != 422 || !r.Has("org-error") {
			t.Errorf("the suspend form of a revoked organization: %d", r.Status)
		}
		if statusOf(t, env, org) != store.OrganizationRevoked || notifications() != 3 {
			t.Fatalf("after revocation: %s, %d notifications", statusOf(t, env, org), notifications())
		}
		// The operator's trail.
		var actions []string
		rows, err := env.DB.SQL().Query(storetest.Rebind(d, "SELECT action FROM audit_logs WHERE resource_id = ? AND action LIKE ? ORDER BY created_at, id"), org.ID, "organization.%")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var a string
			_ = rows.Scan(&a)
			actions = append(actions, a)
		}
		rows.Close()
		if strings.Join(actions, " ") != "organization.created organization.approved organization.suspended organization.revoked" {
			t.Errorf("audit trail %v", actions)
		}

		// The verified mark.
		r = cl.Htmx("POST", p+"/verified", url.Values{"verified": {"true"}})
		if r.Status != 200 || !onlyRow(r.Body) || !r.Has("org-is-verified") || !r.Has("org-verified-clear") {
			t.Fatalf("mark verified: %d\n%s", r.Status, r.Body)
		}
		r = cl.Htmx("POST", p+"/verified", url.Values{"verified": {"yes please"}})
		if r.Status != 422 || !onlyRow(r.Body) || !r.Has("org-error") {
			t.Fatalf("a bad verified value: %d\n%s", r.Status, r.Body)
		}
		r = cl.Htmx("POST", p+"/verified", url.Values{"verified": {"false"}})
		if r.Status != 200 || r.Has("org-is-verified") {
			t.Fatalf("clear verified: %d", r.Status)
		}
	})
}

// Without JavaScript: the confirmation is a page, a mistake re-renders it
// with 422, success redirects to the list narrowed to the organization.
func TestOrgConsoleWithoutJavaScript(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	org := consoleOrg(t, env, "acme", store.OrganizationActive)
	cl := env.Client()
	cl.Login(env.User(store.RoleSuperAdmin, nil))
	p := "/admin/organizations/" + org.ID
	r := cl.Get(p + "/revoke")
	if r.Status != 200 || !r.Has("org-confirm-page") || !r.Has("org-confirm-slug") || strings.Contains(r.Body, `hx-post="`+p) {
		t.Fatalf("revoke page: %d", r.Status)
	}
	r = cl.Post(p+"/revoke", url.Values{"reason": {"Fraud"}, "confirm": {"nope"}})
	if r.Status != 422 || !r.Has("org-confirm-page") || !r.Has("error-confirm") {
		t.Fatalf("mistyped: %d", r.Status)
	}
	r = cl.Post(p+"/suspend", url.Values{"reason": {""}})
	if r.Status != 422 || !r.Has("org-confirm-page") || !r.Has("error-reason") {
		t.Fatalf("suspend without a reason: %d", r.Status)
	}
	r = cl.Post(p+"/suspend", url.Values{"reason": {"Audit pending"}})
	if r.Status != 303 || r.Location() != "/admin/organizations?q=acme" {
		t.Fatalf("suspend: %d to %q", r.Status, r.Location())
	}
	r = cl.Get(r.Location())
	if !r.Has("flash-success") || !r.Has("status-suspended") {
		t.Fatal("the list does not show the suspension")
	}
	r = cl.Post(p+"/approve", nil)
	if r.Status != 303 {
		t.Fatalf("refused approval: %d", r.Status)
	}
	if r = cl.Get(r.Location()); !r.Has("flash-error") || !strings.Contains(r.Body, "Only pending organizations can be approved") {
		t.Fatal("the refusal is not shown")
	}
	// Cancel's link, and the row's address, lead to the list.
	if r = cl.Get(p); r.Status != 303 || r.Location() != "/admin/organizations?q=acme" {
		t.Fatalf("GET the row: %d %q", r.Status, r.Location())
	}
}
