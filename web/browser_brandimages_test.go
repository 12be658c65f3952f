package web_test

import (
	"context"
	"image/color"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// An org admin uploads an image to the library, sees its thumbnail, names it in
// the custom CSS as the credential card's background, and the public credential
// page then loads it (under the page's CSP) and paints the card with it. The
// designs editor offers it as an image source.
func TestBrowserBrandImages(t *testing.T) {
	tab, cancel := context.WithTimeout(browsertest.Tab(t), 90*time.Second)
	defer cancel()
	env, base := webtest.Served(t, store.SQLite)
	c := issueOne(t, env, "acme")
	org := c.org
	admin := env.User(store.RoleAdmin, org)
	file := filepath.Join(t.TempDir(), "paper.jpg")
	if err := os.WriteFile(file, libraryJPEG(t, 600, 300, color.RGBA{R: 0xf5, G: 0xe6, B: 0xc8}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#f-email`, admin.Email),
		chromedp.SendKeys(`#f-password`, webtest.Password),
		chromedp.Click(testID("login-submit")),
		chromedp.WaitVisible(testID("dashboard")),
		chromedp.Navigate(base+"/settings/branding/images"),
		chromedp.WaitVisible(testID("brand-images-empty")),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab,
		chromedp.SendKeys(`#f-name`, "paper"),
		chromedp.SetUploadFiles(testID("brand-image-file"), []string{file}),
		chromedp.Click(testID("brand-image-upload")),
		chromedp.WaitVisible(testID("brand-image-paper")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the thumbnail loaded", `(i => i.complete && i.naturalWidth === 600)(document.querySelector("[data-testid=brand-image-paper] img"))`)
	browsertest.Look(t, tab, "brand-images")
	browsertest.Axe(t, tab, "brand-images")

	// A refused upload: the reason next to the file input.
	svg := filepath.Join(t.TempDir(), "logo.png")
	if err := os.WriteFile(svg, []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab,
		chromedp.SendKeys(`#f-name`, "evil"),
		chromedp.SetUploadFiles(testID("brand-image-file"), []string{svg}),
		chromedp.Click(testID("brand-image-upload")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the SVG refused next to the file", `(document.querySelector("[data-testid=error-file]") || {}).textContent.includes("SVG images are not accepted")`)
	browsertest.Look(t, tab, "brand-images-refused")

	css := ".tc-card { background-image: url(\"/brand-assets/" + org.ID + "/paper\"); background-size: cover }"
	if _, err := env.DB.Scoped(org.ID).SaveBrandingLook(t.Context(), store.BrandingLook{CustomCSS: &css}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/v/"+c.cred.PublicID),
		chromedp.WaitVisible(testID("credential-human")),
	); err != nil {
		t.Fatal(err)
	}
	path := "/brand-assets/" + org.ID + "/paper"
	browsertest.Wait(t, tab, "the card's background is the library image, fetched with 200",
		`getComputedStyle(document.querySelector(".tc-card")).backgroundImage.includes("`+path+`") &&
		performance.getEntriesByType("resource").some(e => e.name.endsWith("`+path+`") && e.responseStatus === 200)`)
	// The image decodes: painted, not blocked by the page's CSP (img-src).
	browsertest.Wait(t, tab, "the image loads on the public page", `(() => { if (!window.__paper) { window.__paper = new Image(); window.__paper.src = "`+path+`"; }
		return window.__paper.complete && window.__paper.naturalWidth === 600; })()`)
	browsertest.Look(t, tab, "brand-images-public")

	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/settings/designs/new"),
		chromedp.WaitVisible(testID("design-preview-image")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the background select offers the image", `!!document.querySelector('select[name="background.image"] option[value="asset:paper"]')`)
	browsertest.Wait(t, tab, "the preview image is drawn", `(i => i.complete && i.naturalWidth > 800)(document.querySelector("[data-testid=design-preview-image]"))`)
	if err := chromedp.Do(tab, chromedp.SetValue(`select[name="background.image"]`, "asset:paper")); err != nil {
		t.Fatal(err)
	}
	browsertest.Look(t, tab, "design-images")
}
