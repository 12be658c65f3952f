package handlers

import (
	"errors"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/approval"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/invitation"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/member"
)

// Invitations serves the public page where an invited member joins: the
// link's token is the only credential.
type Invitations struct {
	DB     *store.DB
	Auth   *auth.Manager
	Events jobs.Enqueuer // member.joined is published through it
}

// Show renders GET /invitations/:token.
func (h *Invitations) Show(c *fiber.Ctx) error {
	privateLink(c)
	t, err := h.DB.UserToken(c.UserContext(), store.TokenInvitation, linkHash(c), time.Now())
	if errors.Is(err, store.ErrTokenInvalid) {
		return linkGone(c, "Invitation", invitation.InvalidPage())
	}
	if err != nil {
		return err
	}
	render.SetTitle(c, "Join "+t.User.Organization.Name)
	return render.Page(c, fiber.StatusOK, invitation.AcceptPage(invitationForm(c, t)))
}

// Accept handles POST /invitations/:token: sets the name and password,
// uses up the link and signs the new member in.
func (h *Invitations) Accept(c *fiber.Ctx) error {
	privateLink(c)
	t, err := h.DB.UserToken(c.UserContext(), store.TokenInvitation, linkHash(c), time.Now())
	if errors.Is(err, store.ErrTokenInvalid) {
		return linkGone(c, "Invitation", invitation.InvalidPage())
	}
	if err != nil {
		return err
	}
	f := invitationForm(c, t)
	f.Name = strings.TrimSpace(c.FormValue("name"))
	f.Errors = invitation.Errors{}
	pw, confirm := c.FormValue("password"), c.FormValue("confirm")
	checkPersonName(f.Errors, "name", f.Name)
	checkNewPassword(f.Errors, pw, confirm, t.User.Email)
	checkForm(c, f.Errors)
	if len(f.Errors) > 0 {
		render.SetTitle(c, "Join "+f.Organization)
		return render.Page(c, fiber.StatusUnprocessableEntity, invitation.AcceptPage(f))
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	joined, asked := events.Joined(c.UserContext(), h.Events), approval.MemberRequested(c.UserContext(), h.Events)
	u, err := h.DB.AcceptInvitation(c.UserContext(), linkHash(c), f.Name, hash, time.Now(), auth.Actor(c),
		func(tx *store.Scoped, u *store.User) error {
			if joined == nil {
				return nil
			}
			if err := joined(tx, u); err != nil {
				return err
			}
			return asked(tx, u)
		})
	if errors.Is(err, store.ErrTokenInvalid) { // used by a concurrent request
		return linkGone(c, "Invitation", invitation.InvalidPage())
	}
	if err != nil {
		return err
	}
	if err := h.Auth.Login(c, u); err != nil {
		return err
	}
	if u.AwaitingApprovalSince != nil {
		render.Flash(c, layout.FlashInfo, "You are signed in. Your membership of "+f.Organization+" awaits approval.")
		return render.Redirect(c, "/")
	}
	render.Flash(c, layout.FlashSuccess, "Welcome to "+f.Organization+". You are signed in.")
	return render.Redirect(c, "/")
}

func invitationForm(c *fiber.Ctx, t *store.UserToken) invitation.Form {
	return invitation.Form{Token: c.Params("token"), Organization: t.User.Organization.Name,
		Role: member.RoleLabel(string(t.User.Role)), Email: t.User.Email}
}

// linkHash is the stored form of the request's link token.
func linkHash(c *fiber.Ctx) string { return auth.HashToken(c.Params("token")) }

// privateLink keeps a page reached through a secret link out of caches and
// Referer headers.
func privateLink(c *fiber.Ctx) {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
}

// linkGone answers an unknown, expired or used link: 410 Gone, with a page
// that says what to do. Every emailed link answers the same way.
func linkGone(c *fiber.Ctx, title string, page templ.Component) error {
	render.SetTitle(c, title)
	return render.Page(c, fiber.StatusGone, page)
}
