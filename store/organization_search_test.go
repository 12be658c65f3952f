package store_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

var (
	allStatuses = []store.OrganizationStatus{store.OrganizationPending, store.OrganizationActive, store.OrganizationSuspended, store.OrganizationRevoked}
	allTypes    = []store.OrganizationType{store.OrganizationEducational, store.OrganizationProfessional, store.OrganizationGovernment,
		store.OrganizationCorporate, store.OrganizationAssociation}
)

// consoleFixture creates n organizations with ties in the created_at and
// status sort keys (three to an hour of created_at, statuses in pairs).
// Names are unique ignoring case (00006's index) but share words that
// differ only in case, and fold ASCII letters only: "École" sorts after
// "Zenith" (bytes are compared).
func consoleFixture(t *testing.T, db *store.DB, n int) []store.Organization {
	t.Helper()
	words := []string{"Community", "community", "Unity", "Alder", "Birch", "BIRCH", "Cedar", "Municipal", "Zenith", "alder", "Quarry", "École", "ÉCOLE"}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	orgs := make([]store.Organization, n)
	for i := range orgs {
		word := words[i%len(words)]
		name := fmt.Sprintf("%s %03d", word, i)
		slug := fmt.Sprintf("%s-%02d", strings.Map(func(r rune) rune {
			if r > 'z' {
				return 'e'
			}
			return r
		}, asciiLower(word)), i)
		o := store.Organization{Name: name, Slug: slug, DID: "did:web:x:orgs:" + slug, Type: allTypes[i%len(allTypes)],
			Status: allStatuses[(i/2)%len(allStatuses)], Verified: i%3 == 0, CreatedAt: base.Add(time.Duration(i/3) * time.Hour)}
		switch i % 4 {
		case 0:
			d := fmt.Sprintf("org%d.example.edu", i)
			o.Domain = &d
		case 1:
			d := fmt.Sprintf("unicorn%d.example.com", i)
			o.Domain = &d
		}
		orgs[i] = o
	}
	if err := store.Gorm(db).CreateInBatches(orgs, 50).Error; err != nil {
		t.Fatal(err)
	}
	return orgs
}

func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// want is the fixture filtered and sorted as the console should show it.
func want(orgs []store.Organization, f store.OrganizationFilter) []string {
	term := asciiLower(strings.TrimSpace(f.Query))
	var out []store.Organization
	for _, o := range orgs {
		domain := ""
		if o.Domain != nil {
			domain = *o.Domain
		}
		switch {
		case f.Type != "" && o.Type != f.Type, f.Status != "" && o.Status != f.Status, f.Verified != nil && o.Verified != *f.Verified,
			!strings.Contains(asciiLower(o.Name+"\n"+o.Slug+"\n"+domain), term):
			continue
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b store.Organization) int {
		var c int
		switch f.Sort {
		case store.SortOrganizationsByName:
			c = cmp.Compare(asciiLower(a.Name), asciiLower(b.Name))
		case store.SortOrganizationsByStatus:
			c = cmp.Or(cmp.Compare(a.Status, b.Status), a.CreatedAt.Compare(b.CreatedAt))
		default:
			c = a.CreatedAt.Compare(b.CreatedAt)
		}
		c = cmp.Or(c, cmp.Compare(a.ID, b.ID))
		if f.Desc {
			return -c
		}
		return c
	})
	ids := make([]string, len(out))
	for i, o := range out {
		ids[i] = o.ID
	}
	return ids
}

func ids(entries []store.OrganizationEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.ID
	}
	return out
}

// roundTrip passes a cursor through its token, as a link does.
func roundTrip(t *testing.T, c *store.Cursor) *store.Cursor {
	t.Helper()
	if c == nil {
		return nil
	}
	back, err := store.ParseCursor(c.String())
	if err != nil {
		t.Fatalf("cursor %+v does not survive its token: %v", c, err)
	}
	return back
}

