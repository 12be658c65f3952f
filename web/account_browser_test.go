package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

func testID(id string) string { return `[data-testid="` + id + `"]` }

// browserLogin signs in with the password, then with code at the second
// step, and waits for the dashboard.
func browserLogin(t *testing.T, tab context.Context, base string, u *store.User, code string) {
	t.Helper()
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#f-email`, u.Email),
		chromedp.SendKeys(`#f-password`, webtest.Password),
		chromedp.Click(testID("login-submit")),
		chromedp.WaitVisible(testID("login-mfa-form")),
		chromedp.SendKeys(`#f-code`, code),
		chromedp.Click(testID("login-mfa-submit")),
		chromedp.WaitVisible(testID("dashboard")),
	); err != nil {
		t.Fatalf("sign in %s: %v", u.Email, err)
	}
}

// A user signs in with a second factor in two browsers (an authenticator
// code in one, a recovery code in the other), then revokes the other
// browser's session from the sessions page: the row goes away through
// htmx and the other browser is signed out on its next request.
func TestBrowserMFALoginAndSessionRevoke(t *testing.T) {
	laptop := browsertest.Tab(t)
	phone := browsertest.OtherBrowser(t)
	env := webtest.New(t, store.SQLite)
	u := env.User(store.RoleAdmin, env.Org("acme"))
	secret, codes := enrol(t, env, u)
	base := env.Serve()

	browserLogin(t, laptop, base, u, code(t, secret, 30*time.Second))
	browserLogin(t, phone, base, u, codes[0])
	flash, err := chromedp.Run(phone, chromedp.Text(testID("flash-info")))
	if err != nil || !strings.Contains(flash, "recovery code") {
		t.Fatalf("no recovery-code notice on the phone: %q (%v)", flash, err)
	}

	if err := chromedp.Do(laptop,
		chromedp.Navigate(base+"/account/sessions"),
		chromedp.WaitVisible(testID("sessions-table")),
	); err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(laptop, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="session-row"]').length`))
	if err != nil || rows != 2 {
		t.Fatalf("%d sessions listed (%v), want 2", rows, err)
	}
	if err := chromedp.Do(laptop,
		chromedp.Click(`tr[data-testid="session-row"]:not(:has([data-testid="this-device"])) [data-testid="session-revoke"]`),
		chromedp.WaitVisible(testID("flash-success")),
	); err != nil {
		t.Fatalf("revoke the phone's session: %v", err)
	}
	rows, err = chromedp.Run(laptop, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="session-row"]').length`))
	if err != nil || rows != 1 {
		t.Fatalf("after revoking: %d rows (%v), want 1", rows, err)
	}
	here, err := chromedp.Run(laptop, chromedp.Location())
	if err != nil || !strings.HasSuffix(here, "/account/sessions") {
		t.Fatalf("the revoke left the page: %q", here)
	}

	if err := chromedp.Do(phone,
		chromedp.Navigate(base+"/account"),
		chromedp.WaitVisible(testID("login-page")),
	); err != nil {
		t.Fatalf("the revoked browser is not sent to sign in: %v", err)
	}
}
