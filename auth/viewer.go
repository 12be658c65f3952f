package auth

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"
)

// Viewer is the signed-in user looking at a public page, if any, read from
// the session cookie without touching the session or setting any cookie
// (public pages set none, so that caches and privacy are not affected).
// nil for an anonymous visitor or an ended session.
func (m *Manager) Viewer(c *fiber.Ctx) *string {
	raw := c.Cookies(sessionCookie)
	if raw == "" {
		return nil
	}
	var token string
	if err := securecookie.DecodeMulti(sessionCookie, raw, &token, m.codecs...); err != nil {
		return nil
	}
	_, user, err := m.db.ActiveSession(c.UserContext(), hashToken(token), m.now(), m.cfg.Idle)
	if err != nil {
		return nil
	}
	return &user.ID
}
