package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

type echoArgs struct{ N int }

func (echoArgs) Kind() string { return "test_echo" }

type echoWorker struct {
	river.WorkerDefaults[echoArgs]
	seen chan int
}

func (w *echoWorker) Work(_ context.Context, j *river.Job[echoArgs]) error {
	w.seen <- j.Args.N
	return nil
}

// The queue works jobs in-process on both databases and stops cleanly.
func TestQueueWorksJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws := NewWorkers()
		w := &echoWorker{seen: make(chan int, 1)}
		Add(ws, w)
		if got := ws.Kinds(); len(got) != 1 || got[0] != "test_echo" {
			t.Fatalf("kinds %v", got)
		}
		q, err := New(db, storetest.Logger(t), ws)
		if err != nil {
			t.Fatal(err)
		}
		if !q.Working() {
			t.Fatal("queue with a worker does not work jobs")
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := q.client.Insert(ctx, echoArgs{N: 42}, nil); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-w.seen:
			if n != 42 {
				t.Fatalf("worked job with N=%d", n)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("job not worked within 30s")
		}
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := q.Stop(stopCtx); err != nil {
			t.Fatalf("stop: %v", err)
		}
	})
}

// Without workers River cannot start; the queue then only enqueues.
func TestQueueWithoutWorkers(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	q, err := New(db, storetest.Logger(t), NewWorkers())
	if err != nil {
		t.Fatal(err)
	}
	if q.Working() {
		t.Fatal("queue without workers claims to work jobs")
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := q.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
