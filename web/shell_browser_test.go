package web_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/nav"
	"github.com/trustcred/trustcred/store"
)

// passwordLogin signs u in through the form and waits for the dashboard.
func passwordLogin(t *testing.T, tab context.Context, base string, u *store.User) {
	t.Helper()
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#f-email`, u.Email),
		chromedp.SendKeys(`#f-password`, webtest.Password),
		chromedp.Click(testID("login-submit")),
		chromedp.WaitVisible(testID("dashboard")),
	); err != nil {
		t.Fatalf("sign in %s: %v", u.Email, err)
	}
}

// visibleLinks counts the links of the navigation named testID that a
// person can see (laid out, not hidden by a closed menu).
func visibleLinks(t *testing.T, tab context.Context, testID string) int {
	t.Helper()
	n, err := chromedp.Run(tab, chromedp.Evaluate[int](`[...document.querySelectorAll('[data-testid="`+testID+`"] a[data-testid^="nav-"]')].filter(a => a.checkVisibility()).length`))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func navRows(role store.Role) int {
	n := 0
	for _, g := range nav.For(role, true) {
		n += len(g.Items)
	}
	return n
}

// Each role's sidebar at a laptop's width shows its links, and at a
// phone's width is folded into the Menu button, which opens it; the pages
// hold at both widths (screenshots: shell-<role>-<width>.png).
func TestBrowserSidebarPerRole(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	acme := env.Org("acme")
	base := env.Serve()
	for _, c := range []struct {
		role store.Role
		org  *store.Organization
	}{{store.RoleAdmin, acme}, {store.RoleIssuer, acme}, {store.RoleVerifier, acme}, {store.RoleRecipient, acme}, {store.RoleSuperAdmin, nil}} {
		t.Run(string(c.role), func(t *testing.T) {
			tab := browsertest.OtherBrowser(t)
			passwordLogin(t, tab, base, env.User(c.role, c.org))
			want := navRows(c.role)
			if c.org == nil {
				want = 0
				for _, g := range nav.For(c.role, false) {
					want += len(g.Items)
				}
			}
			if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900)); err != nil {
				t.Fatal(err)
			}
			if got := visibleLinks(t, tab, "sidebar-nav"); got != want {
				t.Errorf("at 1280 px the sidebar shows %d links, want %d", got, want)
			}
			if got := visibleLinks(t, tab, "sidebar-nav-mobile"); got != 0 {
				t.Errorf("at 1280 px the phone menu shows %d links", got)
			}
			browsertest.Look(t, tab, "shell-"+string(c.role), 1280, 390)
			// Now at 390 px: no sidebar until the Menu button opens it.
			if got := visibleLinks(t, tab, "sidebar-nav"); got != 0 {
				t.Errorf("at 390 px the sidebar shows %d links", got)
			}
			if got := visibleLinks(t, tab, "sidebar-nav-mobile"); got != 0 {
				t.Errorf("at 390 px the closed menu shows %d links", got)
			}
			if err := chromedp.Do(tab, chromedp.Click(testID("menu-button")), chromedp.WaitVisible(testID("nav-mobile-panel"))); err != nil {
				t.Fatal(err)
			}
			if got := visibleLinks(t, tab, "sidebar-nav-mobile"); got != want {
				t.Errorf("at 390 px the open menu shows %d links, want %d", got, want)
			}
			browsertest.Look(t, tab, "shell-"+string(c.role)+"-menu", 390)
		})
	}
}

