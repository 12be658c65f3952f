package web_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// settled is true when no htmx request, swap or settle is under way.
const settled = `!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')`

// A platform operator, in a real browser: sorts the console by name,
// searches as they type (the order kept, the URL following), approves a
// pending organization from its row, then suspends another with a reason
// typed into the row's form. Every step swaps in place: a value set on
// window when the page loaded is still there at the end.
func TestBrowserOrgConsole(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	pending := consoleOrg(t, env, "pending-university", store.OrganizationPending)
	active := consoleOrg(t, env, "active-college", store.OrganizationActive)
	admin := env.User(store.RoleAdmin, pending)
	for _, s := range []string{"other-academy", "third-institute"} {
		env.Org(s)
	}
	operator := env.User(store.RoleSuperAdmin, nil)
	base := env.Serve()

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	present := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`!!document.querySelector(` + strconv.Quote(sel) + `) && ` + settled)
	}
	row := func(slug string) string { return `tr[data-org-slug="` + slug + `"]` }
	rows := func() int {
		n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="org-row"]').length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	marker := func(when string) {
		t.Helper()
		v, err := chromedp.Run(tab, chromedp.Evaluate[int](`window.consoleMarker || 0`))
		if err != nil || v != 42 {
			t.Fatalf("%s: the page was reloaded (marker %d, %v)", when, v, err)
		}
	}

	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), operator.Email),
		chromedp.SendKeys(css(`#f-password`), webtest.Password),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		chromedp.Click(css(`a[href="/admin/organizations"]`)),
		chromedp.WaitVisible(css(`[data-testid="orgs-table"]`)),
		chromedp.Evaluate[chromedp.Void](`window.consoleMarker = 42`),
	); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 4 {
		t.Fatalf("%d rows, want 4", n)
	}
	// The Verified column's "No" and its button read at 4.5:1 or more
	// against the row (it was 2.56:1).
	colours, err := chromedp.Run(tab, chromedp.Evaluate[[][]string](`[...document.querySelectorAll('[data-testid="org-verified"] span:not(.sr-only), [data-testid="org-verified-set"]')].filter(e => e.checkVisibility() && e.textContent.trim()).map(e => {
		let bg = 'rgb(255, 255, 255)';
		for (let p = e; p; p = p.parentElement) { const b = getComputedStyle(p).backgroundColor; if (b !== 'rgba(0, 0, 0, 0)') { bg = b; break; } }
		return [e.textContent.trim().slice(0, 20), getComputedStyle(e).color, bg];
	})`))
	if err != nil || len(colours) == 0 {
		t.Fatalf("the Verified column: %v %v", colours, err)
	}
	sawNo := false
	for _, c := range colours {
		sawNo = sawNo || c[0] == "No"
		if r := contrast(c[1], c[2]); r < 4.5 {
			t.Errorf("%q in the Verified column: %s on %s, contrast %.2f:1, want 4.5:1", c[0], c[1], c[2], r)
		}
	}
	if !sawNo {
		t.Errorf("no unverified organization's \"No\" in the Verified column: %v", colours)
	}
	// Sort by name, then search: the search keeps the order.
	if err := chromedp.Do(tab,
		chromedp.Click(css(`[data-testid="orgs-sort-name"]`)),
		present(`th[aria-sort="ascending"] [data-testid="orgs-sort-name"]`),
		chromedp.SendKeys(css(`[data-testid="orgs-q"]`), "univ"),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('[data-testid="org-row"]').length === 1 && `+settled),
	); err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil || !strings.Contains(loc, "q=univ") || !strings.Contains(loc, "sort=name") {
		t.Errorf("location after sorting and searching: %q (%v)", loc, err)
	}
	marker("after searching")

	// Approve: only the row changes.
	if err := chromedp.Do(tab,
		chromedp.Click(css(row(pending.Slug)+` [data-testid="org-approve"]`)),
		present(row(pending.Slug)+`[data-org-status="active"] [data-testid="org-notice"]`),
	); err != nil {
		t.Fatal(err)
	}
	marker("after approving")
	if e, err := env.DB.OrganizationEntry(t.Context(), pending.ID); err != nil || e.Status != store.OrganizationActive {
		t.Fatalf("after approving: %+v %v", e, err)
	}
	var notes int
	if err := env.DB.SQL().QueryRow("SELECT count(*) FROM notifications WHERE user_id = ?", admin.ID).Scan(&notes); err != nil || notes != 1 {
		t.Fatalf("the admin has %d notifications (%v)", notes, err)
	}

	// Suspend another: the row turns into a form for the reason.
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="orgs-q"]').value = ''`),
		chromedp.SendKeys(css(`[data-testid="orgs-q"]`), "college"),
		present(row(active.Slug)+` [data-testid="org-suspend"]`),
		chromedp.Click(css(row(active.Slug)+` [data-testid="org-suspend"]`)),
		present(row(active.Slug)+`[data-testid="org-confirm-row"] [data-testid="org-reason"]`),
		// The confirmation opens as a modal dialog over the page.
		chromedp.Poll[chromedp.Void](`(() => { const m = document.querySelector('[data-testid="org-confirm-modal"]');`+
			` return !!m && getComputedStyle(m).position === 'fixed' && !!m.querySelector('[role="dialog"][aria-modal="true"]') })()`),
		chromedp.Click(css(`[data-testid="org-confirm-submit"]`)), // no reason yet
		present(row(active.Slug)+` [data-testid="error-reason"]`),
		chromedp.SendKeys(css(row(active.Slug)+` [data-testid="org-reason"]`), "Unpaid invoices since March"),
		chromedp.Click(css(`[data-testid="org-confirm-submit"]`)),
		present(row(active.Slug)+`[data-org-status="suspended"] [data-testid="org-notice"]`),
	); err != nil {
		t.Fatal(err)
	}
	marker("after suspending")
	if e, err := env.DB.OrganizationEntry(t.Context(), active.ID); err != nil || e.Status != store.OrganizationSuspended {
		t.Fatalf("after suspending: %+v %v", e, err)
	}
}
