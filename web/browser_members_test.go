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

// An administrator, in a real browser: searches the members (debounced
// htmx, URL pushed), changes a role from the row's select, deactivates a
// member through the confirmation, and invites someone who then joins
// through the link read from the real SMTP server.
func TestBrowserMembersAndInvitation(t *testing.T) {
	tab := browsertest.Tab(t)
	srv := mailtest.Start(t)
	env, base := webtest.Served(t, store.SQLite, webtest.WithSMTP(srv.SMTPURL()))
	acme := env.Org("acme")
	admin := env.User(store.RoleAdmin, acme)
	grace := env.User(store.RoleIssuer, acme)
	if _, err := env.DB.SQL().Exec("UPDATE users SET profile = ? WHERE id = ?", `{"display_name":"Grace Hopper"}`, grace.ID); err != nil {
		t.Fatal(err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	row := func(email, inner string) chromedp.CSS {
		return css(`tr[data-member-email="` + email + `"] ` + inner)
	}
	// present waits until an element exists and htmx has settled, so that
	// the swapped-in content has its htmx behaviour (settling takes 20 ms;
	// a person does not click that fast, a test does).
	present := func(sel chromedp.CSS) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`!!document.querySelector(` + strconv.Quote(string(sel)) + `) && ` + settled)
	}
	rows := func() int {
		n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="member-row"]').length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), admin.Email),
		chromedp.SendKeys(css(`#f-password`), webtest.Password),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		chromedp.Navigate(base+"/members"),
		chromedp.WaitVisible(css(`[data-testid="members-table"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 2 {
		t.Fatalf("%d rows, want 2", n)
	}
	// Typing searches after a pause, swapping only the table, and the URL
	// follows.
	if err := chromedp.Do(tab,
		chromedp.SendKeys(css(`[data-testid="members-q"]`), "hopper"),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('[data-testid="member-row"]').length === 1 && `+settled),
	); err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil || !strings.Contains(loc, "q=hopper") {
		t.Errorf("location after searching: %q (%v)", loc, err)
	}
	// The row's select changes the role at once.
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('tr[data-member-email="`+grace.Email+`"] [data-testid="member-role"]');
			s.value = 'reviewer'; s.dispatchEvent(new Event('change', {bubbles: true})); })()`),
		present(row(grace.Email, `[data-testid="member-notice"]`)),
	); err != nil {
		t.Fatal(err)
	}
	var role string
	if err := env.DB.SQL().QueryRow("SELECT role FROM users WHERE id = ?", grace.ID).Scan(&role); err != nil || role != "reviewer" {
		t.Fatalf("role after the select: %q (%v)", role, err)
	}
	// Deactivation asks first, then swaps the row.
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click(row(grace.Email, `[data-testid="member-deactivate"]`)),
		present(row(grace.Email, `[data-testid="status-deactivated"]`)),
	); err != nil {
		t.Fatal(err)
	}

	// Invite, then join through the emailed link.
	to := mailtest.Address(t)
	if err := chromedp.Do(tab,
		chromedp.Click(css(`[data-testid="invite-link"]`)),
		chromedp.WaitVisible(css(`[data-testid="invite-form"]`)),
		chromedp.SendKeys(css(`#f-email`), to),
		chromedp.SetValue(css(`#f-role`), "verifier"),
		chromedp.Click(css(`[data-testid="invite-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="flash-success"]`)),
		chromedp.WaitVisible(row(to, `[data-testid="status-invited"]`)),
	); err != nil {
		t.Fatal(err)
	}
	link := base + linkIn(t, env, srv.WaitFor(t, to, waitMail).Text, "/invitations/")
	if err := chromedp.Do(tab,
		chromedp.Navigate(link),
		chromedp.WaitVisible(css(`[data-testid="invitation-form"]`)),
		chromedp.SendKeys(css(`#f-name`), "Nia Newcomer"),
		chromedp.SendKeys(css(`#f-password`), newPassword),
		chromedp.SendKeys(css(`#f-confirm`), newPassword),
		chromedp.Click(css(`[data-testid="invitation-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
	); err != nil {
		t.Fatal(err)
	}
	who, err := chromedp.Run(tab, chromedp.Text(css(`[data-testid="user-email"]`)))
	if err != nil || who != to {
		t.Fatalf("signed in as %q (%v), want %s", who, err, to)
	}
}
