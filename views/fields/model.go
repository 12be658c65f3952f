// Package fields is the organization's field library pages
// (/settings/fields): the list, and the form that adds or changes a field.
package fields

import "github.com/trustcred/trustcred/views/ui"

// Path is the library's page.
const Path = "/settings/fields"

// Errors are a form's messages by input name ("" for the form).
type Errors map[string]string

// Types are the field types of the library.
var Types = []ui.Option{{Value: "text", Label: "Text"}, {Value: "number", Label: "Number"}, {Value: "date", Label: "Date"}, {Value: "select", Label: "Choice (select)"}}

// Form is a library field's form.
type Form struct {
	Action, Title, Submit                             string
	Name, Label, Type, Description, Min, Max, Pattern string
	Options                                           string // one per line, "value" or "value | Label"
	Required                                          bool
	Errors                                            Errors
}

// Row is one field of the library.
type Row struct {
	ID, Label, Name, Type, Rules string
	Required                     bool
}

// Page is the library: its fields and, for admins, the form to add one.
type Page struct {
	Rows     []Row
	CanWrite bool
	New      Form
}
