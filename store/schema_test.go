package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

var actor = store.Actor{IP: "192.0.2.1", UserAgent: "test"}

func schemaChange(name, version string, fields ...string) store.SchemaChange {
	c := store.SchemaChange{Name: name, Version: version, Definition: json.RawMessage(`{"type": "object"}`)}
	for _, f := range fields {
		c.Fields = append(c.Fields, store.SchemaField{Name: f, Label: f, Type: store.SchemaFieldText})
	}
	return c
}

func fieldError(err error, key string) string {
	var fe store.FieldErrors
	if !errors.As(err, &fe) {
		return ""
	}
	return fe[key]
}

// issueWith inserts a credential that references the schema, as issuance will.
func issueWith(t *testing.T, db *store.DB, cs *store.CredentialSchema) {
	t.Helper()
	c := &store.Credential{PublicID: uuid.NewString(), SchemaID: cs.ID, IssuerID: cs.OrganizationID,
		RecipientAddress: "ada@example.com", Status: store.CredentialActive}
	if err := store.Gorm(db).Create(c).Error; err != nil {
		t.Fatal(err)
	}
}

func TestSchemasVersioning(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, "uni", store.OrganizationActive)
		s := db.Scoped(org.ID)
		cs, err := s.CreateSchema(ctx, schemaChange(" Degree ", "1.0", "degree"), actor)
		if err != nil {
			t.Fatal(err)
		}
		if cs.Name != "Degree" || !cs.Active || cs.OrganizationID != org.ID || countAuditFor(t, db, "schema.created", cs.ID) != 1 {
			t.Fatalf("created %+v", cs)
		}
		if _, err := s.CreateSchema(ctx, schemaChange("Degree", "1.0", "x"), actor); fieldError(err, "version") != "a schema with this name and version exists" {
			t.Fatalf("duplicate: %v", err)
		}
		if _, err := s.CreateSchema(ctx, schemaChange("", "", "x"), actor); fieldError(err, "name") == "" || fieldError(err, "version") == "" {
			t.Fatalf("blank: %v", err)
		}
		bad := schemaChange("X", "1")
		bad.Definition = json.RawMessage(`[]`)
		if _, err := s.CreateSchema(ctx, bad, actor); fieldError(err, "schema_definition") == "" {
			t.Fatalf("array definition: %v", err)
		}

		// Not in use: changed in place, what changed audited.
		up := schemaChange("Degree", "1.0", "degree", "major")
		up.Definition = json.RawMessage(`{"type": "object", "description": "kept as written", "x-note": 1}`)
		cs, err = s.UpdateSchema(ctx, cs.ID, up, actor)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Schema(ctx, cs.ID)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(got.SchemaDefinition, &doc); err != nil || doc["x-note"] != 1.0 || len(got.Fields) != 2 {
			t.Fatalf("stored %s %v", got.SchemaDefinition, got.Fields)
		}
		if countAuditFor(t, db, "schema.updated", cs.ID) != 1 {
			t.Fatal("update not audited")
		}
		if _, err := s.UpdateSchema(ctx, cs.ID, up, actor); err != nil || countAuditFor(t, db, "schema.updated", cs.ID) != 1 {
			t.Fatalf("an unchanged save wrote: %v", err)
		}
		if used, err := s.SchemaInUse(ctx, cs.ID); used || err != nil {
			t.Fatalf("in use before any credential: %v %v", used, err)
		}

		// In use: immutable; a new version instead.
		issueWith(t, db, cs)
		if used, _ := s.SchemaInUse(ctx, cs.ID); !used {
			t.Fatal("not in use with a credential")
		}
		if _, err := s.UpdateSchema(ctx, cs.ID, schemaChange("Degree", "1.0", "other"), actor); !errors.Is(err, store.ErrSchemaInUse) {
			t.Fatalf("update in use: %v", err)
		}
		// 1.1 is taken already: the next free version is 1.2.
		if _, err := s.CreateSchema(ctx, schemaChange("Degree", "1.1", "degree"), actor); err != nil {
			t.Fatal(err)
		}
		v2, err := s.NewSchemaVersion(ctx, cs.ID, schemaChange("ignored", "", "degree", "major", "year"), actor)
		if err != nil {
			t.Fatal(err)
		}
		if v2.Name != "Degree" || v2.Version != "1.2" || v2.ID == cs.ID || len(v2.Fields) != 3 || countAuditFor(t, db, "schema.versioned", v2.ID) != 1 {
			t.Fatalf("new version %+v", v2)
		}
		old, _ := s.Schema(ctx, cs.ID)
		if old.Version != "1.0" || len(old.Fields) != 2 {
			t.Fatalf("the old version changed: %+v", old)
		}
		if _, err := s.NewSchemaVersion(ctx, cs.ID, schemaChange("", "1.2", "degree"), actor); fieldError(err, "version") == "" {
			t.Fatalf("a taken version given: %v", err)
		}
		if v, err := s.NewSchemaVersion(ctx, cs.ID, schemaChange("", "2.0", "degree"), actor); err != nil || v.Version != "2.0" {
			t.Fatalf("a given version: %v %v", v, err)
		}
		versions, err := s.SchemaVersions(ctx, "Degree")
		if err != nil || len(versions) != 4 {
			t.Fatalf("versions %d %v", len(versions), err)
		}

		// The list: in use flag and template counts.
		if _, err := s.CreateTemplate(ctx, templateChange(v2.ID, "BSc"), actor); err != nil {
			t.Fatal(err)
		}
		list, err := s.Schemas(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range list {
			if it.InUse != (it.ID == cs.ID) || (it.Templates == 1) != (it.ID == v2.ID) {
				t.Errorf("%s %s: in use %v, templates %d", it.Name, it.Version, it.InUse, it.Templates)
			}
		}

		// Deactivate, audited once.
		if x, err := s.SetSchemaActive(ctx, cs.ID, false, actor); err != nil || x.Active {
			t.Fatalf("deactivate: %v", err)
		}
		if _, err := s.SetSchemaActive(ctx, cs.ID, false, actor); err != nil || countAuditFor(t, db, "schema.deactivated", cs.ID) != 1 {
			t.Fatalf("deactivate twice: %v", err)
		}
	})
}

func TestNextVersion(t *testing.T) {
	for in, want := range map[string]string{"1.0": "1.1", "2": "3", "1.9": "1.10", "v2.0.9": "v2.0.10", "beta": "beta.1", "": ".1", "2024-01": "2024-02"} {
		if got := store.NextVersion(in); got != want {
			t.Errorf("NextVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
