package web_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

func faviconPNG(t *testing.T, side int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xc0
	}
	img.Set(0, 0, color.NRGBA{R: 0x7a, A: 0xff})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var faviconLink = regexp.MustCompile(`<link rel="icon" type="image/png" sizes="16x16" href="(/brand-assets/[^"]+)-16.png" data-testid="brand-favicon">`)

// Favicon upload: org admins only (another organization's admin sets its own); the
// upload is sniffed and size-limited, SVG and anything not PNG/ICO refused with the
// reason next to the field (422, nothing stored); a good one is served at every size
// and linked by the organization's public pages only; removing it brings TrustCred's back.
func TestBrandingFavicon(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		c := issueOne(t, env, "uni")
		a, b := c.org, env.Org("bolt")
		clients := env.RoleClients(a, b)
		good := faviconPNG(t, 64)
		for who, want := range map[string]int{webtest.AsAdmin: 303, webtest.AsIssuer: 403, webtest.AsReviewer: 403,
			webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsOtherAdmin: 303, webtest.AsAnonymous: 303} {
			r := clients[who].Upload("/settings/branding/favicon", "favicon", "f.png", good)
			if r.Status != want || who == webtest.AsAnonymous && !strings.HasPrefix(r.Location(), "/login") {
				t.Errorf("%s uploads: %d %q, want %d", who, r.Status, r.Location(), want)
			}
		}
		ctx := t.Context()
		fa, _ := env.DB.Scoped(a.ID).Branding(ctx)
		fb, _ := env.DB.Scoped(b.ID).Branding(ctx)
		if fa.FaviconURL == nil || !strings.HasPrefix(*fa.FaviconURL, "/brand-assets/"+a.ID+"/favicon-") ||
			fb.FaviconURL == nil || !strings.HasPrefix(*fb.FaviconURL, "/brand-assets/"+b.ID+"/favicon-") {
			t.Fatalf("favicons: A %v, B %v", fa.FaviconURL, fb.FaviconURL)
		}

		admin := clients[webtest.AsAdmin]
		anon := env.Client()
		r := anon.Get("/v/" + c.cred.PublicID)
		m := faviconLink.FindStringSubmatch(r.Body)
		if m == nil || m[1] != *fa.FaviconURL || !strings.Contains(r.Body, `<link rel="apple-touch-icon" sizes="180x180" href="`+m[1]+`-180.png">`) ||
			strings.Contains(r.Body, `<link rel="icon" type="image/svg+xml"`) {
			t.Fatalf("the credential page's icons: %.1500s", r.Body)
		}
		for _, n := range []int{16, 32, 180, 192, 512} {
			f := anon.Get(m[1] + "-" + strconv.Itoa(n) + ".png")
			cfg, err := png.DecodeConfig(strings.NewReader(f.Body))
			if f.Status != 200 || f.Header.Get("Content-Type") != "image/png" || f.Header.Get("X-Content-Type-Options") != "nosniff" ||
				err != nil || cfg.Width != n || cfg.Height != n {
				t.Errorf("favicon %d: %d %v %dx%d", n, f.Status, err, cfg.Width, cfg.Height)
			}
		}
		// Not through another organization's id (one without a favicon), another size or name.
		for _, p := range []string{strings.Replace(m[1], a.ID, env.Org("cat").ID, 1) + "-32.png", m[1] + "-64.png", "/brand-assets/" + a.ID + "/logo.png",
			"/brand-assets/x/favicon-000000000000-32.png"} {
			if r := anon.Get(p); r.Status != 404 {
				t.Errorf("%s: %d", p, r.Status)
			}
		}
		if r := anon.Get("/orgs/uni"); !strings.Contains(r.Body, m[1]+"-16.png") {
			t.Error("the profile does not link the favicon")
		}
		for _, p := range []string{"/", "/credentials", "/settings/profile"} {
			if r := admin.Get(p); strings.Contains(r.Body, "/brand-assets/") && p != "/settings/branding" {
				t.Errorf("staff page %s links the favicon", p)
			}
		}

		// Malicious and wrong uploads: refused with the reason, the favicon unchanged.
		svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="16" height="16"/></svg>`)
		for name, c := range map[string]struct {
			data []byte
			want string
		}{
			"svg":          {svg, "SVG images are not accepted"},
			"html":         {[]byte("<html><script>alert(1)</script></html>"), "must be a PNG or an ICO"},
			"gif":          {[]byte("GIF89a\x10\x00\x10\x00\x00\x00\x00;"), "must be a PNG or an ICO"},
			"truncated":    {good[:50], "could not be read"},
			"too small":    {faviconPNG(t, 8), "from 16 to 4096 pixels"},
			"too large":    {append(bytes.Clone(good), make([]byte, 1<<20)...), "too large"},
			"empty":        {nil, "Choose a PNG or ICO"},
			"png polyglot": {append(bytes.Clone(good[:8]), []byte("<script>alert(1)</script>")...), "could not be read"},
		} {
			r := admin.Upload("/settings/branding/favicon", "favicon", "f.png", c.data)
			if r.Status != 422 || !strings.Contains(between(r.Body, `data-testid="error-favicon"`, "</p>"), c.want) {
				t.Errorf("%s: %d %q", name, r.Status, between(r.Body, `data-testid="error-favicon"`, "</p>"))
			}
		}
		if now, _ := env.DB.Scoped(a.ID).Branding(ctx); *now.FaviconURL != *fa.FaviconURL {
			t.Errorf("a refused upload changed the favicon to %s", *now.FaviconURL)
		}

		// Removed: TrustCred's icon again, the files gone.
		if r := admin.Post("/settings/branding/favicon/delete", nil); r.Status != 303 {
			t.Fatalf("delete: %d", r.Status)
		}
		if r := anon.Get("/v/" + c.cred.PublicID); r.Has("brand-favicon") || !strings.Contains(r.Body, `<link rel="icon" type="image/svg+xml"`) {
			t.Error("the removed favicon is still linked")
		}
		if r := anon.Get(m[1] + "-32.png"); r.Status != 404 {
			t.Errorf("the removed favicon is served: %d", r.Status)
		}
	})
}
