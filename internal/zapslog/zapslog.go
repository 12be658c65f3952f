// Package zapslog sends a zap logger's entries to a slog.Handler, so that a
// library logging through zap (certmagic) writes where the application's own
// log goes, at the application's configured level. (go.uber.org/zap/exp/zapslog
// is the other direction: slog into a zap core.)
package zapslog

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New is a zap logger whose entries go to h; h.Enabled decides which levels pass
// (debug, info, warn, error; zap's DPanic, Panic and Fatal are logged as errors).
// The logger's name (certmagic's "obtain", "renew"…) becomes the "logger"
// attribute.
func New(h slog.Handler) *zap.Logger {
	return zap.New(&core{h: h})
}

type core struct {
	h      slog.Handler
	fields []zapcore.Field
}

// Level maps a zap level to slog's.
func Level(l zapcore.Level) slog.Level {
	switch {
	case l <= zapcore.DebugLevel:
		return slog.LevelDebug
	case l == zapcore.InfoLevel:
		return slog.LevelInfo
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	}
	return slog.LevelError
}

func (c *core) Enabled(l zapcore.Level) bool { return c.h.Enabled(context.Background(), Level(l)) }

func (c *core) With(fields []zapcore.Field) zapcore.Core {
	all := make([]zapcore.Field, 0, len(c.fields)+len(fields))
	return &core{h: c.h, fields: append(append(all, c.fields...), fields...)}
}

func (c *core) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *core) Write(e zapcore.Entry, fields []zapcore.Field) error {
	r := slog.NewRecord(e.Time, Level(e.Level), e.Message, 0)
	// A child named under an unnamed logger is ".name" (acmez's "acme_client").
	if name := strings.TrimPrefix(e.LoggerName, "."); name != "" {
		r.AddAttrs(slog.String("logger", name))
	}
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range c.fields {
		f.AddTo(enc)
	}
	for _, f := range fields {
		f.AddTo(enc)
	}
	for _, k := range slices.Sorted(maps.Keys(enc.Fields)) {
		r.AddAttrs(attr(k, enc.Fields[k]))
	}
	return c.h.Handle(context.Background(), r)
}

func attr(k string, v any) slog.Attr {
	switch v := v.(type) {
	case map[string]any:
		as := make([]any, 0, len(v))
		for _, kk := range slices.Sorted(maps.Keys(v)) {
			as = append(as, attr(kk, v[kk]))
		}
		return slog.Group(k, as...)
	}
	return slog.Any(k, v)
}

func (c *core) Sync() error { return nil }

var _ zapcore.Core = (*core)(nil)
