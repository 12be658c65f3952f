package web

import (
	"net"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/mailtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// The browser tests drive Chromium and the email tests talk to a real SMTP
// server (mailpit): one of each per test binary, started on first use and
// stopped at the end.
func TestMain(m *testing.M) {
	os.Exit(mailtest.Main(mailtest.RunFunc(func() int { return browsertest.Main(m) })))
}

// serve runs the real application on a loopback port for a browser.
func serve(t *testing.T) string {
	t.Helper()
	return listen(t, newApp(t, storetest.Open(t, store.SQLite), false))
}

// listen serves app on a loopback port until the test ends.
func listen(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String()
}

// The home page loads its CSS and htmx under the strict CSP, and the status
// button swaps in the panel that the server renders.
func TestBrowserHomePageStylesAndSwaps(t *testing.T) {
	tab := browsertest.Tab(t)
	base := serve(t)

	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="check-status"]`)),
	); err != nil {
		t.Fatal(err)
	}
	// Tailwind's bg-brand-700 (#4338ca) on the button proves the stylesheet applied.
	bg, err := chromedp.Run(tab, chromedp.Evaluate[string](
		`getComputedStyle(document.querySelector('[data-testid="check-status"]')).backgroundColor`))
	if err != nil {
		t.Fatal(err)
	}
	if bg != "rgb(67, 56, 202)" {
		t.Errorf("button background %q: the CSS did not load", bg)
	}
	// The signed-out top bar (brand, Verify a credential, Sign in) and the
	// page hold at a phone's and a laptop's width.
	browsertest.Look(t, tab, "home-signed-out")
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	version, err := chromedp.Run(tab, chromedp.Evaluate[string](`window.htmx ? htmx.version : ""`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(version, "2.") {
		t.Fatalf("htmx version %q: htmx 2 did not load", version)
	}

	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`[data-testid="check-status"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="status-panel"]`)),
	); err != nil {
		t.Fatal(err)
	}
	verdict, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid="status-verdict"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if verdict != "All systems operational" {
		t.Errorf("verdict %q", verdict)
	}
	// The swap replaced the button inside the panel's container, on the same page.
	n, err := chromedp.Run(tab, chromedp.Evaluate[int](
		`document.querySelectorAll('[data-testid="check-status"]').length + document.querySelectorAll('[data-testid="home"]').length * 10`))
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 {
		t.Errorf("after the swap: want no button and one home section, got code %d", n)
	}
}
