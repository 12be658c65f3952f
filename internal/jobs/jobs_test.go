package jobs

import (
	"context"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
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
		if err := q.Enqueue(ctx, echoArgs{N: 42}); err != nil {
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

// slowArgs is a kind whose worker sets its own timeout.
type slowArgs struct{}

func (slowArgs) Kind() string { return "test_slow" }

type slowWorker struct{ river.WorkerDefaults[slowArgs] }

func (slowWorker) Work(context.Context, *river.Job[slowArgs]) error { return nil }

func (slowWorker) Timeout(*river.Job[slowArgs]) time.Duration { return 15 * time.Second }

// Add keeps a worker's own timeout and gives the others DefaultTimeout;
// both stay within what River allows beside RescueAfter.
func TestAddTimeouts(t *testing.T) {
	if got := (timed[slowArgs]{slowWorker{}}).Timeout(&river.Job[slowArgs]{}); got != 15*time.Second {
		t.Fatalf("worker's own timeout became %v", got)
	}
	if got := (timed[echoArgs]{&echoWorker{}}).Timeout(&river.Job[echoArgs]{}); got != DefaultTimeout {
		t.Fatalf("default timeout %v", got)
	}
	ws := NewWorkers()
	Add(ws, slowWorker{})
	Add(ws, &echoWorker{})
	if _, err := New(storetest.Open(t, store.SQLite), storetest.Logger(t), ws); err != nil {
		t.Fatalf("River refuses the timeouts: %v", err)
	}
}

// A job enqueued in the caller's transaction exists only if the
// transaction commits.
func TestEnqueueTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q, err := New(db, storetest.Logger(t), NewWorkers())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = q.Stop(ctx) })
		for _, commit := range []bool{false, true} {
			tx, err := db.SQL().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := q.EnqueueTx(ctx, tx, echoArgs{N: 1}); err != nil {
				t.Fatal(err)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		list, err := q.Client().JobList(ctx, river.NewJobListParams().Kinds("test_echo"))
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Jobs) != 1 {
			t.Fatalf("%d jobs after one rolled back and one committed enqueue, want 1", len(list.Jobs))
		}
	})
}

// The queue is generic: the features own their jobs and enqueue them with
// EnqueueTx, so jobs imports no feature package and the Queue has no method
// for a particular kind.
func TestJobsKnowsNoFeature(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/trustcred/trustcred/") && path != "github.com/trustcred/trustcred/store" {
				t.Errorf("%s imports %s: the work belongs to that package, which registers its workers here", name, path)
			}
		}
	}
	var methods []string
	qt := reflect.TypeFor[*Queue]()
	for i := range qt.NumMethod() {
		methods = append(methods, qt.Method(i).Name)
	}
	if want := []string{"Client", "Enqueue", "EnqueueManyTx", "EnqueueTx", "Start", "Stop", "Working"}; !slices.Equal(methods, want) {
		t.Errorf("Queue's methods %v, want only the generic %v", methods, want)
	}
}
