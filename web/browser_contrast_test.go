package web_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// controls lists the visible form controls a person types into or ticks:
// text inputs, selects, textareas and checkboxes, each with its box in
// page coordinates (the framed box it sits in when it has no frame of
// its own).
const controls = `(() => {
	const out = [];
	for (const el of document.querySelectorAll('input, select, textarea')) {
		if (['hidden', 'file', 'submit', 'button', 'radio'].includes(el.type)) continue;
		// A control drawn inside a framed box (the registration's address:
		// a fixed prefix and the input in one ring) is judged by the box.
		let box = el;
		const drawn = e => { const s = getComputedStyle(e); return s.boxShadow !== 'none' || parseFloat(s.borderTopWidth) > 0; };
		if (!drawn(el)) {
			for (let p = el.parentElement, i = 0; p && i < 2; p = p.parentElement, i++) {
				if (drawn(p)) { box = p; break; }
			}
		}
		const r = box.getBoundingClientRect();
		if (r.width < 8 || r.height < 8 || getComputedStyle(el).visibility === 'hidden') continue;
		if (el.closest('.sr-only, [hidden], details:not([open])')) continue;
		out.push({desc: '<' + el.tagName.toLowerCase() + ' type="' + (el.type || '') + '" id="' + el.id + '">',
			x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height});
	}
	return out;
})()`

type control struct {
	Desc       string
	X, Y, W, H float64
}

// edgeContrast is the contrast, as drawn, of a control's border against
// the background just outside it: on a screenshot of the control with 4
// px around it, the most contrasting pixel of its left edge (and of its
// top edge) against the pixel 3 px outside; the lower of the two. Read
// from pixels, it counts what the browser paints (a Tailwind ring is a
// box-shadow, a native checkbox ignores CSS borders), not what the CSS
// says.
func edgeContrast(t *testing.T, tab context.Context, c control) float64 {
	t.Helper()
	const pad = 4
	beyond := true
	shot, err := chromedp.Run(tab, chromedp.Action[[]byte](func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, tg, page.CaptureScreenshot, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng,
			CaptureBeyondViewport: &beyond, Clip: &page.Viewport{X: math.Floor(c.X) - pad, Y: math.Floor(c.Y) - pad,
				Width: math.Ceil(c.W) + 2*pad, Height: math.Ceil(c.H) + 2*pad, Scale: 1}})
		return r.Data, err
	}))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", c.Desc, err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	midX, midY := b.Min.X+b.Dx()/2, b.Min.Y+b.Dy()/2
	best := func(bg image.Point, edge []image.Point) float64 {
		var m float64
		for _, p := range edge {
			m = math.Max(m, contrast(rgb(img, p), rgb(img, bg)))
		}
		return m
	}
	var left, top []image.Point
	for d := pad - 1; d <= pad+2; d++ {
		left = append(left, image.Pt(b.Min.X+d, midY))
		top = append(top, image.Pt(midX, b.Min.Y+d))
	}
	return math.Min(best(image.Pt(b.Min.X+1, midY), left), best(image.Pt(midX, b.Min.Y+1), top))
}

func rgb(img image.Image, p image.Point) string {
	r, g, b, _ := img.At(p.X, p.Y).RGBA()
	return fmt.Sprintf("rgb(%d, %d, %d)", r>>8, g>>8, b>>8)
}

// Text inputs, selects, textareas and checkboxes have a border a person
// can see (WCAG 1.4.11, non-text contrast: 3:1 against what surrounds
// them), on the forms a new user fills in first: sign-in, registration,
// /verify, the issue form, the members search, the schema builder, API
// keys and signing keys. The contrast is read from the pixels Chromium
// paints.
func TestBrowserInputBordersContrast(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite, webtest.WithMailer(mail.Unconfigured{}))
	org := env.Org("northfield")
	degreeTemplate(t, env, org)
	admin := env.User(store.RoleAdmin, org)
	base := env.Serve()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	kinds := map[string]int{}
	check := func(path, ready string, min int) {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+path),
			chromedp.Poll[chromedp.Void](`!!document.querySelector(`+strconv.Quote(ready)+`) && `+settled)); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		cs, err := chromedp.Run(tab, chromedp.Evaluate[[]control](controls))
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) < min {
			t.Errorf("%s: %d form controls found, want at least %d", path, len(cs), min)
		}
		for _, c := range cs {
			kinds[strings.Fields(c.Desc)[1]]++
			if r := edgeContrast(t, tab, c); r < 3 {
				t.Errorf("%s: the border of %s has contrast %.2f:1 against its background, want 3:1", path, c.Desc, r)
			}
		}
	}

	check("/login", `#f-email`, 2)
	check("/register", `#f-slug`, 4)
	check("/verify", `[data-testid="verify-text"]`, 1)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), admin.Email),
		chromedp.SendKeys(css(`#f-password`), webtest.Password),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
	); err != nil {
		t.Fatal(err)
	}
	check("/credentials/issue", `[data-testid="issue-form"]`, 5) // a select (the template), text, date and checkbox fields
	check("/members", `[data-testid="members-q"]`, 2)
	check("/schemas/new", `[data-testid="row-required"]`, 4)
	check("/api-keys", `[data-testid="apikey-form"]`, 2)
	check("/settings/keys", `[data-testid="keys-rotate-form"]`, 1)
	for _, k := range []string{`type="text"`, `type="email"`, `type="password"`, `type="checkbox"`, `type="select-one"`, `type="textarea"`} {
		if kinds[k] == 0 {
			t.Errorf("no control of %s was checked", k)
		}
	}
	t.Logf("controls checked: %v", kinds)
}
