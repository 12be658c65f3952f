package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// The field library in a real browser: an admin opens it from the
// sidebar, is told what is wrong next to the input, adds a field
// (TestFieldLibrary inserts one in a schema through the builder). Looked at at 390 and 1280 px, checked by axe.
func TestBrowserFieldLibrary(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	org := env.Org("northfield")
	seedField(t, env, org, "student_number", "Student number")
	admin := env.User(store.RoleAdmin, org)
	base := env.Serve()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	signIn := func(u *store.User) {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(css(`#f-email`), u.Email), chromedp.SendKeys(css(`#f-password`), webtest.Password),
			chromedp.Click(css(`[data-testid="login-submit"]`)), chromedp.WaitVisible(css(`[data-testid="dashboard"]`))); err != nil {
			t.Fatal(err)
		}
	}
	signIn(admin)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Click(css(`[data-testid="nav-fields"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the field library", `!!document.querySelector('[data-testid="field-row-student_number"]')`)
	browsertest.Look(t, tab, "field-library")
	browsertest.Axe(t, tab, "the field library")
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900),
		chromedp.SendKeys(css(`#f-label`), "Campus"), chromedp.SendKeys(css(`#f-name`), "2campus"),
		chromedp.Click(css(`[data-testid="field-save"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the name refused next to it", `!!document.querySelector('[data-testid="error-name"]')`)
	browsertest.Look(t, tab, "field-library-refused")
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.SetValue(css(`#f-name`), "campus"),
		chromedp.Click(css(`[data-testid="field-save"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the new field", `!!document.querySelector('[data-testid="field-row-campus"]')`)

}
