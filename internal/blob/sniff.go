package blob

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image/gif"
	"image/jpeg"
	"image/png"
)

// MaxSide is the largest width or height SniffImage accepts, in pixels. It
// bounds what decoding an accepted image can cost (a few bytes of PNG can
// declare a 100000×100000 image).
const MaxSide = 4096

// Errors returned by SniffImage, worded to be shown to the person uploading
// as they are.
var (
	ErrSVGNotAllowed = errors.New("SVG images are not accepted: they can carry scripts; upload a PNG, JPEG, GIF or WebP")
	ErrTooLarge      = errors.New("the image is too large")
	ErrUnsupported   = errors.New("the file is not a PNG, JPEG, GIF or WebP image, or it is damaged")
)

// The content types SniffImage returns.
const (
	PNG  = "image/png"
	JPEG = "image/jpeg"
	GIF  = "image/gif"
	WebP = "image/webp"
)

// SniffImage checks an uploaded image and returns its content type, decided
// from the bytes alone: the file name and the content type the browser sent
// are never trusted, and the type returned is the one to store and serve.
//
// It accepts PNG, JPEG, GIF and WebP. The format is recognised by its magic
// bytes; then the header is decoded (image.DecodeConfig for PNG, JPEG and
// GIF; the RIFF chunks for WebP), each side must be 1 to MaxSide pixels, and
// the file must be complete (PNG chunks with their CRCs up to IEND, JPEG
// segments up to EOI, GIF blocks up to the trailer, WebP chunks filling the
// RIFF size). Pixels are not decoded.
//
// Errors: ErrSVGNotAllowed for XML or SVG (whatever name or type it came
// with), ErrTooLarge (wrapped, with the limit) for more than maxBytes bytes or
// too many pixels, ErrUnsupported for anything else. Read at most maxBytes+1
// bytes of the upload (io.LimitReader) and pass them all.
func SniffImage(data []byte, maxBytes int) (contentType string, err error) {
	ct := magic(data)
	if ct == "" {
		if looksXML(data) {
			return "", ErrSVGNotAllowed
		}
		return "", ErrUnsupported
	}
	if len(data) > maxBytes {
		return "", fmt.Errorf("%w: the limit is %s", ErrTooLarge, formatBytes(maxBytes))
	}
	w, h, ok := dimensions(ct, data)
	if !ok || w < 1 || h < 1 {
		return "", ErrUnsupported
	}
	if w > MaxSide || h > MaxSide {
		return "", fmt.Errorf("%w: %d×%d pixels, the limit is %d×%d", ErrTooLarge, w, h, MaxSide, MaxSide)
	}
	if !complete(ct, data) {
		return "", ErrUnsupported
	}
	return ct, nil
}

