package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
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
			cpu := newCPUMeter(b, db)
			b.ResetTimer()
			start := time.Now()
			if err := f.q.Start(ctx); err != nil {
				b.Fatal(err)
			}
			for i := 0; ; i++ {
				if unique, _, _ := ep.counts(); unique >= b.N {
					break
				}
				if time.Since(start) > 10*time.Minute {
					b.Fatal("not delivered in 10 minutes")
				}
				if i%50 == 0 {
					cpu.sample()
				}
				time.Sleep(10 * time.Millisecond)
			}
			b.StopTimer()
			elapsed := time.Since(start)
			// What the receiver saw: every event once, every signature good
			// (a fast benchmark of wrong deliveries would measure nothing).
			if unique, total, bad := ep.counts(); unique != b.N || total != b.N || bad != 0 {
				b.Fatalf("receiver saw %d events in %d deliveries (%d unverified), want %d once each, all verified", unique, total, bad, b.N)
			}
			goCPU, pgCPU := cpu.used()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
			b.ReportMetric(float64(goCPU.Microseconds())/float64(b.N), "go-cpu-µs/delivery")
			if pgCPU >= 0 {
				b.ReportMetric(float64(pgCPU.Microseconds())/float64(b.N), "pg-cpu-µs/delivery")
			}
			stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_ = f.q.Stop(stopCtx)
			cancel()
			ep.down()
		})
	}
}

// cpuMeter measures the CPU a run used: this process's (getrusage), and on
// PostgreSQL that of the server processes serving this test's database
// (their /proc stat, sampled while the run goes, so that a connection
// closed before the end still counts up to its last sample). The machine
// is shared, so CPU per delivery says more than deliveries a second.
type cpuMeter struct {
	b       *testing.B
	db      *store.DB
	goStart time.Duration
	pgStart map[int]time.Duration
	pgLast  map[int]time.Duration
	pg      bool
}

func newCPUMeter(b *testing.B, db *store.DB) *cpuMeter {
	m := &cpuMeter{b: b, db: db, goStart: processCPU(), pg: db.Dialect() == store.Postgres}
	if m.pg {
		m.pgStart = m.backends()
		m.pg = m.pgStart != nil
		m.pgLast = maps.Clone(m.pgStart)
	}
	return m
}

// backends is the CPU used so far by each server process of the database;
// nil when /proc does not show them (a server on another machine).
func (m *cpuMeter) backends() map[int]time.Duration {
	rows, err := m.db.SQL().Query("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
	if err != nil {
		m.b.Fatal(err)
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			m.b.Fatal(err)
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // ended meanwhile, or another machine's
		}
		// Fields after the command's closing parenthesis: utime and stime
		// are the 12th and 13th, in clock ticks (100 a second on Linux).
		f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(ut+st) * 10 * time.Millisecond
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (m *cpuMeter) sample() {
	if !m.pg {
		return
	}
	for pid, d := range m.backends() {
		m.pgLast[pid] = max(m.pgLast[pid], d)
	}
}

// used is the CPU this process and the database's server processes used
// since the meter was made; the second is -1 when it cannot be seen.
func (m *cpuMeter) used() (goCPU, pgCPU time.Duration) {
	goCPU = processCPU() - m.goStart
	if !m.pg {
		return goCPU, -1
	}
	m.sample()
	for pid, d := range m.pgLast {
		pgCPU += d - m.pgStart[pid]
	}
	return goCPU, pgCPU
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
