// Package notification renders a user's in-app notifications: the
// dropdown of the latest under the bell, the notifications page with its
// filters, and the preferences per type and channel.
package notification

import (
	"time"

	"github.com/trustcred/trustcred/views/ui"
)

// Errors maps a field name to its message; "" is about the whole request.
type Errors map[string]string

// Item is one notification, formatted.
type Item struct {
	ID, Type, Title, Message string
	SentAt                   time.Time
	Unread                   bool
	HasLink                  bool // it points somewhere: opening it goes there
	Critical                 bool // a security alert: marked as such
}

// OpenURL marks the notification read and goes to its link.
func (i Item) OpenURL() string { return "/notifications/" + i.ID + "/open" }

// TypeLabel is the notification's type for people.
func (i Item) TypeLabel() string { return TypeLabel(i.Type) }

// Latest is the dropdown under the bell.
type Latest struct {
	Items  []Item
	Unread int64
}

// Filter is the filter form of the page, as given.
type Filter struct {
	Unread bool
	Type   string
	Errors Errors
}

// Page is the notifications page.
type Page struct {
	Filter Filter
	Items  []Item
	Types  []string // the type filter's choices, in order
	Unread int64    // every unread notification, whatever the filter
	Older  string   // link to the next (older) page; "" on the last page
	Newest string   // link back to the first page; "" on the first page
}

// PreferenceRow is one type's channels.
type PreferenceRow struct {
	Type                    string
	InApp, Email, SMS, Push bool
}

// Label is the type for people.
func (r PreferenceRow) Label() string { return TypeLabel(r.Type) }

// Description says which events the type covers.
func (r PreferenceRow) Description() string { return types[r.Type].description }

// Preferences is the preferences page.
type Preferences struct {
	Rows   []PreferenceRow
	Errors Errors
	Saved  bool // just saved (htmx re-render)
	// The email digest, quiet hours ("HH:MM") and time zone (IANA name).
	Digest                         bool
	QuietStart, QuietEnd, Timezone string
	Phone                          string // the account's number (E.164); "" none
	SMSAvailable                   bool   // the operator has set up SMS
}

type typeInfo struct{ label, description string }

var types = map[string]typeInfo{
	"system_alert":         {"Organization and account", "Your organization’s approval, suspension and membership changes."},
	"approval_requested":   {"Approval requested", "A credential waits for your review."},
	"approval_decided":     {"Approval decided", "A reviewer approved or rejected a credential you asked for."},
	"credential_issued":    {"Credential issued", "A credential was issued to you or by you."},
	"credential_revoked":   {"Credential revoked", "A credential you hold or issued was revoked or suspended."},
	"verification_request": {"Verification request", "Someone asked to verify a credential."},
}

// TypeLabel is a notification type for people.
func TypeLabel(t string) string {
	if i, ok := types[t]; ok {
		return i.label
	}
	return t
}

// When formats a moment for the notification pages.
func When(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

func datetime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (i Item) markReadURL() string { return "/notifications/" + i.ID + "/read" }

// typeOptions are the type filter's choices, by their labels.
func typeOptions(types []string) []ui.Option {
	out := make([]ui.Option, len(types))
	for i, t := range types {
		out[i] = ui.Option{Value: t, Label: TypeLabel(t)}
	}
	return out
}
