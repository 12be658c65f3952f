package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/design"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// The designs list as an admin sees it: nothing sideways at 390 and 1280
// px, and axe.
func TestBrowserDesignsList(t *testing.T) {
	tab, _, _ := designsAdmin(t, "/settings/designs", "designs-empty")
	browsertest.Look(t, tab, "designs-list")
	browsertest.Axe(t, tab, "designs-list")
}

// designsAdmin signs an organization's admin in and opens path, waiting for
// the element with test id ready.
func designsAdmin(t *testing.T, path, ready string) (context.Context, *webtest.Env, *store.Organization) {
	t.Helper()
	tab := browsertest.Tab(t)
	env, base := webtest.Served(t, store.SQLite)
	org := env.Org("acme")
	admin := env.User(store.RoleAdmin, org)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#f-email`, admin.Email),
		chromedp.SendKeys(`#f-password`, webtest.Password),
		chromedp.Click(testID("login-submit")),
		chromedp.WaitVisible(testID("dashboard")),
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+path),
		chromedp.WaitVisible(testID(ready)),
	); err != nil {
		t.Fatal(err)
	}
	return tab, env, org
}

// previewSrc is the preview image's data: URL now.
const previewSrc = `(document.querySelector('[data-testid="design-preview-image"]') || {}).src || ""`

// ink is the JavaScript for the share of dark pixels of the preview image in
// a rectangle given in mm of an A4 landscape page (-1 before it has loaded):
// what the server drew there.
func ink(x0, y0, x1, y1 int) string {
	return `((x0, y0, x1, y1) => {
		const img = document.querySelector('[data-testid="design-preview-image"]');
		if (!img || !img.complete || !img.naturalWidth) return -1;
		const c = document.createElement("canvas");
		c.width = img.naturalWidth; c.height = img.naturalHeight;
		const g = c.getContext("2d");
		g.drawImage(img, 0, 0);
		const k = img.naturalWidth / 297;
		const d = g.getImageData(x0 * k, y0 * k, (x1 - x0) * k, (y1 - y0) * k).data;
		let n = 0;
		for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 200) n++;
		return n / (d.length / 4);
	})(` + strconv.Itoa(x0) + `, ` + strconv.Itoa(y0) + `, ` + strconv.Itoa(x1) + `, ` + strconv.Itoa(y1) + `)`
}

// value is the JavaScript for the value of the input named name.
func value(name string) string { return `document.querySelector('[name="` + name + `"]').value` }

// clearInput empties the input named name (SendKeys then types into it).
func clearInput(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`void (document.querySelector('[name="` + name + `"]').value = "")`)
}

