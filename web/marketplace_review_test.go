package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// adoptAndIssue copies a listed template into org and stores one active
// credential issued from the copy: what makes org eligible to review it.
func adoptAndIssue(t *testing.T, env *webtest.Env, org *store.Organization, tpl *store.CredentialTemplate) *store.CredentialTemplate {
	t.Helper()
	cp, err := env.DB.Scoped(org.ID).AdoptTemplate(context.Background(), tpl.ID, testActor)
	if err != nil {
		t.Fatal(err)
	}
	q := "INSERT INTO credentials (id, public_id, schema_id, issuer_id, recipient_address, status, template_id) VALUES ($1, $2, $3, $4, $5, 'active', $6)"
	if env.DB.Dialect() == store.SQLite {
		q = strings.NewReplacer("$1", "?", "$2", "?", "$3", "?", "$4", "?", "$5", "?", "$6", "?").Replace(q)
	}
	if _, err := env.DB.SQL().Exec(q, uuid.NewString(), uuid.NewString(), cp.SchemaID, org.ID, "grad@example.org", cp.ID); err != nil {
		t.Fatal(err)
	}
	return cp
}

func reviewForm(rating, text string) url.Values {
	return url.Values{"rating": {rating}, "text": {text}}
}

// Every review route for every role: staff of an organization (org.view)
// write, vote and report; what they may review is the store's check (B,
// which never used the template, is told so); nobody edits another's
// review, B's admin included (404).
func TestMarketplaceReviewRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		a, b, pub := env.Org("acme"), env.Org("bolt"), env.Org("pubco")
		cat := seedCategory(t, env, "Safety", nil)
		listed := seedPublished(t, env, pub, cat, "First Aid", "Basic life support")
		private := seedTemplate(t, env, pub, seedSchema(t, env, pub, "Private", "1.0"), "Private")
		adoptAndIssue(t, env, a, listed)
		author := env.User(store.RoleIssuer, a)
		mine, err := env.DB.Scoped(a.ID).CreateTemplateReview(ctx, listed.ID, store.ReviewInput{Rating: 5, Text: "Saved us a week."}, store.Actor{UserID: &author.ID})
		if err != nil {
			t.Fatal(err)
		}
		clients := env.RoleClients(a, b)
		page := "/marketplace/" + listed.ID
		staff := func(a, other int) map[string]int {
			return map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: a, webtest.AsIssuer: a, webtest.AsReviewer: a,
				webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303, webtest.AsOtherAdmin: other}
		}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: page + "?reviews=helpful", Want: webtest.All(200)},
			{Method: "GET", Path: page + "?rafter=not-a-cursor", Want: webtest.All(200)},
			// A's staff review (each once); B never used it: 422 with the reason.
			{Method: "POST", Path: page + "/reviews", Form: reviewForm("4", "Good"), Want: staff(303, 422)},
			// The second time: refused with its message.
			{Method: "POST", Path: page + "/reviews", Form: reviewForm("4", "Good"), Want: staff(422, 422)},
			{Method: "POST", Path: "/marketplace/" + private.ID + "/reviews", Form: reviewForm("4", "Good"), Want: staff(404, 404)},
			// Only its author edits a review: A's other staff and B's admin get 404.
			{Method: "POST", Path: page + "/reviews/" + mine.ID, Form: reviewForm("1", "Changed"), Want: staff(404, 404)},
			// Votes and reports on a public review: any organization's staff.
			{Method: "POST", Path: page + "/reviews/" + mine.ID + "/helpful", Want: staff(303, 303)},
			{Method: "POST", Path: page + "/reviews/" + mine.ID + "/report", Form: url.Values{"reason": {"spam"}}, Want: staff(303, 303)},
			{Method: "POST", Path: page + "/reviews/" + mine.ID + "/report", Form: url.Values{"reason": {"bogus"}}, Want: staff(422, 422)},
			{Method: "POST", Path: page + "/report", Form: url.Values{"reason": {"copyright"}, "details": {"Ours"}}, Want: staff(303, 303)},
			{Method: "POST", Path: "/marketplace/" + private.ID + "/report", Form: url.Values{"reason": {"spam"}}, Want: staff(404, 404)},
		})
		r, err := env.DB.Scoped(a.ID).TemplateReviewBy(ctx, listed.ID, author.ID)
		if err != nil || r == nil || r.Rating != 5 || r.HelpfulVotes != 4 {
			t.Errorf("the author's review after the table: %+v, %v; want 5 stars, 4 helpful votes (A's three staff, B's admin)", r, err)
		}
		e, err := env.DB.CrossOrg().MarketplaceTemplate(ctx, listed.ID)
		if err != nil || e.RatingCount != 4 || e.RatingSum != 17 {
			t.Errorf("aggregates %+v, %v; want 4 reviews, 17 stars", e, err)
		}
	})
}

