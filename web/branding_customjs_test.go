package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

var brandScript = regexp.MustCompile(`<script src="(/brand/[^"]+\.js)" defer data-testid="brand-script"></script>`)

func jsPath(orgID, js string) string {
	sum := sha256.Sum256([]byte(js))
	return "/brand/" + orgID + "/" + hex.EncodeToString(sum[:8]) + ".js"
}

// Custom JavaScript is off unless the operator allows it: the editor does not offer
// it, saving the form keeps a script saved earlier as it is, and no page links or
// serves it.
func TestCustomJSOffByDefault(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	c := issueOne(t, env, "uni")
	ctx := context.Background()
	const js = `document.documentElement.dataset.acme = "1";`
	if _, err := env.DB.Scoped(c.org.ID).SaveBrandingLook(ctx, store.BrandingLook{CustomJS: new(js)}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	admin := env.Client()
	admin.Login(env.User(store.RoleAdmin, c.org))
	if r := admin.Get("/settings/branding"); r.Status != 200 || r.Has("field-custom_js") {
		t.Errorf("editor offers custom JavaScript while it is off: %d", r.Status)
	}
	form := brandingForm("#1d4ed8", "")
	form.Set("custom_js", "alert(1)")
	if r := admin.Post("/settings/branding", form); r.Status != 303 {
		t.Fatalf("save: %d", r.Status)
	}
	if b, _ := env.DB.Scoped(c.org.ID).Branding(ctx); b.CustomJS == nil || *b.CustomJS != js || *b.PrimaryColor != "#1d4ed8" {
		t.Errorf("saved while off: %+v", b)
	}
	anon := env.Client()
	for _, p := range []string{"/v/" + c.cred.PublicID, "/orgs/uni"} {
		if r := anon.Get(p); r.Status != 200 || r.Has("brand-script") || !r.Has("brand-stylesheet") {
			t.Errorf("%s: %d, script linked while off", p, r.Status)
		}
	}
	if r := anon.Get(jsPath(c.org.ID, js)); r.Status != 404 {
		t.Errorf("the script is served while off: %d", r.Status)
	}
}

// Allowed by the operator: an org admin saves a script; that organization's public
// pages load it as a file of their own (the CSP's script-src 'self'), served as
// JavaScript; another organization's pages and every staff page never do.
func TestCustomJSWhenAllowed(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithConfig(func(c *config.Config) { c.AllowCustomJS = true }))
		a, b := issueOne(t, env, "uni"), issueOne(t, env, "bolt")
		ctx := context.Background()
		if _, err := env.DB.Scoped(b.org.ID).SaveBrandingLook(ctx, store.BrandingLook{PrimaryColor: new("#0f766e")}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		admin := env.Client()
		admin.Login(env.User(store.RoleAdmin, a.org))
		if r := admin.Get("/settings/branding"); !r.Has("field-custom_js") {
			t.Fatal("the editor does not offer custom JavaScript")
		}
		const js = "document.documentElement.dataset.uni = \"1\";\n"
		bad := url.Values{"custom_js": {"alert(1)\u202e"}, "custom_css": {""}}
		if r := admin.Post("/settings/branding", bad); r.Status != 422 || !strings.Contains(between(r.Body, `data-testid="error-custom_js"`, "</p>"), "Custom JavaScript") {
			t.Errorf("a script with a bidi override: %d", r.Status)
		}
		form := brandingForm("", "")
		form.Set("custom_js", js)
		if r := admin.Post("/settings/branding", form); r.Status != 303 {
			t.Fatalf("save: %d %.2000s", r.Status, r.Body)
		}

		anon := env.Client()
		for _, p := range []string{"/v/" + a.cred.PublicID, "/orgs/uni"} {
			r := anon.Get(p)
			m := brandScript.FindStringSubmatch(r.Body)
			if r.Status != 200 || m == nil || m[1] != jsPath(a.org.ID, js) {
				t.Fatalf("%s: %d, script %v, want %s", p, r.Status, m, jsPath(a.org.ID, js))
			}
			if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("%s CSP %q", p, csp)
			}
		}
		s := anon.Get(jsPath(a.org.ID, js))
		if s.Status != 200 || s.Body != js || !strings.HasPrefix(s.Header.Get("Content-Type"), "text/javascript") ||
			s.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(s.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("script: %d %q %v", s.Status, s.Body, s.Header)
		}
		// Not under another organization's id, nor with another hash.
		for _, p := range []string{strings.Replace(jsPath(a.org.ID, js), a.org.ID, b.org.ID, 1), jsPath(a.org.ID, "x")} {
			if r := anon.Get(p); r.Status != 404 {
				t.Errorf("%s: %d", p, r.Status)
			}
		}
		// Another organization's pages (it has a look, no script) and staff pages: no script.
		for _, p := range []string{"/v/" + b.cred.PublicID, "/orgs/bolt"} {
			if r := anon.Get(p); r.Has("brand-script") || strings.Contains(r.Body, ".js\" defer data-testid") {
				t.Errorf("%s links a script", p)
			}
		}
		for _, p := range []string{"/", "/settings/branding", "/credentials", "/credentials/" + a.cred.ID, "/settings/branding/preview"} {
			if r := admin.Get(p); r.Status != 200 || r.Has("brand-script") || strings.Contains(r.Body, "/brand/"+a.org.ID+"/") {
				t.Errorf("staff page %s: %d links the organization's script or look", p, r.Status)
			}
		}
	})
}
