package webhook_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/webhook"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// What publishing adds to the transaction of a change: the change alone
// (an API key created) against the change with its event, p50 and p95 of
// each, on PostgreSQL.
//
//	go test -run '^$' -bench BenchmarkPublish -benchtime 2000x ./internal/webhook/
func BenchmarkPublish(b *testing.B) {
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
	i := 0
	change := func(publish bool) time.Duration {
		i++
		start := time.Now()
		err := sc.InTx(ctx, func(tx *store.Scoped) error {
			k := &store.APIKey{Name: fmt.Sprintf("key %d", i), KeyHash: fmt.Sprintf("hash-%d", i), Prefix: "tcs_bench",
				Permissions: datatypes.NewJSONSlice([]store.APIScope{})}
			if err := tx.CreateAPIKey(ctx, k, store.Actor{}); err != nil {
				return err
			}
			if !publish {
				return nil
			}
			e, err := events.New(tx.OrganizationID(), events.APIKeyCreated, time.Now(), events.APIKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: []string{}, At: time.Now()})
			if err != nil {
				return err
			}
			return events.Publish(ctx, tx, q, e)
		})
		if err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var without, with []time.Duration
	b.ResetTimer()
	for range b.N {
		without = append(without, change(false))
		with = append(with, change(true))
	}
	b.StopTimer()
	pct := func(d []time.Duration, p float64) float64 {
		slices.Sort(d)
		return float64(d[int(float64(len(d)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(without, 0.5), "ms-p50-change")
	b.ReportMetric(pct(with, 0.5), "ms-p50-with-event")
	b.ReportMetric(pct(without, 0.95), "ms-p95-change")
	b.ReportMetric(pct(with, 0.95), "ms-p95-with-event")
}

// Deliveries a second to a local receiver: b.N events published while the
// queue is stopped, then the queue started and timed until the receiver
// has them all.
//
//	go test -run '^$' -bench BenchmarkDeliveries -benchtime 2000x ./internal/webhook/
func BenchmarkDeliveries(b *testing.B) {
	for _, d := range []store.Dialect{store.Postgres, store.SQLite} {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			ctx := context.Background()
			f := newBenchFixture(b, db)
			ep := newEndpoint(b)
			_, plain, err := f.svc.Create(ctx, f.sc, webhook.Settings{Name: "CRM", URL: ep.url(), Events: []string{"credential.issued"}, Active: true}, store.Actor{})
			if err != nil {
				b.Fatal(err)
			}
			key, _ := webhook.ParseSecret(plain)
			ep.keys = [][]byte{key}
			spec, _ := events.Lookup(events.CredentialIssued)
			for range b.N {
				e, _ := events.New(f.sc.OrganizationID(), events.CredentialIssued, time.Now(), spec.Example)
				if err := f.sc.InTx(ctx, func(tx *store.Scoped) error { return events.Publish(ctx, tx, f.q, e) }); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			start := time.Now()
			if err := f.q.Start(ctx); err != nil {
				b.Fatal(err)
			}
			for {
				if unique, _, _ := ep.counts(); unique >= b.N {
					break
				}
				if time.Since(start) > 10*time.Minute {
					b.Fatal("not delivered in 10 minutes")
				}
				time.Sleep(10 * time.Millisecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
			stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_ = f.q.Stop(stopCtx)
			cancel()
			ep.down()
		})
	}
}
