package store

import (
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/secret"
)

// SchemaFieldType is the type of one field of a credential schema. It is
// not custom_fields.field_type (FieldType): a schema field has no file type
// and has email, url and boolean. internal/credschema turns each into JSON
// Schema.
type SchemaFieldType string

const (
	SchemaFieldText    SchemaFieldType = "text"
	SchemaFieldNumber  SchemaFieldType = "number"
	SchemaFieldDate    SchemaFieldType = "date"
	SchemaFieldEmail   SchemaFieldType = "email"
	SchemaFieldURL     SchemaFieldType = "url"
	SchemaFieldSelect  SchemaFieldType = "select"
	SchemaFieldBoolean SchemaFieldType = "boolean"
)

// SchemaFieldTypes lists every schema field type, in the order forms show them.
func SchemaFieldTypes() []SchemaFieldType {
	return []SchemaFieldType{SchemaFieldText, SchemaFieldNumber, SchemaFieldDate, SchemaFieldEmail,
		SchemaFieldURL, SchemaFieldSelect, SchemaFieldBoolean}
}

// Valid reports whether t is a schema field type.
func (t SchemaFieldType) Valid() bool {
	switch t {
	case SchemaFieldText, SchemaFieldNumber, SchemaFieldDate, SchemaFieldEmail, SchemaFieldURL,
		SchemaFieldSelect, SchemaFieldBoolean:
		return true
	}
	return false
}

// SchemaField is one element of credential_schemas.fields.
type SchemaField struct {
	Name        string          `json:"name"`
	Label       string          `json:"label"`
	Type        SchemaFieldType `json:"type"`
	Required    bool            `json:"required,omitempty"`
	Description string          `json:"description,omitempty"`
	Options     []FieldOption   `json:"options,omitempty"`
	Validation  ValidationRules `json:"validation,omitzero"`
}

// CredentialSchema defines the data a credential carries.
type CredentialSchema struct {
	ID               string
	Name             string `validate:"required,max=200"`
	Version          string `validate:"required,max=50"`
	OrganizationID   string
	SchemaDefinition datatypes.JSON // a JSON Schema (draft 2020-12) document, kept as written: internal/credschema builds and compiles it
	SchemaURI        *string        `validate:"omitnil,max=2048,url"` // published URL of the schema (credentialSchema.id); nil until published
	Fields           datatypes.JSONSlice[SchemaField]
	Active           bool
	CreatedAt        time.Time
	UpdatedAt        time.Time

	Organization *Organization `gorm:"foreignKey:OrganizationID" validate:"-"`
}

func (CredentialSchema) TableName() string { return "credential_schemas" }

func (s *CredentialSchema) BeforeCreate(*gorm.DB) error { return newID(&s.ID) }

func (s *CredentialSchema) BeforeSave(*gorm.DB) error {
	emptyIfNil(&s.Fields)
	if len(s.SchemaDefinition) == 0 {
		s.SchemaDefinition = datatypes.JSON("{}")
	}
	return nil
}

// CredentialStatus is credentials.status.
type CredentialStatus string

const (
	CredentialDraft     CredentialStatus = "draft"
	CredentialPending   CredentialStatus = "pending"
	CredentialActive    CredentialStatus = "active"
	CredentialRejected  CredentialStatus = "rejected"
	CredentialSuspended CredentialStatus = "suspended"
	CredentialRevoked   CredentialStatus = "revoked"
	CredentialExpired   CredentialStatus = "expired"
)

// Valid reports whether s is one of the values the database accepts.
func (s CredentialStatus) Valid() bool {
	switch s {
	case CredentialDraft, CredentialPending, CredentialActive, CredentialRejected,
		CredentialSuspended, CredentialRevoked, CredentialExpired:
		return true
	}
	return false
}

// Credential is one credential issued (or being prepared) for a recipient.
type Credential struct {
	ID               string
	PublicID         string // the credential's public id (VC id, verify links); unique
	SchemaID         string
	IssuerID         string
	RecipientAddress string        `validate:"required,max=500,email|did"` // recipient's email or DID
	RecipientUserID  *string       // set when the recipient has an account
	MetadataURI      *string       `validate:"omitnil,max=2048,url"`
	EncryptedData    secret.Sealed // the credential document, encrypted at rest
	DataHash         *string
	Status           CredentialStatus `gorm:"default:draft" validate:"required,oneof=draft pending active rejected suspended revoked expired"`
	IssuedAt         *time.Time
	ExpiresAt        *time.Time
	RevokedAt        *time.Time
	RevocationReason *string `validate:"omitnil,max=1000,text"`
	TemplateID       *string
	RecipientName    *string `validate:"omitnil,max=200,name"`
	StatusListIndex  *int
	ProofType        *string // Data Integrity cryptosuite, e.g. eddsa-rdfc-2022
	// The credential's status list entries (00009): revocation in
	// (StatusListID, StatusListIndex), suspension in (SuspensionListID,
	// SuspensionListIndex); unique per list.
	StatusListID        *string
	SuspensionListID    *string
	SuspensionListIndex *int
	SigningKeyID        *string // the key that signed it
	CreatedAt           time.Time
	UpdatedAt           time.Time

	Schema           *CredentialSchema    `gorm:"foreignKey:SchemaID" validate:"-"`
	Issuer           *Organization        `gorm:"foreignKey:IssuerID" validate:"-"`
	RecipientUser    *User                `gorm:"foreignKey:RecipientUserID" validate:"-"`
	Template         *CredentialTemplate  `gorm:"foreignKey:TemplateID" validate:"-"`
	Approvals        []CredentialApproval `gorm:"foreignKey:CredentialID" validate:"-"`
	VerificationLogs []VerificationLog    `gorm:"foreignKey:CredentialID" validate:"-"`
}

