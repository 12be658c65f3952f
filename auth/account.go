package auth

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"
)

// enrolCookie carries a TOTP secret between "set up" and "confirm": the
// secret is not stored anywhere until the user proves, with a code, that
// their app has it. The cookie is encrypted (AES-256) and authenticated
// with keys derived from the master key, bound to the session that started
// the enrolment, and lasts enrolWindow.
const enrolCookie = "tc_mfa_setup"

// enrolWindow is how long a user has to scan the code and confirm it.
const enrolWindow = 10 * time.Minute

type pendingEnrolment struct {
	SessionID string    `json:"s"`
	Secret    string    `json:"k"`
	Until     time.Time `json:"t"`
}

// BeginEnrolment keeps a new TOTP secret for this session until it is
// confirmed or enrolWindow has passed.
func (m *Manager) BeginEnrolment(c *fiber.Ctx, secret string) error {
	id := Current(c)
	if id == nil {
		return fiber.ErrUnauthorized
	}
	return m.set(c, enrolCookie, pendingEnrolment{SessionID: id.Session.ID, Secret: secret, Until: m.now().Add(enrolWindow)}, enrolWindow)
}

// PendingEnrolment returns the secret this session's enrolment started
// with, if it is still running.
func (m *Manager) PendingEnrolment(c *fiber.Ctx) (secret string, ok bool) {
	id := Current(c)
	raw := c.Cookies(enrolCookie)
	if id == nil || raw == "" {
		return "", false
	}
	var p pendingEnrolment
	if securecookie.DecodeMulti(enrolCookie, raw, &p, m.codecs...) != nil || p.SessionID != id.Session.ID ||
		m.now().After(p.Until) || p.Secret == "" {
		return "", false
	}
	return p.Secret, true
}

// EndEnrolment forgets the pending secret.
func (m *Manager) EndEnrolment(c *fiber.Ctx) { m.clear(c, enrolCookie) }

// Forget clears this browser's session cookies after its session was ended
// in the store (revoked from the sessions page), without ending it again.
func (m *Manager) Forget(c *fiber.Ctx) {
	m.clear(c, sessionCookie)
	m.clear(c, mfaCookie)
	m.clear(c, enrolCookie)
	m.newCSRF(c)
	c.Locals(keyIdentity, nil)
}

// Policy is the session policy (idle timeout and lifetime), for listing
// the sessions that still work.
func (m *Manager) Policy() Config { return m.cfg }
