package design

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"strings"
	"sync"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	_ "golang.org/x/image/webp" // library images may be WebP

	"github.com/trustcred/trustcred/internal/qrcode"
)

var (
	//go:embed fonts/DejaVuSans.ttf
	fontSans []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontSansBold []byte
	//go:embed fonts/DejaVuSerif.ttf
	fontSerif []byte
	//go:embed fonts/DejaVuSerif-Bold.ttf
	fontSerifBold []byte
)

// fontBytes are the embedded TrueType files by font name.
var fontBytes = map[string][]byte{"sans": fontSans, "sans-bold": fontSansBold, "serif": fontSerif, "serif-bold": fontSerifBold}

var (
	parseFonts sync.Once
	parsed     map[string]*sfnt.Font
)

// sfntFont is the parsed font of that name (sans when unknown).
func sfntFont(name string) *sfnt.Font {
	parseFonts.Do(func() {
		parsed = map[string]*sfnt.Font{}
		for n, b := range fontBytes {
			f, err := sfnt.Parse(b)
			if err != nil {
				panic("design: embedded font " + n + ": " + err.Error()) // the embedded files are fixed
			}
			parsed[n] = f
		}
	})
	if f, ok := parsed[name]; ok {
		return f
	}
	return parsed["sans"]
}

// ptToMM converts points to millimetres.
const ptToMM = 25.4 / 72

// textWidth is s's advance width in millimetres at size points.
func textWidth(font string, s string, size float64) float64 {
	f := sfntFont(font)
	var buf sfnt.Buffer
	upem := fixed.Int26_6(f.UnitsPerEm())
	var sum fixed.Int26_6
	for _, r := range s {
		g, err := f.GlyphIndex(&buf, r)
		if err != nil {
			continue
		}
		adv, err := f.GlyphAdvance(&buf, g, upem, 0) // in font units
		if err != nil {
			continue
		}
		sum += adv
	}
	return float64(sum) / float64(upem) * size * ptToMM
}

// RGB is a colour.
type RGB struct{ R, G, B uint8 }

func colour(s string, def RGB) RGB {
	if !hexColour.MatchString(s) {
		return def
	}
	var c RGB
	if _, err := fmt.Sscanf(s[1:], "%02x%02x%02x", &c.R, &c.G, &c.B); err != nil {
		return def
	}
	return c
}

var (
	black = RGB{0x11, 0x18, 0x27}
	white = RGB{0xff, 0xff, 0xff}
)

// Input is what one credential's certificate shows.
type Input struct {
	Values    Values // the credential's values (ValuesOf)
	VerifyURL string // the QR code's link
	Logo      []byte // the organization's logo (PNG or JPEG), nil for none
	// Images are the library images the design names (Design.Assets), by name:
	// PNG, JPEG or WebP files. A missing or unreadable one is not drawn.
	Images     map[string][]byte
	Credential []byte // the signed credential, embedded in the PDF
	Title      string // the PDF's title
}

// Op is one drawing operation of a laid-out page, in millimetres.
type Op struct {
	Type       string // text, image, qr, line, box
	X, Y, W, H float64
	// text: drawn from (TX, Baseline) in Font at Size points.
	Text         string
	TX, Baseline float64
	Font         string
	Size         float64
	Colour       RGB
	Fill         *RGB
	Stroke       float64
	QR           [][]bool
	Image        image.Image
	// JPEG is the source file of Image when Image is that JPEG unchanged (not
	// cut or scaled): the PDF embeds it as it is instead of encoding it again.
	JPEG []byte
}

// Layout is a laid-out page: what both the PDF and the PNG draw.
type Layout struct {
	W, H       float64
	Background RGB
	// Back is the background image (an image Op), drawn over Background and
	// under Border and Ops; nil for none.
	Back   *Op
	Border *RGB
	Ops    []Op
	// Runs are the texts drawn, in order: what the PDF's page shows;
	// RunFields the field each shows ("" for the design's fixed text).
	Runs, RunFields []string
}

