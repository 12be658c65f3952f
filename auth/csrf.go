package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"

	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/views/layout"
)

// CSRFHeader is the header htmx sends the token in (hx-headers on <body>).
const CSRFHeader = "X-CSRF-Token"

// CSRFField is the form field plain forms send the token in.
const CSRFField = "csrf_token"

// CSRF protects every state-changing request with a signed double-submit
// token: a random value in a signed, encrypted cookie that the page repeats,
// masked afresh on each response (maskCSRF), in a form field or header. A cross-site page can neither read the cookie
// nor forge one, so it cannot produce the matching value. Sign-in and
// sign-out replace the token. /api/ routes are exempt: they authenticate
// with bearer keys, never cookies.
func (m *Manager) CSRF() fiber.Handler {
	return func(c *fiber.Ctx) error {
		token := m.csrfFromCookie(c)
		if token == "" {
			token = m.newCSRF(c)
		} else {
			render.SetCSRFToken(c, maskCSRF(token))
		}
		if safeMethod(c.Method()) || strings.HasPrefix(c.Path(), "/api/") {
			return c.Next()
		}
		sent := c.Get(CSRFHeader)
		if sent == "" {
			sent = c.FormValue(CSRFField)
		}
		if sent == "" || subtle.ConstantTimeCompare([]byte(unmaskCSRF(sent)), []byte(token)) != 1 {
			m.log.Warn("csrf: token missing or wrong", "path", LogPath(c.Path()), "ip", c.IP())
			return fiber.NewError(fiber.StatusForbidden, "CSRF token missing or invalid")
		}
		return c.Next()
	}
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

func (m *Manager) csrfFromCookie(c *fiber.Ctx) string {
	var token string
	raw := c.Cookies(csrfCookie)
	if raw == "" || securecookie.DecodeMulti(csrfCookie, raw, &token, m.codecs...) != nil {
		return ""
	}
	return token
}

// newCSRF issues a new token (first visit, sign-in, sign-out).
func (m *Manager) newCSRF(c *fiber.Ctx) string {
	token := randomToken()
	if err := m.set(c, csrfCookie, token, m.cfg.Lifetime); err != nil {
		m.log.Error("csrf: set cookie", "error", err)
	}
	render.SetCSRFToken(c, maskCSRF(token))
	return token
}

// maskCSRF is the token as one response shows it: a fresh random pad
// followed by the token XORed with it. Pages are compressed, and a page
// that repeated the same secret beside text an attacker can inject would let
// the compressed size reveal it a guessed byte at a time (BREACH); masked,
// its bytes differ on every response. unmaskCSRF recovers the token.
func maskCSRF(token string) string {
	t := []byte(token)
	b := make([]byte, 2*len(t))
	_, _ = rand.Read(b[:len(t)])
	for i := range t {
		b[len(t)+i] = b[i] ^ t[i]
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// unmaskCSRF is the token a masked value carries, or "" for anything else.
func unmaskCSRF(sent string) string {
	b, err := base64.RawURLEncoding.DecodeString(sent)
	if err != nil || len(b) == 0 || len(b)%2 != 0 {
		return ""
	}
	n := len(b) / 2
	for i := range n {
		b[n+i] ^= b[i]
	}
	return string(b[n:])
}

// Flashes is the middleware that carries flash messages across a redirect
// in a signed cookie: it reads (and clears) the previous request's, and,
// when this response redirects, stores the ones queued and not shown.
func (m *Manager) Flashes() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if raw := c.Cookies(flashCookie); raw != "" {
			var in []layout.Flash
			if securecookie.DecodeMulti(flashCookie, raw, &in, m.codecs...) == nil {
				render.SetIncomingFlashes(c, in)
			}
			m.clear(c, flashCookie)
		}
		err := c.Next()
		if out := render.OutgoingFlashes(c); len(out) > 0 && redirecting(c) {
			if serr := m.set(c, flashCookie, out, 0); serr != nil {
				m.log.Warn("flash: set cookie", "error", serr)
			}
		}
		return err
	}
}

func redirecting(c *fiber.Ctx) bool {
	s := c.Response().StatusCode()
	return s >= 300 && s < 400 || len(c.Response().Header.Peek("HX-Redirect")) > 0
}

// CSRFToken gives the page the CSRF token of a visitor who already has one
// (anyone signed in) and does nothing else: no check, no cookie. It is for
// public pages that set no cookie but show a signed-in person the staff
// shell, whose forms (sign out, notifications) need the token.
func (m *Manager) CSRFToken() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if token := m.csrfFromCookie(c); token != "" {
			render.SetCSRFToken(c, maskCSRF(token))
		}
		return c.Next()
	}
}
