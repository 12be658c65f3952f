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
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }
