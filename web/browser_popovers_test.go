package web_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// popoverCheck says what is wrong with the open popover selected by sel:
// a part of it off the screen left or right, and any link or button in it
// that a tap would not reach (another element drawn over its middle).
const popoverCheck = `((sel) => {
	const p = document.querySelector(sel), out = [];
	if (!p || !p.checkVisibility()) return [sel + " is not open"];
	const r = p.getBoundingClientRect(), w = document.documentElement.clientWidth;
	if (r.left < 0) out.push("cut off on the left by " + Math.round(-r.left) + " px");
	if (r.right > w + 0.5) out.push("cut off on the right by " + Math.round(r.right - w) + " px");
	if (r.top < 0) out.push("cut off at the top by " + Math.round(-r.top) + " px");
	for (const el of p.querySelectorAll("a[href], button, input:not([type=hidden]), select, summary")) {
		if (!el.checkVisibility()) continue;
		el.scrollIntoView({block: "nearest"});
		const b = el.getBoundingClientRect();
		if (b.width < 1 || b.height < 1) continue;
		if (b.left < 0 || b.right > w + 0.5) { out.push("<" + el.tagName.toLowerCase() + "> " + el.textContent.trim().slice(0, 30) + " sticks out of the screen"); continue; }
		const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
		if (!hit || !(el === hit || el.contains(hit) || hit.contains(el))) {
			out.push("<" + el.tagName.toLowerCase() + "> " + el.textContent.trim().slice(0, 30) + " is covered by " + (hit ? "<" + hit.tagName.toLowerCase() + (hit.dataset.testid ? " data-testid=" + hit.dataset.testid : "") + ">" : "nothing"));
		}
	}
	return out;
})`

// The shell's popovers, opened, on a staff page at a phone's, a tablet's
// and a laptop's width: the notifications (long titles), the account menu
// (a long email) and, where the sidebar is folded away, the Menu. Each
// lies wholly inside the screen, every link and button in it can be
// tapped (nothing drawn over it, nothing in it over another), and the page
// does not scroll sideways. The width sweep cannot see these: closed, they
// draw nothing. Screenshots: popover-<name>-<width>.png.
func TestBrowserPopoversStayOnScreen(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	acme := env.Org("acme")
	admin := env.User(store.RoleAdmin, acme)
	const email = "maximilian.wolfeschlegelsteinhausenbergerdorff@acme.example"
	if _, err := env.DB.SQL().Exec(rebind(env, "UPDATE users SET email = ? WHERE id = ?"), email, admin.ID); err != nil {
		t.Fatal(err)
	}
	admin.Email = email
	for _, title := range []string{
		"Bulk issuance of 1,250 credentials finished with 3 rows that need your attention",
		"Signing key rotation: the key of Northfield University's registrar office expires in 14 days",
		"Welcome",
	} {
		if _, err := env.DB.Notify(context.Background(), []string{admin.ID}, store.Notification{Type: store.NotifySystemAlert, Title: title,
			Message: "Open it to see the details.", Metadata: datatypes.NewJSONType(store.NotificationMetadata{OrganizationID: acme.ID, Link: "/credentials"})}); err != nil {
			t.Fatal(err)
		}
	}
	base := env.Serve()
	passwordLogin(t, tab, base, admin)

	type popover struct {
		name, button, panel string
		loaded              string // a condition once its content is in
	}
	popovers := []popover{
		{"notifications", "#notification-bell", `[data-testid="notification-dropdown"]`,
			`document.querySelector('[data-testid="notification-dropdown"]').innerText.includes('Bulk issuance of 1,250')`},
		{"account", `[data-testid="account-button"]`, `[data-testid="account-dropdown"]`, `true`},
		{"menu", `[data-testid="menu-button"]`, `[data-testid="nav-mobile-panel"]`, `true`},
	}
	for _, w := range []int{390, 820, 1280} {
		for _, p := range popovers {
			name := p.name + "-" + strconv.Itoa(w)
			if err := chromedp.Do(tab, chromedp.EmulateViewport(int64(w), 800), chromedp.Navigate(base+"/credentials"),
				chromedp.WaitVisible(`#main`)); err != nil {
				t.Fatal(err)
			}
			shown, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector('`+p.button+`').checkVisibility()`))
			if err != nil {
				t.Fatal(err)
			}
			if !shown {
				if p.name != "menu" || w < 1024 {
					t.Errorf("%s: no %s button to open it", name, p.button)
				}
				continue // the sidebar is open at this width: no Menu
			}
			if err := chromedp.Do(tab, chromedp.Click(p.button)); err != nil {
				t.Fatal(err)
			}
			browsertest.Wait(t, tab, name+" open", `document.querySelector('`+p.panel+`').checkVisibility() && (`+p.loaded+`) && `+settled)
			problems, err := chromedp.Run(tab, chromedp.Evaluate[[]string](popoverCheck+`(`+strconv.Quote(p.panel)+`)`))
			if err != nil {
				t.Fatal(err)
			}
			inside, err := browsertest.OverlappingIn(tab, p.panel)
			if err != nil {
				t.Fatal(err)
			}
			problems = append(problems, inside...)
			for _, pr := range problems {
				t.Errorf("%s: %s", name, pr)
			}
			if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.scrollTo(0, 0), true`)); err != nil {
				t.Fatal(err)
			}
			browsertest.Look(t, tab, "popover-"+p.name, w) // fails on a sideways scroll
		}
	}
}
