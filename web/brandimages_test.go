package web_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"net/url"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// libraryJPEG is a w×h JPEG of one colour.
func libraryJPEG(t *testing.T, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withPNGSize rewrites a PNG's IHDR to declare w×h pixels (its CRC fixed): a
// decompression bomb's header on a small file.
func withPNGSize(p []byte, w, h uint32) []byte {
	out := bytes.Clone(p)
	binary.BigEndian.PutUint32(out[16:], w)
	binary.BigEndian.PutUint32(out[20:], h)
	binary.BigEndian.PutUint32(out[29:], crc32.ChecksumIEEE(out[12:29]))
	return out
}

func uploadImage(cl *webtest.Client, name, filename string, data []byte) *webtest.Response {
	return cl.UploadForm("/settings/branding/images", url.Values{"name": {name}}, "file", filename, data)
}

// The image library's routes for every role: org admins only; another
// organization's admin works on its own library and never reaches A's images.
func TestBrandImagesRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		clients := env.RoleClients(a, b)
		if r := uploadImage(clients[webtest.AsAdmin], "seal", "seal.png", faviconPNG(t, 40)); r.Status != 303 {
			t.Fatalf("upload: %d %s", r.Status, between(r.Body, `data-testid="error-file"`, "</p>"))
		}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/settings/branding/images", Want: webtest.AdminOnly(200, 200)},
			// Without a file: the form again, with what to fix.
			{Method: "POST", Path: "/settings/branding/images", Form: url.Values{"name": {"x"}}, Want: webtest.AdminOnly(422, 422)},
			// B's admin deletes nothing of A's (404); A's admin deletes A's seal.
			{Method: "POST", Path: "/settings/branding/images/seal/delete", Want: webtest.AdminOnly(303, 404)},
		})
		for who, want := range map[string]int{webtest.AsAdmin: 303, webtest.AsIssuer: 403, webtest.AsReviewer: 403, webtest.AsVerifier: 403,
			webtest.AsRecipient: 403, webtest.AsOtherAdmin: 303, webtest.AsAnonymous: 303} {
			if r := uploadImage(clients[who], "stamp", "s.png", faviconPNG(t, 20)); r.Status != want {
				t.Errorf("%s uploads: %d, want %d", who, r.Status, want)
			}
		}
		ctx := t.Context()
		la, _ := env.DB.Scoped(a.ID).BrandAssets(ctx)
		lb, _ := env.DB.Scoped(b.ID).BrandAssets(ctx)
		if len(la) != 1 || la[0].Name != "stamp" || len(lb) != 1 || lb[0].Name != "stamp" {
			t.Fatalf("libraries: A %+v, B %+v", la, lb)
		}
		anon := env.Client()
		if r := anon.Get("/brand-assets/" + a.ID + "/seal"); r.Status != 404 {
			t.Errorf("A's deleted seal is served: %d", r.Status)
		}
		if r := anon.Get("/brand-assets/" + a.ID + "/stamp"); r.Status != 200 {
			t.Errorf("A's stamp: %d", r.Status)
		}
		// B's admin's page lists B's stamp only.
		if r := clients[webtest.AsOtherAdmin].Get("/settings/branding/images"); strings.Contains(r.Body, a.ID) || !strings.Contains(r.Body, "/brand-assets/"+b.ID+"/stamp") {
			t.Error("B's admin sees A's library, or not B's")
		}
		for who, want := range map[string]bool{webtest.AsAdmin: true, webtest.AsIssuer: false, webtest.AsVerifier: false} {
			if got := clients[who].Get("/").Has("nav-brand-images"); got != want {
				t.Errorf("%s: Image library in the sidebar %v, want %v", who, got, want)
			}
		}
	})
}

