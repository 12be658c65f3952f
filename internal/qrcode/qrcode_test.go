package qrcode

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

func TestPNGAndSVG(t *testing.T) {
	const link = "https://creds.example.org/v/abcdefghijklmnopqrstuvwxyz?via=qr"
	m, err := Matrix(link)
	if err != nil {
		t.Fatal(err)
	}
	b, err := PNG(link, 4)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if want := (len(m) + 8) * 4; img.Bounds().Dx() != want || img.Bounds().Dy() != want {
		t.Fatalf("PNG %v, want %d square", img.Bounds(), want)
	}
	// The finder pattern's top-left module is dark; the quiet zone is light.
	if r, _, _, _ := img.At(4*4+1, 4*4+1).RGBA(); r != 0 {
		t.Error("finder pattern not drawn")
	}
	if r, _, _, _ := img.At(1, 1).RGBA(); r == 0 {
		t.Error("quiet zone not light")
	}
	s, err := SVG(link)
	if err != nil {
		t.Fatal(err)
	}
	dark := 0
	for _, row := range m {
		for _, d := range row {
			if d {
				dark++
			}
		}
	}
	if got := strings.Count(string(s), "h1v1h-1z"); got != dark || !strings.HasPrefix(string(s), "<svg") {
		t.Fatalf("SVG has %d modules, matrix %d", got, dark)
	}
	if _, err := PNG(strings.Repeat("x", 5000), 1); err == nil {
		t.Error("oversized text encoded")
	}
}
