// Package auth is who is asking: server-side sessions (the cookie carries a
// random token, user_sessions its SHA-256), the signed-in identity with its
// organization-scoped store handle, CSRF protection, flash messages and the
// route guards that the route table uses.
//
// Sessions use gorilla/securecookie directly with the user_sessions table,
// not gorilla/sessions' Store: bridging every Fiber request to net/http
// only to carry one opaque token bought nothing, while the table gives
// listing and revocation that a cookie store cannot.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"

	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
)

// Cookie names.
const (
	sessionCookie = "tc_session"
	csrfCookie    = "tc_csrf"
	flashCookie   = "tc_flash"
	mfaCookie     = "tc_mfa"
)

// Config is the session policy.
type Config struct {
	Idle     time.Duration // a session unused this long ends
	Lifetime time.Duration // a session ends this long after sign-in, used or not
	Secure   bool          // cookies only over HTTPS (base URL is https)
}

// Manager issues, loads and ends sessions.
type Manager struct {
	db     *store.DB
	codecs []securecookie.Codec
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
}

// New returns a session manager whose cookies are signed and encrypted with
// keys derived from the master keyring (older master keys still decode).
func New(db *store.DB, keys *secret.Keyring, cfg Config, log *slog.Logger) *Manager {
	hashKeys, blockKeys := keys.Derive("cookie-hmac-sha256"), keys.Derive("cookie-aes-256")
	pairs := make([][]byte, 0, 2*len(hashKeys))
	for i := range hashKeys {
		pairs = append(pairs, hashKeys[i], blockKeys[i])
	}
	codecs := securecookie.CodecsFromPairs(pairs...)
	for _, c := range codecs {
		c.(*securecookie.SecureCookie).MaxAge(int(cfg.Lifetime.Seconds())).SetSerializer(securecookie.JSONEncoder{})
	}
	return &Manager{db: db, codecs: codecs, cfg: cfg, log: log, now: time.Now}
}

// Identity is the signed-in user of a request.
type Identity struct {
	User    *store.User
	Session *store.UserSession
	Org     *store.Organization // nil for platform users without an organization
	Scope   *store.Scoped       // the organization's store handle; nil without an organization
	Account *store.Account      // the user's own store handle
}

type localKey int

const (
	keyIdentity localKey = iota
	keyCSRF
	keyAPIClient
)

// Current returns the request's identity, or nil for an anonymous visitor.
func Current(c *fiber.Ctx) *Identity {
	id, _ := c.Locals(keyIdentity).(*Identity)
	return id
}

// Actor is the request's actor for the audit log: the signed-in user, or
// on the API the key's organization.
func Actor(c *fiber.Ctx) store.Actor {
	a := store.Actor{IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent)}
	if id := Current(c); id != nil {
		a.UserID = &id.User.ID
		if id.Org != nil {
			a.OrganizationID = &id.Org.ID
		}
	}
	if cl := API(c); cl != nil {
		a.OrganizationID = &cl.Org.ID
	}
	return a
}

