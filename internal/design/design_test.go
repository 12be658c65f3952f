package design_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/design"
)

// credential is a credential document as issuance makes it (unsigned here:
// the web tests check a signed one with the independent verifier).
const credential = `{
  "@context": ["https://www.w3.org/ns/credentials/v2"],
  "id": "https://trustcred.test/v/abc123",
  "type": ["VerifiableCredential", "TrustCredCredential"],
  "name": "Bachelor of Science",
  "issuer": {"id": "did:web:trustcred.test:orgs:northfield", "name": "Northfield University"},
  "validFrom": "2026-06-30T12:00:00Z",
  "credentialSubject": {"id": "mailto:ada@example.org", "name": "Ada Lovelace-Żółć", "degree": "Mathematics", "gpa": 3.9}
}`

func values(t testing.TB) design.Values {
	t.Helper()
	v, err := design.ValuesOf([]byte(credential))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestValuesOf(t *testing.T) {
	v := values(t)
	want := map[string]string{"recipient_name": "Ada Lovelace-Żółć", "title": "Bachelor of Science", "issuer_name": "Northfield University",
		"issued_on": "30 June 2026", "expires_on": "", "credential_id": "https://trustcred.test/v/abc123", "degree": "Mathematics", "gpa": "3.9"}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s = %q, want %q", k, v[k], w)
		}
	}
	if _, err := design.ValuesOf([]byte("[1,2]")); err == nil {
		t.Error("an array is not a credential")
	}
}

func TestValidateNamesTheElement(t *testing.T) {
	ok := design.Default()
	if err := ok.Validate(); err != nil {
		t.Fatalf("the default design: %v", err)
	}
	cases := []struct {
		name string
		edit func(d *design.Design)
		keys []string
	}{
		{"page size", func(d *design.Design) { d.Page.Size = "A3" }, []string{"page.size"}},
		{"orientation", func(d *design.Design) { d.Page.Orientation = "sideways" }, []string{"page.orientation"}},
		{"version", func(d *design.Design) { d.Version = 2 }, []string{"version"}},
		{"x off the page", func(d *design.Design) { d.Elements[1].X = 400 }, []string{"elements.1.x"}},
		{"past the right edge", func(d *design.Design) { d.Elements[1].W = 290 }, []string{"elements.1.w"}},
		{"negative y", func(d *design.Design) { d.Elements[2].Y = -1 }, []string{"elements.2.y"}},
		{"unknown type", func(d *design.Design) { d.Elements[0].Type = "video" }, []string{"elements.0.type"}},
		{"empty text", func(d *design.Design) { d.Elements[0].Text = "  " }, []string{"elements.0.text"}},
		{"no field", func(d *design.Design) { d.Elements[1].Field = "a b" }, []string{"elements.1.field"}},
		{"font", func(d *design.Design) { d.Elements[1].Font = "comic" }, []string{"elements.1.font"}},
		{"size", func(d *design.Design) { d.Elements[1].Size = 1 }, []string{"elements.1.size"}},
		{"colour", func(d *design.Design) { d.Elements[1].Colour = "red" }, []string{"elements.1.colour"}},
		{"small QR", func(d *design.Design) { d.Elements[10].W, d.Elements[10].H = 10, 10 }, []string{"elements.10.w"}},
		{"image", func(d *design.Design) {
			d.Elements = append(d.Elements, design.Element{Type: "image", X: 1, Y: 1, W: 10, H: 10, Image: "https://evil.test/x.png"})
		}, []string{"elements.11.image"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := design.Default()
			c.edit(d)
			err := d.Validate()
			var fe design.FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want field errors", err)
			}
			var keys []string
			for k := range fe {
				keys = append(keys, k)
			}
			if !reflect.DeepEqual(keys, c.keys) {
				t.Errorf("errors %v, want keys %v", fe, c.keys)
			}
		})
	}
}

