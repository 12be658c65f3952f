package handlers

import (
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/views/account"
	"github.com/trustcred/trustcred/views/layout"
)

// PasswordForm renders GET /account/password.
func (h *Account) PasswordForm(c *fiber.Ctx) error {
	id := auth.Current(c)
	render.SetTitle(c, "Change password")
	return render.Page(c, fiber.StatusOK, account.PasswordPage(account.PasswordForm{NoPassword: id.User.PasswordHash == nil}))
}

// ChangePassword handles POST /account/password: the current password,
// then the new one twice. Every other session of the user ends.
func (h *Account) ChangePassword(c *fiber.Ctx) error {
	id := auth.Current(c)
	f := account.PasswordForm{NoPassword: id.User.PasswordHash == nil, Errors: account.Errors{}}
	render.SetTitle(c, "Change password")
	if f.NoPassword {
		f.Errors[""] = "Your account has no TrustCred password to change."
		return render.Page(c, fiber.StatusUnprocessableEntity, account.PasswordPage(f))
	}
	current, pw, confirm := c.FormValue("current"), c.FormValue("password"), c.FormValue("confirm")
	if current == "" {
		f.Errors["current"] = "Enter your current password."
	} else if err := password.Check(*id.User.PasswordHash, current); errors.Is(err, password.ErrMismatch) {
		f.Errors["current"] = "This is not your current password."
	} else if err != nil {
		return err
	}
	checkNewPassword(f.Errors, pw, confirm, id.User.Email)
	if f.Errors["password"] == "" && pw == current {
		f.Errors["password"] = "Choose a password different from your current one."
		delete(f.Errors, "confirm")
	}
	if len(f.Errors) > 0 {
		return render.Page(c, fiber.StatusUnprocessableEntity, account.PasswordPage(f))
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	n, err := id.Account.ChangePassword(c.UserContext(), hash, id.Session.ID, time.Now(), auth.Actor(c))
	if err != nil {
		return err
	}
	msg := "Your password has been changed."
	if n > 0 {
		msg += fmt.Sprintf(" %s elsewhere %s signed out.", plural(n, "session", "sessions"), plural2(n, "was", "were"))
	}
	render.Flash(c, layout.FlashSuccess, msg)
	return render.Redirect(c, "/account")
}

// plural is "1 session" or "3 sessions".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// plural2 picks the word for n without the number.
func plural2(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