func magic(d []byte) string {
	switch {
	case bytes.HasPrefix(d, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(d, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG
	case bytes.HasPrefix(d, []byte("GIF87a")), bytes.HasPrefix(d, []byte("GIF89a")):
		return GIF
	case len(d) >= 12 && string(d[:4]) == "RIFF" && string(d[8:12]) == "WEBP":
		return WebP
	}
	return ""
}

// looksXML reports XML or SVG: an XML declaration at the start, or an <svg
// element or the SVG namespace anywhere in the first MiB, in any case, in
// UTF-8 or UTF-16, after any byte-order mark.
func looksXML(d []byte) bool {
	if len(d) > 1<<20 {
		d = d[:1<<20]
	}
	p := bytes.ToLower(bytes.ReplaceAll(d, []byte{0}, nil)) // UTF-16 ASCII → ASCII
	for {
		if q, ok := bytes.CutPrefix(p, []byte("\xef\xbb\xbf")); ok {
			p = q
		} else if len(p) >= 2 && (p[0] == 0xFE && p[1] == 0xFF || p[0] == 0xFF && p[1] == 0xFE) {
			p = p[2:]
		} else {
			break
		}
	}
	p = bytes.TrimLeft(p, " \t\r\n")
	return bytes.HasPrefix(p, []byte("<?xml")) ||
		bytes.Contains(p, []byte("<svg")) ||
		bytes.Contains(p, []byte("http://www.w3.org/2000/svg"))
}

// Dimensions are the width and height in pixels of an image SniffImage accepted as
// contentType, read from its header.
func Dimensions(contentType string, data []byte) (w, h int, ok bool) {
	return dimensions(contentType, data)
}

func dimensions(ct string, d []byte) (w, h int, ok bool) {
	switch ct {
	case PNG:
		c, err := png.DecodeConfig(bytes.NewReader(d))
		return c.Width, c.Height, err == nil
	case JPEG:
		c, err := jpeg.DecodeConfig(bytes.NewReader(d))
		return c.Width, c.Height, err == nil
	case GIF:
		c, err := gif.DecodeConfig(bytes.NewReader(d))
		return c.Width, c.Height, err == nil
	case WebP:
		return webpDimensions(d)
	}
	return 0, 0, false
}

func complete(ct string, d []byte) bool {
	switch ct {
	case PNG:
		return pngComplete(d)
	case JPEG:
		return jpegComplete(d)
	case GIF:
		return gifComplete(d)
	case WebP:
		return true // webpDimensions checked the chunks
	}
	return false
}

// pngComplete walks the chunks after the signature: each must fit and match
// its CRC, and IEND must follow at least one IDAT.
func pngComplete(d []byte) bool {
	sawIDAT := false
	for i := 8; ; {
		if len(d)-i < 12 {
			return false
		}
		n := binary.BigEndian.Uint32(d[i:])
		if uint64(n) > uint64(len(d)-i-12) { // #nosec G115 -- len(d)-i >= 12 was checked just above
			return false
		}
		end := i + 8 + int(n)
		typ := string(d[i+4 : i+8])
		if crc32.ChecksumIEEE(d[i+4:end]) != binary.BigEndian.Uint32(d[end:]) {
			return false
		}
		switch typ {
		case "IDAT":
			sawIDAT = true
		case "IEND":
			return sawIDAT
		}
		i = end + 4
	}
}

// jpegComplete walks the segments after SOI, and the entropy-coded data after
// each SOS, up to EOI. Bytes after EOI are allowed (some cameras append
// data).
func jpegComplete(d []byte) bool {
	i := 2
	for {
		if i >= len(d) || d[i] != 0xFF {
			return false
		}
		for i < len(d) && d[i] == 0xFF { // fill bytes
			i++
		}
		if i >= len(d) {
			return false
		}
		m := d[i]
		i++
		switch {
		case m == 0xD9: // EOI
			return true
		case m >= 0xD0 && m <= 0xD7, m == 0x01: // RSTn, TEM: no length
			continue
		}
		if len(d)-i < 2 {
			return false
		}
		n := int(d[i])<<8 | int(d[i+1])
		if n < 2 || n > len(d)-i {
			return false
		}
		i += n
		if m != 0xDA { // not SOS
			continue
		}
		for { // entropy-coded data: FF is followed by 00 (stuffing) or RSTn
			j := bytes.IndexByte(d[i:], 0xFF)
			if j < 0 || i+j+1 >= len(d) {
				return false
			}
			i += j
			if next := d[i+1]; next == 0x00 || next >= 0xD0 && next <= 0xD7 {
				i += 2
				continue
			}
			break // a marker: back to the segment loop
		}
	}
}

// gifComplete walks the blocks after the logical screen descriptor up to the
// trailer.
func gifComplete(d []byte) bool {
	if len(d) < 13 {
		return false
	}
	i := 13
	if d[10]&0x80 != 0 { // global colour table
		i += 3 << (d[10]&7 + 1)
	}
	for i < len(d) {
		switch d[i] {
		case 0x3B: // trailer
			return true
		case 0x21: // extension: label, sub-blocks
			i = skipSubBlocks(d, i+2)
		case 0x2C: // image: descriptor, local colour table, LZW code size, sub-blocks
			if len(d)-i < 11 {
				return false
			}
			flags := d[i+9]
			i += 10
			if flags&0x80 != 0 {
				i += 3 << (flags&7 + 1)
			}
			i = skipSubBlocks(d, i+1)
		default:
			return false
		}
		if i < 0 {
			return false
		}
	}
	return false
}

// skipSubBlocks returns the index after the terminating empty sub-block
// starting at i, or -1 when the data ends first.
func skipSubBlocks(d []byte, i int) int {
	for i < len(d) {
		n := int(d[i])
		i++
		if n == 0 {
			return i
		}
		i += n
	}
	return -1
}

// webpDimensions reads the canvas size from the first chunk (VP8X, VP8 or
// VP8L) and checks that the chunks exactly fill the RIFF size, which the
// file must not be shorter than, and that there is image data.
func webpDimensions(d []byte) (w, h int, ok bool) {
	riff := uint64(binary.LittleEndian.Uint32(d[4:8]))
	if riff < 4+8 || riff+8 > uint64(len(d)) {
		return 0, 0, false
	}
	end := int(riff) + 8 // #nosec G115 -- riff+8 <= len(d) was checked just above
	image := false
	for i := 12; i < end; {
		if end-i < 8 {
			return 0, 0, false
		}
		fourcc := string(d[i : i+4])
		n := uint64(binary.LittleEndian.Uint32(d[i+4:]))
		if n > uint64(end-i-8) {
			return 0, 0, false
		}
		body := d[i+8 : i+8+int(n)] // #nosec G115 -- n <= end-i-8 was checked just above
		if i == 12 {
			if w, h, ok = webpCanvas(fourcc, body); !ok {
				return 0, 0, false
			}
		}
		switch fourcc {
		case "VP8 ", "VP8L", "ANMF":
			image = true
		}
		i += 8 + int(n) + int(n&1) // #nosec G115 -- n <= end-i-8 was checked above
	}
	return w, h, image
}

func webpCanvas(fourcc string, b []byte) (w, h int, ok bool) {
	switch fourcc {
	case "VP8X":
		if len(b) < 10 {
			return 0, 0, false
		}
		w = int(b[4]) | int(b[5])<<8 | int(b[6])<<16
		h = int(b[7]) | int(b[8])<<8 | int(b[9])<<16
		return w + 1, h + 1, true
	case "VP8 ":
		if len(b) < 10 || b[0]&1 != 0 || !bytes.Equal(b[3:6], []byte{0x9D, 0x01, 0x2A}) { // a key frame
			return 0, 0, false
		}
		w = int(binary.LittleEndian.Uint16(b[6:])) & 0x3FFF
		h = int(binary.LittleEndian.Uint16(b[8:])) & 0x3FFF
		return w, h, true
	case "VP8L":
		if len(b) < 5 || b[0] != 0x2F {
			return 0, 0, false
		}
		bits := binary.LittleEndian.Uint32(b[1:])
		if bits>>29 != 0 { // version
			return 0, 0, false
		}
		return int(bits&0x3FFF) + 1, int(bits>>14&0x3FFF) + 1, true
	}
	return 0, 0, false
}

func formatBytes(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
