package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// The moderation routes are the platform operators' alone: every
// organization role gets 403 (anonymous: sign in).
func TestMarketplaceModerationRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		a, b, pub := env.Org("acme"), env.Org("bolt"), env.Org("pubco")
		cat := seedCategory(t, env, "Safety", nil)
		listed := seedPublished(t, env, pub, cat, "First Aid", "Basic life support")
		adoptAndIssue(t, env, a, listed)
		author := env.User(store.RoleIssuer, a)
		rv, err := env.DB.Scoped(a.ID).CreateTemplateReview(ctx, listed.ID, store.ReviewInput{Rating: 1, Text: "Spam"}, store.Actor{UserID: &author.ID})
		if err != nil {
			t.Fatal(err)
		}
		reporter := env.User(store.RoleAdmin, b)
		if err := env.DB.Scoped(b.ID).ReportReview(ctx, rv.ID, store.Report{Reason: store.ReportSpam}, store.Actor{UserID: &reporter.ID}); err != nil {
			t.Fatal(err)
		}
		clients := env.RoleClients(a, b)
		platform := func(op int) map[string]int {
			return map[string]int{webtest.AsSuperAdmin: op, webtest.AsAdmin: 403, webtest.AsIssuer: 403, webtest.AsReviewer: 403,
				webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303, webtest.AsOtherAdmin: 403}
		}
		reason := url.Values{"reason": {"Advertising"}}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/admin/marketplace", Want: platform(200)},
			{Method: "GET", Path: "/admin/marketplace?after=garbage", Want: platform(422)},
			{Method: "POST", Path: "/admin/marketplace/reviews/" + rv.ID + "/hide", Form: url.Values{"reason": {""}}, Want: platform(422)},
			{Method: "POST", Path: "/admin/marketplace/reviews/" + rv.ID + "/hide", Form: reason, Want: platform(303)},
			{Method: "POST", Path: "/admin/marketplace/reviews/" + rv.ID + "/restore", Want: platform(303)},
			{Method: "POST", Path: "/admin/marketplace/reviews/not-an-id/hide", Form: reason, Want: platform(404)},
			{Method: "POST", Path: "/admin/marketplace/templates/" + listed.ID + "/unlist", Form: reason, Want: platform(303)},
			{Method: "POST", Path: "/admin/marketplace/templates/" + listed.ID + "/restore", Want: platform(303)},
			{Method: "POST", Path: "/admin/marketplace/reports/" + rv.ID + "/dismiss", Want: platform(404)},
		})
	})
}

