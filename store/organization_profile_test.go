package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func profileOf(o *store.Organization) store.OrganizationProfile {
	return store.OrganizationProfile{Name: o.Name, Slug: o.Slug, DID: o.DID, Type: o.Type, Domain: o.Domain,
		Description: o.Description, Website: o.Website, MetadataURI: o.MetadataURI, ContactEmail: o.ContactEmail}
}

func lastAudit(t *testing.T, db *store.DB, action string) store.AuditDetails {
	t.Helper()
	var l store.AuditLog
	if err := store.Gorm(db).Where("action = ?", action).Order("created_at DESC, id DESC").First(&l).Error; err != nil {
		t.Fatalf("no %s audit entry: %v", action, err)
	}
	return l.Details.Data()
}

// The profile's new columns (00006) round-trip on both dialects.
func TestOrganizationProfileColumns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Now().UTC().Truncate(time.Microsecond)
		o := &store.Organization{Name: "Cols", Slug: "cols", Type: store.OrganizationAssociation, Status: store.OrganizationSuspended,
			DID: "did:web:x:orgs:cols", Description: ptr("Line one\nline two"), Website: ptr("https://cols.example"),
			ContactEmail: ptr("office@cols.example"), LogoKey: ptr("orgs/x/logo-ab"), StatusReason: ptr("unpaid"), StatusChangedAt: &now}
		if err := db.CreateOrganization(context.Background(), o, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		back, err := db.OrganizationByID(context.Background(), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if *back.Description != *o.Description || *back.Website != *o.Website || *back.ContactEmail != *o.ContactEmail ||
			*back.LogoKey != *o.LogoKey || *back.StatusReason != "unpaid" || !back.StatusChangedAt.Equal(now) {
			t.Fatalf("read back %+v", back)
		}
	})
}