// pages follows Next from the first page, then Prev back from the last,
// checking that both ways give the same pages.
func pages(t *testing.T, db *store.DB, f store.OrganizationFilter, limit int) []string {
	t.Helper()
	ctx := context.Background()
	var seen [][]string
	p := store.OrganizationPage{Limit: limit}
	for {
		l, err := db.AllOrganizations(ctx, f, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Entries) > limit || len(seen) > 100 {
			t.Fatalf("page %d has %d entries (limit %d)", len(seen), len(l.Entries), limit)
		}
		if (l.Prev == nil) != (len(seen) == 0) {
			t.Fatalf("page %d: Prev %v", len(seen), l.Prev)
		}
		seen = append(seen, ids(l.Entries))
		if l.Next == nil {
			break
		}
		p = store.OrganizationPage{After: roundTrip(t, l.Next), Limit: limit}
	}
	// Back from the last page, each Previous is the page seen before it.
	last, err := db.AllOrganizations(ctx, f, p)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(seen) - 1; i > 0; i-- {
		if last.Prev == nil {
			t.Fatalf("page %d has no Prev", i)
		}
		prev, err := db.AllOrganizations(ctx, f, store.OrganizationPage{Before: roundTrip(t, last.Prev), Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(prev.Entries), seen[i-1]) {
			t.Fatalf("Previous of page %d is\n%v\nwant\n%v", i, ids(prev.Entries), seen[i-1])
		}
		if prev.Next == nil || (prev.Prev == nil) != (i == 1) {
			t.Fatalf("page %d reached backwards: Next %v, Prev %v", i-1, prev.Next, prev.Prev)
		}
		last = prev
	}
	var all []string
	for _, s := range seen {
		all = append(all, s...)
	}
	return all
}

// Every filter, search and order, paged forwards and backwards by cursor
// through ties in every sort key, both ways of answering a search.
func TestAllOrganizationsFilterSortAndPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		orgs := consoleFixture(t, db, 66)
		yes, no := true, false
		filters := []store.OrganizationFilter{
			{},
			{Type: store.OrganizationEducational},
			{Status: store.OrganizationPending},
			{Status: store.OrganizationRevoked, Type: store.OrganizationGovernment},
			{Verified: &yes},
			{Verified: &no, Status: store.OrganizationActive},
			{Query: "UNI"},         // names, slugs and domains
			{Query: " birch "},     // trimmed, any case
			{Query: "-07"},         // slugs only
			{Query: "example.edu"}, // domains only
			{Query: "%"},           // a literal percent sign: nothing
			{Query: "_"},           // a literal underscore: nothing
			{Query: "zzz"},         // nothing
			{Query: "ÉCOLE"},       // ASCII letters in any case: École too
			{Query: "école"},       // other letters in their case: nothing
			{Query: "a", Status: store.OrganizationActive, Verified: &no},
			{Query: "uni", Type: store.OrganizationEducational, Status: store.OrganizationActive},
		}
		for _, walk := range []int{1000, 4} { // the walk answers, or the lookup does
			restore := store.SetSearchWalk(walk)
			for _, base := range filters {
				for _, s := range []store.OrganizationSort{store.SortOrganizationsByCreated, store.SortOrganizationsByName, store.SortOrganizationsByStatus} {
					for _, desc := range []bool{false, true} {
						f := base
						f.Sort, f.Desc = s, desc
						got, exp := pages(t, db, f, 7), want(orgs, f)
						if !slices.Equal(got, exp) {
							t.Errorf("walk %d, %+v: got %d organizations\n%v\nwant %d\n%v", walk, f, len(got), got, len(exp), exp)
						}
					}
				}
			}
			restore()
		}
		if n := len(want(orgs, store.OrganizationFilter{Query: "uni"})); n < 10 || n > 50 {
			t.Fatalf("the fixture has %d organizations matching uni: too few or too many to test paging", n)
		}
	})
}

