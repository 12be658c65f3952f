// Package design is the certificate design format (the JSON kept in
// custom_credential_templates.design_data) and what is made from it: the
// layout of one credential's certificate, drawn as a PDF (fpdf) and as a PNG
// preview from the same layout, and the reading of such a PDF back (its
// embedded credential and its visible text).
//
// # Format, version 1
//
//	{
//	  "version": 1,
//	  "page": {"size": "A4", "orientation": "landscape"},
//	  "background": {"colour": "#ffffff", "border": "#1e3a8a", "image": "asset:paper", "fit": "cover"},
//	  "elements": [
//	    {"type": "text",  "x": 20, "y": 20, "w": 257, "h": 14, "text": "Certificate", "font": "serif-bold", "size": 32, "colour": "#1e293b", "align": "center"},
//	    {"type": "field", "x": 20, "y": 60, "w": 257, "h": 12, "field": "recipient_name", "size": 24, "align": "center"},
//	    {"type": "image", "x": 20, "y": 170, "w": 30, "h": 20, "image": "logo"},
//	    {"type": "image", "x": 180, "y": 160, "w": 50, "h": 20, "image": "asset:dean-signature"},
//	    {"type": "qr",    "x": 247, "y": 170, "w": 30, "h": 30},
//	    {"type": "line",  "x": 20, "y": 100, "w": 257, "h": 0, "colour": "#94a3b8", "stroke": 0.4},
//	    {"type": "box",   "x": 10, "y": 10, "w": 277, "h": 190, "colour": "#1e3a8a", "fill": "#f8fafc", "stroke": 1}
//	  ]
//	}
//
// Lengths are millimetres from the page's top-left corner; size is in points.
// page.size is A4 or Letter, page.orientation portrait or landscape.
// Element types:
//   - text: fixed text (text).
//   - field: the credential's value of field, one of the built-in names
//     (recipient_name, issuer_name, title, issued_on, expires_on, credential_id)
//     or the name of a field of the credential's subject (its schema field).
//   - image: image "logo" (the organization's logo) or "asset:<name>" (an image
//     of the organization's image library, /settings/branding/images: a
//     signature, a seal), fitted into w×h keeping its proportions.
//   - qr: the QR code of the credential's verify link, a square of side min(w, h).
//   - line: from (x, y) to (x+w, y+h), colour and stroke (width, mm).
//   - box: a rectangle, outline colour and stroke (0: none), fill (optional).
//
// Text and field elements are one line inside their w×h box, aligned left,
// center or right and centred vertically; text wider than w is made smaller
// until it fits (never below 4 pt, then cut with an ellipsis). font is sans
// (the default), sans-bold, serif or serif-bold (DejaVu, embedded: fonts/LICENSE);
// colour is #rrggbb (default #111827).
//
// background.image (optional) is "logo" or "asset:<name>", drawn over the
// background colour and under the border and the elements: fit "cover" (the
// default) fills the page, cutting what overflows it evenly on both sides;
// "contain" shows the whole image, centred. Images are PNG, JPEG or WebP.
// ValidateWith refuses an asset that is not in the library it is given.
//
// Background images and asset sources were added without changing the
// version: they are optional, and a document without them means what it
// meant before, so every version 1 document stays valid and unchanged.
// (A renderer from before them would refuse "asset:" sources in Validate
// rather than draw something else.)
//
// A design without "version" is the earlier format (store.DesignElement:
// kind, percentages of the page); Parse converts it.
package design

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/trustcred/trustcred/internal/branding"
)

// Version is the format version this package writes.
const Version = 1

// Limits on a design.
const (
	MaxElements = 100
	MaxText     = 500 // characters of a text element
	MaxBytes    = 64 << 10
	MinSize     = 4.0  // pt
	MaxSize     = 200. // pt
)

// What a text or field element without colour or size is drawn with.
const (
	DefaultColour = "#111827"
	DefaultSize   = 14.0 // pt
)

