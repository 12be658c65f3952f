// Package certificate makes a credential's certificate PDF: its template's
// design (internal/design) filled with the signed document's values, the
// QR code of its verify link and the organization's logo. The staff and
// public PDF routes (handlers.Certificates) and the bulk ZIP job
// (internal/bulk) make their PDFs here, so a PDF is the same wherever it
// is downloaded from.
package certificate

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"

	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/design"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/store"
)

// MaxLogoBytes is the largest logo read (and accepted on upload).
const MaxLogoBytes = 1 << 20

// MaxImageBytes is the largest image of an organization's image library
// read (and accepted on upload).
const MaxImageBytes = 2 << 20

// Renderer makes certificate PDFs.
type Renderer struct {
	Issuer  *issuance.Issuer
	Blobs   blob.Store // the organizations' logos; nil: no logo
	BaseURL string     // the verify link's base
	Log     *slog.Logger
}

// Render makes cr's certificate PDF with its template's design (the
// default one when it names none, or a design that cannot be read, which
// is logged) and the organization's logo when it has one that can be drawn.
func (r *Renderer) Render(ctx context.Context, s *store.Scoped, cr *store.Credential, org *store.Organization) ([]byte, error) {
	return r.RenderLogo(ctx, s, cr, r.Logo(ctx, org))
}

// RenderLogo is Render with the logo already read (Logo): the bulk ZIP
// reads it once for all of a batch's PDFs.
func (r *Renderer) RenderLogo(ctx context.Context, s *store.Scoped, cr *store.Credential, logo []byte) ([]byte, error) {
	doc, err := r.Issuer.SignedDocument(cr)
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
					r.Log.Warn("certificate: design not readable, default used", "design_id", id, "err", err)
				}
			}
		}
	}
	in := design.Input{Values: values, VerifyURL: strings.TrimRight(r.BaseURL, "/") + "/v/" + cr.PublicID + "?via=qr", Credential: doc,
		Title: values["title"], Logo: logo, Images: r.Images(ctx, s, d.Assets())}
	var buf bytes.Buffer
	err = design.PDF(&buf, d, in)
	if errors.Is(err, design.ErrLogo) {
		buf.Reset()
		in.Logo = nil
		err = design.PDF(&buf, d, in)
	}
	return buf.Bytes(), err
}

// Logo is the organization's logo (nil without one, or when it cannot be read).
func (r *Renderer) Logo(ctx context.Context, org *store.Organization) []byte {
	if org == nil || org.LogoKey == nil || r.Blobs == nil {
		return nil
	}
	return r.readImage(ctx, *org.LogoKey, MaxLogoBytes, "organization_id", org.ID)
}

// Images are the files of the library images names (Design.Assets) of s's
// organization, by name; one deleted or unreadable is left out (not drawn).
func (r *Renderer) Images(ctx context.Context, s *store.Scoped, names []string) map[string][]byte {
	if len(names) == 0 || r.Blobs == nil {
		return nil
	}
	out := make(map[string][]byte, len(names))
	for _, n := range names {
		a, err := s.BrandAsset(ctx, n)
		if err != nil {
			continue
		}
		if b := r.readImage(ctx, store.BrandAssetKey(s.OrganizationID(), a.Name), MaxImageBytes, "asset", a.Name); b != nil {
			out[n] = b
		}
	}
	return out
}

// readImage is the blob at key, at most limit bytes (nil, logged with what,
// when it cannot be read).
func (r *Renderer) readImage(ctx context.Context, key string, limit int64, what ...any) []byte {
	rd, info, err := r.Blobs.Get(ctx, key)
	if err != nil {
		r.Log.Warn("certificate: image not readable", append(what, "err", err)...)
		return nil
	}
	defer rd.Close()
	b, err := io.ReadAll(io.LimitReader(rd, min(info.Size, limit)))
	if err != nil {
		return nil
	}
	return b
}
