// Package sms sends text messages through a provider. Callers depend on
// the Provider interface; Twilio is the one real provider protocol
// (Twilio's Messages API, with its status callbacks and their
// X-Twilio-Signature). smstest has a local server that speaks it.
package sms

import (
	"context"
	"errors"
	"fmt"
)

// Message is one text message.
type Message struct {
	To             string // E.164
	Body           string
	StatusCallback string // URL the provider reports the message's fate to; may be empty
}

// Result is what the provider said when it accepted a message.
type Result struct {
	ID     string // the provider's id of the message (Twilio's SID)
	Status string // the provider's status word (queued, sent, …)
}

// Provider sends text messages.
type Provider interface {
	Name() string
	Send(ctx context.Context, m Message) (Result, error)
}

// ErrNotConfigured is returned by Unconfigured: the operator has set up no
// provider, so no text message can be sent.
var ErrNotConfigured = errors.New("sms is not configured")

// Error is a provider's refusal. Permanent errors (an invalid number, a
// number that cannot receive texts, bad credentials) must not be retried;
// the others (rate limits, the provider's outages) are.
type Error struct {
	HTTPStatus int
	Code       int    // the provider's error code (Twilio: 21211 invalid 'To' number, …)
	Message    string // the provider's words
	Permanent  bool
}

func (e *Error) Error() string {
	return fmt.Sprintf("sms: provider answered %d (code %d): %s", e.HTTPStatus, e.Code, e.Message)
}

// Permanent reports whether err is a refusal that retrying would not change.
func Permanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// Unconfigured is the Provider when none is set up: every Send returns
// ErrNotConfigured.
type Unconfigured struct{}

// Name is "none".
func (Unconfigured) Name() string { return "none" }

// Send returns ErrNotConfigured.
func (Unconfigured) Send(context.Context, Message) (Result, error) { return Result{}, ErrNotConfigured }
