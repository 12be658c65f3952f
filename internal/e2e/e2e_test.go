// Package e2e holds the browser tests of whole user flows: a real server,
// Debian's Chromium (one per test binary, a tab per test) and, where email
// is part of the flow, a real SMTP server (mailpit).
package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/mailtest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

func TestMain(m *testing.M) {
	os.Exit(mailtest.Main(mailtest.RunFunc(func() int { return browsertest.Main(m) })))
}

// First run: the setup page, the token from the log, the administrator
// created and signed in on the dashboard.
func TestBrowserFirstRunSetup(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite, webtest.WithoutAdmin())
	base := env.Serve()

	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="setup-form"]`)),
	); err != nil {
		t.Fatal(err)
	}
	url, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(url, "/setup") {
		t.Fatalf("the first visit landed on %s, want /setup", url)
	}
	// A wrong token is refused next to the field, and nothing is created.
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.CSS(`#f-token`), "wrong-token"),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Pat Operator"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "pat@example.org"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "a long and unusual passphrase"),
		chromedp.SendKeys(chromedp.CSS(`#f-confirm`), "a long and unusual passphrase"),
		chromedp.Click(chromedp.CSS(`[data-testid="setup-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-token"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab,
		chromedp.SetValue(chromedp.CSS(`#f-token`), env.SetupToken),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "a long and unusual passphrase"),
		chromedp.SendKeys(chromedp.CSS(`#f-confirm`), "a long and unusual passphrase"),
		chromedp.Click(chromedp.CSS(`[data-testid="setup-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dashboard"]`)),
	); err != nil {
		t.Fatal(err)
	}
	who, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid="user-email"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if who != "pat@example.org" {
		t.Errorf("signed in as %q", who)
	}
	flash, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid="flash-success"]`)))
	if err != nil || !strings.Contains(flash, "Welcome") {
		t.Errorf("welcome message %q (%v)", flash, err)
	}
}
