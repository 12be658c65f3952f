package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// The designs list as an admin sees it: nothing sideways at 390 and 1280
// px, and axe. The editor is not opened here yet: in the browser it did not
// show its preview within the test's wait (the handler tests check it).
func TestBrowserDesignsList(t *testing.T) {
	tab := browsertest.Tab(t)
	env, base := webtest.Served(t, store.SQLite)
	org := env.Org("acme")
	admin := env.User(store.RoleAdmin, org)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#f-email`, admin.Email),
		chromedp.SendKeys(`#f-password`, webtest.Password),
		chromedp.Click(testID("login-submit")),
		chromedp.WaitVisible(testID("dashboard")),
		chromedp.Navigate(base+"/settings/designs"),
		chromedp.WaitVisible(testID("designs-empty")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Look(t, tab, "designs-list")
	browsertest.Axe(t, tab, "designs-list")
}
