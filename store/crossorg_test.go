package store_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func TestCrossOrgPublicTemplates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g := store.Gorm(db)
		base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		n := 0
		// template adds a template of o, each one a minute newer than the last.
		template := func(o *store.Organization, name string, public, active bool) *store.CredentialTemplate {
			t.Helper()
			n++
			cs := &store.CredentialSchema{Name: name + " schema", Version: "2", OrganizationID: o.ID, Active: true,
				Fields: datatypes.NewJSONSlice([]store.SchemaField{{Name: "x", Label: "X", Type: store.SchemaFieldText}})}
			if err := g.Create(cs).Error; err != nil {
				t.Fatal(err)
			}
			at := base.Add(time.Duration(n) * time.Minute)
			tpl := &store.CredentialTemplate{Name: name, OrganizationID: o.ID, SchemaID: cs.ID, IsPublic: public, Active: active,
				CreatedAt: at, UpdatedAt: at}
			if err := g.Create(tpl).Error; err != nil {
				t.Fatal(err)
			}
			return tpl
		}
		uni := newOrg(t, db, "uni", store.OrganizationActive)
		school := newOrg(t, db, "school", store.OrganizationActive)
		pending := newOrg(t, db, "pending", store.OrganizationPending)
		suspended := newOrg(t, db, "suspended", store.OrganizationSuspended)
		revoked := newOrg(t, db, "revoked", store.OrganizationRevoked)
		older := template(uni, "Diploma", true, true)
		template(uni, "Internal", false, true) // private
		template(uni, "Retired", true, false)  // deactivated
		template(pending, "Pending course", true, true)
		template(suspended, "Suspended course", true, true)
		template(revoked, "Revoked course", true, true)
		newer := template(school, "Certificate", true, true)

		co := db.CrossOrg()
		all, err := co.PublicTemplates(ctx, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range all.Templates {
			names = append(names, p.Name)
		}
		if len(names) != 2 || names[0] != "Certificate" || names[1] != "Diploma" || all.Next != nil {
			t.Fatalf("public templates %q (next %v), want Certificate, Diploma and no next page", names, all.Next)
		}
		d := all.Templates[1]
		if d.ID != older.ID || d.SchemaID != older.SchemaID || d.SchemaName != "Diploma schema" || d.SchemaVersion != "2" ||
			d.IssuerID != uni.ID || d.IssuerName != uni.Name || d.IssuerSlug != "uni" || !d.CreatedAt.Equal(older.CreatedAt) {
			t.Fatalf("Diploma is %+v", d)
		}

		first, err := co.PublicTemplates(ctx, nil, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(first.Templates) != 1 || first.Templates[0].ID != newer.ID || first.Next == nil {
			t.Fatalf("first page %+v", first)
		}
		c, err := store.ParseCursor(first.Next.String())
		if err != nil {
			t.Fatal(err)
		}
		second, err := co.PublicTemplates(ctx, c, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(second.Templates) != 1 || second.Templates[0].ID != older.ID || second.Next != nil {
			t.Fatalf("second page %+v", second)
		}

		// Suspending an organization takes its templates out at once.
		if err := g.Model(&store.Organization{}).Where("id = ?", school.ID).Update("status", store.OrganizationSuspended).Error; err != nil {
			t.Fatal(err)
		}
		after, err := co.PublicTemplates(ctx, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(after.Templates) != 1 || after.Templates[0].ID != older.ID {
			t.Fatalf("after suspending school: %+v", after.Templates)
		}
	})
}
