package web_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// The marketplace in a real browser: signed out, the catalogue in the
// public bar; signed in as another organization's issuer, a category, a
// kind, search as you type (the URL following), a template's page with
// its rendered preview, and "Use this template", which opens the copy
// saying what it is based on. Looked at at 390 and 1280 px, checked by axe.
func TestBrowserMarketplace(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	pub, adopter := env.Org("northfield"), env.Org("harbor")
	if _, err := env.DB.SetOrganizationVerified(context.Background(), pub.ID, true, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	health := seedCategory(t, env, "Health", nil)
	aidCat := seedCategory(t, env, "First aid", health)
	tech := seedCategory(t, env, "Technology", nil)
	aid := seedPublished(t, env, pub, aidCat, "First Aid Course", "Basic life support for adults and children")
	py := seedPublished(t, env, adopter, tech, "Python Programming Course", "Programming in Python, from variables to tests")
	seedPublished(t, env, pub, tech, "Data Science Fundamentals", "A 40-hour course with four assessed notebooks")
	issuer := env.User(store.RoleIssuer, adopter)
	// Northfield's look: its cards carry its accent (not its CSS).
	pubCSS := "h2 { color: #ff0000; }"
	if _, err := env.DB.Scoped(pub.ID).SaveBrandingLook(context.Background(),
		store.BrandingLook{AccentColor: new("#b45309"), CustomCSS: &pubCSS}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	base := env.Serve()

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	cards := func(n int) string {
		return `document.querySelectorAll('#mp-results article').length === ` + itoa(n) + ` && ` + settled
	}
	has := func(id string) string {
		return `!!document.querySelector('[data-testid="` + id + `"]') && ` + settled
	}

	// Signed out: the public bar, every published template.
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/marketplace")); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the catalogue", cards(3))
	// The accent stripe as a person sees it: Northfield's two cards in its amber,
	// Harbor's none; card titles keep TrustCred's colour, not Northfield's CSS.
	stripes, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#mp-results article')].map(a => {
		const r = a.querySelector('[data-testid="mp-card-accent"] rect');
		return (r ? getComputedStyle(r).fill : 'none') + ' ' + getComputedStyle(a.querySelector('h2 a')).color })`))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(stripes)
	if want := []string{"none rgb(15, 23, 42)", "rgb(180, 83, 9) rgb(15, 23, 42)", "rgb(180, 83, 9) rgb(15, 23, 42)"}; !slices.Equal(stripes, want) {
		t.Errorf("the cards' stripes and title colours are %q, want %q", stripes, want)
	}
	browsertest.Look(t, tab, "marketplace-signed-out")
	browsertest.Axe(t, tab, "the catalogue signed out")

	// Signed in: the staff shell.
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), issuer.Email),
		chromedp.SendKeys(css(`#f-password`), webtest.Password),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		chromedp.EmulateViewport(1280, 900),
		chromedp.Click(css(`[data-testid="nav-marketplace"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the catalogue in the staff shell", cards(3)+` && !!document.querySelector('[data-testid="sidebar-nav"]')`)
	// A parent category holds its children's templates.
	if err := chromedp.Do(tab, chromedp.Click(css(`[data-testid="marketplace-categories"] [data-testid="category-`+health.ID+`"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the Health category", cards(1)+` && !!document.querySelector('[data-testid="mp-card-`+aid.ID+`"]')`)
	// Every category again, then the badge kind: nothing; certificates: all three.
	if err := chromedp.Do(tab, chromedp.Click(css(`[data-testid="marketplace-categories"] [data-testid="category-all"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "every category", cards(3))
	choose := func(v string) {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('[data-testid="mp-kind"]');`+
			` s.value = '`+v+`'; s.dispatchEvent(new Event('change', {bubbles: true})) })()`)); err != nil {
			t.Fatal(err)
		}
	}
	choose("badge")
	browsertest.Wait(t, tab, "no badge", has("mp-empty"))
	choose("")
	browsertest.Wait(t, tab, "any kind", cards(3))
	// Search as you type: the results follow, and so does the URL.
	if err := chromedp.Do(tab, chromedp.SendKeys(css(`[data-testid="mp-q"]`), "pyth")); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the search for pyth", cards(1)+` && !!document.querySelector('[data-testid="mp-card-`+py.ID+`"]')`)
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil || !strings.Contains(loc, "q=pyth") {
		t.Errorf("location after searching: %q (%v)", loc, err)
	}
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="mp-q"]').value = ''`),
		chromedp.SendKeys(css(`[data-testid="mp-q"]`), "course"),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the search for course", cards(3))
	browsertest.Look(t, tab, "marketplace-signed-in")
	browsertest.Axe(t, tab, "the catalogue signed in")

	// A template's page: the credential rendered with sample data.
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900),
		chromedp.Click(css(`[data-testid="mp-card-`+aid.ID+`"] [data-testid="mp-card-link"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the template's page", has("mp-detail")+` && document.querySelectorAll('[data-testid="mp-preview"] [data-testid="credential-field"]').length === 2`)
	text, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('[data-testid="mp-preview"]').innerText`))
	if err != nil || !strings.Contains(text, "Course title") || strings.Contains(text, "{") {
		t.Errorf("the preview reads %q (%v)", text, err)
	}
	browsertest.Look(t, tab, "marketplace-template")
	browsertest.Axe(t, tab, "a template's page")

	// Use it: the copy opens, saying where it came from.
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Click(css(`[data-testid="mp-adopt"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the copy's page", has("template-based-on"))
	based, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('[data-testid="template-based-on"]').innerText`))
	if err != nil || !strings.Contains(based, "First Aid Course") || !strings.Contains(based, "Northfield Org, version 1") {
		t.Errorf("the copy says %q (%v)", based, err)
	}
	browsertest.Look(t, tab, "marketplace-adopted")
	if e, err := env.DB.CrossOrg().MarketplaceTemplate(context.Background(), aid.ID); err != nil || e.Adoptions != 1 {
		t.Errorf("after adopting: %+v %v", e, err)
	}
}

