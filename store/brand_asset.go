package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/branding"
)

// BrandAsset is one image of an organization's image library (00041): used by
// its custom CSS (url()) and its certificate designs ("asset:<name>"), served
// at /brand-assets/<org id>/<name> from the blob BrandAssetKey.
type BrandAsset struct {
	ID             string
	OrganizationID string
	Name           string `validate:"required,max=60"` // branding.ValidAssetName
	ContentType    string `validate:"oneof=image/png image/jpeg image/webp"`
	SHA256         string `gorm:"column:sha256" validate:"len=64,hexadecimal"`
	Size           int    `validate:"min=1"`
	Width          int    `validate:"min=1"`
	Height         int    `validate:"min=1"`
	UploadedBy     *string
	CreatedAt      time.Time
	// DeletedAt: the organization deleted the image (its blob is gone); the
	// name stays taken, since browsers keep an immutable file.
	DeletedAt *time.Time
}

func (BrandAsset) TableName() string { return "brand_assets" }

func (a *BrandAsset) BeforeCreate(*gorm.DB) error { return newID(&a.ID) }

// Path is where the image is served.
func (a *BrandAsset) Path() string { return BrandAssetPath(a.OrganizationID, a.Name) }

// BrandAssetPath is the public path of orgID's image name.
func BrandAssetPath(orgID, name string) string { return "/brand-assets/" + orgID + "/" + name }

// BrandAssetKey is the blob key of orgID's image name.
func BrandAssetKey(orgID, name string) string { return "orgs/" + orgID + "/assets/" + name }

// Refusals of AddBrandAsset, worded for the uploader.
var (
	ErrBrandAssetName  = errors.New("use lower-case letters, digits, - and _, at most 60, starting with a letter or digit")
	ErrBrandAssetTaken = errors.New("an image of your library has this name: choose another name, or delete that image first")
	ErrBrandAssetUsed  = errors.New("an image you deleted had this name, and browsers may still keep it: choose another name")
)

// BrandAssetInUse is the refusal to delete an image that something still uses:
// each use in words (a design's name, "the custom CSS").
type BrandAssetInUse struct{ Uses []string }

func (e *BrandAssetInUse) Error() string {
	return "the image is used by " + strings.Join(e.Uses, ", ")
}

// BrandAssets are the organization's images, by name.
func (s *Scoped) BrandAssets(ctx context.Context) ([]BrandAsset, error) {
	var out []BrandAsset
	err := s.q(ctx, &BrandAsset{}).Where("deleted_at IS NULL").Order("name").Find(&out).Error
	return out, err
}

// BrandAsset is the organization's image of that name (ErrNotFound when there
// is none, or it was deleted).
func (s *Scoped) BrandAsset(ctx context.Context, name string) (*BrandAsset, error) {
	if !branding.ValidAssetName(name) {
		return nil, ErrNotFound
	}
	var a BrandAsset
	err := s.q(ctx, &a).Where("deleted_at IS NULL AND name = ?", name).First(&a).Error
	return &a, notFound(err)
}

// AssetCSSOptions are CSSOptions with the organization's library: the custom CSS
// may name only its images.
func (s *Scoped) AssetCSSOptions(ctx context.Context) (branding.CSSOptions, error) {
	o := CSSOptions(s.orgID)
	assets, err := s.BrandAssets(ctx)
	if err != nil {
		return o, err
	}
	o.Assets = make(map[string]bool, len(assets))
	for _, a := range assets {
		o.Assets[a.Name] = true
	}
	return o, nil
}