func TestParse(t *testing.T) {
	d, err := design.Parse(nil)
	if err != nil || !reflect.DeepEqual(d, design.Default()) {
		t.Fatalf("empty: %v", err)
	}
	back, err := design.Parse(design.Default().JSON())
	if err != nil || !reflect.DeepEqual(back, design.Default()) {
		t.Fatalf("round trip: %v", err)
	}
	// The earlier format (the demo's Northfield diploma), in percent of the page.
	old := `{"page_size":"A4","orientation":"landscape","elements":[
	  {"kind":"text","text":"Northfield University","x":50,"y":12,"font_size":28,"align":"center","color":"#1e3a8a"},
	  {"kind":"field","field":"degree","x":50,"y":40,"font_size":22,"align":"center"},
	  {"kind":"qr_code","x":88,"y":80,"width":10,"height":10},
	  {"kind":"image","image_url":"https://x.test/i.png","x":1,"y":1}]}`
	d, err = design.Parse([]byte(old))
	if err != nil {
		t.Fatalf("legacy: %v", err)
	}
	if d.Page != (design.Page{Size: "A4", Orientation: "landscape"}) || len(d.Elements) != 3 {
		t.Fatalf("legacy converted to %+v", d)
	}
	if e := d.Elements[0]; e.Type != "text" || e.Align != "center" || e.X+e.W/2 != 148.5 {
		t.Errorf("legacy text centred at 50%%: %+v", e)
	}
	if e := d.Elements[2]; e.Type != "qr" || e.W < 20 || e.X+e.W > 297 {
		t.Errorf("legacy QR: %+v", e)
	}
	for _, bad := range []string{"[]", `{"version":7}`, `{"version":"1"}`, "{", strings.Repeat(" ", design.MaxBytes+1)} {
		if _, err := design.Parse([]byte(bad)); !errors.Is(err, design.ErrNotDesign) {
			t.Errorf("Parse(%.20q) = %v, want ErrNotDesign", bad, err)
		}
	}
	var fe design.FieldErrors
	if _, err := design.Parse([]byte(`{"version":1,"page":{"size":"A5","orientation":"portrait"},"elements":[]}`)); !errors.As(err, &fe) || fe["page.size"] == "" {
		t.Errorf("invalid v1: %v", err)
	}
}

func TestLongTextShrinksToItsBox(t *testing.T) {
	d := &design.Design{Version: 1, Page: design.Page{Size: "A4", Orientation: "portrait"}, Elements: []design.Element{
		{Type: "field", Field: "recipient_name", X: 10, Y: 10, W: 40, H: 10, Size: 30},
		{Type: "field", Field: "long", X: 10, Y: 30, W: 20, H: 10, Size: 12},
	}}
	l, err := design.Lay(d, design.Input{Values: design.Values{"recipient_name": "Ada Lovelace", "long": strings.Repeat("Wide words ", 40)}})
	if err != nil {
		t.Fatal(err)
	}
	if l.Ops[0].Size >= 30 || l.Ops[0].Text != "Ada Lovelace" {
		t.Errorf("name not shrunk: %+v", l.Ops[0])
	}
	if l.Ops[1].Size != design.MinSize || !strings.HasSuffix(l.Ops[1].Text, "…") {
		t.Errorf("long text not cut: %q at %g pt", l.Ops[1].Text, l.Ops[1].Size)
	}
}

