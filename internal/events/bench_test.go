package events_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Publishing a bulk chunk's 500 credential.issued events in its
// transaction: one by one (500 round trips) against PublishMany (one
// multi-row insert), on PostgreSQL.
//
//	go test -run '^$' -bench BenchmarkPublishChunk -benchtime 20x ./internal/events/
func BenchmarkPublishChunk(b *testing.B) {
	db := storetest.Open(b, store.Postgres)
	ctx := context.Background()
	org := &store.Organization{Name: "Acme", Slug: "acme", Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:acme"}
	if err := db.CreateOrganization(ctx, org, store.Actor{}); err != nil {
		b.Fatal(err)
	}
	q, err := jobs.New(db, storetest.Logger(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	sc := db.Scoped(org.ID)
	const chunk = 500
	chunkOf := func() []events.Event {
		evs := make([]events.Event, chunk)
		for i := range evs {
			now := time.Now()
			e, err := events.New(org.ID, events.CredentialIssued, now, events.Issued{Credential: events.Credential{ID: fmt.Sprint(i),
				PublicID: fmt.Sprint("p", i), Recipient: "ada@example.org", Status: "active", IssuedAt: &now}, Via: "system", BatchID: "b"})
			if err != nil {
				b.Fatal(err)
			}
			evs[i] = e
		}
		return evs
	}
	for _, bc := range []struct {
		name    string
		publish func(tx *store.Scoped, evs []events.Event) error
	}{
		{"one-by-one", func(tx *store.Scoped, evs []events.Event) error {
			for _, e := range evs {
				if err := events.Publish(ctx, tx, q, e); err != nil {
					return err
				}
			}
			return nil
		}},
		{"many", func(tx *store.Scoped, evs []events.Event) error { return events.PublishMany(ctx, tx, q, evs) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			before := fanouts(b, db)
			for range b.N {
				b.StopTimer()
				evs := chunkOf()
				b.StartTimer()
				if err := sc.InTx(ctx, func(tx *store.Scoped) error { return bc.publish(tx, evs) }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/chunk")
			// Every event of every chunk is in the outbox, whichever way it went in.
			if got := fanouts(b, db) - before; got != chunk*b.N {
				b.Fatalf("%s: %d events in the outbox, want %d", bc.name, got, chunk*b.N)
			}
		})
	}
}

// fanouts counts the event fan-out jobs waiting in the queue.
func fanouts(b *testing.B, db *store.DB) int {
	b.Helper()
	var n int
	if err := db.SQL().QueryRow("SELECT count(*) FROM river_job WHERE kind = 'event_fanout'").Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}
