package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// seedCategory adds an active marketplace category.
func seedCategory(t *testing.T, env *webtest.Env, name string, parent *store.TemplateCategory) *store.TemplateCategory {
	t.Helper()
	c := &store.TemplateCategory{ID: uuid.NewString(), Name: name, Active: true}
	var parentID any
	if parent != nil {
		c.ParentCategoryID, parentID = &parent.ID, parent.ID
	}
	q := "INSERT INTO template_categories (id, name, parent_category_id, active) VALUES ($1, $2, $3, true)"
	if env.DB.Dialect() == store.SQLite {
		q = strings.NewReplacer("$1", "?", "$2", "?", "$3", "?").Replace(q)
	}
	if _, err := env.DB.SQL().Exec(q, c.ID, name, parentID); err != nil {
		t.Fatal(err)
	}
	return c
}

// seedPublished creates a template of org on a two-field schema and
// publishes it in cat.
func seedPublished(t *testing.T, env *webtest.Env, org *store.Organization, cat *store.TemplateCategory, name, summary string) *store.CredentialTemplate {
	t.Helper()
	cs := seedSchema(t, env, org, name+" schema", "1.0",
		store.SchemaField{Name: "course", Label: "Course title", Type: store.SchemaFieldText, Required: true},
		store.SchemaField{Name: "completed", Label: "Completed on", Type: store.SchemaFieldDate})
	tpl, err := env.DB.Scoped(org.ID).CreateTemplate(context.Background(), store.TemplateChange{Name: name, Description: "Issued to everyone who completes " + name + ".",
		SchemaID: cs.ID, Data: store.TemplateData{Kind: store.TemplateCertificate, Defaults: map[string]string{"course": "PRIVATE-DEFAULT"}}}, testActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Scoped(org.ID).PublishTemplate(context.Background(), tpl.ID, tpl.Version,
		store.Publication{CategoryID: cat.ID, Licence: store.LicenceCCBY, Summary: summary}, testActor); err != nil {
		t.Fatal(err)
	}
	return tpl
}

func publishForm(category, summary string, version int) url.Values {
	return url.Values{"category_id": {category}, "licence": {"CC-BY-4.0"}, "summary": {summary}, "version": {itoa(version)}}
}

// Every marketplace route for every role: anyone browses; staff with the
// templates permission adopt another organization's template.
func TestMarketplaceRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b, pub := env.Org("acme"), env.Org("bolt"), env.Org("pubco")
		cat := seedCategory(t, env, "Safety", nil)
		listed := seedPublished(t, env, pub, cat, "First Aid", "Basic life support")
		own := seedPublished(t, env, a, cat, "Acme Induction", "Acme's own")
		private := seedTemplate(t, env, pub, seedSchema(t, env, pub, "Private", "1.0"), "Private")
		clients := env.RoleClients(a, b)
		adopt := map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: 303, webtest.AsIssuer: 303, webtest.AsReviewer: 403,
			webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303, webtest.AsOtherAdmin: 303}
		withAll := func(status int, m map[string]int) map[string]int {
			out := webtest.All(status)
			for k, v := range m {
				out[k] = v
			}
			return out
		}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/marketplace", Want: webtest.All(200)},
			{Method: "GET", Path: "/marketplace?q=first+aid&kind=certificate&min_rating=1&verified=yes&sort=rating&category=" + cat.ID, Want: webtest.All(200)},
			{Method: "GET", Path: "/marketplace?kind=poster", Want: webtest.All(422)},
			{Method: "GET", Path: "/marketplace/" + listed.ID, Want: webtest.All(200)},
			{Method: "GET", Path: "/marketplace/" + private.ID, Want: webtest.All(404)},
			{Method: "GET", Path: "/marketplace/not-an-id", Want: webtest.All(404)},
			{Method: "POST", Path: "/marketplace/" + listed.ID + "/adopt", Want: adopt},
			// Acme's own: its members are told so (303 back to the page); B adopts it.
			{Method: "POST", Path: "/marketplace/" + own.ID + "/adopt", Want: adopt},
			{Method: "POST", Path: "/marketplace/" + private.ID + "/adopt", Want: withAll(404, map[string]int{webtest.AsReviewer: 403,
				webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303})},
			// Publishing is A's administrators' only: B's admin gets 404 for A's template.
			{Method: "GET", Path: "/templates/" + own.ID + "/publish", Want: webtest.AdminOnly(200, 404)},
			{Method: "POST", Path: "/templates/" + own.ID + "/publish", Form: publishForm(cat.ID, "Acme's own, again", 1), Want: webtest.AdminOnly(303, 404)},
			{Method: "POST", Path: "/templates/" + own.ID + "/unpublish", Want: webtest.AdminOnly(303, 404)},
		})
		if _, err := env.DB.CrossOrg().MarketplaceTemplate(context.Background(), own.ID); err == nil {
			t.Error("A's template is still listed after its admin took it out")
		}
		// A's admin and issuer and B's admin each copied the listed one; A
		// did not copy its own.
		e, err := env.DB.CrossOrg().MarketplaceTemplate(context.Background(), listed.ID)
		if err != nil || e.Adoptions != 3 {
			t.Errorf("adoptions of the listed template: %+v %v, want 3", e, err)
		}
		if l, err := env.DB.Scoped(a.ID).Listing(context.Background(), own.ID); err != nil || l == nil || l.Adoptions != 1 {
			t.Errorf("adoptions of A's own template: %+v %v, want 1 (B's)", l, err)
		}
	})
}

