package blob

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"unicode/utf16"
)

// Tiny WebP files (the standard library has no WebP encoder): 1×1 lossy
// (VP8), lossless (VP8L) and lossy with alpha (VP8X, ALPH, VP8).
var (
	webpLossy    = b64("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA")
	webpLossless = b64("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	webpAlpha    = b64("UklGRkoAAABXRUJQVlA4WAoAAAAQAAAAAAAAAAAAQUxQSAwAAAARBxAR/Q9ERP8DAABWUDggGAAAABQBAJ0BKgEAAQAAAP4AAA3AAP7mtQAAAA==")
)

func b64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func testImage(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			m.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 13), uint8(x ^ y), 255})
		}
	}
	return m
}

func encodePNG(w, h int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage(w, h)); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func encodeJPEG(w, h int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(w, h), &jpeg.Options{Quality: 80}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func encodeGIF(w, h, frames int) []byte {
	g := &gif.GIF{}
	for i := range frames {
		m := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
		m.Set(i%w, 0, color.White)
		g.Image = append(g.Image, m)
		g.Delay = append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// pngChunk is one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// pngHeader is a well-formed PNG declaring w×h pixels whose IDAT is a few
// bytes: what a decompression bomb looks like before it is decoded.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, pngChunk("IHDR", ihdr)...)
	b = append(b, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(b, pngChunk("IEND", nil)...)
}

// withJPEGSize rewrites the dimensions in a baseline JPEG's SOF0.
func withJPEGSize(j []byte, w, h uint16) []byte {
	j = bytes.Clone(j)
	i := bytes.Index(j, []byte{0xFF, 0xC0})
	binary.BigEndian.PutUint16(j[i+5:], h)
	binary.BigEndian.PutUint16(j[i+7:], w)
	return j
}

// withGIFSize rewrites a GIF's logical screen size.
func withGIFSize(g []byte, w, h uint16) []byte {
	g = bytes.Clone(g)
	binary.LittleEndian.PutUint16(g[6:], w)
	binary.LittleEndian.PutUint16(g[8:], h)
	return g
}

// withVP8XSize rewrites the canvas size of a VP8X WebP.
func withVP8XSize(b []byte, w, h int) []byte {
	b = bytes.Clone(b)
	w, h = w-1, h-1
	copy(b[24:], []byte{byte(w), byte(w >> 8), byte(w >> 16), byte(h), byte(h >> 8), byte(h >> 16)})
	return b
}

// riff makes a RIFF WEBP file of the given chunk bytes.
func riff(chunks ...[]byte) []byte {
	body := bytes.Join(chunks, nil)
	b := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(body)))...)
	return append(append(b, "WEBP"...), body...)
}

