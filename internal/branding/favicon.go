package branding

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/png"

	"golang.org/x/image/draw"
)

// FaviconSizes are the square sizes browsers ask for: 16 and 32 (tabs), 180 (Apple's
// touch icon), 192 and 512 (Android and installed web apps).
var FaviconSizes = []int{16, 32, 180, 192, 512}

// Favicon refusals, worded for the uploader.
var (
	ErrFaviconType   = errors.New("a favicon must be a PNG or an ICO file")
	ErrFaviconBitmap = errors.New("this ICO file holds bitmap images; upload it as a PNG, or an ICO of PNG images")
	ErrFaviconBroken = errors.New("the image could not be read; it may be damaged")
	ErrFaviconSize   = errors.New("a favicon must be from 16 to 4096 pixels a side")
)

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// Favicons reads a PNG, or an ICO whose largest image is a PNG, and returns it as PNGs
// of each of FaviconSizes (centred on a transparent square when it is not square).
// The image's header is read first: at most 4096 pixels a side are decoded.
func Favicons(data []byte) (map[int][]byte, error) {
	src := data
	switch {
	case bytes.HasPrefix(data, pngMagic):
	case len(data) >= 6 && binary.LittleEndian.Uint16(data[0:]) == 0 && binary.LittleEndian.Uint16(data[2:]) == 1:
		var err error
		if src, err = icoLargest(data); err != nil {
			return nil, err
		}
	default:
		return nil, ErrFaviconType
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(src))
	if err != nil {
		return nil, ErrFaviconBroken
	}
	if cfg.Width < 16 || cfg.Height < 16 || cfg.Width > 4096 || cfg.Height > 4096 {
		return nil, ErrFaviconSize
	}
	img, err := png.Decode(bytes.NewReader(src))
	if err != nil {
		return nil, ErrFaviconBroken
	}
	out := make(map[int][]byte, len(FaviconSizes))
	for _, n := range FaviconSizes {
		dst := image.NewNRGBA(image.Rect(0, 0, n, n))
		b := img.Bounds()
		w, h := n, n
		if b.Dx() > b.Dy() {
			h = max(1, n*b.Dy()/b.Dx())
		} else if b.Dy() > b.Dx() {
			w = max(1, n*b.Dx()/b.Dy())
		}
		r := image.Rect((n-w)/2, (n-h)/2, (n-w)/2+w, (n-h)/2+h)
		draw.CatmullRom.Scale(dst, r, img, b, draw.Over, nil)
		var buf bytes.Buffer
		if err := png.Encode(&buf, dst); err != nil {
			return nil, err
		}
		out[n] = buf.Bytes()
	}
	return out, nil
}

// icoLargest is the bytes of the largest image of an ICO file, which must be a PNG.
func icoLargest(data []byte) ([]byte, error) {
	n := int(binary.LittleEndian.Uint16(data[4:]))
	if n == 0 || len(data) < 6+16*n {
		return nil, ErrFaviconBroken
	}
	best, bestSide := []byte(nil), -1
	for i := range n {
		e := data[6+16*i:]
		side := int(e[0])
		if side == 0 {
			side = 256
		}
		size, off := binary.LittleEndian.Uint32(e[8:]), binary.LittleEndian.Uint32(e[12:])
		if uint64(off)+uint64(size) > uint64(len(data)) || size == 0 {
			return nil, ErrFaviconBroken
		}
		if side > bestSide {
			best, bestSide = data[off:off+size], side
		}
	}
	if !bytes.HasPrefix(best, pngMagic) {
		return nil, ErrFaviconBitmap
	}
	return best, nil
}
