package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/branding"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
)

// PublicLook is an organization's look as its public pages apply it: the class of
// their branded area and the stylesheet (brand colours, then the sanitized custom CSS).
type PublicLook struct {
	Scope string // branding.ScopeClass(org id)
	CSS   string // no "<", no backslash
	Href  string // /brand/<org id>/<hash of CSS>.css
}

// Brand is the layout's view of the look.
func (l *PublicLook) Brand() *layout.Brand {
	if l == nil {
		return nil
	}
	return &layout.Brand{Stylesheet: l.Href}
}

// ScopeClass is the branded area's class, "" without a look.
func (l *PublicLook) ScopeClass() string {
	if l == nil {
		return ""
	}
	return l.Scope
}

// lookCSS is the stylesheet of a look: the brand colours on the public pages' hooks
// (branding.Style), then the custom CSS sanitized again (it was when saved; Sanitize
// is idempotent).
func lookCSS(orgID string, look store.BrandingLook) string {
	opts := store.CSSOptions(orgID)
	css := branding.Style(opts.Scope, branding.Palette{Primary: deref(look.PrimaryColor),
		Secondary: deref(look.SecondaryColor), Accent: deref(look.AccentColor)})
	if look.CustomCSS != nil {
		css += branding.Sanitize(*look.CustomCSS, opts).CSS
	}
	return css
}

// publicLook is the look of orgID's public pages: nil when it has saved none.
func publicLook(ctx context.Context, db *store.DB, orgID string) (*PublicLook, error) {
	b, err := db.Scoped(orgID).Branding(ctx)
	if err != nil || b.ID == "" {
		return nil, err
	}
	css := lookCSS(orgID, b.Look())
	sum := sha256.Sum256([]byte(css))
	return &PublicLook{Scope: branding.ScopeClass(orgID), CSS: css,
		Href: "/brand/" + orgID + "/" + hex.EncodeToString(sum[:8]) + ".css"}, nil
}

// BrandStyles serves organizations' brand stylesheets, GET /brand/:org/:file
// (<hash>.css): public, no cookie, immutable (a new look is a new hash, and the
// pages that link it are made again: the look's save bumps their stamp).
type BrandStyles struct {
	DB *store.DB
}

// Stylesheet answers the current look's stylesheet, or 404 for an unknown
// organization, one without a look, or a hash that is not the current one.
func (h *BrandStyles) Stylesheet(c *fiber.Ctx) error {
	org, hash, ok := strings.Cut(c.Params("file"), ".")
	orgID := c.Params("org")
	if !ok || hash != "css" || !store.ValidID(orgID) {
		return store.ErrNotFound
	}
	l, err := publicLook(c.UserContext(), h.DB, orgID)
	if err != nil {
		return err
	}
	if l == nil || !strings.HasSuffix(l.Href, "/"+org+".css") {
		return store.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'")
	return c.SendString(l.CSS)
}
