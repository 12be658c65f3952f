package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// Reviews from real use, in a real browser: Northfield published a
// template; Harbor's issuer searches for it, opens it (told that reviews
// come from use), adopts it, issues a credential from the copy, reviews
// it; the rating appears on the card. Reported, a platform operator hides
// the review from the moderation queue, and the card and page lose it.
// The template's page with its review and the queue are looked at at 390
// and 1280 px and checked by axe.
func TestBrowserMarketplaceReviews(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	pub, adopter := env.Org("northfield"), env.Org("harbor")
	cat := seedCategory(t, env, "First aid", nil)
	aid := seedPublished(t, env, pub, cat, "First Aid Course", "Basic life support for adults and children")
	issuer := env.User(store.RoleIssuer, adopter)
	reporter := env.User(store.RoleAdmin, pub)
	operator := env.User(store.RoleSuperAdmin, nil)
	base := env.Serve()

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	has := func(id string) string {
		return `!!document.querySelector('[data-testid="` + id + `"]') && ` + settled
	}
	signIn := func(u *store.User) {
		t.Helper()
		if err := chromedp.Do(tab,
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
				return err
			}),
			chromedp.EmulateViewport(1280, 900),
			chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(css(`#f-email`), u.Email),
			chromedp.SendKeys(css(`#f-password`), webtest.Password),
			chromedp.Click(css(`[data-testid="login-submit"]`)),
			chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Evaluate[string](`(document.querySelector('`+sel+`') || {innerText: ''}).innerText`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Harbor's issuer finds it, and may not review it before using it.
	signIn(issuer)
	if err := chromedp.Do(tab,
		chromedp.Click(css(`[data-testid="nav-marketplace"]`)),
		chromedp.WaitVisible(css(`[data-testid="mp-q"]`)),
		chromedp.SendKeys(css(`[data-testid="mp-q"]`), "first aid"),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the search result", `document.querySelectorAll('#mp-results article').length === 1 && location.search.includes('q=first') && `+settled)
	if err := chromedp.Do(tab, chromedp.Click(css(`[data-testid="mp-card-`+aid.ID+`"] [data-testid="mp-card-link"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the template's page", has("mp-review-notice"))
	if n := text(`[data-testid="mp-review-notice"]`); !strings.Contains(n, "issued at least one credential") {
		t.Errorf("the notice before using it: %q", n)
	}

	// Adopt it, then issue a credential from the copy.
	if err := chromedp.Do(tab, chromedp.Click(css(`[data-testid="mp-adopt"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the copy's page", has("template-based-on"))
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	copyID := strings.TrimSuffix(strings.TrimPrefix(loc[strings.Index(loc, "/templates/"):], "/templates/"), "/edit")
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/credentials/issue?template="+copyID),
		chromedp.WaitVisible(css(`[data-testid="issue-form"]`)),
		chromedp.SendKeys(css(`#f-recipient_name`), "Grace Hopper"),
		chromedp.SendKeys(css(`#f-recipient_address`), "grace@example.org"),
		chromedp.SendKeys(css(`[name="data.course"]`), "First aid for lifeguards"),
		chromedp.Evaluate[chromedp.Void](`(() => { const d = document.querySelector('[name="data.completed"]'); if (d) d.value = '2026-06-30' })()`),
		chromedp.Click(css(`[data-testid="issue-preview-button"]`)),
		chromedp.WaitVisible(css(`[data-testid="issue-preview-human"]`)),
		chromedp.Click(css(`[data-testid="issue-sign"]`)),
		chromedp.WaitVisible(css(`[data-testid="credential-page"]`)),
	); err != nil {
		t.Fatal(err)
	}

	// Now the review form; a missing rating is refused next to its field.
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/marketplace/"+aid.ID)); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the review form", has("mp-review-form"))
	if err := chromedp.Do(tab,
		chromedp.SendKeys(css(`[data-testid="mp-review-text-input"]`), "Clear fields, **easy** to adapt:\n\n- course title\n- date completed"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="mp-review-rating"]').removeAttribute('required')`),
		chromedp.Click(css(`[data-testid="mp-review-submit"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the rating's error", has("error-rating"))
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="mp-review-rating"]').value = '4'`),
		chromedp.Click(css(`[data-testid="mp-review-submit"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the published review", has("mp-review-own")+` && !!document.querySelector('[data-testid="mp-review-text"] strong')`)
	if h := text(`[data-testid="mp-histogram-4"]`); strings.TrimSpace(h) != "1" {
		t.Errorf("the histogram's 4 stars: %q", h)
	}
	browsertest.Look(t, tab, "marketplace-reviews")
	browsertest.Axe(t, tab, "a template's page with its review")

	// The rating is on the card.
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/marketplace?q=first+aid")); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the card", has("mp-card-"+aid.ID))
	if r := text(`[data-testid="mp-card-` + aid.ID + `"] [data-testid="mp-card-rating"]`); !strings.Contains(r, "4.0") || !strings.Contains(r, "1 rating") {
		t.Errorf("the card's rating: %q", r)
	}

	// Reported by Northfield's admin; the operator hides it from the queue.
	rv, err := env.DB.Scoped(adopter.ID).TemplateReviewBy(context.Background(), aid.ID, issuer.ID)
	if err != nil || rv == nil {
		t.Fatalf("the review: %v", err)
	}
	if err := env.DB.Scoped(pub.ID).ReportReview(context.Background(), rv.ID, store.Report{Reason: store.ReportMisleading,
		Details: "We never said it suits lifeguards."}, store.Actor{UserID: &reporter.ID}); err != nil {
		t.Fatal(err)
	}
	signIn(operator)
	if err := chromedp.Do(tab, chromedp.Click(css(`[data-testid="nav-marketplace-moderation"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the moderation queue", has("moderation-report"))
	browsertest.Look(t, tab, "marketplace-moderation")
	browsertest.Axe(t, tab, "the moderation queue")
	if err := chromedp.Do(tab,
		chromedp.EmulateViewport(1280, 900),
		chromedp.SendKeys(css(`[data-testid="moderation-report"] textarea[name="reason"]`), "Misleading about its use"),
		chromedp.Click(css(`[data-testid="moderation-report"] button[data-testid^="moderation-submit-hide-"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the hidden review to restore", has("moderated-item")+` && !document.querySelector('[data-testid="moderation-report"]')`)
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/marketplace?q=first+aid")); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the card", has("mp-card-"+aid.ID))
	if r := text(`[data-testid="mp-card-` + aid.ID + `"] [data-testid="mp-card-rating"]`); !strings.Contains(r, "No ratings yet") {
		t.Errorf("the card's rating after hiding: %q", r)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/marketplace/"+aid.ID)); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the page without the review", has("mp-reviews-none"))
}