func TestUpdateProfile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := newOrg(t, db, "alpha", store.OrganizationActive), newOrg(t, db, "bravo", store.OrganizationActive)
		sa := db.Scoped(a.ID)
		actor := store.Actor{IP: "192.0.2.1"}

		// Nothing changed: nothing written.
		o, changes, err := sa.UpdateProfile(ctx, profileOf(a), actor)
		if err != nil || len(changes) != 0 || o.ID != a.ID || countAuditFor(t, db, "organization.profile_updated", a.ID) != 0 {
			t.Fatalf("no change: %v %v", changes, err)
		}

		p := profileOf(a)
		p.Name, p.Slug, p.DID, p.Type = "Alpha Academy", "alpha-academy", "did:web:x:orgs:alpha-academy", store.OrganizationEducational
		p.Domain, p.Description, p.Website = ptr("alpha.example"), ptr(strings.Repeat("é", 300)), ptr("https://alpha.example")
		p.MetadataURI, p.ContactEmail = ptr("https://alpha.example/issuer.json"), ptr("office@alpha.example")
		o, changes, err = sa.UpdateProfile(ctx, p, actor)
		if err != nil {
			t.Fatal(err)
		}
		if o.Slug != "alpha-academy" || o.DID != "did:web:x:orgs:alpha-academy" || *o.Domain != "alpha.example" || o.Verified ||
			*o.ContactEmail != "office@alpha.example" || o.Type != store.OrganizationEducational {
			t.Fatalf("stored %+v", o)
		}
		var fields []string
		for _, c := range changes {
			fields = append(fields, c.Field)
		}
		if got := strings.Join(fields, ","); got != "name,slug,did,type,domain,description,website,metadata_uri,contact_email" {
			t.Fatalf("changes %s", got)
		}
		d := lastAudit(t, db, "organization.profile_updated")
		if len(d.Changes) != 9 || !strings.Contains(d.Summary, "slug") || len([]rune(d.Changes[5].To)) != 201 {
			t.Fatalf("audit %+v", d)
		}

		// Verified survives other edits; a new domain clears it, and says so.
		if _, err := sa.MarkDomainVerified(ctx, "alpha.example", actor); err != nil {
			t.Fatal(err)
		}
		p.Description = nil
		if o, _, err = sa.UpdateProfile(ctx, p, actor); err != nil || !o.Verified || o.Description != nil {
			t.Fatalf("an edit that keeps the domain: verified %v, %v", o.Verified, err)
		}
		p.Domain = ptr("alpha.example.org")
		o, changes, err = sa.UpdateProfile(ctx, p, actor)
		if err != nil || o.Verified || len(changes) != 2 || changes[1].Field != "verified" || changes[1].From != "true" {
			t.Fatalf("new domain: verified %v changes %+v %v", o.Verified, changes, err)
		}
		// Removing the domain clears it too.
		if _, err := sa.MarkDomainVerified(ctx, "alpha.example.org", actor); err != nil {
			t.Fatal(err)
		}
		p.Domain = nil
		if o, _, err = sa.UpdateProfile(ctx, p, actor); err != nil || o.Verified || o.Domain != nil {
			t.Fatalf("no domain: %+v %v", o, err)
		}

		// Refusals: nothing written.
		before := countAuditFor(t, db, "organization.profile_updated", a.ID)
		taken := p
		taken.Slug, taken.DID = "bravo", "did:web:x:orgs:bravo"
		if _, _, err := sa.UpdateProfile(ctx, taken, actor); !errors.Is(err, store.ErrSlugTaken) {
			t.Fatalf("another organization's slug: %v", err)
		}
		named := p
		named.Name = strings.ToUpper(b.Name)
		if _, _, err := sa.UpdateProfile(ctx, named, actor); !errors.Is(err, store.ErrNameTaken) {
			t.Fatalf("another organization's name: %v", err)
		}
		bad := p
		bad.Website, bad.ContactEmail = ptr("javascript:alert(1)"), ptr("nobody")
		var fe store.FieldErrors
		if _, _, err := sa.UpdateProfile(ctx, bad, actor); !errors.As(err, &fe) || fe["website"] == "" || fe["contact_email"] == "" {
			t.Fatalf("invalid fields: %v", err)
		}
		if n := countAuditFor(t, db, "organization.profile_updated", a.ID); n != before {
			t.Fatalf("refusals audited: %d → %d", before, n)
		}
		if o, _ := db.OrganizationByID(ctx, a.ID); o.Slug != "alpha-academy" || o.Name != "Alpha Academy" {
			t.Fatalf("a refusal changed the row: %+v", o)
		}
		// Case alone is a change of one's own name, not a clash.
		p.Name = "ALPHA Academy"
		if _, _, err := sa.UpdateProfile(ctx, p, actor); err != nil {
			t.Fatal(err)
		}
		// Org B is untouched.
		if o, _ := db.OrganizationByID(ctx, b.ID); o.Slug != "bravo" || o.Name != b.Name {
			t.Fatalf("org B changed: %+v", o)
		}
	})
}

func TestMarkDomainVerified(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newOrg(t, db, "alpha", store.OrganizationActive)
		sa := db.Scoped(a.ID)
		if _, err := sa.MarkDomainVerified(ctx, "alpha.example", store.Actor{}); !errors.Is(err, store.ErrDomainChanged) {
			t.Fatalf("no domain: %v", err)
		}
		p := profileOf(a)
		p.Domain = ptr("alpha.example")
		if _, _, err := sa.UpdateProfile(ctx, p, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := sa.MarkDomainVerified(ctx, "other.example", store.Actor{}); !errors.Is(err, store.ErrDomainChanged) {
			t.Fatalf("another domain: %v", err)
		}
		if changed, err := sa.MarkDomainVerified(ctx, "alpha.example", store.Actor{}); err != nil || !changed {
			t.Fatalf("verify: %v %v", changed, err)
		}
		if changed, err := sa.MarkDomainVerified(ctx, "alpha.example", store.Actor{}); err != nil || changed {
			t.Fatalf("again: %v %v", changed, err)
		}
		if o, _ := db.OrganizationByID(ctx, a.ID); !o.Verified || countAuditFor(t, db, "organization.domain_verified", a.ID) != 1 {
			t.Fatal("not stored or not audited once")
		}
	})
}

