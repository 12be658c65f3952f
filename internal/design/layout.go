package design

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // logos may be JPEG
	"image/png"
	"strings"
	"sync"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

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
	Values     Values // the credential's values (ValuesOf)
	VerifyURL  string // the QR code's link
	Logo       []byte // the organization's logo (PNG or JPEG), nil for none
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
}

// Layout is a laid-out page: what both the PDF and the PNG draw.
type Layout struct {
	W, H       float64
	Background RGB
	Border     *RGB
	Ops        []Op
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
	var logo image.Image
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
			if len(in.Logo) == 0 {
				continue
			}
			if logo == nil {
				img, err := decodeLogo(in.Logo)
				if err != nil {
					return nil, err
				}
				logo = img
			}
			b := logo.Bounds()
			iw, ih := float64(b.Dx()), float64(b.Dy())
			scale := min(e.W/iw, e.H/ih)
			op.W, op.H = iw*scale, ih*scale
			op.X, op.Y = e.X+(e.W-op.W)/2, e.Y+(e.H-op.H)/2
			op.Image = logo
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

// pngOf encodes img as a plain (non-interlaced) PNG, which the PDF writer reads.
func pngOf(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
