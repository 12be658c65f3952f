package marketplace

import (
	"math"
	"slices"
	"testing"

	"gorm.io/datatypes"

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
	design := func(els ...store.DesignElement) *store.CustomCredentialTemplate {
		return &store.CustomCredentialTemplate{TemplateName: "A4", DesignData: datatypes.NewJSONType(store.DesignData{Elements: els})}
	}
	for _, c := range []struct {
		name   string
		t      *store.CredentialTemplate
		schema *store.CredentialSchema
		design *store.CustomCredentialTemplate
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
		{"design image without alt", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, design(store.DesignElement{Kind: "image", ImageURL: "https://x.test/i.png"}), []string{"image_alt"}},
		{"light grey text", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, design(store.DesignElement{Kind: "text", Text: "Hi", Color: "#aaaaaa", FontSize: 12}), []string{"contrast"}},
		// #949494 is 3.03:1 on white: enough for large text only.
		{"large grey text", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, design(store.DesignElement{Kind: "field", Field: "a", Color: "#949494", FontSize: 24}), nil},
		{"small grey text", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, design(store.DesignElement{Kind: "field", Field: "a", Color: "#949494", FontSize: 12}), []string{"contrast"}},
		{"dark text", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, design(store.DesignElement{Kind: "text", Text: "Hi", Color: "#1e293b"}), nil},
		{"not a colour", tpl(store.TemplateData{Kind: store.TemplateCertificate}, &desc), schema, design(store.DesignElement{Kind: "text", Text: "Hi", Color: "red"}), []string{"contrast"}},
		{"everything", tpl(store.TemplateData{Kind: store.TemplateBadge, Achievement: &store.Achievement{ImageURL: "https://x.test/b.png"}}, nil), unlabelled,
			design(store.DesignElement{Kind: "text", Color: "#ffff00"}), []string{"description", "criteria", "image_alt", "field_label", "contrast"}},
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
