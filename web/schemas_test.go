package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

var testActor = store.Actor{}

// seedSchema creates a schema of org through the store, as the builder would.
func seedSchema(t *testing.T, env *webtest.Env, org *store.Organization, name, version string, fields ...store.SchemaField) *store.CredentialSchema {
	t.Helper()
	if len(fields) == 0 {
		fields = []store.SchemaField{{Name: "degree", Label: "Degree", Type: store.SchemaFieldText, Required: true}}
	}
	def, err := credschema.Build(name, fields)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := env.DB.Scoped(org.ID).CreateSchema(context.Background(), store.SchemaChange{Name: name, Version: version, Fields: fields, Definition: def}, testActor)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func seedTemplate(t *testing.T, env *webtest.Env, org *store.Organization, cs *store.CredentialSchema, name string) *store.CredentialTemplate {
	t.Helper()
	tpl, err := env.DB.Scoped(org.ID).CreateTemplate(context.Background(), store.TemplateChange{Name: name, SchemaID: cs.ID,
		Data: store.TemplateData{Kind: store.TemplateCertificate}}, testActor)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// Every schema and template route for every role: members read, issuers
// and admins write, other organizations get 404 for A's objects.
func TestSchemasAndTemplatesRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		cs := seedSchema(t, env, a, "Degree", "1.0")
		tpl := seedTemplate(t, env, a, cs, "BSc")
		clients := env.RoleClients(a, b)
		read := func(m map[string]int) map[string]int {
			out := map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: 200, webtest.AsIssuer: 200, webtest.AsReviewer: 200, webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303, webtest.AsOtherAdmin: 200}
			for k, v := range m {
				out[k] = v
			}
			return out
		}
		write := func(ok int, m map[string]int) map[string]int {
			out := map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: ok, webtest.AsIssuer: ok, webtest.AsReviewer: 403, webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303, webtest.AsOtherAdmin: ok}
			for k, v := range m {
				out[k] = v
			}
			return out
		}
		foreign := map[string]int{webtest.AsOtherAdmin: 404}
		row := url.Values{"f.0.name": {"degree"}, "f.0.label": {"Degree"}, "f.0.type": {"text"}, "name": {"Degree"}, "version": {"1.0"}}
		add := url.Values{"f.0.name": {"degree"}, "f.0.label": {"Degree"}, "f.0.type": {"text"}, "op": {"add"}}
		sa, ta := "/schemas/"+cs.ID, "/templates/"+tpl.ID
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/schemas", Want: read(nil)},
			{Method: "GET", Path: "/schemas/new", Want: write(200, nil)},
			{Method: "POST", Path: "/schemas", Form: add, Want: write(200, nil)}, // a builder button without JavaScript: nothing saved
			{Method: "POST", Path: "/schemas/builder", Form: add, Htmx: true, Want: write(200, map[string]int{webtest.AsAnonymous: 204})},
			{Method: "POST", Path: "/schemas/preview", Form: row, Htmx: true, Want: write(200, map[string]int{webtest.AsAnonymous: 204})},
			{Method: "GET", Path: sa, Want: read(foreign)},
			{Method: "GET", Path: sa + "/schema.json", Want: read(foreign)},
			{Method: "GET", Path: sa + "/edit", Want: write(200, foreign)},
			{Method: "POST", Path: sa, Form: row, Want: write(303, foreign)},
			{Method: "POST", Path: sa + "/deactivate", Want: write(303, foreign)},
			{Method: "POST", Path: sa + "/activate", Want: write(303, foreign)},
			{Method: "GET", Path: "/schemas/not-an-id", Want: read(map[string]int{webtest.AsOtherAdmin: 404, webtest.AsAdmin: 404, webtest.AsIssuer: 404, webtest.AsReviewer: 404})},
			{Method: "GET", Path: "/templates", Want: read(nil)},
			{Method: "GET", Path: "/templates/new", Want: write(200, nil)},
			{Method: "POST", Path: "/templates", Form: url.Values{"name": {""}}, Want: write(422, nil)},
			{Method: "GET", Path: ta + "/edit", Want: write(200, foreign)},
			{Method: "POST", Path: ta, Form: url.Values{"name": {"BSc"}, "schema_id": {cs.ID}, "kind": {"certificate"}, "cryptosuite": {"eddsa-rdfc-2022"}}, Want: write(303, foreign)},
			{Method: "POST", Path: ta + "/deactivate", Htmx: true, Want: write(200, map[string]int{webtest.AsOtherAdmin: 404, webtest.AsAnonymous: 204})},
			{Method: "POST", Path: ta + "/activate", Htmx: true, Want: write(200, map[string]int{webtest.AsOtherAdmin: 404, webtest.AsAnonymous: 204})},
		})
		// Org B's admin changed nothing of A's.
		got, err := env.DB.Scoped(a.ID).Template(context.Background(), tpl.ID)
		if err != nil || got.Name != "BSc" || !got.Active {
			t.Errorf("A's template after the table: %+v %v", got, err)
		}
		// Readers see no write buttons.
		if r := clients[webtest.AsReviewer].Get(sa); r.Has("schema-edit") || r.Has("schema-toggle-active") || !r.Has("schema-page") {
			t.Error("a reviewer is offered to edit a schema")
		}
		if r := clients[webtest.AsIssuer].Get(sa); !r.Has("schema-edit") {
			t.Error("an issuer is not offered to edit a schema")
		}
	})
}

