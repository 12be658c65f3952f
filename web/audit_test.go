package web_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

var olderLink = regexp.MustCompile(`href="([^"]*)"[^>]*data-testid="audit-older"`)

func entries(r *webtest.Response) int { return strings.Count(r.Body, `data-testid="audit-entry"`) }

func older(t *testing.T, r *webtest.Response) string {
	t.Helper()
	m := olderLink.FindStringSubmatch(r.Body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// The audit page lists the organization's events only, newest first, in
// pages linked by a cursor; filters narrow it; htmx gets only the results.
func TestAuditPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		a, b := env.Org("acme"), env.Org("bolt")
		admin, adminB := env.User(store.RoleAdmin, a), env.User(store.RoleAdmin, b)
		issuer := env.User(store.RoleIssuer, a)
		const n = store.DefaultAuditPage + 12
		for i := range n {
			who := admin
			action := "apikey.created"
			if i%3 == 0 {
				who, action = issuer, "login.failed"
			}
			actor := store.Actor{UserID: &who.ID, OrganizationID: &a.ID, IP: "192.0.2.7", UserAgent: "test"}
			if err := env.DB.Audit(ctx, actor, action, "api_key", "", store.AuditDetails{Summary: "event"}); err != nil {
				t.Fatal(err)
			}
		}
		actorB := store.Actor{UserID: &adminB.ID, OrganizationID: &b.ID, IP: "198.51.100.9"}
		if err := env.DB.Audit(ctx, actorB, "apikey.revoked", "api_key", "", store.AuditDetails{Summary: "in bolt"}); err != nil {
			t.Fatal(err)
		}
		var total int
		if err := env.DB.SQL().QueryRow(storetest.Rebind(d, "SELECT count(*) FROM audit_logs WHERE organization_id = ?"), a.ID).Scan(&total); err != nil {
			t.Fatal(err)
		}

		cl := env.Client()
		cl.Login(admin) // itself an event of org A
		total++
		r := cl.Get("/audit")
		if r.Status != 200 || !r.Has("audit-page") || !r.Has("audit-filters") || entries(r) != store.DefaultAuditPage {
			t.Fatalf("first page: %d, %d entries", r.Status, entries(r))
		}
		if strings.Contains(r.Body, adminB.Email) || strings.Contains(r.Body, "198.51.100.9") || r.Has("audit-newest") {
			t.Fatal("org A's page shows org B's event, or a link to the newest page")
		}
		if !strings.Contains(r.Body, "192.0.2.7") || !strings.Contains(r.Body, issuer.Email) {
			t.Fatal("entries lack their IP address or actor")
		}
		// Page through with the Older links, as htmx does.
		seen := entries(r)
		next := older(t, r)
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("too many pages")
			}
			if !strings.HasPrefix(next, "/audit?") || !strings.Contains(next, "before=") {
				t.Fatalf("older link %q", next)
			}
			p := cl.Htmx("GET", next, nil)
			if p.Status != 200 || !p.Has("audit-results") || p.Has("audit-filters") || strings.Contains(p.Body, "<html") || !p.Has("audit-newest") {
				t.Fatalf("older page as htmx: %d\n%.300s", p.Status, p.Body)
			}
			seen += entries(p)
			next = older(t, p)
		}
		if seen != total {
			t.Fatalf("paged through %d entries, want %d", seen, total)
		}

		// Filters, as a plain GET form and as htmx.
		count := func(q url.Values) int {
			t.Helper()
			r := cl.Get("/audit?" + q.Encode())
			if r.Status != 200 {
				t.Fatalf("filter %v: %d", q, r.Status)
			}
			sum := entries(r)
			for next := older(t, r); next != ""; {
				p := cl.Get(next)
				sum += entries(p)
				next = older(t, p)
				if !strings.Contains(next+"&", "action="+q.Get("action")+"&") && q.Get("action") != "" && next != "" {
					t.Fatalf("the older link %q drops the filter", next)
				}
			}
			return sum
		}
		failed := (n + 2) / 3
		today := time.Now().UTC().Format(time.DateOnly)
		tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
		for _, tc := range []struct {
			q    url.Values
			want int
		}{
			{url.Values{"action": {"login.failed"}}, failed},
			{url.Values{"action": {"apikey"}}, n - failed},
			{url.Values{"actor": {strings.ToUpper(issuer.Email[:6])}}, failed},
			{url.Values{"actor": {adminB.Email}}, 0},
			{url.Values{"resource": {"api_key"}}, n},
			{url.Values{"from": {today}, "to": {today}}, total},
			{url.Values{"from": {tomorrow}}, 0},
			{url.Values{"to": {"2000-01-01"}}, 0},
			{url.Values{"action": {"apikey.created"}, "actor": {admin.Email}, "from": {today}}, n - failed},
		} {
			if got := count(tc.q); got != tc.want {
				t.Errorf("filter %v: %d entries, want %d", tc.q, got, tc.want)
			}
		}
		r = cl.Htmx("GET", "/audit?action=login.failed", nil)
		if r.Status != 200 || !r.Has("audit-results") || r.Has("audit-filters") || entries(r) != failed {
			t.Fatalf("htmx filter: %d, %d entries", r.Status, entries(r))
		}

		// Bad input is explained, never a server error.
		for _, tc := range []struct{ q, field string }{
			{"from=yesterday", "error-from"},
			{"to=2025-13-01", "error-to"},
			{"from=2025-03-02&to=2025-03-01", "error-to"},
			{"before=garbage", "form-error"},
			{"actor=" + strings.Repeat("x", 300), "error-actor"},
		} {
			r := cl.Get("/audit?" + tc.q)
			if r.Status != 422 || !r.Has(tc.field) {
				t.Errorf("%s: %d, %s shown: %v", tc.q, r.Status, tc.field, r.Has(tc.field))
			}
			if h := cl.Htmx("GET", "/audit?"+tc.q, nil); h.Status != 422 || !h.Has("form-error") {
				t.Errorf("%s as htmx: %d, message shown: %v", tc.q, h.Status, h.Has("form-error"))
			}
		}
	})
}

// The platform's audit page shows every organization's events, naming it.
func TestPlatformAuditPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		root := env.User(store.RoleSuperAdmin, nil)
		for _, o := range []*store.Organization{a, b} {
			u := env.User(store.RoleAdmin, o)
			cl := env.Client()
			cl.Login(u)
		}
		cl := env.Client()
		cl.Login(root)
		r := cl.Get("/admin/audit?action=login.succeeded")
		if r.Status != 200 || entries(r) != 3 || !strings.Contains(r.Body, a.Name) || !strings.Contains(r.Body, b.Name) {
			t.Fatalf("platform audit: %d, %d entries\n%.3000s", r.Status, entries(r), r.Body)
		}
		if r := cl.Get("/admin/audit?action=organization.created"); entries(r) != 2 {
			t.Fatalf("organization.created: %d entries", entries(r))
		}
		if r := cl.Get("/"); !strings.Contains(r.Body, `href="/admin/audit"`) {
			t.Error("no link to the platform audit log for the operator")
		}
	})
}
