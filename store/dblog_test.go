package store

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// recorder is a GORM logger that records what reaches it.
type recorder struct {
	logger.Interface
	traced []string
}

func (r *recorder) LogMode(logger.LogLevel) logger.Interface { return r }

func (r *recorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	r.traced = append(r.traced, sql)
}

func TestLazyLoggerBuildsTheTextOnlyToLogIt(t *testing.T) {
	rec := &recorder{}
	l := lazyLogger{inner: rec, level: logger.Warn, slow: time.Second}
	built := 0
	fc := func() (string, int64) { built++; return "SELECT " + strings.Repeat("$1,", 2000), 1 }
	ctx := context.Background()

	l.Trace(ctx, time.Now(), fc, nil)                    // fast, fine: not logged
	l.Trace(ctx, time.Now(), fc, gorm.ErrRecordNotFound) // not found is an answer
	if built != 0 || len(rec.traced) != 0 {
		t.Fatalf("a fast, successful statement had its text built %d times, logged %d", built, len(rec.traced))
	}
	l.Trace(ctx, time.Now().Add(-2*time.Second), fc, nil)    // slow
	l.Trace(ctx, time.Now(), fc, errors.New("syntax error")) // failed
	if built != 2 || len(rec.traced) != 2 {
		t.Fatalf("slow and failed statements: built %d, logged %d, want 2 and 2", built, len(rec.traced))
	}
	for _, s := range rec.traced {
		if len(s) > maxLoggedSQL+len("…") || !strings.HasSuffix(s, "…") {
			t.Errorf("logged statement of %d bytes, want it cut to %d", len(s), maxLoggedSQL)
		}
	}
	// gorm's Debug (level Info) logs every statement.
	debug := l.LogMode(logger.Info)
	debug.Trace(ctx, time.Now(), fc, nil)
	if built != 3 {
		t.Errorf("at level Info a fast statement was not logged")
	}
}

// TestSlowQueryLogHasNoValues opens a database whose every statement is
// "slow" and checks that the log names statements without their values.
func TestSlowQueryLogHasNoValues(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	db, err := Open(context.Background(), Options{SQLitePath: filepath.Join(t.TempDir(), "t.db"), Logger: log, SlowQuery: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.gorm.Raw("SELECT length(?) + length(?)", "ada@example.org", "Lovelace").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.gorm.Exec("SELECT ? = ?", "grace@example.org", "Hopper").Error; err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "SELECT length(") {
		t.Fatalf("the slow statement is not in the log: %s", out)
	}
	if !strings.Contains(out, "SELECT ? = ?") {
		t.Fatalf("the slow exec is not in the log: %s", out)
	}
	if strings.Contains(out, "example.org") || strings.Contains(out, "Lovelace") || strings.Contains(out, "Hopper") {
		t.Fatalf("the log holds bound values: %s", out)
	}
}
