package mail

import (
	"context"
	"log/slog"
)

// Log is the development Mailer: it sends nothing and logs each message at
// info level, text body included, so that the developer can follow the
// invitation or reset link from the log.
type Log struct {
	logger *slog.Logger
}

// NewLog returns a Log mailer writing to logger (slog.Default() if nil).
func NewLog(logger *slog.Logger) *Log {
	if logger == nil {
		logger = slog.Default()
	}
	return &Log{logger: logger}
}

// Send validates m and logs it.
func (l *Log) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	l.logger.LogAttrs(ctx, slog.LevelInfo, "email not sent (development mode, no SMTP URL)",
		slog.String("to", m.To),
		slog.String("subject", m.Subject),
		slog.String("text", m.Text),
		slog.Bool("html", m.HTML != ""),
	)
	return nil
}
