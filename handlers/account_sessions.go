package handlers

import (
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/useragent"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/account"
	"github.com/trustcred/trustcred/views/layout"
)

// Sessions renders GET /account/sessions: the user's sessions that still
// work.
func (h *Account) Sessions(c *fiber.Ctx) error {
	id := auth.Current(c)
	list, err := id.Account.Sessions(c.UserContext(), time.Now(), h.Auth.Policy().Idle)
	if err != nil {
		return err
	}
	m := account.Sessions{Sessions: make([]account.Session, 0, len(list))}
	for i := range list {
		m.Sessions = append(m.Sessions, sessionRow(&list[i], id.Session.ID))
	}
	render.SetTitle(c, "Sessions")
	return render.Page(c, fiber.StatusOK, account.SessionsPage(m))
}

func sessionRow(s *store.UserSession, current string) account.Session {
	r := account.Session{ID: s.ID, SignedIn: s.CreatedAt, LastSeen: s.CreatedAt, Current: s.ID == current,
		Device: useragent.Summary(valueOr(s.UserAgent, "")), IP: valueOr(s.IPAddress, "unknown")}
	if s.LastSeenAt != nil {
		r.LastSeen = *s.LastSeenAt
	}
	return r
}

// valueOr is *s, or def when s is nil or empty.
func valueOr(s *string, def string) string {
	if s == nil || *s == "" {
		return def
	}
	return *s
}

// RevokeSession handles POST /account/sessions/:id/revoke. For htmx the
// row goes away; revoking this very session signs out here.
func (h *Account) RevokeSession(c *fiber.Ctx) error {
	id := auth.Current(c)
	sid := c.Params("id")
	if err := id.Account.RevokeSession(c.UserContext(), sid, time.Now(), auth.Actor(c)); err != nil {
		return err // another user's session: 404
	}
	if sid == id.Session.ID {
		h.Auth.Forget(c)
		render.Flash(c, layout.FlashInfo, "You have signed out on this device.")
		return render.Redirect(c, "/login")
	}
	render.Flash(c, layout.FlashSuccess, "The session was signed out. That device must sign in again.")
	if render.IsPartial(c) {
		return render.Page(c, fiber.StatusOK, templ.NopComponent) // the row is replaced by nothing
	}
	return render.Redirect(c, "/account/sessions")
}

// RevokeOtherSessions handles POST /account/sessions/revoke-others.
func (h *Account) RevokeOtherSessions(c *fiber.Ctx) error {
	id := auth.Current(c)
	n, err := id.Account.RevokeOtherSessions(c.UserContext(), id.Session.ID, time.Now(), auth.Actor(c))
	if err != nil {
		return err
	}
	if n == 0 {
		render.Flash(c, layout.FlashInfo, "You were not signed in anywhere else.")
	} else {
		render.Flash(c, layout.FlashSuccess, "Signed out everywhere else: "+plural(n, "session", "sessions")+" ended.")
	}
	return render.Redirect(c, "/account/sessions")
}
