// Package schemas renders credential schemas: the list, the field builder
// (new, edit, new version) with its live JSON Schema preview, and a
// schema's page.
package schemas

import (
	"strconv"

	"github.com/trustcred/trustcred/views/ui"
)

// Errors maps an input name to its message; "" is the form-level message.
type Errors map[string]string

// Row is one field of the builder, as typed: every value a string so that
// what was typed comes back with its error.
type Row struct {
	Name, Label, Type, Description string
	Min, Max, Pattern, Options     string // Options: one per line, "value" or "value | Label"
	Required                       bool
}

// Input is the name of one of the row's inputs: f.<row>.<column>.
func Input(i int, column string) string { return "f." + strconv.Itoa(i) + "." + column }

// Choice is one option of a select.
type Choice = ui.Option

// Types are the field types the builder offers.
var Types = []Choice{
	{Value: "text", Label: "Text"}, {Value: "number", Label: "Number"}, {Value: "date", Label: "Date"}, {Value: "email", Label: "Email"},
	{Value: "url", Label: "Web address"}, {Value: "select", Label: "Choice (select)"}, {Value: "boolean", Label: "Yes / no"},
}

// Builder is the field builder: the rows, the preview and the advanced editor.
type Builder struct {
	Rows        []Row
	Errors      Errors // by Input(i, column); "fields" for the list as a whole
	Preview     string // the JSON Schema built from the rows; "" when they have errors
	Advanced    bool   // the JSON Schema below is used instead of the built one
	JSON        string // the advanced editor's text
	JSONError   string // why that text is not usable
	JSONOK      bool   // it was checked and is usable
	MaxRows     int
	PreviewNote string   // why there is no preview
	Library     []Choice // the organization's field library (custom_fields): "Add from library"
}

// Err is the message for one cell.
func (b Builder) Err(i int, column string) string { return b.Errors[Input(i, column)] }

// Shows reports whether a column applies to the row's type (the others are
// kept as hidden inputs, so that switching back restores them).
func (r Row) Shows(column string) bool {
	switch column {
	case "min", "max":
		return r.Type == "text" || r.Type == "email" || r.Type == "url" || r.Type == "number" || r.Type == ""
	case "pattern":
		return r.Type == "text" || r.Type == ""
	case "options":
		return r.Type == "select"
	}
	return true
}

// BoundHint says what min and max mean for the row's type.
func (r Row) BoundHint() string {
	if r.Type == "number" {
		return "Smallest and largest value."
	}
	return "Shortest and longest length, in characters."
}

// Form is the new schema, edit schema and new version page.
type Form struct {
	Action      string // where the form posts
	Title       string
	Name        string
	Version     string
	NameLocked  bool   // a new version keeps the name
	InUse       bool   // saving makes a new version
	FromVersion string // the version a new version is made from
	Errors      Errors // name, version, ""
	Builder     Builder
	Cancel      string
}

// ListItem is one schema in the list.
type ListItem struct {
	ID, Name, Version string
	Fields            int
	Templates         int64
	Active, InUse     bool
	Approval          string // "" (usable), ApprovalPending or ApprovalRejected
	Updated           string
}

// A schema's approval, when it is not usable (store.SchemaApprovalStatus).
const (
	ApprovalPending  = "pending"
	ApprovalRejected = "rejected"
)

// Index is the schemas list.
type Index struct {
	Items    []ListItem
	CanWrite bool
}

// Field is one field on a schema's page.
type Field struct {
	Name, Label, Type, Rules string
	Required                 bool
}

// Version is one version of a schema, on its page.
type Version struct {
	ID, Version, Created string
	Active, Current      bool
}

// Show is a schema's page.
type Show struct {
	ID, Name, Version string
	Active, InUse     bool
	Approval          string // "" (usable), ApprovalPending or ApprovalRejected
	ApprovalLink      string // its request in the approvals inbox, for those who may open it
	RejectNote        string // ": <the reviewer's note>" of a rejected one
	Fields            []Field
	Versions          []Version
	JSON              string
	Templates         int64
	CanWrite          bool
}
