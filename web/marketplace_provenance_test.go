package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// Publishing signs the version with the publisher's issuer key; the copy
// keeps the signed provenance, and its page verifies it: "Origin
// verified: signed by <the publisher's DID>". A changed snapshot in the
// copy's record is "the origin signature does not verify".
func TestMarketplaceProvenance(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		pub, adopter := env.Org("pubco"), env.Org("harbor")
		cat := seedCategory(t, env, "Safety", nil)
		cs := seedSchema(t, env, pub, "First Aid", "1.0")
		src, err := env.DB.Scoped(pub.ID).CreateTemplate(ctx, store.TemplateChange{Name: "First Aid", Description: "Basic life support.",
			SchemaID: cs.ID, Data: store.TemplateData{Kind: store.TemplateCertificate}}, testActor)
		if err != nil {
			t.Fatal(err)
		}
		publisher := env.Client()
		publisher.Login(env.User(store.RoleAdmin, pub))
		if r := publisher.Post("/templates/"+src.ID+"/publish", publishForm(cat.ID, "First aid for everyone", src.Version)); r.Status != 303 {
			t.Fatalf("publish: %d\n%.1500s", r.Status, r.Body)
		}
		admin := env.Client()
		admin.Login(env.User(store.RoleAdmin, adopter))
		r := admin.Post("/marketplace/"+src.ID+"/adopt", nil)
		if r.Status != 303 {
			t.Fatalf("adopt: %d", r.Status)
		}
		copyPage := r.Location()
		issuerDID := pub.DID
		if o, err := env.DB.Scoped(pub.ID).Organization(ctx); err == nil {
			issuerDID = o.DID
		}
		page := admin.Get(copyPage)
		if !page.Has("template-origin-verified") || !strings.Contains(page.Body, issuerDID) || page.Has("template-origin-invalid") {
			t.Fatalf("the copy's page does not verify its origin (want signed by %s)\n%.3000s", issuerDID, between(page.Body, `data-testid="template-based-on"`, `<form`))
		}

		// Someone edits the copy's record of its origin: the snapshot's description.
		cp := strings.TrimSuffix(strings.TrimPrefix(copyPage, "/templates/"), "/edit")
		a, err := env.DB.Scoped(adopter.ID).Adoption(ctx, cp)
		if err != nil || a.Provenance == nil || len(*a.Provenance) == 0 {
			t.Fatalf("the adoption has no provenance: %v", err)
		}
		tampered := strings.Replace(string(*a.Provenance), "Basic life support.", "Basic life support, officially endorsed.", 1)
		if tampered == string(*a.Provenance) {
			t.Fatalf("nothing to tamper with in %s", *a.Provenance)
		}
		if _, err := env.DB.SQL().Exec(storetestRebind(env, "UPDATE template_adoptions SET provenance = ? WHERE id = '"+a.ID+"'"), tampered); err != nil {
			t.Fatal(err)
		}
		page = admin.Get(copyPage)
		if page.Status != 200 || !page.Has("template-origin-invalid") || !strings.Contains(page.Body, "origin signature does not verify") || page.Has("template-origin-verified") {
			t.Errorf("a tampered origin: %d\n%.3000s", page.Status, between(page.Body, `data-testid="template-based-on"`, `<form`))
		}
	})
}
