package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/branding"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	brandingview "github.com/trustcred/trustcred/views/branding"
	"github.com/trustcred/trustcred/views/layout"
)

// faviconKeys are the blob keys of a favicon's sized PNGs, by its path prefix
// (/brand-assets/<org id>/favicon-<hash>).
func faviconKeys(prefix string) []string {
	base := "orgs/" + strings.TrimPrefix(prefix, "/brand-assets/")
	keys := make([]string, len(branding.FaviconSizes))
	for i, n := range branding.FaviconSizes {
		keys[i] = base + "-" + strconv.Itoa(n) + ".png"
	}
	return keys
}

// UploadFavicon handles POST /settings/branding/favicon: a PNG, or an ICO of PNGs, at
// most 1 MB, made into PNGs of every size browsers ask for (branding.Favicons), stored
// as blobs and then pointed at; the previous favicon's files are deleted after.
func (h Branding) UploadFavicon(c *fiber.Ctx) error {
	id := auth.Current(c)
	data, err := readUpload(c, "favicon", MaxLogoBytes)
	switch {
	case errors.Is(err, errUploadMissing):
		return h.faviconRefused(c, "Choose a PNG or ICO file to upload.")
	case errors.Is(err, errUploadTooLarge):
		return h.faviconRefused(c, "The file is too large: the limit is 1 MB.")
	case errors.Is(err, errUploadEmpty):
		return h.faviconRefused(c, "The file is empty. Choose a PNG or ICO file to upload.")
	case err != nil:
		return err
	}
	if _, err := blob.SniffImage(data, MaxLogoBytes); errors.Is(err, blob.ErrSVGNotAllowed) {
		return h.faviconRefused(c, "SVG images are not accepted: they can carry scripts. Upload a PNG or an ICO file.")
	}
	sized, err := branding.Favicons(data)
	if err != nil {
		return h.faviconRefused(c, sentence(err.Error()))
	}
	sum := sha256.Sum256(data)
	prefix := "/brand-assets/" + id.Org.ID + "/favicon-" + hex.EncodeToString(sum[:6])
	for i, key := range faviconKeys(prefix) {
		if err := h.Blobs.Put(c.UserContext(), key, bytes.NewReader(sized[branding.FaviconSizes[i]]), "image/png"); err != nil {
			return err
		}
	}
	previous, err := id.Scope.SetFavicon(c.UserContext(), prefix, auth.Actor(c))
	if err != nil {
		return err
	}
	if previous != "" && previous != prefix {
		h.deleteFavicon(c, previous)
	}
	render.Flash(c, layout.FlashSuccess, "Favicon updated. Your public pages use it now.")
	return render.Redirect(c, "/settings/branding")
}

// DeleteFavicon handles POST /settings/branding/favicon/delete.
func (h Branding) DeleteFavicon(c *fiber.Ctx) error {
	previous, err := auth.Current(c).Scope.SetFavicon(c.UserContext(), "", auth.Actor(c))
	if err != nil {
		return err
	}
	if previous != "" {
		h.deleteFavicon(c, previous)
		render.Flash(c, layout.FlashSuccess, "Favicon removed: your public pages show TrustCred's.")
	}
	return render.Redirect(c, "/settings/branding")
}

func (h Branding) deleteFavicon(c *fiber.Ctx, prefix string) {
	for _, key := range faviconKeys(prefix) {
		_ = h.Blobs.Delete(auth.WithoutCancel(c), key) // a leftover file is unreferenced, never served
	}
}

func (h Branding) faviconRefused(c *fiber.Ctx, why string) error {
	id := auth.Current(c)
	b, err := id.Scope.Branding(c.UserContext())
	if err != nil {
		return err
	}
	f := h.form(id.Org.ID, b.Look(), nil, nil)
	f.HasPrevious = b.PreviousVersion != nil
	f.Favicon, f.FaviconError = deref(b.FaviconURL), why
	render.SetTitle(c, "Branding")
	return render.Page(c, fiber.StatusUnprocessableEntity, brandingview.Page(f))
}

// faviconName is a favicon file's name under /brand-assets/<org id>/.
var faviconName = regexp.MustCompile(`^(favicon-[0-9a-f]{12})-(16|32|180|192|512)\.png$`)

// BrandAsset serves GET /brand-assets/:org/:name: the organization's current favicon
// at one size, or an image of its library (public, no cookie, immutable: a new
// favicon has a new name, and a library name is never given to other bytes); the
// content type is the one sniffed at upload; 404 for anything else.
func (h *BrandStyles) BrandAsset(c *fiber.Ctx) error {
	orgID, name := c.Params("org"), c.Params("name")
	if !store.ValidID(orgID) {
		return store.ErrNotFound
	}
	if branding.ValidAssetName(name) {
		a, err := h.DB.Scoped(orgID).BrandAsset(c.UserContext(), name)
		if err != nil {
			return err
		}
		return h.sendImage(c, store.BrandAssetKey(orgID, a.Name), a.ContentType)
	}
	m := faviconName.FindStringSubmatch(name)
	if m == nil {
		return store.ErrNotFound
	}
	b, err := h.DB.Scoped(orgID).Branding(c.UserContext())
	if err != nil {
		return err
	}
	if deref(b.FaviconURL) != "/brand-assets/"+orgID+"/"+m[1] {
		return store.ErrNotFound
	}
	return h.sendImage(c, "orgs/"+orgID+"/"+name, "image/png")
}

// sendImage answers the blob at key as an image of contentType: immutable, never
// sniffed by the browser, and a document that can run nothing if opened directly.
func (h *BrandStyles) sendImage(c *fiber.Ctx, key, contentType string) error {
	r, info, err := h.Blobs.Get(c.UserContext(), key)
	if errors.Is(err, blob.ErrNotFound) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, info.Size))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; sandbox")
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.Send(data)
}
