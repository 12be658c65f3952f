package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Concurrent first uses of the API schema agree on one row, created once
// (and audited once); another organization gets its own.
func TestAPISchemaRaceSafe(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, b := newOrg(t, db, "acme", store.OrganizationActive), newOrg(t, db, "bolt", store.OrganizationActive)
		const n = 8
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cs, err := db.Scoped(a.ID).APISchema(context.Background())
				if err == nil {
					ids[i] = cs.ID
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("call %d: %q %v (first %q)", i, ids[i], errs[i], ids[0])
			}
		}
		var count int64
		if err := store.Gorm(db).Model(&store.CredentialSchema{}).Where("organization_id = ?", a.ID).Count(&count).Error; err != nil || count != 1 {
			t.Fatalf("%d schemas (%v)", count, err)
		}
		if c := countAuditFor(t, db, "schema.created", ids[0]); c != 1 {
			t.Fatalf("%d audit entries", c)
		}
		other, err := db.Scoped(b.ID).APISchema(context.Background())
		if err != nil || other.ID == ids[0] || other.OrganizationID != b.ID || other.Name != store.APISchemaName || !other.Active {
			t.Fatalf("B's schema %+v %v", other, err)
		}
	})
}
