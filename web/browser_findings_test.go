package web_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// stickingOut lists the long unbroken texts (DIDs, key ids, links) on the
// page that stick out of the box that holds them, up to the first box
// that scrolls or clips.
const stickingOut = `(() => {
	const out = [];
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	let n;
	while ((n = walker.nextNode())) {
		if (!/\S{24,}/.test(n.data)) continue;
		const range = document.createRange();
		range.selectNodeContents(n);
		const r = range.getBoundingClientRect();
		if (r.width === 0) continue;
		for (let p = n.parentElement; p && p !== document.body; p = p.parentElement) {
			const s = getComputedStyle(p);
			if (s.overflowX !== 'visible') break;
			const pr = p.getBoundingClientRect();
			if (r.right > pr.right + 1 || r.left < pr.left - 1) {
				out.push(n.data.trim().slice(0, 40) + '… sticks out of <' + p.tagName.toLowerCase() + ' class="' + String(p.className).slice(0, 60) + '">');
				break;
			}
		}
	}
	return out;
})()`

// beyondViewport names the outermost elements that reach past the
// viewport's right edge (what makes a page scroll sideways).
const beyondViewport = `(() => {
	const W = document.documentElement.clientWidth, out = [];
	for (const el of document.body.querySelectorAll('*')) {
		const r = el.getBoundingClientRect();
		if (r.width === 0 || r.right <= W + 1) continue;
		let p = el.parentElement, inside = false;
		for (; p && p !== document.body; p = p.parentElement) {
			if (p.getBoundingClientRect().right > W + 1 || getComputedStyle(p).overflowX !== 'visible') { inside = true; break; }
		}
		if (!inside) out.push('<' + el.tagName.toLowerCase() + ' class="' + String(el.className).slice(0, 80) + '"> ends at ' + Math.round(r.right) + ' px');
	}
	return out.slice(0, 5);
})()`

// look is browsertest.Look plus: no long DID, key id or link sticks out
// of its card at either width.
func look(t *testing.T, tab context.Context, name string) {
	t.Helper()
	for _, w := range browsertest.Widths {
		browsertest.Look(t, tab, name, w)
		bad, err := chromedp.Run(tab, chromedp.Evaluate[[]string](stickingOut))
		if err != nil {
			t.Fatal(err)
		}
		wide, err := chromedp.Run(tab, chromedp.Evaluate[[]string](strings.Replace(beyondViewport, "document.body.querySelectorAll('*')", "document.querySelectorAll('main *')", 1)))
		if err != nil {
			t.Fatal(err)
		}
		bad = append(bad, wide...)
		for _, b := range bad {
			t.Errorf("%s at %d px: %s", name, w, b)
		}
	}
}

