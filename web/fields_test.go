package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

func seedField(t *testing.T, env *webtest.Env, org *store.Organization, name, label string) *store.CustomField {
	t.Helper()
	f, err := env.DB.Scoped(org.ID).CreateCustomField(context.Background(), store.CustomFieldChange{Name: name, Label: label, Type: store.FieldText,
		Required: true}, testActor)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func fieldForm(name, label, typ string) url.Values {
	return url.Values{"name": {name}, "label": {label}, "type": {typ}}
}

// The field library for every role: template writers (admin, issuer) read
// it, only admins change it; B's admin gets 404 for A's field.
func TestFieldLibraryRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		field := seedField(t, env, a, "student_number", "Student number")
		gone := seedField(t, env, a, "campus", "Campus")
		clients := env.RoleClients(a, b)
		read := map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: 200, webtest.AsIssuer: 200, webtest.AsReviewer: 403,
			webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303, webtest.AsOtherAdmin: 200}
		n := 0
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/settings/fields", Want: read},
			{Method: "POST", Path: "/settings/fields", FormFor: func(string) url.Values {
				n++
				return fieldForm("field_"+itoa(n), "Field "+itoa(n), "text")
			}, Want: webtest.AdminOnly(303, 303)}, // B's admin adds to B's library
			{Method: "GET", Path: "/settings/fields/" + field.ID, Want: webtest.AdminOnly(200, 404)},
			{Method: "POST", Path: "/settings/fields/" + field.ID, Form: fieldForm("student_number", "Student no.", "text"), Want: webtest.AdminOnly(303, 404)},
			{Method: "POST", Path: "/settings/fields/" + gone.ID + "/delete", Want: webtest.AdminOnly(303, 404)},
			{Method: "GET", Path: "/settings/fields/not-an-id", Want: webtest.AdminOnly(404, 404)},
		})
		ctx := context.Background()
		if f, err := env.DB.Scoped(a.ID).CustomField(ctx, field.ID); err != nil || f.FieldLabel != "Student no." {
			t.Errorf("A's field after the table: %+v %v", f, err)
		}
		if l, _ := env.DB.Scoped(b.ID).CustomFields(ctx); len(l) != 1 {
			t.Errorf("B's library has %d fields, want its admin's one", len(l))
		}
	})
}

// An admin adds fields with every mistake shown next to its input; an
// issuer reads the library; the schema builder inserts a library field,
// and never another organization's.
func TestFieldLibrary(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		admin := env.Client()
		admin.Login(env.User(store.RoleAdmin, a))
		for _, c := range []struct {
			form url.Values
			err  string
		}{
			{fieldForm("", "Student number", "text"), "error-name"},
			{fieldForm("2nd", "Student number", "text"), "error-name"},
			{fieldForm("student_number", "", "text"), "error-label"},
			{fieldForm("student_number", "Student number", "file"), "error-type"},
			{fieldForm("campus", "Campus", "select"), "error-options"},
			{url.Values{"name": {"hours"}, "label": {"Hours"}, "type": {"number"}, "min": {"ten"}}, "error-min"},
			{url.Values{"name": {"hours"}, "label": {"Hours"}, "type": {"number"}, "min": {"10"}, "max": {"1"}}, "error-max"},
			{url.Values{"name": {"code"}, "label": {"Code"}, "type": {"text"}, "pattern": {"("}}, "error-pattern"},
		} {
			if r := admin.Post("/settings/fields", c.form); r.Status != 422 || !r.Has(c.err) {
				t.Errorf("%v: %d, want 422 with %s", c.form, r.Status, c.err)
			}
		}
		form := url.Values{"name": {"campus"}, "label": {"Campus"}, "type": {"select"}, "required": {"on"}, "options": {"north | North campus\nsouth"}}
		if r := admin.Post("/settings/fields", form); r.Status != 303 {
			t.Fatalf("add: %d", r.Status)
		}
		if r := admin.Post("/settings/fields", form); r.Status != 422 || !r.Has("error-name") {
			t.Errorf("a second campus: %d", r.Status)
		}
		issuer := env.Client()
		issuer.Login(env.User(store.RoleIssuer, a))
		r := issuer.Get("/settings/fields")
		if !r.Has("field-row-campus") || r.Has("field-form") || r.Has("field-edit") {
			t.Errorf("the issuer's view of the library: the field, no form, no actions\n%.2000s", r.Body)
		}
		list, _ := env.DB.Scoped(a.ID).CustomFields(context.Background())
		if len(list) != 1 {
			t.Fatalf("library: %+v", list)
		}
		other := seedField(t, env, b, "bolt_only", "Bolt only")

		// The builder offers the library and inserts its field.
		if page := issuer.Get("/schemas/new"); !page.Has("builder-library") || !strings.Contains(page.Body, "Campus (campus)") || strings.Contains(page.Body, "Bolt only") {
			t.Errorf("the builder does not offer A's library (only)")
		}
		add := url.Values{"name": {"Diploma"}, "f.0.name": {"degree"}, "f.0.label": {"Degree"}, "f.0.type": {"text"}, "op": {"library"}, "library_field": {list[0].ID}}
		r = issuer.Htmx("POST", "/schemas/builder", add)
		if r.Status != 200 || !strings.Contains(r.Body, `name="f.1.name" type="text" value="campus"`) || !strings.Contains(r.Body, "north | North campus") {
			t.Errorf("insert from the library: %d\n%.3000s", r.Status, r.Body)
		}
		add.Set("library_field", other.ID)
		if r := issuer.Htmx("POST", "/schemas/builder", add); r.Status != 200 || strings.Contains(r.Body, "bolt_only") || strings.Contains(r.Body, `name="f.1.name"`) {
			t.Errorf("another organization's field was inserted")
		}
	})
}
