package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func templateChange(schemaID, name string) store.TemplateChange {
	return store.TemplateChange{Name: name, SchemaID: schemaID, Data: store.TemplateData{Kind: store.TemplateDiploma, ValidityDays: 365}}
}

func TestTemplates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, "uni", store.OrganizationActive)
		s := db.Scoped(org.ID)
		cs, err := s.CreateSchema(ctx, schemaChange("Degree", "1", "degree", "major"), actor)
		if err != nil {
			t.Fatal(err)
		}
		c := templateChange(cs.ID, "BSc")
		c.Data.Defaults = map[string]string{"degree": "Bachelor of Science", "major": " "}
		tpl, err := s.CreateTemplate(ctx, c, actor)
		if err != nil {
			t.Fatal(err)
		}
		d := tpl.TemplateData.Data()
		if !tpl.Active || d.Cryptosuite != store.CryptosuiteEdDSARDFC || len(d.Defaults) != 1 || countAuditFor(t, db, "template.created", tpl.ID) != 1 {
			t.Fatalf("created %+v %+v", tpl, d)
		}

		bad := []struct {
			name string
			fn   func(*store.TemplateChange)
			key  string
		}{
			{"no name", func(c *store.TemplateChange) { c.Name = " " }, "name"},
			{"name with NUL", func(c *store.TemplateChange) { c.Name = "BSc\x00" }, "name"},
			{"name with an override", func(c *store.TemplateChange) { c.Name = "BSc \u202Ecsb" }, "name"},
			{"description with an escape", func(c *store.TemplateChange) { c.Description = "a\nb\x1b" }, "description"},
			{"unknown kind", func(c *store.TemplateChange) { c.Data.Kind = "poster" }, "kind"},
			{"unknown suite", func(c *store.TemplateChange) { c.Data.Cryptosuite = "ecdsa-rdfc-2019" }, "cryptosuite"},
			{"negative validity", func(c *store.TemplateChange) { c.Data.ValidityDays = -1 }, "validity_days"},
			{"badge without achievement", func(c *store.TemplateChange) { c.Data.Kind = store.TemplateBadge }, "achievement_name"},
			{"bad image", func(c *store.TemplateChange) { c.Data.Display.ImageURL = "javascript:alert(1)" }, "display_image_url"},
			{"default of no field", func(c *store.TemplateChange) { c.Data.Defaults = map[string]string{"gpa": "4"} }, "default_gpa"},
			{"alignment without a name", func(c *store.TemplateChange) { alignTo(c, store.Alignment{TargetURL: "https://esco.test/s/1"}) }, "alignment.0.target_name"},
			{"alignment without a URL", func(c *store.TemplateChange) { alignTo(c, store.Alignment{TargetName: "Go"}) }, "alignment.0.target_url"},
			{"alignment to a script", func(c *store.TemplateChange) {
				alignTo(c, store.Alignment{TargetName: "Go", TargetURL: "https://esco.test/s/1"}, store.Alignment{TargetName: "Go", TargetURL: "javascript:alert(1)"})
			}, "alignment.1.target_url"},
			{"21 alignments", func(c *store.TemplateChange) {
				alignTo(c, make([]store.Alignment, store.MaxAlignments+1)...)
				for i := range c.Data.Achievement.Alignment {
					c.Data.Achievement.Alignment[i] = store.Alignment{TargetName: "Go", TargetURL: "https://esco.test/s/1"}
				}
			}, "alignment"},
			{"unknown schema", func(c *store.TemplateChange) { c.SchemaID = uuid.NewString() }, "schema_id"},
			{"not an id", func(c *store.TemplateChange) { c.SchemaID = "x" }, "schema_id"},
		}
		for _, b := range bad {
			c := templateChange(cs.ID, "T")
			b.fn(&c)
			if _, err := s.CreateTemplate(ctx, c, actor); fieldError(err, b.key) == "" {
				t.Errorf("%s: %v, want an error for %s", b.name, err, b.key)
			}
		}

		// Update, list, deactivate and activate.
		badge := templateChange(cs.ID, "BSc badge")
		badge.IsPublic = true
		badge.Data = store.TemplateData{Kind: store.TemplateBadge, Cryptosuite: store.CryptosuiteEdDSAJCS,
			Achievement: &store.Achievement{Name: "BSc", ImageURL: "https://x.test/b.png", Alignment: []store.Alignment{
				{TargetName: "Physics", TargetURL: "https://esco.test/s/physics", TargetFramework: "ESCO", TargetCode: "P1"}}},
			Display: store.TemplateDisplay{Title: "Bachelor"}}
		tpl, err = s.UpdateTemplate(ctx, tpl.ID, badge, actor)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Template(ctx, tpl.ID)
		if err != nil || got.Name != "BSc badge" || !got.IsPublic || got.TemplateData.Data().Achievement.Name != "BSc" ||
			len(got.TemplateData.Data().Achievement.Alignment) != 1 || got.TemplateData.Data().Achievement.Alignment[0].TargetFramework != "ESCO" || got.Schema.ID != cs.ID {
			t.Fatalf("updated %+v %v", got, err)
		}
		list, err := s.Templates(ctx)
		if err != nil || len(list) != 1 || list[0].SchemaName != "Degree" || list[0].SchemaVersion != "1" {
			t.Fatalf("list %+v %v", list, err)
		}
		if _, err := s.SetTemplateActive(ctx, tpl.ID, false, actor); err != nil || countAuditFor(t, db, "template.deactivated", tpl.ID) != 1 {
			t.Fatal(err)
		}
		// An inactive schema takes no new template and activates none.
		if _, err := s.SetSchemaActive(ctx, cs.ID, false, actor); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetTemplateActive(ctx, tpl.ID, true, actor); !errors.Is(err, store.ErrSchemaInactive) {
			t.Fatalf("activate on an inactive schema: %v", err)
		}
		if _, err := s.CreateTemplate(ctx, templateChange(cs.ID, "T2"), actor); fieldError(err, "schema_id") == "" {
			t.Fatalf("template on an inactive schema: %v", err)
		}
	})
}

