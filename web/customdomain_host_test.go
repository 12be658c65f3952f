package web_test

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// verifyDomain claims and verifies domain for org, as a successful check does.
func verifyDomain(t *testing.T, env *webtest.Env, org *store.Organization, domain string) {
	t.Helper()
	ctx := context.Background()
	s := env.DB.Scoped(org.ID)
	if _, err := s.ClaimCustomDomain(ctx, domain, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordCustomDomainCheck(ctx, domain, store.DomainCheck{At: time.Now(), OK: true}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
}

// A verified custom domain serves its organization's public pages through
// the Host header, and nothing else: not another organization's credential
// or profile, not a staff page, not the API, not a form. An unverified or
// unknown host gets a plain 404 page (but the probes); TrustCred's own host,
// localhost and IP addresses are served as before.
func TestCustomDomainHostRouting(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := issueOne(t, env, "acme"), issueOne(t, env, "bolt")
		verifyDomain(t, env, a.org, "certs.acme.example")
		if _, err := env.DB.Scoped(b.org.ID).ClaimCustomDomain(context.Background(), "certs.bolt.example", store.Actor{}); err != nil {
			t.Fatal(err) // pending: not served
		}
		admin := env.User(store.RoleAdmin, a.org)
		cl := env.Client()
		at := func(host, path string) *webtest.Response {
			return cl.Do("GET", path, nil, map[string]string{"Host": host})
		}
		const acme = "certs.acme.example"

		// What the domain serves.
		r := at(acme, "/v/"+a.cred.PublicID)
		if r.Status != 200 || !strings.Contains(r.Body, "Ada Lovelace") {
			t.Fatalf("own credential: %d", r.Status)
		}
		for _, p := range []string{"/v/" + a.cred.PublicID + "/credential.json", "/v/" + a.cred.PublicID + "/qr.svg", "/v/" + a.cred.PublicID + "/certificate.pdf",
			"/orgs/acme", "/orgs/acme/did.json", "/static/css/app.css", "/status-lists/" + *a.cred.StatusListID} {
			if r := at(acme+":443", p); r.Status != 200 {
				t.Errorf("%s on the domain: %d, want 200", p, r.Status)
			}
		}
		// Its pages link sign-in, /verify and TrustCred's own pages on TrustCred's
		// host (the domain 404s them); on TrustCred's host they stay relative.
		own := strings.TrimSuffix(env.Config.BaseURL, "/")
		for _, p := range []string{"/v/" + a.cred.PublicID, "/orgs/acme"} {
			body := at(acme, p).Body
			for id, path := range map[string]string{"sign-in": "/login", "public-verify": "/verify", "footer-verify": "/verify",
				"footer-events-docs": "/docs/events", "brand": "/"} {
				if got := hrefOf(body, id); got != own+path {
					t.Errorf("%s on the domain: %s links %q, want %q", p, id, got, own+path)
				}
			}
			for _, rel := range []string{`href="/login"`, `href="/verify"`, `href="/docs/`, `href="/settings`} {
				if strings.Contains(body, rel) {
					t.Errorf("%s on the domain has a link %s, which the domain does not serve", p, rel)
				}
			}
			if got := hrefOf(cl.Get(p).Body, "sign-in"); got != "/login" {
				t.Errorf("%s on TrustCred's host: sign-in links %q, want /login", p, got)
			}
		}
		// Its 404 page for a staff path links sign-in on TrustCred's host too.
		if r := at(acme, "/login"); r.Status != 404 || hrefOf(r.Body, "sign-in") != own+"/login" {
			t.Errorf("/login on the domain: %d, sign-in links %q", r.Status, hrefOf(r.Body, "sign-in"))
		}
		// Its look's stylesheet, linked by its pages there; not another organization's.
		for _, o := range []*store.Organization{a.org, b.org} {
			if _, err := env.DB.Scoped(o.ID).SaveBrandingLook(context.Background(), store.BrandingLook{PrimaryColor: new("#7a1f1f")}, store.Actor{}); err != nil {
				t.Fatal(err)
			}
		}
		ownCSS := brandHref.FindStringSubmatch(at(acme, "/v/"+a.cred.PublicID).Body)
		otherCSS := brandHref.FindStringSubmatch(cl.Get("/orgs/bolt").Body)
		if ownCSS == nil || otherCSS == nil {
			t.Fatalf("no brand stylesheet linked: %v %v", ownCSS, otherCSS)
		}
		if r := at(acme, ownCSS[1]); r.Status != 200 || !strings.Contains(r.Body, "#7a1f1f") {
			t.Errorf("its stylesheet on the domain: %d", r.Status)
		}
		if r := at(acme, otherCSS[1]); r.Status != 404 {
			t.Errorf("another organization's stylesheet on the domain: %d, want 404", r.Status)
		}
		if r := at("CERTS.ACME.EXAMPLE.", "/"); r.Status != 302 || r.Location() != "/orgs/acme" {
			t.Errorf("/ on the domain: %d %q, want 302 to /orgs/acme", r.Status, r.Location())
		}
		// What it refuses: the other organization's things, staff and
		// sign-in pages, the API, forms.
		for _, p := range []string{"/v/" + b.cred.PublicID, "/v/" + b.cred.PublicID + "/credential.json", "/v/aaaaaaaaaaaaaaaaaaaaaaaaaa",
			"/orgs/bolt", "/orgs/bolt/did.json", "/status-lists/" + *b.cred.StatusListID, "/status-lists/nope",
			"/login", "/members", "/account", "/settings/domain", "/settings/profile", "/credentials", "/admin/organizations",
			"/api/v1/credentials", "/verify", "/setup", "/orgs", "/orgs/acme/members", "/healthz"} {
			if r := at(acme, p); r.Status != 404 {
				t.Errorf("%s on the domain: %d, want 404", p, r.Status)
			}
		}
		if r := cl.Do("POST", "/login", nil, map[string]string{"Host": acme}); r.Status != 404 {
			t.Errorf("POST /login on the domain: %d", r.Status)
		}
		// A signed-in admin's session does not open staff pages there either.
		cl.Login(admin)
		if r := at(acme, "/credentials"); r.Status != 404 {
			t.Errorf("/credentials signed in, on the domain: %d", r.Status)
		}
		// TrustCred's own host, localhost, IP addresses: as before.
		for _, host := range []string{"localhost:8080", "localhost", "127.0.0.1:8080", "[::1]:8080"} {
			if r := at(host, "/v/"+b.cred.PublicID); r.Status != 200 {
				t.Errorf("bolt's credential at %s: %d", host, r.Status)
			}
			if r := at(host, "/credentials"); r.Status != 200 {
				t.Errorf("/credentials at %s: %d", host, r.Status)
			}
		}
		// A pending domain and an unknown host: the plain 404 page, whatever the path,
		// naming neither TrustCred nor an organization; the probes still answer.
		for _, host := range []string{"certs.bolt.example", "unknown.example", "Unknown.Example.:443"} {
			for _, p := range []string{"/", "/v/" + b.cred.PublicID, "/orgs/bolt", "/login", "/credentials", "/static/css/app.css"} {
				r := at(host, p)
				if r.Status != 404 || !strings.Contains(r.Body, "<h1>Not found</h1>") || strings.Contains(r.Body, "TrustCred") ||
					strings.Contains(r.Body, "Bolt") || strings.Contains(r.Body, "app.css") || len(r.Header.Values("Set-Cookie")) != 0 {
					t.Errorf("%s at %s: %d %.300s", p, host, r.Status, r.Body)
				}
			}
			for _, p := range []string{"/healthz", "/readyz"} {
				if r := at(host, p); r.Status != 200 {
					t.Errorf("%s at %s: %d, want 200", p, host, r.Status)
				}
			}
		}
		// Removal takes effect at once (the cache follows the change): the domain is
		// now an unknown host.
		if err := env.DB.Scoped(a.org.ID).RemoveCustomDomain(context.Background(), store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if r := at(acme, "/v/"+a.cred.PublicID); r.Status != 404 || !strings.Contains(r.Body, "<h1>Not found</h1>") {
			t.Errorf("a credential on the removed domain: %d", r.Status)
		}
	})
}

// The first request of a process, before any custom domain was ever
// written, goes through the lookup's cache like any other (a fresh cache
// once held every later request up).
func TestCustomDomainFirstRequests(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	cl := env.Client()
	for i := range 3 {
		if r := cl.Do("GET", "/login", nil, map[string]string{"Host": "unknown.example"}); r.Status != 404 {
			t.Fatalf("request %d: %d", i, r.Status)
		}
	}
}

// hrefOf is the href of the element with data-testid id (the attribute before or after it), or "".
func hrefOf(body, id string) string {
	m := regexp.MustCompile(`<a\s[^>]*data-testid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	h := regexp.MustCompile(`href="([^"]*)"`).FindStringSubmatch(m)
	if h == nil {
		return ""
	}
	return html.UnescapeString(h[1])
}