func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (scripts/test-services.sh installs poppler-utils and zbar-tools)", name)
		}
		t.Skipf("%s is missing (scripts/test-services.sh installs poppler-utils and zbar-tools)", name)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func logo(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := range 40 {
		for y := range 20 {
			img.Set(x, y, color.RGBA{0x1e, 0x3a, 0x8a, 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// TestPDFReadsAsTheCredential opens the PDF with poppler and zbar, as a
// person and a phone would: the name and fields are on the page, the QR
// code leads to the verify link, the attachment is the credential.
func TestPDFReadsAsTheCredential(t *testing.T) {
	d := design.Default()
	d.Elements = append(d.Elements,
		design.Element{Type: "field", Field: "degree", X: 20, Y: 118, W: 257, H: 10, Size: 14, Align: "center"},
		design.Element{Type: "image", Image: "logo", X: 130, Y: 140, W: 40, H: 20},
		design.Element{Type: "box", X: 12, Y: 12, W: 273, H: 186, Colour: "#b45309", Stroke: 0.3},
	)
	in := design.Input{Values: values(t), VerifyURL: "https://trustcred.test/v/abc123?via=qr", Logo: logo(t), Credential: []byte(credential), Title: "Bachelor of Science"}
	var buf bytes.Buffer
	if err := design.PDF(&buf, d, in); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "certificate.pdf")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	text := run(t, "pdftotext", "-layout", file, "-")
	for _, want := range []string{"Ada Lovelace-Żółć", "Bachelor of Science", "Northfield University", "30 June 2026", "Mathematics", "https://trustcred.test/v/abc123"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page's text lacks %q:\n%s", want, text)
		}
	}
	fonts := strings.Split(strings.TrimSpace(run(t, "pdffonts", file)), "\n")
	if len(fonts) != 5 { // header, rule, the three fonts the default design uses
		t.Errorf("fonts:\n%s", strings.Join(fonts, "\n"))
	}
	for _, line := range fonts[2:] {
		if f := strings.Fields(line); len(f) < 5 || f[len(f)-5] != "yes" {
			t.Errorf("font not embedded: %s", line)
		}
	}
	run(t, "pdftoppm", "-r", "150", "-png", "-singlefile", file, filepath.Join(dir, "page"))
	qr, err := exec.Command(tool(t, "zbarimg"), "--quiet", "--raw", filepath.Join(dir, "page.png")).Output() // stdout only: zbar talks to D-Bus on stderr
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	if strings.TrimSpace(string(qr)) != in.VerifyURL {
		t.Errorf("the QR code reads %q, want %q", qr, in.VerifyURL)
	}
	list := run(t, "pdfdetach", "-list", file)
	if !strings.Contains(list, design.CredentialFile) || !strings.Contains(list, design.DesignFile) {
		t.Fatalf("attachments:\n%s", list)
	}
	run(t, "pdfdetach", "-saveall", "-o", dir, file)
	got, err := os.ReadFile(filepath.Join(dir, design.CredentialFile))
	if err != nil || string(got) != credential {
		t.Errorf("the embedded credential is not the signed document (%v):\n%s", err, got)
	}

	// Read finds the same, and the text matches the credential.
	c, err := design.Read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Credential) != credential || !json.Valid(c.Design) {
		t.Fatalf("Read: credential %q design %q", c.Credential, c.Design)
	}
	if tc := c.CheckText(); !tc.Matches || len(tc.Signed) != 6 {
		t.Errorf("text check: %+v", tc)
	}
}

// TestCheckTextSeesAnEditedPage changes the name on the page (as an editor
// of the PDF would) and the check names the difference.
func TestCheckTextSeesAnEditedPage(t *testing.T) {
	var buf bytes.Buffer
	if err := design.PDF(&buf, design.Default(), design.Input{Values: values(t), Credential: []byte(credential)}); err != nil {
		t.Fatal(err)
	}
	c, err := design.Read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	c.Runs[1] = "Mallory"
	tc := c.CheckText()
	if tc.Matches || len(tc.Differences) != 1 || !strings.Contains(tc.Differences[0], "Mallory") {
		t.Errorf("edited page: %+v", tc)
	}
	c.Design = nil
	if tc := c.CheckText(); tc.Matches {
		t.Error("a PDF without its design matched")
	}
}

func TestPreviewIsTheSameLayout(t *testing.T) {
	in := design.Input{Values: values(t), VerifyURL: "https://trustcred.test/v/abc123?via=qr", Logo: logo(t)}
	img, err := design.Image(design.Default(), in, design.PreviewDPI)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 842 || b.Dy() != 595 {
		t.Fatalf("A4 landscape at 72 dpi is %v", b)
	}
	// Ink where the name is, white around it, the QR's dark modules.
	ink := func(x0, y0, x1, y1 float64) (dark int) {
		px := design.PreviewDPI / 25.4
		for y := int(y0 * px); y < int(y1*px); y++ {
			for x := int(x0 * px); x < int(x1*px); x++ {
				if c := img.RGBAAt(x, y); c.R < 128 {
					dark++
				}
			}
		}
		return dark
	}
	if ink(60, 40, 237, 58) == 0 {
		t.Error("no text where the recipient's name is laid out")
	}
	if ink(100, 125, 200, 145) != 0 {
		t.Error("ink in the empty middle of the page")
	}
	if ink(242, 150, 277, 185) == 0 {
		t.Error("no QR code")
	}
	if os.Getenv("TRUSTCRED_DESIGN_PNG") != "" {
		var b bytes.Buffer
		png.Encode(&b, img)
		os.WriteFile(os.Getenv("TRUSTCRED_DESIGN_PNG"), b.Bytes(), 0o644)
	}
}

// BenchmarkPDF renders the default one-page certificate with a logo and
// the credential attached (goal ≤ 20 ms). BenchmarkCeiling is the floor of
// the same machine at that moment: encoding a QR code as PNG.
func BenchmarkPDF(b *testing.B) {
	in := design.Input{Values: values(b), VerifyURL: "https://trustcred.test/v/abc123?via=qr", Logo: logo(b), Credential: []byte(credential)}
	d := design.Default()
	d.Elements = append(d.Elements, design.Element{Type: "image", Image: "logo", X: 130, Y: 140, W: 40, H: 20})
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := design.PDF(&buf, d, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/pdf")
}

func BenchmarkPreview(b *testing.B) {
	in := design.Input{Values: values(b), VerifyURL: "https://trustcred.test/v/abc123?via=qr", Logo: logo(b)}
	for b.Loop() {
		if _, err := design.Image(design.Default(), in, design.PreviewDPI); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCeiling is a fixed amount of CPU work (SHA-256 of 1 MiB): run
// beside BenchmarkPDF, it shows how loaded the machine was at that moment.
func BenchmarkCeiling(b *testing.B) {
	data := bytes.Repeat([]byte("trustcred"), 1<<20/9)
	for b.Loop() {
		sha256.Sum256(data)
	}
}

// FuzzRead: whatever the bytes, Read returns a certificate or
// ErrNoCredential, and never panics.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	if err := design.PDF(&buf, design.Default(), design.Input{Values: design.Values{"recipient_name": "Ada"}, Credential: []byte(`{"a":1}`)}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()/2])
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Filespec /UF (credential.json) /EF << /F 2 0 R >> >> endobj\n2 0 obj << /Length 3 >> stream\nabc"))
	f.Add([]byte("%PDF-1.4\n3 0 obj << /Type /Page /Contents 3 0 R /Length 5 >> stream\n(\\\\(x) Tj"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := design.Read(b)
		if err != nil {
			if !errors.Is(err, design.ErrNoCredential) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(c.Credential) == 0 {
			t.Fatal("a certificate without its credential")
		}
		_ = c.CheckText()
	})
}

// TestReadSurvivesDamage runs Read over a certificate cut at every 61st
// byte and with bytes overwritten every 13th: a certificate or
// ErrNoCredential each time, never a panic (FuzzRead explores further).
func TestReadSurvivesDamage(t *testing.T) {
	var buf bytes.Buffer
	if err := design.PDF(&buf, design.Default(), design.Input{Values: values(t), Credential: []byte(credential)}); err != nil {
		t.Fatal(err)
	}
	pdf := buf.Bytes()
	check := func(b []byte) {
		if c, err := design.Read(b); err != nil && !errors.Is(err, design.ErrNoCredential) {
			t.Fatalf("error %v", err)
		} else if err == nil {
			_ = c.CheckText()
		}
	}
	for n := 0; n < len(pdf); n += 61 {
		check(pdf[:n])
	}
	for i := 0; i < len(pdf); i += 13 {
		for _, c := range []byte{'(', ')', '\\', '0', 0xff, '\n'} {
			b := bytes.Clone(pdf)
			b[i] = c
			check(b)
		}
	}
}
