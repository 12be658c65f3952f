package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// auditFixture: orgs A and B, a user in each, and n entries in A (two at a
// time share a timestamp, so that ties are broken by id), alternating
// between two actions, plus 3 entries in B and 2 platform entries.
func auditFixture(t *testing.T, db *store.DB, n int) (a, b *store.Organization, base time.Time) {
	t.Helper()
	ctx := context.Background()
	a, b = newOrg(t, db, "a", store.OrganizationActive), newOrg(t, db, "b", store.OrganizationActive)
	ua := &store.User{Email: "alice@a.example", OrganizationID: &a.ID, Role: store.RoleAdmin}
	ub := &store.User{Email: "bob@b.example", OrganizationID: &b.ID, Role: store.RoleAdmin}
	for _, u := range []*store.User{ua, ub} {
		if err := db.CreateUser(ctx, u, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	// Remove what setup wrote, so that counts are exact.
	if err := store.Gorm(db).Exec("DELETE FROM audit_logs").Error; err != nil {
		t.Fatal(err)
	}
	base = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var rows []*store.AuditLog
	for i := range n {
		action := "login.failed"
		if i%2 == 1 {
			action = "apikey.created"
		}
		rows = append(rows, &store.AuditLog{UserID: &ua.ID, OrganizationID: &a.ID, Action: action, ResourceType: "user",
			CreatedAt: base.Add(time.Duration(i/2) * time.Minute)})
	}
	for i := range 3 {
		rows = append(rows, &store.AuditLog{UserID: &ub.ID, OrganizationID: &b.ID, Action: "login.failed", ResourceType: "user",
			CreatedAt: base.Add(time.Duration(i) * time.Minute)})
	}
	rows = append(rows, &store.AuditLog{Action: "setup.completed", ResourceType: "user", CreatedAt: base},
		&store.AuditLog{Action: "login.failed", ResourceType: "user", CreatedAt: base.Add(-time.Hour)})
	if err := store.Gorm(db).CreateInBatches(rows, 100).Error; err != nil {
		t.Fatal(err)
	}
	return a, b, base
}

// all pages through the trail and returns every entry, checking the order.
func all(t *testing.T, get func(store.AuditFilter) (store.AuditPage, error), f store.AuditFilter) []store.AuditEntry {
	t.Helper()
	var out []store.AuditEntry
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("pagination does not end")
		}
		p, err := get(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) > max(f.Limit, 1) && f.Limit > 0 {
			t.Fatalf("page of %d entries, limit %d", len(p.Entries), f.Limit)
		}
		out = append(out, p.Entries...)
		if p.Next == nil {
			break
		}
		// The token survives a round trip through a URL.
		c, err := store.ParseCursor(p.Next.String())
		if err != nil {
			t.Fatal(err)
		}
		f.Before = c
	}
	for i := 1; i < len(out); i++ {
		prev, cur := out[i-1], out[i]
		if cur.CreatedAt.After(prev.CreatedAt) || cur.CreatedAt.Equal(prev.CreatedAt) && cur.ID >= prev.ID {
			t.Fatalf("entries %d and %d out of order", i-1, i)
		}
	}
	return out
}

