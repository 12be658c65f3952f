package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// BenchmarkOrganizationsConsole measures the organizations console's pages
// over 100,000 organizations (seeded once per dialect), with each page's
// p50 and p95 latency:
//
//	go test -run '^$' -bench Console ./store/
//
// first-page: active educational organizations matching "uni", by name;
// deep-page: active organizations by name, the page after following 500
// Next links; last-pages: every organization newest first, a page 99,800
// rows deep; the others are the search's harder cases.
func BenchmarkOrganizationsConsole(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			start := time.Now()
			seedOrganizations(b, db, 100_000)
			b.Logf("seeded 100,000 organizations and 50,000 admins in %s", time.Since(start).Round(time.Millisecond))
			benchmarkConsole(b, db)
		})
	}
}

func benchmarkConsole(b *testing.B, db *store.DB) {
	ctx := context.Background()
	// follow takes n Next links from the first page and returns the cursor.
	follow := func(f store.OrganizationFilter, n, limit int) *store.Cursor {
		b.Helper()
		p := store.OrganizationPage{Limit: limit}
		seen := 0
		for range n {
			l, err := db.AllOrganizations(ctx, f, p)
			if err != nil {
				b.Fatal(err)
			}
			if l.Next == nil {
				b.Fatalf("%+v: only %d pages", f, seen+1)
			}
			seen += len(l.Entries)
			p.After = l.Next
		}
		b.Logf("%+v: cursor %d rows deep", f, seen)
		return p.After
	}
	active, educational := store.OrganizationActive, store.OrganizationEducational
	byName := store.SortOrganizationsByName
	searchUni := store.OrganizationFilter{Status: active, Type: educational, Query: "uni", Sort: byName}
	cases := []struct {
		name string
		f    store.OrganizationFilter
		page func() store.OrganizationPage
	}{
		{"first-page", searchUni, func() store.OrganizationPage { return store.OrganizationPage{} }},
		{"deep-page", store.OrganizationFilter{Status: active, Sort: byName}, func() store.OrganizationPage {
			return store.OrganizationPage{After: follow(store.OrganizationFilter{Status: active, Sort: byName}, 500, store.DefaultOrganizationPage)}
		}},
		{"last-pages", store.OrganizationFilter{Desc: true}, func() store.OrganizationPage {
			return store.OrganizationPage{After: follow(store.OrganizationFilter{Desc: true}, 499, store.MaxOrganizationPage)}
		}},
		{"search-deep", searchUni, func() store.OrganizationPage {
			return store.OrganizationPage{After: follow(searchUni, 20, store.DefaultOrganizationPage)}
		}},
		{"search-all-by-name", store.OrganizationFilter{Query: "uni", Sort: byName}, func() store.OrganizationPage { return store.OrganizationPage{} }},
		{"search-rare", store.OrganizationFilter{Query: "zzq", Sort: byName}, func() store.OrganizationPage { return store.OrganizationPage{} }},
		{"search-short-rare", store.OrganizationFilter{Query: "qz", Sort: byName}, func() store.OrganizationPage { return store.OrganizationPage{} }},
		{"pending-newest", store.OrganizationFilter{Status: store.OrganizationPending, Desc: true}, func() store.OrganizationPage { return store.OrganizationPage{} }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			p := c.page()
			l, err := db.AllOrganizations(ctx, c.f, p)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%d entries", len(l.Entries))
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := db.AllOrganizations(ctx, c.f, p); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			ms := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))]) / float64(time.Millisecond) }
			b.ReportMetric(ms(0.5), "p50-ms")
			b.ReportMetric(ms(0.95), "p95-ms")
		})
	}
}

