package handlers

import (
	"context"
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/certificate"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/store"
)

// Certificates serves a credential's certificate PDF: to its organization's
// staff and, publicly, beside its verification page. The PDF is made on
// each request from the signed document (see internal/design).
type Certificates struct {
	DB      *store.DB
	Issuer  *issuance.Issuer
	Blobs   blob.Store
	BaseURL string
	Log     *slog.Logger
}

// Public serves GET /v/:id/certificate.pdf: the certificate of a credential
// whose signed document /v/:id/credential.json gives out (signed, its issuer
// not revoked). A revoked or suspended credential's PDF is still given: it
// is the same signed document, and verifying it says so.
func (h *Certificates) Public(c *fiber.Ctx) error {
	id := c.Params("id")
	if !publicIDRE.MatchString(id) {
		return store.ErrNotFound
	}
	cr, err := h.DB.PublicCredential(c.UserContext(), id)
	if err != nil {
		return err
	}
	if cr.Issuer == nil || cr.Issuer.Status == store.OrganizationRevoked || !signed(cr) {
		return store.ErrNotFound
	}
	return h.send(c, h.DB.Scoped(cr.IssuerID), cr, cr.Issuer, "public, max-age=300")
}

// Staff serves GET /credentials/:id/certificate.pdf for the organization's
// staff (404 for another organization's credential or an unsigned one).
func (h *Certificates) Staff(c *fiber.Ctx) error {
	who := auth.Current(c)
	cr, err := who.Scope.Credential(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !signed(cr) {
		return store.ErrNotFound
	}
	return h.send(c, who.Scope, cr, who.Org, "no-store")
}

func (h *Certificates) send(c *fiber.Ctx, s *store.Scoped, cr *store.Credential, org *store.Organization, cache string) error {
	b, err := h.Render(c.UserContext(), s, cr, org)
	if errors.Is(err, issuance.ErrCredential) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="certificate-`+cr.PublicID+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, cache)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Send(b)
}

// Render makes cr's certificate PDF (certificate.Renderer.Render).
func (h *Certificates) Render(ctx context.Context, s *store.Scoped, cr *store.Credential, org *store.Organization) ([]byte, error) {
	return h.Renderer().Render(ctx, s, cr, org)
}

// Renderer is the certificate.Renderer of these routes' PDFs, for the
// bulk ZIP job and page.
func (h *Certificates) Renderer() *certificate.Renderer {
	return &certificate.Renderer{Issuer: h.Issuer, Blobs: h.Blobs, BaseURL: h.BaseURL, Log: h.Log}
}

// logo is the organization's logo (nil without one, or when it cannot be read).
func (h *Certificates) logo(ctx context.Context, org *store.Organization) []byte {
	return h.Renderer().Logo(ctx, org)
}

// images are the organization's library images of names (certificate.Renderer.Images).
func (h *Certificates) images(ctx context.Context, s *store.Scoped, names []string) map[string][]byte {
	return h.Renderer().Images(ctx, s, names)
}
