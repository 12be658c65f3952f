package web_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/certtest"
	"github.com/trustcred/trustcred/internal/customdomain"
	"github.com/trustcred/trustcred/internal/interoptest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// The issuer DID route for every role: organization admins only.
func TestCustomDomainDIDRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		verifiedDomain(t, env, a, "certs.acme.example")
		webtest.RouteTable(t, env.RoleClients(a, b), []webtest.Route{
			{Method: "POST", Path: "/settings/domain/did", Form: url.Values{"issuer_did": {"on"}}, Want: webtest.AdminOnly(303, 303)},
		})
		// A's admin turned it on; B's admin (no domain) changed nothing of A's.
		if dom, _ := env.DB.Scoped(a.ID).CustomDomain(context.Background()); !dom.IssuerDID {
			t.Fatal("A's admin could not turn it on")
		}
		if _, err := env.DB.Scoped(b.ID).CustomDomain(context.Background()); err == nil {
			t.Fatal("B got a domain")
		}
	})
}

// An organization issues new credentials as did:web:<its domain>: the old
// credential keeps its DID, both verify (the domain's DID resolved from the
// database), the DID document is served at /.well-known/did.json on the
// domain (over HTTPS with the uploaded certificate, as another verifier
// would fetch it) with the key that signed the new credential, and nowhere
// else; back to TrustCred's address, the next credential uses it again.
func TestCustomDomainIssuerDID(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env, _ := webtest.Served(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		tpl := degreeTemplate(t, env, a)
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))
		old := issueDegree(t, env, a, tpl, "Ada Lovelace", "ada@example.org")
		if r := cl.Post("/settings/domain/did", url.Values{"issuer_did": {"on"}}); r.Status != 303 {
			t.Fatalf("before any domain: %d", r.Status)
		}
		if r := cl.Get("/settings/domain"); !strings.Contains(r.Body, "Verify your domain first") {
			t.Fatal("no domain: not told")
		}
		verifiedDomain(t, env, a, "certs.acme.example")
		r := cl.Get("/settings/domain")
		if !r.Has("domain-did") || !strings.Contains(r.Body, "Issue new credentials as did:web:certs.acme.example") {
			t.Fatalf("no issuer card: %d", r.Status)
		}
		if r := cl.Post("/settings/domain/did", url.Values{"issuer_did": {"on"}}); r.Status != 303 {
			t.Fatalf("turn on: %d", r.Status)
		}
		if r := cl.Get("/settings/domain"); !strings.Contains(r.Body, `value="did:web:certs.acme.example"`) ||
			!strings.Contains(r.Body, "New credentials are then issued under TrustCred’s address") {
			t.Fatal("the page does not show the domain DID, or Remove does not warn about it")
		}
		fresh := issueDegree(t, env, a, tpl, "Grace Hopper", "grace@example.org")
		oldIss, _ := credentialIssuer(t, cl, old)
		newIss, newVM := credentialIssuer(t, cl, fresh)
		if !strings.HasPrefix(oldIss, "did:web:127.0.0.1") || !strings.HasSuffix(oldIss, ":orgs:acme") {
			t.Errorf("old credential's issuer changed: %s", oldIss)
		}
		if newIss != "did:web:certs.acme.example" || !strings.HasPrefix(newVM, "did:web:certs.acme.example#") {
			t.Errorf("new credential: issuer %s, method %s", newIss, newVM)
		}
		for _, c := range []*store.Credential{old, fresh} {
			if r := env.Client().Get("/v/" + c.PublicID); r.Status != 200 || !strings.Contains(r.Body, `data-verdict="valid"`) {
				t.Errorf("%s does not verify: %d", c.PublicID, r.Status)
			}
		}
		// Brought to /verify, a credential of either DID names its organization
		// (the domain DID is looked up through the custom domain, not organizations.did).
		for _, c := range []*store.Credential{old, fresh} {
			doc := cl.Get("/v/" + c.PublicID + "/credential.json").Body
			r := postMultipart(t, env, map[string]string{"credential": doc}, nil)
			issuer := regexp.MustCompile(`(?s)data-testid="result-issuer-name"[^>]*>([^<]*)<`).FindStringSubmatch(r.Body)
			if r.Status != 200 || issuer == nil || strings.TrimSpace(issuer[1]) != a.Name {
				t.Errorf("/verify of %s does not name %q: %d %v", c.PublicID, a.Name, r.Status, issuer)
			}
			if !strings.Contains(r.Body, `href="/orgs/`+a.Slug+`"`) {
				t.Errorf("/verify of %s does not link the issuer's profile", c.PublicID)
			}
		}

		// The DID document on the domain, over HTTPS as a verifier fetches it.
		ca := certtest.NewCA(t, "Acme Test Root")
		l := ca.Leaf(t, []string{"certs.acme.example"}, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
		pc, err := customdomain.ParseCertificate(l.Chain, l.KeyPEM, "certs.acme.example", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		dc, _ := env.Services.Domains.Seal(pc)
		if _, err := env.DB.Scoped(a.ID).SetCustomDomainCertificate(context.Background(), "certs.acme.example", dc, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		serveTLS(t, env, ln, nil)
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(ca.PEM)
		hc := httpsTo(ln.Addr().String(), roots)
		st, body, err := get(t, hc, "https://certs.acme.example:"+strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)+"/.well-known/did.json")
		if err != nil || st != 200 {
			t.Fatalf("DID document over HTTPS: %d %v", st, err)
		}
		var doc struct {
			ID      string `json:"id"`
			Methods []struct {
				ID string `json:"id"`
			} `json:"verificationMethod"`
			Assertion []string `json:"assertionMethod"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.ID != "did:web:certs.acme.example" || len(doc.Methods) == 0 {
			t.Fatalf("DID document: %v %s", err, body)
		}
		found := false
		for _, m := range doc.Assertion {
			found = found || m == newVM
		}
		if !found {
			t.Errorf("the document lacks the signing key %s: %v", newVM, doc.Assertion)
		}
		// Nowhere else: TrustCred's own host, another organization's domain.
		if r := env.Client().Get("/.well-known/did.json"); r.Status != 404 {
			t.Errorf("own host's /.well-known/did.json: %d", r.Status)
		}
		verifiedDomain(t, env, b, "certs.bolt.example")
		if r := env.Client().Do("GET", "/.well-known/did.json", nil, map[string]string{"Host": "certs.bolt.example"}); r.Status != 404 {
			t.Errorf("bolt's domain, not issuing under it: %d", r.Status)
		}

		// Back to TrustCred's address: the next credential uses it; both domain and old still verify.
		if r := cl.Post("/settings/domain/did", url.Values{"issuer_did": {"off"}}); r.Status != 303 {
			t.Fatalf("turn off: %d", r.Status)
		}
		third := issueDegree(t, env, a, tpl, "Mary Somerville", "mary@example.org")
		if iss, _ := credentialIssuer(t, cl, third); iss != oldIss {
			t.Errorf("after turning it off: %s", iss)
		}
	})
}

// credentialIssuer is the issuer id and the proof's verification method of
// c's signed document (/v/{id}/credential.json).
func credentialIssuer(t *testing.T, cl *webtest.Client, c *store.Credential) (issuer, vm string) {
	t.Helper()
	r := cl.Get("/v/" + c.PublicID + "/credential.json")
	var doc struct {
		Issuer any `json:"issuer"`
		Proof  struct {
			VerificationMethod string `json:"verificationMethod"`
		} `json:"proof"`
	}
	if err := json.Unmarshal([]byte(r.Body), &doc); err != nil {
		t.Fatalf("credential.json: %d %v", r.Status, err)
	}
	switch v := doc.Issuer.(type) {
	case string:
		issuer = v
	case map[string]any:
		issuer, _ = v["id"].(string)
	}
	return issuer, doc.Proof.VerificationMethod
}

// issuerNamed is the issuer /verify names for a signed document.
func issuerNamed(t *testing.T, env *webtest.Env, doc string) (name string, status int) {
	t.Helper()
	r := postMultipart(t, env, map[string]string{"credential": doc}, nil)
	m := regexp.MustCompile(`(?s)data-testid="result-issuer-name"[^>]*>([^<]*)<`).FindStringSubmatch(r.Body)
	if m == nil {
		return "", r.Status
	}
	return strings.TrimSpace(m[1]), r.Status
}

// Turning the domain DID off changes only new credentials (issue 19: the
// existing ones keep their DID and keep verifying). A credential issued as
// did:web:<domain> still verifies afterwards, with our verifier and with
// the independent one given the document the domain serves; the domain
// still serves that document with the key that signed it; /verify still
// names the organization. The page says how many credentials hang on the
// domain, and Remove warns with that number; once removed, the document is
// gone and the credential fails verification (what the warning said);
// verifying the domain again brings it back.
func TestCustomDomainDIDTurnedOff(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env, base := webtest.Served(t, d)
		a := env.Org("acme")
		tpl := degreeTemplate(t, env, a)
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))
		const domain = "certs.acme.example"
		verifiedDomain(t, env, a, domain)
		if r := cl.Post("/settings/domain/did", url.Values{"issuer_did": {"on"}}); r.Status != 303 {
			t.Fatalf("turn on: %d", r.Status)
		}
		fresh := issueDegree(t, env, a, tpl, "Grace Hopper", "grace@example.org")
		if r := cl.Post("/settings/domain/did", url.Values{"issuer_did": {"off"}}); r.Status != 303 {
			t.Fatalf("turn off: %d", r.Status)
		}
		later := issueDegree(t, env, a, tpl, "Mary Somerville", "mary@example.org")
		if iss, vm := credentialIssuer(t, cl, fresh); iss != "did:web:"+domain || !strings.HasPrefix(vm, iss+"#") {
			t.Fatalf("the credential was not issued as the domain's DID: %s %s", iss, vm)
		}
		if iss, _ := credentialIssuer(t, cl, later); iss == "did:web:"+domain {
			t.Fatal("turned off, a new credential is still issued as the domain's DID")
		}
		_, freshVM := credentialIssuer(t, cl, fresh)
		verdict := func(c *store.Credential) string {
			t.Helper()
			r := env.Client().Get("/v/" + c.PublicID)
			m := regexp.MustCompile(`data-verdict="([a-z]+)"`).FindStringSubmatch(r.Body)
			if r.Status != 200 || m == nil {
				t.Fatalf("/v/%s: %d without a verdict", c.PublicID, r.Status)
			}
			return m[1]
		}
		onDomain := func() *webtest.Response {
			return env.Client().Do("GET", "/.well-known/did.json", nil, map[string]string{"Host": domain})
		}
		for _, c := range []*store.Credential{fresh, later} {
			if v := verdict(c); v != "valid" {
				t.Errorf("after turning the domain DID off, %s is %s", c.PublicID, v)
			}
		}
		r := onDomain()
		if r.Status != 200 || !strings.Contains(r.Body, `"`+freshVM+`"`) {
			t.Fatalf("after turning it off the domain's DID document is %d, or lacks %s: %s", r.Status, freshVM, r.Body)
		}
		freshDoc := cl.Get("/v/" + fresh.PublicID + "/credential.json").Body
		if name, st := issuerNamed(t, env, freshDoc); name != a.Name {
			t.Errorf("/verify no longer names the issuer: %d %q", st, name)
		}
		// The independent verifier, given the document the domain serves (as
		// it would fetch it from https://certs.acme.example/.well-known/did.json);
		// the status lists come from TrustCred's host.
		didFile := filepath.Join(t.TempDir(), "did.json")
		if err := os.WriteFile(didFile, []byte(r.Body), 0o600); err != nil {
			t.Fatal(err)
		}
		if res := interoptest.VerifyJSON(t, []any{json.RawMessage(freshDoc)}, "--did-doc", didFile,
			"--map", env.Config.BaseURL+"/="+base+"/")[0]; !res.Verified {
			t.Errorf("the independent verifier refuses it after the switch: %v", res.Errors)
		}

		// The page counts it, and Remove says what removing does to it.
		page := cl.Get("/settings/domain")
		if !strings.Contains(page.Body, "1 credential issued as did:web:"+domain) || !page.Has("did-issued") {
			t.Error("the DID card does not say a credential was issued under the domain")
		}
		if !strings.Contains(page.Body, "The 1 credential issued as did:web:"+domain+" will fail verification everywhere") {
			t.Error("Remove domain does not warn with the number of credentials issued under it")
		}
		if r := cl.Post("/settings/domain/delete", nil); r.Status != 303 {
			t.Fatalf("remove: %d", r.Status)
		}
		if r := onDomain(); r.Status != 404 {
			t.Errorf("removed, the domain still serves its DID document: %d", r.Status)
		}
		if v := verdict(fresh); v == "valid" {
			t.Error("removed, the domain's credential still verifies: the warning would be wrong")
		}
		if v := verdict(later); v != "valid" {
			t.Errorf("removing the domain broke a credential under TrustCred's address: %s", v)
		}
		// Verified again: its credentials resolve again.
		verifiedDomain(t, env, a, domain)
		if v := verdict(fresh); v != "valid" {
			t.Errorf("verified again, the domain's credential is %s", v)
		}
	})
}
