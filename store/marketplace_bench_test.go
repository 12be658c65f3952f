package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// BenchmarkMarketplace measures catalogue pages over n listed templates
// (MARKETPLACE_BENCH_N, default 5,000; the target is 50,000) of
// 200 organizations, with n/5 adoptions, each page's p50 and p95:
//
//	MARKETPLACE_BENCH_N=5000 go test -p 1 -run '^$' -bench Marketplace -benchtime 200x ./store/
func BenchmarkMarketplace(b *testing.B) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("MARKETPLACE_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			start := time.Now()
			cats := seedMarketplace(b, db, n)
			b.Logf("seeded %d listed templates in %s", n, time.Since(start).Round(time.Millisecond))
			ctx := context.Background()
			co := db.CrossOrg()
			deep := func(f store.MarketplaceFilter, pages int) store.MarketplacePage {
				p := store.MarketplacePage{}
				for range pages {
					l, err := co.Marketplace(ctx, f, p)
					if err != nil || l.Next == nil {
						b.Fatalf("%+v: %v (next %v)", f, err, l.Next)
					}
					p.After = l.Next
				}
				return p
			}
			cases := []struct {
				name string
				f    store.MarketplaceFilter
				page func() store.MarketplacePage
			}{
				{"first-page", store.MarketplaceFilter{}, nil},
				{"search-word", store.MarketplaceFilter{Query: "safety"}, nil},
				{"search-prefix-two-words", store.MarketplaceFilter{Query: "fir aid"}, nil},
				{"search-rare", store.MarketplaceFilter{Query: "zzqx"}, nil},
				{"category-tree-rating", store.MarketplaceFilter{CategoryID: cats[0], Sort: store.SortRating, MinRating: 3}, nil},
				{"verified-badges-newest", store.MarketplaceFilter{Kind: store.TemplateBadge, VerifiedOnly: true, Sort: store.SortNewest}, nil},
				{"trending", store.MarketplaceFilter{Sort: store.SortTrending}, nil},
				{"newest-page-10", store.MarketplaceFilter{Sort: store.SortNewest}, func() store.MarketplacePage {
					return deep(store.MarketplaceFilter{Sort: store.SortNewest}, 10)
				}},
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					p := store.MarketplacePage{}
					if c.page != nil {
						p = c.page()
					}
					l, err := co.Marketplace(ctx, c.f, p)
					if err != nil {
						b.Fatal(err)
					}
					b.Logf("%d entries", len(l.Entries))
					var took []time.Duration
					for b.Loop() {
						t0 := time.Now()
						if _, err := co.Marketplace(ctx, c.f, p); err != nil {
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
		})
	}
}

