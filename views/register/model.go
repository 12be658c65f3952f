// Package register renders the public registration of an organization and
// the confirmation of its administrator's email address.
package register

import "github.com/trustcred/trustcred/views/ui"

// Errors maps a field name to its message; "" is the form-level message.
type Errors map[string]string

// Option is one choice of a select.
type Option = ui.Option

// Form is the registration form, as typed (passwords are never echoed).
type Form struct {
	Name, Type, Domain string
	Slug               Slug
	AdminName, Email   string
	Types              []Option
	Errors             Errors
}

// Slug is the URL name field: the partial that htmx swaps as the name is
// typed, with what the server knows about the value.
type Slug struct {
	Value     string
	Source    string // the name Value was derived from; a Value that no longer matches it was edited by hand
	Prefix    string // shown before the input: host and /orgs/
	Error     string
	Available bool // checked and free
}

// Done is the page after a successful registration.
type Done struct {
	Organization string
	Email        string
	MailProblem  string // why the confirmation email was not sent; "" when it was
}

// Confirmed is the page after the email address was confirmed.
type Confirmed struct {
	Email        string
	Organization string // "" for an account without one
	Pending      bool   // the organization still awaits approval
	SignedIn     bool
}