func builderForm(name, version string, rows ...[]string) url.Values {
	f := url.Values{"name": {name}, "version": {version}}
	for i, r := range rows { // name, label, type, required, min, max, pattern, options
		cols := []string{"name", "label", "type", "required", "min", "max", "pattern", "options"}
		for j, v := range r {
			if v != "" {
				f.Set("f."+itoa(i)+"."+cols[j], v)
			}
		}
		f.Set("f."+itoa(i)+".type", r[2])
	}
	return f
}

func itoa(i int) string { return strconv.Itoa(i) }

var idInPath = regexp.MustCompile(`^/schemas/([0-9a-f-]{36})$`)

func TestSchemaBuilderSaves(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleIssuer, org))
		ctx := context.Background()

		// Every problem is shown next to its input, and nothing is saved.
		bad := builderForm("", "1 0",
			[]string{"1st", "", "text", "", "5", "2"},
			[]string{"gpa", "GPA", "number", "", "x"},
			[]string{"honours", "Honours", "select"},
			[]string{"gpa", "Again", "text", "", "", "", "([a-z"})
		bad.Set("op", "save")
		r := cl.Post("/schemas", bad)
		if r.Status != 422 {
			t.Fatalf("invalid schema: %d", r.Status)
		}
		for _, want := range []string{"Enter a name, such as", "Use letters, digits, dots", "Use a letter, then letters", "Enter the label people see",
			"Max must not be less than min", "Enter a number, such as 0 or 2.5.", "Add at least one option", "Field 2 already has this name", "not a valid regular expression"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("the form does not say %q", want)
			}
		}
		if l, _ := env.DB.Scoped(org.ID).Schemas(ctx); len(l) != 0 {
			t.Fatal("an invalid schema was saved")
		}

		// A valid one is saved with its document.
		good := builderForm("Degree", "1.0",
			[]string{"degree", "Degree", "text", "on", "", "100"},
			[]string{"gpa", "GPA", "number", "", "0", "4"},
			[]string{"honours", "Honours", "select", "", "", "", "", "first | First class\nsecond"},
			[]string{"conferred", "Conferred", "date", "on"})
		good.Set("op", "save")
		r = cl.Post("/schemas", good)
		m := idInPath.FindStringSubmatch(r.Location())
		if r.Status != 303 || m == nil {
			t.Fatalf("save: %d %s\n%.2000s", r.Status, r.Location(), r.Body)
		}
		cs, err := env.DB.Scoped(org.ID).Schema(ctx, m[1])
		if err != nil {
			t.Fatal(err)
		}
		if len(cs.Fields) != 4 || cs.Fields[2].Options[0] != (store.FieldOption{Value: "first", Label: "First class"}) || *cs.Fields[1].Validation.Max != 4 || *cs.Fields[0].Validation.MaxLength != 100 {
			t.Fatalf("fields %+v", cs.Fields)
		}
		compiled, err := credschema.Compile(json.RawMessage(cs.SchemaDefinition))
		if err != nil {
			t.Fatal(err)
		}
		if v := compiled.Validate(map[string]any{"degree": "BSc", "conferred": "2024-06-30", "gpa": 5}); v["gpa"] != "must be at most 4" {
			t.Errorf("the stored schema: %v", v)
		}
		page := cl.Get(r.Location())
		if !page.Has("schema-page") || !strings.Contains(page.Body, "First class") || !strings.Contains(page.Body, "from 0 to 4") {
			t.Errorf("schema page:\n%.1500s", page.Body)
		}
		dl := cl.Get(r.Location() + "/schema.json")
		if dl.Status != 200 || dl.Header.Get("Content-Type") != "application/schema+json" ||
			!strings.Contains(dl.Header.Get("Content-Disposition"), `filename="Degree-1.0.schema.json"`) || !json.Valid([]byte(dl.Body)) {
			t.Errorf("download: %d %v %.200s", dl.Status, dl.Header, dl.Body)
		}

		// The same name and version again: the message is next to the version.
		r = cl.Post("/schemas", good)
		if r.Status != 422 || !strings.Contains(r.Body, "already has Degree 1.0") {
			t.Errorf("duplicate: %d", r.Status)
		}

		// Not in use: edited in place.
		edit := builderForm("Degree", "1.0", []string{"degree", "Degree title", "text", "on"})
		edit.Set("op", "save")
		if r := cl.Post("/schemas/"+cs.ID, edit); r.Status != 303 || r.Location() != "/schemas/"+cs.ID {
			t.Fatalf("edit: %d %s", r.Status, r.Location())
		}
		// In use: the edit page offers the next version, and saving makes it.
		issueWithSchema(t, env, cs)
		if p := cl.Get("/schemas/" + cs.ID + "/edit"); !p.Has("schema-in-use") || !strings.Contains(p.Body, `value="1.1"`) {
			t.Fatalf("edit page of a schema in use:\n%.1500s", p.Body)
		}
		edit.Set("version", "1.1")
		r = cl.Post("/schemas/"+cs.ID, edit)
		m = idInPath.FindStringSubmatch(r.Location())
		if r.Status != 303 || m == nil || m[1] == cs.ID {
			t.Fatalf("new version: %d %s", r.Status, r.Location())
		}
		v2, _ := env.DB.Scoped(org.ID).Schema(ctx, m[1])
		old, _ := env.DB.Scoped(org.ID).Schema(ctx, cs.ID)
		if v2.Version != "1.1" || v2.Name != "Degree" || old.Version != "1.0" || old.Fields[0].Label != "Degree title" {
			t.Errorf("versions: %+v / %+v", v2, old)
		}
	})
}

