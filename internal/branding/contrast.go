// Package branding holds the rules of an organization's white-label look: the WCAG
// contrast check of its colours (with a suggested nearest passing colour) and the
// sanitizer of its custom CSS. It has no database and no HTTP: the store persists what it
// returns and the handlers show its verdicts.
package branding

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrColour is returned for a colour that is not #rrggbb.
var ErrColour = errors.New("colour must look like #1a2b3c")

// RGB is an 8-bit sRGB colour.
type RGB struct{ R, G, B uint8 }

// ParseHex parses #rrggbb (either case).
func ParseHex(s string) (RGB, error) {
	if len(s) != 7 || s[0] != '#' {
		return RGB{}, ErrColour
	}
	var v [3]uint8
	for i := range v {
		hi, ok1 := hexDigit(s[1+2*i])
		lo, ok2 := hexDigit(s[2+2*i])
		if !ok1 || !ok2 {
			return RGB{}, ErrColour
		}
		v[i] = hi<<4 | lo
	}
	return RGB{v[0], v[1], v[2]}, nil
}

func hexDigit(c byte) (uint8, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Hex is the colour as lower-case #rrggbb.
func (c RGB) Hex() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// Luminance is the WCAG 2.2 relative luminance (0 for black, 1 for white).
func (c RGB) Luminance() float64 {
	return 0.2126*linear(c.R) + 0.7152*linear(c.G) + 0.0722*linear(c.B)
}

// linear is the sRGB transfer function inverted. WCAG 2.x prints 0.03928 as the
// threshold; 0.04045 is the sRGB standard's value and gives the same result for every
// 8-bit channel.
func linear(v uint8) float64 {
	x := float64(v) / 255
	if x <= 0.04045 {
		return x / 12.92
	}
	return math.Pow((x+0.055)/1.055, 2.4)
}

// Contrast is the WCAG contrast ratio of two colours, from 1 to 21; the order does not
// matter. It is not rounded: WCAG compares the exact ratio (4.499 fails 4.5).
func Contrast(a, b RGB) float64 {
	la, lb := a.Luminance(), b.Luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// Minimum ratios of WCAG 2.2 level AA.
const (
	AANormalText = 4.5 // 1.4.3, text below 18pt (14pt bold)
	AALargeText  = 3.0 // 1.4.3, large text
	AANonText    = 3.0 // 1.4.11, user interface components and graphics
)

// The public page's fixed colours that brand colours are shown with (views/public and
// the email layout use these same values).
var (
	White       = RGB{0xff, 0xff, 0xff} // page background; text on primary buttons and header
	CardSurface = RGB{0xf9, 0xfa, 0xfb} // credential card background (gray-50)
)

// Role is one of the organization's brand colours.
type Role string

const (
	Primary   Role = "primary"
	Secondary Role = "secondary"
	Accent    Role = "accent"
)

// Roles in the order the editor shows them.
var Roles = []Role{Primary, Secondary, Accent}

// Use is one way the public page shows a brand colour: next to Against, needing Min.
type Use struct {
	What    string // for a person: "white button text on the primary colour"
	Against RGB
	Min     float64
}

// Uses says, for each role, the pairs the public page and the recipient email put it in.
// A colour passes when every one of its uses passes.
//
//   - primary fills the header band and the buttons, with white text on it (normal text);
//   - secondary colours headings and links on the white page and on the credential card;
//   - accent draws borders, focus rings and icons on the page and the card (non-text).
var Uses = map[Role][]Use{
	Primary: {
		{What: "white text on the primary colour (header and buttons)", Against: White, Min: AANormalText},
	},
	Secondary: {
		{What: "headings and links on the white page", Against: White, Min: AANormalText},
		{What: "headings and links on the credential card", Against: CardSurface, Min: AANormalText},
	},
	Accent: {
		{What: "borders, focus rings and icons on the white page", Against: White, Min: AANonText},
		{What: "borders, focus rings and icons on the credential card", Against: CardSurface, Min: AANonText},
	},
}

// Result is one use's verdict.
type Result struct {
	Use
	Ratio float64
	Pass  bool
}

// Verdict is the contrast check of one brand colour.
type Verdict struct {
	Role       Role
	Colour     RGB
	Results    []Result
	Pass       bool
	Suggestion RGB // the nearest colour that passes every use; Colour itself when it passes
}

// Ratio formats a contrast ratio the way WCAG tools show it: truncated to two decimals
// so that a failing 4.499 never reads as "4.50:1".
func Ratio(r float64) string {
	return fmt.Sprintf("%.2f:1", math.Floor(r*100)/100)
}

// Summary is a one-line explanation of the verdict for the editor.
func (v Verdict) Summary() string {
	if v.Pass {
		return "Passes WCAG AA contrast"
	}
	var failed []string
	for _, r := range v.Results {
		if !r.Pass {
			failed = append(failed, fmt.Sprintf("%s is %s, needs %s", r.What, Ratio(r.Ratio), Ratio(r.Min)))
		}
	}
	return "Fails WCAG AA: " + strings.Join(failed, "; ")
}

// Check runs a role's uses against c and suggests the nearest passing colour.
func Check(role Role, c RGB) Verdict {
	uses := Uses[role]
	v := Verdict{Role: role, Colour: c, Pass: true, Suggestion: c}
	for _, u := range uses {
		r := Contrast(c, u.Against)
		ok := r >= u.Min
		v.Results = append(v.Results, Result{Use: u, Ratio: r, Pass: ok})
		v.Pass = v.Pass && ok
	}
	if !v.Pass {
		v.Suggestion = Nearest(c, uses)
	}
	return v
}

func passes(c RGB, uses []Use) bool {
	for _, u := range uses {
		if Contrast(c, u.Against) < u.Min {
			return false
		}
	}
	return true
}

// Nearest returns the colour closest to c that passes every use: same OKLCH hue and
// chroma, only the perceptual lightness L moved, by the smallest amount (in steps of
// 0.001) that makes it pass, darker or lighter. When the chroma does not fit in sRGB at
// the new lightness it is reduced until it does (the hue is kept). Black or white passes
// any single use (one of them has at least √21 ≈ 4.58:1 with any colour), so for the
// uses above a suggestion always exists; if none did, c is returned unchanged.
func Nearest(c RGB, uses []Use) RGB {
	if passes(c, uses) {
		return c
	}
	l, ch, h := toOKLCH(c)
	const step = 0.001
	for d := step; d <= 1+step; d += step {
		var found []RGB
		for _, nl := range []float64{l - d, l + d} {
			if nl < 0 || nl > 1 {
				continue
			}
			if cand := fromOKLCH(nl, ch, h); passes(cand, uses) {
				found = append(found, cand)
			}
		}
		switch len(found) {
		case 1:
			return found[0]
		case 2: // equally far in L either way: take the one closer in OKLab
			if distance(c, found[0]) <= distance(c, found[1]) {
				return found[0]
			}
			return found[1]
		}
	}
	for _, edge := range []RGB{{}, White} {
		if passes(edge, uses) {
			return edge
		}
	}
	return c
}

func distance(a, b RGB) float64 {
	al, aa, ab := toOKLab(a)
	bl, ba, bb := toOKLab(b)
	return math.Sqrt((al-bl)*(al-bl) + (aa-ba)*(aa-ba) + (ab-bb)*(ab-bb))
}

// OKLab/OKLCH after Björn Ottosson, "A perceptual color space for image processing" (2020).

func toOKLab(c RGB) (L, a, b float64) {
	r, g, bl := linear(c.R), linear(c.G), linear(c.B)
	l := math.Cbrt(0.4122214708*r + 0.5363325363*g + 0.0514459929*bl)
	m := math.Cbrt(0.2119034982*r + 0.6806995451*g + 0.1073969566*bl)
	s := math.Cbrt(0.0883024619*r + 0.2817188376*g + 0.6299787005*bl)
	return 0.2104542553*l + 0.7936177850*m - 0.0040720468*s,
		1.9779984951*l - 2.4285922050*m + 0.4505937099*s,
		0.0259040371*l + 0.7827717662*m - 0.8086757660*s
}

func toOKLCH(c RGB) (L, C, h float64) {
	L, a, b := toOKLab(c)
	return L, math.Hypot(a, b), math.Atan2(b, a)
}

// oklabToLinear returns linear sRGB, possibly outside [0, 1].
func oklabToLinear(L, a, b float64) (r, g, bl float64) {
	l := L + 0.3963377774*a + 0.2158037573*b
	m := L - 0.1055613458*a - 0.0638541728*b
	s := L - 0.0894841775*a - 1.2914855480*b
	l, m, s = l*l*l, m*m*m, s*s*s
	return 4.0767416621*l - 3.3077115913*m + 0.2309699292*s,
		-1.2684380046*l + 2.6097574011*m - 0.3413193965*s,
		-0.0041960863*l - 0.7034186147*m + 1.7076147010*s
}

func inGamut(r, g, b float64) bool {
	const eps = 1e-6
	return r >= -eps && r <= 1+eps && g >= -eps && g <= 1+eps && b >= -eps && b <= 1+eps
}

// fromOKLCH converts to 8-bit sRGB, reducing the chroma (binary search) until the colour
// is inside the sRGB gamut.
func fromOKLCH(L, C, h float64) RGB {
	conv := func(c float64) (float64, float64, float64) {
		return oklabToLinear(L, c*math.Cos(h), c*math.Sin(h))
	}
	if r, g, b := conv(C); inGamut(r, g, b) {
		return quantize(r, g, b)
	}
	lo, hi := 0.0, C
	for range 24 {
		mid := (lo + hi) / 2
		if r, g, b := conv(mid); inGamut(r, g, b) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return quantize(conv(lo))
}

func quantize(r, g, b float64) RGB {
	return RGB{encode(r), encode(g), encode(b)}
}

func encode(x float64) uint8 {
	x = min(max(x, 0), 1)
	if x <= 0.0031308 {
		x *= 12.92
	} else {
		x = 1.055*math.Pow(x, 1/2.4) - 0.055
	}
	return uint8(math.Round(x * 255))
}
