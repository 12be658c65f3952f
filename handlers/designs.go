package handlers

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image/png"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/design"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/designs"
	"github.com/trustcred/trustcred/views/layout"
)

// Designs serves /settings/designs: the organization's certificate
// designs, edited with numbers in millimetres and a preview drawn by the
// same layout code as the PDF (internal/design).
type Designs struct {
	Certs *Certificates // for the organization's logo in the preview
}

// List is GET /settings/designs.
func (h *Designs) List(c *fiber.Ctx) error {
	rows, err := auth.Current(c).Scope.Designs(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]designs.Row, len(rows))
	for i, r := range rows {
		out[i] = designs.Row{ID: r.ID, Name: r.Name, Active: r.Active, Updated: stamp(r.UpdatedAt)}
	}
	render.SetTitle(c, "Certificate designs")
	return render.Page(c, fiber.StatusOK, designs.ListPage(out))
}

// New is GET /settings/designs/new: the default design to start from.
func (h *Designs) New(c *fiber.Ctx) error {
	f := formOf(design.Default())
	f.Name = "Certificate"
	if err := withLibrary(c, &f); err != nil {
		return err
	}
	h.preview(c, &f)
	render.SetTitle(c, "New certificate design")
	return render.Page(c, fiber.StatusOK, designs.EditPage(f))
}