func TestSchemaBuilderActions(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	org := env.Org("acme")
	cl := env.Client()
	cl.Login(env.User(store.RoleAdmin, org))
	rows := builderForm("Degree", "1", []string{"a", "A", "text"}, []string{"b", "B", "number", "", "1"}, []string{"c", "C", "select", "", "", "", "", "x"})
	do := func(op string) *webtest.Response {
		f := url.Values{}
		for k, v := range rows {
			f[k] = v
		}
		f.Set("op", op)
		return cl.Htmx("POST", "/schemas/builder", f)
	}
	names := func(body string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`name="f\.\d+\.name" type="text" value="([^"]*)"`).FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	cases := map[string]string{"add": "a,b,c,", "remove:1": "a,c", "up:2": "a,c,b", "down:0": "b,a,c", "up:0": "a,b,c", "remove:9": "a,b,c"}
	for op, want := range cases {
		r := do(op)
		if r.Status != 200 || !r.Has("schema-builder") || strings.Contains(r.Body, "<html") {
			t.Fatalf("%s: %d", op, r.Status)
		}
		if got := strings.Join(names(r.Body), ","); got != want {
			t.Errorf("%s: rows %s, want %s", op, got, want)
		}
	}
	// Rules of another type stay as hidden inputs: switching back restores them.
	if r := do("add"); !strings.Contains(r.Body, `type="hidden" name="f.2.min" value=""`) && !strings.Contains(r.Body, `name="f.2.options"`) {
		t.Error("the select row lost its hidden inputs")
	}
	// The preview is the built document; the advanced editor gets it to start from.
	r := cl.Htmx("POST", "/schemas/preview", rows)
	if !r.Has("schema-preview-json") || !strings.Contains(r.Body, `&#34;enum&#34;`) && !strings.Contains(r.Body, `"enum"`) {
		t.Errorf("preview:\n%.1000s", r.Body)
	}
	if r := do("advanced"); !r.Has("schema-advanced-on") || !strings.Contains(r.Body, "2020-12") {
		t.Errorf("advanced:\n%.600s", r.Body)
	}
	if r := cl.Htmx("POST", "/schemas/preview", builderForm("D", "1", []string{"", "", "text"})); !r.Has("schema-preview-note") {
		t.Error("an invalid field list has a preview")
	}
}

