package handlers

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/reset"
)

// ResetTTL is how long a password reset link works.
const ResetTTL = time.Hour

// PasswordReset serves "forgot your password": asking for a link, and
// choosing a new password through it.
type PasswordReset struct {
	DB      *store.DB
	Mailer  mail.Mailer
	BaseURL string // links in emails start with it
	Log     *slog.Logger
}

// ForgotForm renders GET /password/forgot.
func (h *PasswordReset) ForgotForm(c *fiber.Ctx) error {
	render.SetTitle(c, "Reset your password")
	return render.Page(c, fiber.StatusOK, reset.ForgotPage(reset.ForgotForm{}))
}

// Forgot handles POST /password/forgot. The answer is the same page
// whether or not an account exists for the address. The email goes out
// after the response, so that its duration does not tell either: both
// paths cost one lookup and one small transaction with an audit entry.
func (h *PasswordReset) Forgot(c *fiber.Ctx) error {
	f := reset.ForgotForm{Email: strings.TrimSpace(c.FormValue("email")), Errors: reset.Errors{}}
	if !validEmail(f.Email) {
		f.Errors["email"] = "Enter an email address such as you@example.org."
	}
	if checkForm(c, f.Errors); len(f.Errors) > 0 {
		render.SetTitle(c, "Reset your password")
		return render.Page(c, fiber.StatusUnprocessableEntity, reset.ForgotPage(f))
	}
	token := auth.NewToken()
	expires := time.Now().Add(ResetTTL)
	u, err := h.DB.RequestPasswordReset(auth.WithoutCancel(c), f.Email, store.EmailLink{TokenHash: auth.HashToken(token), ExpiresAt: expires}, auth.Actor(c))
	switch {
	case err == nil:
		msg := resetEmail(u.Email, h.BaseURL+"/password/reset/"+token, expires)
		go h.send(u.ID, msg)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	render.SetTitle(c, "Check your email")
	return render.Page(c, fiber.StatusOK, reset.SentPage())
}

// send emails a reset link in the background; nobody is waiting for the
// outcome, so failures are only logged.
func (h *PasswordReset) send(userID string, msg mail.Message) {
	ctx, cancel := context.WithTimeout(context.Background(), mailBudget)
	defer cancel()
	if err := h.Mailer.Send(ctx, msg); err != nil {
		logUnsent(h.Log, "password reset email not sent", err, "user_id", userID)
	}
}

// Form renders GET /password/reset/:token.
func (h *PasswordReset) Form(c *fiber.Ctx) error {
	privateLink(c)
	t, err := h.DB.UserToken(c.UserContext(), store.TokenPasswordReset, linkHash(c), time.Now())
	if errors.Is(err, store.ErrTokenInvalid) {
		return linkGone(c, "Password reset", reset.InvalidPage())
	}
	if err != nil {
		return err
	}
	render.SetTitle(c, "Choose a new password")
	return render.Page(c, fiber.StatusOK, reset.ResetPage(reset.Form{Token: c.Params("token"), Email: t.User.Email}))
}

// Reset handles POST /password/reset/:token: the new password replaces the
// old one, the link is used up, the lock and failure count are cleared and
// every session of the account ends.
func (h *PasswordReset) Reset(c *fiber.Ctx) error {
	privateLink(c)
	t, err := h.DB.UserToken(c.UserContext(), store.TokenPasswordReset, linkHash(c), time.Now())
	if errors.Is(err, store.ErrTokenInvalid) {
		return linkGone(c, "Password reset", reset.InvalidPage())
	}
	if err != nil {
		return err
	}
	f := reset.Form{Token: c.Params("token"), Email: t.User.Email, Errors: reset.Errors{}}
	pw, confirm := c.FormValue("password"), c.FormValue("confirm")
	checkNewPassword(f.Errors, pw, confirm, t.User.Email)
	if len(f.Errors) > 0 {
		render.SetTitle(c, "Choose a new password")
		return render.Page(c, fiber.StatusUnprocessableEntity, reset.ResetPage(f))
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	_, err = h.DB.ResetPassword(c.UserContext(), linkHash(c), hash, time.Now(), auth.Actor(c))
	if errors.Is(err, store.ErrTokenInvalid) { // used by a concurrent request
		return linkGone(c, "Password reset", reset.InvalidPage())
	}
	if err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "Your password has been changed and you have been signed out everywhere. Sign in with the new password.")
	return render.Redirect(c, "/login")
}