// Load is the middleware that turns a session cookie into an Identity. A
// cookie whose session is gone (revoked, expired, idle) is cleared, so a
// revoked session stops working on its very next request. Every response
// to a request that carries a session cookie is private to it: no cache,
// the browser's included, may keep it (noStore).
func (m *Manager) Load() fiber.Handler {
	return func(c *fiber.Ctx) error {
		raw := c.Cookies(sessionCookie)
		if raw == "" {
			return c.Next()
		}
		noStore(c)
		var token string
		if err := securecookie.DecodeMulti(sessionCookie, raw, &token, m.codecs...); err != nil {
			m.clear(c, sessionCookie)
			return c.Next()
		}
		now := m.now()
		sess, user, err := m.db.ActiveSession(c.UserContext(), hashToken(token), now, m.cfg.Idle)
		if errors.Is(err, store.ErrNotFound) {
			m.clear(c, sessionCookie)
			return c.Next()
		}
		if err != nil {
			return err
		}
		id := &Identity{User: user, Session: sess, Account: m.db.Account(user.ID)}
		if user.OrganizationID != nil {
			org, err := m.db.OrganizationByID(c.UserContext(), *user.OrganizationID)
			if err != nil {
				return err
			}
			// A suspended or revoked organization's members are signed
			// out on their next request, and told why.
			if Blocked(user, org) {
				actor := Actor(c)
				actor.OrganizationID = &org.ID
				if err := m.db.EndSession(WithoutCancel(c), sess, "session.ended_organization_inactive", now, actor); err != nil {
					return err
				}
				m.clear(c, sessionCookie)
				render.Flash(c, layout.FlashError, BlockedMessage(org))
				return c.Next()
			}
			id.Org = org
			// A member awaiting approval gets no handle on the
			// organization's data: no page can read it for them.
			if user.AwaitingApprovalSince == nil || user.Role == store.RoleSuperAdmin {
				id.Scope = m.db.Scoped(org.ID)
			}
		}
		// Record use at most once a minute: the idle timeout does not need
		// more precision, and a write per request would. Background
		// requests (the notification bell's poll) are not use: an open tab
		// must not keep its session from going idle.
		if !Background(c) && (sess.LastSeenAt == nil || now.Sub(*sess.LastSeenAt) > time.Minute) {
			if err := m.db.TouchSession(c.UserContext(), sess.ID, now); err != nil {
				m.log.Warn("session: record use", "error", err)
			}
		}
		c.Locals(keyIdentity, id)
		return c.Next()
	}
}

// Background reports whether the request is background work of a page
// (it carries X-Background: 1, as the notification bell's poll does)
// rather than something the user did. The header can only make the
// sender's own session idle sooner, so it needs no protection.
func Background(c *fiber.Ctx) bool { return c.Get("X-Background") == "1" }

// Blocked reports whether u may not sign in because their organization is
// suspended or revoked. Platform operators are never blocked.
func Blocked(u *store.User, org *store.Organization) bool {
	return org != nil && org.Status.Blocked() && u.Role != store.RoleSuperAdmin
}

// BlockedMessage tells a member of a suspended or revoked organization why
// they cannot sign in, with the operator's reason.
func BlockedMessage(org *store.Organization) string {
	state := "is suspended"
	if org.Status == store.OrganizationRevoked {
		state = "has been revoked"
	}
	msg := "Your organization's account " + state
	if org.StatusReason != nil {
		if r := strings.TrimRight(strings.TrimSpace(*org.StatusReason), "."); r != "" {
			msg += ": " + r
		}
	}
	return msg + ". Contact the platform operator."
}

// Login starts a new session for u: any session this browser had is ended
// first and the CSRF token is replaced, so nothing chosen before sign-in
// (session fixation) survives it.
func (m *Manager) Login(c *fiber.Ctx, u *store.User) error {
	if old := Current(c); old != nil {
		if err := m.db.EndSession(c.UserContext(), old.Session, "session.replaced", m.now(), Actor(c)); err != nil {
			return err
		}
	}
	token := randomToken()
	now := m.now().UTC()
	ip, ua := c.IP(), c.Get(fiber.HeaderUserAgent)
	if len(ua) > 512 {
		ua = ua[:512]
	}
	s := &store.UserSession{UserID: u.ID, SessionToken: hashToken(token), ExpiresAt: now.Add(m.cfg.Lifetime),
		IPAddress: &ip, UserAgent: &ua, LastSeenAt: &now}
	if err := m.db.CreateSession(c.UserContext(), s); err != nil {
		return err
	}
	if err := m.set(c, sessionCookie, token, m.cfg.Lifetime); err != nil {
		return err
	}
	noStore(c) // the response that starts a session is tied to it
	m.clear(c, mfaCookie)
	m.newCSRF(c)
	c.Locals(keyIdentity, &Identity{User: u, Session: s, Account: m.db.Account(u.ID)})
	return nil
}