// Design is a certificate design (format version 1).
type Design struct {
	Version    int        `json:"version"`
	Page       Page       `json:"page"`
	Background Background `json:"background,omitzero"`
	Elements   []Element  `json:"elements"`
}

// Page is the paper.
type Page struct {
	Size        string `json:"size"`        // A4, Letter
	Orientation string `json:"orientation"` // portrait, landscape
}

// Background is the page's colour, an optional image and an optional border
// just inside the edge.
type Background struct {
	Colour string `json:"colour,omitempty"` // #rrggbb, white when empty
	Border string `json:"border,omitempty"` // #rrggbb, none when empty
	Image  string `json:"image,omitempty"`  // "logo", "asset:<name>", none when empty
	Fit    string `json:"fit,omitempty"`    // cover (when empty), contain
}

// Element is one positioned element.
type Element struct {
	Type   string  `json:"type"` // text, field, image, qr, line, box
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	W      float64 `json:"w"`
	H      float64 `json:"h"`
	Text   string  `json:"text,omitempty"`
	Field  string  `json:"field,omitempty"`
	Image  string  `json:"image,omitempty"`
	Font   string  `json:"font,omitempty"`
	Size   float64 `json:"size,omitempty"`
	Colour string  `json:"colour,omitempty"`
	Align  string  `json:"align,omitempty"`
	Fill   string  `json:"fill,omitempty"`
	Stroke float64 `json:"stroke,omitempty"`
}

// Element types.
const (
	TypeText  = "text"
	TypeField = "field"
	TypeImage = "image"
	TypeQR    = "qr"
	TypeLine  = "line"
	TypeBox   = "box"
)

// Types are the element types, in the order the editor offers them.
var Types = []string{TypeText, TypeField, TypeImage, TypeQR, TypeLine, TypeBox}

// Fonts are the embedded fonts' names.
var Fonts = []string{"sans", "sans-bold", "serif", "serif-bold"}

// Logo is the image source of the organization's logo.
const Logo = "logo"

// AssetPrefix starts the image source of an image of the library: asset:<name>.
const AssetPrefix = "asset:"

// Asset is the name of the library image src names, "" for none (the logo).
func Asset(src string) string {
	name, ok := strings.CutPrefix(src, AssetPrefix)
	if !ok {
		return ""
	}
	return name
}

// validSource reports whether src is the logo or a well-formed asset source.
func validSource(src string) bool {
	return src == Logo || branding.ValidAssetName(Asset(src))
}

// Assets are the names of the library images d shows, each once.
func (d *Design) Assets() []string {
	var out []string
	add := func(src string) {
		if n := Asset(src); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	add(d.Background.Image)
	for _, e := range d.Elements {
		if e.Type == TypeImage {
			add(e.Image)
		}
	}
	return out
}

// BuiltinFields are the field names every credential has, with their labels.
var BuiltinFields = []struct{ Name, Label string }{
	{"recipient_name", "Recipient's name"},
	{"issuer_name", "Issuer's name"},
	{"title", "Credential title"},
	{"issued_on", "Issued on"},
	{"expires_on", "Expires on"},
	{"credential_id", "Credential link"},
}

// PageSize is the page's width and height in millimetres.
func (p Page) PageSize() (w, h float64) {
	w, h = 210, 297
	if p.Size == "Letter" {
		w, h = 215.9, 279.4
	}
	if p.Orientation == "landscape" {
		w, h = h, w
	}
	return w, h
}

// FieldErrors are a design's problems by path: "page.size", "elements.3.x",
// "elements" for the list itself.
type FieldErrors map[string]string

func (e FieldErrors) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e[k]
	}
	return "design: " + strings.Join(parts, "; ")
}

// ErrNotDesign is a document that is not a design at all (not a JSON
// object, too large, an unknown version).
var ErrNotDesign = errors.New("design: not a certificate design")

