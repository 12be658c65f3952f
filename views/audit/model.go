// Package audit renders the audit trail: an organization's, or the whole
// platform's for operators.
package audit

// Errors maps a filter field to its message; "" is about the whole request.
type Errors map[string]string

// Filter is the filter form, as typed.
type Filter struct {
	Actor, Action, Resource, From, To string
	Errors                            Errors
}

// Entry is one row of the trail, formatted.
type Entry struct {
	ID, At, AtISO                string
	Actor                        string // email, or "" when none (system, unknown or deleted user)
	Action, Summary              string
	ResourceType, ResourceID, IP string
	Organization                 string // platform view only: name, or "" for platform events
}

// Model is the audit page.
type Model struct {
	Path     string // /audit or /admin/audit: where the form and links go
	Platform bool   // every organization: show which one
	Filter   Filter
	Entries  []Entry
	Older    string // link to the next (older) page; "" on the last page
	Newest   string // link back to the first page; "" on the first page
}

// Actions and resource types suggested in the filter form.
var (
	ActionHints   = []string{"login", "login.failed", "logout", "session", "setup", "user", "organization", "password", "mfa", "invitation", "member", "apikey"}
	ResourceHints = []string{"user", "session", "organization", "api_key", "invitation"}
)