// Logout ends the request's session and clears its cookies.
func (m *Manager) Logout(c *fiber.Ctx) error {
	if id := Current(c); id != nil {
		if err := m.db.EndSession(c.UserContext(), id.Session, "logout", m.now(), Actor(c)); err != nil {
			return err
		}
	}
	m.clear(c, sessionCookie)
	m.clear(c, mfaCookie)
	m.newCSRF(c)
	c.Locals(keyIdentity, nil)
	return nil
}

// pendingMFA is what the tc_mfa cookie carries between the password step
// and the second-factor step of a sign-in.
type pendingMFA struct {
	UserID string    `json:"u"`
	Next   string    `json:"n,omitempty"`
	Until  time.Time `json:"t"`
}

// mfaWindow is how long the second step of a sign-in may take.
const mfaWindow = 5 * time.Minute

// BeginMFA records that u gave the right password and must now give a
// second factor; next is where to go afterwards.
func (m *Manager) BeginMFA(c *fiber.Ctx, u *store.User, next string) error {
	noStore(c)
	return m.set(c, mfaCookie, pendingMFA{UserID: u.ID, Next: next, Until: m.now().Add(mfaWindow)}, mfaWindow)
}

// PendingMFA returns the user who passed the password step in this browser
// within the last few minutes, and where they were going.
func (m *Manager) PendingMFA(c *fiber.Ctx) (userID, next string, ok bool) {
	var p pendingMFA
	raw := c.Cookies(mfaCookie)
	if raw == "" || securecookie.DecodeMulti(mfaCookie, raw, &p, m.codecs...) != nil || m.now().After(p.Until) {
		return "", "", false
	}
	return p.UserID, p.Next, true
}

// noStore marks the response as tied to a session: signed-in pages, htmx
// partials, redirects after a form, the account's downloads. Handlers
// that run after it keep it (none under the session middleware relaxes
// it); public pages, which carry no session, keep their own caching.
func noStore(c *fiber.Ctx) { c.Set(fiber.HeaderCacheControl, "no-store") }

func (m *Manager) set(c *fiber.Ctx, name string, value any, maxAge time.Duration) error {
	enc, err := securecookie.EncodeMulti(name, value, m.codecs...)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: name, Value: enc, Path: "/", HTTPOnly: true, Secure: m.cfg.Secure, SameSite: fiber.CookieSameSiteLaxMode,
		MaxAge: int(maxAge.Seconds()),
	})
	return nil
}

func (m *Manager) clear(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", HTTPOnly: true, Secure: m.cfg.Secure,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: -1, Expires: time.Unix(1, 0)})
}

// HashToken is how a session or email token is stored: hex SHA-256. Tokens
// carry 256 random bits, so a fast hash is safe.
func HashToken(token string) string { return hashToken(token) }

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// secretPaths are the prefixes of paths whose last part is a secret (the
// token of an emailed link): logs show the prefix only.
var secretPaths = []string{"/invitations/", "/password/reset/", "/confirm-email/"}

// LogPath is path as it may be logged: the token of an emailed link is cut
// off, so that whoever reads the logs cannot use an unused link.
func LogPath(path string) string {
	for _, p := range secretPaths {
		if strings.HasPrefix(path, p) && len(path) > len(p) {
			return p + "…"
		}
	}
	return path
}

// NewToken returns a random URL-safe token of 256 bits.
func NewToken() string { return randomToken() }

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// WithoutCancel is a context for audit writes that must happen even when
// the client went away.
func WithoutCancel(c *fiber.Ctx) context.Context { return context.WithoutCancel(c.UserContext()) }

// SafeNext returns next if it is a local path, else "/": redirects after
// sign-in never leave the site.
func SafeNext(next string) string {
	if !render.IsLocalPath(next) {
		return "/"
	}
	return next
}
