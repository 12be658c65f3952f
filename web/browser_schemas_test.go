package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// An issuer builds a schema with the field builder (three fields added, one
// moved, one removed, all by htmx swaps without a page load), saves it and
// creates a template from it.
func TestBrowserSchemaBuilderAndTemplate(t *testing.T) {
	tab := browsertest.Tab(t)
	db := storetest.Open(t, store.SQLite)
	app := newApp(t, db, false)
	ctx := context.Background()
	org := &store.Organization{Name: "Acme", Slug: "acme", Type: store.OrganizationEducational, Status: store.OrganizationActive, DID: "did:web:localhost:orgs:acme"}
	if err := db.CreateOrganization(ctx, org, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	const pw = "browser test passphrase 8"
	hash, err := password.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, &store.User{Email: "issuer@acme.example", Role: store.RoleIssuer, OrganizationID: &org.ID, PasswordHash: &hash}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	base := listen(t, app)

	q := func(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }
	in := func(name string) chromedp.CSS { return chromedp.CSS(`[name="` + name + `"]`) }
	// poll waits until js holds and htmx has settled: swapped-in buttons
	// get their htmx behaviour only when the swap settles (htmx-added and
	// htmx-settling are gone); a click before that would submit the form
	// the plain way and load a page.
	poll := func(what, js string) {
		t.Helper()
		js = `(` + js + `) && !document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping, .htmx-request')`
		if ok, err := chromedp.Run(tab, chromedp.Poll[bool](js)); err != nil || !ok {
			t.Fatalf("%s: %v", what, err)
		}
	}
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "issuer@acme.example"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), pw),
		chromedp.Click(q("login-submit")),
		chromedp.WaitVisible(q("dashboard")),
		chromedp.Navigate(base+"/schemas"),
		chromedp.Click(q("schema-new")),
		chromedp.WaitVisible(q("schema-builder")),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.samePage = true`)); err != nil {
		t.Fatal(err)
	}
	// Three fields: the first row is there, two more are added.
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Course Certificate"),
		chromedp.SendKeys(in("f.0.name"), "course"),
		chromedp.SendKeys(in("f.0.label"), "Course"),
		chromedp.Click(q("builder-add")),
	); err != nil {
		t.Fatal(err)
	}
	poll("the second row", `!!document.querySelector('[name="f.1.name"]')`)
	if err := chromedp.Do(tab,
		chromedp.SendKeys(in("f.1.name"), "hours"),
		chromedp.SendKeys(in("f.1.label"), "Study hours"),
		chromedp.Click(q("builder-add")),
	); err != nil {
		t.Fatal(err)
	}
	poll("the third row", `!!document.querySelector('[name="f.2.name"]')`)
	if err := chromedp.Do(tab,
		chromedp.SendKeys(in("f.2.name"), "grade"),
		chromedp.SendKeys(in("f.2.label"), "Grade"),
	); err != nil {
		t.Fatal(err)
	}
	poll("adding rows without a page load", `window.samePage === true`)
	// The type select swaps the row's inputs: a number has min and max, no pattern.
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(() => {
		const s = document.querySelector('[name="f.1.type"]');
		s.value = 'number';
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`)); err != nil {
		t.Fatal(err)
	}
	poll("the number row", `document.querySelector('[name="f.1.pattern"]').type === 'hidden' && document.querySelector('[name="f.1.min"]').type === 'text'`)
	if err := chromedp.Do(tab, chromedp.SendKeys(in("f.1.max"), "200")); err != nil {
		t.Fatal(err)
	}
	// The live preview follows the fields.
	poll("the preview", `(document.querySelector('[data-testid="schema-preview-json"]') || {innerText: ''}).innerText.includes('"maximum": 200')`)

	// Move "hours" up to the top, then remove "grade".
	if err := chromedp.Do(tab, chromedp.Click(`[data-testid="builder-row-1"] [data-testid="row-up"]`)); err != nil {
		t.Fatal(err)
	}
	poll("the move", `window.samePage === true && document.querySelector('[name="f.0.name"]').value === 'hours' && document.querySelector('[name="f.1.name"]').value === 'course'`)
	if err := chromedp.Do(tab, chromedp.Click(`[data-testid="builder-row-2"] [data-testid="row-remove"]`)); err != nil {
		t.Fatal(err)
	}
	poll("the removal", `!document.querySelector('[name="f.2.name"]') && document.querySelectorAll('[data-testid^="builder-row-"]').length === 2 && window.samePage === true`)
	// Ticking "required" posts the live preview, which is swapped in
	// beside the form; save only once that has settled, or on a loaded
	// machine the click can land while the layout moves.
	if err := chromedp.Do(tab, chromedp.Click(`[name="f.1.required"]`)); err != nil {
		t.Fatal(err)
	}
	poll("the builder at rest", `document.querySelector('[name="f.1.required"]').checked &&
		(document.querySelector('[data-testid="schema-preview-json"]') || {innerText: ''}).innerText.includes('"required"')`)
	if err := chromedp.Do(tab,
		chromedp.Click(q("schema-save")),
		chromedp.WaitVisible(q("schema-page")),
	); err != nil {
		t.Fatal(err)
	}
	fields, err := chromedp.Run(tab, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid="schema-field"] td:first-child')].map(e => e.innerText).join(',')`))
	if err != nil || fields != "hours,course" {
		t.Fatalf("saved fields %q %v", fields, err)
	}

	// A template from it.
	if err := chromedp.Do(tab,
		chromedp.Click(q("schema-new-template")),
		chromedp.WaitVisible(q("template-form")),
		chromedp.WaitVisible(in("default_hours")),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Data Science Fundamentals"),
		chromedp.SendKeys(in("default_hours"), "40"),
		chromedp.Click(q("template-save")),
		chromedp.WaitVisible(q("templates-table")),
	); err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil || !strings.Contains(body, "Data Science Fundamentals") || !strings.Contains(body, "Course Certificate 1.0") {
		t.Fatalf("templates page: %v\n%s", err, body)
	}
	list, err := db.Scoped(org.ID).Templates(ctx)
	if err != nil || len(list) != 1 || list[0].TemplateData.Data().Defaults["hours"] != "40" {
		t.Fatalf("stored templates %+v %v", list, err)
	}
}
