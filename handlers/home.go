package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/views/dashboard"
	"github.com/trustcred/trustcred/views/home"
	"github.com/trustcred/trustcred/web/auth"
	"github.com/trustcred/trustcred/web/render"
)

// Home serves the landing page, or a signed-in user's dashboard.
type Home struct{}

// Index renders GET /.
func (Home) Index(c *fiber.Ctx) error {
	id := auth.Current(c)
	if id == nil {
		return render.Page(c, fiber.StatusOK, home.IndexPage())
	}
	nav := auth.Nav(id)
	m := dashboard.Model{Name: nav.Name, Organization: nav.Organization, Role: nav.Role}
	if m.Name == "" {
		m.Name = id.User.Email
	}
	for _, item := range nav.Nav[1:] { // everything but the dashboard itself
		m.Links = append(m.Links, dashboard.Link{Label: item.Label, Href: item.Href, Text: "Open " + item.Label + "."})
	}
	m.Links = append(m.Links, dashboard.Link{Label: "Your account", Href: "/account", Text: "Password, two-factor authentication and sessions."})
	render.SetTitle(c, "Dashboard")
	return render.Page(c, fiber.StatusOK, dashboard.Page(m))
}
