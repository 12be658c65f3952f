// Package orgconsole renders the platform operators' organizations
// console: the searchable, sortable, paged table, its rows with their
// lifecycle actions, and the forms that confirm a suspension or revocation.
package orgconsole

import "github.com/trustcred/trustcred/views/ui"

// Path is where the console lives.
const Path = "/admin/organizations"

// Errors maps a field to its message; "" is about the whole request.
type Errors map[string]string

// Filter is the filter form, as typed.
type Filter struct {
	Query, Type, Status, Verified string
	Sort, Dir                     string // name|created|status, asc|desc
	Errors                        Errors
}

// Option is one choice of a select.
type Option = ui.Option

// Types and Statuses are the filters' choices.
var (
	Types = []Option{{Value: "educational", Label: "Educational"}, {Value: "professional", Label: "Professional"}, {Value: "government", Label: "Government"},
		{Value: "corporate", Label: "Corporate"}, {Value: "association", Label: "Association"}}
	Statuses = []Option{{Value: "pending", Label: "Pending"}, {Value: "active", Label: "Active"}, {Value: "suspended", Label: "Suspended"}, {Value: "revoked", Label: "Revoked"}}
	Verified = []Option{{Value: "yes", Label: "Verified"}, {Value: "no", Label: "Not verified"}}
)

// Label is the label of value among options, or value itself.
func Label(options []Option, value string) string {
	for _, o := range options {
		if o.Value == value {
			return o.Label
		}
	}
	return value
}

// Column is a sortable column heading.
type Column struct {
	Key    string // name, created or status
	Label  string
	Href   string // the list sorted by this column (toggling the direction when it already is)
	Sorted string // "", "ascending" or "descending" (aria-sort)
}

// Item is one organization in the table (the Row partial).
type Item struct {
	ID, Name, Slug, Domain string
	Type, Status           string
	Verified               bool
	Created, CreatedISO    string
	Members                int64
	Notice                 string // what the last action did, shown in the row
	Error                  string // why the last action was refused, shown in the row
}

// The actions a row offers, by status (the store's transitions table
// decides; these only avoid offering what it would refuse).
func (r Item) CanApprove() bool    { return r.Status == "pending" }
func (r Item) CanSuspend() bool    { return r.Status == "active" }
func (r Item) CanReactivate() bool { return r.Status == "suspended" }
func (r Item) CanRevoke() bool     { return r.Status != "revoked" }

// Model is the console page.
type Model struct {
	Filter  Filter
	Columns []Column // Name, Created, Status
	Rows    []Item
	Next    string // link to the next page; "" on the last
	Prev    string // link to the previous page; "" on the first
	First   string // link to the first page; "" on it
}

// Confirm is the form that confirms a suspension or a revocation: in the
// row with htmx, on its own page without.
type Confirm struct {
	Row    Item
	Action string // suspend or revoke
	Reason string
	Typed  string // revoke: the slug as the operator typed it
	Errors Errors
	Back   string // the list, for Cancel without JavaScript
}

// Revoke reports whether the form confirms a revocation.
func (c Confirm) Revoke() bool { return c.Action == "revoke" }

// URL is where the form posts.
func (c Confirm) URL() string { return Path + "/" + c.Row.ID + "/" + c.Action }
