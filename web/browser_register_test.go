package web_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/mailtest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// Registration in a real browser: typing the name fills in the URL name
// (debounced htmx) and says it is available; the form is submitted; the
// confirmation email arrives at a real SMTP server, and its link confirms
// the address.
//
// It waits on conditions only (the page's state, htmx's requests counted),
// never on time: on a busy machine it is slower, not red. Its servers start
// before the tab opens, so their start does not eat the browser's budget
// (the cause of a 103-second "context deadline exceeded" at the first poll
// on a loaded CI machine, when the tab had a fixed 60 s from before the
// servers started).
func TestBrowserRegistration(t *testing.T) {
	srv := mailtest.Start(t)
	env, base := webtest.Served(t, store.SQLite, webtest.WithSMTP(srv.SMTPURL()))
	tab := browsertest.Tab(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	to := mailtest.Address(t)

	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/"),
		chromedp.Click(css(`[data-testid="register-link"]`)),
		chromedp.WaitVisible(css(`[data-testid="register-form"]`)),
		// Count the URL-name requests htmx completes on this page.
		chromedp.Evaluate[chromedp.Void](`window.slugRequests = 0; document.body.addEventListener('htmx:afterSettle', () => window.slugRequests++)`),
		chromedp.SendKeys(css(`#f-name`), "Université de Montréal"),
	); err != nil {
		t.Fatal(err)
	}
	// The URL name follows the name once typing pauses.
	browsertest.Wait(t, tab, "the URL name to follow the name and be available",
		`document.querySelector('#f-slug').value === 'universite-de-montreal' && `+
			`!!document.querySelector('[data-testid="slug-available"]') && `+settled)
	// Edited by hand, it stays, and its availability is checked as typed.
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#f-slug').value = ''`),
		chromedp.SendKeys(css(`#f-slug`), "udem"),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the hand-typed URL name udem to be checked",
		`(document.querySelector('[data-testid="slug-available"]') || {}).textContent?.includes('/orgs/udem') && `+settled)
	before, err := chromedp.Run(tab, chromedp.Evaluate[int](`window.slugRequests`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.SendKeys(css(`#f-name`), " (Québec)")); err != nil {
		t.Fatal(err)
	}
	// Past the debounce a request runs for the new name, and must leave
	// the URL name alone.
	browsertest.Wait(t, tab, "the request for the edited name to complete",
		`window.slugRequests > `+strconv.Itoa(before)+` && `+settled)
	slug, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('#f-slug').value`))
	if err != nil || slug != "udem" {
		t.Fatalf("the URL name edited by hand became %q (%v)", slug, err)
	}
	if err := chromedp.Do(tab,
		chromedp.SetValue(css(`#f-type`), "educational"),
		chromedp.SendKeys(css(`#f-domain`), "umontreal.ca"),
		chromedp.SendKeys(css(`#f-admin_name`), "Ada Lovelace"),
		chromedp.SendKeys(css(`#f-email`), to),
		chromedp.SendKeys(css(`#f-password`), orgPassword),
		chromedp.SendKeys(css(`#f-confirm`), orgPassword),
		chromedp.Click(css(`[data-testid="register-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="register-done"]`)),
		chromedp.WaitVisible(css(`[data-testid="register-email-sent"]`)),
		chromedp.WaitVisible(css(`[data-testid="register-awaiting-approval"]`)),
	); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(tab, chromedp.Text(css(`[data-testid="register-done"] h1`)))
	if err != nil || !strings.Contains(title, "Université de Montréal (Québec)") {
		t.Errorf("result page title %q (%v)", title, err)
	}
	link := base + linkIn(t, env, srv.WaitFor(t, to, waitMail).Text, "/confirm-email/")
	if err := chromedp.Do(tab,
		chromedp.Navigate(link),
		chromedp.WaitVisible(css(`[data-testid="email-confirmed"]`)),
		chromedp.WaitVisible(css(`[data-testid="confirmed-awaiting-approval"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if !scalar[bool](t, env, "SELECT email_verified FROM users WHERE email = ?", to) ||
		scalar[string](t, env, "SELECT status FROM organizations WHERE slug = 'udem'") != "pending" {
		t.Error("after the browser flow: not confirmed, or no pending organization at /udem")
	}
}
