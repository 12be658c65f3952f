package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func pngAsset(name string) *store.BrandAsset {
	return &store.BrandAsset{Name: name, ContentType: "image/png", SHA256: strings.Repeat("0f", 32), Size: 200, Width: 20, Height: 10}
}

// The image library: names once per organization (a deleted one stays taken), the
// custom CSS may name only its images, and an image a design or the CSS uses is
// not deleted.
func TestBrandAssets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := org(t, db, "alpha")
		act := actorOf(member(t, db, a, "admin@alpha.example", "Ada Admin", store.RoleAdmin))
		s := db.Scoped(a.ID)
		var fe store.FieldErrors
		put := 0
		for name, want := range map[string]string{"Seal.png": "lower-case", "seal": ""} {
			err := s.AddBrandAsset(ctx, pngAsset(name), nil, act)
			if got := ""; errors.As(err, &fe) {
				got = fe["name"]
				if want == "" || !strings.Contains(got, want) {
					t.Errorf("%s: %v", name, err)
				}
			} else if err != nil || want != "" {
				t.Errorf("%s: %v, want %q", name, err, want)
			}
		}
		if err := s.AddBrandAsset(ctx, pngAsset("seal"), func() error { t.Error("a taken name wrote its file"); return nil }, act); !errors.As(err, &fe) || !strings.Contains(fe["name"], "has this name") {
			t.Errorf("second seal: %v", err)
		}
		if err := s.AddBrandAsset(ctx, pngAsset("paper"), func() error { put++; return nil }, act); err != nil || put != 1 {
			t.Fatal(err)
		}

		// CSS: url() of a library image only.
		path := store.BrandAssetPath(a.ID, "paper")
		if _, err := s.SaveBrandingLook(ctx, store.BrandingLook{CustomCSS: new("h1 { color: red }\n.x { background: url(\"" + store.BrandAssetPath(a.ID, "gone") + "\") }")}, act); !errors.As(err, &fe) ||
			!strings.Contains(fe["custom_css"], `line 2: there is no image "gone"`) {
			t.Errorf("unknown image in CSS: %v", err)
		}
		if _, err := s.SaveBrandingLook(ctx, store.BrandingLook{CustomCSS: new(".x { background: url(\"" + path + "\") }")}, act); err != nil {
			t.Fatal(err)
		}
		// A design that shows the seal.
		if _, err := s.SaveDesign(ctx, "", "Diploma", []byte(`{"version":1,"elements":[{"type":"image","image":"asset:seal"}]}`), act); err != nil {
			t.Fatal(err)
		}
		var inUse *store.BrandAssetInUse
		if _, err := s.DeleteBrandAsset(ctx, "seal", act); !errors.As(err, &inUse) || !strings.Contains(err.Error(), `the design "Diploma"`) {
			t.Errorf("delete the seal: %v", err)
		}
		if _, err := s.DeleteBrandAsset(ctx, "paper", act); !errors.As(err, &inUse) || !strings.Contains(err.Error(), "the custom CSS") {
			t.Errorf("delete the paper: %v", err)
		}
		// The CSS no longer uses it, but the look it can revert to does.
		if _, err := s.SaveBrandingLook(ctx, store.BrandingLook{CustomCSS: new("h1 { color: blue }")}, act); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteBrandAsset(ctx, "paper", act); !errors.As(err, &inUse) || !strings.Contains(err.Error(), "revert to") {
			t.Errorf("delete the paper of the previous look: %v", err)
		}
		if _, err := s.SaveBrandingLook(ctx, store.BrandingLook{CustomCSS: new("h1 { color: green }")}, act); err != nil {
			t.Fatal(err)
		}
		gone, err := s.DeleteBrandAsset(ctx, "paper", act)
		if err != nil || gone.DeletedAt == nil {
			t.Fatalf("delete the unused paper: %v", err)
		}
		if _, err := s.BrandAsset(ctx, "paper"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted paper: %v", err)
		}
		if _, err := s.DeleteBrandAsset(ctx, "paper", act); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted twice: %v", err)
		}
		if err := s.AddBrandAsset(ctx, pngAsset("paper"), nil, act); !errors.As(err, &fe) || !strings.Contains(fe["name"], "you deleted") {
			t.Errorf("a deleted name again: %v", err)
		}
		list, err := s.BrandAssets(ctx)
		if err != nil || len(list) != 1 || list[0].Name != "seal" || list[0].UploadedBy == nil {
			t.Errorf("library: %+v %v", list, err)
		}
		logs, err := s.AuditLogs(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, l := range logs.Entries {
			seen[l.Action]++
		}
		if seen["organization.brand_asset_added"] != 2 || seen["organization.brand_asset_deleted"] != 1 {
			t.Errorf("audit: %v", seen)
		}
	})
}
