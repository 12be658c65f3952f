package web_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// seedAlignedBadge publishes a badge of org aligned to targets in cat.
func seedAlignedBadge(t *testing.T, env *webtest.Env, org *store.Organization, cat *store.TemplateCategory, name string, targets ...store.Alignment) *store.CredentialTemplate {
	t.Helper()
	cs := seedSchema(t, env, org, name+" schema", "1.0",
		store.SchemaField{Name: "project", Label: "Project", Type: store.SchemaFieldText, Required: true})
	tpl, err := env.DB.Scoped(org.ID).CreateTemplate(context.Background(), store.TemplateChange{Name: name, Description: "For " + name + ".",
		SchemaID: cs.ID, Data: store.TemplateData{Kind: store.TemplateBadge, Achievement: &store.Achievement{Name: name, Criteria: "Pass", Alignment: targets}}}, testActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Scoped(org.ID).PublishTemplate(context.Background(), tpl.ID, tpl.Version,
		store.Publication{CategoryID: cat.ID, Licence: store.LicenceCCBY, Summary: name}, testActor); err != nil {
		t.Fatal(err)
	}
	return tpl
}

// The catalogue's "Aligned to" filter, on the page and in the API: the
// values offered are those of listed templates, a framework or a target
// name filters, the template page links its targets, and a bad value is a
// 422 next to the field.
func TestMarketplaceAlignment(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		pub := env.Org("pubco")
		tech := seedCategory(t, env, "Technology", nil)
		goBadge := seedAlignedBadge(t, env, pub, tech, "Go Badge",
			store.Alignment{TargetName: "Programming in Go", TargetURL: "https://esco.test/skill/go", TargetFramework: "ESCO", TargetCode: "S1.2"})
		pyBadge := seedAlignedBadge(t, env, pub, tech, "Python Badge",
			store.Alignment{TargetName: "Programming in Python", TargetURL: "https://esco.test/skill/py", TargetFramework: "ESCO"},
			store.Alignment{TargetName: "Data analysis", TargetURL: "https://skills.test/data"})
		course := seedPublished(t, env, pub, tech, "Course", "Not aligned")
		wide := seedAlignedBadge(t, env, pub, tech, "Web Badge",
			store.Alignment{TargetName: "HTML", TargetURL: "https://skills.test/html"}, store.Alignment{TargetName: "CSS", TargetURL: "https://skills.test/css"},
			store.Alignment{TargetName: "Accessibility", TargetURL: "https://skills.test/a11y"}, store.Alignment{TargetName: "HTTP", TargetURL: "https://skills.test/http"})
		anon := env.Client()

		// Each card shows what its template aligns to, at most three
		// targets (each the catalogue aligned to it) and how many more.
		cards := anon.Get("/marketplace?sort=newest")
		cardOf := func(id string) string {
			_, after, _ := strings.Cut(cards.Body, `data-testid="mp-card-`+id+`"`)
			card, _, _ := strings.Cut(after, "</article>")
			return card
		}
		for _, c := range []struct {
			id      string
			targets []string
			more    string
		}{
			{goBadge.ID, []string{"Programming in Go"}, ""},
			{pyBadge.ID, []string{"Programming in Python", "Data analysis"}, ""},
			{wide.ID, []string{"HTML", "CSS", "Accessibility"}, "+1 more"},
			{course.ID, nil, ""},
		} {
			card := cardOf(c.id)
			if card == "" || strings.Count(card, `data-testid="mp-card-alignment"`) != len(c.targets) ||
				strings.Contains(card, `data-testid="mp-card-alignments"`) != (c.targets != nil) || !strings.Contains(card, c.more) {
				t.Errorf("card %s: want targets %q %q:\n%.2000s", c.id, c.targets, c.more, card)
			}
			for _, name := range c.targets {
				if !strings.Contains(card, `href="/marketplace?alignment=`+url.QueryEscape(name)+`"`) || !strings.Contains(card, ">"+name+"<") {
					t.Errorf("card %s: no link to the catalogue aligned to %q", c.id, name)
				}
			}
		}
		if strings.Contains(cardOf(wide.ID), "HTTP") {
			t.Error("the fourth target of a card is shown, not counted")
		}

		r := anon.Get("/marketplace")
		if r.Status != 200 || !r.Has("mp-alignment") || !strings.Contains(r.Body, ">Framework: ESCO<") || !strings.Contains(r.Body, ">Data analysis<") {
			t.Fatalf("the filter's choices: %d\n%.3000s", r.Status, r.Body)
		}
		for _, c := range []struct {
			value string
			want  []string
		}{
			{"ESCO", []string{goBadge.ID, pyBadge.ID}},
			{"Programming in Go", []string{goBadge.ID}},
			{"Data analysis", []string{pyBadge.ID}},
			{"No such skill", nil},
		} {
			r := anon.Get("/marketplace?alignment=" + url.QueryEscape(c.value))
			if r.Status != 200 {
				t.Errorf("%s: %d", c.value, r.Status)
				continue
			}
			for _, id := range []string{goBadge.ID, pyBadge.ID, course.ID} {
				if r.Has("mp-card-"+id) != slices.Contains(c.want, id) {
					t.Errorf("aligned to %q: card %s shown %v", c.value, id, r.Has("mp-card-"+id))
				}
			}
			if c.want == nil && !r.Has("mp-empty") {
				t.Errorf("aligned to %q: no empty state", c.value)
			}
			// The filter stays in the page links (a shareable URL).
			if !strings.Contains(r.Body, `value="`+c.value+`" selected`) {
				t.Errorf("aligned to %q: not selected in the form", c.value)
			}
		}
		if r := anon.Htmx("GET", "/marketplace?alignment=ESCO&q=python", nil); r.Status != 200 || !r.Has("mp-card-"+pyBadge.ID) || r.Has("mp-card-"+goBadge.ID) {
			t.Errorf("htmx: aligned to ESCO and python: %d", r.Status)
		}
		if r := anon.Get("/marketplace?alignment=ESCO%0AT:Data"); r.Status != 422 || !r.Has("error-alignment") {
			t.Errorf("two lines: %d\n%.500s", r.Status, r.Body)
		}

		// The template page links each target and the catalogue filtered by it.
		r = anon.Get("/marketplace/" + pyBadge.ID)
		if r.Status != 200 || !strings.Contains(r.Body, `href="https://esco.test/skill/py"`) || !strings.Contains(r.Body, `href="https://skills.test/data"`) ||
			!strings.Contains(r.Body, `href="/marketplace?alignment=ESCO"`) || !strings.Contains(r.Body, `href="/marketplace?alignment=Data+analysis"`) {
			t.Errorf("template page: %d\n%.3000s", r.Status, r.Body)
		}
		if r := anon.Get("/marketplace/" + course.ID); r.Has("mp-alignments") {
			t.Error("a template without alignment lists some")
		}

		// The API.
		_, key := createKey(t, env, env.Org("bolt"), nil)
		api := hookAPI{t, env, key}
		r = api.do("GET", "/api/v1/marketplace/templates?alignment=ESCO&sort=newest", nil)
		var names []string
		for _, tp := range decodeJSON[apiMarketList](t, r).Templates {
			names = append(names, tp.Name)
		}
		if r.Status != 200 || !slices.Equal(names, []string{"Python Badge", "Go Badge"}) {
			t.Errorf("API aligned to ESCO: %d %q", r.Status, names)
		}
		// The list carries each template's alignments, [] without any.
		r = api.do("GET", "/api/v1/marketplace/templates?sort=newest", nil)
		listed := map[string][]string{}
		for _, tp := range decodeJSON[apiMarketList](t, r).Templates {
			listed[tp.Name] = []string{}
			for _, a := range tp.Alignments {
				listed[tp.Name] = append(listed[tp.Name], a.TargetName+" "+a.TargetFramework+" "+a.TargetURL)
			}
		}
		if want := []string{"Programming in Python ESCO https://esco.test/skill/py", "Data analysis  https://skills.test/data"}; !slices.Equal(listed["Python Badge"], want) ||
			len(listed["Web Badge"]) != 4 || listed["Course"] == nil || len(listed["Course"]) != 0 || !strings.Contains(r.Body, `"alignments":[]`) {
			t.Errorf("API list alignments: %q\n%s", listed, r.Body)
		}
		if r := api.do("GET", "/api/v1/marketplace/templates?alignment="+url.QueryEscape("a\x00b"), nil); r.Status != 422 || !strings.Contains(r.Body, `"alignment"`) {
			t.Errorf("API bad alignment: %d %s", r.Status, r.Body)
		}
		r = api.do("GET", "/api/v1/marketplace/templates/"+goBadge.ID, nil)
		if r.Status != 200 || !strings.Contains(r.Body, `"target_name":"Programming in Go"`) || !strings.Contains(r.Body, `"target_framework":"ESCO"`) {
			t.Errorf("API template: %d %s", r.Status, r.Body)
		}
	})
}