// The catalogue as a visitor sees it: cards, filters, search, the
// template page with its rendered preview, and bad input answered with
// field messages.
func TestMarketplaceCatalogue(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		pub, other := env.Org("pubco"), env.Org("other")
		if _, err := env.DB.SetOrganizationVerified(context.Background(), pub.ID, true, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		health := seedCategory(t, env, "Health", nil)
		aidCat := seedCategory(t, env, "First aid", health)
		tech := seedCategory(t, env, "Technology", nil)
		aid := seedPublished(t, env, pub, aidCat, "First Aid Course", "Basic life support")
		py := seedPublished(t, env, other, tech, "Python Course", "Programming in Python")
		anon := env.Client()

		r := anon.Get("/marketplace")
		if r.Status != 200 || !r.Has("mp-card-"+aid.ID) || !r.Has("mp-card-"+py.ID) || !r.Has("category-"+aidCat.ID) || !r.Has("mp-card-verified") {
			t.Fatalf("catalogue: %d\n%.2000s", r.Status, r.Body)
		}
		if !strings.Contains(r.Body, "Sample course title") || strings.Contains(r.Body, "PRIVATE-DEFAULT") {
			t.Error("the thumbnail does not render the sample data, or shows the publisher's defaults")
		}
		for _, c := range []struct {
			query      string
			want, gone string
		}{
			{"q=python", py.ID, aid.ID},
			{"q=" + url.QueryEscape("complet"), aid.ID, ""}, // a field label's prefix
			{"category=" + health.ID, aid.ID, py.ID},        // a parent holds its children
			{"verified=yes", aid.ID, py.ID},
			{"q=" + url.QueryEscape(`'; DROP TABLE x; -- "aid*" NEAR( : ^`), "", ""},
		} {
			r := anon.Get("/marketplace?" + c.query)
			if r.Status != 200 || c.want != "" && !r.Has("mp-card-"+c.want) || c.gone != "" && r.Has("mp-card-"+c.gone) {
				t.Errorf("%s: %d, want %s without %s", c.query, r.Status, c.want, c.gone)
			}
		}
		// Search as you type answers the results only.
		if r := anon.Htmx("GET", "/marketplace?q=first", nil); r.Status != 200 || r.Has("mp-filters") || !r.Has("mp-card-"+aid.ID) {
			t.Errorf("htmx search: %d, filters in answer %v", r.Status, r.Has("mp-filters"))
		}
		if r := anon.Get("/marketplace?q=zzzzzz"); !r.Has("mp-empty") {
			t.Error("no empty state for a search without results")
		}
		for _, c := range []struct {
			query, field string
		}{
			{"q=" + strings.Repeat("a", 101), "error-q"},
			{"q=first%0Aaid", "error-q"},
			{"category=" + "7b0c1d1e-0000-4000-8000-000000000000", "error-category"},
			{"category=health", "error-category"},
			{"kind=poster", "error-kind"},
			{"min_rating=9", "error-min_rating"},
			{"sort=price", "error-sort"},
			{"after=not-a-cursor", "mp-error"},
			{"sort=rating&after=" + (&store.Cursor{Key: "x", ID: aid.ID}).String(), "mp-error"},
		} {
			r := anon.Get("/marketplace?" + c.query)
			if r.Status != 422 || !r.Has(c.field) || strings.Contains(r.Body, "SQL") {
				t.Errorf("%s: %d, want 422 with %s\n%.300s", c.query, r.Status, c.field, r.Body)
			}
			if h := anon.Htmx("GET", "/marketplace?"+c.query, nil); h.Status != 422 || !h.Has("mp-error") {
				t.Errorf("%s with htmx: %d, want 422 with the message in the results", c.query, h.Status)
			}
		}

		// A NUL anywhere in a query string is the application's 400 page.
		if r := anon.Get("/marketplace?q=first%00aid"); r.Status != 400 || !strings.Contains(r.Body, "Characters not allowed") {
			t.Errorf("a NUL in the search: %d", r.Status)
		}

		// The template page: preview rendered with sample data, fields,
		// licence, version, and "Use this template" by who may.
		r = anon.Get("/marketplace/" + aid.ID)
		if r.Status != 200 || !r.Has("credential-human") || !r.Has("mp-fields") || !strings.Contains(r.Body, "Course title") ||
			!strings.Contains(r.Body, "CC BY 4.0") || !r.Has("mp-adopt-signin") || strings.Contains(r.Body, "PRIVATE-DEFAULT") ||
			strings.Contains(r.Body, `"credentialSubject"`) {
			t.Fatalf("template page: %d\n%.3000s", r.Status, r.Body)
		}
		issuer := env.Client()
		issuer.Login(env.User(store.RoleIssuer, other))
		if r := issuer.Get("/marketplace/" + aid.ID); !r.Has("mp-adopt") {
			t.Error("an issuer of another organization is not offered to use the template")
		}
		if r := issuer.Get("/marketplace/" + py.ID); !r.Has("mp-adopt-own") {
			t.Error("the publisher's member is offered to adopt its own template")
		}
		reviewer := env.Client()
		reviewer.Login(env.User(store.RoleReviewer, other))
		if r := reviewer.Get("/marketplace/" + aid.ID); !r.Has("mp-adopt-not-allowed") || r.Has("mp-adopt") {
			t.Error("a reviewer is offered to use the template")
		}
		// Signed in, the staff shell; signed out, the public bar.
		if r := issuer.Get("/marketplace"); !r.Has("nav-marketplace") {
			t.Error("the signed-in catalogue is not in the staff shell")
		}

		// Adopting: the copy opens with its provenance.
		r = issuer.Post("/marketplace/"+aid.ID+"/adopt", nil)
		if r.Status != 303 || !strings.HasPrefix(r.Location(), "/templates/") {
			t.Fatalf("adopt: %d %s", r.Status, r.Location())
		}
		page := issuer.Get(r.Location())
		if !page.Has("template-based-on") || !strings.Contains(page.Body, "First Aid Course") || !strings.Contains(page.Body, "Pubco Org, version 1") {
			t.Errorf("the copy's page does not say where it came from\n%.2000s", page.Body)
		}
		if r := anon.Get("/marketplace/" + aid.ID); !strings.Contains(r.Body, "Used by 1 organization") {
			t.Error("the adoption is not counted on the template page")
		}

		// Keyset pages: 26 templates are a page of 24 and a page of 2,
		// newest first, and the filter travels with the link.
		for i := range 24 {
			seedPublished(t, env, other, tech, "Extra "+itoa(i), "Extra template")
		}
		first := anon.Get("/marketplace?sort=newest")
		next := regexp.MustCompile(`href="(/marketplace\?[^"]*after=[^"]*)"[^>]*data-testid="mp-older"`).FindStringSubmatch(first.Body)
		if strings.Count(first.Body, `data-testid="mp-card-link"`) != 24 || next == nil || !strings.Contains(first.Body, "Next page →") {
			t.Fatalf("first page: %d cards, next link %v", strings.Count(first.Body, `data-testid="mp-card-link"`), next)
		}
		second := anon.Get(html.UnescapeString(next[1]))
		if second.Status != 200 || strings.Count(second.Body, `data-testid="mp-card-link"`) != 2 || !second.Has("mp-newest") || second.Has("mp-older") ||
			!second.Has("mp-card-"+aid.ID) || !strings.Contains(next[1], "sort=newest") {
			t.Errorf("second page: %d, %d cards", second.Status, strings.Count(second.Body, `data-testid="mp-card-link"`))
		}
	})
}