func (Credential) TableName() string { return "credentials" }

func (c *Credential) BeforeCreate(*gorm.DB) error { return newID(&c.ID) }

// VerificationMethod is verification_logs.verification_method.
type VerificationMethod string

const (
	VerifiedByAPI          VerificationMethod = "api"
	VerifiedByQRCode       VerificationMethod = "qr_code"
	VerifiedByMobileApp    VerificationMethod = "mobile_app"
	VerifiedByWebInterface VerificationMethod = "web_interface"
)

// Valid reports whether m is one of the values the database accepts.
func (m VerificationMethod) Valid() bool {
	switch m {
	case VerifiedByAPI, VerifiedByQRCode, VerifiedByMobileApp, VerifiedByWebInterface:
		return true
	}
	return false
}

// VerificationCheck is one step of a verification, as shown to the user.
type VerificationCheck struct {
	Name   string `json:"name"` // proof, issuer_key, status, validity, schema
	Passed bool   `json:"passed"`
	Detail string `json:"detail,omitempty"`
}

// VerificationReport is verification_logs.verification_result.
type VerificationReport struct {
	Verified bool                `json:"verified"`
	Checks   []VerificationCheck `json:"checks,omitempty"`
	Errors   []string            `json:"errors,omitempty"`
}

// VerificationLog records one verification of a credential.
type VerificationLog struct {
	ID                 string
	CredentialID       *string // nil for a credential TrustCred did not issue (00013)
	OrganizationID     *string // the issuing organization, when the credential is ours (00013)
	Verdict            *string `validate:"omitnil,oneof=valid revoked suspended expired invalid unavailable"` // (00013, unavailable 00016)
	VerifierAddress    *string `validate:"omitnil,max=500,email|did"`                                         // verifier's email or DID; nil for anonymous public verification
	VerifierUserID     *string
	VerificationResult datatypes.JSONType[VerificationReport]
	// ResultJSON, when set, is VerificationResult already encoded: what
	// InsertVerificationLogs writes instead (a cached page's report is
	// encoded once, not on every view).
	ResultJSON         []byte             `gorm:"-" validate:"-"`
	VerificationMethod VerificationMethod `validate:"required,oneof=api qr_code mobile_app web_interface"`
	IPAddress          *string
	UserAgent          *string
	VerifiedAt         time.Time `gorm:"autoCreateTime"`

	Credential *Credential `gorm:"foreignKey:CredentialID" validate:"-"`
}

func (VerificationLog) TableName() string { return "verification_logs" }

func (l *VerificationLog) BeforeCreate(*gorm.DB) error { return newID(&l.ID) }

// IssuerCategory tags an issuer organization with a category.
type IssuerCategory struct {
	ID        string
	IssuerID  string
	Category  string `validate:"required,max=100,name"`
	CreatedAt time.Time
}

func (IssuerCategory) TableName() string { return "issuer_categories" }

func (c *IssuerCategory) BeforeCreate(*gorm.DB) error { return newID(&c.ID) }

// Achievement describes the Open Badges 3.0 achievement of a badge template.
type Achievement struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Criteria    string `json:"criteria,omitempty"`
	ImageURL    string `json:"image_url,omitempty"`
}

// Cryptosuites a template may sign with; the first is the default.
const (
	CryptosuiteEdDSARDFC = "eddsa-rdfc-2022"
	CryptosuiteEdDSAJCS  = "eddsa-jcs-2022"
)

// TemplateDisplay is how a template's credentials are presented (the human
// view, the PDF): a title, a description, the criteria met and an image.
type TemplateDisplay struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Criteria    string `json:"criteria,omitempty"`
	ImageURL    string `json:"image_url,omitempty"`
}

// TemplateData is credential_templates.template_data.
type TemplateData struct {
	Kind         TemplateType      `json:"kind,omitempty"`          // badge issues an OpenBadgeCredential
	Cryptosuite  string            `json:"cryptosuite,omitempty"`   // eddsa-rdfc-2022 (default) or eddsa-jcs-2022
	ValidityDays int               `json:"validity_days,omitempty"` // 0: credentials do not expire by default
	Achievement  *Achievement      `json:"achievement,omitempty"`   // badge only
	Defaults     map[string]string `json:"defaults,omitempty"`      // default values by schema field name, as a form would send them (credschema.Coerce)
	Display      TemplateDisplay   `json:"display,omitzero"`
	DesignID     string            `json:"design_id,omitempty"` // custom_credential_templates.id for the PDF
}

// CredentialTemplate is a pre-built, reusable way to issue credentials of a schema;
// public templates appear in the marketplace.
type CredentialTemplate struct {
	ID             string
	Name           string  `validate:"required,max=200,name"`
	Description    *string `validate:"omitnil,max=2000,text"`
	OrganizationID string
	SchemaID       string
	TemplateData   datatypes.JSONType[TemplateData]
	IsPublic       bool
	Active         bool
	CategoryID     *string // added by migration 00002 (template_categories is a phase-2 table)
	CreatedAt      time.Time
	UpdatedAt      time.Time

	Organization *Organization     `gorm:"foreignKey:OrganizationID" validate:"-"`
	Schema       *CredentialSchema `gorm:"foreignKey:SchemaID" validate:"-"`
	Category     *TemplateCategory `gorm:"foreignKey:CategoryID" validate:"-"`
	Reviews      []TemplateReview  `gorm:"foreignKey:TemplateID" validate:"-"`
}

func (CredentialTemplate) TableName() string { return "credential_templates" }

func (t *CredentialTemplate) BeforeCreate(*gorm.DB) error { return newID(&t.ID) }
