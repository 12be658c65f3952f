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

	"github.com/google/uuid"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// BenchmarkMarketplace measures catalogue pages over n listed templates
// (MARKETPLACE_BENCH_N, default 5,000; the target is 50,000) of
// 200 organizations, with n/5 adoptions and about 10·n reviews (500,000 at
// 50,000), each page's p50 and p95 beside SELECT 1's (the floor of a round
// trip, measured in the same run). The seeded database is kept between
// runs (storetest.Seeded, named by n):
//
//	MARKETPLACE_BENCH_N=50000 go test -p 1 -run '^$' -bench Marketplace -benchtime 100x ./store/
func BenchmarkMarketplace(b *testing.B) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("MARKETPLACE_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			var cats []string
			start := time.Now()
			db := storetest.Seeded(b, d, fmt.Sprintf("market_v5_%d", n), func(tb testing.TB, db *store.DB) {
				seedMarketplace(tb, db, n)
			})
			if err := store.Gorm(db).Model(&store.TemplateCategory{}).Where("parent_category_id IS NULL").Order("name").Pluck("id", &cats).Error; err != nil || len(cats) == 0 {
				b.Fatalf("top categories %v: %v", cats, err)
			}
			b.Logf("%d listed templates ready in %s", n, time.Since(start).Round(time.Millisecond))
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
				{"min-rating-4", store.MarketplaceFilter{MinRating: 4}, nil},
				{"verified", store.MarketplaceFilter{VerifiedOnly: true}, nil},
				{"kind-diploma", store.MarketplaceFilter{Kind: store.TemplateDiploma}, nil},
				{"search-word-kind-rating", store.MarketplaceFilter{Query: "welding", Kind: store.TemplateLicense, Sort: store.SortRating}, nil},
				{"verified-badges-newest", store.MarketplaceFilter{Kind: store.TemplateBadge, VerifiedOnly: true, Sort: store.SortNewest}, nil},
				{"trending", store.MarketplaceFilter{Sort: store.SortTrending}, nil},
				{"aligned-esco", store.MarketplaceFilter{Alignment: "ESCO"}, nil},
				{"aligned-target-rating", store.MarketplaceFilter{Alignment: "Welding", Sort: store.SortRating}, nil},
				{"aligned-rare", store.MarketplaceFilter{Alignment: "Rare skill"}, nil},
				{"aligned-none", store.MarketplaceFilter{Alignment: "No such skill", Sort: store.SortNewest}, nil},
				{"newest-page-10", store.MarketplaceFilter{Sort: store.SortNewest}, func() store.MarketplacePage {
					return deep(store.MarketplaceFilter{Sort: store.SortNewest}, 10)
				}},
				// Deep in a common word: the relevance tiers' walk, then the
				// full-text read of a tier once the walk cannot fill a page.
				{"search-word-page-10", store.MarketplaceFilter{Query: "safety"}, func() store.MarketplacePage {
					return deep(store.MarketplaceFilter{Query: "safety"}, 10)
				}},
				{"search-word-rating-page-10", store.MarketplaceFilter{Query: "safety", Sort: store.SortRating}, func() store.MarketplacePage {
					return deep(store.MarketplaceFilter{Query: "safety", Sort: store.SortRating}, 10)
				}},
			}
			b.Run("select-1", func(b *testing.B) {
				var took []time.Duration
				for b.Loop() {
					t0 := time.Now()
					var one int
					if err := db.SQL().QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
						b.Fatal(err)
					}
					took = append(took, time.Since(t0))
				}
				reportPercentiles(b, took)
			})
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
					reportPercentiles(b, took)
				})
			}
		})
	}
}

func reportPercentiles(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	ms := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.95), "p95-ms")
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
			// Every second badge aligns to ESCO (an eighth of the
			// catalogue); one template in 5,000 to a rare target.
			if i%2 == 0 {
				d.Achievement.Alignment = []store.Alignment{{TargetName: subj, TargetURL: "https://esco.example.org/" + strconv.Itoa(i%15), TargetFramework: "ESCO"}}
			}
			if i%5000 == 4 {
				d.Achievement.Alignment = append(d.Achievement.Alignment, store.Alignment{TargetName: "Rare skill", TargetURL: "https://skills.example.org/rare"})
			}
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
		listings[i] = store.MarketplaceListing{TemplateID: t.ID, OrganizationID: t.OrganizationID, Kind: snap.Data.Kind, Licence: store.LicenceCCBY,
			Name: t.Name, Summary: "Ready-made " + strings.ToLower(t.Name), Description: snap.Description, Labels: strings.Join(ls, "\n"),
			Version: 1, PublishedAt: at, Adoptions: r.IntN(200), AlignmentTerms: store.AlignmentTerms(snap.Data.Achievement)}
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
	seedReviews(b, db, r, orgs, tpls)
	if _, err := db.RefreshMarketplaceTrending(context.Background(), now); err != nil {
		b.Fatal(err)
	}
	// What autovacuum does to a live catalogue: the seed's updates of the
	// aggregates left a dead version of every listing, which a bitmap
	// scan would read (the alignment filter twice as many heap pages).
	analyze := "ANALYZE"
	if db.Dialect() == store.Postgres {
		analyze = "VACUUM ANALYZE"
	}
	if err := g.Exec(analyze).Error; err != nil {
		b.Fatal(err)
	}
	return top
}

// seedReviews writes 0–20 reviews of each template (about 10·n), each by
// another of 1,000 users, in multi-row INSERTs, and sets the listings'
// rating aggregates from them.
func seedReviews(b testing.TB, db *store.DB, r *rand.Rand, orgs []*store.Organization, tpls []store.CredentialTemplate) {
	b.Helper()
	ctx := context.Background()
	g := store.Gorm(db)
	users := make([]store.User, 1000)
	for i := range users {
		users[i] = store.User{Email: fmt.Sprintf("reviewer%d@example.com", i), Role: store.RoleIssuer, OrganizationID: &orgs[i%len(orgs)].ID}
	}
	if err := g.CreateInBatches(users, 500).Error; err != nil {
		b.Fatal(err)
	}
	const cols, batch = 7, 2000
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	now := time.Now().UTC()
	var args []any
	flush := func() {
		if len(args) == 0 {
			return
		}
		q := "INSERT INTO template_reviews (id, template_id, reviewer_id, organization_id, rating, helpful_votes, created_at) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", len(args)/cols), ", ")
		if _, err := tx.ExecContext(ctx, storetest.Rebind(db.Dialect(), q), args...); err != nil {
			b.Fatal(err)
		}
		args = args[:0]
	}
	for i := range tpls {
		count, base, first := r.IntN(21), 1+r.IntN(5), r.IntN(len(users))
		for j := range count {
			rating := min(max(base+r.IntN(3)-1, 1), 5)
			u := &users[(first+j)%len(users)]
			args = append(args, uuid.NewString(), tpls[i].ID, u.ID, *u.OrganizationID, rating, r.IntN(10),
				now.Add(-time.Duration(r.Int64N(int64(365*24*time.Hour)))))
			if len(args) == cols*batch {
				flush()
			}
		}
	}
	flush()
	// What RecountMarketplaceRatings does per template, for all at once.
	if _, err := tx.ExecContext(ctx, `UPDATE marketplace_listings SET
		rating_count = (SELECT COUNT(*) FROM template_reviews r WHERE r.template_id = marketplace_listings.template_id),
		rating_sum = (SELECT COALESCE(SUM(rating), 0) FROM template_reviews r WHERE r.template_id = marketplace_listings.template_id)`); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
