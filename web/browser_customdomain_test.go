package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/certtest"
	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/dnstest"
	"github.com/trustcred/trustcred/internal/dnsverify"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// An org admin opens Custom domain from the navigation, enters a domain,
// reads the records to create, presses Check now before and after the TXT
// record exists (htmx: the status in words, no reload), and the page
// passes axe and looks right at 390 and 1280 px.
func TestBrowserCustomDomain(t *testing.T) {
	tab := browsertest.Tab(t)
	ns := dnstest.Start(t)
	env, base := webtest.Served(t, store.SQLite, webtest.WithConfig(func(c *config.Config) { c.DNSResolver = ns.Addr() }))
	org := env.Org("acme")
	admin := env.User(store.RoleAdmin, org)
	q := func(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), webtest.Password),
		chromedp.Click(q("login-submit")),
		chromedp.WaitVisible(q("dashboard")),
		chromedp.Click(chromedp.CSS(`[data-testid="nav-custom-domain"]:not([hidden])`), chromedp.NodeVisible),
		chromedp.WaitVisible(q("custom-domain-form")),
		// A URL instead of a domain: refused next to the field.
		chromedp.SendKeys(chromedp.CSS(`#f-domain`), "https://certs.acme.example/"),
		chromedp.Click(q("claim-domain")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the field error", `document.body.innerText.includes("without https://, a port or a path")`)
	browsertest.Look(t, tab, "custom-domain-error")
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/settings/domain"),
		chromedp.WaitVisible(q("custom-domain-form")),
		chromedp.SendKeys(chromedp.CSS(`#f-domain`), "certs.acme.example"),
		chromedp.Click(q("claim-domain")),
		chromedp.WaitVisible(q("custom-domain-status")),
		chromedp.Click(q("check-domain")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the no-record explanation", `document.querySelector('[data-testid="domain-error"]')?.innerText.includes("No TXT record was found at _trustcred.certs.acme.example")`)
	browsertest.Axe(t, tab, "custom domain, pending")
	browsertest.Look(t, tab, "custom-domain-pending")

	ns.SetTXT("_trustcred.certs.acme.example", dnsverify.Record(org.ID, env.Keys.Derive("dns-verification")[0]))
	if err := chromedp.Do(tab, chromedp.Click(q("check-domain"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "verified", `document.querySelector('[data-testid="domain-message"]')?.innerText.includes("certs.acme.example is verified") && !document.querySelector('[data-testid="domain-error"]')`)
	browsertest.Axe(t, tab, "custom domain, verified")
	browsertest.Look(t, tab, "custom-domain-verified")

	// The certificate: a key of another certificate is refused next to the
	// key field; the right pair shows the chain and the expiry.
	ca := certtest.NewCA(t, "Acme Test Root")
	now := time.Now()
	leaf := ca.Leaf(t, []string{"certs.acme.example"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	stray := ca.Leaf(t, []string{"certs.acme.example"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/settings/domain"),
		chromedp.WaitVisible(q("tls-form")),
		chromedp.SetValue(chromedp.CSS(`#f-certificate`), string(leaf.Chain)),
		chromedp.SetValue(chromedp.CSS(`#f-key`), string(stray.KeyPEM)),
		chromedp.Click(q("upload-certificate")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the key error", `document.querySelector('[data-testid="error-key"]')?.innerText.includes("does not belong to the certificate")`)
	browsertest.Axe(t, tab, "custom domain, certificate refused")
	browsertest.Look(t, tab, "custom-domain-certificate-error")
	if err := chromedp.Do(tab,
		chromedp.SetValue(chromedp.CSS(`#f-key`), string(leaf.KeyPEM)),
		chromedp.Click(q("upload-certificate")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the chain", `document.querySelectorAll('[data-testid="tls-chain-cert"]').length === 2 && document.body.innerText.includes("Acme Test Root")`)
	browsertest.Axe(t, tab, "custom domain, certificate")
	browsertest.Look(t, tab, "custom-domain-certificate")

	// The issuer identity: new credentials as did:web:certs.acme.example.
	if err := chromedp.Do(tab, chromedp.Click(q("did-toggle"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the domain DID", `document.querySelector('[data-testid="issuer-did"]')?.value === "did:web:certs.acme.example"`)
	browsertest.Axe(t, tab, "custom domain, issuer DID")
	browsertest.Look(t, tab, "custom-domain-did")

	// Turned off after issuing under it: the card says the credential keeps
	// verifying while the domain stays verified, and what removing does.
	issueDegree(t, env, org, degreeTemplate(t, env, org), "Grace Hopper", "grace@example.org")
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/settings/domain"), chromedp.Click(q("did-toggle"), chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the count after turning it off",
		`document.querySelector('[data-testid="issuer-did"]')?.value !== "did:web:certs.acme.example" && document.querySelector('[data-testid="did-issued"]')?.innerText.startsWith("1 credential issued as did:web:certs.acme.example") && document.body.innerText.includes("keep verifying while the domain stays verified")`)
	browsertest.Axe(t, tab, "custom domain, issuer DID off")
	browsertest.Look(t, tab, "custom-domain-did-off")
}
