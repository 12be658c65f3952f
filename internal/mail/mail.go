// Package mail sends TrustCred's emails (invitations, password resets).
//
// Callers depend on the Mailer interface; FromConfig picks the
// implementation from the operator's settings:
//
//   - an SMTP URL set (TRUSTCRED_SMTP_URL): SMTP, see NewSMTP for the URL form;
//   - no URL, development mode: Log, which writes each message (and so its
//     link) to the log at info level instead of sending it;
//   - no URL, production: Unconfigured, whose Send returns ErrNotConfigured.
//     Callers must check for it (errors.Is) and tell the user that email is
//     not configured and to ask their operator, rather than pretend that an
//     invitation or reset link went out.
//
// Every implementation validates the message first: one recipient, a text
// body, no line breaks in the recipient or the subject (header injection).
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strings"
)

// Message is one email to one recipient. Text is required and always sent;
// HTML, when set, is sent as an alternative part beside it.
type Message struct {
	To      string // one address, "a@example.org" or "Name <a@example.org>"
	Subject string
	Text    string
	HTML    string
}

// Mailer sends messages.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

var (
	// ErrNotConfigured is returned by Unconfigured: no SMTP URL is set
	// outside development mode, so nothing can be emailed.
	ErrNotConfigured = errors.New("email is not configured; ask your operator")
	// ErrInvalidMessage wraps every reason a Message is refused.
	ErrInvalidMessage = errors.New("invalid email message")
	// ErrInvalidURL wraps every reason NewSMTP refuses its URL.
	ErrInvalidURL = errors.New("invalid SMTP URL")
)

// Validate reports why m cannot be sent, wrapping ErrInvalidMessage.
func (m Message) Validate() error {
	if strings.ContainsAny(m.To, "\r\n") {
		return fmt.Errorf("%w: recipient contains a line break", ErrInvalidMessage)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return fmt.Errorf("%w: subject contains a line break", ErrInvalidMessage)
	}
	if strings.TrimSpace(m.To) == "" {
		return fmt.Errorf("%w: no recipient", ErrInvalidMessage)
	}
	if _, err := netmail.ParseAddress(m.To); err != nil {
		return fmt.Errorf("%w: recipient %q: %v", ErrInvalidMessage, m.To, err)
	}
	if strings.TrimSpace(m.Text) == "" {
		return fmt.Errorf("%w: no text body", ErrInvalidMessage)
	}
	return nil
}

// FromConfig returns the Mailer for the operator's settings: SMTP when
// smtpURL is set, otherwise Log in development mode and Unconfigured in
// production (see the package documentation). A nil logger means
// slog.Default().
func FromConfig(smtpURL string, dev bool, logger *slog.Logger) (Mailer, error) {
	if logger == nil {
		logger = slog.Default()
	}
	switch {
	case smtpURL != "":
		return NewSMTP(smtpURL)
	case dev:
		logger.Info("no SMTP URL: emails are written to this log, not sent (development mode)")
		return NewLog(logger), nil
	default:
		logger.Warn("no SMTP URL: email is not configured, invitations and password resets cannot be sent")
		return Unconfigured{}, nil
	}
}

// Configured reports whether m can send email at all: false for nil and
// for Unconfigured (a production server without SMTP settings).
func Configured(m Mailer) bool {
	_, off := m.(Unconfigured)
	return m != nil && !off
}

// Unconfigured is the Mailer of a production server without SMTP settings:
// every Send returns ErrNotConfigured.
type Unconfigured struct{}

// Send returns ErrNotConfigured.
func (Unconfigured) Send(context.Context, Message) error { return ErrNotConfigured }