// Publishing from a template's page: the quality check lists what to fix
// first; each field is checked; the published version opens in the
// catalogue and the template's page says so.
func TestMarketplacePublish(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		cat := seedCategory(t, env, "Safety", nil)
		admin := env.Client()
		admin.Login(env.User(store.RoleAdmin, org))
		cs := seedSchema(t, env, org, "Badge", "1.0")
		s := env.DB.Scoped(org.ID)
		// A badge without a description or criteria.
		badge, err := s.CreateTemplate(context.Background(), store.TemplateChange{Name: "Welder", SchemaID: cs.ID,
			Data: store.TemplateData{Kind: store.TemplateBadge, Achievement: &store.Achievement{Name: "Welder"}}}, testActor)
		if err != nil {
			t.Fatal(err)
		}
		r := admin.Get("/templates/" + badge.ID + "/publish")
		if r.Status != 200 || !r.Has("mp-check-problems") || strings.Count(r.Body, `data-testid="mp-check-problem"`) != 2 || r.Has("mp-publish-form") {
			t.Fatalf("quality check of a bare badge: %d\n%.2000s", r.Status, r.Body)
		}
		if r := admin.Post("/templates/"+badge.ID+"/publish", publishForm(cat.ID, "Welding", badge.Version)); r.Status != 422 || !r.Has("mp-check-problems") {
			t.Errorf("publishing past the quality check: %d", r.Status)
		}
		if _, err := env.DB.CrossOrg().MarketplaceTemplate(context.Background(), badge.ID); err == nil {
			t.Fatal("a template that failed the check is listed")
		}

		// Fixed: a description and criteria.
		badge, err = s.UpdateTemplate(context.Background(), badge.ID, store.TemplateChange{Name: "Welder", Description: "Safe welding practice.", SchemaID: cs.ID,
			Data: store.TemplateData{Kind: store.TemplateBadge, Achievement: &store.Achievement{Name: "Welder", Criteria: "Pass the practical test."}}}, testActor)
		if err != nil {
			t.Fatal(err)
		}
		if r := admin.Get("/templates/" + badge.ID + "/publish"); !r.Has("mp-check-ok") || !r.Has("mp-publish-form") {
			t.Fatalf("the fixed badge does not pass: %.1500s", r.Body)
		}
		for _, c := range []struct {
			form  url.Values
			field string
		}{
			{publishForm("", "Welding", badge.Version), "error-category_id"},
			{publishForm("7b0c1d1e-0000-4000-8000-000000000000", "Welding", badge.Version), "error-category_id"},
			{url.Values{"category_id": {cat.ID}, "licence": {"GPL"}, "summary": {"Welding"}, "version": {itoa(badge.Version)}}, "error-licence"},
			{publishForm(cat.ID, "", badge.Version), "error-summary"},
			{publishForm(cat.ID, strings.Repeat("w", 301), badge.Version), "error-summary"},
			{publishForm(cat.ID, "Weld\u202eing", badge.Version), "error-summary"},
			{publishForm(cat.ID, "Welding", badge.Version-1), "form-error"}, // the page showed another version
			{publishForm(cat.ID, "Welding", 0), "form-error"},
		} {
			if r := admin.Post("/templates/"+badge.ID+"/publish", c.form); r.Status != 422 || !r.Has(c.field) {
				t.Errorf("%v: %d, want 422 with %s", c.form, r.Status, c.field)
			}
		}
		r = admin.Post("/templates/"+badge.ID+"/publish", publishForm(cat.ID, "Welding, safely", badge.Version))
		if r.Status != 303 || r.Location() != "/marketplace/"+badge.ID {
			t.Fatalf("publish: %d %s", r.Status, r.Location())
		}
		if page := admin.Get(r.Location()); !strings.Contains(page.Body, "Welding, safely") || !page.Has("mp-adopt-own") {
			t.Error("the published page does not show the summary, or offers the publisher to adopt it")
		}
		if page := admin.Get("/templates/" + badge.ID + "/edit"); !page.Has("template-market-link") || !strings.Contains(page.Body, "version 2") {
			t.Errorf("the template's page does not say it is listed\n%.1500s", between(page.Body, `data-testid="template-market"`, "</div>"))
		}
		var n int64
		if err := env.DB.SQL().QueryRow(storetestRebind(env, "SELECT COUNT(*) FROM audit_logs WHERE action = 'template.published' AND resource_id = ?"), badge.ID).Scan(&n); err != nil || n != 1 {
			t.Errorf("template.published audited %d times (%v)", n, err)
		}
		// One template.published event, with the commit: the refused attempts published none.
		var published []events.Event
		for _, e := range env.PublishedEvents() {
			if e.Type == events.TemplatePublished {
				published = append(published, e)
			}
		}
		var data events.Template
		if len(published) != 1 || published[0].OrganizationID != org.ID || json.Unmarshal(published[0].Data, &data) != nil ||
			data.ID != badge.ID || data.Version != 2 || data.Category != "Safety" || data.Licence != "CC-BY-4.0" {
			t.Errorf("template.published events: %+v", published)
		}
	})
}

func storetestRebind(env *webtest.Env, q string) string {
	if env.DB.Dialect() == store.Postgres {
		return strings.Replace(q, "?", "$1", 1)
	}
	return q
}
