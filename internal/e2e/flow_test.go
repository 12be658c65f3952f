package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/mailtest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// settled is true when htmx has no request in flight.
const settled = `document.querySelectorAll('.htmx-request').length === 0`

var confirmLink = regexp.MustCompile(`/confirm-email/[A-Za-z0-9_-]+`)

// The organization flow from the issue, as the people involved click it:
// a university registers and confirms its email; a platform operator, in
// another browser, approves it from the console (the row swaps, the page
// does not reload); the university's admin signs in and finds the
// approval in the notification bell.
func TestBrowserRegisterApproveNotify(t *testing.T) {
	applicant := browsertest.Tab(t)
	operatorTab := browsertest.OtherBrowser(t)
	srv := mailtest.Start(t)
	env, base := webtest.Served(t, store.SQLite, webtest.WithSMTP(srv.SMTPURL()))
	operator := env.User(store.RoleSuperAdmin, nil)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	admin := mailtest.Address(t)
	const pw = "a long and unusual passphrase"

	// 1. Registration, and the confirmation link from the real SMTP server.
	if err := chromedp.Do(applicant,
		chromedp.Navigate(base+"/register"),
		chromedp.WaitVisible(css(`[data-testid="register-form"]`)),
		chromedp.SendKeys(css(`#f-name`), "Northfield University"),
		chromedp.Poll[chromedp.Void](`document.querySelector('#f-slug').value === 'northfield-university' && `+settled),
		chromedp.SetValue(css(`#f-type`), "educational"),
		chromedp.SendKeys(css(`#f-domain`), "northfield.example"),
		chromedp.SendKeys(css(`#f-admin_name`), "Alice Moreau"),
		chromedp.SendKeys(css(`#f-email`), admin),
		chromedp.SendKeys(css(`#f-password`), pw),
		chromedp.SendKeys(css(`#f-confirm`), pw),
		chromedp.Click(css(`[data-testid="register-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="register-awaiting-approval"]`)),
	); err != nil {
		t.Fatal(err)
	}
	link := confirmLink.FindString(srv.WaitFor(t, admin, 30*time.Second).Text)
	if link == "" {
		t.Fatal("no confirmation link in the email")
	}
	if err := chromedp.Do(applicant,
		chromedp.Navigate(base+link),
		chromedp.WaitVisible(css(`[data-testid="email-confirmed"]`)),
	); err != nil {
		t.Fatal(err)
	}

	// 2. The operator approves it from the console, in place.
	row := `[data-testid="org-row"][data-org-slug="northfield-university"]`
	if err := chromedp.Do(operatorTab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), operator.Email),
		chromedp.SendKeys(css(`#f-password`), webtest.Password),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		chromedp.Navigate(base+"/admin/organizations?status=pending"),
		chromedp.WaitVisible(css(row)),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`),
		chromedp.Click(css(row+` [data-testid="org-approve"]`)),
		chromedp.Poll[chromedp.Void](`!!document.querySelector('`+row+`[data-org-status="active"]') && `+settled),
	); err != nil {
		t.Fatal(err)
	}
	same, err := chromedp.Run(operatorTab, chromedp.Evaluate[bool](`window.notReloaded === true`))
	if err != nil || !same {
		t.Fatalf("the console reloaded instead of swapping the row (%v)", err)
	}

	// 3. The organization's admin signs in and sees the approval in the bell.
	if err := chromedp.Do(applicant,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), admin),
		chromedp.SendKeys(css(`#f-password`), pw),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		chromedp.Poll[chromedp.Void](`(document.querySelector('[data-testid="notification-count"]') || {}).textContent === '1'`),
		chromedp.Click(css(`[data-testid="notification-bell"]`)),
		chromedp.WaitVisible(css(`[data-testid="notification-latest-item"]`)),
	); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(applicant, chromedp.Text(css(`[data-testid="notification-latest"]`)))
	if err != nil || !strings.Contains(strings.ToLower(text), "approved") {
		t.Fatalf("the notification dropdown says %q (%v), want the approval", text, err)
	}
}
