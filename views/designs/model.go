// Package designs is the certificate designs' pages (/settings/designs):
// the list and the editor with its server-rendered preview.
package designs

import (
	"strconv"

	"github.com/trustcred/trustcred/views/ui"
)

// Path is the pages' root.
const Path = "/settings/designs"

// Row is a design in the list.
type Row struct {
	ID, Name, Updated string
	Active            bool
}

// Element is one element's inputs as typed (strings, shown again as they were).
type Element struct {
	Type, X, Y, W, H, Text, Field, Font, Size, Colour, Align, Fill, Stroke, Image string
}

// Form is the editor: a new design (ID "") or one being changed.
type Form struct {
	ID, Name                        string
	Size, Orientation, Back, Border string
	BackImage, BackFit              string   // the background image's source ("" for none) and fit
	Library                         []string // the names of the organization's image library
	Elements                        []Element
	Errors                          map[string]string
	Preview                         string // data: URL of the PNG preview, "" when the design has problems
	PageW, PageH                    string // the previewed page in mm, for the drag-and-drop overlay
	Saved                           bool
}

// Err is the problem of one input ("" when none).
func (f Form) Err(key string) string { return f.Errors[key] }

// Action is the form's URL.
func (f Form) Action() string {
	if f.ID == "" {
		return Path
	}
	return Path + "/" + f.ID
}

var (
	typeOptions   = []ui.Option{{Value: "text", Label: "Fixed text"}, {Value: "field", Label: "Credential field"}, {Value: "image", Label: "Image"}, {Value: "qr", Label: "QR code"}, {Value: "line", Label: "Line"}, {Value: "box", Label: "Box"}}
	sizeOptions   = []ui.Option{{Value: "A4", Label: "A4"}, {Value: "Letter", Label: "Letter"}}
	orientOptions = []ui.Option{{Value: "landscape", Label: "Landscape"}, {Value: "portrait", Label: "Portrait"}}
	fontOptions   = []ui.Option{{Value: "sans", Label: "Sans"}, {Value: "sans-bold", Label: "Sans bold"}, {Value: "serif", Label: "Serif"}, {Value: "serif-bold", Label: "Serif bold"}}
	alignOptions  = []ui.Option{{Value: "left", Label: "Left"}, {Value: "center", Label: "Center"}, {Value: "right", Label: "Right"}}
	fitOptions    = []ui.Option{{Value: "cover", Label: "Cover the page"}, {Value: "contain", Label: "Whole image, centred"}}
)

// imageOptions are the sources an image may show: the logo and the library's
// images (asset:<name>), with "None" first for the background.
func (f Form) imageOptions(none bool) []ui.Option {
	var out []ui.Option
	if none {
		out = append(out, ui.Option{Value: "", Label: "None"})
	}
	out = append(out, ui.Option{Value: "logo", Label: "Your logo"})
	for _, n := range f.Library {
		out = append(out, ui.Option{Value: "asset:" + n, Label: n})
	}
	return out
}

func key(i int, f string) string { return "elements." + itoa(i) + "." + f }

func itoa(i int) string { return strconv.Itoa(i) }

func hasText(t string) bool   { return t == "text" || t == "field" }
func hasColour(t string) bool { return t != "image" && t != "qr" }
