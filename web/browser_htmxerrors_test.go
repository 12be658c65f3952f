package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// A row action that fails shows why, in a real browser: an administrator
// deactivates a member whom another administrator deleted meanwhile (the
// server answers 404); the page keeps the row and says, in the flash
// region, that the member no longer exists. Before, htmx swapped nothing
// on a 4xx and the click did nothing visible.
func TestBrowserRowActionErrorShowsAsFlash(t *testing.T) {
	tab := browsertest.Tab(t)
	env, base := webtest.Served(t, store.SQLite)
	acme := env.Org("acme")
	admin := env.User(store.RoleAdmin, acme)
	grace := env.User(store.RoleIssuer, acme)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), admin.Email),
		chromedp.SendKeys(css(`#f-password`), webtest.Password),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		chromedp.Navigate(base+"/members"),
		chromedp.WaitVisible(css(`tr[data-member-email="`+grace.Email+`"] [data-testid="member-deactivate"]`)),
	); err != nil {
		t.Fatal(err)
	}
	// Another administrator removes her (here: straight in the database).
	if _, err := env.DB.SQL().Exec("DELETE FROM users WHERE id = ?", grace.ID); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click(css(`tr[data-member-email="`+grace.Email+`"] [data-testid="member-deactivate"]`)),
		chromedp.Poll[chromedp.Void](`!!document.querySelector('#flash [data-testid="flash-error"]') && `+settled),
	); err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(tab, chromedp.Text(css(`#flash [data-testid="flash-error"]`)))
	if err != nil || !strings.Contains(msg, "no longer exists") {
		t.Errorf("flash: %q (%v)", msg, err)
	}
	// The page around it is as it was: the table and its row are there,
	// nothing was swapped into the row.
	rows, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="member-row"]').length`))
	if err != nil || rows != 2 {
		t.Errorf("%d member rows after the failed action (%v), want 2", rows, err)
	}
}