// seedOrganizations inserts n organizations that look like a real
// platform's: names by type from word lists (so that "uni" is common and
// bunched: "University of …" and "… Community …"), three in four active,
// the pending ones mostly recent, a third verified, over six years; and an
// admin for every other one. Multi-row inserts in one transaction.
func seedOrganizations(b testing.TB, db *store.DB, n int) {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	syllables := []string{"al", "ber", "cas", "dor", "el", "fen", "gar", "hol", "is", "jor", "kel", "lan", "mar", "nor", "ost",
		"pen", "quin", "ros", "sel", "tor", "ul", "ven", "wes", "yar", "zan", "bro", "cli", "dra", "fro", "gle"}
	place := func() string {
		p := syllables[r.IntN(len(syllables))] + syllables[r.IntN(len(syllables))]
		if r.IntN(3) == 0 {
			p += syllables[r.IntN(len(syllables))]
		}
		return strings.ToUpper(p[:1]) + p[1:]
	}
	fields := []string{"Medicine", "Engineering", "Law", "Finance", "Nursing", "Design", "Data Science", "Aviation", "Agriculture",
		"Education", "Energy", "Logistics", "Architecture", "Pharmacy", "Accounting", "Safety", "Languages", "Music", "Sport", "Trade"}
	field := func() string { return fields[r.IntN(len(fields))] }
	names := map[store.OrganizationType][]func() string{
		store.OrganizationEducational: {
			func() string { return "University of " + place() }, func() string { return "University of " + place() },
			func() string { return place() + " College" }, func() string { return place() + " Academy of " + field() },
			func() string { return place() + " Institute of Technology" },
		},
		store.OrganizationProfessional: {
			func() string { return "Institute of " + field() + " Professionals" }, func() string { return place() + " Chartered " + field() },
			func() string { return field() + " Certification Board of " + place() },
		},
		store.OrganizationGovernment: {
			func() string { return "Ministry of " + field() }, func() string { return place() + " City Council" },
			func() string { return place() + " Municipal " + field() + " Office" },
		},
		store.OrganizationCorporate: {
			func() string { return place() + " " + field() + " Ltd" }, func() string { return place() + " & " + place() + " Partners" },
			func() string { return field() + " Solutions " + place() + " Inc" }, func() string { return place() + " Holdings" },
		},
		store.OrganizationAssociation: {
			func() string { return place() + " " + field() + " Association" }, func() string { return "Society of " + field() },
			func() string { return place() + " Community " + field() + " Network" },
		},
	}
	types := []store.OrganizationType{store.OrganizationEducational, store.OrganizationProfessional, store.OrganizationGovernment,
		store.OrganizationCorporate, store.OrganizationAssociation}
	weights := []int{25, 20, 10, 30, 15}
	tlds := map[store.OrganizationType]string{store.OrganizationEducational: ".edu", store.OrganizationProfessional: ".org",
		store.OrganizationGovernment: ".gov", store.OrganizationCorporate: ".com", store.OrganizationAssociation: ".org"}
	now := time.Now().UTC().Truncate(time.Second)
	span := 6 * 365 * 24 * time.Hour

	orgs := make([]store.Organization, n)
	seen := make(map[string]bool, n) // names are unique ignoring case (00006)
	for i := range orgs {
		w, typ := r.IntN(100), types[0]
		for j, acc := 0, 0; j < len(types); j++ {
			if acc += weights[j]; w < acc {
				typ = types[j]
				break
			}
		}
		name := names[typ][r.IntN(len(names[typ]))]()
		if seen[strings.ToLower(name)] {
			name = fmt.Sprintf("%s (%d)", name, i)
		}
		seen[strings.ToLower(name)] = true
		slug := strings.Trim(strings.Map(func(c rune) rune {
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
				return c
			case c >= 'A' && c <= 'Z':
				return c + 'a' - 'A'
			}
			return '-'
		}, name), "-")
		for strings.Contains(slug, "--") {
			slug = strings.ReplaceAll(slug, "--", "-")
		}
		slug = fmt.Sprintf("%s-%d", slug, i)
		created := now.Add(-time.Duration(r.Int64N(int64(span))))
		status := store.OrganizationActive
		switch x := r.IntN(100); {
		case now.Sub(created) < 60*24*time.Hour && x < 60, x < 5:
			status = store.OrganizationPending
		case x < 10:
			status = store.OrganizationSuspended
		case x < 12:
			status = store.OrganizationRevoked
		}
		o := store.Organization{Name: name, Slug: slug, Type: typ, DID: "did:web:trustcred.example:orgs:" + slug, Status: status,
			Verified: status == store.OrganizationActive && r.IntN(3) == 0, CreatedAt: created, UpdatedAt: created}
		if r.IntN(10) < 6 {
			d := slug + tlds[typ]
			o.Domain = &d
		}
		orgs[i] = o
	}
	err := store.Gorm(db).Transaction(func(tx *gorm.DB) error {
		if err := tx.CreateInBatches(orgs, 1000).Error; err != nil {
			return err
		}
		var users []store.User
		for i := 0; i < n; i += 2 {
			id := orgs[i].ID
			users = append(users, store.User{Email: fmt.Sprintf("admin%d@bench.example", i), OrganizationID: &id, Role: store.RoleAdmin,
				Profile: datatypes.NewJSONType(store.UserProfile{})})
		}
		return tx.CreateInBatches(users, 1000).Error
	})
	if err != nil {
		b.Fatal(err)
	}
	if db.Dialect() == store.Postgres {
		// What autovacuum does after a bulk load.
		if err := store.Gorm(db).Exec("ANALYZE").Error; err != nil {
			b.Fatal(err)
		}
	}
}
