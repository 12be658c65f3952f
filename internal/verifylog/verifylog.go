// Package verifylog writes verification_logs off the request path: each
// verification is queued in memory and written in bulk at least every
// second (or as soon as a batch is full); Close writes what is queued, so
// a graceful shutdown loses no log.
//
// While the database cannot be written (an outage, a failover), the queue
// keeps growing and the writer retries with backoff, then writes
// everything once the database is back. The queue is bounded in entries
// (MaxQueued, 100,000 by default): a page view's log costs about 490 bytes
// while it waits (its report is the cached page's, shared; see
// BenchmarkQueuedMemory), so about 50 MB; a brought document's log also
// carries its own report (1–2 KB). A log recorded while the queue is full
// is dropped and counted (Dropped), never waited for, so an outage does
// not hold up the pages being served.
//
// After Publish, the writer also publishes credential.verified for the
// verifications of TrustCred's own credentials, capped per credential
// (VerifiedWindow), in the transaction that writes the log rows
// (verified.go).
package verifylog

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trustcred/trustcred/store"
)

// Writer batches verification logs. Record is safe for concurrent use.
type Writer struct {
	db         *store.DB
	log        *slog.Logger
	interval   time.Duration
	maxBatch   int
	maxQueued  int
	minBackoff time.Duration
	maxBackoff time.Duration

	mu      sync.Mutex
	queue   []store.VerificationLog // recorded, not yet taken by the writer
	held    int                     // taken by the writer, not yet written
	closed  bool
	dropped atomic.Int64

	verified atomic.Pointer[verified] // credential.verified publishing (Publish); nil: none

	wake  chan struct{}   // a full batch is queued, or Close was called
	ctx   context.Context // cancelled when Close's deadline passed: stop retrying
	abort context.CancelFunc
	done  chan struct{}
}

// Options tune a Writer; zero values take the defaults.
type Options struct {
	Interval  time.Duration // longest a log waits; default 1 s
	MaxBatch  int           // rows per insert; default 1000
	MaxQueued int           // logs kept while they cannot be written; default 100,000
	// Backoff between attempts while the database cannot be written:
	// doubling from MinBackoff (default 100 ms) to MaxBackoff (default 5 s).
	MinBackoff, MaxBackoff time.Duration
}

// New starts a writer.
func New(db *store.DB, log *slog.Logger, o Options) *Writer {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 1000
	}
	if o.MaxQueued <= 0 {
		o.MaxQueued = 100_000
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(5*time.Second, o.MinBackoff)
	}
	w := &Writer{db: db, log: log, interval: o.Interval, maxBatch: o.MaxBatch, maxQueued: o.MaxQueued,
		minBackoff: o.MinBackoff, maxBackoff: o.MaxBackoff,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	w.ctx, w.abort = context.WithCancel(context.Background())
	go w.run()
	return w
}

// Record queues one log; it never waits for the database. When MaxQueued
// logs are already waiting to be written, the log is dropped and counted.
// After Close it writes the log itself (one attempt).
func (w *Writer) Record(l store.VerificationLog) {
	if l.VerifiedAt.IsZero() {
		l.VerifiedAt = time.Now().UTC()
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		if err := w.insert(context.Background(), []store.VerificationLog{l}); err != nil {
			w.drop(1, err)
		}
		return
	}
	if len(w.queue)+w.held >= w.maxQueued {
		w.mu.Unlock()
		w.drop(1, nil)
		return
	}
	w.queue = append(w.queue, l)
	full := len(w.queue) == w.maxBatch
	w.mu.Unlock()
	if full {
		w.signal()
	}
}

// Dropped is the number of logs lost: recorded while the queue was full,
// or still unwritten when Close's deadline passed.
func (w *Writer) Dropped() int64 { return w.dropped.Load() }

// Queued is the number of logs waiting to be written.
func (w *Writer) Queued() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue) + w.held
}

func (w *Writer) drop(n int, err error) {
	// The first drop of a run is logged at once, then every 1,000th, so an
	// outage does not flood the log.
	total := w.dropped.Add(int64(n))
	if total == int64(n) || total/1000 != (total-int64(n))/1000 {
		w.log.Error("verification logs dropped", "dropped_total", total, "max_queued", w.maxQueued, "err", err)
	}
}

func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Close stops accepting logs into the queue and writes everything queued,
// retrying while the database cannot be written; it returns when done, or
// when ctx ends (what is left is then counted as dropped).
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	already := w.closed
	w.closed = true
	w.mu.Unlock()
	if !already {
		w.signal()
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		w.abort() // the insert in flight returns at once
		<-w.done
		return ctx.Err()
	}
}

func (w *Writer) run() {
	defer close(w.done)
	defer w.abort() // releases the context once nothing is left to write
	tick := time.NewTicker(w.interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-w.wake:
		}
		// Nothing is queued once closed is set, so the flush after seeing
		// it writes the last of the queue.
		w.mu.Lock()
		closed := w.closed
		w.mu.Unlock()
		if !w.flush() || closed {
			return
		}
	}
}

// flush writes everything queued when it starts, in batches, each retried
// with backoff until it is written (or Close's deadline passes: false).
func (w *Writer) flush() bool {
	w.mu.Lock()
	pending := w.queue
	w.queue = nil
	w.held = len(pending)
	w.mu.Unlock()
	all := pending
	for len(pending) > 0 {
		n := min(len(pending), w.maxBatch)
		if !w.write(pending[:n]) {
			w.mu.Lock()
			lost := len(pending) + len(w.queue)
			w.queue, w.held = nil, 0
			w.mu.Unlock()
			w.drop(lost, context.DeadlineExceeded)
			return false
		}
		clear(pending[:n]) // let the written logs' strings go
		pending = pending[n:]
		w.mu.Lock()
		w.held = len(pending)
		w.mu.Unlock()
	}
	// The queue's array is used again (emptied above), so that recording
	// does not grow a new one after every flush; one swollen by an outage
	// is let go.
	w.mu.Lock()
	if w.queue == nil && cap(all) <= 4*w.maxBatch {
		w.queue = all[:0]
	}
	w.mu.Unlock()
	return true
}

// write inserts one batch, retrying with backoff while it fails; false
// when Close's deadline passed first.
func (w *Writer) write(batch []store.VerificationLog) bool {
	backoff := w.minBackoff
	wake := w.wake
	var failedSince time.Time
	for attempt := 0; ; attempt++ {
		err := w.insert(w.ctx, batch)
		if err == nil {
			if !failedSince.IsZero() {
				w.log.Info("verification logs written again", "after", time.Since(failedSince).Round(time.Millisecond),
					"attempts", attempt+1, "queued", w.Queued())
			}
			return true
		}
		if failedSince.IsZero() {
			failedSince = time.Now()
			w.log.Warn("verification logs not written yet; retrying", "count", len(batch), "err", err)
		}
		select {
		case <-w.ctx.Done():
			return false
		case <-wake: // Close (or a full batch): try again at once, once
			wake = nil
			w.signal() // for run to see too
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, w.maxBackoff)
	}
}

func (w *Writer) insert(ctx context.Context, batch []store.VerificationLog) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if v := w.verified.Load(); v != nil {
		return v.write(ctx, w.db, batch)
	}
	return w.db.InsertVerificationLogs(ctx, batch)
}
