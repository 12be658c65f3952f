// Package layout is the HTML shell every full page is rendered in.
package layout

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/a-h/templ"

	"github.com/trustcred/trustcred/views/ui"
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
	Brand     *Brand // an organization's look: set on its public pages only, nil elsewhere
	// Home is TrustCred's own address (BaseURL) when the page is served on an
	// organization's custom domain, which 404s everything but its public pages;
	// "" on TrustCred's host.
	Home string
}

// Own is the link to one of TrustCred's own pages (sign-in, /verify, docs):
// on a custom domain it leads to TrustCred's host, never to the domain.
func (c Chrome) Own(path string) templ.SafeURL { return templ.SafeURL(c.Home + path) }

// Brand is an organization's look on one of its public pages: its stylesheet (the
// brand colours and its sanitized custom CSS, all scoped under its branded area's
// class). Staff pages never have one.
type Brand struct {
	Stylesheet string // /brand/<org id>/<hash>.css
	Script     string // /brand/<org id>/<hash>.js when custom JavaScript is allowed, else ""
	Favicon    string // /brand-assets/<org id>/favicon-<hash> (its files end -<size>.png), or ""
	// Preview: the branding editor's sandboxed preview document, which has its own
	// CSP: the look inline (Style, sanitized, no "<") since it is not saved yet, and
	// no script.
	Preview bool
	Style   string
}

// Scripts reports whether the page loads TrustCred's scripts (not the preview).
func (c Chrome) Scripts() bool { return c.Brand == nil || !c.Brand.Preview }

// inlineStyle is the preview's <style> element; empty when the style could close it.
func (b Brand) inlineStyle() string {
	if !b.Preview || b.Style == "" || strings.Contains(b.Style, "<") {
		return ""
	}
	return "<style>" + b.Style + "</style>"
}

// Meta is one <meta property="…" content="…"> tag of the page's head.
type Meta struct{ Property, Content string }

// User is the signed-in user as the layout shows them.
type User struct {
	Email, Name, Role, Organization string
	Nav                             []NavGroup // the sections this user may open (package nav)
}

// Display is how the account menu names the user: their name, else their
// email address.
func (u User) Display() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// Initial is the letter on the account menu's button.
func (u User) Initial() string {
	for _, r := range strings.ToUpper(u.Display()) {
		return string(r)
	}
	return "?"
}

// RoleLabel is the user's role as a person reads it.
func (u User) RoleLabel() string {
	switch u.Role {
	case "super_admin":
		return "Platform operator"
	case "admin":
		return "Administrator"
	case "issuer":
		return "Issuer"
	case "reviewer":
		return "Reviewer"
	case "verifier":
		return "Verifier"
	case "recipient":
		return "Recipient"
	}
	return u.Role
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

// NavGroup is one heading of the sidebar with its links.
type NavGroup struct {
	Label string
	Items []NavItem
}

// NavItem is one link of the sidebar.
type NavItem struct {
	Label, Href, TestID string
	CountHref           string // where its count comes from ("" for none)
}

// Current reports whether item is the section being shown: of all the
// sidebar's links that contain the path (itself or a page below it), the
// longest, so that exactly one is marked: on /credentials/issue that is
// Issue, not Credentials.
func (c Chrome) Current(item NavItem) bool {
	if c.User == nil {
		return false
	}
	best := ""
	for _, g := range c.User.Nav {
		for _, it := range g.Items {
			if contains(it.Href, c.Path) && len(it.Href) > len(best) {
				best = it.Href
			}
		}
	}
	return best != "" && item.Href == best
}

// contains reports whether the section at href holds the page at path: the
// same path or one below it ("/" holds only itself).
func contains(href, path string) bool {
	return path == href || href != "/" && strings.HasPrefix(path, href) && path[len(href)] == '/'
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

// sidebarProps is the signed-in person's navigation as the sidebar
// component takes it, with the current page marked.
func sidebarProps(c Chrome, testID string) ui.SidebarNavProps {
	p := ui.SidebarNavProps{Label: "Main", TestID: testID}
	for _, g := range c.User.Nav {
		sg := ui.SidebarGroup{Label: g.Label}
		for _, it := range g.Items {
			sg.Items = append(sg.Items, ui.SidebarItem{Label: it.Label, Href: it.Href, TestID: it.TestID, Current: c.Current(it), CountHref: it.CountHref})
		}
		p.Groups = append(p.Groups, sg)
	}
	return p
}
