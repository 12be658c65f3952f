package web_test

import (
	"bytes"
	"encoding/base64"
	"html"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/design"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// A design with the library's images: the editor offers them, refuses a name
// the library lacks (another organization's image too), saves the design, its
// preview and its credentials' PDF show them, and the image it uses is not deleted.
func TestDesignsWithLibraryImages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, dialect store.Dialect) {
		env := webtest.New(t, dialect)
		org, other := env.Org("acme"), env.Org("bolt")
		admin := env.Client()
		admin.Login(env.User(store.RoleAdmin, org))
		green, purple := color.RGBA{0x15, 0x80, 0x3d, 255}, color.RGBA{0x6b, 0x21, 0xa8, 255}
		for name, data := range map[string][]byte{"paper": libraryJPEG(t, 600, 300, green), "seal": libraryJPEG(t, 200, 200, purple)} {
			if r := uploadImage(admin, name, name+".jpg", data); r.Status != 303 {
				t.Fatalf("upload %s: %d", name, r.Status)
			}
		}
		if r := admin.Get("/settings/designs/new"); !strings.Contains(r.Body, `value="asset:seal"`) || !strings.Contains(r.Body, `value="asset:paper"`) {
			t.Error("the editor does not offer the library's images")
		}
		d := design.Default()
		d.Background.Image, d.Background.Fit = "asset:paper", "cover"
		d.Elements = append(d.Elements, design.Element{Type: "image", Image: "asset:gone", X: 120, Y: 140, W: 40, H: 40})
		r := admin.Post("/settings/designs", designForm("Sealed", d, "save"))
		if r.Status != 422 || !strings.Contains(between(r.Body, `data-testid="field-elements.11.image"`, "</div>"), "no image &#34;gone&#34; in your image library") {
			t.Fatalf("unknown image: %d %s", r.Status, between(r.Body, `data-testid="field-elements.11.image"`, "</div>"))
		}
		// Another organization's admin cannot name A's images: B's library lacks them.
		b := env.Client()
		b.Login(env.User(store.RoleAdmin, other))
		d.Elements[11].Image = "asset:seal"
		if r := b.Post("/settings/designs", designForm("Sealed", d, "save")); r.Status != 422 {
			t.Errorf("B's admin saves a design with A's image: %d", r.Status)
		}
		// The preview shows the paper and the seal.
		pv := admin.Htmx("POST", "/settings/designs/preview", designForm("Sealed", d, "save"))
		src := html.UnescapeString(between(pv.Body, `src="data:image/png;base64,`, `"`))
		raw, _ := base64.StdEncoding.DecodeString(src)
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("preview: %d %v %.120s", pv.Status, err, between(pv.Body, `<img`, `alt`))
		}
		px := func(x, y float64) color.Color { return img.At(int(x*72/25.4), int(y*72/25.4)) }
		if !near(px(3, 3), green) || !near(px(140, 160), purple) {
			t.Errorf("the preview: corner %v, seal %v", px(3, 3), px(140, 160))
		}
		if r := admin.Post("/settings/designs", designForm("Sealed", d, "save")); r.Status != 303 {
			t.Fatalf("save: %d", r.Status)
		}
		rows, _ := env.DB.Scoped(org.ID).Designs(t.Context())
		tpl := degreeTemplate(t, env, org)
		withDesignID(t, env, tpl, rows[0].ID)
		cr := issueDegree(t, env, org, tpl, "Ada Lovelace", "ada@example.org")
		pdf := admin.Get("/credentials/" + cr.ID + "/certificate.pdf")
		file := filepath.Join(t.TempDir(), "c.pdf")
		if err := os.WriteFile(file, []byte(pdf.Body), 0o600); err != nil {
			t.Fatal(err)
		}
		if tool, err := exec.LookPath("pdfimages"); err != nil {
			t.Log("pdfimages is missing: the PDF's images are not listed")
		} else {
			out, err := exec.Command(tool, "-list", file).CombinedOutput()
			// The paper cut to the page (424×300) and the seal, both JPEG.
			if err != nil || !regexp.MustCompile(`image +424 +300 .* jpeg`).MatchString(string(out)) ||
				!regexp.MustCompile(`image +200 +200 .* jpeg`).MatchString(string(out)) {
				t.Errorf("the PDF's images: %v\n%s", err, out)
			}
		}
		// The design uses the seal: it stays.
		if r := admin.Post("/settings/branding/images/seal/delete", nil); !strings.Contains(admin.Get(r.Location()).Body, `used by the design &#34;Sealed&#34;`) {
			t.Error("deleting the seal a design uses is not refused")
		}
		if r := env.Client().Get("/brand-assets/" + org.ID + "/seal"); r.Status != 200 {
			t.Errorf("the seal: %d", r.Status)
		}
	})
}

func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(x uint32, y uint8) int { return max(int(x>>8)-int(y), int(y)-int(x>>8)) }
	return d(r, want.R) < 24 && d(g, want.G) < 24 && d(b, want.B) < 24
}
