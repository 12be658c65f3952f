package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// The "Aligned to" filter and the alignment links in a real browser:
// choosing a framework narrows the cards (htmx), the template page lists
// its targets, and the template form shows the rows. Looked at at 390 and
// 1280 px, checked by axe.
func TestBrowserMarketplaceAlignment(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	pub := env.Org("northfield")
	tech := seedCategory(t, env, "Technology", nil)
	goBadge := seedAlignedBadge(t, env, pub, tech, "Go Programming Badge",
		store.Alignment{TargetName: "Programming in Go, concurrency and testing", TargetURL: "https://esco.test/skill/go", TargetFramework: "European Skills, Competences and Occupations", TargetCode: "S1.2.3"},
		store.Alignment{TargetName: "Code review", TargetURL: "https://skills.test/review"})
	seedPublished(t, env, pub, tech, "Python Course", "Not aligned")
	seedAlignedBadge(t, env, pub, tech, "Accessible Web Design Badge",
		store.Alignment{TargetName: "Web Content Accessibility Guidelines conformance testing", TargetURL: "https://skills.test/wcag"},
		store.Alignment{TargetName: "HTML", TargetURL: "https://skills.test/html"}, store.Alignment{TargetName: "CSS", TargetURL: "https://skills.test/css"},
		store.Alignment{TargetName: "Usability testing", TargetURL: "https://skills.test/ux"})
	base := env.Serve()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	cards := func(n int) string {
		return `document.querySelectorAll('#mp-results article').length === ` + itoa(n) + ` && ` + settled
	}

	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/marketplace")); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the catalogue", cards(3))
	// Each card says what it aligns to: three targets at most, a long one
	// cut to the card's width, and how many more.
	browsertest.Wait(t, tab, "the cards' alignments", `document.querySelectorAll('[data-testid="mp-card-alignment"]').length === 5 && `+
		`document.querySelector('[data-testid="mp-card-alignments-more"]').textContent.trim() === '+1 more'`)
	browsertest.Look(t, tab, "marketplace-cards-aligned")
	browsertest.Axe(t, tab, "the catalogue with aligned cards")
	if err := chromedp.Do(tab, chromedp.SetValue(css(`[data-testid="mp-alignment"]`), "European Skills, Competences and Occupations")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector('[data-testid="mp-alignment"]').dispatchEvent(new Event('change', {bubbles: true}))`)); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the aligned badge alone", cards(1)+` && location.search.includes('alignment=')`)
	browsertest.Look(t, tab, "marketplace-aligned")
	browsertest.Axe(t, tab, "the catalogue filtered by alignment")

	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/marketplace/"+goBadge.ID)); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the template page", `document.querySelectorAll('[data-testid="mp-alignment"]').length === 2`)
	browsertest.Look(t, tab, "marketplace-template-aligned")
	browsertest.Axe(t, tab, "a template page with alignments")

	// The form's rows.
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), env.User(store.RoleIssuer, pub).Email),
		chromedp.SendKeys(css(`#f-password`), webtest.Password),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		chromedp.Navigate(base+"/templates/"+goBadge.ID+"/edit"),
		chromedp.WaitVisible(css(`[data-testid="alignment-1"]`)),
		chromedp.Click(css(`[data-testid="alignment-add"]`)),
		chromedp.WaitVisible(css(`[data-testid="alignment-2"]`))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Click(css(`[data-testid="template-save"]`)), chromedp.WaitVisible(css(`[data-testid="error-alignment.2.target_name"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Look(t, tab, "template-form-alignment")
	browsertest.Axe(t, tab, "the template form with an alignment error")
}
