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
		overflow, culprit, err := Sideways(tab)
		if err != nil {
			t.Fatalf("look at %s at %d px: %v", name, w, err)
		}
		if overflow > 0 {
			t.Errorf("%s at %d px scrolls sideways by %d px: %s", name, w, overflow, culprit)
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

// AllWidths are the widths every staff page must hold at: a phone, a
// tablet, a laptop and a desktop monitor (the width sweep).
var AllWidths = []int{390, 820, 1280, 1920}

// Sideways is how far the page open in tab scrolls sideways, in CSS
// pixels, and the element that sticks out furthest past the right edge,
// described by its tag, id, test id and classes, with "in <header>" when
// it belongs to the page's header.
func Sideways(tab context.Context) (int, string, error) {
	type result struct {
		Overflow int    `json:"overflow"`
		Culprit  string `json:"culprit"`
	}
	r, err := chromedp.Run(tab, chromedp.Evaluate[result](`(() => {
		const overflow = document.documentElement.scrollWidth - window.innerWidth;
		// An element inside a scrolling or clipping box does not widen the
		// page, unless it is positioned (sr-only text is) and the box is not
		// its containing block: only boxes from its containing block up clip.
		const clipped = el => {
			let pos = getComputedStyle(el).position;
			for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
				if (pos === "fixed") return false;
				const s = getComputedStyle(a);
				if (pos === "absolute" && s.position === "static") continue;
				if (s.overflowX !== "visible") return true;
				pos = s.position;
			}
			return false;
		};
		let worst = null, right = window.innerWidth + 0.5;
		if (overflow > 0) for (const el of document.body.querySelectorAll("*")) {
			const r = el.getBoundingClientRect();
			if (r.width > 0 && r.right > right && !clipped(el)) { worst = el; right = r.right; }
		}
		let culprit = "";
		if (worst) {
			culprit = "<" + worst.tagName.toLowerCase() + (worst.id ? "#" + worst.id : "") +
				(worst.dataset.testid ? " data-testid=" + worst.dataset.testid : "") +
				" class=\"" + (worst.getAttribute("class") || "").slice(0, 100) + "\"> ending at " + Math.round(right) + " px: " +
				(worst.textContent || "").trim().replace(/\s+/g, " ").slice(0, 60) +
				(worst.closest("header") ? " (in <header>)" : "");
		}
		return {overflow, culprit};
	})()`))
	return r.Overflow, r.Culprit, err
}