// MaxLogoPixels bounds the logo's decoded size.
const MaxLogoPixels = 4096 * 4096

// ErrLogo is a logo that cannot be drawn.
var ErrLogo = errors.New("design: the logo is not a PNG or JPEG image that can be drawn")

// Lay lays out d for in.
func Lay(d *Design, in Input) (*Layout, error) {
	l := &Layout{Background: colour(d.Background.Colour, white)}
	l.W, l.H = d.Page.PageSize()
	if d.Background.Border != "" {
		c := colour(d.Background.Border, black)
		l.Border = &c
	}
	decoded := map[string]image.Image{}
	files := map[image.Image][]byte{} // the JPEG file each decoded JPEG came from
	var failed error
	// source is the image of src, decoded once (nil: none, not drawn).
	source := func(src string) image.Image {
		if img, ok := decoded[src]; ok {
			return img
		}
		var img image.Image
		if src == Logo {
			if len(in.Logo) > 0 {
				var err error
				if img, err = decodeLogo(in.Logo); err != nil {
					failed = err
				}
			}
		} else if b := in.Images[Asset(src)]; len(b) > 0 {
			img, _ = decodeLogo(b) // checked at upload: one that fails now is left out
		}
		if img != nil {
			if b := in.Images[Asset(src)]; src == Logo {
				files[img] = in.Logo
			} else {
				files[img] = b
			}
		}
		decoded[src] = img
		return img
	}
	// keep marks op's image as its source JPEG when it is drawn unchanged.
	keep := func(op *Op) {
		if f := files[op.Image]; bytes.HasPrefix(f, []byte{0xFF, 0xD8, 0xFF}) {
			op.JPEG = f
		}
	}
	if d.Background.Image != "" {
		if img := source(d.Background.Image); img != nil {
			op := Op{Type: TypeImage}
			if d.Background.Fit == "contain" {
				op = fitted(img, 0, 0, l.W, l.H)
			} else {
				op.X, op.Y, op.W, op.H = 0, 0, l.W, l.H
				op.Image = cover(img, l.W/l.H)
			}
			op.Image = atMost(op.Image, op.W, op.H)
			keep(&op)
			l.Back = &op
		}
	}
	if failed != nil {
		return nil, failed
	}
	for _, e := range d.Elements {
		op := Op{Type: e.Type, X: e.X, Y: e.Y, W: e.W, H: e.H, Colour: colour(e.Colour, black), Stroke: e.Stroke}
		switch e.Type {
		case TypeText, TypeField:
			s := e.Text
			if e.Type == TypeField {
				s = Clean(in.Values[e.Field])
			} else {
				s, e.Field = Clean(s), ""
			}
			if s == "" {
				continue
			}
			op.Type = TypeText
			op.Font = e.Font
			if _, ok := fontBytes[op.Font]; !ok {
				op.Font = "sans"
			}
			op.Size = e.Size
			if op.Size == 0 {
				op.Size = DefaultSize
			}
			op.Text, op.Size = fit(op.Font, s, op.Size, e.W)
			w := textWidth(op.Font, op.Text, op.Size)
			switch e.Align {
			case "center":
				op.TX = e.X + (e.W-w)/2
			case "right":
				op.TX = e.X + e.W - w
			default:
				op.TX = e.X
			}
			op.Baseline = e.Y + e.H/2 + 0.36*op.Size*ptToMM
			l.Runs = append(l.Runs, op.Text)
			l.RunFields = append(l.RunFields, e.Field)
		case TypeImage:
			img := source(e.Image)
			if failed != nil {
				return nil, failed
			}
			if img == nil {
				continue
			}
			op = fitted(img, e.X, e.Y, e.W, e.H)
			op.Image = atMost(op.Image, op.W, op.H)
			keep(&op)
		case TypeQR:
			if in.VerifyURL == "" {
				continue
			}
			m, err := qrcode.Matrix(in.VerifyURL)
			if err != nil {
				return nil, err
			}
			side := min(e.W, e.H)
			op.W, op.H = side, side
			op.QR = m
		case TypeBox:
			if e.Fill != "" {
				c := colour(e.Fill, white)
				op.Fill = &c
			}
		}
		l.Ops = append(l.Ops, op)
	}
	return l, nil
}