var (
	hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	fieldName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
)

func oneOf(v string, list ...string) bool {
	for _, x := range list {
		if v == x {
			return true
		}
	}
	return false
}

// Validate checks the design and returns its problems (nil when none). The
// names of asset sources are checked for their form only; ValidateWith also
// checks that the library has them.
func (d *Design) Validate() error { return d.ValidateWith(nil) }

// ValidateWith is Validate, and, when library is not nil, refuses an asset
// source whose name is not in it.
func (d *Design) ValidateWith(library map[string]bool) error {
	errs := FieldErrors{}
	source := func(key, src string) {
		switch {
		case !validSource(src):
			errs[key] = "choose the image to show"
		case library != nil && Asset(src) != "" && !library[Asset(src)]:
			errs[key] = fmt.Sprintf("there is no image %q in your image library", Asset(src))
		}
	}
	if d.Version != Version {
		errs["version"] = fmt.Sprintf("must be %d", Version)
	}
	if !oneOf(d.Page.Size, "A4", "Letter") {
		errs["page.size"] = "choose A4 or Letter"
	}
	if !oneOf(d.Page.Orientation, "portrait", "landscape") {
		errs["page.orientation"] = "choose portrait or landscape"
	}
	if d.Background.Colour != "" && !hexColour.MatchString(d.Background.Colour) {
		errs["background.colour"] = "must be a colour like #ffffff"
	}
	if d.Background.Border != "" && !hexColour.MatchString(d.Background.Border) {
		errs["background.border"] = "must be a colour like #1e3a8a"
	}
	if d.Background.Image != "" {
		source("background.image", d.Background.Image)
	}
	if !oneOf(d.Background.Fit, "", "cover", "contain") {
		errs["background.fit"] = "choose cover or contain"
	}
	if len(d.Elements) > MaxElements {
		errs["elements"] = fmt.Sprintf("a design has at most %d elements", MaxElements)
	}
	pw, ph := d.Page.PageSize()
	_, badSize := errs["page.size"]
	_, badOrientation := errs["page.orientation"]
	if badSize || badOrientation {
		pw, ph = 1e6, 1e6 // the page is unknown: positions are judged once it is chosen
	}
	for i, e := range d.Elements {
		if i >= MaxElements {
			break
		}
		key := func(f string) string { return "elements." + strconv.Itoa(i) + "." + f }
		if !oneOf(e.Type, Types...) {
			errs[key("type")] = "choose text, field, image, qr, line or box"
			continue
		}
		inPage := func(f string, v, limit float64) {
			if v != v || v < 0 || v > limit { // v != v: NaN
				errs[key(f)] = fmt.Sprintf("must be between 0 and %s mm", strconv.FormatFloat(limit, 'f', -1, 64))
			}
		}
		inPage("x", e.X, pw)
		inPage("y", e.Y, ph)
		inPage("w", e.W, pw)
		inPage("h", e.H, ph)
		if _, bad := errs[key("x")]; !bad && e.X+e.W > pw+0.001 {
			errs[key("w")] = "reaches past the page's right edge"
		}
		if _, bad := errs[key("y")]; !bad && e.Y+e.H > ph+0.001 {
			errs[key("h")] = "reaches past the page's bottom edge"
		}
		if e.Colour != "" && !hexColour.MatchString(e.Colour) {
			errs[key("colour")] = "must be a colour like #111827"
		}
		if e.Fill != "" && !hexColour.MatchString(e.Fill) {
			errs[key("fill")] = "must be a colour like #f8fafc"
		}
		if e.Stroke != e.Stroke || e.Stroke < 0 || e.Stroke > 10 {
			errs[key("stroke")] = "must be between 0 and 10 mm"
		}
		switch e.Type {
		case TypeText, TypeField:
			if e.W <= 0 || e.H <= 0 {
				errs[key("w")] = "text needs a width and a height"
			}
			if e.Type == TypeText {
				if strings.TrimSpace(e.Text) == "" {
					errs[key("text")] = "type the text to show"
				} else if len([]rune(e.Text)) > MaxText {
					errs[key("text")] = fmt.Sprintf("at most %d characters", MaxText)
				}
			} else if !fieldName.MatchString(e.Field) {
				errs[key("field")] = "choose the field to show"
			}
			if e.Font != "" && !oneOf(e.Font, Fonts...) {
				errs[key("font")] = "choose sans, sans-bold, serif or serif-bold"
			}
			if e.Size != 0 && (e.Size != e.Size || e.Size < MinSize || e.Size > MaxSize) {
				errs[key("size")] = fmt.Sprintf("must be between %g and %g pt", MinSize, MaxSize)
			}
			if e.Align != "" && !oneOf(e.Align, "left", "center", "right") {
				errs[key("align")] = "choose left, center or right"
			}
		case TypeImage:
			source(key("image"), e.Image)
			if e.W <= 0 || e.H <= 0 {
				errs[key("w")] = "an image needs a width and a height"
			}
		case TypeQR:
			if min(e.W, e.H) < 15 {
				errs[key("w")] = "a QR code needs at least 15 × 15 mm to scan"
			}
		case TypeBox:
			if e.W <= 0 || e.H <= 0 {
				errs[key("w")] = "a box needs a width and a height"
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Parse reads a design: format version 1, or the earlier unversioned one
// (converted), or an empty document (the default design). The result is
// validated.
func Parse(raw []byte) (*Design, error) {
	if len(raw) > MaxBytes {
		return nil, ErrNotDesign
	}
	trimmed := strings.TrimSpace(string(raw))
	if trimmed == "" || trimmed == "null" || trimmed == "{}" {
		return Default(), nil
	}
	var probe struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, ErrNotDesign
	}
	var d *Design
	switch {
	case probe.Version == nil:
		var old legacy
		if err := json.Unmarshal(raw, &old); err != nil {
			return nil, ErrNotDesign
		}
		d = old.convert()
	case *probe.Version == Version:
		d = &Design{}
		if err := json.Unmarshal(raw, d); err != nil {
			return nil, ErrNotDesign
		}
	default:
		return nil, ErrNotDesign
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// JSON is the design's document as stored.
func (d *Design) JSON() []byte {
	b, _ := json.Marshal(d) // only strings and numbers: cannot fail
	return b
}

// Default is the design of a template that names none: A4 landscape, the
// title, the recipient's name, the issuer, the dates and the QR code.
func Default() *Design {
	return &Design{
		Version:    Version,
		Page:       Page{Size: "A4", Orientation: "landscape"},
		Background: Background{Colour: "#ffffff", Border: "#1e3a8a"},
		Elements: []Element{
			{Type: TypeText, X: 20, Y: 25, W: 257, H: 10, Text: "This certifies that", Font: "sans", Size: 14, Colour: "#475569", Align: "center"},
			{Type: TypeField, X: 20, Y: 40, W: 257, H: 18, Field: "recipient_name", Font: "serif-bold", Size: 34, Colour: "#111827", Align: "center"},
			{Type: TypeLine, X: 60, Y: 62, W: 177, H: 0, Colour: "#94a3b8", Stroke: 0.4},
			{Type: TypeText, X: 20, Y: 70, W: 257, H: 10, Text: "has been awarded", Font: "sans", Size: 14, Colour: "#475569", Align: "center"},
			{Type: TypeField, X: 20, Y: 84, W: 257, H: 14, Field: "title", Font: "serif-bold", Size: 24, Colour: "#1e3a8a", Align: "center"},
			{Type: TypeField, X: 20, Y: 104, W: 257, H: 10, Field: "issuer_name", Font: "sans-bold", Size: 14, Colour: "#111827", Align: "center"},
			{Type: TypeText, X: 20, Y: 150, W: 30, H: 8, Text: "Issued on", Font: "sans", Size: 10, Colour: "#475569", Align: "left"},
			{Type: TypeField, X: 20, Y: 158, W: 120, H: 8, Field: "issued_on", Font: "sans-bold", Size: 12, Colour: "#111827", Align: "left"},
			{Type: TypeText, X: 20, Y: 170, W: 180, H: 7, Text: "Scan the code or open the link to verify this certificate:", Font: "sans", Size: 9, Colour: "#475569", Align: "left"},
			{Type: TypeField, X: 20, Y: 177, W: 200, H: 7, Field: "credential_id", Font: "sans", Size: 9, Colour: "#1e3a8a", Align: "left"},
			{Type: TypeQR, X: 242, Y: 150, W: 35, H: 35},
		},
	}
}

// legacy is the unversioned format (store.DesignData) that designs had
// before version 1: x, y, width and height in percent of the page.
type legacy struct {
	PageSize    string `json:"page_size"`
	Orientation string `json:"orientation"`
	Elements    []struct {
		Kind     string  `json:"kind"`
		Text     string  `json:"text"`
		Field    string  `json:"field"`
		X        float64 `json:"x"`
		Y        float64 `json:"y"`
		Width    float64 `json:"width"`
		Height   float64 `json:"height"`
		FontSize float64 `json:"font_size"`
		Color    string  `json:"color"`
		Align    string  `json:"align"`
	} `json:"elements"`
}

func (l legacy) convert() *Design {
	d := &Design{Version: Version, Page: Page{Size: "A4", Orientation: "portrait"}}
	if l.PageSize == "Letter" {
		d.Page.Size = "Letter"
	}
	if l.Orientation == "landscape" {
		d.Page.Orientation = "landscape"
	}
	pw, ph := d.Page.PageSize()
	clamp := func(v float64) float64 { return min(max(v, 0), 100) }
	for _, o := range l.Elements {
		e := Element{Text: o.Text, Field: o.Field, Colour: o.Color, Align: o.Align, Size: o.FontSize}
		x, y := clamp(o.X)*pw/100, clamp(o.Y)*ph/100
		switch o.Kind {
		case "text", "field":
			e.Type = o.Kind
			if e.Size == 0 {
				e.Size = 14
			}
			// The old format anchored text at a point with its alignment:
			// make a box around it.
			h := e.Size * 25.4 / 72 * 1.6
			w := pw - 20
			e.X, e.Y, e.W, e.H = 10, max(y-h/2, 0), w, h
			switch o.Align {
			case "left":
				e.X, e.W = x, pw-x
			case "right":
				e.X, e.W = 0, x
			default:
				e.Align = "center"
				half := min(x, pw-x)
				e.X, e.W = x-half, 2*half
			}
		case "qr_code":
			e.Type = TypeQR
			side := max(clamp(o.Width)*pw/100, clamp(o.Height)*ph/100, 20)
			e.X, e.Y, e.W, e.H = min(x, pw-side), min(y, ph-side), side, side
		default: // images and signatures by URL: not drawn (no fetching)
			continue
		}
		if e.Colour != "" && !hexColour.MatchString(e.Colour) {
			e.Colour = ""
		}
		if e.Size != 0 {
			e.Size = min(max(e.Size, MinSize), MaxSize)
		}
		if e.Align != "" && !oneOf(e.Align, "left", "center", "right") {
			e.Align = "center"
		}
		if (e.Type == TypeText && strings.TrimSpace(e.Text) == "") || (e.Type == TypeField && !fieldName.MatchString(e.Field)) {
			continue
		}
		if e.Type == TypeText && len([]rune(e.Text)) > MaxText {
			e.Text = string([]rune(e.Text)[:MaxText])
		}
		d.Elements = append(d.Elements, e)
		if len(d.Elements) == MaxElements {
			break
		}
	}
	return d
}
