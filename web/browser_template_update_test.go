package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// An adopter applies an update in a real browser: the list's notice, the
// diff page (looked at at 390 and 1280 px, checked by axe), Apply refused
// until the conflict is chosen for, then the copy's page without the
// notice.
func TestBrowserTemplateUpdate(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	pub, adopter := env.Org("northfield"), env.Org("harbor")
	cat := seedCategory(t, env, "Health", nil)
	cp, _ := adoptedWithUpdate(t, env, pub, adopter, cat, "First Aid Course")
	s := env.DB.Scoped(adopter.ID)
	// The adopter's own description: a conflict with the publisher's.
	if _, err := s.UpdateTemplate(context.Background(), cp.ID, store.TemplateChange{Name: "Harbor First Aid",
		Description: "Harbor's first aid course for lifeguards, with the sea rescue module and a practical assessment on the beach.",
		SchemaID:    cp.SchemaID, Data: cp.TemplateData.Data()}, testActor); err != nil {
		t.Fatal(err)
	}
	admin := env.User(store.RoleAdmin, adopter)
	base := env.Serve()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), admin.Email),
		chromedp.SendKeys(css(`#f-password`), webtest.Password),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/templates"),
		chromedp.WaitVisible(css(`[data-testid="template-update-available"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Look(t, tab, "template-update-list")
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Click(css(`a[data-testid="template-update-available"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the update page", `!!document.querySelector('[data-testid="template-update-page"]')`)
	browsertest.Look(t, tab, "template-update")
	browsertest.Axe(t, tab, "the update page")

	// Apply without choosing: the conflict says so.
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Click(css(`[data-testid="template-update-apply"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the refusal at the conflict", `!!document.querySelector('[data-testid="error-choice-description"]')`)
	browsertest.Look(t, tab, "template-update-refused")
	if err := chromedp.Do(tab,
		chromedp.EmulateViewport(1280, 900),
		chromedp.SetValue(css(`select[name="choice-description"]`), "mine"),
		chromedp.Click(css(`[data-testid="template-update-apply"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the copy's page after the update, its origin verified",
		`!!document.querySelector('[data-testid="template-origin-verified"]') && !document.querySelector('[data-testid="template-update-available"]')`)
	browsertest.Look(t, tab, "template-origin-verified")
	got, err := s.Template(context.Background(), cp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema == nil || len(got.Schema.Fields) != 3 || got.Description == nil || (*got.Description)[:6] != "Harbor" {
		t.Errorf("the copy after the update: %+v", got)
	}
}
