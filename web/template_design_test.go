package web_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/design"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// A template chooses its certificate design on its form: the
// organization's active designs and TrustCred's default are offered;
// another organization's design, an inactive one or a made-up id is
// refused next to the select and nothing is saved; the chosen design is
// kept, shown on the edit page with a link for admins, and "TrustCred
// default" takes it away again.
func TestTemplateChoosesDesign(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		ctx := context.Background()
		save := func(org *store.Organization, name string) string {
			t.Helper()
			id, err := env.DB.Scoped(org.ID).SaveDesign(ctx, "", name, design.Default().JSON(), store.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		diploma, old, theirs := save(a, "Diploma A4"), save(a, "Old layout"), save(b, "Bolt's layout")
		if _, err := env.DB.SQL().Exec(storetest.Rebind(d, "UPDATE custom_credential_templates SET is_active = ? WHERE id = ?"), false, old); err != nil {
			t.Fatal(err)
		}
		cs := seedSchema(t, env, a, "Course", "1")
		admin, issuer := env.Client(), env.Client()
		admin.Login(env.User(store.RoleAdmin, a))
		issuer.Login(env.User(store.RoleIssuer, a))

		p := issuer.Get("/templates/new")
		if !strings.Contains(p.Body, `value="`+diploma+`"`) || !strings.Contains(p.Body, "TrustCred default") ||
			strings.Contains(p.Body, old) || strings.Contains(p.Body, theirs) {
			t.Fatalf("the design choices: active ones and the default only\n%.2000s", p.Body)
		}
		form := url.Values{"name": {"Short course"}, "schema_id": {cs.ID}, "kind": {"certificate"}, "cryptosuite": {"eddsa-rdfc-2022"}}
		for _, bad := range []string{theirs, old, "not-a-design"} {
			form.Set("design_id", bad)
			r := issuer.Post("/templates", form)
			if r.Status != 422 || !r.Has("error-design_id") || !strings.Contains(r.Body, "Choose one of your organization&#39;s active designs") {
				t.Errorf("design %s: %d %v", bad, r.Status, r.Has("error-design_id"))
			}
		}
		// The store refuses it too, inside its transaction (whatever the form did).
		_, err := env.DB.Scoped(a.ID).CreateTemplate(ctx, store.TemplateChange{Name: "Direct", SchemaID: cs.ID,
			Data: store.TemplateData{Kind: store.TemplateCertificate, Cryptosuite: store.CryptosuiteEdDSARDFC, DesignID: theirs}}, store.Actor{})
		var fe store.FieldErrors
		if !errors.As(err, &fe) || fe["design_id"] == "" {
			t.Errorf("the store took another organization's design: %v", err)
		}
		if list, _ := env.DB.Scoped(a.ID).Templates(ctx); len(list) != 0 {
			t.Fatalf("a refused template was saved: %d", len(list))
		}

		form.Set("design_id", diploma)
		if r := issuer.Post("/templates", form); r.Status != 303 {
			t.Fatalf("create with a design: %d", r.Status)
		}
		list, _ := env.DB.Scoped(a.ID).Templates(ctx)
		if len(list) != 1 || list[0].TemplateData.Data().DesignID != diploma {
			t.Fatalf("the design was not kept: %+v", list)
		}
		tpl := list[0]
		// The edit page says which design: admins get a link to it, issuers (who cannot open designs) its name.
		e := admin.Get("/templates/" + tpl.ID + "/edit")
		if !e.Has("template-design-link") || !strings.Contains(e.Body, `href="/settings/designs/`+diploma+`"`) || !strings.Contains(e.Body, "Open “Diploma A4”") {
			t.Errorf("the admin's edit page does not link the design")
		}
		if e := issuer.Get("/templates/" + tpl.ID + "/edit"); e.Has("template-design-link") || !strings.Contains(e.Body, `value="`+diploma+`" selected`) {
			t.Errorf("the issuer's edit page: the design chosen, no link")
		}
		// Saving other changes keeps the design (the form carries it); the default takes it away.
		form.Set("name", "Short course, renamed")
		if r := issuer.Post("/templates/"+tpl.ID, form); r.Status != 303 {
			t.Fatalf("update: %d", r.Status)
		}
		if got, _ := env.DB.Scoped(a.ID).Template(ctx, tpl.ID); got.TemplateData.Data().DesignID != diploma {
			t.Errorf("an update lost the design: %q", got.TemplateData.Data().DesignID)
		}
		form.Set("design_id", "")
		if r := issuer.Post("/templates/"+tpl.ID, form); r.Status != 303 {
			t.Fatalf("back to the default: %d", r.Status)
		}
		if got, _ := env.DB.Scoped(a.ID).Template(ctx, tpl.ID); got.TemplateData.Data().DesignID != "" {
			t.Errorf("the default was not chosen: %q", got.TemplateData.Data().DesignID)
		}
		// B's admin cannot point B's template at A's design.
		bcs := seedSchema(t, env, b, "Theirs", "1")
		other := env.Client()
		other.Login(env.User(store.RoleAdmin, b))
		bform := url.Values{"name": {"Theirs"}, "schema_id": {bcs.ID}, "kind": {"certificate"}, "cryptosuite": {"eddsa-rdfc-2022"}, "design_id": {diploma}}
		if r := other.Post("/templates", bform); r.Status != 422 || !r.Has("error-design_id") {
			t.Errorf("B chose A's design: %d", r.Status)
		}
	})
}
