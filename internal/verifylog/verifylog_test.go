package verifylog_test

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/outagetest"
	"github.com/trustcred/trustcred/internal/verifylog"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func count(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRowContext(context.Background(), "SELECT count(*) FROM verification_logs").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func entry(i int) store.VerificationLog {
	verdict := "invalid"
	ip := fmt.Sprintf("192.0.2.%d", i%250+1)
	return store.VerificationLog{VerificationMethod: store.VerifiedByAPI, Verdict: &verdict, IPAddress: &ip}
}

// Close writes everything queued: nothing is lost on shutdown, however
// many goroutines were recording.
func TestCloseFlushesEverything(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := verifylog.New(db, slog.Default(), verifylog.Options{Interval: time.Hour, MaxBatch: 700})
		var wg sync.WaitGroup
		for g := range 5 {
			wg.Go(func() {
				for i := range 500 {
					w.Record(entry(g*500 + i))
				}
			})
		}
		wg.Wait()
		if err := w.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db); n != 2500 {
			t.Fatalf("%d rows after Close, want 2500", n)
		}
		// After Close a log is still written, synchronously.
		w.Record(entry(1))
		if n := count(t, db); n != 2501 {
			t.Fatalf("%d rows after a late Record", n)
		}
	})
}

// A lone log does not wait for a full batch.
func TestFlushesOnInterval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := verifylog.New(db, slog.Default(), verifylog.Options{Interval: 50 * time.Millisecond})
		defer w.Close(context.Background())
		w.Record(entry(1))
		deadline := time.Now().Add(10 * time.Second)
		for count(t, db) != 1 {
			if time.Now().After(deadline) {
				t.Fatal("the log was never written before Close")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// During a database outage logs are kept, not dropped after a few
// retries, and all written once the database is back; past MaxQueued they
// are dropped and counted, and Record never waits for the database.
func TestOutageKeepsLogs(t *testing.T) {
	db, proxy := outagetest.Postgres(t)
	w := verifylog.New(db, storetest.Logger(t), verifylog.Options{Interval: 20 * time.Millisecond, MaxBatch: 50,
		MaxQueued: 400, MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	defer w.Close(context.Background())
	for i := range 10 {
		w.Record(entry(i))
	}
	waitFor(t, func() bool { return count(t, db) == 10 }, "the logs before the outage")

	proxy.Stop()
	outage := time.Now()
	for i := range 450 { // 50 past the bound
		w.Record(entry(i))
		if i%50 == 0 {
			time.Sleep(10 * time.Millisecond) // spread: the writer fails and retries meanwhile
		}
	}
	if d := w.Dropped(); d != 50 {
		t.Fatalf("dropped %d logs, want the 50 past MaxQueued", d)
	}
	if q := w.Queued(); q != 400 {
		t.Fatalf("%d logs queued during the outage, want 400", q)
	}
	// Longer than the old 4 attempts over about 1.2 s.
	time.Sleep(3*time.Second - time.Since(outage))
	proxy.Start()
	waitFor(t, func() bool { return count(t, db) == 410 }, "every log queued during the outage")
	if d := w.Dropped(); d != 50 {
		t.Fatalf("dropped %d logs after the outage, want 50", d)
	}
}

// Close's deadline bounds how long it waits for a database that does not
// come back; what it could not write is counted as dropped.
func TestCloseDeadlineDuringOutage(t *testing.T) {
	db, proxy := outagetest.Postgres(t)
	w := verifylog.New(db, storetest.Logger(t), verifylog.Options{Interval: time.Hour, MinBackoff: 10 * time.Millisecond})
	proxy.Stop()
	for i := range 30 {
		w.Record(entry(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); err == nil {
		t.Fatal("Close returned nil with the database down")
	}
	if d := w.Dropped(); d != 30 {
		t.Fatalf("dropped %d, want 30", d)
	}
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BenchmarkQueuedMemory measures what a log waiting through an outage
// costs in memory (B/queued-log): a page view's, whose report is shared
// with the cached page, as most are.
func BenchmarkQueuedMemory(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	if err := db.Close(); err != nil { // the outage: every write fails
		b.Fatal(err)
	}
	report := []byte(`{"verified":true,"checks":[{"name":"format","passed":true,"detail":"A W3C Verifiable Credential (data model 2.0)."}]}`)
	const n = 100_000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w := verifylog.New(db, slog.New(slog.DiscardHandler), verifylog.Options{MaxQueued: n, MinBackoff: time.Hour})
		for i := range n {
			l := entry(i)
			cred, org, ua := fmt.Sprintf("%036d", i), fmt.Sprintf("%036d", i%100), fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) test/%d", i)
			l.CredentialID, l.OrganizationID, l.UserAgent, l.ResultJSON = &cred, &org, &ua, report
			w.Record(l)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if q := w.Queued(); q != n {
			b.Fatalf("%d queued", q)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/queued-log")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = w.Close(ctx)
	}
}