// The template form edits a badge's alignment: rows are added and removed
// without saving, each refusal is next to its input (422, nothing saved),
// a valid list is stored, and editing keeps it.
func TestTemplateFormAlignment(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleIssuer, org))
		cs := seedSchema(t, env, org, "Course", "1")
		form := url.Values{"name": {"Go Badge"}, "schema_id": {cs.ID}, "kind": {"badge"}, "cryptosuite": {"eddsa-rdfc-2022"},
			"achievement_name": {"Go"}}
		count := func() int {
			list, _ := env.DB.Scoped(org.ID).Templates(context.Background())
			return len(list)
		}

		// Add two rows, remove the first: the page comes back, unsaved.
		form.Set("op", "alignment-add")
		r := cl.Post("/templates", form)
		if r.Status != 200 || !r.Has("alignment-0") || r.Has("alignment-1") || count() != 0 {
			t.Fatalf("add: %d rows 0 %v 1 %v, %d saved", r.Status, r.Has("alignment-0"), r.Has("alignment-1"), count())
		}
		form.Set("alignment.0.target_name", "First")
		r = cl.Post("/templates", form)
		form.Set("alignment.1.target_name", "Second")
		form.Set("op", "alignment-remove:0")
		r = cl.Post("/templates", form)
		if r.Status != 200 || !r.Has("alignment-0") || r.Has("alignment-1") || !strings.Contains(r.Body, `value="Second"`) || strings.Contains(r.Body, `value="First"`) {
			t.Fatalf("remove: %d\n%.300s", r.Status, r.Body)
		}

		// Refusals, next to their inputs.
		form.Del("op")
		form.Del("alignment.1.target_name")
		form.Set("alignment.0.target_name", " ")
		form.Set("alignment.0.target_url", "javascript:alert(1)")
		r = cl.Post("/templates", form)
		if r.Status != 422 || !r.Has("error-alignment.0.target_name") || !r.Has("error-alignment.0.target_url") || count() != 0 {
			t.Errorf("bad row: %d, %d saved", r.Status, count())
		}
		tooMany := url.Values{}
		for k, v := range form {
			tooMany[k] = v
		}
		for i := range store.MaxAlignments + 1 {
			tooMany.Set(fmt.Sprintf("alignment.%d.target_name", i), "Skill")
			tooMany.Set(fmt.Sprintf("alignment.%d.target_url", i), "https://esco.test/s")
		}
		if r := cl.Post("/templates", tooMany); r.Status != 422 || !r.Has("error-alignment") || count() != 0 {
			t.Errorf("21 rows: %d, %d saved", r.Status, count())
		}
		tooMany.Set("op", "alignment-add")
		if r := cl.Post("/templates", tooMany); r.Status != 200 || !r.Has("error-alignment") || r.Has("alignment-21") {
			t.Errorf("adding a 22nd row: %d", r.Status)
		}

		// Saved, and the edit page keeps the rows.
		form.Set("alignment.0.target_name", "Programming in Go")
		form.Set("alignment.0.target_url", "https://esco.test/skill/go")
		form.Set("alignment.0.target_framework", "ESCO")
		if r := cl.Post("/templates", form); r.Status != 303 {
			t.Fatalf("save: %d\n%.2000s", r.Status, r.Body)
		}
		list, _ := env.DB.Scoped(org.ID).Templates(context.Background())
		al := list[0].TemplateData.Data().Achievement.Alignment
		if len(al) != 1 || al[0].TargetName != "Programming in Go" || al[0].TargetFramework != "ESCO" {
			t.Fatalf("stored %+v", al)
		}
		if p := cl.Get("/templates/" + list[0].ID + "/edit"); !strings.Contains(p.Body, `value="Programming in Go"`) || !strings.Contains(p.Body, `value="https://esco.test/skill/go"`) {
			t.Error("the edit page lost the alignment")
		}
	})
}