func TestSchemaAdvancedJSON(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	org := env.Org("acme")
	cl := env.Client()
	cl.Login(env.User(store.RoleAdmin, org))
	f := builderForm("Degree", "1", []string{"degree", "Degree", "text", "on"})
	f.Set("advanced", "on")
	f.Set("op", "save")
	for doc, want := range map[string]string{
		`{"type": "object", "properties": {`:                                   "ends too early",
		`{"type": "object", "properties": {"major": {"type": "string"}}}`:      `the field &#34;degree&#34; has no property`,
		`{"type": "object", "properties": {"degree": {"type": "strin"}}}`:      "/properties/degree/type",
		`{"type": "object", "properties": {"degree": {"$ref": "http://x/s"}}}`: "does not fetch",
	} {
		f.Set("schema_json", doc)
		r := cl.Post("/schemas", f)
		if r.Status != 422 || !r.Has("error-schema-json") || !strings.Contains(r.Body, want) {
			t.Errorf("%s: %d, want %q next to the editor", doc, r.Status, want)
		}
	}
	doc := `{"type": "object", "properties": {"degree": {"type": "string", "minLength": 2, "x-display": "large"}}, "required": ["degree"]}`
	f.Set("schema_json", doc)
	r := cl.Post("/schemas", f)
	m := idInPath.FindStringSubmatch(r.Location())
	if r.Status != 303 || m == nil {
		t.Fatalf("valid document: %d", r.Status)
	}
	cs, _ := env.DB.Scoped(org.ID).Schema(context.Background(), m[1])
	if !strings.Contains(string(cs.SchemaDefinition), "x-display") {
		t.Errorf("a keyword outside the builder was lost: %s", cs.SchemaDefinition)
	}
	// The edit page opens in the advanced editor with the document.
	if p := cl.Get("/schemas/" + cs.ID + "/edit"); !p.Has("schema-advanced-on") || !strings.Contains(p.Body, "x-display") {
		t.Error("the edit page did not keep the hand-written document")
	}
}

