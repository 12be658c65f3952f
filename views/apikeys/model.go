// Package apikeys renders an organization's API keys page.
package apikeys

import "github.com/trustcred/trustcred/views/ui"

// Errors maps a field name to its message; "" is the form-level message.
type Errors map[string]string

// Row is one key in the list. Times are already formatted.
type Row struct {
	ID, Name, Prefix           string
	Scopes                     []string
	Created, LastUsed, Expires string
	CreatedISO, LastUsedISO    string // machine-readable <time> values; "" when never
	Status                     string // active, revoked or expired
}

// Expiry choices of the form.
const (
	ExpiryNever = "never"
	ExpiryDate  = "date"
)

// ExpiryChoice is one option of the expiry select.
type ExpiryChoice = ui.Option

// ExpiryChoices lists the options: never, 30, 90 or 365 days, or a date.
var ExpiryChoices = []ExpiryChoice{
	{Value: ExpiryNever, Label: "Never"},
	{Value: "30", Label: "In 30 days"},
	{Value: "90", Label: "In 90 days"},
	{Value: "365", Label: "In 365 days"},
	{Value: ExpiryDate, Label: "On a date…"},
}

// Form is the new-key form.
type Form struct {
	Name   string
	Scopes []string // chosen scopes
	Expiry string   // one of ExpiryChoices
	Date   string   // yyyy-mm-dd when Expiry is ExpiryDate
	Errors Errors
}

// Chose reports whether scope is ticked.
func (f Form) Chose(scope string) bool {
	for _, s := range f.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// Scope is one checkbox of the form.
type Scope struct {
	Value, Help string
}

// Index is the API keys page.
type Index struct {
	Rows      []Row
	Form      Form
	AllScopes []Scope
	BaseURL   string // for the usage example
}

// Created is the page that shows a new key, once.
type Created struct {
	Key     string // the full key: shown here and never again
	Row     Row
	BaseURL string
}
