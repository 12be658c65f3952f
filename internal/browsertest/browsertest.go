// Package browsertest drives Debian's Chromium for the browser tests: one
// headless browser per test binary, one tab per test.
//
//	func TestMain(m *testing.M) { os.Exit(browsertest.Main(m)) }
//
//	func TestX(t *testing.T) {
//		tab := browsertest.Tab(t)
//		err := chromedp.Do(tab, chromedp.Navigate(url), …)
//	}
//
// Without Chromium the browser tests are skipped with the reason, except
// under CI=true, where they fail. CHROMIUM may name the executable.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var browser struct {
	ctx     context.Context // a chromedp context whose browser is running
	cancel  context.CancelFunc
	missing string // why there is no browser
}

// Main runs the tests and then stops the shared browser, which the first
// Tab call starts.
func Main(m Runner) int {
	defer func() {
		if browser.cancel != nil {
			browser.cancel()
		}
	}()
	return m.Run()
}

func start() {
	path := os.Getenv("CHROMIUM")
	if path == "" {
		for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if found, err := exec.LookPath(p); err == nil {
				path = found
				break
			}
		}
	}
	if path == "" {
		browser.missing = "no Chromium installed (apt-get install chromium, or set CHROMIUM)"
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	// The first Run starts the browser; it must not carry a timeout.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			cancelCtx()
			cancelAlloc()
			browser.missing = fmt.Sprintf("Chromium at %s did not start: %v", path, err)
			return
		}
	case <-time.After(60 * time.Second):
		cancelCtx()
		cancelAlloc()
		browser.missing = fmt.Sprintf("Chromium at %s did not start within 60s", path)
		return
	}
	browser.ctx = ctx
	browser.cancel = func() { cancelCtx(); cancelAlloc() }
}

var startOnce sync.Once

// Tab opens a new tab in the shared browser for this test, closed when the
// test ends. Its deadline is the test binary's (go test -timeout) less a
// margin (Budget), not a fixed time: on a busy machine a slow test still
// passes, and a stuck one fails with what it waited for (Wait) before the
// binary is killed. Open the tab after the test's servers are up.
func Tab(t *testing.T) context.Context {
	t.Helper()
	return tab(t)
}

// OtherBrowser opens a tab in a new browser context, with its own cookies
// and storage: another person's browser, or the same person on another
// device. It is disposed of when the test ends.
func OtherBrowser(t *testing.T) context.Context {
	t.Helper()
	return tab(t, chromedp.WithNewBrowserContext())
}

func tab(t *testing.T, opts ...chromedp.ContextOption) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped in -short mode: browser test")
	}
	startOnce.Do(start)
	if browser.ctx == nil {
		if browser.missing == "" {
			browser.missing = "browser not started"
		}
		requireService(t, browser.missing)
	}
	tab, cancelTab := chromedp.NewContext(browser.ctx, opts...)
	ctx, cancel := context.WithTimeout(tab, Budget(t))
	t.Cleanup(func() {
		cancel()
		cancelTab()
	})
	// Open the tab now, so that a failure is reported here.
	if err := chromedp.Do(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("open tab: %v", err)
	}
	return ctx
}

// Budget is how long a browser test may take: until the test binary's
// deadline less a tenth of the time left (at least 10 s), so that a test
// that waits too long is reported by Wait, with its condition, rather than
// by the binary's timeout panic; 10 minutes when there is no deadline.
func Budget(t *testing.T) time.Duration {
	d, ok := t.Deadline()
	if !ok {
		return 10 * time.Minute
	}
	left := time.Until(d)
	return left - max(left/10, 10*time.Second)
}

func requireService(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("required service missing under CI: %s", why)
	}
	t.Skipf("skipped: %s", why)
}

// Runner is what Main wraps: a *testing.M, or another package's Main.
type Runner interface{ Run() int }

// RunFunc adapts a function to Runner, to chain several Mains:
//
//	mailtest.Main(mailtest.RunFunc(func() int { return browsertest.Main(m) }))
type RunFunc func() int

// Run calls f.
func (f RunFunc) Run() int { return f() }
