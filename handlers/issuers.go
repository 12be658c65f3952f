package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/slug"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/issuer"
)

// Issuers serves organizations' public pages.
type Issuers struct {
	DB            *store.DB
	AllowCustomJS bool // the page links the organization's own script (TRUSTCRED_ALLOW_CUSTOM_JS)
}

// Show renders GET /orgs/:slug: the profile of an active organization,
// and the same 404 page for any other (unknown, pending, suspended,
// revoked), so that the page does not tell whether a slug is registered.
func (h *Issuers) Show(c *fiber.Ctx) error {
	s := c.Params("slug")
	if errors.Is(slug.Valid(s), slug.ErrInvalid) {
		return fiber.ErrNotFound
	}
	is, err := h.DB.PublicIssuer(c.UserContext(), s)
	if err != nil {
		return err
	}
	if is.Status != store.OrganizationActive {
		return store.ErrNotFound
	}
	m := issuer.Model{Name: is.Name, Slug: is.Slug, Type: orgTypeLabel(is.Type), Verified: is.Verified, DID: is.DID,
		Categories: is.Categories}
	if is.Description != nil {
		m.Description = *is.Description
	}
	if is.Website != nil {
		m.Website = *is.Website
	}
	if is.LogoKey != nil {
		m.LogoURL = "/orgs/" + is.Slug + "/logo" // served by the organization profile's logo route
	}
	look, err := publicLook(c.UserContext(), h.DB, is.ID, h.AllowCustomJS)
	if err != nil {
		return err
	}
	m.BrandScope = look.ScopeClass()
	render.SetBrand(c, look.Brand())
	render.SetTitle(c, is.Name)
	return render.Page(c, fiber.StatusOK, issuer.Page(m))
}
