package web

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// An org admin creates a key and sees it once, revokes it from the list
// (htmx, after a confirmation) and filters the audit log without a reload.
func TestBrowserAPIKeysAndAudit(t *testing.T) {
	tab := browsertest.Tab(t)
	db := storetest.Open(t, store.SQLite)
	app := newApp(t, db, false)
	ctx := context.Background()
	org := &store.Organization{Name: "Acme", Slug: "acme", Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:localhost:orgs:acme"}
	if err := db.CreateOrganization(ctx, org, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	const pw = "browser test passphrase 7"
	hash, err := password.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, &store.User{Email: "admin@acme.example", Role: store.RoleAdmin, OrganizationID: &org.ID, PasswordHash: &hash}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	base := listen(t, app)

	// Accept the revocation's confirmation dialog.
	dialogs := chromedp.Events(tab, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			if !strings.Contains(ev.Message, "Revoke the key") {
				t.Errorf("dialog %q", ev.Message)
			}
			go func() {
				_, _ = chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}()
		}
	}()

	q := func(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "admin@acme.example"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), pw),
		chromedp.Click(q("login-submit")),
		chromedp.WaitVisible(q("dashboard")),
		chromedp.Navigate(base+"/api-keys"),
		chromedp.WaitVisible(q("apikeys-empty")),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Registrar"),
		chromedp.Click(chromedp.CSS(`input[value="credentials:read"]`)),
		chromedp.SetValue(chromedp.CSS(`#f-expiry`), "90"),
		chromedp.Click(q("apikey-create")),
		chromedp.WaitVisible(q("apikey-secret")),
	); err != nil {
		t.Fatal(err)
	}
	key, err := chromedp.Run(tab, chromedp.Text(q("apikey-secret")))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^tcs_[a-z2-7]{38}$`).MatchString(key) {
		t.Fatalf("key shown: %q", key)
	}
	// Back to the list: the key is there by its prefix only.
	if err := chromedp.Do(tab,
		chromedp.Click(q("apikey-done")),
		chromedp.WaitVisible(q("apikey-revoke")),
	); err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(body, key) || !strings.Contains(body, key[:12]) {
		t.Fatal("the list shows the full key, or not its prefix")
	}
	// Revoke: the row is swapped in place, no page load.
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.samePage = true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Click(q("apikey-revoke"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](
		`document.querySelector('[data-testid="apikey-status"]').innerText.includes('Revoked') && !document.querySelector('[data-testid="apikey-revoke"]') && window.samePage === true`)); err != nil {
		t.Fatalf("the row did not turn revoked in place: %v", err)
	}

	// The audit log: a filter change swaps the results and updates the URL.
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/audit"),
		chromedp.WaitVisible(q("audit-table")),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.samePage = true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.CSS(`#f-action`), "apikey.revoked"),
		chromedp.Blur(chromedp.CSS(`#f-action`)), // change fires on blur
	); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(tab, chromedp.Poll[string](`(() => {
		const acts = [...document.querySelectorAll('[data-testid="audit-action"]')].map(e => e.innerText);
		return window.samePage === true && location.search.includes('action=apikey.revoked') && acts.length === 1 && acts[0];
	})()`))
	if err != nil || got != "apikey.revoked" {
		t.Fatalf("filtered audit log: %q %v", got, err)
	}
}