// Publishing in a real browser: the quality check lists what to fix (each
// with a link), then, fixed, the form publishes and the template's page
// opens in the catalogue. Looked at at 390 and 1280 px, checked by axe.
func TestBrowserMarketplacePublish(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	org := env.Org("northfield")
	health := seedCategory(t, env, "Health", nil)
	seedCategory(t, env, "First aid", health)
	admin := env.User(store.RoleAdmin, org)
	cs := seedSchema(t, env, org, "Welding", "1.0")
	s := env.DB.Scoped(org.ID)
	tpl, err := s.CreateTemplate(context.Background(), store.TemplateChange{Name: "Welder", SchemaID: cs.ID,
		Data: store.TemplateData{Kind: store.TemplateBadge, Achievement: &store.Achievement{Name: "Welder"}}}, testActor)
	if err != nil {
		t.Fatal(err)
	}
	base := env.Serve()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), admin.Email),
		chromedp.SendKeys(css(`#f-password`), webtest.Password),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		chromedp.Navigate(base+"/templates/"+tpl.ID+"/edit"),
		chromedp.Click(css(`[data-testid="template-publish-link"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the quality check's problems",
		`document.querySelectorAll('[data-testid="mp-check-problem"]').length === 2 && !document.querySelector('[data-testid="mp-publish-form"]')`)
	browsertest.Look(t, tab, "marketplace-publish-problems")
	browsertest.Axe(t, tab, "the publish page with problems")

	// Fixed (a description, criteria): the form appears.
	if _, err := s.UpdateTemplate(context.Background(), tpl.ID, store.TemplateChange{Name: "Welder", Description: "Safe welding practice on site.", SchemaID: cs.ID,
		Data: store.TemplateData{Kind: store.TemplateBadge, Achievement: &store.Achievement{Name: "Welder", Criteria: "Pass the practical test."}}}, testActor); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the publish form", `!!document.querySelector('[data-testid="mp-check-ok"]') && !!document.querySelector('[data-testid="mp-publish-form"]')`)
	// Submitted without a summary: the message is next to the field.
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('[data-testid="mp-publish-category"]'); s.value = s.options[2].value })()`),
		chromedp.Click(css(`[data-testid="mp-publish-submit"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the summary's error", `!!document.querySelector('[data-testid="error-summary"]')`)
	browsertest.Look(t, tab, "marketplace-publish-form")
	browsertest.Axe(t, tab, "the publish form with an error")
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900),
		chromedp.SendKeys(css(`[data-testid="mp-publish-summary"]`), "Welding safely, assessed on site"),
		chromedp.Click(css(`[data-testid="mp-publish-submit"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the published template's page", `!!document.querySelector('[data-testid="mp-detail"]') && !!document.querySelector('[data-testid="mp-adopt-own"]')`)
	e, err := env.DB.CrossOrg().MarketplaceTemplate(context.Background(), tpl.ID)
	if err != nil || e.Summary != "Welding safely, assessed on site" || e.Version != 2 || e.CategoryName != "First aid" {
		t.Errorf("published: %+v %v", e, err)
	}
}
