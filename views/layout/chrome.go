// Package layout is the HTML shell every full page is rendered in.
package layout

import (
	"context"
	"encoding/json"
)

// Chrome is what the shell needs to know about the request: it is built by
// the web package once per full-page render.
type Chrome struct {
	Title     string // page title, without the product name
	Path      string // request path, to mark the current nav item
	CSRFToken string // sent by htmx in a header on every state-changing request
	Flash     []Flash
	Dev       bool
	User      *User  // nil for an anonymous visitor
	Meta      []Meta // Open Graph and similar tags for link previews
}

// Meta is one <meta property="…" content="…"> tag of the page's head.
type Meta struct{ Property, Content string }

// User is the signed-in user as the layout shows them.
type User struct {
	Email, Name, Role, Organization string
	Nav                             []NavItem // the sections this user may open
}

// FlashKind is the tone of a flash message.
type FlashKind string

const (
	FlashSuccess FlashKind = "success"
	FlashError   FlashKind = "error"
	FlashInfo    FlashKind = "info"
)

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind    FlashKind
	Message string
}

// NavItem is one link of the main navigation.
type NavItem struct {
	Label, Href string
}

// Nav lists the main navigation links.
func (c Chrome) Nav() []NavItem {
	if c.User != nil {
		return c.User.Nav
	}
	return []NavItem{{Label: "Home", Href: "/"}}
}

// Current reports whether href is the section being shown.
func (c Chrome) Current(href string) bool {
	return c.Path == href || href != "/" && len(c.Path) > len(href) && c.Path[:len(href)] == href && c.Path[len(href)] == '/'
}

// csrfHeaders is the hx-headers value that makes htmx send the CSRF token
// with every request.
func csrfHeaders(token string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return string(b)
}

type csrfKey struct{}

// WithCSRFToken stores the request's CSRF token in ctx, for CSRFField.
func WithCSRFToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey{}, token)
}

// CSRFToken is the token stored by WithCSRFToken.
func CSRFToken(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}

// FullTitle is the document title.
func (c Chrome) FullTitle() string {
	if c.Title == "" {
		return "TrustCred"
	}
	return c.Title + " · TrustCred"
}

// htmxConfig: no inline indicator styles (the CSP forbids them), no eval,
// 422 responses swap so that forms re-render with their errors, and 4xx/5xx
// swap too: the server retargets them to #flash (web's flashError).
const htmxConfig = `{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"[45]..","swap":true,"error":true}]}`
