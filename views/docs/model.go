// Package docs holds the public documentation pages: the events that
// webhooks deliver and how a receiver verifies them.
package docs

import "strings"

// pathParts splits a dotted field path, so that a narrow table breaks
// it after a dot rather than inside a name.
func pathParts(path string) []string { return strings.Split(path, ".") }

// EventsModel is the /docs/events page.
type EventsModel struct {
	Groups []Group
	// Snippets show a receiver's verification, by language.
	GoSnippet, JSSnippet, Ed25519Snippet string
	Tolerance                            string // how far a timestamp may be from the receiver's clock
	Retries                              string // the retry schedule, as a sentence
}

// Group is one group of event types (Credentials, Members…).
type Group struct {
	Name   string
	Anchor string
	Events []Event
}

// Event is one event type: what it means, its fields and an example body.
type Event struct {
	Type        string
	Anchor      string
	Version     int
	Description string
	Fields      []Field
	Example     string // the example body, indented JSON
	SchemaURL   string
}

// Field is one field of an event's data, nested fields by dotted path
// (credential.id).
type Field struct {
	Name        string
	Type        string
	Required    bool
	Description string
}
