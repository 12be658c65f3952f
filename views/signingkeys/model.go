// Package signingkeys renders the organization's signing keys and DID
// settings page.
package signingkeys

// Path is the page.
const Path = "/settings/keys"

// Errors maps a form field to its message; "" is about the whole form.
type Errors map[string]string

// Key is one signing key.
type Key struct {
	ID, Multibase, Status string
	Created, CreatedISO   string
	Retired, RetiredISO   string // "" while active
}

// Model is the page.
type Model struct {
	DID       string
	Method    string // web or key
	DIDDocURL string // /orgs/{slug}/did.json
	Keys      []Key
	Errors    Errors // "rotate", "method" and "confirm-rotate", "confirm-method"
}

// Web reports whether the organization issues under did:web.
func (m Model) Web() bool { return m.Method == "web" }