// fit makes s fit in width w mm: a smaller size, down to MinSize, then cut
// with an ellipsis.
func fit(font, s string, size, w float64) (string, float64) {
	tw := textWidth(font, s, size)
	if tw <= w {
		return s, size
	}
	size = max(size*w/tw*0.999, MinSize)
	if textWidth(font, s, size) <= w {
		return s, size
	}
	r := []rune(s)
	for len(r) > 0 {
		r = r[:len(r)-1]
		t := strings.TrimSpace(string(r)) + "…"
		if textWidth(font, t, size) <= w {
			return t, size
		}
	}
	return "…", size
}

// fitted is an image Op of img fitted into the w×h box at (x, y), keeping its
// proportions, centred.
func fitted(img image.Image, x, y, w, h float64) Op {
	b := img.Bounds()
	iw, ih := float64(b.Dx()), float64(b.Dy())
	scale := min(w/iw, h/ih)
	op := Op{Type: TypeImage, W: iw * scale, H: ih * scale, Image: img}
	op.X, op.Y = x+(w-op.W)/2, y+(h-op.H)/2
	return op
}

// cover is the middle part of img of the aspect ratio (width / height): what
// of it fills a box of that ratio, cut evenly on both sides.
func cover(img image.Image, aspect float64) image.Image {
	b := img.Bounds()
	r := b
	if math.Abs(float64(b.Dx())/float64(b.Dy())-aspect)*float64(b.Dy()) < 1 { // already the ratio, within a pixel
		return img
	}
	if float64(b.Dx())/float64(b.Dy()) > aspect { // wider: cut the sides
		w := max(int(math.Round(float64(b.Dy())*aspect)), 1)
		r.Min.X += (b.Dx() - w) / 2
		r.Max.X = r.Min.X + w
	} else {
		h := max(int(math.Round(float64(b.Dx())/aspect)), 1)
		r.Min.Y += (b.Dy() - h) / 2
		r.Max.Y = r.Min.Y + h
	}
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r)
	}
	dst := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	xdraw.Copy(dst, image.Point{}, img, r, xdraw.Src, nil)
	return dst
}

// MaxImageDPI is the most detail an image keeps in a certificate: a larger one
// is scaled down to this resolution at its drawn size, so that a 4096-pixel
// photo in a 30 mm box does not make the PDF megabytes long.
const MaxImageDPI = 200

// atMost is img scaled down to MaxImageDPI at w×h mm (img itself when it is
// not larger).
func atMost(img image.Image, w, h float64) image.Image {
	b := img.Bounds()
	mw, mh := int(math.Ceil(w/25.4*MaxImageDPI)), int(math.Ceil(h/25.4*MaxImageDPI))
	if b.Dx() <= mw || b.Dy() <= mh || mw < 1 || mh < 1 {
		return img
	}
	dst := image.NewNRGBA(image.Rect(0, 0, mw, mh))
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
	return dst
}

func decodeLogo(b []byte) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxLogoPixels {
		return nil, ErrLogo
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, ErrLogo
	}
	return img, nil
}

// pdfImageOf encodes img for the PDF writer: an opaque image as a JPEG
// (photographs and scans stay small), one with transparency as a plain
// (non-interlaced) PNG, which keeps its alpha. typ is fpdf's image type.
func pdfImageOf(img image.Image) (data []byte, typ string, err error) {
	var buf bytes.Buffer
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
		return buf.Bytes(), "JPG", err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	err = enc.Encode(&buf, img)
	return buf.Bytes(), "PNG", err
}
