package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/account"
)

// Account serves a user's own account pages.
type Account struct {
	DB   *store.DB
	Auth *auth.Manager
}

// Overview renders GET /account.
func (h *Account) Overview(c *fiber.Ctx) error {
	id := auth.Current(c)
	nav := auth.Nav(id)
	render.SetTitle(c, "Your account")
	return render.Page(c, fiber.StatusOK, account.OverviewPage(account.Overview{
		Email: id.User.Email, Name: nav.Name, Role: nav.Role, Organization: nav.Organization, MFAEnabled: id.User.MFAEnabled,
	}))
}