// An admin edits a design in the browser: typing a size redraws the
// server's preview; dragging the QR code moves it, snapping its centre to
// the page's centre line (a guide drawn while dragging), writes the
// numbers into its inputs and redraws the preview; undo and redo (buttons
// and Ctrl+Z) walk the states; Shift+arrow nudges by 5 mm; a corner drag
// resizes; and the design saved is what the inputs say. Looked at at 390
// and 1280 px, and axe.
func TestBrowserDesignEditor(t *testing.T) {
	tab, env, org := designsAdmin(t, "/settings/designs/new", "design-box-10")
	src := func() string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Evaluate[string](previewSrc))
		if err != nil || !strings.HasPrefix(s, "data:image/png;base64,") {
			t.Fatalf("preview src %.40q %v", s, err)
		}
		return s
	}
	waitRedrawn := func(what, before string) string {
		t.Helper()
		browsertest.Wait(t, tab, what, previewSrc+` !== "`+before+`" && `+previewSrc+` !== ""`)
		return src()
	}
	// Typing: the recipient's name larger.
	before := src()
	if err := chromedp.Do(tab,
		clearInput(`elements.1.size`),
		chromedp.SendKeys(`[name="elements.1.size"]`, "40"),
	); err != nil {
		t.Fatal(err)
	}
	before = waitRedrawn("the preview redrawn after typing a size", before)

	// Dragging the QR code (x 242, 35 mm wide) 110 mm to the left: its centre
	// comes 1 mm from the page's centre line (148.5 mm) and snaps to it.
	box, err := chromedp.Run(tab, chromedp.Evaluate[[]float64](`(() => {
		document.querySelector('[data-design-stage]').scrollIntoView({block: "center"});
		const b = document.querySelector('[data-testid="design-box-10"]').getBoundingClientRect();
		const s = document.querySelector('[data-design-stage]').getBoundingClientRect();
		return [b.left + b.width / 2, b.top + b.height / 2, s.width / 297];
	})()`))
	if err != nil || len(box) != 3 {
		t.Fatalf("the QR code's box: %v %v", box, err)
	}
	x, y, perMM := box[0], box[1], box[2]
	held := func(p *input.DispatchMouseEventParams) { p.Button, p.Buttons = input.MouseButtonLeft, 1 }
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, held, chromedp.ClickCount(1))}
	for i := 1; i <= 10; i++ {
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x-110*perMM*float64(i)/10, y, held))
	}
	if err := chromedp.Do(tab, steps...); err != nil {
		t.Fatal(err)
	}
	guides, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="design-guide"]').length`))
	if err != nil || guides == 0 {
		t.Errorf("no snapping guide drawn while dragging: %d %v", guides, err)
	}
	if err := chromedp.Do(tab, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x-110*perMM, y, held, chromedp.ClickCount(1))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the QR code's x snapped to the centre line", value("elements.10.x")+` === "131" && `+value("elements.10.y")+` === "150"`)
	if n, _ := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="design-guide"]').length`)); n != 0 {
		t.Errorf("%d guides left after the drop", n)
	}
	// The server's preview draws the QR code where it was dropped, and no longer where it was.
	browsertest.Wait(t, tab, "the preview with the QR code at its new place", ink(132, 151, 165, 184)+` > 0.2 && `+ink(243, 151, 276, 184)+` < 0.02`)
	before = src()
	browsertest.Look(t, tab, "design-editor")
	browsertest.Axe(t, tab, "design-editor")
	// The tools and the boxes draw no control over another (the width sweep's check), the sidebar's width included.
	for _, w := range []int64{390, 1024, 1280} {
		if err := chromedp.Do(tab, chromedp.EmulateViewport(w, 900), chromedp.Evaluate[chromedp.Void](`void window.scrollTo(0, 0)`)); err != nil {
			t.Fatal(err)
		}
		if over, err := browsertest.Overlapping(tab); err != nil || len(over) > 0 {
			t.Errorf("at %d px: %v %v", w, over, err)
		}
	}

	// Undo (button) puts the QR code back, redo moves it again, Ctrl+Z (outside a text field) undoes.
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Click(testID("design-undo"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "undo: the QR code back at 242", value("elements.10.x")+` === "242"`)
	browsertest.Wait(t, tab, "the preview after the undo: the QR code at 242", ink(243, 151, 276, 184)+` > 0.2 && `+ink(132, 151, 165, 184)+` < 0.02`)
	if err := chromedp.Do(tab, chromedp.Click(testID("design-redo"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "redo: the QR code at 131 again", value("elements.10.x")+` === "131"`)
	browsertest.Wait(t, tab, "the preview after the redo: the QR code at 131", ink(132, 151, 165, 184)+` > 0.2 && `+ink(243, 151, 276, 184)+` < 0.02`)
	before = src()
	// The keyboard: the box focused, Shift+Right moves it 5 mm; Ctrl+Z takes that back.
	if err := chromedp.Do(tab,
		chromedp.Focus(testID("design-box-10")),
		chromedp.KeyEvent(kb.ArrowRight, chromedp.KeyModifiers(chromedp.ModifierShift)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "Shift+Right: 5 mm", value("elements.10.x")+` === "136"`)
	before = waitRedrawn("the preview redrawn after the nudge", before)
	if err := chromedp.Do(tab, chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "Ctrl+Z: back to 131", value("elements.10.x")+` === "131"`)
	waitRedrawn("the preview redrawn after Ctrl+Z", before)

	// A corner: the south-east handle of the chosen QR code dragged 10 mm right and down.
	corner, err := chromedp.Run(tab, chromedp.Evaluate[[]float64](`(() => {
		document.querySelector('[data-design-stage]').scrollIntoView({block: "center"});
		const h = document.querySelector('[data-testid="design-box-10"] [data-corner="se"]').getBoundingClientRect();
		return [h.left + h.width / 2, h.top + h.height / 2];
	})()`))
	if err != nil || len(corner) != 2 {
		t.Fatalf("the corner: %v %v", corner, err)
	}
	// 10.6 mm: the edge lands at 176.6 / 195.6, no target within 2 mm but... rounded to 0.1 mm.
	cx, cy := corner[0], corner[1]
	if err := chromedp.Do(tab,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, cx, cy, held, chromedp.ClickCount(1)),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, cx+5*perMM, cy+5*perMM, held),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, cx+10*perMM, cy+10*perMM, held, chromedp.ButtonModifiers(chromedp.ModifierAlt)),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, cx+10*perMM, cy+10*perMM, held, chromedp.ClickCount(1), chromedp.ButtonModifiers(chromedp.ModifierAlt)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the corner drag resized the QR code by about 10 mm (Alt: no snapping)",
		`Math.abs(Number(`+value("elements.10.w")+`) - 45) <= 0.3 && Math.abs(Number(`+value("elements.10.h")+`) - 45) <= 0.3 && `+
			value("elements.10.x")+` === "131"`)
	w, _ := chromedp.Run(tab, chromedp.Evaluate[string](value("elements.10.w")))

	// Add (the server's builder) then Undo: the state before has other inputs, so the builder makes that editor again.
	if err := chromedp.Do(tab, chromedp.Click(testID("design-add"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "a 12th element added, its box drawn", `!!document.querySelector('[data-testid="design-box-11"]')`)
	if err := chromedp.Do(tab, chromedp.Click(testID("design-undo"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "undo of the add: 11 elements again, the resize kept",
		`!document.querySelector('[name="elements.11.type"]') && !document.querySelector('[data-testid="design-box-11"]') && `+value("elements.10.w")+` === "`+w+`"`)

	// At 390 px the numbers can still be typed (the preview is below them), and nothing scrolls sideways.
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 900),
		clearInput(`name`),
		chromedp.SendKeys(`[name="name"]`, "Diploma"),
		clearInput(`elements.10.y`),
		chromedp.SendKeys(`[name="elements.10.y"]`, "140"),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Look(t, tab, "design-editor-typed", 390)
	if err := chromedp.Do(tab, chromedp.Click(testID("design-save"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "saved: the design's own page", `location.pathname.startsWith("/settings/designs/") && location.pathname !== "/settings/designs/new"`)
	rows, err := env.DB.Scoped(org.ID).Designs(context.Background())
	if err != nil || len(rows) != 1 {
		t.Fatalf("saved designs: %v %v", rows, err)
	}
	_, raw, _ := env.DB.Scoped(org.ID).DesignRow(context.Background(), rows[0].ID)
	d, err := design.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	qr := d.Elements[10]
	if qr.Type != design.TypeQR || qr.X != 131 || qr.Y != 140 || strconv.FormatFloat(qr.W, 'f', -1, 64) != w || d.Elements[1].Size != 40 {
		t.Errorf("saved %+v (w %s), recipient name %v pt", qr, w, d.Elements[1].Size)
	}
}