// A moderator hides a reported review (with a reason), restores it, and
// unlists a template: its page is gone, adopting it refused, its publisher
// told.
func TestMarketplaceModerationFlow(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		a, b, pub := env.Org("acme"), env.Org("bolt"), env.Org("pubco")
		cat := seedCategory(t, env, "Safety", nil)
		listed := seedPublished(t, env, pub, cat, "First Aid", "Basic life support")
		adoptAndIssue(t, env, a, listed)
		writer := env.Client()
		writer.Login(env.User(store.RoleIssuer, a))
		if r := writer.Post("/marketplace/"+listed.ID+"/reviews", reviewForm("1", "Buy **cheap** watches")); r.Status != 303 {
			t.Fatalf("review: %d", r.Status)
		}
		reporter := env.Client()
		reporter.Login(env.User(store.RoleAdmin, b))
		page := reporter.Get("/marketplace/" + listed.ID)
		if !page.Has("mp-report-template") || !page.Has("mp-review-vote") {
			t.Fatal("B's admin cannot vote or report")
		}
		rid := between(page.Body, `action="/marketplace/`+listed.ID+`/reviews/`, `/helpful"`)
		if r := reporter.Post("/marketplace/"+listed.ID+"/reviews/"+rid+"/report", url.Values{"reason": {"other"}}); r.Status != 422 || !r.Has("error-details") {
			t.Errorf("report 'other' without words: %d", r.Status)
		}
		if r := reporter.Post("/marketplace/"+listed.ID+"/reviews/"+rid+"/report", url.Values{"reason": {"spam"}, "details": {"An advert"}}); r.Status != 303 {
			t.Fatalf("report: %d", r.Status)
		}
		if r := reporter.Post("/marketplace/"+listed.ID+"/report", url.Values{"reason": {"misleading"}}); r.Status != 303 {
			t.Fatalf("report the template: %d", r.Status)
		}

		op := env.Client()
		op.Login(env.User(store.RoleSuperAdmin, nil))
		q := op.Get("/admin/marketplace")
		if q.Status != 200 || strings.Count(q.Body, `data-testid="moderation-report"`) != 2 || !strings.Contains(q.Body, "<strong>cheap</strong>") ||
			!strings.Contains(q.Body, "An advert") {
			t.Fatalf("queue: %d\n%.2000s", q.Status, between(q.Body, `data-testid="moderation-page"`, "</main>"))
		}
		hide := "/admin/marketplace/reviews/" + rid + "/hide?report=" + between(q.Body, `/hide?report=`, `"`)
		if r := op.Post(hide, url.Values{"reason": {" "}}); r.Status != 422 || !r.Has("error-reason") {
			t.Errorf("hide without a reason: %d", r.Status)
		}
		if r := op.Post("/admin/marketplace/reviews/"+rid+"/hide", url.Values{"reason": {"Advertising"}}); r.Status != 303 {
			t.Fatalf("hide: %d", r.Status)
		}
		if p := env.Client().Get("/marketplace/" + listed.ID); strings.Contains(p.Body, "cheap") || !p.Has("mp-reviews-none") {
			t.Error("the hidden review is still on the template's page")
		}
		if p := writer.Get("/marketplace/" + listed.ID); !p.Has("mp-review-hidden") || !strings.Contains(p.Body, "Reason: Advertising") {
			t.Error("the author is not told that their review is hidden, and why")
		}
		if card := env.Client().Get("/marketplace"); !strings.Contains(card.Body, "No ratings yet") {
			t.Error("the hidden review still counts on the card")
		}
		q = op.Get("/admin/marketplace")
		if strings.Count(q.Body, `data-testid="moderation-report"`) != 1 || !q.Has("moderated-item") {
			t.Errorf("after hiding, the queue has the template's report and the hidden review to restore")
		}
		env.User(store.RoleAdmin, pub)
		if r := op.Post("/admin/marketplace/templates/"+listed.ID+"/unlist", url.Values{"reason": {"Misleading title"}}); r.Status != 303 {
			t.Fatalf("unlist: %d", r.Status)
		}
		if p := env.Client().Get("/marketplace/" + listed.ID); p.Status != 404 {
			t.Errorf("the unlisted template's page: %d", p.Status)
		}
		if r := reporter.Post("/marketplace/"+listed.ID+"/adopt", nil); r.Status != 404 {
			t.Errorf("adopting the unlisted template: %d", r.Status)
		}
		var n int
		q2 := storetestRebind(env, "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.organization_id = ? AND n.title = 'Your template was taken out of the marketplace'")
		if err := env.DB.SQL().QueryRowContext(ctx, q2, pub.ID).Scan(&n); err != nil || n == 0 {
			t.Errorf("the publisher's admins were not told (%d, %v)", n, err)
		}
		if r := op.Post("/admin/marketplace/templates/"+listed.ID+"/restore", nil); r.Status != 303 {
			t.Fatalf("restore: %d", r.Status)
		}
		if r := op.Post("/admin/marketplace/reviews/"+rid+"/restore", nil); r.Status != 303 {
			t.Fatalf("restore review: %d", r.Status)
		}
		if p := env.Client().Get("/marketplace/" + listed.ID); p.Status != 200 || !strings.Contains(p.Body, "cheap") {
			t.Errorf("after restoring both: %d", p.Status)
		}
	})
}
