package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

func brandingForm(primary, css string) url.Values {
	return url.Values{"primary_color": {primary}, "secondary_color": {""}, "accent_color": {""}, "custom_css": {css}}
}

// Every branding route for every role: org admins only. Another organization's admin
// works on its own organization's branding and never changes or sees A's.
func TestBrandingRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		ctx := context.Background()
		if _, err := env.DB.Scoped(a.ID).SaveBrandingLook(ctx, store.BrandingLook{PrimaryColor: new("#7a1f1f"), CustomCSS: new("h1 { color: #7a1f1f }")}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		clients := env.RoleClients(a, b)
		htmx := func(admin, other int) map[string]int {
			m := webtest.AdminOnly(admin, other)
			m[webtest.AsAnonymous] = 204
			return m
		}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/settings/branding", Want: webtest.AdminOnly(200, 200)},
			{Method: "GET", Path: "/settings/branding/preview", Want: webtest.AdminOnly(200, 200)},
			{Method: "POST", Path: "/settings/branding/preview", Form: brandingForm("#004488", "h1 { color: red }"), Want: webtest.AdminOnly(200, 200)},
			{Method: "GET", Path: "/settings/branding/email-preview", Want: webtest.AdminOnly(200, 200)},
			{Method: "POST", Path: "/settings/branding/email-preview", Form: brandingForm("#004488", ""), Want: webtest.AdminOnly(200, 200)},
			{Method: "POST", Path: "/settings/branding/check", Htmx: true, Form: brandingForm("#004488", ""), Want: htmx(200, 200)},
			{Method: "POST", Path: "/settings/branding", Form: brandingForm("#1d4ed8", "h2 { color: #222222 }"), Want: webtest.AdminOnly(303, 303)},
			{Method: "POST", Path: "/settings/branding/revert", Want: webtest.AdminOnly(303, 303)},
		})
		// A's admin saved and then reverted: A has its first look again. B's admin saved
		// and reverted B's own (nothing to revert: B's look stays).
		ba, _ := env.DB.Scoped(a.ID).Branding(ctx)
		if ba.PrimaryColor == nil || *ba.PrimaryColor != "#7a1f1f" || !strings.Contains(*ba.CustomCSS, "#7a1f1f") {
			t.Errorf("A's branding: %+v", ba)
		}
		bb, _ := env.DB.Scoped(b.ID).Branding(ctx)
		if bb.PrimaryColor == nil || *bb.PrimaryColor != "#1d4ed8" || !strings.HasPrefix(*bb.CustomCSS, ".tc-brand-"+b.ID+" h2") {
			t.Errorf("B's branding: %+v", bb)
		}
		// B's admin's preview and page never show A's look.
		other := clients[webtest.AsOtherAdmin]
		for _, p := range []string{"/settings/branding", "/settings/branding/preview", "/settings/branding/email-preview"} {
			if r := other.Get(p); strings.Contains(r.Body, "7a1f1f") || strings.Contains(r.Body, a.ID) || strings.Contains(r.Body, "acme") {
				t.Errorf("B's admin sees A's branding on %s", p)
			}
		}
		for who, want := range map[string]bool{webtest.AsAdmin: true, webtest.AsIssuer: false, webtest.AsReviewer: false,
			webtest.AsVerifier: false, webtest.AsRecipient: false} {
			if got := clients[who].Get("/").Has("nav-branding"); got != want {
				t.Errorf("%s: Branding in the sidebar %v, want %v", who, got, want)
			}
		}
	})
}

