package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/dnstest"
	"github.com/trustcred/trustcred/internal/dnsverify"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// Every /settings/domain route for every role: organization admins only
// (BrandingManage). The page has no id: another organization's admin gets
// its own organization's page, never A's domain (checked below).
func TestCustomDomainRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		ns := dnstest.Start(t)
		env := webtest.New(t, d, webtest.WithConfig(func(c *config.Config) { c.DNSResolver = ns.Addr() }))
		a, b := env.Org("acme"), env.Org("bolt")
		clients := env.RoleClients(a, b)
		if _, err := env.DB.Scoped(a.ID).ClaimCustomDomain(context.Background(), "certs.acme.example", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		claimed := webtest.AdminOnly(303, 303) // A already has one (told so); B claims its own
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/settings/domain", Want: webtest.AdminOnly(200, 200)},
			{Method: "POST", Path: "/settings/domain", FormFor: func(who string) url.Values {
				return url.Values{"domain": {"certs." + strings.ReplaceAll(who, " ", "-") + ".example"}}
			}, Want: claimed},
			{Method: "POST", Path: "/settings/domain/check", Want: webtest.AdminOnly(303, 303)},
			{Method: "POST", Path: "/settings/domain/delete", Want: webtest.AdminOnly(303, 303)},
		})
		// B's requests never touched A's domain... except A's own admin's removal, last.
		if d, err := env.DB.Scoped(b.ID).CustomDomain(context.Background()); err == nil {
			t.Fatalf("B's domain survived B's removal: %+v", d)
		}
	})
}

// An admin claims a domain, sees the records to create, checks it against
// a real DNS server (htmx: the status panel, in words) and removes it.
// Another organization cannot claim it, nor TrustCred's own host.
func TestCustomDomainSettings(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		ns := dnstest.Start(t)
		env := webtest.New(t, d, webtest.WithConfig(func(c *config.Config) { c.DNSResolver = ns.Addr() }))
		a, b := env.Org("acme"), env.Org("bolt")
		cl, other := env.Client(), env.Client()
		cl.Login(env.User(store.RoleAdmin, a))
		other.Login(env.User(store.RoleAdmin, b))

		r := cl.Get("/settings/domain")
		if r.Status != 200 || !r.Has("custom-domain-form") || r.Has("custom-domain-status") {
			t.Fatalf("empty page: %d", r.Status)
		}
		for input, want := range map[string]string{
			"":                              "Enter your domain",
			"https://certs.acme.example/x":  "without https://, a port or a path",
			"certs.acme.example:443":        "without https://, a port or a path",
			"localhost":                     "Enter a domain name such as certs.example.edu",
			"LOCALHOST.":                    "Enter a domain name", // single label: never valid
			"evil.localhost":                "TrustCred’s own address",
			"certs.acme\u202e.example":      "invisible formatting character",
			strings.Repeat("a.", 200) + "e": "at most 242 characters",
		} {
			r := cl.Post("/settings/domain", url.Values{"domain": {input}})
			if r.Status != 422 || !strings.Contains(r.Body, want) || strings.Contains(r.Body, "custom-domain-status") {
				t.Errorf("%q: %d, want 422 with %q", input, r.Status, want)
			}
		}
		if r := cl.Post("/settings/domain", url.Values{"domain": {" Certs.Acme.Example. "}}); r.Status != 303 {
			t.Fatalf("claim: %d", r.Status)
		}
		want := dnsverify.Record(a.ID, env.Keys.Derive("dns-verification")[0])
		r = cl.Get("/settings/domain")
		for _, s := range []string{
			`data-testid="domain-name">certs.acme.example<`,
			`value="_trustcred.certs.acme.example"`, `value="` + want + `"`, `value="localhost"`,
			"Waiting for DNS",
		} {
			if !strings.Contains(r.Body, s) {
				t.Errorf("page lacks %s", s)
			}
		}
		// B: refused next to the field, A's domain not revealed otherwise.
		r = other.Post("/settings/domain", url.Values{"domain": {"certs.acme.example"}})
		if r.Status != 422 || !strings.Contains(r.Body, "Another organization already uses certs.acme.example") {
			t.Fatalf("B claims A's domain: %d", r.Status)
		}
		if r := other.Get("/settings/domain"); strings.Contains(r.Body, "certs.acme.example") {
			t.Fatal("B's page shows A's domain")
		}

		// Check now, as htmx: no record, then the right one.
		r = cl.Htmx("POST", "/settings/domain/check", nil)
		if r.Status != 200 || !r.Has("custom-domain-status") || !strings.Contains(r.Body, "No TXT record was found at _trustcred.certs.acme.example") ||
			strings.Contains(r.Body, "<html") {
			t.Fatalf("check without a record: %d\n%s", r.Status, r.Body)
		}
		ns.SetTXT("_trustcred.certs.acme.example", want)
		r = cl.Htmx("POST", "/settings/domain/check", nil)
		if r.Status != 200 || !strings.Contains(r.Body, "certs.acme.example is verified") || r.Has("domain-error") {
			t.Fatalf("check with the record: %d\n%s", r.Status, r.Body)
		}
		if org, err := env.DB.VerifiedDomainOrganization(context.Background(), "certs.acme.example"); err != nil || org != a.ID {
			t.Fatalf("not verified: %q %v", org, err)
		}
		// Claiming another while one is set is refused; removing frees it.
		if r := cl.Post("/settings/domain", url.Values{"domain": {"other.acme.example"}}); r.Status != 303 {
			t.Fatalf("second claim: %d", r.Status)
		}
		if r := cl.Get("/settings/domain"); !strings.Contains(r.Body, "already uses certs.acme.example: remove it first") {
			t.Fatal("second claim: no message")
		}
		if r := cl.Post("/settings/domain/delete", nil); r.Status != 303 {
			t.Fatalf("remove: %d", r.Status)
		}
		if r := other.Post("/settings/domain", url.Values{"domain": {"certs.acme.example"}}); r.Status != 303 {
			t.Fatalf("B claims the freed domain: %d", r.Status)
		}
	})
}
