// Package webhooks renders an organization's webhooks pages
// (/settings/webhooks): the list, the form, the secret shown once, the
// test result and the delivery log with its detail.
package webhooks

import "github.com/trustcred/trustcred/views/ui"

// Path is where the pages live.
const Path = "/settings/webhooks"

// URL of one webhook's page.
func URL(id string) string { return Path + "/" + id }

// DeliveriesURL is one webhook's delivery log.
func DeliveriesURL(id string) string { return URL(id) + "/deliveries" }

// DeliveryURL is one delivery's detail.
func DeliveryURL(hookID, id string) string { return DeliveriesURL(hookID) + "/" + id }

// Errors maps a field name to its message; "" is the form-level message.
type Errors map[string]string

// States of a webhook as the list shows them.
const (
	StateActive   = "active"
	StatePaused   = "paused"   // switched off by an admin
	StateDisabled = "disabled" // switched off by TrustCred (410, failures)
	StateFailing  = "failing"  // active, but the last deliveries failed
)

// State is a webhook's state, formatted.
type State struct {
	Kind   string // one of the State constants
	Reason string // why TrustCred disabled it, or since when it fails
}

// Last is a webhook's last delivery attempt ("" Time: none yet).
type Last struct {
	Success bool
	Status  string // "HTTP 200", "No response"
	Time    string
	TimeISO string
}

// Row is one webhook in the list.
type Row struct {
	ID, Name, URL string
	Events        int
	State         State
	Last          Last
}

// Index is the list page.
type Index struct {
	Rows []Row
	Max  int  // how many webhooks an organization may have
	Full bool // at Max: no "New webhook"
}

// Event is one checkbox of the form.
type Event struct {
	Type, Description string
}

// EventGroup is the checkboxes of one group of the events catalogue.
type EventGroup struct {
	ID, Label string // ID is a slug for element ids
	Events    []Event
}

// Form is the create/edit form.
type Form struct {
	ID                string // "" for a new webhook
	Name, URL         string
	Events            []string // chosen
	Active            bool
	SignWithIssuerKey bool
	Errors            Errors
	Groups            []EventGroup
	AllowHTTP         bool // the operator allows private outbound: http:// to loopback too
}

// Chose reports whether event t is ticked.
func (f Form) Chose(t string) bool {
	for _, e := range f.Events {
		if e == t {
			return true
		}
	}
	return false
}

// AllChosen reports whether every event of g is ticked.
func (f Form) AllChosen(g EventGroup) bool {
	for _, e := range g.Events {
		if !f.Chose(e.Type) {
			return false
		}
	}
	return len(g.Events) > 0
}

// Action is where the form posts.
func (f Form) Action() string {
	if f.ID == "" {
		return Path
	}
	return URL(f.ID)
}

// Overlaps are the choices of a rotation's overlap.
var Overlaps = []ui.Option{
	{Value: "1h", Label: "1 hour"},
	{Value: "24h", Label: "24 hours"},
	{Value: "72h", Label: "72 hours"},
}

// Edit is one webhook's page: its settings, its actions.
type Edit struct {
	Name        string // as stored (the form holds what was typed)
	Form        Form
	State       State
	Created     string
	RotateError string
	Overlap     string
	Rotating    string // the previous secret signs until this time ("" when not)
	Test        *TestResult
}

// Secret is the page that shows a new secret, once.
type Secret struct {
	ID, Name, URL string
	Secret        string
	Rotated       bool
	OverlapUntil  string // after a rotation: the old secret signs until then
}

// TestResult is what "Send test event" shows.
type TestResult struct {
	OK        bool
	EventType string
	Status    string // "HTTP 200" or "No response"
	Duration  string
	Error     string
	Response  string // the start of the receiver's answer
	Reenabled bool   // the endpoint was disabled and is delivering again
	State     State  // the webhook's state after the test
}

// DeliveryFilter is the delivery log's filter as typed.
type DeliveryFilter struct {
	Event, Result string
	Errors        Errors
}

// DeliveryRow is one attempt in the log.
type DeliveryRow struct {
	ID, EventID, EventType string
	Time, TimeISO          string
	Attempt                int
	Cause                  string
	Success                bool
	Status                 string
	Duration               string
	Error                  string
}

// Deliveries is the delivery log page.
type Deliveries struct {
	HookID, HookName string
	Filter           DeliveryFilter
	EventTypes       []string // for the filter
	Rows             []DeliveryRow
	Newest, Older    string
	Since            string // "Redeliver all failed since…" as typed
	SinceError       string
}

// Header is one request header.
type Header struct{ Name, Value string }

// Delivery is one attempt's detail.
type Delivery struct {
	HookID, HookName string
	Row              DeliveryRow
	Headers          []Header
	Body             string // the request body, indented
	Response         string // the first 4 KB of the answer
}

// Results are the delivery log's filter choices.
var Results = []ui.Option{{Value: "success", Label: "Succeeded"}, {Value: "failure", Label: "Failed"}}