func TestAllOrganizationsEntriesAndDefaults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orgs := consoleFixture(t, db, store.DefaultOrganizationPage+3)
		o := &orgs[5]
		orgMember(t, db, o, "a@five.example", store.RoleAdmin)
		orgMember(t, db, o, "b@five.example", store.RoleIssuer)
		gone := orgMember(t, db, o, "c@five.example", store.RoleIssuer)
		if err := store.Gorm(db).Model(&store.User{}).Where("id = ?", gone.ID).Update("deactivated_at", time.Now().UTC()).Error; err != nil {
			t.Fatal(err)
		}
		l, err := db.AllOrganizations(ctx, store.OrganizationFilter{}, store.OrganizationPage{})
		if err != nil {
			t.Fatal(err)
		}
		// Oldest first by default, a default page, a next one.
		if len(l.Entries) != store.DefaultOrganizationPage || l.Next == nil || l.Prev != nil || l.Entries[0].ID != orgs[0].ID {
			t.Fatalf("default page: %d entries, next %v, prev %v", len(l.Entries), l.Next, l.Prev)
		}
		if l.Entries[5].ID != o.ID || l.Entries[5].Members != 2 || l.Entries[4].Members != 0 || l.Entries[5].Slug != o.Slug {
			t.Fatalf("entry 5: %+v", l.Entries[5])
		}
		e, err := db.OrganizationEntry(ctx, o.ID)
		if err != nil || e.Members != 2 || e.Name != o.Name {
			t.Fatalf("OrganizationEntry: %+v %v", e, err)
		}
		if _, err := db.OrganizationEntry(ctx, "0190a0a0-0000-7000-8000-000000000000"); !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		if l, err := db.AllOrganizations(ctx, store.OrganizationFilter{}, store.OrganizationPage{Limit: 100000}); err != nil || len(l.Entries) != len(orgs) {
			t.Fatalf("a huge limit: %d entries, %v", len(l.Entries), err)
		}
	})
}

func TestAllOrganizationsRefusesBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		consoleFixture(t, db, 3)
		at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		byName := &store.Cursor{Key: "alder", ID: "0190a0a0-0000-7000-8000-000000000000"}
		byCreated := &store.Cursor{At: at, ID: byName.ID}
		for _, tc := range []struct {
			f    store.OrganizationFilter
			p    store.OrganizationPage
			want error
		}{
			{store.OrganizationFilter{Type: "school"}, store.OrganizationPage{}, store.ErrBadFilter},
			{store.OrganizationFilter{Status: "deleted"}, store.OrganizationPage{}, store.ErrBadFilter},
			{store.OrganizationFilter{Sort: "id; DROP TABLE organizations"}, store.OrganizationPage{}, store.ErrBadFilter},
			{store.OrganizationFilter{Query: strings.Repeat("x", store.MaxOrganizationQuery+1)}, store.OrganizationPage{}, store.ErrBadFilter},
			{store.OrganizationFilter{Query: "a\x00b"}, store.OrganizationPage{}, store.ErrBadFilter},
			{store.OrganizationFilter{Query: "\xff"}, store.OrganizationPage{}, store.ErrBadFilter},
			{store.OrganizationFilter{}, store.OrganizationPage{After: byCreated, Before: byCreated}, store.ErrBadCursor},
			{store.OrganizationFilter{}, store.OrganizationPage{After: byName}, store.ErrBadCursor}, // a cursor of another order
			{store.OrganizationFilter{Sort: store.SortOrganizationsByStatus}, store.OrganizationPage{Before: byCreated}, store.ErrBadCursor},
		} {
			if _, err := db.AllOrganizations(ctx, tc.f, tc.p); !errors.Is(err, tc.want) {
				t.Errorf("%+v %+v: %v, want %v", tc.f, tc.p, err, tc.want)
			}
		}
		if _, err := db.AllOrganizations(ctx, store.OrganizationFilter{Query: strings.Repeat("é", store.MaxOrganizationQuery)}, store.OrganizationPage{}); err != nil {
			t.Fatal(err)
		}
	})
}

