package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// maxLoggedSQL bounds the statement text of one log line: a bulk chunk's
// multi-row INSERT has thousands of placeholders, and its text says nothing
// more than its first part does.
const maxLoggedSQL = 1000

// lazyLogger is GORM's logger, asked for a statement's text only when it
// will log it. GORM's loggers build the text (the dialect's Explain, a
// regular expression over the whole statement) for every statement and
// then decide not to log it: 11 % of a bulk issuance's CPU went there.
// Statements are logged when they fail or are slower than slow, as before,
// and everything when the level is Info (gorm's Debug).
type lazyLogger struct {
	inner logger.Interface
	level logger.LogLevel
	slow  time.Duration
}

var (
	_ logger.Interface  = lazyLogger{}
	_ gorm.ParamsFilter = lazyLogger{}
)

func (l lazyLogger) LogMode(level logger.LogLevel) logger.Interface {
	return lazyLogger{inner: l.inner.LogMode(level), level: level, slow: l.slow}
}

func (l lazyLogger) Info(ctx context.Context, msg string, args ...any) {
	l.inner.Info(ctx, msg, args...)
}
func (l lazyLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.inner.Warn(ctx, msg, args...)
}
func (l lazyLogger) Error(ctx context.Context, msg string, args ...any) {
	l.inner.Error(ctx, msg, args...)
}

// Trace hands the statement on only when it will be logged, its text cut
// to maxLoggedSQL.
func (l lazyLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if l.level <= logger.Silent {
		return
	}
	failed := err != nil && !errors.Is(err, gorm.ErrRecordNotFound)
	if !failed && l.level < logger.Info && (l.slow == 0 || time.Since(begin) <= l.slow) {
		return
	}
	l.inner.Trace(ctx, begin, func() (string, int64) {
		sql, rows := fc()
		if len(sql) > maxLoggedSQL {
			sql = sql[:maxLoggedSQL] + "…"
		}
		return sql, rows
	}, err)
}

// ParamsFilter keeps the inner logger's choice of never logging bound
// values (GORM asks the logger it holds, which is this one).
func (l lazyLogger) ParamsFilter(ctx context.Context, sql string, params ...any) (string, []any) {
	if f, ok := l.inner.(gorm.ParamsFilter); ok {
		return f.ParamsFilter(ctx, sql, params...)
	}
	return sql, params
}

// GORM's Scan traces its statement through a recorder whose parameter
// filter is this package variable, not the logger's: by default it keeps
// the values, so a slow Raw(…).Scan(…) logged its bound values (e-mail
// addresses, names) although the logger is set never to. TrustCred never
// logs bound values.
func init() {
	logger.RecorderParamsFilter = func(_ context.Context, sql string, _ ...any) (string, []any) { return sql, nil }
}
