package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/branding"
)

// ErrNothingToRevert: the organization's look was never saved twice.
var ErrNothingToRevert = errors.New("there is no earlier branding to revert to")

// BrandingLook is what the branding editor saves and reverts: the three brand colours
// (#rrggbb, nil for TrustCred's default), the display font (one of branding.Fonts, nil
// for TrustCred's) and the custom CSS, always as branding.Sanitize returned it (scoped
// under branding.ScopeClass).
type BrandingLook struct {
	PrimaryColor   *string `json:"primary_color,omitempty"`
	SecondaryColor *string `json:"secondary_color,omitempty"`
	AccentColor    *string `json:"accent_color,omitempty"`
	CustomCSS      *string `json:"custom_css,omitempty"`
	// CustomJS is the organization's own script for its public pages, served only
	// when the operator allows custom JavaScript (TRUSTCRED_ALLOW_CUSTOM_JS).
	CustomJS    *string `json:"custom_js,omitempty"`
	DisplayFont *string `json:"display_font,omitempty"`
}

func (l BrandingLook) equal(o BrandingLook) bool {
	return deref(l.PrimaryColor) == deref(o.PrimaryColor) && deref(l.SecondaryColor) == deref(o.SecondaryColor) &&
		deref(l.AccentColor) == deref(o.AccentColor) && deref(l.CustomCSS) == deref(o.CustomCSS) &&
		deref(l.CustomJS) == deref(o.CustomJS) && deref(l.DisplayFont) == deref(o.DisplayFont)
}

// Palette is the look's colours and font as the branding package applies them.
func (l BrandingLook) Palette() branding.Palette {
	return branding.Palette{Primary: deref(l.PrimaryColor), Secondary: deref(l.SecondaryColor), Accent: deref(l.AccentColor),
		Font: deref(l.DisplayFont)}
}

// CSSOptions are the sanitizer options for an organization's custom CSS: its public
// pages' root class and the path of its own uploaded assets.
func CSSOptions(orgID string) branding.CSSOptions {
	return branding.CSSOptions{Scope: branding.ScopeClass(orgID), AssetPrefix: "/brand-assets/" + orgID + "/"}
}

// Branding is the organization's branding row; an unsaved one (ID "") when it has none.
func (s *Scoped) Branding(ctx context.Context) (*OrganizationBranding, error) {
	var b OrganizationBranding
	err := s.q(ctx, &b).Limit(1).Find(&b).Error
	if err != nil {
		return nil, err
	}
	if b.ID == "" {
		b.OrganizationID = s.orgID
	}
	return &b, nil
}

// SaveBrandingLook makes look the organization's look, keeping the one it replaces for
// RevertBrandingLook, with an "organization.branding_updated" audit entry. Colours must
// be #rrggbb and the display font one of branding.Fonts (FieldErrors on display_font);
// the CSS is sanitized here again and refused (FieldErrors on custom_css,
// with the first problem's line) unless every rule passes, so only sanitized CSS is
// ever stored. Saving the current look again writes nothing.
func (s *Scoped) SaveBrandingLook(ctx context.Context, look BrandingLook, actor Actor) (*OrganizationBranding, error) {
	look.DisplayFont = blankNil(look.DisplayFont)
	if look.DisplayFont != nil && !branding.IsFont(*look.DisplayFont) {
		return nil, FieldErrors{"display_font": "not one of the available fonts (" + strings.Join(branding.Fonts, ", ") + ")"}
	}
	look.CustomCSS = blankNil(look.CustomCSS)
	if look.CustomCSS != nil {
		opts, err := s.AssetCSSOptions(ctx) // url() only for images of the library
		if err != nil {
			return nil, err
		}
		res := branding.Sanitize(*look.CustomCSS, opts)
		if len(res.Problems) > 0 {
			msg := res.Problems[0].String()
			if n := len(res.Problems) - 1; n > 0 {
				msg += fmt.Sprintf(" (and %d more)", n)
			}
			return nil, FieldErrors{"custom_css": msg}
		}
		look.CustomCSS = blankNil(&res.CSS)
	}
	return s.setLook(ctx, look, actor, false)
}

// RevertBrandingLook swaps the current look with the previous one (so reverting twice
// undoes the revert), with an "organization.branding_reverted" audit entry;
// ErrNothingToRevert when there is none.
func (s *Scoped) RevertBrandingLook(ctx context.Context, actor Actor) (*OrganizationBranding, error) {
	return s.setLook(ctx, BrandingLook{}, actor, true)
}