// Each page is read along its order's index from the cursor on, without
// sorting the table; a search lookup on PostgreSQL goes through the
// trigram index.
func TestAllOrganizationsUseTheIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// Enough rows for the planner to weigh the indexes as it would on a
		// large table: on PostgreSQL with statistics, as autovacuum gathers
		// them; on SQLite without, as nothing gathers them there.
		consoleFixture(t, db, 2200)
		if db.Dialect() == store.Postgres {
			if err := store.Gorm(db).Exec("ANALYZE").Error; err != nil {
				t.Fatal(err)
			}
		}
		at := time.Date(2025, 1, 16, 0, 0, 0, 0, time.UTC) // half way
		id := "0190a0a0-0000-7000-8000-000000000000"
		byName := &store.Cursor{Key: "birch", ID: id}
		byCreated := &store.Cursor{At: at, ID: id}
		byStatus := &store.Cursor{Key: string(store.OrganizationActive), At: at, ID: id}
		yes := true
		cases := []struct {
			name  string
			f     store.OrganizationFilter
			cur   *store.Cursor
			way   string
			index string
		}{
			{"name", store.OrganizationFilter{Sort: store.SortOrganizationsByName}, byName, "plain", "idx_organizations_name"},
			{"name desc", store.OrganizationFilter{Sort: store.SortOrganizationsByName, Desc: true}, byName, "plain", "idx_organizations_name"},
			{"created", store.OrganizationFilter{}, byCreated, "plain", "idx_organizations_created_at"},
			{"created desc", store.OrganizationFilter{Desc: true}, byCreated, "plain", "idx_organizations_created_at"},
			{"status", store.OrganizationFilter{Sort: store.SortOrganizationsByStatus}, byStatus, "plain", "idx_organizations_status_created_at"},
			{"status desc", store.OrganizationFilter{Sort: store.SortOrganizationsByStatus, Desc: true}, byStatus, "plain", "idx_organizations_status_created_at"},
			// Either index serves: the one that starts with status, or the order's
			// with the status as a filter, as the planner prefers.
			{"pending, newest first", store.OrganizationFilter{Status: store.OrganizationPending, Desc: true}, byCreated, "plain", "idx_organizations_status_created_at|idx_organizations_created_at"},
			// A filter on another column does not take the order's index away.
			{"active, by name", store.OrganizationFilter{Status: store.OrganizationActive, Sort: store.SortOrganizationsByName}, byName, "plain", "idx_organizations_name"},
			{"search walk", store.OrganizationFilter{Sort: store.SortOrganizationsByName, Query: "uni"}, byName, "walk", "idx_organizations_name"},
		}
		if db.Dialect() == store.SQLite {
			// Without statistics SQLite would read these through the type or
			// status index and sort; PostgreSQL, rightly on a table this
			// small, does the same for filters this selective.
			cases = append(cases, []struct {
				name  string
				f     store.OrganizationFilter
				cur   *store.Cursor
				way   string
				index string
			}{
				{"verified educational, newest first", store.OrganizationFilter{Type: store.OrganizationEducational, Verified: &yes, Desc: true}, byCreated, "plain", "idx_organizations_created_at"},
				{"pending corporate by name", store.OrganizationFilter{Status: store.OrganizationPending, Type: store.OrganizationCorporate, Sort: store.SortOrganizationsByName, Desc: true}, byName, "plain", "idx_organizations_name"},
			}...)
		}
		if db.Dialect() == store.Postgres {
			cases = append(cases, struct {
				name  string
				f     store.OrganizationFilter
				cur   *store.Cursor
				way   string
				index string
			}{"search lookup", store.OrganizationFilter{Sort: store.SortOrganizationsByName, Query: "zenith"}, nil, "lookup", "idx_organizations_search"})
		}
		for _, tc := range cases {
			q := store.OrganizationsSQL(db, tc.f, tc.cur, tc.way)
			plan := storetest.Explain(t, db, q)
			text := strings.Join(plan, "\n")
			if !slices.ContainsFunc(strings.Split(tc.index, "|"), func(ix string) bool { return strings.Contains(text, ix) }) {
				t.Errorf("%s: the plan does not use %s:\n%s\n%s", tc.name, tc.index, q, text)
				continue
			}
			if tc.way != "plain" {
				continue // the walk sorts its few hundred rows again; the lookup sorts the matches' keys
			}
			sorts := slices.ContainsFunc(plan, func(s string) bool { return strings.Contains(s, "TEMP B-TREE") || strings.Contains(s, "Sort") })
			// The scan starts at the cursor: an index condition, not a filter.
			seeks := strings.Contains(text, "Index Cond: (ROW(") || strings.Contains(text, "Index Cond: ((status = ") && strings.Contains(text, "ROW(") ||
				strings.HasPrefix(text, "SEARCH organizations USING INDEX") && (strings.Contains(text, ">?)") || strings.Contains(text, "<?)"))
			if sorts || !seeks {
				t.Errorf("%s: the plan does not read %s from the cursor on, in order:\n%s\n%s", tc.name, tc.index, q, text)
			}
		}
	})
}
