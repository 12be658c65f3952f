package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // library images may be JPEG
	_ "image/png"
	"strings"

	"github.com/gofiber/fiber/v2"
	_ "golang.org/x/image/webp" // library images may be WebP

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/branding"
	"github.com/trustcred/trustcred/internal/certificate"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/brandimages"
	"github.com/trustcred/trustcred/views/layout"
)

// MaxBrandImageBytes is the largest image of the library.
const MaxBrandImageBytes = certificate.MaxImageBytes

// BrandImages serves the organization's image library, /settings/branding/images
// (branding.manage): images for the custom CSS (url()) and the certificate designs
// (background, signatures, seals), served by BrandStyles.BrandAsset.
type BrandImages struct {
	Blobs blob.Store
}

// Show is GET /settings/branding/images.
func (h *BrandImages) Show(c *fiber.Ctx) error {
	return h.page(c, fiber.StatusOK, brandimages.Page{})
}

func (h *BrandImages) page(c *fiber.Ctx, status int, p brandimages.Page) error {
	assets, err := auth.Current(c).Scope.BrandAssets(c.UserContext())
	if err != nil {
		return err
	}
	for _, a := range assets {
		p.Images = append(p.Images, brandimages.Image{Name: a.Name, Path: a.Path(), Type: strings.ToUpper(strings.TrimPrefix(a.ContentType, "image/")),
			Dimensions: fmt.Sprintf("%d × %d", a.Width, a.Height), Size: humanBytes(a.Size)})
	}
	render.SetTitle(c, "Image library")
	return render.Page(c, status, brandimages.View(p))
}

func humanBytes(n int) string {
	if n < 1<<10 {
		return fmt.Sprintf("%d bytes", n)
	}
	if n < 1<<20 {
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// Upload is POST /settings/branding/images (multipart: name, file): the file is
// sniffed (PNG, JPEG or WebP; SVG, GIF and anything else refused), at most 2 MB and
// 4096 pixels a side (the header is read before the pixels), and decoded whole, so
// every stored image can be drawn in a certificate; then stored under its name.
// Each problem is shown next to its field (422).
func (h *BrandImages) Upload(c *fiber.Ctx) error {
	id := auth.Current(c)
	p := brandimages.Page{Name: strings.TrimSpace(c.FormValue("name"))}
	switch {
	case p.Name == "":
		p.NameError = "Give the image a name, such as seal or dean-signature."
	case !branding.ValidAssetName(p.Name):
		p.NameError = "Use lower-case letters, digits, - and _ (at most 60), starting with a letter or a digit."
	}
	data, err := readUpload(c, "file", MaxBrandImageBytes)
	var ct string
	switch {
	case errors.Is(err, errUploadMissing):
		p.FileError = "Choose a PNG, JPEG or WebP file to upload."
	case errors.Is(err, errUploadTooLarge):
		p.FileError = "The file is too large: the limit is 2 MB."
	case errors.Is(err, errUploadEmpty):
		p.FileError = "The file is empty. Choose a PNG, JPEG or WebP file to upload."
	case err != nil:
		return err
	default:
		ct, p.FileError = sniffLibraryImage(data)
	}
	if p.NameError != "" || p.FileError != "" {
		return h.page(c, fiber.StatusUnprocessableEntity, p)
	}
	w, ht, _ := blob.Dimensions(ct, data)
	sum := sha256.Sum256(data)
	a := &store.BrandAsset{Name: p.Name, ContentType: ct, SHA256: hex.EncodeToString(sum[:]), Size: len(data), Width: w, Height: ht}
	key := store.BrandAssetKey(id.Org.ID, p.Name)
	err = id.Scope.AddBrandAsset(c.UserContext(), a, func() error {
		return h.Blobs.Put(c.UserContext(), key, bytes.NewReader(data), ct)
	}, auth.Actor(c))
	var fe store.FieldErrors
	if errors.As(err, &fe) {
		p.NameError = sentence(fe["name"])
		return h.page(c, fiber.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "Image “"+a.Name+"” uploaded.")
	return render.Redirect(c, brandimages.Path)
}

// sniffLibraryImage is the stored content type of an upload, or why it is refused.
func sniffLibraryImage(data []byte) (contentType, refusal string) {
	ct, err := blob.SniffImage(data, MaxBrandImageBytes)
	switch {
	case errors.Is(err, blob.ErrSVGNotAllowed):
		return "", "SVG images are not accepted: they can carry scripts. Upload a PNG, JPEG or WebP."
	case errors.Is(err, blob.ErrTooLarge):
		return "", sentence(err.Error())
	case err != nil:
		return "", "The file is not a PNG, JPEG or WebP image, or it is damaged."
	case ct == blob.GIF:
		return "", "GIF images are not accepted: upload a PNG, JPEG or WebP."
	}
	// The header was checked (at most blob.MaxSide a side): decode the pixels, so a
	// file whose header is fine and body is not never reaches a certificate.
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return "", "The image could not be read; it may be damaged."
	}
	return ct, ""
}

// Delete is POST /settings/branding/images/:name/delete: refused (with what uses
// it) while a design, the custom CSS or the look it can revert to uses the image.
func (h *BrandImages) Delete(c *fiber.Ctx) error {
	id := auth.Current(c)
	name := c.Params("name")
	a, err := id.Scope.DeleteBrandAsset(c.UserContext(), name, auth.Actor(c))
	var inUse *store.BrandAssetInUse
	if errors.As(err, &inUse) {
		render.Flash(c, layout.FlashError, "The image “"+name+"” was not deleted: "+inUse.Error()+". Change them first.")
		return render.Redirect(c, brandimages.Path)
	}
	if err != nil {
		return err
	}
	_ = h.Blobs.Delete(auth.WithoutCancel(c), store.BrandAssetKey(id.Org.ID, a.Name)) // a leftover file is never served: its row is deleted
	render.Flash(c, layout.FlashSuccess, "Image “"+a.Name+"” deleted.")
	return render.Redirect(c, brandimages.Path)
}
