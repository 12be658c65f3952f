package marketplace

import (
	"math"
	"slices"
	"testing"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/design"
	"github.com/trustcred/trustcred/store"
)

func codes(p Problems) []string {
	var out []string
	for _, x := range p {
		out = append(out, x.Code)
	}
	return out
}

func TestCheck(t *testing.T) {
	desc := "What it is for."
	schema := &store.CredentialSchema{ID: "s1", Fields: datatypes.NewJSONSlice([]store.SchemaField{{Name: "a", Label: "A"}})}
	unlabelled := &store.CredentialSchema{ID: "s2", Fields: datatypes.NewJSONSlice([]store.SchemaField{{Name: "a", Label: "A"}, {Name: "b", Label: " "}})}
	tpl := func(d store.TemplateData, description *string) *store.CredentialTemplate {
		return &store.CredentialTemplate{ID: "t1", Description: description, TemplateData: datatypes.NewJSONType(d)}
	}
	// v1 is a design of the current format with these elements on a page of that colour ("" is white).
	v1 := func(page string, els ...design.Element) *Design {
		d := &design.Design{Version: design.Version, Page: design.Page{Size: "A4", Orientation: "landscape"}, Background: design.Background{Colour: page}, Elements: els}
		if err := d.Validate(); err != nil {
			t.Fatalf("test design: %v", err)
		}
		return &Design{Name: "A4", Doc: d}
	}
	text := func(colour string, size float64, font string, x, y float64) design.Element {
		return design.Element{Type: design.TypeText, Text: "Hi", Colour: colour, Size: size, Font: font, X: x, Y: y, W: 100, H: 10}
	}
	navyBox := design.Element{Type: design.TypeBox, X: 0, Y: 0, W: 150, H: 60, Fill: "#1e3a8a"}
	// The earlier format, read through design.Parse as the PDF reads it.
	legacy, err := design.Parse([]byte(`{"page_size":"A4","elements":[{"kind":"text","text":"Hi","x":50,"y":50,"font_size":12,"color":"#aaaaaa"},{"kind":"image","image_url":"https://x.test/i.png"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		t      *store.CredentialTemplate
		schema *store.CredentialSchema
		design *Design
		want   []string
	}{
		{"ready", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, nil, nil},
		{"no description", tpl(store.TemplateData{Kind: store.TemplateCertificate}, nil), schema, nil, []string{"description"}},
		{"blank description", tpl(store.TemplateData{Kind: store.TemplateCertificate}, new(string)), schema, nil, []string{"description"}},
		{"badge without criteria", tpl(store.TemplateData{Kind: store.TemplateBadge, Achievement: &store.Achievement{Name: "X"}}, &desc), schema, nil, []string{"criteria"}},
		{"badge with criteria", tpl(store.TemplateData{Kind: store.TemplateBadge, Achievement: &store.Achievement{Name: "X", Criteria: "Do Y"}}, &desc), schema, nil, nil},
		{"display image without title", tpl(store.TemplateData{Kind: store.TemplateCertificate, Display: store.TemplateDisplay{ImageURL: "https://x.test/i.png"}}, &desc), schema, nil, []string{"image_alt"}},
		{"display image with title", tpl(store.TemplateData{Kind: store.TemplateCertificate, Display: store.TemplateDisplay{Title: "T", ImageURL: "https://x.test/i.png"}}, &desc), schema, nil, nil},
		{"field without label", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), unlabelled, nil, []string{"field_label"}},
		{"light grey text", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, v1("", text("#aaaaaa", 12, "sans", 10, 100)), []string{"contrast"}},
		// #949494 is 3.03:1 on white: enough for large text only (18 pt, or bold from 14 pt).
		{"large grey text", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, v1("", text("#949494", 24, "sans", 10, 100)), nil},
		{"bold grey text at 14 pt", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, v1("", text("#949494", 14, "serif-bold", 10, 100)), nil},
		{"small grey text", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, v1("", text("#949494", 12, "sans", 10, 100)), []string{"contrast"}},
		{"dark text", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, v1("", text("#1e293b", 12, "sans", 10, 100)), nil},
		// No colour is the default near-black: fine on white, not on a navy page.
		{"default colour on white", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, v1("", text("", 0, "", 10, 100)), nil},
		{"default colour on navy", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, v1("#1e3a8a", text("", 0, "", 10, 100)), []string{"contrast"}},
		{"white on navy page", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, v1("#1e3a8a", text("#ffffff", 12, "sans", 10, 100)), nil},
		// A filled box drawn before the text is its background; beside the box, the page is.
		{"white text in a navy box", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, v1("", navyBox, text("#ffffff", 12, "sans", 10, 20)), nil},
		{"white text beside the box", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, v1("", navyBox, text("#ffffff", 12, "sans", 160, 20)), []string{"contrast"}},
		{"box drawn after the text", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, v1("", text("#ffffff", 12, "sans", 10, 20), navyBox), []string{"contrast"}},
		{"legacy design", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, &Design{Name: "Old", Doc: legacy}, []string{"contrast"}},
		{"everything", tpl(store.TemplateData{Kind: store.TemplateBadge, Achievement: &store.Achievement{ImageURL: "https://x.test/b.png"}}, nil), unlabelled,
			v1("", text("#ffff00", 12, "sans", 10, 100)), []string{"description", "criteria", "image_alt", "field_label", "contrast"}},
	} {
		if got := codes(Check(c.t, c.schema, c.design)); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestContrast(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want float64
	}{
		{"#000000", "#ffffff", 21},
		{"#ffffff", "#ffffff", 1},
		{"#767676", "#ffffff", 4.54}, // the lightest grey that passes AA on white
	} {
		la, _ := Luminance(c.a)
		lb, _ := Luminance(c.b)
		if got := Contrast(la, lb); math.Abs(got-c.want) > 0.01 {
			t.Errorf("%s on %s: %.3f, want %.2f", c.a, c.b, got, c.want)
		}
	}
	for _, bad := range []string{"", "#fff", "ffffff", "#gggggg", "#ffffff0"} {
		if _, ok := Luminance(bad); ok {
			t.Errorf("%q read as a colour", bad)
		}
	}
}
