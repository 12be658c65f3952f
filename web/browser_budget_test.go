package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/demo"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// demoServed is the application serving the demo data set (internal/demo),
// as `serve --demo` would, with its accounts by email.
func demoServed(t *testing.T) (*webtest.Env, string, map[string]demo.Account) {
	t.Helper()
	env, base := webtest.Served(t, store.SQLite, webtest.WithoutAdmin())
	res, err := demo.Seed(context.Background(), env.DB, env.Keys, base)
	if err != nil {
		t.Fatal(err)
	}
	accounts := map[string]demo.Account{}
	for _, a := range res.Accounts {
		accounts[a.Email] = a
	}
	return env, base, accounts
}

// signIn signs the tab in with the sign-in form, after signing out whoever
// was (its cookies cleared), and waits for the page it lands on.
func signIn(t *testing.T, tab context.Context, base string, a demo.Account) {
	t.Helper()
	if err := chromedp.Do(tab,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
			return err
		}),
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), a.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), a.Password),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
	); err != nil {
		t.Fatalf("sign in as %s: %v", a.Email, err)
	}
	browsertest.Wait(t, tab, "the page after signing in as "+a.Email,
		`document.readyState === "complete" && !location.pathname.startsWith("/login")`)
}

// A first visit (nothing cached) to each page a new user meets first (sign-in,
// the public verification page, /verify, the dashboard, the credentials list,
// the issue form, the organizations console) brings at most 40 KB of CSS and JavaScript over the network, as Chrome
// counts it (encodedDataLength: headers and the body as compressed).
func TestBrowserWeightBudget(t *testing.T) {
	env, base, accounts := demoServed(t)
	tab := browsertest.Tab(t)
	publicID := scalar[string](t, env, "SELECT public_id FROM credentials WHERE status = 'active' LIMIT 1")
	const budget = 40 << 10
	check := func(name, path string) {
		t.Helper()
		transfers := browsertest.ColdLoad(t, tab, base+path)
		assets, list := browsertest.Weight(transfers, network.ResourceTypeStylesheet, network.ResourceTypeScript)
		page, _ := browsertest.Weight(transfers, network.ResourceTypeDocument)
		t.Logf("%s, cold: document %d B, CSS + JS %d B:%s", name, page, assets, list)
		if assets == 0 || assets > budget {
			t.Errorf("%s, cold: %d bytes of CSS + JS on the wire, budget %d:%s", name, assets, budget, list)
		}
	}
	check("sign-in page", "/login")
	check("public verification page", "/v/"+publicID)
	check("verify page", "/verify")
	signIn(t, tab, base, accounts["admin@northfield.edu"])
	check("dashboard", "/")
	check("credentials list", "/credentials")
	check("issue form", "/credentials/issue")
	check("verify page, signed in", "/verify")
	signIn(t, tab, base, accounts["operator@trustcred.example"])
	check("organizations console", "/admin/organizations")
}

// axe-core finds no serious or critical violation on the pages a new user
// meets first: sign-in, the dashboard, the credentials list, the issue
// form, a credential page, its public verification page, /verify (signed
// out and in) and the platform's organizations console; none scrolls
// sideways at 390 or 1280 px.
func TestBrowserAccessibility(t *testing.T) {
	env, base, accounts := demoServed(t)
	tab := browsertest.Tab(t)
	orgID := scalar[string](t, env, "SELECT id FROM organizations WHERE slug = ?", "northfield")
	credID := scalar[string](t, env, "SELECT id FROM credentials WHERE issuer_id = ? AND status = 'active' LIMIT 1", orgID)
	publicID := scalar[string](t, env, "SELECT public_id FROM credentials WHERE id = ?", credID)
	visit := func(name, path string) {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.Navigate(base+path)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		browsertest.Axe(t, tab, name)
		// At a phone's and a laptop's width, saved under
		// $TRUSTCRED_SCREENSHOTS for a person to look at.
		browsertest.Look(t, tab, strings.ReplaceAll(name, " ", "-"))
	}
	visit("sign-in page", "/login")
	visit("public verification page", "/v/"+publicID)
	visit("verify page", "/verify")
	signIn(t, tab, base, accounts["admin@northfield.edu"])
	visit("dashboard", "/")
	visit("credentials list", "/credentials")
	visit("issue form", "/credentials/issue")
	visit("credential page", "/credentials/"+credID)
	visit("verify page signed in", "/verify")
	signIn(t, tab, base, accounts["operator@trustcred.example"])
	visit("organizations console", "/admin/organizations")
}
