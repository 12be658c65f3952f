package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/design"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// designForm is the editor's form for d, as the browser posts it.
func designForm(name string, d *design.Design, op string) url.Values {
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	f := url.Values{"name": {name}, "page.size": {d.Page.Size}, "page.orientation": {d.Page.Orientation},
		"background.colour": {d.Background.Colour}, "background.border": {d.Background.Border}, "op": {op},
		"background.image": {d.Background.Image}, "background.fit": {d.Background.Fit}}
	for i, e := range d.Elements {
		p := "elements." + itoa(i) + "."
		f.Set(p+"type", e.Type)
		f.Set(p+"x", num(e.X))
		f.Set(p+"y", num(e.Y))
		f.Set(p+"w", num(e.W))
		f.Set(p+"h", num(e.H))
		f.Set(p+"text", e.Text)
		f.Set(p+"field", e.Field)
		f.Set(p+"font", e.Font)
		if e.Size != 0 {
			f.Set(p+"size", num(e.Size))
		}
		f.Set(p+"colour", e.Colour)
		f.Set(p+"align", e.Align)
		f.Set(p+"image", e.Image)
		if e.Stroke != 0 {
			f.Set(p+"stroke", num(e.Stroke))
		}
	}
	return f
}

// The designs pages are for the organization's admins; another
// organization's admin gets 404 on A's design, for reading and for saving.
func TestDesignsRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		id, err := env.DB.Scoped(a.ID).SaveDesign(context.Background(), "", "Diploma", design.Default().JSON(), store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		admins := func(admin, other int) map[string]int {
			return map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: admin, webtest.AsIssuer: 403, webtest.AsReviewer: 403, webtest.AsVerifier: 403,
				webtest.AsRecipient: 403, webtest.AsAnonymous: 303, webtest.AsOtherAdmin: other}
		}
		unsaved := designForm("Diploma", design.Default(), "add")
		webtest.RouteTable(t, env.RoleClients(a, b), []webtest.Route{
			{Method: "GET", Path: "/settings/designs", Want: admins(200, 200)},
			{Method: "GET", Path: "/settings/designs/new", Want: admins(200, 200)},
			{Method: "GET", Path: "/settings/designs/" + id, Want: admins(200, 404)},
			{Method: "GET", Path: "/settings/designs/not-an-id", Want: admins(404, 404)},
			{Method: "POST", Path: "/settings/designs/" + id, Form: unsaved, Want: admins(200, 404)},
			{Method: "POST", Path: "/settings/designs/builder", Form: unsaved, Htmx: true, Want: map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: 200,
				webtest.AsIssuer: 403, webtest.AsReviewer: 403, webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 204, webtest.AsOtherAdmin: 200}},
			{Method: "POST", Path: "/settings/designs/preview", Form: unsaved, Htmx: true, Want: map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: 200,
				webtest.AsIssuer: 403, webtest.AsReviewer: 403, webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 204, webtest.AsOtherAdmin: 200}},
		})
		// B's admin saving onto A's id changed nothing.
		bad := designForm("Taken over", design.Default(), "save")
		if r := env.RoleClients(a, b)[webtest.AsOtherAdmin].Post("/settings/designs/"+id, bad); r.Status != 404 {
			t.Errorf("B saves A's design: %d", r.Status)
		}
		if row, _, err := env.DB.Scoped(a.ID).DesignRow(context.Background(), id); err != nil || row.Name != "Diploma" {
			t.Errorf("A's design after B's attempt: %+v %v", row, err)
		}
		if _, _, err := env.DB.Scoped(b.ID).DesignRow(context.Background(), id); err != store.ErrNotFound {
			t.Errorf("A's design through B's handle: %v", err)
		}
	})
}

