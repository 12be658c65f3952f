package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/branding"
	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// An org admin types a primary colour that fails contrast and sees the verdict and the
// nearest passing colour; types CSS and sees the sandboxed preview (the public credential
// page itself) change (the heading's computed colour inside the frame); saves; the
// public credential page then has the saved colours, its verdict keeps TrustCred's; the
// editor page and other staff pages keep TrustCred's look.
func TestBrowserBrandingEditor(t *testing.T) {
	tab := browsertest.Tab(t)
	env, base := webtest.Served(t, store.SQLite)
	c := issueOne(t, env, "acme")
	org := c.org
	admin := env.User(store.RoleAdmin, org)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#f-email`, admin.Email),
		chromedp.SendKeys(`#f-password`, webtest.Password),
		chromedp.Click(testID("login-submit")),
		chromedp.WaitVisible(testID("dashboard")),
		chromedp.Navigate(base+"/settings/branding"),
		chromedp.WaitVisible(testID("branding-form")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the preview loaded once", `document.querySelector("iframe[name=brand-preview]").getAttribute("data-loads") === "1"`)

	if err := chromedp.Do(tab, chromedp.SendKeys(`#f-primary_color`, "#60a5fa")); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the failing verdict with its suggestion",
		`/^#[0-9a-f]{6}$/.test((document.querySelector("[data-testid=suggest-primary_color]") || {}).textContent || "")`)
	if err := chromedp.Do(tab, chromedp.SendKeys(`#f-custom_css`, "h1 { color: #7a1f1f }\n.x { position: fixed }")); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the refused rule reported on line 2",
		`[...document.querySelectorAll("[data-testid=css-problem]")].some(li => li.textContent.startsWith("line 2"))`)
	browsertest.Wait(t, tab, "the preview reloaded with the typed look",
		`Number(document.querySelector("iframe[name=brand-preview]").getAttribute("data-loads")) >= 2`)

	// Inside the sandboxed frame: the heading has the organization's colour and the
	// header band the typed primary.
	// The sandboxed frame runs in a process of its own (an opaque origin): attach to it
	// as a target and read the computed styles there.
	infos, err := chromedp.Targets(tab)
	if err != nil {
		t.Fatal(err)
	}
	var frameCtx context.Context
	for _, info := range infos {
		if info.Type == "iframe" && strings.Contains(info.URL, "/settings/branding/preview") {
			var cancel context.CancelFunc
			frameCtx, cancel = chromedp.NewContext(tab, chromedp.WithTargetID(info.TargetID))
			defer cancel()
		}
	}
	if frameCtx == nil {
		t.Fatalf("no preview frame among the targets: %+v", infos)
	}
	frameCtx, cancel := context.WithTimeout(frameCtx, 20*time.Second)
	defer cancel()
	styles, err := chromedp.Run(frameCtx, chromedp.Evaluate[[]string](`[getComputedStyle(document.querySelector("[data-testid=credential-title]")).color, getComputedStyle(document.querySelector("[data-testid=brand-header]")).backgroundColor]`))
	if err != nil || len(styles) != 2 {
		t.Fatalf("reading the preview frame: %v %v", styles, err)
	}
	if styles[0] != "rgb(122, 31, 31)" {
		t.Errorf("preview heading colour %q, want the typed #7a1f1f", styles[0])
	}
	// #60a5fa fails under white text: the preview shows what the public page will, the
	// nearest passing colour.
	sug := branding.Check(branding.Primary, branding.RGB{R: 0x60, G: 0xa5, B: 0xfa}).Suggestion
	if want := fmt.Sprintf("rgb(%d, %d, %d)", sug.R, sug.G, sug.B); styles[1] != want {
		t.Errorf("preview header band %q, want %s, the nearest passing colour to the typed #60a5fa", styles[1], want)
	}

	browsertest.Look(t, tab, "branding-editor")
	browsertest.Axe(t, tab, "branding-editor")

	// The editor's own heading keeps TrustCred's colour: the organization's CSS is not here.
	color, err := chromedp.Run(tab, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("[data-testid=branding-title]")).color`))
	if err != nil {
		t.Fatal(err)
	}
	if color == "rgb(122, 31, 31)" {
		t.Errorf("the staff page's heading took the organization's colour")
	}

	// "Use it" puts the suggestion in the field, which then passes.
	suggested, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector("[data-testid=suggest-primary_color]").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Click(testID("use-primary_color"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the suggested colour passes",
		`document.querySelector("#f-primary_color").value === "`+suggested+`" && !!document.querySelector("[data-testid=pass-primary_color]")`)

	// Save with a passing colour and only the accepted rule.
	if err := chromedp.Do(tab,
		chromedp.SetValue(`#f-primary_color`, "#1d4ed8"),
		chromedp.SetValue(`#f-custom_css`, "h1 { color: #7a1f1f }"),
		chromedp.SetValue(`#f-display_font`, "Playfair Display"),
		chromedp.Click(testID("branding-save")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the saved look shown (its CSS as stored) with a passing verdict",
		`(document.querySelector("#f-custom_css") || {value: ""}).value.startsWith(".tc-brand-") && !!document.querySelector("[data-testid=pass-primary_color]") && document.querySelector("#f-primary_color").value === "#1d4ed8"`)
	saved, err := chromedp.Run(tab, chromedp.Value(`#f-custom_css`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(saved, ".tc-brand-"+org.ID+" h1 { color: #7a1f1f; }") {
		t.Errorf("saved CSS shown as %q", saved)
	}

	// The public credential page, signed out: the saved look on the branded area, the
	// verdict in TrustCred's colours.
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/v/"+c.cred.PublicID),
		chromedp.WaitVisible(testID("brand-header")),
	); err != nil {
		t.Fatal(err)
	}
	public, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[getComputedStyle(document.querySelector("[data-testid=brand-header]")).backgroundColor,
		getComputedStyle(document.querySelector("[data-testid=credential-title]")).color,
		getComputedStyle(document.querySelector("[data-testid=verdict] p")).color,
		getComputedStyle(document.querySelector("[data-testid=verdict]")).backgroundColor]`))
	if err != nil || len(public) != 4 {
		t.Fatalf("reading the public page: %v %v", public, err)
	}
	if public[0] != "rgb(29, 78, 216)" || public[1] != "rgb(122, 31, 31)" {
		t.Errorf("public page: header band %q (want the saved #1d4ed8), heading %q (want #7a1f1f)", public[0], public[1])
	}
	if public[2] == "rgb(122, 31, 31)" || public[3] != "rgb(240, 253, 244)" {
		t.Errorf("the verdict took the organization's look: colour %q, background %q", public[2], public[3])
	}
	// The display font: the branded headings in Playfair Display, loaded from the
	// embedded files; the verdict keeps TrustCred's font.
	browsertest.Wait(t, tab, "the display font loaded", `document.fonts.status === "loaded" && document.fonts.check('700 24px "Playfair Display"')`)
	fonts, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[getComputedStyle(document.querySelector("[data-testid=credential-title]")).fontFamily,
		getComputedStyle(document.querySelector("[data-testid=brand-header]")).fontFamily,
		getComputedStyle(document.querySelector("[data-testid=verdict] p")).fontFamily,
		String([...document.fonts].filter(f => f.family.replace(/"/g, "") === "Playfair Display" && f.status === "loaded").length)]`))
	if err != nil || len(fonts) != 4 {
		t.Fatalf("reading the fonts: %v %v", fonts, err)
	}
	if !strings.HasPrefix(fonts[0], `"Playfair Display", Georgia`) || !strings.HasPrefix(fonts[1], `"Playfair Display"`) ||
		strings.Contains(fonts[2], "Playfair") || fonts[3] == "0" {
		t.Errorf("public page fonts: title %q, header %q, verdict %q, faces loaded %s", fonts[0], fonts[1], fonts[2], fonts[3])
	}
	browsertest.Look(t, tab, "branding-public-credential")
	browsertest.Axe(t, tab, "branding-public-credential")

	// A staff page (signed in again, the credentials list): TrustCred's look, no stylesheet of the organization.
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/credentials"), chromedp.WaitVisible(testID("app"))); err != nil {
		t.Fatal(err)
	}
	staff, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[String(document.querySelectorAll("link[href^='/brand/']").length),
		getComputedStyle(document.querySelector("h1")).color, String(document.querySelectorAll("[class*=tc-brand-]").length)]`))
	if err != nil || len(staff) != 3 {
		t.Fatalf("reading the staff page: %v %v", staff, err)
	}
	if staff[0] != "0" || staff[1] == "rgb(122, 31, 31)" || staff[2] != "0" {
		t.Errorf("the staff page has the organization's look: %v", staff)
	}
}