func TestAuditLogsFilterAndPaginate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 57
		a, b, base := auditFixture(t, db, n)
		org := func(f store.AuditFilter) (store.AuditPage, error) { return db.Scoped(a.ID).AuditLogs(ctx, f) }
		platform := func(f store.AuditFilter) (store.AuditPage, error) { return db.AllAuditLogs(ctx, f) }

		got := all(t, org, store.AuditFilter{Limit: 10})
		if len(got) != n {
			t.Fatalf("org A paged through %d entries, want %d", len(got), n)
		}
		ids := map[string]bool{}
		for _, e := range got {
			if ids[e.ID] {
				t.Fatalf("entry %s on two pages", e.ID)
			}
			ids[e.ID] = true
			if e.OrganizationID == nil || *e.OrganizationID != a.ID || e.ActorEmail == nil || *e.ActorEmail != "alice@a.example" {
				t.Fatalf("org A sees %+v", e)
			}
		}
		if got := all(t, platform, store.AuditFilter{Limit: 7}); len(got) != n+5 {
			t.Fatalf("platform sees %d entries, want %d", len(got), n+5)
		}
		if p, _ := db.Scoped(b.ID).AuditLogs(ctx, store.AuditFilter{}); len(p.Entries) != 3 || p.Next != nil {
			t.Fatalf("org B sees %d entries", len(p.Entries))
		}
		// Default page size.
		if p, _ := org(store.AuditFilter{}); len(p.Entries) != store.DefaultAuditPage || p.Next == nil {
			t.Fatalf("default page: %d entries", len(p.Entries))
		}

		count := func(get func(store.AuditFilter) (store.AuditPage, error), f store.AuditFilter) int {
			f.Limit = 20
			return len(all(t, get, f))
		}
		cases := []struct {
			name string
			get  func(store.AuditFilter) (store.AuditPage, error)
			f    store.AuditFilter
			want int
		}{
			{"action prefix", org, store.AuditFilter{Action: "LOGIN"}, (n + 1) / 2},
			{"action exact", org, store.AuditFilter{Action: "apikey.created"}, n / 2},
			{"action wildcard is literal", org, store.AuditFilter{Action: "%"}, 0},
			{"actor email part", org, store.AuditFilter{ActorEmail: "ALICE@"}, n},
			{"actor email wildcard is literal", org, store.AuditFilter{ActorEmail: "_"}, 0},
			{"other org's actor", org, store.AuditFilter{ActorEmail: "bob"}, 0},
			{"resource type", org, store.AuditFilter{ResourceType: "user"}, n},
			{"resource type exact", org, store.AuditFilter{ResourceType: "use"}, 0},
			{"from", org, store.AuditFilter{From: base.Add(10 * time.Minute)}, n - 20},
			{"to", org, store.AuditFilter{To: base.Add(10 * time.Minute)}, 20},
			{"range", org, store.AuditFilter{From: base.Add(5 * time.Minute), To: base.Add(6 * time.Minute)}, 2},
			{"platform actor", platform, store.AuditFilter{ActorEmail: "bob@b.example"}, 3},
			{"platform action", platform, store.AuditFilter{Action: "setup."}, 1},
			{"everything combined", org, store.AuditFilter{ActorEmail: "alice", Action: "login.failed", ResourceType: "user",
				From: base, To: base.Add(3 * time.Minute)}, 3},
		}
		for _, tc := range cases {
			if got := count(tc.get, tc.f); got != tc.want {
				t.Errorf("%s: %d entries, want %d", tc.name, got, tc.want)
			}
		}
		// Platform entries name the organization.
		p, err := platform(store.AuditFilter{ActorEmail: "bob"})
		if err != nil || len(p.Entries) == 0 || p.Entries[0].OrganizationName == nil || *p.Entries[0].OrganizationName != "b" {
			t.Fatalf("platform entry without its organization: %+v %v", p.Entries, err)
		}
	})
}

// The pages are read through the (organization_id, created_at, id) and
// (created_at, id) indexes, without sorting the table: the thousandth page
// costs what the first does.
func TestAuditLogsUseTheIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _, base := auditFixture(t, db, 10)
		f := store.AuditFilter{Before: &store.Cursor{At: base.Add(3 * time.Minute), ID: "ffffffff-ffff-7fff-bfff-ffffffffffff"}}
		queries := map[string]string{
			"idx_audit_logs_organization_created_at": store.AuditSQL(db, a.ID, f),
			"idx_audit_logs_created_at_id":           store.AuditSQL(db, "", f),
		}
		for index, q := range queries {
			plan := storetest.Explain(t, db, q)
			text := strings.Join(plan, "\n")
			sorts := slices.ContainsFunc(plan, func(s string) bool {
				return strings.Contains(s, "TEMP B-TREE") || strings.Contains(s, "Sort")
			})
			// The scan starts at the cursor: it is an index condition, not a filter.
			seeks := strings.Contains(text, "(created_at,id)<(?,?)") || strings.Contains(text, "Index Cond: ((organization_id = ") && strings.Contains(text, "ROW(created_at, id) <") || strings.Contains(text, "Index Cond: (ROW(created_at, id) <")
			if !strings.Contains(text, index) || sorts || !seeks {
				t.Errorf("plan does not read %s from the cursor on, in order:\n%s\n%s", index, q, text)
			}
		}
	})
}
