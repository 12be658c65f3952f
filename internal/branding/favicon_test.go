package branding

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"
)

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{R: 0x7a, G: 0x1f, B: 0x1f, A: 0xff})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// ico wraps images (each given with its side) in an ICO file.
func ico(sides []int, images ...[]byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, [3]uint16{0, 1, uint16(len(images))})
	off := 6 + 16*len(images)
	for i, im := range images {
		b.Write([]byte{byte(sides[i]), byte(sides[i]), 0, 0})
		_ = binary.Write(&b, binary.LittleEndian, [2]uint16{1, 32})
		_ = binary.Write(&b, binary.LittleEndian, [2]uint32{uint32(len(im)), uint32(off)})
		off += len(im)
	}
	for _, im := range images {
		b.Write(im)
	}
	return b.Bytes()
}

// A PNG, or an ICO of PNGs, comes out at every size browsers ask for; anything else is
// refused with a sentence for the uploader.
func TestFavicons(t *testing.T) {
	for name, in := range map[string][]byte{
		"square png":  testPNG(t, 64, 64),
		"wide png":    testPNG(t, 300, 100),
		"ico of pngs": ico([]int{16, 48}, testPNG(t, 16, 16), testPNG(t, 48, 48)),
	} {
		out, err := Favicons(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, n := range FaviconSizes {
			cfg, err := png.DecodeConfig(bytes.NewReader(out[n]))
			if err != nil || cfg.Width != n || cfg.Height != n {
				t.Errorf("%s: size %d came out %dx%d (%v)", name, n, cfg.Width, cfg.Height, err)
			}
		}
	}
	bmp := append([]byte{40, 0, 0, 0}, make([]byte, 60)...)
	for name, c := range map[string]struct {
		in   []byte
		want error
	}{
		"svg":          {[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), ErrFaviconType},
		"html":         {[]byte("<!DOCTYPE html><script>alert(1)</script>"), ErrFaviconType},
		"jpeg":         {[]byte("\xff\xd8\xff\xe0\x00\x10JFIF"), ErrFaviconType},
		"empty":        {nil, ErrFaviconType},
		"truncated":    {testPNG(t, 64, 64)[:40], ErrFaviconBroken},
		"too small":    {testPNG(t, 8, 8), ErrFaviconSize},
		"too large":    {testPNG(t, 4097, 1), ErrFaviconSize},
		"bitmap ico":   {ico([]int{32}, bmp), ErrFaviconBitmap},
		"ico past end": {append(ico([]int{32}, testPNG(t, 32, 32))[:22], 0), ErrFaviconBroken},
	} {
		if _, err := Favicons(c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}
