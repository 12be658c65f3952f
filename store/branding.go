package store

import (
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/secret"
)

// OrganizationBranding is an organization's white-label look (one row per organization).
type OrganizationBranding struct {
	ID             string
	OrganizationID string
	LogoURL        *string `validate:"omitnil,max=2048,httpurl"`
	PrimaryColor   *string `validate:"omitnil,hexrgb"` // #rrggbb
	SecondaryColor *string `validate:"omitnil,hexrgb"` // #rrggbb
	AccentColor    *string `validate:"omitnil,hexrgb"` // #rrggbb
	CustomCSS      *string `validate:"omitnil,max=65536"`
	CustomJS       *string `validate:"omitnil,max=65536"`
	DisplayFont    *string `validate:"omitnil,max=100"`                                    // one of branding.Fonts (SaveBrandingLook checks)
	FaviconURL     *string `validate:"omitnil,max=2048,httpurl|startswith=/brand-assets/"` // /brand-assets/<org id>/favicon-<hash> (+ -<size>.png)
	CustomDomain   *string `validate:"omitnil,max=253,fqdn"`                               // unique across organizations
	SSLCertificate []byte  // PEM chain for the custom domain
	SSLPrivateKey  secret.Sealed
	// PreviousVersion is the look saved before the current one (nil until the look is
	// saved twice): what RevertBrandingLook brings back.
	PreviousVersion *datatypes.JSONType[BrandingLook]
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (OrganizationBranding) TableName() string { return "organization_branding" }

func (b *OrganizationBranding) BeforeCreate(*gorm.DB) error { return newID(&b.ID) }

// Look is the part of the branding the editor saves and reverts.
func (b *OrganizationBranding) Look() BrandingLook {
	return BrandingLook{PrimaryColor: b.PrimaryColor, SecondaryColor: b.SecondaryColor, AccentColor: b.AccentColor, CustomCSS: b.CustomCSS,
		CustomJS: b.CustomJS, DisplayFont: b.DisplayFont}
}

// TemplateType is custom_credential_templates.template_type; also a template's kind.
type TemplateType string

const (
	TemplateDiploma     TemplateType = "diploma"
	TemplateCertificate TemplateType = "certificate"
	TemplateLicense     TemplateType = "license"
	TemplateBadge       TemplateType = "badge"
)

// Valid reports whether t is one of the values the database accepts.
func (t TemplateType) Valid() bool {
	switch t {
	case TemplateDiploma, TemplateCertificate, TemplateLicense, TemplateBadge:
		return true
	}
	return false
}

// DesignElement is one positioned element of a certificate design. Coordinates are in
// points from the top-left corner of the page.
type DesignElement struct {
	Kind     string  `json:"kind"`            // text, field, image, qr_code, signature
	Text     string  `json:"text,omitempty"`  // for text
	Field    string  `json:"field,omitempty"` // schema field name, for field
	ImageURL string  `json:"image_url,omitempty"`
	X        float64 `json:"x"`
	Y        float64 `json:"y"`
	Width    float64 `json:"width,omitempty"`
	Height   float64 `json:"height,omitempty"`
	FontSize float64 `json:"font_size,omitempty"`
	Font     string  `json:"font,omitempty"`
	Color    string  `json:"color,omitempty"` // #rrggbb
	Align    string  `json:"align,omitempty"` // left, center, right
}

// DesignData is custom_credential_templates.design_data.
type DesignData struct {
	PageSize      string          `json:"page_size,omitempty"`   // A4, Letter
	Orientation   string          `json:"orientation,omitempty"` // portrait, landscape
	BackgroundURL string          `json:"background_url,omitempty"`
	Elements      []DesignElement `json:"elements,omitempty"`
}

// CustomCredentialTemplate is an organization's certificate design.
type CustomCredentialTemplate struct {
	ID              string
	OrganizationID  string
	TemplateName    string       `validate:"required,max=200"`
	TemplateType    TemplateType `validate:"required,oneof=diploma certificate license badge"`
	DesignData      datatypes.JSONType[DesignData]
	PreviewImageURL *string `validate:"omitnil,max=2048,httpurl"`
	IsActive        bool
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (CustomCredentialTemplate) TableName() string { return "custom_credential_templates" }

func (t *CustomCredentialTemplate) BeforeCreate(*gorm.DB) error { return newID(&t.ID) }

// FieldType is custom_fields.field_type (a schema field's type is SchemaFieldType).
type FieldType string

const (
	FieldText   FieldType = "text"
	FieldNumber FieldType = "number"
	FieldDate   FieldType = "date"
	FieldSelect FieldType = "select"
	FieldFile   FieldType = "file"
)

// Valid reports whether t is one of the values the database accepts.
func (t FieldType) Valid() bool {
	switch t {
	case FieldText, FieldNumber, FieldDate, FieldSelect, FieldFile:
		return true
	}
	return false
}

// ValidationRules is custom_fields.validation_rules and a schema field's validation. For a
// schema field, MinLength/MaxLength bound text, email and url lengths and Min/Max bound numbers.
type ValidationRules struct {
	MinLength    *int     `json:"min_length,omitempty"`
	MaxLength    *int     `json:"max_length,omitempty"`
	Pattern      string   `json:"pattern,omitempty"`
	Min          *float64 `json:"min,omitempty"`
	Max          *float64 `json:"max,omitempty"`
	MIMETypes    []string `json:"mime_types,omitempty"` // for file
	MaxFileBytes int64    `json:"max_file_bytes,omitempty"`
}

// FieldOption is one choice of a select field.
type FieldOption struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// CustomField is an organization-defined field for its credentials.
type CustomField struct {
	ID               string
	OrganizationID   string
	FieldName        string    `validate:"required,max=64"`
	FieldType        FieldType `validate:"required,oneof=text number date select file"`
	FieldLabel       string    `validate:"required,max=200"`
	FieldDescription *string   `validate:"omitnil,max=2000"`
	ValidationRules  datatypes.JSONType[ValidationRules]
	Options          datatypes.JSONSlice[FieldOption]
	IsRequired       bool
	IsActive         bool
	CreatedAt        time.Time
}

func (CustomField) TableName() string { return "custom_fields" }

func (f *CustomField) BeforeCreate(*gorm.DB) error { return newID(&f.ID) }

func (f *CustomField) BeforeSave(*gorm.DB) error {
	emptyIfNil(&f.Options)
	return nil
}
