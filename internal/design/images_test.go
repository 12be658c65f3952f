package design_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/design"
)

// solid is a w×h image of one colour, as a JPEG (opaque) or a PNG with a
// transparent left half (a signature on nothing).
func solid(t testing.TB, w, h int, c color.RGBA, asJPEG bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint8(255)
			if !asJPEG && x < w/2 {
				a = 0
			}
			img.SetNRGBA(x, y, color.NRGBA{c.R, c.G, c.B, a})
		}
	}
	var b bytes.Buffer
	var err error
	if asJPEG {
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 95})
	} else {
		err = png.Encode(&b, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func imagesDesign() *design.Design {
	d := design.Default()
	d.Background = design.Background{Colour: "#ffffff", Image: "asset:paper", Fit: "cover"}
	d.Elements = append(d.Elements,
		design.Element{Type: "image", Image: "asset:signature", X: 120, Y: 150, W: 60, H: 30},
		design.Element{Type: "image", Image: "logo", X: 190, Y: 150, W: 40, H: 20})
	return d
}

// The library's images in a design: the names are checked against the library,
// and the background (cover: the page filled, the overflow cut) and the signature
// are drawn in the PDF (pdfimages lists them, pdftoppm shows them) and in the
// preview, from the same layout.
func TestLibraryImagesInPDFAndPreview(t *testing.T) {
	d := imagesDesign()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	var fe design.FieldErrors
	if err := d.ValidateWith(map[string]bool{"paper": true}); !errors.As(err, &fe) || !strings.Contains(fe["elements.11.image"], `no image "signature"`) || len(fe) != 1 {
		t.Errorf("an unknown image: %v", err)
	}
	if err := d.ValidateWith(map[string]bool{"paper": true, "signature": true}); err != nil {
		t.Errorf("a known image: %v", err)
	}
	bad := imagesDesign()
	bad.Background.Image, bad.Background.Fit, bad.Elements[11].Image = "asset:../x", "stretch", "http://evil.example/x.png"
	if err := bad.Validate(); !errors.As(err, &fe) || fe["background.image"] == "" || fe["background.fit"] == "" || fe["elements.11.image"] == "" {
		t.Errorf("bad sources: %v", err)
	}
	if got := d.Assets(); len(got) != 2 || got[0] != "paper" || got[1] != "signature" {
		t.Errorf("Assets = %v", got)
	}
	back, _ := design.Parse(d.JSON())
	if back == nil || back.Background != d.Background || back.Elements[11].Image != "asset:signature" {
		t.Errorf("the document does not keep the images: %s", d.JSON())
	}

	green := color.RGBA{0x15, 0x80, 0x3d, 255}
	purple := color.RGBA{0x6b, 0x21, 0xa8, 255}
	// A wide paper (3:1) on an A4 landscape page (√2:1): cover cuts its sides.
	in := design.Input{Values: values(t), VerifyURL: "https://trustcred.test/v/abc123?via=qr", Logo: logo(t), Credential: []byte(credential),
		Images: map[string][]byte{"paper": solid(t, 900, 300, green, true), "signature": solid(t, 400, 200, purple, false)}}
	var buf bytes.Buffer
	if err := design.PDF(&buf, d, in); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "certificate.pdf")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	list := strings.Split(strings.TrimSpace(run(t, "pdfimages", "-list", file)), "\n")
	// header, rule, then: the paper (JPEG, cut to the page's ratio: 424×300), the
	// signature (PNG with its transparency as a soft mask), the logo.
	rows := [][]string{}
	for _, l := range list[2:] {
		rows = append(rows, strings.Fields(l))
	}
	kinds := []string{}
	for _, r := range rows {
		kinds = append(kinds, r[2]+" "+r[3]+"x"+r[4]+" "+r[8])
	}
	want := []string{"image 424x300 jpeg", "image 400x200 image", "smask 400x200 image", "image 40x20 jpeg"}
	if strings.Join(kinds, ", ") != strings.Join(want, ", ") {
		t.Errorf("pdfimages -list:\n%s\nwant %v", strings.Join(list, "\n"), want)
	}
	run(t, "pdftoppm", "-r", "72", "-png", "-singlefile", file, filepath.Join(dir, "page"))
	f, err := os.Open(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	page, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	preview, err := design.Image(d, in, design.PreviewDPI)
	if err != nil {
		t.Fatal(err)
	}
	near := func(c color.Color, want color.RGBA) bool {
		r, g, b, _ := c.RGBA()
		d := func(x uint32, y uint8) int { return max(int(x>>8)-int(y), int(y)-int(x>>8)) }
		return d(r, want.R) < 24 && d(g, want.G) < 24 && d(b, want.B) < 24
	}
	at := func(x, y float64) image.Point { return image.Pt(int(x*72/25.4), int(y*72/25.4)) }
	for name, img := range map[string]image.Image{"PDF": page, "preview": preview} {
		for _, c := range []struct {
			what string
			p    image.Point
			want color.RGBA
		}{
			{"the paper in a corner", at(2, 2), green},
			{"the paper in the middle", at(150, 130), green},
			{"the signature's right half", at(170, 165), purple},
			{"the paper through the signature's transparent left half", at(128, 165), green},
			{"the logo", at(210, 160), color.RGBA{0x1e, 0x3a, 0x8a, 255}},
		} {
			if got := img.At(c.p.X, c.p.Y); !near(got, c.want) {
				t.Errorf("%s: %s at %v is %v, want %v", name, c.what, c.p, got, c.want)
			}
		}
	}

	// contain: the whole paper, centred, white above and below it.
	d.Background.Fit = "contain"
	preview, err = design.Image(d, in, design.PreviewDPI)
	if err != nil {
		t.Fatal(err)
	}
	if !near(preview.At(at(2, 2).X, at(2, 2).Y), color.RGBA{255, 255, 255, 255}) || !near(preview.At(at(2, 105).X, at(2, 105).Y), green) {
		t.Error("contain: the paper is not whole and centred")
	}
	// A library image that is missing (deleted) or unreadable is left out.
	in.Images = map[string][]byte{"signature": []byte("not an image")}
	if _, err := design.Image(d, in, design.PreviewDPI); err != nil {
		t.Errorf("a missing image: %v", err)
	}
}

// A 4096-pixel photo in a 40 mm box is stored at 200 dpi, not at its size.
func TestLargeImagesAreScaledDown(t *testing.T) {
	d := design.Default()
	d.Elements = []design.Element{{Type: "image", Image: "asset:photo", X: 10, Y: 10, W: 40, H: 40}}
	in := design.Input{Images: map[string][]byte{"photo": solid(t, 2000, 2000, color.RGBA{200, 10, 10, 255}, true)}}
	l, err := design.Lay(d, in)
	if err != nil {
		t.Fatal(err)
	}
	if b := l.Ops[0].Image.Bounds(); b.Dx() != 315 || b.Dy() != 315 { // 40 mm at 200 dpi
		t.Errorf("the photo is kept at %v", b)
	}
}

// BenchmarkPDFWithImages renders the default certificate over a 2000×1414 photo
// (cover) with a transparent signature: what a library background costs beside
// BenchmarkPDF (run BenchmarkCeiling with both). The result is checked: a
// readable certificate of under 1 MB (the photo scaled down to 200 dpi).
func BenchmarkPDFWithImages(b *testing.B) {
	d := imagesDesign()
	in := design.Input{Values: values(b), VerifyURL: "https://trustcred.test/v/abc123?via=qr", Logo: logo(b), Credential: []byte(credential),
		Images: map[string][]byte{"paper": solid(b, 2000, 1414, color.RGBA{0xf5, 0xe6, 0xc8, 255}, true),
			"signature": solid(b, 400, 200, color.RGBA{0x6b, 0x21, 0xa8, 255}, false)}}
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := design.PDF(&buf, d, in); err != nil {
			b.Fatal(err)
		}
	}
	if c, err := design.Read(buf.Bytes()); err != nil || !c.CheckText().Matches || buf.Len() > 1<<20 {
		b.Fatalf("the PDF: %d bytes, %v", buf.Len(), err)
	}
	b.ReportMetric(float64(buf.Len()), "bytes/pdf")
}
