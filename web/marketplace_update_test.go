package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/marketplace"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// adoptedWithUpdate: pub publishes "First Aid" (version 1), org adopts it,
// then pub relabels a field, adds one, rewrites the description and lists
// the new version. It returns the copy and the listed version.
func adoptedWithUpdate(t *testing.T, env *webtest.Env, pub, org *store.Organization, cat *store.TemplateCategory, name string) (*store.CredentialTemplate, int) {
	t.Helper()
	ctx := context.Background()
	src := seedPublished(t, env, pub, cat, name, name+" for everyone")
	cp, err := env.DB.Scoped(org.ID).AdoptTemplate(ctx, src.ID, testActor)
	if err != nil {
		t.Fatal(err)
	}
	sp := env.DB.Scoped(pub.ID)
	schema, err := sp.Schema(ctx, src.SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	fields := append([]store.SchemaField(nil), schema.Fields...)
	fields[0].Label = "Course name"
	fields = append(fields, store.SchemaField{Name: "hours", Label: "Training hours", Type: store.SchemaFieldNumber})
	def, err := credschema.Build(schema.Name, fields)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.UpdateSchema(ctx, schema.ID, store.SchemaChange{Name: schema.Name, Version: schema.Version, Fields: fields, Definition: def}, testActor); err != nil {
		t.Fatal(err)
	}
	src, err = sp.UpdateTemplate(ctx, src.ID, store.TemplateChange{Name: src.Name, Description: "Basic life support and first aid.",
		SchemaID: src.SchemaID, Data: src.TemplateData.Data()}, testActor)
	if err != nil {
		t.Fatal(err)
	}
	// The new version is signed, as the publish page signs it.
	if _, err := env.Services.Issuer.EnsureKey(ctx, sp, testActor); err != nil {
		t.Fatal(err)
	}
	priv, vm, err := env.Services.Issuer.OrganizationKey(ctx, sp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.PublishTemplate(ctx, src.ID, src.Version, store.Publication{CategoryID: cat.ID, Licence: store.LicenceCCBY, Summary: name,
		Sign: marketplace.Signer(priv, vm)}, testActor); err != nil {
		t.Fatal(err)
	}
	return cp, src.Version
}

// The update page and Apply for every role: A's template writers (admin,
// issuer) open and apply; reviewers and below are refused; B's admin and
// the platform operator get 404 for A's copy.
func TestTemplateUpdateRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b, pub := env.Org("acme"), env.Org("bolt"), env.Org("pubco")
		cat := seedCategory(t, env, "Safety", nil)
		cp, to := adoptedWithUpdate(t, env, pub, a, cat, "First Aid")
		mine := seedTemplate(t, env, a, seedSchema(t, env, a, "Own", "1.0"), "Own")
		clients := env.RoleClients(a, b)
		writers := func(status int) map[string]int {
			return map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: status, webtest.AsIssuer: status, webtest.AsReviewer: 403,
				webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303, webtest.AsOtherAdmin: 404}
		}
		stale := url.Values{"copy_version": {itoa(cp.Version - 1)}, "to_version": {itoa(to)}}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/templates/" + cp.ID + "/update", Want: writers(200)},
			{Method: "GET", Path: "/templates/" + mine.ID + "/update", Want: writers(404)}, // not a copy: no update
			{Method: "GET", Path: "/templates/not-an-id/update", Want: writers(404)},
			// A page made for an older version of the copy: shown again, nothing applied.
			{Method: "POST", Path: "/templates/" + cp.ID + "/update", Form: stale, Want: writers(409)},
			{Method: "POST", Path: "/templates/" + mine.ID + "/update", Form: stale, Want: writers(404)},
		})
		if u, err := env.DB.Scoped(a.ID).TemplateUpdate(context.Background(), cp.ID); err != nil || u == nil || u.Adoption.SourceVersion != 1 {
			t.Errorf("the refused requests changed the copy's update: %+v %v", u, err)
		}
		// The issuer applies (the admin's turn is TestTemplateUpdateApply).
		r := clients[webtest.AsIssuer].Post("/templates/"+cp.ID+"/update", url.Values{"copy_version": {itoa(cp.Version)}, "to_version": {itoa(to)}})
		if r.Status != 303 || r.Location() != "/templates/"+cp.ID+"/edit" {
			t.Fatalf("issuer's apply: %d %s\n%.1000s", r.Status, r.Location(), r.Body)
		}
		if r := clients[webtest.AsIssuer].Get("/templates/" + cp.ID + "/update"); r.Status != 404 {
			t.Errorf("the update page after applying: %d, want 404", r.Status)
		}
	})
}

