package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// Both previews of a credential, in a real browser: the issue form's and
// the template edit page's show the credential as a person reads it (the
// public page's human view) first, with the JSON-LD closed one click below
// it; one click opens it. Looked at 390 and 1280 px, closed and open.
func TestBrowserPreviewsShowTheCredentialFirst(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	org := env.Org("acme")
	tpl := degreeTemplate(t, env, org)
	issuer := env.User(store.RoleIssuer, org)
	base := env.Serve()
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), issuer.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), webtest.Password),
		chromedp.Click(testID("login-submit")),
		chromedp.WaitVisible(testID("dashboard")),
	); err != nil {
		t.Fatal(err)
	}

	// check finds the human view shown and the JSON-LD hidden, the human
	// view above the JSON, then opens the JSON with one click.
	check := func(name string, wantHuman []string, wantJSON string) {
		t.Helper()
		human, json, details := `[data-testid="`+name+`-human"]`, `[data-testid="`+name+`"]`, `[data-testid="`+name+`-json"]`
		browsertest.Wait(t, tab, name+"'s human view", `!!document.querySelector('`+human+`') && document.querySelector('`+human+`').checkVisibility()`)
		state, err := chromedp.Run(tab, chromedp.Evaluate[[]any](`(() => {
			const h = document.querySelector('`+human+`'), j = document.querySelector('`+json+`');
			return [h.innerText, j.checkVisibility(), !!(h.compareDocumentPosition(j) & Node.DOCUMENT_POSITION_FOLLOWING)];
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		text, _ := state[0].(string)
		for _, w := range wantHuman {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the human view does not say %q:\n%s", name, w, text)
			}
		}
		for _, raw := range []string{"credentialSubject", "@context", "{"} {
			if strings.Contains(text, raw) {
				t.Errorf("%s: the human view shows JSON (%q):\n%s", name, raw, text)
			}
		}
		if state[1] != false {
			t.Errorf("%s: the JSON-LD is shown before it is asked for", name)
		}
		if state[2] != true {
			t.Errorf("%s: the JSON-LD comes before the human view", name)
		}
		browsertest.Look(t, tab, name)
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(details+` summary`))); err != nil {
			t.Fatal(err)
		}
		browsertest.Wait(t, tab, name+"'s JSON-LD, opened", `document.querySelector('`+json+`').checkVisibility()`)
		got, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(json)))
		if err != nil || !strings.Contains(got, `"credentialSubject"`) || !strings.Contains(got, wantJSON) {
			t.Errorf("%s: the JSON-LD opened: %q (%v)", name, got, err)
		}
		browsertest.Look(t, tab, name+"-json")
	}

	// The issue form's preview.
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/credentials/issue?template="+tpl.ID),
		chromedp.WaitVisible(chromedp.CSS(`#f-recipient_name`)),
		chromedp.SendKeys(chromedp.CSS(`#f-recipient_name`), "Grace Hopper"),
		chromedp.SendKeys(chromedp.CSS(`#f-recipient_address`), "grace@example.org"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[name="data.awarded"]').value = '2024-06-30'`),
		chromedp.Click(testID("issue-preview-button")),
	); err != nil {
		t.Fatal(err)
	}
	check("issue-preview", []string{"Grace Hopper", "Physics", "Degree", "Awarded on"}, `"degree": "Physics"`)

	// The template's preview on its edit page: its default values, a
	// sample recipient.
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/templates/"+tpl.ID+"/edit"), chromedp.WaitVisible(testID("template-form"))); err != nil {
		t.Fatal(err)
	}
	check("template-preview", []string{"Sample Recipient", "Bachelor of Science", "Degree", "Physics"}, `"degree": "Physics"`)
}
