package web_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

type apiMarketTemplate struct {
	ID, Name, Summary, Kind, Licence string
	Version, Adoptions               int
	Issuer                           struct{ ID, Name, Slug string }
	Category                         *struct{ ID, Name string }
	Rating                           struct {
		Average float64
		Count   int
	}
	Schema struct {
		Name, Version string
		Fields        []struct{ Name, Label string }
	}
	Alignments []struct {
		TargetName      string `json:"target_name"`
		TargetURL       string `json:"target_url"`
		TargetFramework string `json:"target_framework"`
	}
}

type apiMarketList struct {
	Templates []apiMarketTemplate
	Next      *string
}

// Every marketplace API route for each kind of caller: no key, a key
// without templates:write, the publisher's key and another organization's.
// The catalogue reads across organizations (it is public on the web);
// adopting writes into the key's organization only; a template that is
// not listed is 404 for everyone.
func TestMarketplaceAPIRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		pub, other := env.Org("acme"), env.Org("bolt")
		cat := seedCategory(t, env, "Health", nil)
		tpl := seedPublished(t, env, pub, cat, "First Aid Certificate", "Basic life support")
		hidden := seedPublished(t, env, pub, cat, "Lifeguard Licence", "Pool lifeguards")
		if err := env.DB.Scoped(pub.ID).UnpublishTemplate(ctx, hidden.ID, testActor); err != nil {
			t.Fatal(err)
		}
		_, pubKey := createKey(t, env, pub, nil, store.ScopeTemplatesWrite)
		_, otherKey := createKey(t, env, other, nil, store.ScopeTemplatesWrite)
		_, readOnly := createKey(t, env, other, nil, store.ScopeCredentialsRead, store.ScopeWebhooksManage)
		keys := map[string]string{"no key": "", "key without templates:write": readOnly, "the publisher's key": pubKey, "another organization's key": otherKey}
		for _, rt := range []struct {
			method, path string
			want         map[string]int
		}{
			{"GET", "/api/v1/marketplace/templates", map[string]int{"no key": 401, "key without templates:write": 200, "the publisher's key": 200, "another organization's key": 200}},
			{"GET", "/api/v1/marketplace/templates/" + tpl.ID, map[string]int{"no key": 401, "key without templates:write": 200, "the publisher's key": 200, "another organization's key": 200}},
			{"GET", "/api/v1/marketplace/templates/" + hidden.ID, map[string]int{"no key": 401, "key without templates:write": 404, "the publisher's key": 404, "another organization's key": 404}},
			{"GET", "/api/v1/marketplace/templates/nope", map[string]int{"no key": 401, "key without templates:write": 404, "the publisher's key": 404, "another organization's key": 404}},
			{"POST", "/api/v1/marketplace/templates/" + hidden.ID + "/adopt", map[string]int{"no key": 401, "key without templates:write": 403, "the publisher's key": 404, "another organization's key": 404}},
			{"POST", "/api/v1/marketplace/templates/" + tpl.ID + "/adopt", map[string]int{"no key": 401, "key without templates:write": 403, "the publisher's key": 409, "another organization's key": 201}},
		} {
			for _, who := range []string{"no key", "key without templates:write", "the publisher's key", "another organization's key"} {
				r := hookAPI{t, env, keys[who]}.do(rt.method, rt.path, nil)
				if r.Status != rt.want[who] {
					t.Errorf("%s %s with %s: %d, want %d\n%.300s", rt.method, rt.path, who, r.Status, rt.want[who], r.Body)
				}
				if r.Status >= 400 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
					t.Errorf("%s %s with %s: %s, want Problem Details", rt.method, rt.path, who, r.Header.Get("Content-Type"))
				}
				if strings.Contains(r.Body, "PRIVATE-DEFAULT") {
					t.Errorf("%s %s with %s shows the publisher's default value", rt.method, rt.path, who)
				}
			}
		}

		// The adoption made a template of the other organization, with its
		// provenance, and nothing in the publisher's.
		adopted, err := env.DB.Scoped(other.ID).Templates(ctx)
		if err != nil || len(adopted) != 1 || adopted[0].Name != "First Aid Certificate" {
			t.Fatalf("the other organization's templates after adopting: %+v %v", adopted, err)
		}
		a, err := env.DB.Scoped(other.ID).Adoption(ctx, adopted[0].ID)
		if err != nil || a.SourceTemplateID == nil || *a.SourceTemplateID != tpl.ID || a.SourceVersion != tpl.Version {
			t.Fatalf("provenance %+v %v", a, err)
		}
		if mine, err := env.DB.Scoped(pub.ID).Templates(ctx); err != nil || len(mine) != 2 {
			t.Errorf("the publisher's templates: %d %v, want its 2", len(mine), err)
		}
		r := hookAPI{t, env, otherKey}.do("POST", "/api/v1/marketplace/templates/"+tpl.ID+"/adopt", nil)
		body := decodeJSON[struct {
			Template struct {
				ID, Name    string
				DerivedFrom struct {
					TemplateID, Name, Issuer string
					Version                  int
				}
			}
		}](t, r)
		if r.Status != 201 || body.Template.DerivedFrom.TemplateID != tpl.ID || body.Template.DerivedFrom.Issuer != pub.Name ||
			body.Template.ID == adopted[0].ID {
			t.Errorf("a second adoption: %d %s", r.Status, r.Body)
		}

		// The template as the API shows it: the listing and the published
		// schema, not the private template.
		show := decodeJSON[apiMarketTemplate](t, hookAPI{t, env, readOnly}.do("GET", "/api/v1/marketplace/templates/"+tpl.ID, nil))
		if show.Name != "First Aid Certificate" || show.Issuer.Slug != "acme" || show.Category == nil || show.Category.Name != "Health" ||
			show.Licence != "CC-BY-4.0" || len(show.Schema.Fields) != 2 || show.Schema.Fields[0].Label != "Course title" || show.Adoptions != 2 {
			t.Errorf("the template: %+v", show)
		}
	})
}