// The issuer type filter, on the page (a select, kept in the URL) and in
// the API; a type not in the list is a 422 next to the field.
func TestMarketplaceIssuerTypeFilter(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		uni, firm := env.Org("uni"), env.Org("firm")
		if _, err := env.DB.SQL().Exec(storetest.Rebind(d, "UPDATE organizations SET type = ? WHERE id = ?"), store.OrganizationEducational, uni.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.SQL().Exec(storetest.Rebind(d, "UPDATE organizations SET type = ? WHERE id = ?"), store.OrganizationCorporate, firm.ID); err != nil {
			t.Fatal(err)
		}
		cat := seedCategory(t, env, "Health", nil)
		diploma := seedPublished(t, env, uni, cat, "Nursing Diploma", "Three years")
		course := seedPublished(t, env, firm, cat, "Forklift Course", "One day")
		anon := env.Client()
		r := anon.Get("/marketplace?issuer_type=educational")
		if r.Status != 200 || !r.Has("mp-card-"+diploma.ID) || r.Has("mp-card-"+course.ID) || !strings.Contains(r.Body, `value="educational" selected`) {
			t.Errorf("educational issuers: %d", r.Status)
		}
		if r := anon.Get("/marketplace?issuer_type=government"); r.Status != 200 || !r.Has("mp-empty") {
			t.Errorf("government issuers: %d", r.Status)
		}
		if r := anon.Get("/marketplace?issuer_type=pirate"); r.Status != 422 || !r.Has("error-issuer_type") {
			t.Errorf("a bad issuer type: %d", r.Status)
		}
		_, key := createKey(t, env, env.Org("bolt"), nil)
		api := hookAPI{t, env, key}
		r = api.do("GET", "/api/v1/marketplace/templates?issuer_type=corporate", nil)
		if l := decodeJSON[apiMarketList](t, r).Templates; r.Status != 200 || len(l) != 1 || l[0].ID != course.ID {
			t.Errorf("API corporate issuers: %d %s", r.Status, r.Body)
		}
		if r := api.do("GET", "/api/v1/marketplace/templates?issuer_type=pirate", nil); r.Status != 422 || !strings.Contains(r.Body, `"issuer_type"`) {
			t.Errorf("API bad issuer type: %d %s", r.Status, r.Body)
		}
	})
}