// Edit is GET /settings/designs/:id.
func (h *Designs) Edit(c *fiber.Ctx) error {
	row, raw, err := auth.Current(c).Scope.DesignRow(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	d, err := design.Parse(raw)
	if err != nil {
		d = design.Default() // a design the editor cannot read starts again from the default
	}
	f := formOf(d)
	f.ID, f.Name = row.ID, row.Name
	f.Saved = c.Query("saved") == "1"
	if err := withLibrary(c, &f); err != nil {
		return err
	}
	h.preview(c, &f)
	render.SetTitle(c, "Edit certificate design")
	return render.Page(c, fiber.StatusOK, designs.EditPage(f))
}

// Save is POST /settings/designs and POST /settings/designs/:id: with
// op=save the design is checked and saved (422 with each problem next to
// its input); the add, remove and move buttons (without JavaScript) come
// back to the page changed and unsaved.
func (h *Designs) Save(c *fiber.Ctx) error {
	id := auth.Current(c)
	designID := c.Params("id")
	if designID != "" {
		if _, _, err := id.Scope.DesignRow(c.UserContext(), designID); err != nil {
			return err
		}
	}
	f, d, err := parseDesignForm(c)
	if err != nil {
		return err
	}
	f.ID = designID
	if c.FormValue("op") != "save" {
		h.preview(c, &f)
		return render.Page(c, fiber.StatusOK, designs.EditPage(f))
	}
	if len(f.Errors) == 0 {
		saved, err := id.Scope.SaveDesign(c.UserContext(), designID, f.Name, d.JSON(), auth.Actor(c))
		var fe store.FieldErrors
		switch {
		case errors.As(err, &fe):
			for k, v := range fe {
				f.Errors[k] = sentence(v)
			}
		case err != nil:
			return err
		default:
			render.Flash(c, layout.FlashSuccess, "Design saved.")
			return render.Redirect(c, designs.Path+"/"+saved)
		}
	}
	return render.Page(c, fiber.StatusUnprocessableEntity, designs.EditPage(f))
}

// Builder is POST /settings/designs/builder: the editor with the add,
// remove or move applied, unsaved (htmx).
func (h *Designs) Builder(c *fiber.Ctx) error {
	f, _, err := parseDesignForm(c)
	if err != nil {
		return err
	}
	f.ID = c.FormValue("design_id")
	h.preview(c, &f)
	return render.Component(c, fiber.StatusOK, designs.Editor(f))
}

// Preview is POST /settings/designs/preview: the preview of the design as
// typed (htmx, as the admin types).
func (h *Designs) Preview(c *fiber.Ctx) error {
	f, _, err := parseDesignForm(c)
	if err != nil {
		return err
	}
	h.preview(c, &f)
	return render.Component(c, fiber.StatusOK, designs.Preview(f))
}

// sampleValues fill the preview's fields.
var sampleValues = design.Values{"recipient_name": "Ada Lovelace", "issuer_name": "Your organization", "title": "Bachelor of Science",
	"issued_on": "30 June 2026", "expires_on": "30 June 2031", "credential_id": "https://example.org/v/sample"}

// preview draws f's design when it has no problems.
func (h *Designs) preview(c *fiber.Ctx, f *designs.Form) {
	if len(f.Errors) > 0 {
		return
	}
	d, errs := designOf(f)
	if len(errs) > 0 {
		return
	}
	values := design.Values{}
	for k, v := range sampleValues {
		values[k] = v
	}
	for _, e := range d.Elements {
		if e.Type == design.TypeField && values[e.Field] == "" {
			values[e.Field] = "(" + e.Field + ")"
		}
	}
	in := design.Input{Values: values, VerifyURL: sampleValues["credential_id"]}
	if h.Certs != nil {
		in.Logo = h.Certs.logo(c.UserContext(), auth.Current(c).Org)
		in.Images = h.Certs.images(c.UserContext(), auth.Current(c).Scope, d.Assets())
	}
	img, err := design.Image(d, in, design.PreviewDPI)
	if errors.Is(err, design.ErrLogo) {
		in.Logo = nil
		img, err = design.Image(d, in, design.PreviewDPI)
	}
	if err != nil {
		return
	}
	var buf bytes.Buffer
	if png.Encode(&buf, img) == nil {
		f.Preview = "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
		pw, ph := d.Page.PageSize()
		f.PageW, f.PageH = strconv.FormatFloat(pw, 'f', -1, 64), strconv.FormatFloat(ph, 'f', -1, 64)
	}
}

// formOf is the editor's inputs for d.
func formOf(d *design.Design) designs.Form {
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	f := designs.Form{Size: d.Page.Size, Orientation: d.Page.Orientation, Back: d.Background.Colour, Border: d.Background.Border,
		BackImage: d.Background.Image, BackFit: d.Background.Fit, Errors: map[string]string{}}
	for _, e := range d.Elements {
		el := designs.Element{Type: e.Type, X: num(e.X), Y: num(e.Y), W: num(e.W), H: num(e.H), Text: e.Text, Field: e.Field, Font: e.Font,
			Colour: e.Colour, Align: e.Align, Fill: e.Fill, Image: e.Image}
		if e.Size != 0 {
			el.Size = num(e.Size)
		}
		if e.Stroke != 0 {
			el.Stroke = num(e.Stroke)
		}
		f.Elements = append(f.Elements, el)
	}
	return f
}

// withLibrary gives the form the names of the organization's image library
// (the image selects' choices, and what the design may name).
func withLibrary(c *fiber.Ctx, f *designs.Form) error {
	assets, err := auth.Current(c).Scope.BrandAssets(c.UserContext())
	if err != nil {
		return err
	}
	f.Library = make([]string, len(assets))
	for i, a := range assets {
		f.Library[i] = a.Name
	}
	return nil
}

// parseDesignForm reads the editor's inputs, applies its op (add, remove:i,
// up:i, down:i) and checks the result (images only from the organization's
// library): the form to show again and, when it has no problems, the design.
func parseDesignForm(c *fiber.Ctx) (designs.Form, *design.Design, error) {
	f := designs.Form{Name: strings.TrimSpace(c.FormValue("name")), Size: c.FormValue("page.size"), Orientation: c.FormValue("page.orientation"),
		Back: strings.TrimSpace(c.FormValue("background.colour")), Border: strings.TrimSpace(c.FormValue("background.border")),
		BackImage: c.FormValue("background.image"), BackFit: c.FormValue("background.fit")}
	if err := withLibrary(c, &f); err != nil {
		return f, nil, err
	}
	for i := 0; i < design.MaxElements+1; i++ {
		p := "elements." + strconv.Itoa(i) + "."
		typ := c.FormValue(p + "type")
		if typ == "" {
			break
		}
		v := func(k string) string { return strings.TrimSpace(c.FormValue(p + k)) }
		f.Elements = append(f.Elements, designs.Element{Type: typ, X: v("x"), Y: v("y"), W: v("w"), H: v("h"), Text: v("text"), Field: v("field"),
			Font: v("font"), Size: v("size"), Colour: v("colour"), Align: v("align"), Fill: v("fill"), Stroke: v("stroke"), Image: v("image")})
	}
	op, arg, _ := strings.Cut(c.FormValue("op"), ":")
	i, err := strconv.Atoi(arg)
	inRange := err == nil && i >= 0 && i < len(f.Elements)
	switch {
	case op == "add" && len(f.Elements) < design.MaxElements:
		f.Elements = append(f.Elements, newElement(c.FormValue("new_type")))
	case op == "remove" && inRange:
		f.Elements = append(f.Elements[:i], f.Elements[i+1:]...)
	case op == "up" && inRange && i > 0:
		f.Elements[i-1], f.Elements[i] = f.Elements[i], f.Elements[i-1]
	case op == "down" && inRange && i+1 < len(f.Elements):
		f.Elements[i+1], f.Elements[i] = f.Elements[i], f.Elements[i+1]
	}
	d, errs := designOf(&f)
	f.Errors = errs
	if f.Name == "" {
		f.Errors["name"] = "Give the design a name."
	} else if len([]rune(f.Name)) > 200 {
		f.Errors["name"] = "At most 200 characters."
	}
	return f, d, nil
}

// newElement is an element of that type in the page's top-left area.
func newElement(typ string) designs.Element {
	switch typ {
	case design.TypeText:
		return designs.Element{Type: typ, X: "20", Y: "20", W: "120", H: "10", Text: "Text", Font: "sans", Size: "14", Align: "left", Colour: "#111827"}
	case design.TypeImage:
		return designs.Element{Type: typ, X: "20", Y: "20", W: "40", H: "20", Image: design.Logo}
	case design.TypeQR:
		return designs.Element{Type: typ, X: "20", Y: "20", W: "30", H: "30"}
	case design.TypeLine:
		return designs.Element{Type: typ, X: "20", Y: "20", W: "100", H: "0", Colour: "#94a3b8", Stroke: "0.4"}
	case design.TypeBox:
		return designs.Element{Type: typ, X: "20", Y: "20", W: "60", H: "30", Colour: "#1e3a8a", Stroke: "0.5"}
	}
	return designs.Element{Type: design.TypeField, X: "20", Y: "20", W: "120", H: "10", Field: "recipient_name", Font: "sans", Size: "14", Align: "left", Colour: "#111827"}
}

// designOf converts the inputs to a design and checks it: problems keyed
// as the inputs are named, worded for the form.
func designOf(f *designs.Form) (*design.Design, map[string]string) {
	errs := map[string]string{}
	d := &design.Design{Version: design.Version, Page: design.Page{Size: f.Size, Orientation: f.Orientation},
		Background: design.Background{Colour: f.Back, Border: f.Border, Image: f.BackImage, Fit: f.BackFit}}
	if f.BackImage == "" {
		d.Background.Fit = "" // no image: nothing to fit
	}
	for i, e := range f.Elements {
		num := func(name, s string, def float64) float64 {
			if s == "" {
				return def
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v != v {
				errs["elements."+strconv.Itoa(i)+"."+name] = "Type a number, like 12.5."
			}
			return v
		}
		el := design.Element{Type: e.Type, X: num("x", e.X, 0), Y: num("y", e.Y, 0), W: num("w", e.W, 0), H: num("h", e.H, 0),
			Size: num("size", e.Size, 0), Stroke: num("stroke", e.Stroke, 0), Colour: e.Colour, Fill: e.Fill}
		switch e.Type {
		case design.TypeText:
			el.Text, el.Font, el.Align = e.Text, e.Font, e.Align
		case design.TypeField:
			el.Field, el.Font, el.Align = e.Field, e.Font, e.Align
		case design.TypeImage:
			el.Image, el.Colour = e.Image, ""
			if el.Image == "" { // a form from before the image select
				el.Image = design.Logo
			}
		case design.TypeQR:
			el.Colour = ""
		}
		if e.Type != design.TypeBox {
			el.Fill = ""
		}
		d.Elements = append(d.Elements, el)
	}
	library := make(map[string]bool, len(f.Library))
	for _, n := range f.Library {
		library[n] = true
	}
	var fe design.FieldErrors
	if err := d.ValidateWith(library); errors.As(err, &fe) {
		for k, v := range fe {
			if _, ok := errs[k]; !ok {
				errs[k] = sentence(v)
			}
		}
	}
	return d, errs
}
