package marketplace_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/marketplace"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// The trending job, registered under its kind, counts a listing's recent
// adoptions into adoptions_30d; running it again changes nothing.
func TestTrendingJob(t *testing.T) {
	ws := jobs.NewWorkers()
	marketplace.RegisterTrending(ws, nil, storetest.Logger(t))
	if got := ws.Kinds(); !slices.Equal(got, []string{"marketplace_trending"}) {
		t.Fatalf("kinds %v", got)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := func(slug string) *store.Organization {
			o := &store.Organization{Name: slug, Slug: slug, Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:" + slug}
			if err := db.CreateOrganization(ctx, o, store.Actor{}); err != nil {
				t.Fatal(err)
			}
			return o
		}
		pub, adopter := org("pub"), org("adopter")
		catID := uuid.NewString()
		if _, err := db.SQL().ExecContext(ctx, storetest.Rebind(db.Dialect(), "INSERT INTO template_categories (id, name) VALUES (?, ?)"), catID, "Health"); err != nil {
			t.Fatal(err)
		}
		fields := []store.SchemaField{{Name: "hours", Label: "Hours", Type: store.SchemaFieldText}}
		def, err := credschema.Build("Aid", fields)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := db.Scoped(pub.ID).CreateSchema(ctx, store.SchemaChange{Name: "Aid", Version: "1.0", Fields: fields, Definition: def}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		tpl, err := db.Scoped(pub.ID).CreateTemplate(ctx, store.TemplateChange{Name: "First Aid", SchemaID: cs.ID,
			Data: store.TemplateData{Kind: store.TemplateCertificate, Cryptosuite: store.CryptosuiteEdDSARDFC}}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Scoped(pub.ID).PublishTemplate(ctx, tpl.ID, tpl.Version, store.Publication{CategoryID: catID, Licence: store.LicenceCCBY, Summary: "Aid"}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Scoped(adopter.ID).AdoptTemplate(ctx, tpl.ID, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		w := &marketplace.TrendingWorker{DB: db, Log: storetest.Logger(t), Now: func() time.Time { return time.Now().Add(2 * time.Minute) }}
		for range 2 {
			if err := w.Work(ctx, &river.Job[marketplace.Trending]{}); err != nil {
				t.Fatal(err)
			}
			l, err := db.Scoped(pub.ID).Listing(ctx, tpl.ID)
			if err != nil || l.Adoptions30d != 1 || l.TrendingAt == nil {
				t.Fatalf("after the job: %+v %v; want one adoption in the window", l, err)
			}
		}
	})
}