// seedMarketplace lists n templates of 200 active organizations (a third
// verified) in a two-level category tree, with names and labels from word
// lists, ratings on most, and n/5 adoptions over 90 days. It returns the
// top-level category ids.
func seedMarketplace(b testing.TB, db *store.DB, n int) []string {
	b.Helper()
	g := store.Gorm(db)
	r := rand.New(rand.NewPCG(3, 4))
	var orgs []*store.Organization
	for i := range 200 {
		slug := fmt.Sprintf("pub-%d", i)
		o := &store.Organization{Name: slug, Slug: slug, Type: store.OrganizationCorporate, Status: store.OrganizationActive,
			DID: "did:web:x:orgs:" + slug, Verified: i%3 == 0}
		if err := db.CreateOrganization(context.Background(), o, store.Actor{}); err != nil {
			b.Fatal(err)
		}
		orgs = append(orgs, o)
	}
	var top, all []string
	for _, name := range []string{"Health", "Technology", "Trades", "Academic", "Languages"} {
		c := &store.TemplateCategory{Name: name, Active: true}
		if err := g.Create(c).Error; err != nil {
			b.Fatal(err)
		}
		top, all = append(top, c.ID), append(all, c.ID)
		for j := range 4 {
			child := &store.TemplateCategory{Name: fmt.Sprintf("%s %d", name, j), ParentCategoryID: &c.ID, Active: true}
			if err := g.Create(child).Error; err != nil {
				b.Fatal(err)
			}
			all = append(all, child.ID)
		}
	}
	subjects := []string{"First Aid", "Fire Safety", "Forklift", "Python", "Data Science", "Welding", "Food Hygiene", "Spanish",
		"Project Management", "Cyber Security", "Nursing", "Electrical Safety", "Bookkeeping", "Scaffolding", "Customer Service"}
	kinds := []store.TemplateType{store.TemplateCertificate, store.TemplateDiploma, store.TemplateLicense, store.TemplateBadge}
	labels := []string{"Course hours", "Instructor", "Completion date", "Grade", "Licence number", "Site", "Level", "Assessor"}
	now := time.Now().UTC()
	schemas := make([]store.CredentialSchema, n)
	for i := range schemas {
		o := orgs[i%len(orgs)]
		var fields []store.SchemaField
		for j := range 3 {
			fields = append(fields, store.SchemaField{Name: fmt.Sprintf("f%d", j), Label: labels[r.IntN(len(labels))], Type: store.SchemaFieldText})
		}
		schemas[i] = store.CredentialSchema{Name: fmt.Sprintf("S%d", i), Version: "1.0", OrganizationID: o.ID, Active: true,
			Fields: datatypes.NewJSONSlice(fields)}
	}
	if err := g.CreateInBatches(schemas, 500).Error; err != nil {
		b.Fatal(err)
	}
	tpls := make([]store.CredentialTemplate, n)
	for i := range tpls {
		subj := subjects[r.IntN(len(subjects))]
		kind := kinds[r.IntN(len(kinds))]
		d := store.TemplateData{Kind: kind, Cryptosuite: store.CryptosuiteEdDSARDFC}
		if kind == store.TemplateBadge {
			d.Achievement = &store.Achievement{Name: subj, Criteria: "Pass the assessment"}
		}
		desc := fmt.Sprintf("%s %s for %s staff, level %d.", subj, kind, subjects[r.IntN(len(subjects))], r.IntN(5)+1)
		cat := all[r.IntN(len(all))]
		tpls[i] = store.CredentialTemplate{Name: fmt.Sprintf("%s %s %d", subj, strings.ToUpper(string(kind[:1]))+string(kind[1:]), i), Description: &desc,
			OrganizationID: schemas[i].OrganizationID, SchemaID: schemas[i].ID, TemplateData: datatypes.NewJSONType(d),
			IsPublic: true, Active: true, CategoryID: &cat, Version: 1}
	}
	if err := g.CreateInBatches(tpls, 500).Error; err != nil {
		b.Fatal(err)
	}
	versions := make([]store.TemplateVersion, n)
	listings := make([]store.MarketplaceListing, n)
	for i := range tpls {
		t := &tpls[i]
		snap := store.Snapshot(t, &schemas[i])
		at := now.Add(-time.Duration(r.Int64N(int64(2 * 365 * 24 * time.Hour))))
		versions[i] = store.TemplateVersion{TemplateID: t.ID, Version: 1, Snapshot: datatypes.NewJSONType(snap), PublishedAt: at}
		var ls []string
		for _, f := range snap.Schema.Fields {
			ls = append(ls, f.Label)
		}
		count := r.IntN(40)
		listings[i] = store.MarketplaceListing{TemplateID: t.ID, OrganizationID: t.OrganizationID, Kind: snap.Data.Kind, Licence: store.LicenceCCBY,
			Name: t.Name, Summary: "Ready-made " + strings.ToLower(t.Name), Description: snap.Description, Labels: strings.Join(ls, "\n"),
			Version: 1, PublishedAt: at, RatingCount: count, RatingSum: count * (1 + r.IntN(5)), Adoptions: r.IntN(200)}
	}
	if err := g.CreateInBatches(versions, 500).Error; err != nil {
		b.Fatal(err)
	}
	if err := g.CreateInBatches(listings, 500).Error; err != nil {
		b.Fatal(err)
	}
	adoptions := make([]store.TemplateAdoption, 0, n/5)
	for i := range n / 5 {
		src := &tpls[r.IntN(len(tpls))]
		cp := &tpls[i] // the copy: any template, unique per adoption
		adoptions = append(adoptions, store.TemplateAdoption{OrganizationID: cp.OrganizationID, TemplateID: cp.ID, SourceTemplateID: &src.ID,
			SourceVersion: 1, SourceName: src.Name, SourceIssuer: "x", CreatedAt: now.Add(-time.Duration(r.Int64N(int64(90 * 24 * time.Hour))))})
	}
	if err := g.CreateInBatches(adoptions, 500).Error; err != nil {
		b.Fatal(err)
	}
	if err := g.Exec("ANALYZE").Error; err != nil {
		b.Fatal(err)
	}
	return top
}
