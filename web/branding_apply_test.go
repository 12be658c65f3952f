package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/branding"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

var brandHref = regexp.MustCompile(`<link rel="stylesheet" href="(/brand/[^"]+)" data-testid="brand-stylesheet">`)

// An organization's saved look reaches its public pages (the credential page, whose
// cached copy is made again at once, and its profile) as a stylesheet of its own,
// scoped to the branded area, with the verdict and checks outside it; other
// organizations' pages and every staff page keep TrustCred's look.
func TestBrandingAppliedToPublicPages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		c := issueOne(t, env, "uni")
		a, b := c.org, env.Org("bolt")
		anon := env.Client()
		page := "/v/" + c.cred.PublicID

		// No look yet: no stylesheet, no branded area; the page is now cached.
		if r := anon.Get(page); r.Status != 200 || r.Has("brand-stylesheet") || r.Has("branded-area") || strings.Contains(r.Body, "tc-brand-") {
			t.Fatalf("page before branding: %d %.2000s", r.Status, r.Body)
		}

		if _, err := env.DB.Scoped(a.ID).SaveBrandingLook(ctx, store.BrandingLook{PrimaryColor: new("#7a1f1f"),
			SecondaryColor: new("#1e3a5f"), AccentColor: new("#0f766e"), CustomCSS: new("h1 { color: #123456 }")}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		r := anon.Get(page)
		m := brandHref.FindStringSubmatch(r.Body)
		if r.Status != 200 || m == nil {
			t.Fatalf("the cached page was not made again with the look: %d %.3000s", r.Status, r.Body)
		}
		scope := branding.ScopeClass(a.ID)
		area := between(r.Body, `data-testid="branded-area"`, "Checks</h2>")
		if !strings.Contains(r.Body, `class="space-y-6 `+scope+`"`) || !strings.Contains(area, `data-testid="brand-header"`) ||
			!strings.Contains(area, `data-testid="credential-human"`) {
			t.Errorf("branded area: %.3000s", r.Body)
		}
		if strings.Contains(area, `data-testid="verdict"`) || strings.Contains(area, `data-testid="checks"`) ||
			strings.Index(r.Body, `data-testid="verdict"`) > strings.Index(r.Body, `data-testid="branded-area"`) {
			t.Error("the verdict or the checks are inside the branded area")
		}

		// The stylesheet: the colours on their hooks, the custom CSS, immutable, no cookie.
		css := anon.Get(m[1])
		if css.Status != 200 || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") ||
			!strings.Contains(css.Header.Get("Cache-Control"), "immutable") || css.Header.Get("X-Content-Type-Options") != "nosniff" ||
			len(css.Header.Values("Set-Cookie")) != 0 {
			t.Fatalf("stylesheet: %d %v", css.Status, css.Header)
		}
		for _, want := range []string{"." + scope + " .tc-header { background: #7a1f1f; color: #ffffff; }",
			"." + scope + " a, ." + scope + " a:hover { color: #1e3a5f; }", "." + scope + " .tc-card { border-color: #0f766e; }",
			"." + scope + " h1 { color: #123456; }"} {
			if !strings.Contains(css.Body, want) {
				t.Errorf("stylesheet lacks %q:\n%s", want, css.Body)
			}
		}
		// Another hash, another organization's id with this hash, a malformed id: 404.
		for _, p := range []string{"/brand/" + a.ID + "/0123456789abcdef.css", strings.Replace(m[1], a.ID, b.ID, 1),
			"/brand/not-an-id/x.css", strings.Replace(m[1], ".css", ".js", 1), "/brand/" + strings.ToUpper(a.ID) + "/x.css"} {
			if r := anon.Get(p); r.Status != 404 {
				t.Errorf("%s: %d, want 404", p, r.Status)
			}
		}

		// The profile has it too; another organization's has not.
		if r := anon.Get("/orgs/uni"); r.Status != 200 || !strings.Contains(r.Body, m[1]) || !strings.Contains(r.Body, scope) {
			t.Errorf("/orgs/uni: %d %.2000s", r.Status, r.Body)
		}
		if r := anon.Get("/orgs/bolt"); r.Status != 200 || r.Has("brand-stylesheet") || strings.Contains(r.Body, "tc-brand-") {
			t.Errorf("/orgs/bolt shows a look: %.2000s", r.Body)
		}

		// Staff pages, even the organization's own admin's, never link it.
		admin := env.Client()
		admin.Login(env.User(store.RoleAdmin, a))
		for _, p := range []string{"/", "/settings/branding", "/credentials", "/credentials/" + c.cred.ID, "/settings/profile"} {
			if r := admin.Get(p); r.Status != 200 || r.Has("brand-stylesheet") || strings.Contains(r.Body, "/brand/") {
				t.Errorf("staff page %s: %d, links the look: %v", p, r.Status, r.Has("brand-stylesheet"))
			}
		}

		// A colour saved while failing its contrast reaches the page as the nearest passing one.
		if _, err := env.DB.Scoped(a.ID).SaveBrandingLook(ctx, store.BrandingLook{PrimaryColor: new("#60a5fa")}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		m2 := brandHref.FindStringSubmatch(anon.Get(page).Body)
		if m2 == nil || m2[1] == m[1] {
			t.Fatalf("the page kept the old stylesheet: %v", m2)
		}
		want := branding.Check(branding.Primary, branding.RGB{R: 0x60, G: 0xa5, B: 0xfa}).Suggestion.Hex()
		if css := anon.Get(m2[1]).Body; !strings.Contains(css, "background: "+want+";") || strings.Contains(css, "#60a5fa") {
			t.Errorf("failing primary applied as is (want %s):\n%s", want, css)
		}
		if r := anon.Get(m[1]); r.Status != 404 {
			t.Errorf("the replaced stylesheet: %d, want 404", r.Status)
		}
	})
}
