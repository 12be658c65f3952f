package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/certtest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// verifiedDomain claims and verifies domain for o directly in the store.
func verifiedDomain(t *testing.T, env *webtest.Env, o *store.Organization, domain string) {
	t.Helper()
	ctx := context.Background()
	if _, err := env.DB.Scoped(o.ID).ClaimCustomDomain(ctx, domain, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Scoped(o.ID).RecordCustomDomainCheck(ctx, domain, store.DomainCheck{At: time.Now(), OK: true}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
}

// The certificate routes for every role: organization admins only; another
// organization's admin uploads to its own domain (none: told to verify
// first), never to A's.
func TestCustomDomainCertificateRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		verifiedDomain(t, env, a, "certs.acme.example")
		ca := certtest.NewCA(t, "Test Root")
		l := ca.Leaf(t, []string{"certs.acme.example"}, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
		form := url.Values{"certificate": {string(l.Chain)}, "key": {string(l.KeyPEM)}}
		webtest.RouteTable(t, env.RoleClients(a, b), []webtest.Route{
			{Method: "POST", Path: "/settings/domain/certificate", Form: form, Want: webtest.AdminOnly(303, 303)},
			{Method: "POST", Path: "/settings/domain/certificate/delete", Want: webtest.AdminOnly(303, 303)},
		})
		// A's admin uploaded, then removed; B's requests changed nothing of A's:
		// upload again as B's admin and check A has none.
		other := env.Client()
		other.Login(env.User(store.RoleAdmin, b))
		if r := other.Post("/settings/domain/certificate", form); r.Status != 303 {
			t.Fatalf("B uploads: %d", r.Status)
		}
		if r := other.Get("/settings/domain"); !strings.Contains(r.Body, "Verify your domain first") {
			t.Fatal("B was not told to verify first")
		}
		if dom, _ := env.DB.Scoped(a.ID).CustomDomain(context.Background()); dom.HasCertificate() {
			t.Fatal("B's upload reached A's domain")
		}
		if _, err := env.DB.Scoped(b.ID).CustomDomain(context.Background()); err == nil {
			t.Fatal("B got a domain")
		}
	})
}

// An admin uploads a certificate for the verified domain: every refusal is
// said next to its field with nothing stored, the key is never echoed; the
// accepted chain and expiry are shown; the key is sealed; Remove drops it.
func TestCustomDomainCertificateUpload(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))
		if _, err := env.DB.Scoped(a.ID).ClaimCustomDomain(context.Background(), "certs.acme.example", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if r := cl.Get("/settings/domain"); r.Has("domain-tls") {
			t.Fatal("certificate card shown for a pending domain")
		}
		verifiedDomain(t, env, a, "certs.acme.example")
		r := cl.Get("/settings/domain")
		if !r.Has("domain-tls") || !r.Has("tls-form") || !r.Has("tls-none") {
			t.Fatalf("no certificate card: %d", r.Status)
		}
		now := time.Now()
		ca := certtest.NewCA(t, "Acme Test Root")
		good := ca.Leaf(t, []string{"certs.acme.example"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))
		soon := ca.Leaf(t, []string{"certs.acme.example"}, now.Add(-time.Hour), now.Add(20*24*time.Hour))
		expired := ca.Leaf(t, []string{"certs.acme.example"}, now.Add(-90*24*time.Hour), now.Add(-time.Minute))
		other := ca.Leaf(t, []string{"www.acme.example"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))
		reversed := string(ca.PEM) + string(good.CertPEM)
		for name, tc := range map[string]struct {
			cert, key, field, want string
		}{
			"empty":       {"", string(good.KeyPEM), "certificate", "Paste your domain’s certificate"},
			"not PEM":     {"hello", string(good.KeyPEM), "certificate", "This is not a PEM certificate"},
			"order":       {reversed, string(good.KeyPEM), "certificate", "not in order"},
			"other name":  {string(other.Chain), string(other.KeyPEM), "certificate", "not for certs.acme.example"},
			"expired":     {string(expired.Chain), string(expired.KeyPEM), "certificate", "has expired"},
			"no key":      {string(good.Chain), "", "key", "Paste the certificate’s private key"},
			"key garbage": {string(good.Chain), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "key", "not a PEM private key"},
			"mismatch":    {string(good.Chain), string(other.KeyPEM), "key", "does not belong to the certificate"},
		} {
			r := cl.Post("/settings/domain/certificate", url.Values{"certificate": {tc.cert}, "key": {tc.key}})
			if r.Status != 422 || !r.Has("error-"+tc.field) || !strings.Contains(r.Body, tc.want) {
				t.Errorf("%s: %d, want 422 with %q next to %s", name, r.Status, tc.want, tc.field)
			}
			if strings.Contains(r.Body, "BEGIN PRIVATE KEY-----\n") && tc.key != "" && strings.Contains(r.Body, strings.Split(tc.key, "\n")[1]) {
				t.Errorf("%s: the key was echoed", name)
			}
		}
		// Bytes that are not text: the app's input check refuses the form (400).
		if r := cl.Post("/settings/domain/certificate", url.Values{"certificate": {"\x00\xff\xfe"}, "key": {"\x00"}}); r.Status != 400 {
			t.Errorf("binary upload: %d", r.Status)
		}
		if dom, _ := env.DB.Scoped(a.ID).CustomDomain(context.Background()); dom.HasCertificate() {
			t.Fatal("a refused upload was stored")
		}
		r = cl.Post("/settings/domain/certificate", url.Values{"certificate": {string(good.Chain)}, "key": {string(good.KeyPEM)}})
		if r.Status != 303 {
			t.Fatalf("upload: %d\n%s", r.Status, r.Body)
		}
		r = cl.Get("/settings/domain")
		exp := good.NotAfter().UTC().Format("2 Jan 2006, 15:04 UTC")
		for _, s := range []string{"Certificate uploaded: certs.acme.example is served over HTTPS", `data-testid="tls-subject">CN=certs.acme.example<`,
			"CN=Acme Test Root", "Valid until " + exp, `data-testid="tls-state"`, ">Uploaded<", "Replace certificate"} {
			if !strings.Contains(r.Body, s) {
				t.Errorf("page lacks %q", s)
			}
		}
		if n := strings.Count(r.Body, `data-testid="tls-chain-cert"`); n != 2 {
			t.Errorf("chain shows %d certificates, want 2", n)
		}
		if strings.Contains(r.Body, "PRIVATE KEY-----\nM") {
			t.Error("the page shows the key")
		}
		var raw []byte
		if err := env.DB.SQL().QueryRow("SELECT tls_key FROM custom_domains").Scan(&raw); err != nil || len(raw) == 0 ||
			strings.Contains(string(raw), "PRIVATE") || strings.Contains(string(raw), strings.Split(string(good.KeyPEM), "\n")[1]) {
			t.Fatalf("the key is not sealed: %v", err)
		}
		// Replaced by one expiring soon: the page says so.
		if r := cl.Post("/settings/domain/certificate", url.Values{"certificate": {string(soon.Chain)}, "key": {string(soon.KeyPEM)}}); r.Status != 303 {
			t.Fatalf("replace: %d", r.Status)
		}
		if r := cl.Get("/settings/domain"); !strings.Contains(r.Body, "Expires soon") {
			t.Error("no expiry warning on the page")
		}
		if r := cl.Post("/settings/domain/certificate/delete", nil); r.Status != 303 {
			t.Fatalf("remove: %d", r.Status)
		}
		if r := cl.Get("/settings/domain"); r.Has("tls-chain") || !r.Has("tls-none") {
			t.Fatal("removed certificate still shown")
		}
	})
}