func utf16LE(s string) []byte {
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

func flip(b []byte, i int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 0xFF
	return b
}

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script></svg>`

func TestSniffImage(t *testing.T) {
	const limit = 1 << 20
	pngFile, jpegFile, gifFile := encodePNG(16, 9), encodeJPEG(16, 9), encodeGIF(16, 9, 1)
	for _, tc := range []struct {
		name string
		data []byte
		max  int
		want string
		err  error
	}{
		{"png", pngFile, limit, PNG, nil},
		{"png 1×1", encodePNG(1, 1), limit, PNG, nil},
		{"jpeg", jpegFile, limit, JPEG, nil},
		{"jpeg with data after EOI", append(bytes.Clone(jpegFile), "SEFT trailer"...), limit, JPEG, nil},
		{"gif", gifFile, limit, GIF, nil},
		{"animated gif", encodeGIF(8, 8, 3), limit, GIF, nil},
		{"webp lossy", webpLossy, limit, WebP, nil},
		{"webp lossless", webpLossless, limit, WebP, nil},
		{"webp with alpha (VP8X)", webpAlpha, limit, WebP, nil},
		{"exactly max bytes", pngFile, len(pngFile), PNG, nil},
		{"png of MaxSide×MaxSide", pngHeader(MaxSide, MaxSide), limit, PNG, nil},

		{"svg", []byte(svg), limit, "", ErrSVGNotAllowed},
		{"svg, upper case", []byte(strings.ToUpper(svg)), limit, "", ErrSVGNotAllowed},
		{"svg with xml declaration, BOM and blank lines", []byte("\ufeff\n\n  <?xml version=\"1.0\"?>\n" + svg), limit, "", ErrSVGNotAllowed},
		{"svg after a doctype and a long comment", []byte(`<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x"><!--` + strings.Repeat("padding ", 5000) + "-->" + svg), limit, "", ErrSVGNotAllowed},
		{"svg in UTF-16", utf16LE(svg), limit, "", ErrSVGNotAllowed},
		// The name and the browser's content type never reach SniffImage:
		// an SVG uploaded as "logo.png", image/png, is still SVG.
		{"svg named logo.png", []byte(svg), limit, "", ErrSVGNotAllowed},
		{"svg namespace without an svg element", []byte(`<x:svg xmlns:x="http://www.w3.org/2000/svg"/>`), limit, "", ErrSVGNotAllowed},
		{"plain xml", []byte(`<?xml version="1.0"?><note>hi</note>`), limit, "", ErrSVGNotAllowed},
		{"oversize svg is still refused as svg", []byte(svg + strings.Repeat(" ", 100)), 10, "", ErrSVGNotAllowed},
		{"png signature then svg", append([]byte("\x89PNG\r\n\x1a\n"), svg...), limit, "", ErrUnsupported},

		{"html", []byte("<!doctype html><html><body><script>alert(1)</script></body></html>"), limit, "", ErrUnsupported},
		{"text", []byte("hello"), limit, "", ErrUnsupported},
		{"pdf", []byte("%PDF-1.7\n%âãÏÓ\n"), limit, "", ErrUnsupported},
		{"empty", nil, limit, "", ErrUnsupported},
		{"png signature only", []byte("\x89PNG\r\n\x1a\n"), limit, "", ErrUnsupported},
		{"truncated png: header cut", pngFile[:20], limit, "", ErrUnsupported},
		{"truncated png: half", pngFile[:len(pngFile)/2], limit, "", ErrUnsupported},
		{"truncated png: no IEND", pngFile[:len(pngFile)-12], limit, "", ErrUnsupported},
		{"png with a damaged IDAT", flip(pngFile, len(pngFile)-20), limit, "", ErrUnsupported},
		{"png of 0×0", pngHeader(0, 0), limit, "", ErrUnsupported},
		{"truncated jpeg: no EOI", jpegFile[:len(jpegFile)-2], limit, "", ErrUnsupported},
		{"truncated jpeg: half", jpegFile[:len(jpegFile)/2], limit, "", ErrUnsupported},
		{"truncated jpeg: SOI only", []byte{0xFF, 0xD8, 0xFF}, limit, "", ErrUnsupported},
		{"truncated gif: no trailer", gifFile[:len(gifFile)-1], limit, "", ErrUnsupported},
		{"truncated gif: half", gifFile[:len(gifFile)/2], limit, "", ErrUnsupported},
		{"truncated webp", webpLossy[:len(webpLossy)-1], limit, "", ErrUnsupported},
		{"webp header only", webpLossy[:12], limit, "", ErrUnsupported},
		{"webp without image data", riff(webpAlpha[12:30]), limit, "", ErrUnsupported},
		{"webp, VP8 chunk larger than the file", riff(webpLossy[12:19], []byte{0xFF}, webpLossy[20:]), limit, "", ErrUnsupported},
		{"riff but not webp", []byte("RIFF\x04\x00\x00\x00WAVE"), limit, "", ErrUnsupported},

		{"oversize png", pngFile, len(pngFile) - 1, "", ErrTooLarge},
		{"huge-dimension png header", pngHeader(100000, 100000), limit, "", ErrTooLarge},
		{"png one pixel too wide", pngHeader(MaxSide+1, 1), limit, "", ErrTooLarge},
		{"png one pixel too tall", pngHeader(1, MaxSide+1), limit, "", ErrTooLarge},
		{"huge-dimension jpeg", withJPEGSize(jpegFile, 60000, 60000), limit, "", ErrTooLarge},
		{"huge-dimension gif", withGIFSize(gifFile, 60000, 9), limit, "", ErrTooLarge},
		{"huge-dimension webp", withVP8XSize(webpAlpha, 1<<24, 1<<24), limit, "", ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SniffImage(tc.data, tc.max)
			if got != tc.want || !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("SniffImage = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestSniffImageMessages(t *testing.T) {
	_, err := SniffImage(encodePNG(4, 4), 10)
	if err.Error() != "the image is too large: the limit is 10 bytes" {
		t.Errorf("%q", err)
	}
	big := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 3<<20)...) // the size is checked first
	for max, want := range map[int]string{2 << 20: "2 MB", 2 << 10: "2 KB", 1 << 10: "1 KB", 1500: "1500 bytes"} {
		if _, err := SniffImage(big, max); err == nil || !strings.HasSuffix(err.Error(), "the limit is "+want) {
			t.Errorf("limit %d: %q", max, err)
		}
	}
	if _, err := SniffImage(big, 0); !errors.Is(err, ErrTooLarge) {
		t.Errorf("limit 0: %v", err)
	}
	_, err = SniffImage(pngHeader(5000, 20), 1<<20)
	if err.Error() != "the image is too large: 5000×20 pixels, the limit is 4096×4096" {
		t.Errorf("%q", err)
	}
	if ErrSVGNotAllowed.Error() != "SVG images are not accepted: they can carry scripts; upload a PNG, JPEG, GIF or WebP" {
		t.Errorf("%q", ErrSVGNotAllowed)
	}
}

// SniffImage never panics and never accepts what the standard decoders
// (for PNG, JPEG and GIF) cannot read the header of.
func FuzzSniffImage(f *testing.F) {
	for _, seed := range [][]byte{
		encodePNG(3, 2), encodeJPEG(3, 2), encodeGIF(3, 2, 2), webpLossy, webpLossless, webpAlpha,
		pngHeader(10, 10), []byte(svg),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ct, err := SniffImage(data, 1<<20)
		if err != nil {
			return
		}
		var cerr error
		var c image.Config
		switch ct {
		case PNG:
			c, cerr = png.DecodeConfig(bytes.NewReader(data))
		case JPEG:
			c, cerr = jpeg.DecodeConfig(bytes.NewReader(data))
		case GIF:
			c, cerr = gif.DecodeConfig(bytes.NewReader(data))
		case WebP:
			return
		default:
			t.Fatalf("content type %q", ct)
		}
		if cerr != nil || c.Width > MaxSide || c.Height > MaxSide {
			t.Fatalf("accepted %s: %v %+v", ct, cerr, c)
		}
	})
}

func BenchmarkSniffImage(b *testing.B) {
	data := encodeJPEG(512, 512)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := SniffImage(data, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}