func TestTemplateForm(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		cl := env.Client()
		cl.Login(env.User(store.RoleIssuer, a))
		cs := seedSchema(t, env, a, "Course", "1", store.SchemaField{Name: "hours", Label: "Hours", Type: store.SchemaFieldNumber,
			Validation: store.ValidationRules{Min: ptrF(1), Max: ptrF(100)}}, store.SchemaField{Name: "course", Label: "Course", Type: store.SchemaFieldText, Required: true})
		foreign := seedSchema(t, env, b, "Theirs", "1")
		inactive := seedSchema(t, env, a, "Old", "1")
		if _, err := env.DB.Scoped(a.ID).SetSchemaActive(context.Background(), inactive.ID, false, testActor); err != nil {
			t.Fatal(err)
		}
		// The schema select brings its default inputs; the inactive and foreign schemas are not offered.
		p := cl.Get("/templates/new?schema_id=" + cs.ID)
		if !strings.Contains(p.Body, `name="default_hours"`) || strings.Contains(p.Body, foreign.ID) || strings.Contains(p.Body, inactive.ID) {
			t.Errorf("new template page:\n%.3000s", p.Body)
		}
		form := url.Values{"name": {"Data Science"}, "schema_id": {cs.ID}, "kind": {"badge"}, "cryptosuite": {"eddsa-jcs-2022"}, "validity_days": {"abc"},
			"display_image_url": {"ftp://x"}, "default_hours": {"500"}, "default_course": {" "}}
		r := cl.Post("/templates", form)
		for _, want := range []string{"error-validity_days", "error-display_image_url", "error-achievement_name", "error-default_hours"} {
			if r.Status != 422 || !r.Has(want) {
				t.Errorf("invalid template: %d, no %s", r.Status, want)
			}
		}
		if !strings.Contains(r.Body, "This default must be at most 100.") {
			t.Error("the default's message")
		}
		for _, id := range []string{foreign.ID, inactive.ID, "nope"} {
			f := url.Values{"name": {"X"}, "schema_id": {id}, "kind": {"certificate"}, "cryptosuite": {"eddsa-rdfc-2022"}}
			if r := cl.Post("/templates", f); r.Status != 422 || !r.Has("error-schema_id") {
				t.Errorf("schema %s: %d", id, r.Status)
			}
		}
		form.Set("validity_days", "1095")
		form.Set("display_image_url", "https://x.test/badge.png")
		form.Set("default_hours", "40")
		form.Set("achievement_name", "Data Science Fundamentals")
		if r := cl.Post("/templates", form); r.Status != 303 || r.Location() != "/templates" {
			t.Fatalf("create: %d %s", r.Status, r.Location())
		}
		list, _ := env.DB.Scoped(a.ID).Templates(context.Background())
		if len(list) != 1 {
			t.Fatalf("%d templates", len(list))
		}
		data := list[0].TemplateData.Data()
		if data.Kind != store.TemplateBadge || data.ValidityDays != 1095 || data.Defaults["hours"] != "40" || data.Achievement.Name != "Data Science Fundamentals" || data.Cryptosuite != "eddsa-jcs-2022" {
			t.Errorf("stored %+v", data)
		}
		if p := cl.Get("/templates"); !p.Has("template-"+list[0].ID) || !strings.Contains(p.Body, "Course 1") {
			t.Error("the list does not show the template with its schema")
		}
		// Deactivate from the row (htmx), then activating with an inactive schema is refused in the row.
		if r := cl.Htmx("POST", "/templates/"+list[0].ID+"/deactivate", nil); r.Status != 200 || !strings.Contains(r.Body, "Inactive") {
			t.Errorf("deactivate: %d", r.Status)
		}
		if _, err := env.DB.Scoped(a.ID).SetSchemaActive(context.Background(), cs.ID, false, testActor); err != nil {
			t.Fatal(err)
		}
		if r := cl.Htmx("POST", "/templates/"+list[0].ID+"/activate", nil); r.Status != 422 || !strings.Contains(r.Body, "its schema is inactive") {
			t.Errorf("activate on an inactive schema: %d", r.Status)
		}
	})
}

// issueWithSchema inserts a credential row that references the schema, as
// issuance will: the schema is then in use.
func issueWithSchema(t *testing.T, env *webtest.Env, cs *store.CredentialSchema) {
	t.Helper()
	q := "INSERT INTO credentials (id, public_id, schema_id, issuer_id, recipient_address, status) VALUES (?, ?, ?, ?, ?, 'active')"
	if env.DB.Dialect() == store.Postgres {
		q = "INSERT INTO credentials (id, public_id, schema_id, issuer_id, recipient_address, status) VALUES ($1, $2, $3, $4, $5, 'active')"
	}
	if _, err := env.DB.SQL().Exec(q, uuid.Must(uuid.NewV7()).String(), uuid.NewString(), cs.ID, cs.OrganizationID, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
}

func ptrF(f float64) *float64 { return &f }