// The editor's answers: verdicts and suggestions, line-numbered CSS problems (422, with
// nothing saved), the preview's own strict CSP, and revert.
func TestBrandingEditor(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	a := env.Org("acme")
	cl := env.Client()
	cl.Login(env.User(store.RoleAdmin, a))
	ctx := context.Background()

	// As the admin types: a failing primary gets its verdict and nearest colour.
	r := cl.Htmx("POST", "/settings/branding/check", url.Values{"primary_color": {"#60a5fa"}, "secondary_color": {"#777777"},
		"accent_color": {"red"}, "custom_css": {"h1 { color: red }\n.x { position: fixed }"}})
	if r.Status != 200 || !r.Has("fail-primary_color") || !r.Has("suggest-primary_color") || !r.Has("fail-secondary_color") ||
		!r.Has("error-accent_color") || !strings.Contains(r.Body, `hx-swap-oob="true"`) {
		t.Fatalf("check: %d %.2000s", r.Status, r.Body)
	}
	if !strings.Contains(r.Body, "line 2</span>: the property &#34;position&#34; is not allowed") && !strings.Contains(r.Body, "line 2</span>: the property &quot;position&quot; is not allowed") {
		t.Errorf("the CSS problem is not shown with its line: %.3000s", r.Body)
	}

	// Saving with a bad colour or a refused rule: 422, each message by its field, nothing saved.
	for _, form := range []url.Values{
		brandingForm("blue", ""),
		brandingForm("#1d4ed8", "h1 { color: red }\n@import url(x.css);"),
		brandingForm("#1d4ed8", "h1 { color: red } </style><script>alert(1)</script>"),
	} {
		r = cl.Post("/settings/branding", form)
		if r.Status != 422 || !(r.Has("error-primary_color") || r.Has("css-problem")) {
			t.Errorf("save %v: %d", form, r.Status)
		}
		if strings.Contains(r.Body, "<script>alert(1)") {
			t.Error("the refused CSS is echoed unescaped")
		}
	}
	if b, _ := env.DB.Scoped(a.ID).Branding(ctx); b.ID != "" {
		t.Fatalf("a refused save wrote %+v", b)
	}

	// Save twice, then revert.
	for _, p := range []string{"#1d4ed8", "#b91c1c"} {
		if r = cl.Post("/settings/branding", brandingForm(p, "h1 { color: "+p+" }")); r.Status != 303 {
			t.Fatalf("save %s: %d %.1000s", p, r.Status, r.Body)
		}
	}
	page := cl.Get("/settings/branding")
	if !page.Has("branding-revert") || !strings.Contains(page.Body, `value="#b91c1c"`) || !page.Has("pass-primary_color") {
		t.Errorf("page after two saves: %.3000s", page.Body)
	}
	if r = cl.Post("/settings/branding/revert", nil); r.Status != 303 {
		t.Fatalf("revert: %d", r.Status)
	}
	if b, _ := env.DB.Scoped(a.ID).Branding(ctx); *b.PrimaryColor != "#1d4ed8" {
		t.Errorf("after revert the primary colour is %s", *b.PrimaryColor)
	}

	// The preview: its own document with the look, under a CSP that allows no script
	// and no request, framed only by our own pages.
	pv := cl.Post("/settings/branding/preview", brandingForm("#0f766e", "h1 { color: #123456 }\n.x { behavior: url(x.htc) }"))
	csp := pv.Header.Get("Content-Security-Policy")
	if pv.Status != 200 || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") ||
		!strings.Contains(csp, "sandbox") || pv.Header.Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Fatalf("preview headers: %d %q %q", pv.Status, csp, pv.Header.Get("X-Frame-Options"))
	}
	// It is the public credential page itself (its layout and view, TrustCred's
	// stylesheet), with the look inline and the verdict outside the branded area.
	if !strings.Contains(pv.Body, "background: #0f766e") || !strings.Contains(pv.Body, ".tc-brand-"+a.ID+" h1 { color: #123456; }") ||
		strings.Contains(pv.Body, "behavior") || strings.Contains(pv.Body, "<script") || !strings.Contains(pv.Body, "css/app.css") ||
		!strings.Contains(pv.Body, `data-testid="credential-page"`) || !strings.Contains(pv.Body, `class="space-y-6 tc-brand-`+a.ID+`"`) ||
		strings.Contains(between(pv.Body, `data-testid="branded-area"`, "Checks</h2>"), `data-testid="verdict"`) {
		t.Errorf("preview body: %.3000s", pv.Body)
	}
	// The editor page itself never carries the organization's CSS.
	if strings.Contains(cl.Get("/settings/branding").Body, "<style") {
		t.Error("the editor page has a <style> element")
	}
}

