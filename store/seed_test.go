package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Seed commits everything or nothing, and never runs on a database with data.
func TestSeedIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := db.Seed(ctx, func(create func(any) error) error {
			org := &store.Organization{Name: "A", Slug: "a", Type: store.OrganizationCorporate, DID: "did:web:x:orgs:a"}
			if err := create(org); err != nil {
				return err
			}
			if err := create(&store.User{Email: "a@a.example", OrganizationID: &org.ID}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		counts, err := db.TableCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for table, n := range counts {
			if n != 0 {
				t.Errorf("%s has %d rows after a failed seed", table, n)
			}
		}
		err = db.Seed(ctx, func(create func(any) error) error {
			return create(&store.Organization{Name: "A", Slug: "a", Type: store.OrganizationCorporate, DID: "did:web:x:orgs:a"})
		})
		if err != nil {
			t.Fatal(err)
		}
		ran := false
		err = db.Seed(ctx, func(func(any) error) error { ran = true; return nil })
		if !errors.Is(err, store.ErrNotEmpty) || ran {
			t.Fatalf("seed on a database with data: err %v, ran %v", err, ran)
		}
	})
}