// The phone menu is a <details> element: it opens with scripts switched
// off, as on a browser without JavaScript.
func TestBrowserPhoneMenuWithoutJavaScript(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	base := env.Serve()
	passwordLogin(t, tab, base, env.User(store.RoleIssuer, env.Org("acme")))
	noScript := func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	}
	if err := chromedp.Do(tab, noScript, chromedp.EmulateViewport(390, 800), chromedp.Navigate(base+"/credentials"),
		chromedp.WaitVisible(testID("menu-button"))); err != nil {
		t.Fatal(err)
	}
	ran, err := chromedp.Run(tab, chromedp.Evaluate[bool](`typeof window.htmx !== "undefined"`))
	if err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Fatal("htmx ran: scripts were not switched off")
	}
	if err := chromedp.Do(tab, chromedp.Click(testID("menu-button")), chromedp.WaitVisible(testID("nav-mobile-panel"))); err != nil {
		t.Fatal(err)
	}
	if got, want := visibleLinks(t, tab, "sidebar-nav-mobile"), navRows(store.RoleIssuer); got != want {
		t.Errorf("the menu opened without JavaScript shows %d links, want %d", got, want)
	}
}

// The admin's dashboard shows this month's figures; on the issue form one
// sidebar item is current (Issue); the notification popover stays on a
// phone's screen; and the dashboard holds at 390, 820, 1280 and 1920 px.
func TestBrowserDashboardAndCurrentItem(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	acme := env.Org("acme")
	tpl := degreeTemplate(t, env, acme)
	for _, name := range []string{"Ada Lovelace", "Grace Hopper"} {
		issueDegree(t, env, acme, tpl, name, "someone@example.org")
	}
	base := env.Serve()
	passwordLogin(t, tab, base, env.User(store.RoleAdmin, acme))
	issued, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid="stat-issued"] [data-testid="stat-value"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if issued != "2" {
		t.Errorf("credentials issued this month: %q, want 2", issued)
	}
	browsertest.Look(t, tab, "dashboard-admin", 390, 820, 1280, 1920)

	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/credentials/issue"),
		chromedp.WaitVisible(testID("sidebar-nav"))); err != nil {
		t.Fatal(err)
	}
	current, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="sidebar-nav"] [aria-current="page"]')].map(a => a.textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	if len(current) != 1 || current[0] != "Issue" {
		t.Errorf("current sidebar items on the issue form: %q, want [Issue]", current)
	}

	// The bell's popover on a phone: within the screen on both sides.
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 800), chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#notification-bell`), chromedp.Click(`#notification-bell`),
		chromedp.WaitVisible(testID("notification-dropdown"))); err != nil {
		t.Fatal(err)
	}
	edges, err := chromedp.Run(tab, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector('[data-testid="notification-dropdown"]').getBoundingClientRect(); return [r.left, r.right, window.innerWidth]; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(edges) != 3 || edges[0] < 0 || edges[1] > edges[2] {
		t.Errorf("the notification popover spans %v of a %v px screen", edges[:2], edges[2:])
	}
	browsertest.Look(t, tab, "dashboard-bell-open-"+strconv.Itoa(390), 390)
}

// Every page of an admin's sidebar (and the platform's, for an operator)
// holds in the shell where the sidebar takes the most room: at 1024 px
// (the sidebar's first width) and 1280 px, with a credential, a
// verification and audit entries to show.
func TestBrowserShellHoldsEverySidebarPage(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	acme := env.Org("acme")
	tpl := degreeTemplate(t, env, acme)
	issueDegree(t, env, acme, tpl, "Maximilian Alexander Wolfeschlegelsteinhausenbergerdorff", "maximilian.wolfeschlegelsteinhausenbergerdorff@example.org")
	base := env.Serve()
	for _, c := range []struct {
		role store.Role
		org  *store.Organization
	}{{store.RoleAdmin, acme}, {store.RoleSuperAdmin, nil}} {
		t.Run(string(c.role), func(t *testing.T) {
			tab := browsertest.OtherBrowser(t)
			passwordLogin(t, tab, base, env.User(c.role, c.org))
			for _, g := range nav.For(c.role, c.org != nil) {
				for _, it := range g.Items {
					if err := chromedp.Do(tab, chromedp.Navigate(base+it.Href), chromedp.WaitVisible(`#main`)); err != nil {
						t.Fatalf("%s: %v", it.Href, err)
					}
					browsertest.Look(t, tab, "page-"+string(c.role)+"-"+it.TestID, 1024, 1280)
				}
			}
		})
	}
}
