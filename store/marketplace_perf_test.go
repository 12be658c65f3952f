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

// Every order of the catalogue but relevance can read its index of
// marketplace_listings in order from the cursor on, with and without the
// filters, so that a page stops at its end instead of sorting every
// listed template (BenchmarkMarketplace measures them at 50,000).
func TestMarketplaceOrdersUseTheIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cat := []string{"00000000-0000-7000-8000-000000000001", "00000000-0000-7000-8000-000000000002"}
		id := "00000000-0000-7000-8000-000000000000"
		for _, tc := range []struct {
			index   string
			f       store.MarketplaceFilter
			cur     *store.Cursor
			counted bool
		}{
			{"idx_marketplace_listings_adoptions", store.MarketplaceFilter{}, nil, false},
			{"idx_marketplace_listings_adoptions", store.MarketplaceFilter{Kind: store.TemplateDiploma}, &store.Cursor{Key: "10", ID: id}, false},
			{"idx_marketplace_listings_adoptions", store.MarketplaceFilter{VerifiedOnly: true, MinRating: 4}, nil, false},
			{"idx_marketplace_listings_published_at", store.MarketplaceFilter{Sort: store.SortNewest}, &store.Cursor{At: time.Now(), ID: id}, false},
			{"idx_marketplace_listings_published_at", store.MarketplaceFilter{Sort: store.SortNewest, Kind: store.TemplateBadge, VerifiedOnly: true}, nil, false},
			{"idx_marketplace_listings_rating", store.MarketplaceFilter{Sort: store.SortRating}, &store.Cursor{Key: "4000,12", ID: id}, false},
			{"idx_marketplace_listings_rating", store.MarketplaceFilter{Sort: store.SortRating, CategoryID: cat[0], MinRating: 3}, nil, false},
			{"idx_marketplace_listings_trending", store.MarketplaceFilter{Sort: store.SortTrending}, &store.Cursor{Key: "3,40", ID: id, At: time.Now()}, true},
		} {
			var cats []string
			if tc.f.CategoryID != "" {
				cats = cat
			}
			q := store.MarketplaceSQL(db, tc.f, cats, tc.cur, tc.counted)
			// Sorting is switched off on PostgreSQL: the plan then reads an
			// index in order if any serves it (on a table of a few rows it
			// would sort them); BenchmarkMarketplace shows it chosen at 50,000.
			plan := storetest.Explain(t, db, q, "enable_sort")
			text := strings.Join(plan, "\n")
			sorts := slices.ContainsFunc(plan, func(s string) bool { return strings.Contains(s, "TEMP B-TREE") || strings.Contains(s, "Sort") })
			if !strings.Contains(text, tc.index) || sorts {
				t.Errorf("%+v: the plan does not read %s in order:\n%s\n%s", tc.f, tc.index, q, text)
			}
		}
	})
}