// An adopter sees the update on the list and the copy's page, reads the
// field-level diff, is asked to choose where both changed the same thing,
// and applies it: the copy gets the publisher's changes and keeps its own.
func TestTemplateUpdateApply(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, pub := env.Org("acme"), env.Org("pubco")
		cat := seedCategory(t, env, "Safety", nil)
		cp, to := adoptedWithUpdate(t, env, pub, a, cat, "First Aid")
		ctx := context.Background()
		s := env.DB.Scoped(a.ID)
		// The adopter's own edits: a new name (the publisher did not touch
		// it) and a description of its own (the publisher changed it too).
		cp, err := s.UpdateTemplate(ctx, cp.ID, store.TemplateChange{Name: "Acme First Aid", Description: "Acme's first aid course.",
			SchemaID: cp.SchemaID, Data: cp.TemplateData.Data()}, testActor)
		if err != nil {
			t.Fatal(err)
		}
		admin := env.Client()
		admin.Login(env.User(store.RoleAdmin, a))
		reviewer := env.Client()
		reviewer.Login(env.User(store.RoleReviewer, a))

		if r := admin.Get("/templates"); !r.Has("template-update-available") || !strings.Contains(r.Body, "Update available: version "+itoa(to)) {
			t.Errorf("the list does not offer the update\n%.2000s", r.Body)
		}
		if r := reviewer.Get("/templates"); !strings.Contains(r.Body, "Update available: version "+itoa(to)) || strings.Contains(r.Body, "/templates/"+cp.ID+"/update") {
			t.Errorf("a reviewer should see the notice without a link to apply it")
		}
		if r := admin.Get("/templates/" + cp.ID + "/edit"); !r.Has("template-update-link") || !strings.Contains(r.Body, "Update available: version "+itoa(to)) {
			t.Errorf("the copy's page does not offer the update")
		}
		r := admin.Get("/templates/" + cp.ID + "/update")
		if r.Status != 200 {
			t.Fatalf("update page: %d", r.Status)
		}
		for _, want := range []string{
			"Update available: version " + itoa(to),
			"Label: “Course title” → “Course name”", // a changed field, attribute by attribute
			"“Training hours” (number, optional)",   // an added field
			"Basic life support and first aid.",     // the publisher's description
			"Acme&#39;s first aid course.",          // the adopter's, in the conflict
			`name="choice-description"`,             // the conflict's choice
		} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("the update page lacks %q", want)
			}
		}
		if n := strings.Count(r.Body, `data-testid="template-update-change"`); n != 3 {
			t.Errorf("%d changes listed, want 3 (description, course, hours)", n)
		}
		if strings.Contains(r.Body, `name="choice-field-course"`) {
			t.Error("a change the adopter did not touch asks for a choice")
		}

		form := url.Values{"copy_version": {itoa(cp.Version)}, "to_version": {itoa(to)}}
		r = admin.Post("/templates/"+cp.ID+"/update", form)
		if r.Status != 422 || !r.Has("error-choice-description") || !r.Has("form-error") {
			t.Fatalf("apply without choosing: %d\n%.2000s", r.Status, r.Body)
		}
		form.Set("choice-description", "both")
		if r := admin.Post("/templates/"+cp.ID+"/update", form); r.Status != 422 || !r.Has("error-choice-description") {
			t.Errorf("apply with a choice that is not one: %d", r.Status)
		}
		if got, _ := s.Template(ctx, cp.ID); got.Version != cp.Version {
			t.Fatal("a refused apply changed the copy")
		}
		form.Set("choice-description", "mine")
		r = admin.Post("/templates/"+cp.ID+"/update", form)
		if r.Status != 303 {
			t.Fatalf("apply: %d\n%.2000s", r.Status, r.Body)
		}
		got, err := s.Template(ctx, cp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Acme First Aid" || got.Description == nil || *got.Description != "Acme's first aid course." ||
			len(got.Schema.Fields) != 3 || got.Schema.Fields[0].Label != "Course name" || got.Version != cp.Version+1 {
			t.Errorf("the copy after the update: %q %v version %d, fields %+v", got.Name, got.Description, got.Version, got.Schema.Fields)
		}
		page := admin.Get("/templates/" + cp.ID + "/edit")
		if !page.Has("template-origin-verified") {
			t.Error("after the update, the copy's origin is not the new version's verified signature")
		}
		if page.Has("template-update-available") || !strings.Contains(page.Body, "version "+itoa(to)) {
			t.Errorf("the copy's page after the update still offers it, or does not say version %d", to)
		}
		var n int64
		if err := env.DB.SQL().QueryRow(storetestRebind(env, "SELECT COUNT(*) FROM audit_logs WHERE action = 'template.update_applied' AND resource_id = ?"), cp.ID).Scan(&n); err != nil || n != 1 {
			t.Errorf("template.update_applied audited %d times (%v)", n, err)
		}
	})
}

// The template page lists its published versions, newest first, once it
// has more than one; a template never republished shows its version alone.
func TestMarketplaceVersionHistory(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, pub := env.Org("acme"), env.Org("pubco")
		cat := seedCategory(t, env, "Safety", nil)
		cp, to := adoptedWithUpdate(t, env, pub, a, cat, "First Aid")
		src, err := env.DB.Scoped(a.ID).AdoptionSource(context.Background(), cp.ID)
		if err != nil {
			t.Fatal(err)
		}
		once := seedPublished(t, env, pub, cat, "Fire Safety", "Extinguishers")
		anon := env.Client()
		r := anon.Get("/marketplace/" + *src.Adoption.SourceTemplateID)
		history := between(r.Body, `data-testid="mp-history"`, "</ol>")
		newest, oldest := strings.Index(history, "Version "+itoa(to)+","), strings.Index(history, "Version 1,")
		if r.Status != 200 || to < 2 || newest < 0 || oldest < 0 || newest > oldest {
			t.Errorf("the history of a republished template (version %d): %d\n%s", to, r.Status, history)
		}
		if r := anon.Get("/marketplace/" + once.ID); r.Status != 200 || r.Has("mp-history") || !r.Has("mp-version") {
			t.Errorf("a template published once: %d, history shown %v", r.Status, r.Has("mp-history"))
		}
	})
}