// contrast is the WCAG contrast ratio of two CSS rgb() colours.
func contrast(a, b string) float64 {
	lum := func(c string) float64 {
		var r, g, bl float64
		c = strings.NewReplacer("rgba(", "", "rgb(", "", ")", "", ",", " ").Replace(c)
		fmt.Sscan(c, &r, &g, &bl)
		ch := func(v float64) float64 {
			v /= 255
			if v <= 0.03928 {
				return v / 12.92
			}
			return math.Pow((v+0.055)/1.055, 2.4)
		}
		return 0.2126*ch(r) + 0.7152*ch(g) + 0.0722*ch(bl)
	}
	la, lb := lum(a), lum(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// What a new user met, in a real browser at a phone's and a laptop's
// width, with an organization whose URL name (and so its DID) is as long as
// allowed, on a server without email: the /verify textarea has a visible
// border; long DIDs, key ids and links stay inside their cards (credential
// pages, signing keys, verification results, API keys), each with a copy
// button; the issue preview and the invitation link page hold too.
func TestBrowserLongIdentifiersAndBorders(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite, webtest.WithMailer(mail.Unconfigured{}))
	org := env.Org("the-royal-institute-of-very-long-organization-names-and-titles")
	tpl := degreeTemplate(t, env, org)
	cr := issueDegree(t, env, org, tpl, "Grace Hopper", "grace@example.org")
	signed, err := testIssuer(env).SignedDocument(cr)
	if err != nil {
		t.Fatal(err)
	}
	// The organization's name and the admin's email are short: the long
	// part under test is the DID, which the URL name makes.
	admin := env.User(store.RoleAdmin, org)
	for _, q := range []string{"UPDATE organizations SET name = 'Royal Institute' WHERE id = ?", "UPDATE users SET email = 'ada@ri.example' WHERE id = ?"} {
		id := org.ID
		if strings.HasPrefix(q, "UPDATE users") {
			id = admin.ID
		}
		if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), q), id); err != nil {
			t.Fatal(err)
		}
	}
	admin.Email = "ada@ri.example"
	base := env.Serve()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	present := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`!!document.querySelector(` + strconv.Quote(sel) + `) && ` + settled)
	}
	// has: the page has a copy button for what it shows (checked apart
	// from the waits, so that the layout is looked at either way).
	has := func(page, testID string) {
		t.Helper()
		ok, err := chromedp.Run(tab, chromedp.Evaluate[bool](`!!document.querySelector('[data-testid="`+testID+`"]')`))
		if err != nil || !ok {
			t.Errorf("%s: no %s (%v)", page, testID, err)
		}
	}

	// The public page.
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/v/"+cr.PublicID), present(`[data-testid="verdict"]`)); err != nil {
		t.Fatal(err)
	}
	has("public-credential", "copy-issuer-did")
	look(t, tab, "public-credential")

	// /verify: the textarea's border is visible (WCAG 1.4.11: 3:1).
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/verify"), present(`[data-testid="verify-text"]`)); err != nil {
		t.Fatal(err)
	}
	border, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`(() => {
		const el = document.querySelector('[data-testid="verify-text"]');
		const s = getComputedStyle(el);
		let p = el.parentElement, bg = 'rgb(255, 255, 255)';
		for (; p; p = p.parentElement) { const b = getComputedStyle(p).backgroundColor; if (b !== 'rgba(0, 0, 0, 0)') { bg = b; break; } }
		return [s.borderTopWidth, s.borderTopStyle, s.borderTopColor, bg];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if border[0] == "0px" || border[1] == "none" || contrast(border[2], border[3]) < 3 {
		t.Errorf("the textarea's border %v has contrast %.2f against %s, want a visible border of 3:1", border[:3], contrast(border[2], border[3]), border[3])
	}
	if err := chromedp.Do(tab,
		chromedp.SetValue(css(`[data-testid="verify-text"]`), string(signed)),
		chromedp.Click(css(`[data-testid="verify-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="verify-result"]`)),
	); err != nil {
		t.Fatal(err)
	}
	look(t, tab, "verify-result")

	// Staff pages.
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), admin.Email),
		chromedp.SendKeys(css(`#f-password`), webtest.Password),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		chromedp.Navigate(base+"/credentials/"+cr.ID),
		present(`[data-testid="credential-issuer"]`),
	); err != nil {
		t.Fatal(err)
	}
	has("staff-credential", "copy-credential-issuer-did")
	look(t, tab, "staff-credential")
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/settings/keys"), present(`[data-testid="keys-page"]`)); err != nil {
		t.Fatal(err)
	}
	has("signing-keys", "copy-keys-did")
	look(t, tab, "signing-keys")
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/api-keys"),
		present(`[data-testid="apikey-form"]`),
		chromedp.SendKeys(css(`#f-name`), "Student records system of the registry"),
		chromedp.Click(css(`input[value="credentials:read"]`)),
		chromedp.Click(css(`[data-testid="apikey-create"]`)),
		chromedp.WaitVisible(css(`[data-testid="apikey-secret"]`)),
	); err != nil {
		t.Fatal(err)
	}
	has("apikey-created", "copy-apikey-secret")
	look(t, tab, "apikey-created")
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/api-keys"), present(`[data-testid="apikey-prefix"]`)); err != nil {
		t.Fatal(err)
	}
	look(t, tab, "apikeys")

	// The issue preview, and an invitation without email.
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/credentials/issue"),
		present(`[data-testid="issue-form"]`),
		chromedp.SendKeys(css(`#f-recipient_name`), "Grace Hopper"),
		chromedp.SendKeys(css(`#f-recipient_address`), "grace@example.org"),
		chromedp.SetValue(css(`[id="f-data.awarded"]`), "2024-06-30"),
		chromedp.Click(css(`[data-testid="issue-preview-button"]`)),
		chromedp.WaitReady(css(`[data-testid="issue-preview"]`)),
	); err != nil {
		t.Fatal(err)
	}
	look(t, tab, "issue-preview")
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/members/invite"),
		present(`[data-testid="invite-form"]`),
		chromedp.SendKeys(css(`#f-email`), "new.colleague@example.org"),
		chromedp.SetValue(css(`#f-role`), "issuer"),
		chromedp.Click(css(`[data-testid="invite-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="invitation-link-page"], [data-testid="flash-error"]`)),
	); err != nil {
		t.Fatal(err)
	}
	has("invitation", "copy-invitation-link")
	look(t, tab, "invitation-link")
}
