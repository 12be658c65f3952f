package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// An administrator, in a real browser, edits the organization's profile,
// uploads a logo that the page then shows (served under the strict CSP),
// and adds and removes category chips inline: each change swaps only the
// chips, the page is never reloaded.
func TestBrowserOrganizationProfile(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	base := env.Serve()
	acme := env.Org("acme")
	admin := env.User(store.RoleAdmin, acme)

	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := range 40 {
		img.Set(x, x/2, color.RGBA{B: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	logo := filepath.Join(t.TempDir(), "logo.png")
	if err := os.WriteFile(logo, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	q := func(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }
	chip := func(name string) string {
		return `document.querySelector('[data-testid="category-chip"][data-category="` + name + `"]')`
	}
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), webtest.Password),
		chromedp.Click(q("login-submit")),
		chromedp.WaitVisible(q("dashboard")),
		chromedp.Click(chromedp.CSS(`a[href="/settings/profile"]`)),
		chromedp.WaitVisible(q("profile-form")),
		chromedp.Clear(chromedp.CSS(`#f-name`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Acme Institute of Technology"),
		chromedp.SetValue(chromedp.CSS(`#f-type`), "educational"),
		chromedp.SendKeys(chromedp.CSS(`#f-domain`), "acme.example"),
		chromedp.SendKeys(chromedp.CSS(`#f-description`), "Engineering degrees since 1901."),
		chromedp.SendKeys(chromedp.CSS(`#f-website`), "https://acme.example"),
		chromedp.SendKeys(chromedp.CSS(`#f-contact_email`), "registrar@acme.example"),
		chromedp.Click(q("profile-submit")),
		chromedp.WaitVisible(q("flash-success")),
		chromedp.WaitVisible(q("txt-value")),
		chromedp.SetUploadFiles(q("logo-file"), []string{logo}),
		chromedp.Click(q("logo-upload")),
		chromedp.WaitVisible(q("logo-image")),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="logo-image"]').complete && document.querySelector('[data-testid="logo-image"]').naturalWidth === 40`),
	); err != nil {
		t.Fatal(err)
	}
	o, err := env.DB.OrganizationByID(context.Background(), acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != "Acme Institute of Technology" || o.Type != store.OrganizationEducational || o.Domain == nil || *o.Domain != "acme.example" ||
		o.ContactEmail == nil || o.LogoKey == nil {
		t.Fatalf("saved %+v", o)
	}

	// The chips: a marker on window survives only if the page is not reloaded.
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`),
		chromedp.SendKeys(chromedp.CSS(`#f-category`), "Engineering"),
		chromedp.Click(q("category-add")),
		chromedp.Poll[chromedp.Void](`!!`+chip("Engineering")+` && `+settled),
		chromedp.SendKeys(chromedp.CSS(`#f-category`), "Architecture"),
		chromedp.Click(q("category-add")),
		chromedp.Poll[chromedp.Void](`!!`+chip("Architecture")+` && `+settled),
		// The same name in another case is refused next to the field.
		chromedp.SendKeys(chromedp.CSS(`#f-category`), "engineering"),
		chromedp.Click(q("category-add")),
		chromedp.Poll[chromedp.Void](`!!document.querySelector('[data-testid="error-category"]') && `+settled),
	); err != nil {
		t.Fatal(err)
	}
	order, err := chromedp.Run(tab, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-testid="category-chip"]')].map(e => e.dataset.category)`))
	if err != nil || len(order) != 2 || order[0] != "Architecture" || order[1] != "Engineering" {
		t.Fatalf("chips %v (%v)", order, err)
	}
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`[data-testid="category-chip"][data-category="Engineering"] [data-testid="category-remove"]`)),
		chromedp.Poll[chromedp.Void](`!`+chip("Engineering")+` && !!`+chip("Architecture")+` && `+settled),
	); err != nil {
		t.Fatal(err)
	}
	kept, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.notReloaded === true`))
	if err != nil || !kept {
		t.Fatalf("the page was reloaded (%v)", err)
	}
	cs, err := env.DB.Scoped(acme.ID).IssuerCategories(context.Background())
	if err != nil || len(cs) != 1 || cs[0].Category != "Architecture" {
		t.Fatalf("stored categories %+v (%v)", cs, err)
	}
	// Loaded again, the page shows the same chips.
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/settings/profile"), chromedp.WaitVisible(q("category-chips"))); err != nil {
		t.Fatal(err)
	}
	count, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="category-chip"]').length`))
	if err != nil || count != 1 {
		t.Fatalf("%d chips after loading the page again (%v)", count, err)
	}
}
