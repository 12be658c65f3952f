package store_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// BenchmarkTemplateReviews measures what a template's page reads of its
// reviews over n reviews of one template (REVIEWS_BENCH_N, default
// 5,000): the histogram, the first and a deep page of each order, with
// p50 and p95; the template's own entry (MarketplaceTemplate, one row)
// is the ceiling measured beside them in the same run:
//
//	REVIEWS_BENCH_N=5000 go test -p 1 -run '^$' -bench TemplateReviews -benchtime 100x ./store/
func BenchmarkTemplateReviews(b *testing.B) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("REVIEWS_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			ctx := context.Background()
			pub, user := benchOrg(b, db, "publisher"), benchOrg(b, db, "reviewers")
			tpl := benchListed(b, db, pub)
			g := store.Gorm(db)
			users := make([]*store.User, n)
			for i := range users {
				users[i] = &store.User{ID: uuid.NewString(), Email: fmt.Sprintf("r%d@reviewers.example", i), Role: store.RoleIssuer, OrganizationID: &user.ID}
			}
			if err := g.CreateInBatches(users, 500).Error; err != nil {
				b.Fatal(err)
			}
			start := time.Now().Add(-time.Duration(n) * time.Minute)
			reviews := make([]*store.TemplateReview, n)
			for i := range reviews {
				text := "Review " + strconv.Itoa(i)
				at := start.Add(time.Duration(i) * time.Minute)
				reviews[i] = &store.TemplateReview{ID: uuid.NewString(), TemplateID: tpl, ReviewerID: users[i].ID, OrganizationID: user.ID,
					Rating: 1 + i%5, ReviewText: &text, HelpfulVotes: (i * 7919) % 97, CreatedAt: at, UpdatedAt: at}
			}
			if err := g.CreateInBatches(reviews, 500).Error; err != nil {
				b.Fatal(err)
			}
			if err := store.RecountMarketplaceRatings(g, tpl); err != nil {
				b.Fatal(err)
			}
			// As autovacuum would after so many inserts: the planner's
			// statistics (without them PostgreSQL guesses one row, reads
			// every review of the template and sorts them).
			if err := g.Exec("ANALYZE").Error; err != nil {
				b.Fatal(err)
			}
			co := db.CrossOrg()
			deep := func(order store.ReviewOrder) *store.Cursor {
				var after *store.Cursor
				for range 20 {
					p, err := co.TemplateReviews(ctx, tpl, order, after, store.DefaultReviewPage)
					if err != nil || p.Next == nil {
						b.Fatal(err)
					}
					after = p.Next
				}
				return after
			}
			newest20, helpful20 := deep(store.ReviewsNewest), deep(store.ReviewsHelpful)
			cases := []struct {
				name string
				run  func() error
			}{
				{"ceiling-template-entry", func() error { _, err := co.MarketplaceTemplate(ctx, tpl); return err }},
				{"histogram", func() error {
					h, err := co.RatingHistogram(ctx, tpl)
					if err == nil && h != [5]int{n / 5, n / 5, n / 5, n / 5, n / 5} {
						err = fmt.Errorf("histogram %v, want %d reviews of each rating", h, n/5)
					}
					return err
				}},
				{"newest-first-page", func() error {
					return fullPage(co.TemplateReviews(ctx, tpl, store.ReviewsNewest, nil, store.DefaultReviewPage))
				}},
				{"newest-page-21", func() error {
					return fullPage(co.TemplateReviews(ctx, tpl, store.ReviewsNewest, newest20, store.DefaultReviewPage))
				}},
				{"helpful-first-page", func() error {
					return fullPage(co.TemplateReviews(ctx, tpl, store.ReviewsHelpful, nil, store.DefaultReviewPage))
				}},
				{"helpful-page-21", func() error {
					return fullPage(co.TemplateReviews(ctx, tpl, store.ReviewsHelpful, helpful20, store.DefaultReviewPage))
				}},
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					var took []time.Duration
					for b.Loop() {
						t0 := time.Now()
						if err := c.run(); err != nil {
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

// benchListed publishes one template of o and returns its id.
// fullPage fails a review page that is not full with a next page: the
// benchmark's pages are all far from the last one.
func fullPage(p store.ReviewPage, err error) error {
	if err == nil && (len(p.Reviews) != store.DefaultReviewPage || p.Next == nil) {
		err = fmt.Errorf("a page of %d reviews (next %v), want a full page with more after it", len(p.Reviews), p.Next != nil)
	}
	return err
}

func benchListed(b *testing.B, db *store.DB, o *store.Organization) string {
	b.Helper()
	ctx := context.Background()
	cat := &store.TemplateCategory{Name: "Bench", Active: true}
	if err := store.Gorm(db).Create(cat).Error; err != nil {
		b.Fatal(err)
	}
	cs, err := db.Scoped(o.ID).CreateSchema(ctx, schemaChange("Bench", "1", "bench"), store.Actor{})
	if err != nil {
		b.Fatal(err)
	}
	tpl, err := db.Scoped(o.ID).CreateTemplate(ctx, templateChange(cs.ID, "Bench certificate"), store.Actor{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Scoped(o.ID).PublishTemplate(ctx, tpl.ID, tpl.Version, store.Publication{CategoryID: cat.ID, Licence: store.LicenceCCBY,
		Summary: "A bench template"}, store.Actor{}); err != nil {
		b.Fatal(err)
	}
	return tpl.ID
}

func benchOrg(b *testing.B, db *store.DB, slug string) *store.Organization {
	b.Helper()
	o := &store.Organization{Name: slug, Slug: slug, Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:" + slug}
	if err := db.CreateOrganization(context.Background(), o, store.Actor{}); err != nil {
		b.Fatal(err)
	}
	return o
}
