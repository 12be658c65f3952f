package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/settings"
)

// Settings serves an organization's settings, through its scoped handle.
type Settings struct{}

// Security renders GET /settings/security.
func (Settings) Security(c *fiber.Ctx) error {
	id := auth.Current(c)
	render.SetTitle(c, "Security settings")
	return render.Page(c, fiber.StatusOK, settings.SecurityPage(settings.SecurityForm{
		Organization: id.Org.Name, RequireMFA: id.Org.RequireMFA, SelfMFA: id.User.MFAEnabled,
	}))
}

// UpdateSecurity handles POST /settings/security.
func (Settings) UpdateSecurity(c *fiber.Ctx) error {
	id := auth.Current(c)
	f := settings.SecurityForm{Organization: id.Org.Name, SelfMFA: id.User.MFAEnabled, Errors: settings.Errors{}}
	switch v := c.FormValue("require_mfa"); v {
	case "", "off", "false", "0":
	case "on", "true", "1":
		f.RequireMFA = true
	default:
		f.RequireMFA = id.Org.RequireMFA
		f.Errors["require_mfa"] = "Tick the box to require two-factor authentication, or leave it empty."
		render.SetTitle(c, "Security settings")
		return render.Page(c, fiber.StatusUnprocessableEntity, settings.SecurityPage(f))
	}
	changed, err := id.Scope.SetRequireMFA(c.UserContext(), f.RequireMFA, auth.Actor(c))
	if err != nil {
		return err
	}
	switch {
	case !changed:
		render.Flash(c, layout.FlashInfo, "Nothing changed.")
	case f.RequireMFA:
		render.Flash(c, layout.FlashSuccess, "Every member must now use two-factor authentication.")
	default:
		render.Flash(c, layout.FlashSuccess, "Two-factor authentication is now optional for members.")
	}
	return render.Redirect(c, "/settings/security")
}
