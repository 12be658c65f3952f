package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/views/home"
	"github.com/trustcred/trustcred/web/render"
)

// Home serves the public landing page.
type Home struct{}

// Index renders GET /.
func (Home) Index(c *fiber.Ctx) error {
	return render.Page(c, fiber.StatusOK, home.IndexPage())
}