// The list searches, filters, sorts and pages as the catalogue page does;
// a bad parameter is 422 with its error by parameter, never a 500, and
// query-language syntax in a search is only text.
func TestMarketplaceAPIList(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		pub := env.Org("acme")
		health := seedCategory(t, env, "Health", nil)
		tech := seedCategory(t, env, "Technology", nil)
		seedPublished(t, env, pub, health, "First Aid Certificate", "Basic life support")
		seedPublished(t, env, pub, health, "Advanced First Aid", "For first aiders")
		seedPublished(t, env, pub, tech, "Python Programming", "Programming in Python")
		_, key := createKey(t, env, env.Org("bolt"), nil)
		api := hookAPI{t, env, key}
		list := func(q url.Values) []string {
			t.Helper()
			r := api.do("GET", "/api/v1/marketplace/templates?"+q.Encode(), nil)
			if r.Status != 200 {
				t.Fatalf("%s: %d %s", q.Encode(), r.Status, r.Body)
			}
			var names []string
			for _, tp := range decodeJSON[apiMarketList](t, r).Templates {
				names = append(names, tp.Name)
			}
			return names
		}
		if got := list(url.Values{"q": {"first aid"}, "sort": {"newest"}}); !slices.Equal(got, []string{"Advanced First Aid", "First Aid Certificate"}) {
			t.Errorf("search: %q", got)
		}
		if got := list(url.Values{"category": {tech.ID}}); !slices.Equal(got, []string{"Python Programming"}) {
			t.Errorf("category: %q", got)
		}
		if got := list(url.Values{"q": {`"first" OR 1=1; -- aid* (x) & | ! : NEAR(`}}); len(got) != 0 {
			t.Errorf("syntax as text: %q", got)
		}
		if got := list(url.Values{"min_rating": {"4"}, "verified": {"true"}, "kind": {"badge"}}); len(got) != 0 {
			t.Errorf("nothing rated, verified or a badge: %q", got)
		}

		// Pages of one: the same templates as one page, in the same order.
		all := list(url.Values{"sort": {"newest"}})
		var walked []string
		q := url.Values{"sort": {"newest"}, "limit": {"1"}}
		for range 5 {
			r := api.do("GET", "/api/v1/marketplace/templates?"+q.Encode(), nil)
			page := decodeJSON[apiMarketList](t, r)
			for _, tp := range page.Templates {
				walked = append(walked, tp.Name)
			}
			if page.Next == nil {
				break
			}
			q.Set("cursor", *page.Next)
		}
		if len(all) != 3 || !slices.Equal(walked, all) {
			t.Errorf("page by page %q, at once %q", walked, all)
		}

		for _, c := range []struct {
			query  url.Values
			params []string
		}{
			{url.Values{"q": {strings.Repeat("a", store.MaxMarketplaceQuery+1)}}, []string{"q"}},
			{url.Values{"q": {"first\x00aid"}}, []string{"q"}},
			{url.Values{"category": {"health"}}, []string{"category"}},
			{url.Values{"category": {"7b0c1d1e-0000-4000-8000-000000000000"}}, []string{"category"}},
			{url.Values{"kind": {"poster"}, "sort": {"price"}}, []string{"kind", "sort"}},
			{url.Values{"min_rating": {"6"}, "verified": {"maybe"}}, []string{"min_rating", "verified"}},
			{url.Values{"limit": {"0"}}, []string{"limit"}},
			{url.Values{"limit": {"101"}}, []string{"limit"}},
			{url.Values{"cursor": {"garbage"}}, []string{"cursor"}},
		} {
			r := api.do("GET", "/api/v1/marketplace/templates?"+c.query.Encode(), nil)
			p := decodeJSON[fieldProblem](t, r)
			if r.Status != 422 || len(p.Errors) != len(c.params) {
				t.Errorf("%s: %d %s, want 422 on %v", c.query.Encode(), r.Status, r.Body, c.params)
				continue
			}
			for _, param := range c.params {
				if p.at(param) == "" {
					t.Errorf("%s: no error on %s: %s", c.query.Encode(), param, r.Body)
				}
			}
		}
		// A cursor of another order is refused, not misread.
		r := api.do("GET", "/api/v1/marketplace/templates?sort=newest&limit=1", nil)
		next := decodeJSON[apiMarketList](t, r).Next
		if next == nil {
			t.Fatal("no next page")
		}
		if r := api.do("GET", "/api/v1/marketplace/templates?sort=rating&cursor="+url.QueryEscape(*next), nil); r.Status != 422 || decodeJSON[fieldProblem](t, r).at("cursor") == "" {
			t.Errorf("a newest cursor in the rating order: %d %s", r.Status, r.Body)
		}
	})
}