// Uploads: PNG, JPEG and WebP kept with the type of their bytes (not their name),
// served immutable and never sniffed; everything else refused next to its field
// with nothing stored; CSS url() only for the library's images; an image in use
// is not deleted.
func TestBrandImagesUploadAndServe(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		c := issueOne(t, env, "uni")
		a := c.org
		admin := env.Client()
		admin.Login(env.User(store.RoleAdmin, a))
		pngFile := faviconPNG(t, 64)
		jpegFile := libraryJPEG(t, 120, 80, color.RGBA{R: 0x12, G: 0x6a, B: 0x3b})
		webpFile, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
		for _, up := range []struct{ name, filename, want string }{
			{"paper", "paper.png", "image/png"},
			{"signature", "signature.png", "image/jpeg"}, // a JPEG named .png: a JPEG
			{"dot", "dot.webp", "image/webp"},
		} {
			data := map[string][]byte{"image/png": pngFile, "image/jpeg": jpegFile, "image/webp": webpFile}[up.want]
			if r := uploadImage(admin, up.name, up.filename, data); r.Status != 303 {
				t.Fatalf("%s: %d %s", up.name, r.Status, between(r.Body, `data-testid="error-file"`, "</p>"))
			}
			r := env.Client().Get("/brand-assets/" + a.ID + "/" + up.name)
			if r.Status != 200 || r.Header.Get("Content-Type") != up.want || r.Header.Get("X-Content-Type-Options") != "nosniff" ||
				!strings.Contains(r.Header.Get("Cache-Control"), "immutable") || !strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") ||
				!bytes.Equal([]byte(r.Body), data) || r.Header.Get("Set-Cookie") != "" {
				t.Errorf("%s served: %d %v", up.name, r.Status, r.Header)
			}
		}
		page := admin.Get("/settings/branding/images")
		for _, want := range []string{`src="/brand-assets/` + a.ID + `/paper"`, "120 × 80 pixels", `url("/brand-assets/` + a.ID + `/signature")`} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("the library page lacks %q", want)
			}
		}
		if r := env.Client().Get("/brand-assets/" + env.Org("cat").ID + "/paper"); r.Status != 404 {
			t.Errorf("another organization's id serves A's image: %d", r.Status)
		}

		svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="16" height="16"/></svg>`)
		for label, c := range map[string]struct {
			name  string
			data  []byte
			field string
			want  string
		}{
			"svg named png":   {"evil", svg, "file", "SVG images are not accepted"},
			"html":            {"evil", []byte("<html><script>alert(1)</script></html>"), "file", "not a PNG, JPEG or WebP"},
			"gif":             {"evil", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"), "file", "GIF images are not accepted"},
			"png polyglot":    {"evil", append(bytes.Clone(pngFile[:8]), []byte("<script>alert(1)</script>")...), "file", "not a PNG, JPEG or WebP"},
			"huge dimensions": {"evil", withPNGSize(pngFile, 100000, 100000), "file", "100000×100000 pixels, the limit is 4096×4096"},
			"too large":       {"evil", append(bytes.Clone(pngFile), make([]byte, 2<<20)...), "file", "the limit is 2 MB"},
			"empty":           {"evil", nil, "file", "Choose a PNG, JPEG or WebP"},
			"truncated":       {"evil", pngFile[:len(pngFile)-20], "file", "not a PNG, JPEG or WebP"},
			"bad name":        {"../Paper.png", pngFile, "name", "Use lower-case letters"},
			"no name":         {"", pngFile, "name", "Give the image a name"},
			"taken name":      {"paper", jpegFile, "name", "has this name"},
		} {
			r := uploadImage(admin, c.name, "x.png", c.data)
			if got := between(r.Body, `data-testid="error-`+c.field+`"`, "</p>"); r.Status != 422 || !strings.Contains(got, c.want) {
				t.Errorf("%s: %d %q", label, r.Status, got)
			}
		}
		if r := env.Client().Get("/brand-assets/" + a.ID + "/paper"); !bytes.Equal([]byte(r.Body), pngFile) {
			t.Error("a refused upload of a taken name replaced the image's file")
		}
		if r := env.Client().Get("/brand-assets/" + a.ID + "/evil"); r.Status != 404 {
			t.Errorf("a refused upload is served: %d", r.Status)
		}

		// CSS: url() of a library image is kept, of a missing one refused on its line.
		css := "h1 { color: #123456 }\n.tc-card { background-image: url(\"/brand-assets/" + a.ID + "/nothing\") }"
		r := admin.Post("/settings/branding", brandingForm("", css))
		if r.Status != 422 || !strings.Contains(r.Body, `line 2</span>: there is no image &#34;nothing&#34; in your image library`) {
			t.Errorf("missing image in CSS: %d %s", r.Status, between(r.Body, `data-testid="field-custom_css"`, "</div>"))
		}
		css = ".tc-card { background: url(\"/brand-assets/" + a.ID + "/paper\") }"
		if r := admin.Post("/settings/branding", brandingForm("", css)); r.Status != 303 {
			t.Fatalf("CSS with the library's image: %d", r.Status)
		}
		// In use: not deleted, and the reason says by what.
		r = admin.Post("/settings/branding/images/paper/delete", nil)
		if r.Status != 303 || !strings.Contains(admin.Get(r.Location()).Body, "used by the custom CSS") {
			t.Errorf("deleting a used image: %d", r.Status)
		}
		if r := env.Client().Get("/brand-assets/" + a.ID + "/paper"); r.Status != 200 {
			t.Errorf("the used image was deleted: %d", r.Status)
		}
		// Unused: deleted, its file gone, its name not given again.
		if r := admin.Post("/settings/branding/images/dot/delete", nil); r.Status != 303 {
			t.Fatalf("delete: %d", r.Status)
		}
		if r := env.Client().Get("/brand-assets/" + a.ID + "/dot"); r.Status != 404 {
			t.Errorf("the deleted image is served: %d", r.Status)
		}
		if _, _, err := env.Blobs.Get(t.Context(), store.BrandAssetKey(a.ID, "dot")); err == nil {
			t.Error("the deleted image's file is kept")
		}
		if r := uploadImage(admin, "dot", "dot.webp", webpFile); r.Status != 422 || !strings.Contains(r.Body, "you deleted had this name") {
			t.Errorf("the deleted name again: %d", r.Status)
		}
	})
}