// AddBrandAsset records an image, audited organization.brand_asset_added. A name
// in use, or once used, is refused as FieldErrors{"name": …}; only when the name is
// free is put called (it writes the blob, BrandAssetKey), inside the transaction,
// so a refused upload never overwrites the file of the image of that name.
func (s *Scoped) AddBrandAsset(ctx context.Context, a *BrandAsset, put func() error, actor Actor) error {
	if !branding.ValidAssetName(a.Name) {
		return FieldErrors{"name": ErrBrandAssetName.Error()}
	}
	a.ID, a.OrganizationID, a.UploadedBy, a.DeletedAt = "", s.orgID, actor.UserID, nil
	if err := Validate(a); err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockMembers(tx); err != nil { // two uploads of one name: one wins, the other is told
			return err
		}
		var prior BrandAsset
		if err := s.tenant(tx, &prior).Where("name = ?", a.Name).Limit(1).Find(&prior).Error; err != nil {
			return err
		}
		switch {
		case prior.ID != "" && prior.DeletedAt == nil:
			return FieldErrors{"name": ErrBrandAssetTaken.Error()}
		case prior.ID != "":
			return FieldErrors{"name": ErrBrandAssetUsed.Error()}
		}
		if put != nil {
			if err := put(); err != nil {
				return err
			}
		}
		if err := tx.Create(a).Error; err != nil {
			return err
		}
		return audit(tx, s.actor(actor), "organization.brand_asset_added", "brand_asset", a.ID,
			AuditDetails{Summary: fmt.Sprintf("Added the image %q to the image library", a.Name)})
	})
}

// DeleteBrandAsset deletes the organization's image of that name, audited
// organization.brand_asset_deleted, unless a design, the custom CSS or the
// look it can revert to uses it (*BrandAssetInUse). The caller deletes the
// blob after.
func (s *Scoped) DeleteBrandAsset(ctx context.Context, name string, actor Actor) (*BrandAsset, error) {
	if !branding.ValidAssetName(name) {
		return nil, ErrNotFound
	}
	var a BrandAsset
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockMembers(tx); err != nil {
			return err
		}
		if err := s.tenant(lockRow(tx, s.dial), &a).Where("deleted_at IS NULL AND name = ?", name).First(&a).Error; err != nil {
			return notFound(err)
		}
		uses, err := s.assetUses(tx, name)
		if err != nil {
			return err
		}
		if len(uses) > 0 {
			return &BrandAssetInUse{Uses: uses}
		}
		now := time.Now().UTC()
		if err := s.tenant(tx, &BrandAsset{}).Where("id = ?", a.ID).Update("deleted_at", now).Error; err != nil {
			return err
		}
		a.DeletedAt = &now
		return audit(tx, s.actor(actor), "organization.brand_asset_deleted", "brand_asset", a.ID,
			AuditDetails{Summary: fmt.Sprintf("Deleted the image %q from the image library", a.Name)})
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// assetUses names what uses the image: designs whose document has the string
// "asset:<name>" (an image element's or the background's source), the custom CSS
// and the look it can revert to (url("/brand-assets/<org id>/<name>")).
func (s *Scoped) assetUses(tx *gorm.DB, name string) ([]string, error) {
	var designs []struct {
		TemplateName string
		DesignData   []byte
	}
	if err := s.tenant(tx, &CustomCredentialTemplate{}).Select("template_name", "design_data").Order("template_name").
		Find(&designs).Error; err != nil {
		return nil, err
	}
	var uses []string
	for _, d := range designs {
		if strings.Contains(string(d.DesignData), `"asset:`+name+`"`) {
			uses = append(uses, fmt.Sprintf("the design %q", d.TemplateName))
		}
	}
	var b OrganizationBranding
	if err := s.tenant(tx, &b).Limit(1).Find(&b).Error; err != nil {
		return nil, err
	}
	inCSS := func(css *string) bool {
		return css != nil && strings.Contains(*css, `"`+BrandAssetPath(s.orgID, name)+`"`)
	}
	if inCSS(b.CustomCSS) {
		uses = append(uses, "the custom CSS")
	}
	if b.PreviousVersion != nil {
		if prev := b.PreviousVersion.Data(); inCSS(prev.CustomCSS) && !inCSS(b.CustomCSS) {
			uses = append(uses, "the custom CSS of the branding you can revert to")
		}
	}
	return uses, nil
}
