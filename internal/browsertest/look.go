package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// Widths are the viewport widths a page is looked at by default: a phone
// and a laptop.
var Widths = []int{390, 1280}

// Look shows the page open in tab at each width (CSS pixels; Widths when
// none are given), as a person would see it: it fails the test when the
// page scrolls sideways, and saves a full-page PNG, <name>-<width>.png, in
// the folder $TRUSTCRED_SCREENSHOTS (created if need be) so that someone
// can open it; without that variable nothing is written. The viewport is
// left at the last width.
func Look(t *testing.T, tab context.Context, name string, widths ...int) {
	t.Helper()
	if len(widths) == 0 {
		widths = Widths
	}
	dir := os.Getenv("TRUSTCRED_SCREENSHOTS")
	for _, w := range widths {
		// Reading the widths forces the layout at the new size.
		if err := chromedp.Do(tab, chromedp.EmulateViewport(int64(w), 900),
			chromedp.Poll[chromedp.Void](`document.readyState === "complete"`)); err != nil {
			t.Fatalf("look at %s at %d px: %v", name, w, err)
		}
		overflow, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
		if err != nil {
			t.Fatalf("look at %s at %d px: %v", name, w, err)
		}
		if overflow > 0 {
			t.Errorf("%s at %d px scrolls sideways by %d px", name, w, overflow)
		}
		if dir == "" {
			continue
		}
		png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot of %s at %d px: %v", name, w, err)
		}
		if err := os.MkdirAll(dir, 0o750); err != nil { // #nosec G703 -- the folder is the one the person running the tests named
			t.Fatal(err)
		}
		// #nosec G703 -- in the folder the person running the tests named, under a name the test gives
		if err := os.WriteFile(filepath.Join(dir, name+"-"+strconv.Itoa(w)+".png"), png, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
