package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/interoptest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// An issuer, in a real browser: fills the issue form, previews the
// credential, signs and issues it, lands on its page, and revokes it
// through the confirmation in the status section; the badge turns to
// revoked without a page load.
func TestBrowserIssueAndRevoke(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	org := env.Org("acme")
	degreeTemplate(t, env, org)
	issuer := env.User(store.RoleIssuer, org)
	base := env.Serve()

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	present := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`!!document.querySelector(` + strconv.Quote(sel) + `) && ` + settled)
	}
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), issuer.Email),
		chromedp.SendKeys(css(`#f-password`), webtest.Password),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		chromedp.Click(css(`a[href="/credentials/issue"]`)),
		chromedp.WaitVisible(css(`[data-testid="issue-form"]`)),
		chromedp.SendKeys(css(`#f-recipient_name`), "Grace Hopper"),
		chromedp.SendKeys(css(`#f-recipient_address`), "grace@example.org"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[name="data.awarded"]').value = '2024-06-30'`),
		chromedp.Click(css(`[data-testid="issue-preview-button"]`)),
		chromedp.WaitVisible(css(`[data-testid="issue-preview-human"]`)),
	); err != nil {
		t.Fatal(err)
	}
	// The credential as a person reads it, the JSON-LD one click away.
	human, err := chromedp.Run(tab, chromedp.Text(css(`[data-testid="issue-preview-human"]`)))
	if err != nil || !strings.Contains(human, "Physics") || !strings.Contains(human, "Grace Hopper") || strings.Contains(human, "credentialSubject") {
		t.Fatalf("human preview %q (%v)", human, err)
	}
	if err := chromedp.Do(tab,
		chromedp.Click(css(`[data-testid="issue-preview-json"] summary`)),
		chromedp.WaitVisible(css(`[data-testid="issue-preview"]`)),
	); err != nil {
		t.Fatal(err)
	}
	preview, err := chromedp.Run(tab, chromedp.Text(css(`[data-testid="issue-preview"]`)))
	if err != nil || !strings.Contains(preview, `"degree": "Physics"`) || !strings.Contains(preview, `"name": "Grace Hopper"`) {
		t.Fatalf("preview %q (%v)", preview, err)
	}
	if err := chromedp.Do(tab,
		chromedp.Click(css(`[data-testid="issue-sign"]`)),
		chromedp.WaitVisible(css(`[data-testid="credential-page"]`)),
		present(`[data-testid="badge-active"]`),
	); err != nil {
		t.Fatal(err)
	}
	// What the form issued is accepted by the independent verifier, which
	// resolves the issuer's DID and status lists from the running server.
	publicURL, err := chromedp.Run(tab, chromedp.Text(css(`[data-testid="credential-public-url"]`)))
	if err != nil {
		t.Fatal(err)
	}
	independent := func() interoptest.Result {
		t.Helper()
		res, err := http.Get(base + strings.TrimPrefix(strings.TrimSpace(publicURL), env.Config.BaseURL) + "/credential.json")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("download: %d %v", res.StatusCode, err)
		}
		return interoptest.VerifyJSON(t, []any{json.RawMessage(body)}, "--resolve-base", base, "--map", env.Config.BaseURL+"/="+base+"/")[0]
	}
	if r := independent(); !r.Verified {
		t.Fatalf("the independent verifier refuses the credential issued through the form: %v", r.Errors)
	}
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](`window.credentialMarker = 42`),
		chromedp.Click(css(`[data-testid="credential-revoke"]`)),
		present(`[data-testid="credential-confirm-form"]`),
		chromedp.Click(css(`[data-testid="credential-confirm-submit"]`)), // no reason yet
		present(`[data-testid="error-reason"]`),
		chromedp.SendKeys(css(`[data-testid="credential-reason"]`), "Issued to the wrong person"),
		chromedp.Click(css(`[data-testid="credential-confirm-submit"]`)),
		present(`[data-testid="badge-revoked"]`),
	); err != nil {
		t.Fatal(err)
	}
	v, err := chromedp.Run(tab, chromedp.Evaluate[int](`window.credentialMarker || 0`))
	if err != nil || v != 42 {
		t.Fatalf("the page was reloaded (marker %d, %v)", v, err)
	}
	text, err := chromedp.Run(tab, chromedp.Text(css(`[data-testid="credential-status"]`)))
	if err != nil || !strings.Contains(text, "Issued to the wrong person") || !strings.Contains(text, "Revoked") {
		t.Errorf("status section %q (%v)", text, err)
	}
	if r := independent(); r.Verified || !r.Revoked {
		t.Errorf("after revocation in the UI the independent verifier says %+v", r)
	}
}