func TestSetLogo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newOrg(t, db, "alpha", store.OrganizationActive)
		sa := db.Scoped(a.ID)
		for _, step := range []struct{ key, previous, action string }{
			{"orgs/a/logo-1", "", "organization.logo_changed"},
			{"orgs/a/logo-2", "orgs/a/logo-1", "organization.logo_changed"},
			{"orgs/a/logo-2", "orgs/a/logo-2", ""},
			{"", "orgs/a/logo-2", "organization.logo_removed"},
			{"", "", ""},
		} {
			before := countAuditFor(t, db, "organization.logo_changed", a.ID) + countAuditFor(t, db, "organization.logo_removed", a.ID)
			prev, err := sa.SetLogo(ctx, step.key, store.Actor{})
			if err != nil || prev != step.previous {
				t.Fatalf("set %q: previous %q %v, want %q", step.key, prev, err, step.previous)
			}
			after := countAuditFor(t, db, "organization.logo_changed", a.ID) + countAuditFor(t, db, "organization.logo_removed", a.ID)
			if (step.action != "") != (after == before+1) {
				t.Fatalf("set %q: audited %d → %d", step.key, before, after)
			}
			o, _ := db.OrganizationByID(ctx, a.ID)
			if got := ""; o.LogoKey != nil {
				got = *o.LogoKey
				if got != step.key {
					t.Fatalf("logo_key %q, want %q", got, step.key)
				}
			} else if step.key != "" {
				t.Fatalf("logo_key nil, want %q", step.key)
			}
		}
	})
}

func TestIssuerCategories(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := newOrg(t, db, "alpha", store.OrganizationActive), newOrg(t, db, "bravo", store.OrganizationActive)
		sa, sb := db.Scoped(a.ID), db.Scoped(b.ID)
		eng, err := sa.AddIssuerCategory(ctx, "Engineering", store.Actor{})
		if err != nil || eng.IssuerID != a.ID || countAuditFor(t, db, "organization.category_added", eng.ID) != 1 {
			t.Fatalf("add: %+v %v", eng, err)
		}
		if _, err := sa.AddIssuerCategory(ctx, "engineering", store.Actor{}); !errors.Is(err, store.ErrCategoryTaken) {
			t.Fatalf("same name, other case: %v", err)
		}
		if _, err := sa.AddIssuerCategory(ctx, "Art", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		// Another organization may have the same name.
		if _, err := sb.AddIssuerCategory(ctx, "Engineering", store.Actor{}); err != nil {
			t.Fatalf("org B: %v", err)
		}
		cs, err := sa.IssuerCategories(ctx)
		if err != nil || len(cs) != 2 || cs[0].Category != "Art" || cs[1].Category != "Engineering" {
			t.Fatalf("list: %+v %v", cs, err)
		}
		// Org B cannot remove org A's; malformed ids are not found either.
		for _, id := range []string{eng.ID, "nope", ""} {
			if _, err := sb.RemoveIssuerCategory(ctx, id, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("remove %q through org B: %v", id, err)
			}
		}
		if c, err := sa.RemoveIssuerCategory(ctx, eng.ID, store.Actor{}); err != nil || c.Category != "Engineering" {
			t.Fatalf("remove: %v", err)
		}
		if _, err := sa.RemoveIssuerCategory(ctx, eng.ID, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("remove twice: %v", err)
		}
		if countAuditFor(t, db, "organization.category_removed", eng.ID) != 1 {
			t.Fatal("removal not audited")
		}
		var fe store.FieldErrors
		if _, err := sa.AddIssuerCategory(ctx, "", store.Actor{}); !errors.As(err, &fe) {
			t.Fatalf("empty: %v", err)
		}
		// At most MaxIssuerCategories; concurrent additions respect it.
		var wg sync.WaitGroup
		errs := make(chan error, store.MaxIssuerCategories+5)
		for i := range store.MaxIssuerCategories + 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := sa.AddIssuerCategory(ctx, "Category "+string(rune('A'+i)), store.Actor{})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		refused := 0
		for err := range errs {
			switch {
			case errors.Is(err, store.ErrTooManyCategories):
				refused++
			case err != nil:
				t.Errorf("concurrent add: %v", err)
			}
		}
		if cs, _ := sa.IssuerCategories(ctx); len(cs) != store.MaxIssuerCategories || refused != 6 {
			t.Fatalf("%d categories, %d refused", len(cs), refused)
		}
	})
}
