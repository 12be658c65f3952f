// Package member renders an organization's members page: the searchable
// table with inline role changes and deactivation, and the invitation form.
package member

import (
	"strings"

	"github.com/trustcred/trustcred/views/ui"
)

// Errors maps a field name to its message; "" is the form-level message.
type Errors map[string]string

// Status values of Row.Status.
const (
	StatusActive      = "active"
	StatusInvited     = "invited"
	StatusDeactivated = "deactivated"
	StatusAwaiting    = "awaiting_approval" // joined under the user_registration workflow, not approved yet
)

// Item is one member in the table (the Row partial).
type Item struct {
	ID, Name, Email, Role string
	Status                string // StatusActive, StatusInvited, StatusAwaiting or StatusDeactivated
	InvitationExpired     bool   // invited, and the link ran out (or there is none)
	LastLogin             string // formatted, or "" for never
	MFA                   bool
	Self                  bool     // the signed-in administrator's own row
	Roles                 []string // the roles the select offers
	Notice                string   // what the last action did, shown in the row
	Error                 string   // why the last action was refused, shown in the row
	InviteLink            string   // a new invitation link that could not be emailed, shown once
	// Approvers: the change asked for (WarningAction "role" to
	// WarningRole, or "deactivate") would leave these active approval
	// rules or workflow steps without enough approvers; the row asks to
	// confirm it.
	Warning       []string
	WarningAction string
	WarningRole   string
}

// Invited is the page after an invitation whose email could not be sent:
// the link, shown once, for the administrator to pass on.
type Invited struct {
	Email   string
	Link    string
	Problem string // why the email was not sent, a sentence
}

// DisplayName is the name, or the email's local part for members who have
// not chosen a name yet.
func (r Item) DisplayName() string {
	if r.Name != "" {
		return r.Name
	}
	local, _, _ := strings.Cut(r.Email, "@")
	return local
}

// Changeable reports whether the row has actions: platform administrators
// are managed by the operator, not here.
func (r Item) Changeable() bool { return r.Role != "super_admin" }

// Filter is the search form.
type Filter struct {
	Query, Role string
}

// Index is the members page.
type Index struct {
	Filter    Filter
	Roles     []string // for the role filter
	Rows      []Item
	Truncated bool // more members match than the table shows
	Limit     int
}

// InviteForm is the invitation form.
type InviteForm struct {
	Email, Role string
	Roles       []string
	Errors      Errors
}

// roleOptions are roles as the choices of a select, by their labels.
func roleOptions(roles []string) []ui.Option {
	out := make([]ui.Option, len(roles))
	for i, r := range roles {
		out[i] = ui.Option{Value: r, Label: RoleLabel(r)}
	}
	return out
}

// RoleLabel is how a role is shown.
func RoleLabel(role string) string {
	switch role {
	case "super_admin":
		return "Platform administrator"
	case "admin":
		return "Administrator"
	case "issuer":
		return "Issuer"
	case "reviewer":
		return "Reviewer"
	case "verifier":
		return "Verifier"
	case "recipient":
		return "Recipient"
	}
	return role
}
