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

// Overlapping lists the pairs of interactive elements (links, buttons,
// form controls, summaries) on the page open in tab that are drawn over
// one another, where a person would tap one and get the other: the
// visible parts of their boxes (clipped by the boxes that scroll or clip
// them; each line of a link that wraps on its own) intersect by more than
// 2 px both ways. An element inside another (a control in its label) is
// not an overlap; hidden ones (sr-only, closed menus, transparent
// loading indicators) do not count.
func Overlapping(tab context.Context) ([]string, error) { return OverlappingIn(tab, "") }

// OverlappingIn is Overlapping among the interactive elements inside the
// element that the CSS selector within picks (an open menu, a popover):
// what is drawn over the page beneath it is not an overlap there. An empty
// selector is the whole page.
func OverlappingIn(tab context.Context, within string) ([]string, error) {
	return chromedp.Run(tab, chromedp.Evaluate[[]string](`((within) => {
		const name = el => "<" + el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
			(el.dataset.testid ? " data-testid=" + el.dataset.testid : "") + "> " +
			(el.textContent || el.getAttribute("aria-label") || el.name || "").trim().replace(/\s+/g, " ").slice(0, 40);
		const visible = el => {
			if (el.closest(".sr-only")) return false;
			// The content of a closed <details> (a menu, the notifications)
			// keeps its boxes in Chromium (content-visibility: hidden).
			if (el.checkVisibility && !el.checkVisibility({contentVisibilityAuto: true})) return false;
			const closed = el.closest("details:not([open])");
			if (closed && el.parentElement !== closed) return false;
			for (let a = el; a; a = a.parentElement) {
				const s = getComputedStyle(a);
				if (s.visibility === "hidden" || s.opacity === "0" || s.display === "none") return false;
			}
			return true;
		};
		// The part of a box that shows: cut by every ancestor that clips.
		const clip = (el, r) => {
			let {left, top, right, bottom} = r;
			for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
				const s = getComputedStyle(a);
				if (s.overflowX === "visible" && s.overflowY === "visible") continue;
				const q = a.getBoundingClientRect();
				left = Math.max(left, q.left); top = Math.max(top, q.top);
				right = Math.min(right, q.right); bottom = Math.min(bottom, q.bottom);
			}
			return {left, top, right, bottom};
		};
		const items = [];
		const root = within ? document.querySelector(within) : document;
		if (!root) return ["nothing matches " + within];
		for (const el of root.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]")) {
			if (!visible(el)) continue;
			const boxes = [...el.getClientRects()].map(r => clip(el, r)).filter(b => b.right - b.left > 2 && b.bottom - b.top > 2);
			if (boxes.length) items.push({el, boxes});
		}
		const out = [];
		for (let i = 0; i < items.length && out.length < 5; i++) {
			for (let j = i + 1; j < items.length; j++) {
				const a = items[i], b = items[j];
				if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
				const hit = a.boxes.some(p => b.boxes.some(q =>
					Math.min(p.right, q.right) - Math.max(p.left, q.left) > 2 && Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top) > 2));
				if (hit) { out.push(name(a.el) + " overlaps " + name(b.el)); break; }
			}
		}
		return out;
	})(`+strconv.Quote(within)+`)`))
}
