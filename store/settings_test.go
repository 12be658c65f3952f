package store_test

import (
	"context"
	"testing"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func TestSetRequireMFA(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newAccountFixture(t, db)
		other := &store.Organization{Name: "Other", Slug: "other", Type: store.OrganizationCorporate, Status: store.OrganizationActive,
			DID: "did:web:example.org:orgs:other"}
		if err := db.CreateOrganization(ctx, other, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		s := db.Scoped(f.org.ID)
		for _, tc := range []struct{ on, changed bool }{{true, true}, {true, false}, {false, true}, {true, true}} {
			changed, err := s.SetRequireMFA(ctx, tc.on, store.Actor{})
			if err != nil || changed != tc.changed {
				t.Fatalf("SetRequireMFA(%v): changed %v (%v), want %v", tc.on, changed, err, tc.changed)
			}
		}
		if o, _ := s.Organization(ctx); !o.RequireMFA {
			t.Fatal("require_mfa not set")
		}
		if o, _ := db.OrganizationByID(ctx, other.ID); o.RequireMFA {
			t.Fatal("another organization changed")
		}
		if n := countAudit(t, db, "org.require_mfa_changed"); n != 3 {
			t.Fatalf("org.require_mfa_changed audited %d times, want 3", n)
		}
	})
}