// An admin creates a design, adds and moves elements without saving, is
// told which element's number is wrong, saves, and the template's
// credentials' PDFs use it.
func TestDesignsEditor(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	org := env.Org("acme")
	admin := env.Client()
	admin.Login(env.User(store.RoleAdmin, org))

	r := admin.Get("/settings/designs")
	if r.Status != 200 || !r.Has("designs-empty") {
		t.Fatalf("empty list: %d", r.Status)
	}
	r = admin.Get("/settings/designs/new")
	if r.Status != 200 || !r.Has("design-preview-image") || !strings.Contains(r.Body, `name="elements.10.type"`) {
		t.Fatalf("new: %d %v", r.Status, r.Has("design-preview-image"))
	}
	d := design.Default()
	// Add (a QR code), then move it up: the page comes back changed, unsaved.
	f := designForm("Diploma", d, "add")
	f.Set("new_type", "qr")
	r = admin.Htmx("POST", "/settings/designs/builder", f)
	if r.Status != 200 || !strings.Contains(r.Body, `name="elements.11.type"`) {
		t.Fatalf("add: %d", r.Status)
	}
	// A bad number and an element off the page: each named next to its input.
	f = designForm("Diploma", d, "save")
	f.Set("elements.1.x", "twelve")
	f.Set("elements.2.w", "400")
	r = admin.Post("/settings/designs", f)
	if r.Status != 422 || !strings.Contains(r.Body, "Type a number, like 12.5.") || !strings.Contains(r.Body, "Reaches past the page&#39;s right edge.") ||
		r.Has("design-preview-image") {
		t.Fatalf("invalid: %d %q", r.Status, regexp.MustCompile(`data-testid="error-[^"]*">[^<]*`).FindAllString(r.Body, -1))
	}
	if rows, _ := env.DB.Scoped(org.ID).Designs(context.Background()); len(rows) != 0 {
		t.Fatalf("an invalid design was saved: %v", rows)
	}
	// Removing an element, then saving.
	d.Elements = append(d.Elements, design.Element{Type: "field", Field: "degree", X: 20, Y: 118, W: 257, H: 10, Size: 16, Align: "center"})
	f = designForm("Diploma", d, "remove:0")
	r = admin.Post("/settings/designs", f)
	if r.Status != 200 || strings.Contains(r.Body, "This certifies that") {
		t.Fatalf("remove: %d", r.Status)
	}
	f = designForm("Diploma", d, "save")
	r = admin.Post("/settings/designs", f)
	if r.Status != 303 {
		t.Fatalf("save: %d\n%.1500s", r.Status, r.Body)
	}
	rows, err := env.DB.Scoped(org.ID).Designs(context.Background())
	if err != nil || len(rows) != 1 {
		t.Fatalf("designs %v %v", rows, err)
	}
	_, raw, _ := env.DB.Scoped(org.ID).DesignRow(context.Background(), rows[0].ID)
	saved, err := design.Parse(raw)
	if err != nil || len(saved.Elements) != 12 || saved.Elements[11].Field != "degree" {
		t.Fatalf("saved %s (%v)", raw, err)
	}
	// The preview answers as the admin types.
	f.Set("elements.1.size", "40")
	// (its src a data: PNG as written: templ turns a URL it does not trust into about:invalid)
	if r := admin.Htmx("POST", "/settings/designs/preview", f); r.Status != 200 || !r.Has("design-preview-image") || !strings.Contains(r.Body, `src="data:image/png;base64,`) {
		t.Errorf("preview: %d %v", r.Status, regexp.MustCompile(`<img src="[^"]{0,40}`).FindString(r.Body))
	}
	// A template naming it: its credentials' PDF shows the degree.
	tpl := degreeTemplate(t, env, org)
	withDesignID(t, env, tpl, rows[0].ID)
	cr := issueDegree(t, env, org, tpl, "Ada Lovelace", "ada@example.org")
	pdf := admin.Get("/credentials/" + cr.ID + "/certificate.pdf")
	cert, err := design.Read([]byte(pdf.Body))
	if err != nil {
		t.Fatal(err)
	}
	if tc := cert.CheckText(); !tc.Matches || !strings.Contains(strings.Join(tc.Signed, "|"), "degree: Chemistry") {
		t.Errorf("the PDF with the saved design: %+v", tc)
	}
}