// The trending order reads adoptions_30d, which RefreshMarketplaceTrending
// keeps; a walk that began before a refresh goes on with the window it
// began with, so that no template is seen twice or skipped.
func TestMarketplaceTrendingRefresh(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := market{t: t, db: db, ctx: ctx}
		pub := newOrg(t, db, "pub", store.OrganizationActive)
		cat := m.category("Health", nil)
		var tpls []*store.CredentialTemplate
		for _, name := range []string{"Alpha Badge", "Beta Badge", "Gamma Badge", "Delta Badge"} {
			tpl := m.template(pub, tplSpec{name: name, kind: store.TemplateBadge, labels: []string{"Hours"}})
			m.publish(pub, tpl, cat, name)
			tpls = append(tpls, tpl)
		}
		adopt := func(tpl *store.CredentialTemplate, n int, slug string) {
			for i := range n {
				o := newOrg(t, db, slug+string(rune('a'+i)), store.OrganizationActive)
				if _, err := db.Scoped(o.ID).AdoptTemplate(ctx, tpl.ID, store.Actor{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		adopt(tpls[1], 3, "b") // Beta 3, Gamma 2, Alpha 1, Delta 0
		adopt(tpls[2], 2, "g")
		adopt(tpls[0], 1, "a")
		trending := store.MarketplaceFilter{Sort: store.SortTrending}
		want := []string{"Beta Badge", "Gamma Badge", "Alpha Badge", "Delta Badge"}
		if got := m.names(trending); !slices.Equal(got, want) {
			t.Fatalf("before any refresh (counted per request): %q, want %q", got, want)
		}
		at := time.Now().UTC().Add(time.Minute)
		if n, err := db.RefreshMarketplaceTrending(ctx, at); err != nil || n != 3 {
			t.Fatalf("refresh: %d changed, %v; want 3", n, err)
		}
		if n, err := db.RefreshMarketplaceTrending(ctx, at); err != nil || n != 0 {
			t.Fatalf("the same refresh again: %d changed, %v; want 0", n, err)
		}
		var l store.MarketplaceListing
		if err := store.Gorm(db).Where("template_id = ?", tpls[1].ID).Take(&l).Error; err != nil || l.Adoptions30d != 3 {
			t.Fatalf("Beta's adoptions_30d %d (%v), want 3", l.Adoptions30d, err)
		}
		if got := m.names(trending); !slices.Equal(got, want) {
			t.Fatalf("after the refresh: %q, want %q", got, want)
		}

		// A walk begins; Delta is adopted four times and a refresh comes
		// between its pages: the walk keeps its window, a new one sees Delta first.
		first, err := db.CrossOrg().Marketplace(ctx, trending, store.MarketplacePage{Limit: 2})
		if err != nil || len(first.Entries) != 2 || first.Next == nil {
			t.Fatalf("first page %+v %v", first, err)
		}
		adopt(tpls[3], 4, "d") // after the first refresh's window
		if err := store.Gorm(db).Exec("UPDATE template_adoptions SET created_at = ? WHERE source_template_id = ?", at.Add(time.Second), tpls[3].ID).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := db.RefreshMarketplaceTrending(ctx, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		rest, err := db.CrossOrg().Marketplace(ctx, trending, store.MarketplacePage{After: first.Next, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var walked []string
		for _, e := range append(first.Entries, rest.Entries...) {
			walked = append(walked, e.Name)
		}
		if !slices.Equal(walked, want) {
			t.Errorf("a walk across a refresh: %q, want %q", walked, want)
		}
		if got := m.names(trending); !slices.Equal(got, []string{"Delta Badge", "Beta Badge", "Gamma Badge", "Alpha Badge"}) {
			t.Errorf("a new walk after the refresh: %q", got)
		}
		if got := m.walk(trending); !slices.Equal(got, []string{"Delta Badge", "Beta Badge", "Gamma Badge", "Alpha Badge"}) {
			t.Errorf("one at a time after the refresh: %q", got)
		}
	})
}

// A search in relevance order lists the templates whose name holds the
// words first, then those whose summary does, then those whose
// description or field labels do; each group most adopted first. A common
// word reads a bounded stretch of the adoptions order (searchRows): with
// any bounds, down to one listing a walk, the pages are the same, one at a
// time or at once, with and without filters.
func TestMarketplaceSearchTiers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := market{t: t, db: db, ctx: ctx}
		uni := newOrg(t, db, "uni", store.OrganizationActive)
		if _, err := db.SetOrganizationVerified(ctx, uni.ID, true, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		school := newOrg(t, db, "school", store.OrganizationActive)
		cat := m.category("Health", nil)
		for i, c := range []struct {
			name, summary, description, label string
			kind                              store.TemplateType
			adoptions                         int
		}{
			{"First Aid", "The basics", "One day.", "Hours", store.TemplateCertificate, 0},
			{"Paediatric First Aid", "Children", "Two days.", "Hours", store.TemplateBadge, 2},
			{"Mental Health First Aid", "Listening", "Two days.", "Hours", store.TemplateDiploma, 1},
			{"Aid Worker", "First aid in the field", "A week.", "Hours", store.TemplateBadge, 3},
			{"Lifeguard Licence", "Pools and beaches", "Rescue and first aid.", "Hours", store.TemplateDiploma, 5},
			{"Outdoor Leader", "Hills", "A week.", "First aid kit checked", store.TemplateBadge, 4},
			{"Python Programming", "Code", "Lists.", "Hours", store.TemplateBadge, 9},
		} {
			o := uni
			if i%2 == 1 {
				o = school
			}
			tpl := m.template(o, tplSpec{name: c.name, description: c.description, kind: c.kind, labels: []string{c.label}})
			m.publish(o, tpl, cat, c.summary)
			if err := store.Gorm(db).Model(&store.MarketplaceListing{}).Where("template_id = ?", tpl.ID).Update("adoptions", c.adoptions).Error; err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			f    store.MarketplaceFilter
			want []string
		}{
			{store.MarketplaceFilter{Query: "first aid"}, []string{"Paediatric First Aid", "Mental Health First Aid", "First Aid",
				"Aid Worker", "Lifeguard Licence", "Outdoor Leader"}},
			{store.MarketplaceFilter{Query: "aid"}, []string{"Aid Worker", "Paediatric First Aid", "Mental Health First Aid", "First Aid",
				"Lifeguard Licence", "Outdoor Leader"}},
			{store.MarketplaceFilter{Query: "first aid", Kind: store.TemplateBadge}, []string{"Paediatric First Aid", "Aid Worker", "Outdoor Leader"}},
			{store.MarketplaceFilter{Query: "first aid", VerifiedOnly: true}, []string{"Mental Health First Aid", "First Aid", "Lifeguard Licence"}},
			{store.MarketplaceFilter{Query: "fir ai", Kind: store.TemplateDiploma}, []string{"Mental Health First Aid", "Lifeguard Licence"}},
			{store.MarketplaceFilter{Query: "python"}, []string{"Python Programming"}},
			{store.MarketplaceFilter{Query: "zzqx"}, nil},
		} {
			if got := m.names(c.f); !slices.Equal(got, c.want) {
				t.Errorf("%+v: %q, want %q", c.f, got, c.want)
			}
			for _, b := range [][2]int{{1, 1}, {1, 2}, {1, 3}, {2, 5}, {100, 1}} {
				store.SetSearchBounds(t, b[0], b[1])
				if got := m.names(c.f); !slices.Equal(got, c.want) {
					t.Errorf("bounds %v, %+v: %q, want %q", b, c.f, got, c.want)
				}
				if got := m.walk(c.f); !slices.Equal(got, c.want) {
					t.Errorf("bounds %v, %+v, one at a time: %q, want %q", b, c.f, got, c.want)
				}
			}
			store.SetSearchBounds(t, 500, 1000)
		}
		// The other orders: a common word (any match count, down to one)
		// is checked during the order's walk, with the same pages.
		for _, s := range store.MarketplaceSorts()[1:] {
			f := store.MarketplaceFilter{Query: "first aid", Sort: s}
			want := m.names(f)
			if len(want) != 6 {
				t.Fatalf("%s: %q, want the 6 matches", s, want)
			}
			store.SetSearchBounds(t, 1, 1)
			if got := m.names(f); !slices.Equal(got, want) {
				t.Errorf("%s, a common word: %q, want %q", s, got, want)
			}
			if got := m.walk(f); !slices.Equal(got, want) {
				t.Errorf("%s, a common word, one at a time: %q, want %q", s, got, want)
			}
			store.SetSearchBounds(t, 500, 1000)
		}
	})
}
