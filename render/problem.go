package render

import "fmt"

// Problem is an error meant for an API client: the error handler answers
// it as RFC 9457 Problem Details with this status, title and detail, so
// both must be written for the client (never an internal error's text).
// Middleware may set headers (WWW-Authenticate) before returning one.
type Problem struct {
	Status int
	Title  string
	Detail string
	// Errors are the problem's details by place (the "errors" extension
	// member RFC 9457 shows): what is wrong with each field of the body or
	// parameter of the query.
	Errors []FieldError
}

// FieldError is one thing wrong with a request: at a JSON pointer into the
// body (RFC 6901, "/events/2") or in a query parameter, worded for the
// client.
type FieldError struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Detail    string `json:"detail"`
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }
