package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/design"
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

// Render makes cr's certificate PDF with its template's design (the
// default one when it names none, or a design that cannot be read, which
// is logged) and the organization's logo when it has one that can be drawn.
func (h *Certificates) Render(ctx context.Context, s *store.Scoped, cr *store.Credential, org *store.Organization) ([]byte, error) {
	doc, err := h.Issuer.SignedDocument(cr)
	if err != nil {
		return nil, err
	}
	values, err := design.ValuesOf(doc)
	if err != nil {
		return nil, err
	}
	d := design.Default()
	if cr.Template != nil {
		if id := cr.Template.TemplateData.Data().DesignID; id != "" {
			raw, err := s.DesignDocument(ctx, id)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			if err == nil {
				if parsed, err := design.Parse(raw); err == nil {
					d = parsed
				} else {
					h.Log.Warn("certificate: design not readable, default used", "design_id", id, "err", err)
				}
			}
		}
	}
	in := design.Input{Values: values, VerifyURL: h.base() + "/v/" + cr.PublicID + "?via=qr", Credential: doc, Title: values["title"],
		Logo: h.logo(ctx, org), Images: h.images(ctx, s, d.Assets())}
	var buf bytes.Buffer
	err = design.PDF(&buf, d, in)
	if errors.Is(err, design.ErrLogo) {
		buf.Reset()
		in.Logo = nil
		err = design.PDF(&buf, d, in)
	}
	return buf.Bytes(), err
}

func (h *Certificates) base() string { return strings.TrimRight(h.BaseURL, "/") }

// logo is the organization's logo (nil without one, or when it cannot be read).
func (h *Certificates) logo(ctx context.Context, org *store.Organization) []byte {
	if org == nil || org.LogoKey == nil || h.Blobs == nil {
		return nil
	}
	return h.readImage(ctx, *org.LogoKey, MaxLogoBytes, "organization_id", org.ID)
}

// readImage is the blob at key, at most limit bytes (nil, logged with what, when
// it cannot be read).
func (h *Certificates) readImage(ctx context.Context, key string, limit int, what ...any) []byte {
	r, info, err := h.Blobs.Get(ctx, key)
	if err != nil {
		h.Log.Warn("certificate: image not readable", append(what, "err", err)...)
		return nil
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, min(info.Size, int64(limit))))
	if err != nil {
		return nil
	}
	return b
}

// images are the files of the library images names (Design.Assets) of s's
// organization, by name; one deleted or unreadable is left out (not drawn).
func (h *Certificates) images(ctx context.Context, s *store.Scoped, names []string) map[string][]byte {
	if len(names) == 0 || h.Blobs == nil {
		return nil
	}
	out := make(map[string][]byte, len(names))
	for _, n := range names {
		a, err := s.BrandAsset(ctx, n)
		if err != nil {
			continue
		}
		if b := h.readImage(ctx, store.BrandAssetKey(s.OrganizationID(), a.Name), MaxBrandImageBytes, "asset", a.Name); b != nil {
			out[n] = b
		}
	}
	return out
}
