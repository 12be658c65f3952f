package customdomain_test

import (
	"context"
	"crypto/tls"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/trustcred/trustcred/internal/customdomain"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// records keeps what reaches the application's slog handler.
type records struct {
	mu    sync.Mutex
	level slog.Level
	got   []string
	attrs []slog.Attr
}

func (r *records) Enabled(_ context.Context, l slog.Level) bool { return l >= r.level }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	line := rec.Level.String() + " " + rec.Message
	rec.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	for _, a := range r.attrs {
		line += " " + a.String()
	}
	r.got = append(r.got, line)
	return nil
}
func (r *records) WithAttrs(as []slog.Attr) slog.Handler {
	return &sub{r, as}
}
func (r *records) WithGroup(string) slog.Handler { return r }

type sub struct {
	*records
	as []slog.Attr
}

func (s *sub) Handle(ctx context.Context, rec slog.Record) error {
	rec.AddAttrs(s.as...)
	return s.records.Handle(ctx, rec)
}

func (r *records) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

// TestACMELogsThroughSlog: certmagic's log lines (here its handshake refusing a name
// that is no verified custom domain) reach the application's slog handler, tagged
// component=certmagic, and only at the configured level.
func TestACMELogsThroughSlog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := &customdomain.Service{DB: db, Keys: testKeys(t)}
		try := func(level slog.Level) []string {
			h := &records{level: level}
			picker, err := customdomain.NewTLS(s, &customdomain.ACME{CA: "https://127.0.0.1:9/dir", Storage: t.TempDir(), Log: slog.New(h)})
			if err != nil {
				t.Fatal(err)
			}
			defer picker.Close()
			if _, err := picker.GetCertificate(&tls.ClientHelloInfo{ServerName: "unknown.example.org"}); err == nil {
				t.Fatal("a name that is no verified custom domain got a certificate")
			}
			return h.lines()
		}
		debug := try(slog.LevelDebug)
		found := false
		for _, l := range debug {
			if strings.Contains(l, "component=certmagic") && strings.Contains(l, "unknown.example.org") {
				found = true
			}
		}
		if !found {
			t.Fatalf("no certmagic line about the refused name reached slog at debug level: %q", debug)
		}
		for _, l := range try(slog.LevelError + 4) {
			t.Errorf("a line above the configured level reached slog: %s", l)
		}
	})
}
