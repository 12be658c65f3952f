// Package render writes templ components to Fiber responses: a full page on
// normal requests, only the body on htmx requests, and redirects that work
// for both. Handlers use it; it imports no handler.
package render

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/views/layout"
)

type localKey int

const (
	keyDev localKey = iota
	keyTitle
	keyCSRF
	keyUser
	keyFlashIn  // flashes carried over from the previous request
	keyFlashOut // flashes queued by this request
	keyMeta     // head tags for link previews
	keyBrand    // an organization's look, on its public pages
	keyHome     // TrustCred's own address, on a custom domain
)

// Install is the middleware that tells the renderer about the deployment
// (development mode shows error details).
func Install(dev bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(keyDev, dev)
		return c.Next()
	}
}

// Dev reports whether the server runs in development mode.
func Dev(c *fiber.Ctx) bool {
	dev, _ := c.Locals(keyDev).(bool)
	return dev
}

// SetTitle sets the document title of the page being rendered.
func SetTitle(c *fiber.Ctx, title string) { c.Locals(keyTitle, title) }

// SetMeta adds head tags (Open Graph) to the page being rendered.
func SetMeta(c *fiber.Ctx, m ...layout.Meta) {
	cur, _ := c.Locals(keyMeta).([]layout.Meta)
	c.Locals(keyMeta, append(cur, m...))
}

// SetBrand gives the page an organization's look (its public pages only).
func SetBrand(c *fiber.Ctx, b *layout.Brand) { c.Locals(keyBrand, b) }

// SetHome says the request came through an organization's custom domain, which
// serves only its public pages: the layout's links to sign-in, /verify and
// TrustCred's other pages then lead to home (TrustCred's BaseURL).
func SetHome(c *fiber.Ctx, home string) { c.Locals(keyHome, strings.TrimSuffix(home, "/")) }

// OnCustomDomain reports whether SetHome was called: the page differs from the
// one made for TrustCred's host (its links), so a cache of pages keeps both.
func OnCustomDomain(c *fiber.Ctx) bool {
	home, _ := c.Locals(keyHome).(string)
	return home != ""
}

// SetCSRFToken puts the request's CSRF token in the page (the meta slot,
// htmx's request headers, and every form through the request context).
func SetCSRFToken(c *fiber.Ctx, token string) {
	c.Locals(keyCSRF, token)
	c.SetUserContext(layout.WithCSRFToken(c.UserContext(), token))
}

// SetUser tells the layout who is signed in and which navigation they get.
func SetUser(c *fiber.Ctx, u *layout.User) { c.Locals(keyUser, u) }

// Flash queues a one-time message: shown on this response if it is a page,
// or carried to the next page after a redirect.
func Flash(c *fiber.Ctx, kind layout.FlashKind, message string) {
	out, _ := c.Locals(keyFlashOut).([]layout.Flash)
	c.Locals(keyFlashOut, append(out, layout.Flash{Kind: kind, Message: message}))
}

// SetIncomingFlashes hands the layout the messages carried over from the
// previous request (the auth middleware reads them from their cookie).
func SetIncomingFlashes(c *fiber.Ctx, f []layout.Flash) { c.Locals(keyFlashIn, f) }

// OutgoingFlashes are the messages this request queued and did not show.
func OutgoingFlashes(c *fiber.Ctx) []layout.Flash {
	out, _ := c.Locals(keyFlashOut).([]layout.Flash)
	return out
}

// takeFlashes returns every pending message and marks them shown.
func takeFlashes(c *fiber.Ctx) []layout.Flash {
	in, _ := c.Locals(keyFlashIn).([]layout.Flash)
	out, _ := c.Locals(keyFlashOut).([]layout.Flash)
	c.Locals(keyFlashIn, []layout.Flash(nil))
	c.Locals(keyFlashOut, []layout.Flash(nil))
	return append(in, out...)
}

// Chrome is the layout's view of this request. It takes the pending flash
// messages: they are shown once.
func Chrome(c *fiber.Ctx) layout.Chrome {
	title, _ := c.Locals(keyTitle).(string)
	csrf, _ := c.Locals(keyCSRF).(string)
	user, _ := c.Locals(keyUser).(*layout.User)
	meta, _ := c.Locals(keyMeta).([]layout.Meta)
	brand, _ := c.Locals(keyBrand).(*layout.Brand)
	home, _ := c.Locals(keyHome).(string)
	return layout.Chrome{
		Home:      home,
		Brand:     brand,
		Meta:      meta,
		Title:     title,
		Path:      c.Path(),
		CSRFToken: csrf,
		Dev:       Dev(c),
		User:      user,
		Flash:     takeFlashes(c),
	}
}

// IsPartial reports whether the request wants only the page body: an htmx
// request that is neither boosted nor restoring history.
func IsPartial(c *fiber.Ctx) bool {
	return c.Get("HX-Request") == "true" && c.Get("HX-Boosted") != "true" &&
		c.Get("HX-History-Restore-Request") != "true"
}

// Page renders body inside the layout, or alone for an htmx request.
func Page(c *fiber.Ctx, status int, body templ.Component) error {
	c.Vary("HX-Request")
	if IsPartial(c) {
		// Pending messages travel with the partial, swapped out of band
		// into the page's flash region.
		if f := takeFlashes(c); len(f) > 0 {
			body = layout.WithFlashOOB(body, f)
		}
		return Component(c, status, body)
	}
	return Component(c, status, layout.App(Chrome(c), body))
}

// FullPage renders body inside the layout into bytes, for a page that the
// caller caches (public pages, which carry no per-visitor content).
func FullPage(c *fiber.Ctx, body templ.Component) ([]byte, error) {
	var buf bytes.Buffer
	if err := layout.App(Chrome(c), body).Render(c.UserContext(), &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Component renders one component as the whole response. It renders into a
// buffer first, so a failing component yields a clean error page rather
// than half a document.
func Component(c *fiber.Ctx, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.UserContext(), &buf); err != nil {
		return err
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(buf.Bytes())
}

// Redirect sends the browser to a local path after a successful action:
// HX-Redirect for htmx, 303 See Other otherwise. Only local paths are
// accepted, so user input can never turn this into an open redirect.
func Redirect(c *fiber.Ctx, path string) error {
	if !IsLocalPath(path) {
		path = "/"
	}
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Redirect", path)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(path, fiber.StatusSeeOther)
}

// IsLocalPath reports whether p is a path on this site ("/x", not "//host"
// or "/\host" or "https://…").
func IsLocalPath(p string) bool {
	if p == "" || p[0] != '/' || len(p) > 1 && (p[1] == '/' || p[1] == '\\') {
		return false
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Host == ""
}