// The display font: chosen from the embedded set (anything else is 422 next to the
// field, nothing saved), shown in the preview, declared by the public page's brand
// stylesheet with its embedded files (served as fonts, cached for a year), and reverted
// with the rest of the look.
func TestBrandingDisplayFont(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		c := issueOne(t, env, "acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, c.org))
		ctx := context.Background()
		form := func(font string) url.Values {
			f := brandingForm("#1d4ed8", "")
			f.Set("display_font", font)
			return f
		}
		for _, bad := range []string{"Comic Sans MS", "Merriweather; color: red", "inter"} {
			r := cl.Post("/settings/branding", form(bad))
			if r.Status != 422 || !r.Has("error-display_font") || !strings.Contains(r.Body, "Display font must be one of") {
				t.Errorf("font %q: %d", bad, r.Status)
			}
		}
		if b, _ := env.DB.Scoped(c.org.ID).Branding(ctx); b.ID != "" {
			t.Fatalf("a refused font was saved: %+v", b)
		}
		if r := cl.Post("/settings/branding/preview", form("Roboto Slab")); r.Status != 200 ||
			!strings.Contains(r.Body, `@font-face { font-family: "Roboto Slab"`) || !strings.Contains(r.Body, `font-family: "Roboto Slab", Rockwell`) {
			t.Errorf("the preview does not use the typed font: %d", r.Status)
		}
		for _, font := range []string{"Merriweather", ""} {
			if r := cl.Post("/settings/branding", form(font)); r.Status != 303 {
				t.Fatalf("save %q: %d", font, r.Status)
			}
		}
		if r := cl.Post("/settings/branding/revert", nil); r.Status != 303 {
			t.Fatalf("revert: %d", r.Status)
		}
		page := cl.Get("/settings/branding")
		if !strings.Contains(page.Body, `<option value="Merriweather" selected>`) {
			t.Errorf("the editor does not show the reverted font: %.3000s", between(page.Body, `data-testid="field-display_font"`, "</select>"))
		}

		// The public page's stylesheet declares it with its embedded files.
		href := brandHref.FindStringSubmatch(env.Client().Get("/v/" + c.cred.PublicID).Body)
		if href == nil {
			t.Fatal("no brand stylesheet on the public page")
		}
		css := env.Client().Get(href[1]).Body
		font := regexp.MustCompile(`url\("(/static/fonts/merriweather/700\.woff2\?v=[0-9a-f]+)"\)`).FindStringSubmatch(css)
		if font == nil || !strings.Contains(css, `.tc-brand-`+c.org.ID+` h1, `) || !strings.Contains(css, `font-family: "Merriweather", Georgia`) {
			t.Fatalf("brand stylesheet: %s", css)
		}
		r := env.Client().Get(font[1])
		if r.Status != 200 || r.Header.Get("Content-Type") != "font/woff2" || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") ||
			!strings.HasPrefix(r.Body, "wOF2") {
			t.Errorf("font file: %d %q %q", r.Status, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"))
		}
	})
}

// The recipient email preview: the credential email's HTML part in the look being
// typed (a passing primary as is, a failing one as its nearest passing colour, the
// display font first in the stack), under the preview's strict CSP; GET shows the
// saved look; a colour that is not a colour leaves TrustCred's.
func TestBrandingEmailPreview(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	a := env.Org("acme")
	cl := env.Client()
	cl.Login(env.User(store.RoleAdmin, a))

	form := brandingForm("#0f766e", "h1 { color: #123456 }")
	form.Set("display_font", "Merriweather")
	r := cl.Post("/settings/branding/email-preview", form)
	csp := r.Header.Get("Content-Security-Policy")
	if r.Status != 200 || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") ||
		r.Header.Get("X-Frame-Options") != "SAMEORIGIN" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("email preview: %d %q %q %q", r.Status, csp, r.Header.Get("X-Frame-Options"), r.Header.Get("Content-Type"))
	}
	band := regexp.MustCompile(`data-email="brand-band"[^>]*background:(#[0-9a-f]{6})`)
	if m := band.FindStringSubmatch(r.Body); m == nil || m[1] != "#0f766e" {
		t.Errorf("the email's band is not the typed primary #0f766e: %v", m)
	}
	if !strings.Contains(r.Body, "Hello Ada Lovelace,") || !strings.Contains(r.Body, a.Name+" has issued you") ||
		!strings.Contains(r.Body, "Certificate of Completion") || !strings.Contains(r.Body, `href="/v/preview"`) ||
		!strings.Contains(r.Body, "Merriweather") || strings.Contains(r.Body, "#123456") || strings.Contains(r.Body, "<script") {
		t.Errorf("email preview body: %.3000s", r.Body)
	}
	// The custom CSS never reaches the email; a failing primary is shown as applied.
	r = cl.Post("/settings/branding/email-preview", brandingForm("#60a5fa", ""))
	if m := band.FindStringSubmatch(r.Body); m == nil || m[1] == "#60a5fa" {
		t.Errorf("a failing primary is in the email as typed: %v", m)
	}
	if r = cl.Post("/settings/branding/email-preview", brandingForm("blue", "")); r.Status != 200 || band.MatchString(r.Body) {
		t.Errorf("a colour that is not a colour: %d, band %v", r.Status, band.FindStringSubmatch(r.Body))
	}
	// GET: the saved look.
	if r = cl.Post("/settings/branding", brandingForm("#b91c1c", "")); r.Status != 303 {
		t.Fatalf("save: %d", r.Status)
	}
	if m := band.FindStringSubmatch(cl.Get("/settings/branding/email-preview").Body); m == nil || m[1] != "#b91c1c" {
		t.Errorf("GET does not show the saved primary #b91c1c: %v", m)
	}
	if page := cl.Get("/settings/branding"); !page.Has("branding-email-preview") || !strings.Contains(page.Body, `src="/settings/branding/email-preview"`) {
		t.Error("the editor has no email preview frame")
	}
}
