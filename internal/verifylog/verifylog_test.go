package verifylog_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

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
