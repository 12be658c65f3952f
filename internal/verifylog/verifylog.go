// Package verifylog writes verification_logs off the request path: each
// verification is queued in memory and written in bulk at least every
// second (or as soon as a batch is full); Close writes what is queued, so
// a graceful shutdown loses no log.
package verifylog

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/trustcred/trustcred/store"
)

// Writer batches verification logs. Record is safe for concurrent use.
type Writer struct {
	db       *store.DB
	log      *slog.Logger
	interval time.Duration
	maxBatch int

	in   chan store.VerificationLog
	done chan struct{}

	mu     sync.RWMutex
	closed bool
}

// Options tune a Writer; zero values take the defaults.
type Options struct {
	Interval time.Duration // longest a log waits; default 1 s
	MaxBatch int           // rows per insert; default 1000
	Buffer   int           // queued logs before Record waits; default 8,192 (the queue is scanned by every GC cycle)
}

// New starts a writer.
func New(db *store.DB, log *slog.Logger, o Options) *Writer {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 1000
	}
	if o.Buffer <= 0 {
		o.Buffer = 1 << 13
	}
	w := &Writer{db: db, log: log, interval: o.Interval, maxBatch: o.MaxBatch,
		in: make(chan store.VerificationLog, o.Buffer), done: make(chan struct{})}
	go w.run()
	return w
}

// Record queues one log. When the queue is full it waits for room rather
// than drop the log; after Close it writes the log itself.
func (w *Writer) Record(l store.VerificationLog) {
	if l.VerifiedAt.IsZero() {
		l.VerifiedAt = time.Now().UTC()
	}
	w.mu.RLock()
	if !w.closed {
		w.in <- l
		w.mu.RUnlock()
		return
	}
	w.mu.RUnlock()
	w.write(context.Background(), []store.VerificationLog{l})
}

// Close stops accepting logs into the queue and writes everything queued;
// it returns when done or when ctx ends.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.in)
	}
	w.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *Writer) run() {
	defer close(w.done)
	tick := time.NewTicker(w.interval)
	defer tick.Stop()
	batch := make([]store.VerificationLog, 0, w.maxBatch)
	flush := func() {
		if len(batch) > 0 {
			w.write(context.Background(), batch)
			batch = make([]store.VerificationLog, 0, w.maxBatch)
		}
	}
	for {
		select {
		case l, ok := <-w.in:
			if !ok {
				flush()
				return
			}
			batch = append(batch, l)
			if len(batch) >= w.maxBatch {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

// write inserts a batch, retrying a failed insert a few times.
func (w *Writer) write(ctx context.Context, batch []store.VerificationLog) {
	var err error
	for attempt := range 4 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = w.db.InsertVerificationLogs(wctx, batch)
		cancel()
		if err == nil {
			return
		}
	}
	w.log.Error("verification logs not written", "count", len(batch), "err", err)
}