// alignTo makes c a badge aligned to the targets.
func alignTo(c *store.TemplateChange, targets ...store.Alignment) {
	c.Data.Kind = store.TemplateBadge
	c.Data.Achievement = &store.Achievement{Name: "Badge", Alignment: targets}
}

// Org B's handle sees nothing of org A's schemas and templates, and cannot
// change them or build on them.
func TestSchemasAndTemplatesTenancy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := newOrg(t, db, "a-org", store.OrganizationActive), newOrg(t, db, "b-org", store.OrganizationActive)
		sa, sb := db.Scoped(a.ID), db.Scoped(b.ID)
		cs, err := sa.CreateSchema(ctx, schemaChange("Degree", "1", "degree"), actor)
		if err != nil {
			t.Fatal(err)
		}
		tpl, err := sa.CreateTemplate(ctx, templateChange(cs.ID, "BSc"), actor)
		if err != nil {
			t.Fatal(err)
		}
		checks := map[string]error{}
		_, checks["Schema"] = sb.Schema(ctx, cs.ID)
		_, checks["SchemaInUse"] = sb.SchemaInUse(ctx, cs.ID)
		_, checks["UpdateSchema"] = sb.UpdateSchema(ctx, cs.ID, schemaChange("X", "9", "x"), actor)
		_, checks["NewSchemaVersion"] = sb.NewSchemaVersion(ctx, cs.ID, schemaChange("", "", "x"), actor)
		_, checks["SetSchemaActive"] = sb.SetSchemaActive(ctx, cs.ID, false, actor)
		_, checks["Template"] = sb.Template(ctx, tpl.ID)
		_, checks["UpdateTemplate"] = sb.UpdateTemplate(ctx, tpl.ID, templateChange(cs.ID, "X"), actor)
		_, checks["SetTemplateActive"] = sb.SetTemplateActive(ctx, tpl.ID, false, actor)
		_, checks["Schema(not an id)"] = sb.Schema(ctx, "not-an-id")
		for name, err := range checks {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s with org A's id through org B: %v, want ErrNotFound", name, err)
			}
		}
		if _, err := sb.CreateTemplate(ctx, templateChange(cs.ID, "Mine"), actor); fieldError(err, "schema_id") == "" {
			t.Errorf("org B built a template on org A's schema: %v", err)
		}
		if l, _ := sb.Schemas(ctx); len(l) != 0 {
			t.Errorf("org B lists %d schemas", len(l))
		}
		if l, _ := sb.Templates(ctx); len(l) != 0 {
			t.Errorf("org B lists %d templates", len(l))
		}
		// Org B may use the same name and version.
		if _, err := sb.CreateSchema(ctx, schemaChange("Degree", "1", "degree"), actor); err != nil {
			t.Errorf("org B's own Degree 1: %v", err)
		}
		// Nothing of A's changed.
		got, _ := sa.Schema(ctx, cs.ID)
		gt, _ := sa.Template(ctx, tpl.ID)
		if got.Name != "Degree" || !got.Active || gt.Name != "BSc" || !gt.Active {
			t.Errorf("org A's rows changed: %+v %+v", got, gt)
		}
	})
}
