package storetest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// A query with ten or more placeholders runs on PostgreSQL: $10 is written
// as such (one copy of this helper wrote ':' for it).
func TestRebindRunsOnEachDialect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q := "SELECT " + strings.Repeat("CAST(? AS INTEGER) + ", 11) + "CAST(? AS INTEGER)"
		args := make([]any, 12)
		want := 0
		for i := range args {
			args[i] = i + 1
			want += i + 1
		}
		var got int
		if err := db.SQL().QueryRowContext(context.Background(), storetest.Rebind(db.Dialect(), q), args...).Scan(&got); err != nil {
			t.Fatalf("%s: %v", storetest.Rebind(db.Dialect(), q), err)
		}
		if got != want {
			t.Fatalf("sum of 1..12 = %d, want %d", got, want)
		}
	})
}

// The plan of a lookup by an indexed column names the index on both
// dialects, although the table is empty (PostgreSQL would scan it).
func TestExplainShowsTheIndexAsForALargeTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		plan := strings.Join(storetest.Explain(t, db, "SELECT id FROM users WHERE organization_id = '00000000-0000-0000-0000-000000000000'", "enable_bitmapscan"), "\n")
		if !strings.Contains(plan, "idx_users_organization_id") {
			t.Fatalf("plan does not use idx_users_organization_id:\n%s", plan)
		}
	})
}