func (s *Scoped) setLook(ctx context.Context, look BrandingLook, actor Actor, revert bool) (*OrganizationBranding, error) {
	var out OrganizationBranding
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Serializes the first save of two editors (the row does not exist yet).
		if err := s.lockMembers(tx); err != nil {
			return err
		}
		var cur OrganizationBranding
		if err := s.tenant(lockRow(tx, s.dial), &cur).Limit(1).Find(&cur).Error; err != nil {
			return err
		}
		old := cur.Look()
		action, summary := "organization.branding_updated", "Updated the branding"
		if revert {
			if cur.PreviousVersion == nil {
				return ErrNothingToRevert
			}
			look = cur.PreviousVersion.Data()
			action, summary = "organization.branding_reverted", "Reverted the branding to the version saved before"
		}
		if cur.ID != "" && look.equal(old) {
			out = cur
			return nil
		}
		next := cur
		next.OrganizationID = s.orgID
		next.PrimaryColor, next.SecondaryColor, next.AccentColor, next.CustomCSS, next.CustomJS, next.DisplayFont =
			blankNil(look.PrimaryColor), blankNil(look.SecondaryColor), blankNil(look.AccentColor), blankNil(look.CustomCSS),
			blankNil(look.CustomJS), blankNil(look.DisplayFont)
		if cur.ID != "" {
			prev := datatypes.NewJSONType(old)
			next.PreviousVersion = &prev
		}
		if err := Validate(&next); err != nil {
			return err
		}
		var changes []FieldChange
		diff := func(field string, from, to *string) {
			if deref(from) != deref(to) {
				c := FieldChange{Field: field, From: clip(deref(from)), To: clip(deref(to))}
				if field == "custom_css" || field == "custom_js" { // long: say that it changed, not how
					c.From, c.To = "", ""
				}
				changes = append(changes, c)
			}
		}
		diff("primary_color", old.PrimaryColor, next.PrimaryColor)
		diff("secondary_color", old.SecondaryColor, next.SecondaryColor)
		diff("accent_color", old.AccentColor, next.AccentColor)
		diff("custom_css", old.CustomCSS, next.CustomCSS)
		diff("custom_js", old.CustomJS, next.CustomJS)
		diff("display_font", old.DisplayFont, next.DisplayFont)
		if cur.ID == "" {
			if err := tx.Create(&next).Error; err != nil {
				return err
			}
		} else if err := s.tenant(tx, &OrganizationBranding{}).Where("id = ?", cur.ID).Updates(map[string]any{
			"primary_color": next.PrimaryColor, "secondary_color": next.SecondaryColor, "accent_color": next.AccentColor,
			"custom_css": next.CustomCSS, "custom_js": next.CustomJS, "display_font": next.DisplayFont, "previous_version": next.PreviousVersion,
		}).Error; err != nil {
			return err
		}
		// The organization's updated_at is in every public page's stamp
		// (DB.CredentialStamp): bumping it makes cached /v/{id} pages render
		// again with the new look.
		if err := s.tenant(tx, &Organization{}).Update("updated_at", time.Now().UTC()).Error; err != nil {
			return err
		}
		fields := make([]string, len(changes))
		for i, c := range changes {
			fields[i] = c.Field
		}
		if len(fields) > 0 {
			summary += ": " + strings.Join(fields, ", ")
		}
		out = next
		return audit(tx, s.actor(actor), action, "organization_branding", next.ID, AuditDetails{Summary: summary, Changes: changes})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func blankNil(p *string) *string {
	if p == nil || strings.TrimSpace(*p) == "" {
		return nil
	}
	return p
}

// SetFavicon points the organization's favicon at path (the prefix of its sized PNGs,
// /brand-assets/<org id>/favicon-<hash>; "" removes it) and returns the previous one,
// whose files the caller may delete after this commits. Audited as
// organization.favicon_changed or organization.favicon_removed; the organization's
// updated_at moves so that cached public pages are made again with it.
func (s *Scoped) SetFavicon(ctx context.Context, path string, actor Actor) (previous string, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockMembers(tx); err != nil {
			return err
		}
		var cur OrganizationBranding
		if err := s.tenant(lockRow(tx, s.dial), &cur).Limit(1).Find(&cur).Error; err != nil {
			return err
		}
		previous = deref(cur.FaviconURL)
		if previous == path {
			return nil
		}
		next := blankNil(&path)
		action, summary := "organization.favicon_changed", "Changed the favicon"
		if next == nil {
			action, summary = "organization.favicon_removed", "Removed the favicon"
		}
		if cur.ID == "" {
			cur = OrganizationBranding{OrganizationID: s.orgID, FaviconURL: next}
			if err := Validate(&cur); err != nil {
				return err
			}
			if err := tx.Create(&cur).Error; err != nil {
				return err
			}
		} else {
			cur.FaviconURL = next
			if err := Validate(&cur); err != nil {
				return err
			}
			if err := s.tenant(tx, &OrganizationBranding{}).Where("id = ?", cur.ID).Update("favicon_url", next).Error; err != nil {
				return err
			}
		}
		if err := s.tenant(tx, &Organization{}).Update("updated_at", time.Now().UTC()).Error; err != nil {
			return err
		}
		return audit(tx, s.actor(actor), action, "organization_branding", cur.ID, AuditDetails{Summary: summary})
	})
	return previous, err
}