// A review as its author writes it: the eligibility message first, bad
// input next to its field, the review rendered safely, the edit, the
// rating on the card and the event.
func TestMarketplaceReviewFlow(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b, pub := env.Org("acme"), env.Org("bolt"), env.Org("pubco")
		cat := seedCategory(t, env, "Safety", nil)
		listed := seedPublished(t, env, pub, cat, "First Aid", "Basic life support")
		page := "/marketplace/" + listed.ID
		issuer := env.Client()
		issuer.Login(env.User(store.RoleIssuer, a))
		publisher := env.Client()
		publisher.Login(env.User(store.RoleAdmin, pub))

		if r := env.Client().Get(page); !r.Has("mp-review-signin") || r.Has("mp-review-form") {
			t.Error("a visitor is not asked to sign in to review")
		}
		if r := publisher.Get(page); !strings.Contains(r.Body, "Your organization published this template") || r.Has("mp-review-form") {
			t.Error("the publisher is offered to review its own template")
		}
		if r := issuer.Get(page); !r.Has("mp-review-notice") || !strings.Contains(r.Body, "issued at least one credential") {
			t.Errorf("before using it, no eligibility message\n%.1500s", between(r.Body, `id="mp-reviews"`, "</section>"))
		}
		if r := issuer.Post(page+"/reviews", reviewForm("5", "Great")); r.Status != 422 || !strings.Contains(r.Body, "issued at least one credential") {
			t.Errorf("a review without use: %d", r.Status)
		}
		adoptAndIssue(t, env, a, listed)
		if r := issuer.Get(page); !r.Has("mp-review-form") {
			t.Fatal("after issuing from the copy, no review form")
		}
		for _, c := range []struct {
			form  url.Values
			field string
		}{
			{reviewForm("0", "Fine"), "error-rating"},
			{reviewForm("6", "Fine"), "error-rating"},
			{reviewForm("five", "Fine"), "error-rating"},
			{reviewForm("", "Fine"), "error-rating"},
			{reviewForm("4", "   "), "error-text"},
			{reviewForm("4", strings.Repeat("x", 5001)), "error-text"},
			{reviewForm("4", "bad\x01text"), "error-text"},
		} {
			if r := issuer.Post(page+"/reviews", c.form); r.Status != 422 || !r.Has(c.field) {
				t.Errorf("%.40v: %d, want 422 with %s", c.form, r.Status, c.field)
			}
		}
		text := "Clear **fields**.\n\n<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
		if r := issuer.Post(page+"/reviews", reviewForm("4", text)); r.Status != 303 {
			t.Fatalf("review: %d", r.Status)
		}
		r := issuer.Get(page)
		section := between(r.Body, `id="mp-reviews"`, "</section>")
		if !strings.Contains(section, "<strong>fields</strong>") || !r.Has("mp-review-own") || !r.Has("mp-histogram") {
			t.Errorf("the review is not shown rendered as its author's\n%s", section)
		}
		// (The author's own Markdown is in the edit form's textarea, escaped.)
		shown := between(section, `data-testid="mp-review-text"`, "</div>")
		for _, bad := range []string{"<script", "javascript:", "onerror", "<img"} {
			if strings.Contains(shown, bad) {
				t.Errorf("the review as shown carries %q: %s", bad, shown)
			}
		}
		if strings.Contains(section, "<script>") {
			t.Error("a script element reached the page")
		}
		if !strings.Contains(section, "Edit your review") || r.Has("mp-review-vote") {
			t.Error("the author is not offered an edit, or may vote for their own review")
		}
		if r := issuer.Post(page+"/reviews", reviewForm("3", "Again")); r.Status != 422 || !strings.Contains(r.Body, "You already reviewed this template") {
			t.Errorf("a second review: %d", r.Status)
		}
		mine, _ := env.DB.Scoped(a.ID).TemplateReviewBy(context.Background(), listed.ID, issuerID(t, env, a))
		if r := issuer.Post(page+"/reviews/"+mine.ID, reviewForm("2", "After a month: the date field is awkward.")); r.Status != 303 {
			t.Fatalf("edit: %d", r.Status)
		}
		if card := env.Client().Get("/marketplace?q=first+aid"); !strings.Contains(between(card.Body, `data-testid="mp-card-rating"`, "</span></span>"), "2.0") {
			t.Errorf("the card's rating after the edit\n%s", between(card.Body, `data-testid="mp-card-rating"`, "</span></span>"))
		}
		// B's admin finds it helpful, once; the htmx pager's request gets the section alone.
		other := env.Client()
		other.Login(env.User(store.RoleAdmin, b))
		if r := other.Post(page+"/reviews/"+mine.ID+"/helpful", nil); r.Status != 303 {
			t.Errorf("vote: %d", r.Status)
		}
		r = other.Do("GET", page+"?reviews=helpful", nil, map[string]string{"HX-Request": "true"})
		if r.Status != 200 || strings.Contains(r.Body, "<html") || !r.Has("mp-review-voted") || !strings.Contains(r.Body, "1 person found this helpful") {
			t.Errorf("htmx reviews section: %d\n%.1500s", r.Status, r.Body)
		}
		// template.reviewed, twice (the review and its edit), in A.
		var got []events.Review
		for _, e := range env.PublishedEvents() {
			if e.Type == events.TemplateReviewed {
				var p events.Review
				if e.OrganizationID != a.ID || json.Unmarshal(e.Data, &p) != nil {
					t.Errorf("event %+v", e)
				}
				got = append(got, p)
			}
		}
		if len(got) != 2 || got[0].Rating != 4 || got[0].Edited || got[1].Rating != 2 || !got[1].Edited || got[1].TemplateName != "First Aid" {
			t.Errorf("template.reviewed events %+v", got)
		}
	})
}

func issuerID(t *testing.T, env *webtest.Env, org *store.Organization) string {
	t.Helper()
	var id string
	q := storetestRebind(env, "SELECT id FROM users WHERE organization_id = ? AND role = 'issuer'")
	if err := env.DB.SQL().QueryRow(q, org.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
