package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// Anyone, in a real browser: opens a credential's page from its QR code's
// link and sees it valid; the issuer revokes it in another browser; the
// same page, reloaded, says revoked. A tampered copy uploaded at /verify
// is invalid, with the reason.
func TestBrowserPublicVerification(t *testing.T) {
	visitor := browsertest.Tab(t)
	staff := browsertest.OtherBrowser(t)
	env := webtest.New(t, store.SQLite)
	org := env.Org("acme")
	tpl := degreeTemplate(t, env, org)
	cr := issueDegree(t, env, org, tpl, "Grace Hopper", "grace@example.org")
	issuer := env.User(store.RoleIssuer, org)
	signed, err := testIssuer(env).SignedDocument(cr)
	if err != nil {
		t.Fatal(err)
	}
	base := env.Serve()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	present := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`!!document.querySelector(` + strconv.Quote(sel) + `) && ` + settled)
	}
	verdict := func(ctx context.Context) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="verdict"]').dataset.verdict`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	// The QR code on the page links here, with ?via=qr.
	if err := chromedp.Do(visitor,
		chromedp.Navigate(base+"/v/"+cr.PublicID+"?via=qr"),
		chromedp.WaitVisible(css(`[data-testid="verdict"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if v := verdict(visitor); v != "valid" {
		t.Fatalf("verdict %q, want valid", v)
	}
	qr, err := chromedp.Run(visitor, chromedp.Evaluate[bool](`document.querySelector('[data-testid="qr"]').naturalWidth > 0`))
	if err != nil || !qr {
		t.Fatalf("the QR code image did not load (%v)", err)
	}

	// The issuer revokes it, in another browser.
	if err := chromedp.Do(staff,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), issuer.Email),
		chromedp.SendKeys(css(`#f-password`), webtest.Password),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		chromedp.Navigate(base+"/credentials/"+cr.ID),
		present(`[data-testid="badge-active"]`),
		chromedp.Click(css(`[data-testid="credential-revoke"]`)),
		present(`[data-testid="credential-confirm-form"]`),
		chromedp.SendKeys(css(`[data-testid="credential-reason"]`), "Issued in error"),
		chromedp.Click(css(`[data-testid="credential-confirm-submit"]`)),
		present(`[data-testid="badge-revoked"]`),
	); err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(visitor,
		chromedp.Reload(),
		chromedp.WaitVisible(css(`[data-testid="verdict"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if v := verdict(visitor); v != "revoked" {
		t.Fatalf("after revocation the page says %q", v)
	}

	// A tampered copy, pasted at /verify.
	tampered := strings.Replace(string(signed), "Grace Hopper", "Grace Harper", 1)
	if err := chromedp.Do(visitor,
		chromedp.Navigate(base+"/verify"),
		chromedp.WaitVisible(css(`[data-testid="verify-form"]`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="verify-text"]').value = `+strconv.Quote(tampered)),
		chromedp.Click(css(`[data-testid="verify-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="verify-result"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if v := verdict(visitor); v != "invalid" {
		t.Fatalf("tampered upload: %q", v)
	}
	text, err := chromedp.Run(visitor, chromedp.Text(css(`[data-testid="verify-result"]`)))
	if err != nil || !strings.Contains(text, "The signature does not match") {
		t.Fatalf("no reason given: %q (%v)", text, err)
	}
}

// An issuer looks at the verification history: the counts, including the
// checks that could not be made during an outage, and the rows, at a
// phone's and a laptop's width, with nothing scrolling sideways.
func TestBrowserVerificationHistory(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	c := issueOne(t, env, "uni")
	anon := env.Client()
	anon.Get("/v/" + c.cred.PublicID)
	anon.Get("/v/" + c.cred.PublicID + "?via=qr")
	apiPost(t, env, "/api/v1/credentials/verify", map[string]any{"verifiableCredential": c.doc})
	if err := env.VerificationLogs.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.SQL().Exec(`UPDATE verification_logs SET verdict = 'unavailable' WHERE verification_method = 'api'`); err != nil {
		t.Fatal(err)
	}
	base := env.Serve()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), env.User(store.RoleIssuer, c.org).Email),
		chromedp.SendKeys(css(`#f-password`), webtest.Password),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		chromedp.Navigate(base+"/verifications"),
		chromedp.WaitVisible(css(`[data-testid="verification-counts"]`)),
	); err != nil {
		t.Fatal(err)
	}
	counts, err := chromedp.Run(tab, chromedp.Text(css(`[data-testid="verification-counts"]`)))
	if err != nil || !strings.Contains(counts, "Could not check") {
		t.Fatalf("counts: %q (%v)", counts, err)
	}
	rows, err := chromedp.Run(tab, chromedp.Text(css(`[data-testid="verification-results"] tbody`)))
	if err != nil || !strings.Contains(rows, "Could not check") || !strings.Contains(rows, "Valid") {
		t.Fatalf("rows: %q (%v)", rows, err)
	}
	browsertest.Look(t, tab, "verification-history")
}
