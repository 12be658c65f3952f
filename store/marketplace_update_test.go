package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/marketplace"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// An adopter's copy of a template whose publisher then lists version 2:
// the update is offered, merged with the adopter's own edit kept, written
// as a new version of the copy on a new schema version, and offered no more.
func TestTemplateUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := market{t: t, db: db, ctx: ctx}
		pub, adopter := org(t, db, "pubco"), org(t, db, "adopter")
		admin := member(t, db, adopter, "admin@adopter.example", "Ada", store.RoleAdmin)
		cat := m.category("Safety", nil)
		src := m.template(pub, tplSpec{name: "First Aid", description: "Basic first aid.", kind: store.TemplateCertificate, labels: []string{"Course", "Hours"}})
		m.publish(pub, src, cat, "First aid for everyone")
		sp, sa := db.Scoped(pub.ID), db.Scoped(adopter.ID)
		cp, err := sa.AdoptTemplate(ctx, src.ID, actorOf(admin))
		if err != nil {
			t.Fatal(err)
		}
		if u, err := sa.TemplateUpdate(ctx, cp.ID); err != nil || u != nil {
			t.Fatalf("an update before the publisher changed anything: %+v %v", u, err)
		}

		// The adopter renames its copy; the publisher changes its description
		// and a field label, adds a field and publishes again.
		cp, err = sa.UpdateTemplate(ctx, cp.ID, store.TemplateChange{Name: "Adopter First Aid", Description: "Basic first aid.",
			SchemaID: cp.SchemaID, Data: cp.TemplateData.Data()}, actorOf(admin))
		if err != nil {
			t.Fatal(err)
		}
		schema, _ := sp.Schema(ctx, src.SchemaID)
		fields := append([]store.SchemaField(nil), schema.Fields...)
		fields[0].Label = "Course title"
		fields = append(fields, store.SchemaField{Name: "expires", Label: "Expires on", Type: store.SchemaFieldDate})
		def, err := credschema.Build(schema.Name, fields)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sp.UpdateSchema(ctx, schema.ID, store.SchemaChange{Name: schema.Name, Version: schema.Version, Fields: fields, Definition: def}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		src, err = sp.UpdateTemplate(ctx, src.ID, store.TemplateChange{Name: src.Name, Description: "Basic life support and first aid.",
			SchemaID: src.SchemaID, Data: src.TemplateData.Data()}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		m.publish(pub, src, cat, "First aid for everyone")

		u, err := sa.TemplateUpdate(ctx, cp.ID)
		if err != nil || u == nil {
			t.Fatalf("no update after version %d was listed: %v", src.Version, err)
		}
		if u.Version != src.Version || u.Adoption.SourceVersion != 1 || u.Publisher != pub.Name || len(u.Theirs.Schema.Fields) != 3 {
			t.Errorf("update: version %d from %d by %q, %d fields", u.Version, u.Adoption.SourceVersion, u.Publisher, len(u.Theirs.Schema.Fields))
		}
		if av, err := sa.AvailableUpdates(ctx); err != nil || av[cp.ID] != src.Version || len(av) != 1 {
			t.Errorf("available updates: %v %v", av, err)
		}
		if av, err := sp.AvailableUpdates(ctx); err != nil || len(av) != 0 {
			t.Errorf("the publisher has updates: %v %v", av, err)
		}

		// A merge made from an older copy is refused.
		if _, err := marketplace.ApplyUpdate(ctx, sa, cp.ID, cp.Version-1, u.Version, nil, actorOf(admin)); !errors.Is(err, store.ErrTemplateChanged) {
			t.Errorf("stale copy version: %v, want ErrTemplateChanged", err)
		}
		if _, err := marketplace.ApplyUpdate(ctx, sa, cp.ID, cp.Version, u.Version+1, nil, actorOf(admin)); !errors.Is(err, store.ErrTemplateChanged) {
			t.Errorf("a version that is not listed: %v, want ErrTemplateChanged", err)
		}
		oldSchema := cp.SchemaID
		got, err := marketplace.ApplyUpdate(ctx, sa, cp.ID, cp.Version, u.Version, nil, actorOf(admin))
		if err != nil {
			t.Fatal(err)
		}
		got, err = sa.Template(ctx, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		desc := ""
		if got.Description != nil {
			desc = *got.Description
		}
		if got.Name != "Adopter First Aid" || desc != "Basic life support and first aid." || got.Version != cp.Version+1 {
			t.Errorf("copy after the update: %q %q version %d", got.Name, desc, got.Version)
		}
		if got.SchemaID == oldSchema || got.Schema.Version != "1.1" || got.Schema.Fields[0].Label != "Course title" || len(got.Schema.Fields) != 3 {
			t.Errorf("copy's schema after the update: %s %s %+v", got.SchemaID, got.Schema.Version, got.Schema.Fields)
		}
		if old, err := sa.Schema(ctx, oldSchema); err != nil || len(old.Fields) != 2 {
			t.Errorf("the old schema version changed: %+v %v", old, err)
		}
		a, err := sa.Adoption(ctx, cp.ID)
		if err != nil || a.SourceVersion != src.Version {
			t.Errorf("adoption after the update: %+v %v", a, err)
		}
		if u, err := sa.TemplateUpdate(ctx, cp.ID); err != nil || u != nil {
			t.Errorf("an update is still offered: %+v %v", u, err)
		}
		if n := auditCount(t, db, "template.update_applied", cp.ID); n != 1 {
			t.Errorf("%d template.update_applied entries, want 1", n)
		}
		// Applying the same update twice: nothing to apply.
		if _, err := marketplace.ApplyUpdate(ctx, sa, cp.ID, got.Version, u.Version, nil, actorOf(admin)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a second apply: %v, want ErrNotFound", err)
		}

		// Unlisted sources offer nothing.
		if err := sp.UnpublishTemplate(ctx, src.ID, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if av, err := sa.AvailableUpdates(ctx); err != nil || len(av) != 0 {
			t.Errorf("updates of an unlisted template: %v %v", av, err)
		}
	})
}

// A conflict left open changes nothing; choosing writes the choice.
func TestTemplateUpdateConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := market{t: t, db: db, ctx: ctx}
		pub, adopter := org(t, db, "pubco"), org(t, db, "adopter")
		cat := m.category("Safety", nil)
		src := m.template(pub, tplSpec{name: "First Aid", description: "Basic first aid.", kind: store.TemplateCertificate, labels: []string{"Course"}})
		m.publish(pub, src, cat, "First aid")
		sp, sa := db.Scoped(pub.ID), db.Scoped(adopter.ID)
		cp, err := sa.AdoptTemplate(ctx, src.ID, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		cp, err = sa.UpdateTemplate(ctx, cp.ID, store.TemplateChange{Name: cp.Name, Description: "Ours.", SchemaID: cp.SchemaID, Data: cp.TemplateData.Data()}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		src, err = sp.UpdateTemplate(ctx, src.ID, store.TemplateChange{Name: src.Name, Description: "Theirs.", SchemaID: src.SchemaID, Data: src.TemplateData.Data()}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		m.publish(pub, src, cat, "First aid")
		_, err = marketplace.ApplyUpdate(ctx, sa, cp.ID, cp.Version, src.Version, nil, store.Actor{})
		var open marketplace.ErrChoices
		if !errors.As(err, &open) || !slices.Equal([]string(open), []string{"description"}) {
			t.Fatalf("open conflict: %v", err)
		}
		if a, _ := sa.Adoption(ctx, cp.ID); a.SourceVersion != 1 {
			t.Errorf("a refused merge moved the adoption to version %d", a.SourceVersion)
		}
		got, err := marketplace.ApplyUpdate(ctx, sa, cp.ID, cp.Version, src.Version, map[string]string{"description": marketplace.ChooseMine}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if *got.Description != "Ours." || got.SchemaID != cp.SchemaID {
			t.Errorf("kept mine: %q on schema %s (was %s)", *got.Description, got.SchemaID, cp.SchemaID)
		}
	})
}
