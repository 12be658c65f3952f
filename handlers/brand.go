package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/blob"
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
	// The organization's script, only when the operator allows custom JavaScript
	// (TRUSTCRED_ALLOW_CUSTOM_JS) and it saved one; else both "".
	JS, ScriptHref string
	Favicon        string // /brand-assets/<org id>/favicon-<hash>, or ""
}

// Brand is the layout's view of the look.
func (l *PublicLook) Brand() *layout.Brand {
	if l == nil {
		return nil
	}
	return &layout.Brand{Stylesheet: l.Href, Script: l.ScriptHref, Favicon: l.Favicon}
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
	css := branding.Style(opts.Scope, look.Palette())
	if look.CustomCSS != nil {
		css += branding.Sanitize(*look.CustomCSS, opts).CSS
	}
	return css
}

// publicLook is the look of orgID's public pages: nil when it has saved none. Its
// script only when allowJS (the operator's TRUSTCRED_ALLOW_CUSTOM_JS).
func publicLook(ctx context.Context, db *store.DB, orgID string, allowJS bool) (*PublicLook, error) {
	b, err := db.Scoped(orgID).Branding(ctx)
	if err != nil || b.ID == "" {
		return nil, err
	}
	css := lookCSS(orgID, b.Look())
	l := &PublicLook{Scope: branding.ScopeClass(orgID), CSS: css, Href: "/brand/" + orgID + "/" + shortHash(css) + ".css",
		Favicon: deref(b.FaviconURL)}
	if allowJS && b.CustomJS != nil && strings.TrimSpace(*b.CustomJS) != "" {
		l.JS, l.ScriptHref = *b.CustomJS, "/brand/"+orgID+"/"+shortHash(*b.CustomJS)+".js"
	}
	return l, nil
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// BrandStyles serves organizations' brand stylesheets and scripts, GET
// /brand/:org/:file (<hash>.css, <hash>.js): public, no cookie, immutable (a new
// look is a new hash, and the pages that link it are made again: the look's save
// bumps their stamp).
type BrandStyles struct {
	DB      *store.DB
	Blobs   blob.Store // favicons (BrandAsset)
	AllowJS bool       // TRUSTCRED_ALLOW_CUSTOM_JS: without it no script is served
}

// Asset answers the current look's stylesheet or script, or 404 for an unknown
// organization, one without a look (or script), a hash that is not the current one,
// or a script while custom JavaScript is not allowed.
func (h *BrandStyles) Asset(c *fiber.Ctx) error {
	hash, ext, ok := strings.Cut(c.Params("file"), ".")
	orgID := c.Params("org")
	if !ok || (ext != "css" && ext != "js") || !store.ValidID(orgID) {
		return store.ErrNotFound
	}
	l, err := publicLook(c.UserContext(), h.DB, orgID, h.AllowJS)
	if err != nil {
		return err
	}
	if l == nil {
		return store.ErrNotFound
	}
	body, href, typ := l.CSS, l.Href, "text/css; charset=utf-8"
	if ext == "js" {
		body, href, typ = l.JS, l.ScriptHref, "text/javascript; charset=utf-8"
	}
	if href == "" || href != "/brand/"+orgID+"/"+hash+"."+ext {
		return store.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, typ)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'")
	return c.SendString(body)
}
