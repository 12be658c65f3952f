package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func sp(s string) *string { return &s }

// An organization saves its look, saves another, reverts to the first and back; CSS is
// stored only as sanitized, and bad colours or CSS are refused with the field named.
func TestBrandingLookSaveAndRevert(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		acme := org(t, db, "acme")
		sc := db.Scoped(acme.ID)

		b, err := sc.Branding(ctx)
		if err != nil || b.ID != "" || b.PrimaryColor != nil {
			t.Fatalf("before any save: %+v %v", b, err)
		}
		if _, err := sc.RevertBrandingLook(ctx, store.Actor{}); !errors.Is(err, store.ErrNothingToRevert) {
			t.Fatalf("revert with nothing saved: %v", err)
		}

		first := store.BrandingLook{PrimaryColor: sp("#1D4ED8"), CustomCSS: sp("h1 { color: #111111 }"), DisplayFont: sp("Merriweather")}
		if _, err := sc.SaveBrandingLook(ctx, first, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		b, err = sc.Branding(ctx)
		if err != nil || b.ID == "" {
			t.Fatalf("after save: %+v %v", b, err)
		}
		scope := ".tc-brand-" + acme.ID
		if got := *b.CustomCSS; got != scope+" h1 { color: #111111; }\n" {
			t.Errorf("stored CSS %q, want the sanitized form", got)
		}
		if *b.PrimaryColor != "#1D4ED8" || b.PreviousVersion != nil || b.DisplayFont == nil || *b.DisplayFont != "Merriweather" {
			t.Errorf("first save: primary %v previous %v", *b.PrimaryColor, b.PreviousVersion)
		}

		// Saving the stored (sanitized) CSS again changes nothing and keeps no version.
		if _, err := sc.SaveBrandingLook(ctx, b.Look(), store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if b2, _ := sc.Branding(ctx); b2.PreviousVersion != nil || *b2.CustomCSS != *b.CustomCSS {
			t.Errorf("saving the same look again: previous %v css %q", b2.PreviousVersion, *b2.CustomCSS)
		}

		second := store.BrandingLook{PrimaryColor: sp("#b91c1c"), AccentColor: sp("#0f766e")}
		if _, err := sc.SaveBrandingLook(ctx, second, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		b, _ = sc.Branding(ctx)
		if *b.PrimaryColor != "#b91c1c" || b.CustomCSS != nil || b.DisplayFont != nil || b.PreviousVersion == nil ||
			*b.PreviousVersion.Data().PrimaryColor != "#1D4ED8" || *b.PreviousVersion.Data().DisplayFont != "Merriweather" {
			t.Fatalf("second save: %+v", b)
		}

		// Revert brings the first look back; reverting again undoes the revert.
		if _, err := sc.RevertBrandingLook(ctx, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		b, _ = sc.Branding(ctx)
		if *b.PrimaryColor != "#1D4ED8" || b.AccentColor != nil || b.CustomCSS == nil || !strings.HasPrefix(*b.CustomCSS, scope) ||
			b.DisplayFont == nil || *b.DisplayFont != "Merriweather" {
			t.Fatalf("after revert: %+v", b)
		}
		if _, err := sc.RevertBrandingLook(ctx, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if b, _ = sc.Branding(ctx); *b.PrimaryColor != "#b91c1c" || *b.AccentColor != "#0f766e" || b.DisplayFont != nil {
			t.Fatalf("after second revert: %+v", b)
		}

		// Refusals name the field; nothing is written.
		var fe store.FieldErrors
		_, err = sc.SaveBrandingLook(ctx, store.BrandingLook{PrimaryColor: sp("red")}, store.Actor{})
		if !errors.As(err, &fe) || fe["primary_color"] == "" {
			t.Errorf("colour name: %v", err)
		}
		_, err = sc.SaveBrandingLook(ctx, store.BrandingLook{CustomCSS: sp("h1 { color: red }\n@import url(x.css);")}, store.Actor{})
		if !errors.As(err, &fe) || !strings.HasPrefix(fe["custom_css"], "line 2: @import") {
			t.Errorf("bad CSS: %v", err)
		}
		_, err = sc.SaveBrandingLook(ctx, store.BrandingLook{PrimaryColor: sp("#b91c1c"), DisplayFont: sp("Comic Sans MS")}, store.Actor{})
		if !errors.As(err, &fe) || !strings.Contains(fe["display_font"], "Merriweather") {
			t.Errorf("a font outside the set: %v", err)
		}
		if b, _ = sc.Branding(ctx); *b.PrimaryColor != "#b91c1c" || b.DisplayFont != nil {
			t.Errorf("a refused save changed the look: %+v", b)
		}

		// Each save and revert is audited.
		var n int64
		must(t, store.Gorm(db).Model(&store.AuditLog{}).Where("organization_id = ? AND action LIKE 'organization.branding_%'", acme.ID).Count(&n).Error)
		if n != 4 {
			t.Errorf("audit entries = %d, want 4 (2 saves, 2 reverts)", n)
		}
	})
}

// Another organization's handle neither sees nor changes acme's branding.
func TestBrandingIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, bOrg := org(t, db, "acme"), org(t, db, "bravo")
		if _, err := db.Scoped(a.ID).SaveBrandingLook(ctx, store.BrandingLook{PrimaryColor: sp("#123456")}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		other := db.Scoped(bOrg.ID)
		got, err := other.Branding(ctx)
		if err != nil || got.ID != "" || got.PrimaryColor != nil {
			t.Fatalf("bravo sees %+v %v", got, err)
		}
		if _, err := other.RevertBrandingLook(ctx, store.Actor{}); !errors.Is(err, store.ErrNothingToRevert) {
			t.Errorf("bravo revert: %v", err)
		}
		if _, err := other.SaveBrandingLook(ctx, store.BrandingLook{PrimaryColor: sp("#654321")}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if mine, _ := db.Scoped(a.ID).Branding(ctx); *mine.PrimaryColor != "#123456" {
			t.Errorf("acme's colour changed to %s", *mine.PrimaryColor)
		}
	})
}
