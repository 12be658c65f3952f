package store

import (
	"encoding/json"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// TemplateCategory groups marketplace templates; categories nest.
type TemplateCategory struct {
	ID               string
	Name             string  `validate:"required,max=100"`
	Description      *string `validate:"omitnil,max=2000"`
	Icon             *string `validate:"omitnil,max=100"`
	ParentCategoryID *string
	Active           bool
	CreatedAt        time.Time

	Parent *TemplateCategory `gorm:"foreignKey:ParentCategoryID" validate:"-"`
}

func (TemplateCategory) TableName() string { return "template_categories" }

func (c *TemplateCategory) BeforeCreate(*gorm.DB) error { return newID(&c.ID) }

// TemplateReview is one member's rating of a marketplace template: one per
// user and template, written through the reviewer's organization's scoped
// handle (OrganizationID is the reviewer's organization, the tenant
// column). A hidden review (HiddenAt, set by a platform operator) stays
// in the table but leaves the template's page and aggregates.
type TemplateReview struct {
	ID             string
	TemplateID     string
	ReviewerID     string
	OrganizationID string
	Rating         int     `validate:"min=1,max=5"` // 1..5
	ReviewText     *string `validate:"omitnil,max=5000"`
	HelpfulVotes   int     `validate:"min=0"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
	HiddenAt       *time.Time
	HiddenReason   *string `validate:"omitnil,max=1000"`

	Template *CredentialTemplate `gorm:"foreignKey:TemplateID" validate:"-"`
	Reviewer *User               `gorm:"foreignKey:ReviewerID" validate:"-"`
}

func (TemplateReview) TableName() string { return "template_reviews" }

func (r *TemplateReview) BeforeCreate(*gorm.DB) error { return newID(&r.ID) }

// Licence is the licence a publisher offers a marketplace template under
// (marketplace_listings.licence): a short list of SPDX identifiers.
type Licence string

const (
	LicenceCC0     Licence = "CC0-1.0"
	LicenceCCBY    Licence = "CC-BY-4.0"
	LicenceCCBYSA  Licence = "CC-BY-SA-4.0"
	LicenceCCBYND  Licence = "CC-BY-ND-4.0"
	DefaultLicence         = LicenceCCBY
)

// Licences lists the licences a publisher chooses from, in the order the
// form shows them.
func Licences() []Licence { return []Licence{LicenceCCBY, LicenceCCBYSA, LicenceCC0, LicenceCCBYND} }

// Valid reports whether l is one of Licences.
func (l Licence) Valid() bool {
	switch l {
	case LicenceCC0, LicenceCCBY, LicenceCCBYSA, LicenceCCBYND:
		return true
	}
	return false
}

// Title is the licence's name as people read it.
func (l Licence) Title() string {
	switch l {
	case LicenceCC0:
		return "CC0 1.0 (public domain)"
	case LicenceCCBY:
		return "CC BY 4.0 (attribution)"
	case LicenceCCBYSA:
		return "CC BY-SA 4.0 (attribution, share alike)"
	case LicenceCCBYND:
		return "CC BY-ND 4.0 (attribution, no derivatives)"
	}
	return string(l)
}

// MarketplaceListing is what a published template offers the catalogue:
// one row per template ever published. The template is listed while it is
// public (credential_templates.is_public) and active and its organization
// active. Name, Summary, Description and Labels are the published
// version's text, which the full-text index covers; Adoptions and the
// rating aggregates are kept by the adoption and review doors in their
// transactions.
type MarketplaceListing struct {
	ID             string
	TemplateID     string
	OrganizationID string
	Kind           TemplateType `validate:"required,oneof=diploma certificate license badge"`
	Licence        Licence      `validate:"required,oneof=CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0 CC-BY-ND-4.0"`
	Name           string       `validate:"required,max=200"`
	Summary        string       `validate:"required,max=300"`
	Description    string       `validate:"max=2000"`
	Labels         string       `validate:"max=20000"` // the schema's field labels, one per line
	Version        int          `validate:"min=1"`
	PublishedAt    time.Time
	Adoptions      int `validate:"min=0"`
	RatingCount    int `validate:"min=0"`
	RatingSum      int `validate:"min=0"`
	// Adoptions in the 30 days before TrendingAt, kept by
	// RefreshMarketplaceTrending (migration 00031); nil TrendingAt: never
	// counted.
	Adoptions30d int        `gorm:"column:adoptions_30d" validate:"min=0"`
	TrendingAt   *time.Time `gorm:"column:trending_at"`
	// Set while a platform operator keeps the template out of the
	// catalogue (moderation), whatever its publisher's is_public says.
	UnlistedAt     *time.Time
	UnlistedReason *string `validate:"omitnil,max=1000"`
	// AlignmentTerms are the published version's Open Badges alignment
	// targets as "\nF:<framework>\nT:<target name>\n..." (AlignmentTerms;
	// migration 00036), which the "Aligned to" filter matches.
	AlignmentTerms string `validate:"max=100000"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (MarketplaceListing) TableName() string { return "marketplace_listings" }

func (l *MarketplaceListing) BeforeCreate(*gorm.DB) error { return newID(&l.ID) }

// TemplateSnapshot is a published version of a template: what adopters
// copy. It never carries the publisher's private data (default values,
// the PDF design).
type TemplateSnapshot struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Data        TemplateData   `json:"data"`
	Schema      SchemaSnapshot `json:"schema"`
}

// SchemaSnapshot is the schema of a published version.
type SchemaSnapshot struct {
	Name       string          `json:"name"`
	Version    string          `json:"version"`
	Fields     []SchemaField   `json:"fields"`
	Definition json.RawMessage `json:"definition,omitempty"`
}

// TemplateVersion is one published version of a template.
type TemplateVersion struct {
	ID          string
	TemplateID  string
	Version     int `validate:"min=1"`
	Snapshot    datatypes.JSONType[TemplateSnapshot]
	Provenance  *datatypes.JSON // the version signed by the publisher's issuer key (00032); nil (NULL) before signing existed
	PublishedAt time.Time
	CreatedAt   time.Time
}

func (TemplateVersion) TableName() string { return "template_versions" }

func (v *TemplateVersion) BeforeCreate(*gorm.DB) error { return newID(&v.ID) }

// TemplateAdoption records that an organization copied a marketplace
// template: the copy (TemplateID, the adopter's), the source template and
// version (derivedFrom), and the source's name and issuer as they were.
type TemplateAdoption struct {
	ID               string
	OrganizationID   string
	TemplateID       string
	SourceTemplateID *string // nil once the source is deleted
	SourceVersion    int     `validate:"min=1"`
	SourceName       string  `validate:"required,max=200"`
	SourceIssuer     string  `validate:"required,max=200"`
	AdoptedBy        *string
	Provenance       *datatypes.JSON // the signed version it was copied from or updated to (00032); nil (NULL) when unsigned
	CreatedAt        time.Time
}

func (TemplateAdoption) TableName() string { return "template_adoptions" }

func (a *TemplateAdoption) BeforeCreate(*gorm.DB) error { return newID(&a.ID) }

// TemplateReviewVote is one user's "Helpful" vote on a review: once per
// user and review. OrganizationID is the voter's organization.
type TemplateReviewVote struct {
	ID             string
	ReviewID       string
	UserID         string
	OrganizationID string
	CreatedAt      time.Time
}

func (TemplateReviewVote) TableName() string { return "template_review_votes" }

func (v *TemplateReviewVote) BeforeCreate(*gorm.DB) error { return newID(&v.ID) }

// ReportReason is why someone reports a review or a template.
type ReportReason string

const (
	ReportSpam       ReportReason = "spam"
	ReportOffensive  ReportReason = "offensive"
	ReportMisleading ReportReason = "misleading"
	ReportCopyright  ReportReason = "copyright"
	ReportOther      ReportReason = "other"
)

// ReportReasons lists the reasons in the order the form offers them.
func ReportReasons() []ReportReason {
	return []ReportReason{ReportSpam, ReportOffensive, ReportMisleading, ReportCopyright, ReportOther}
}

// Title is the reason as people read it.
func (r ReportReason) Title() string {
	switch r {
	case ReportSpam:
		return "Spam or advertising"
	case ReportOffensive:
		return "Offensive or abusive"
	case ReportMisleading:
		return "Misleading or false"
	case ReportCopyright:
		return "Copies someone else's work"
	case ReportOther:
		return "Something else"
	}
	return string(r)
}

// MarketplaceReport is a report of abuse: of a review (ReviewID set) or
// of a template (ReviewID nil), by a member of OrganizationID. It waits in
// the moderation queue until a platform operator resolves it.
type MarketplaceReport struct {
	ID             string
	OrganizationID string
	ReporterID     *string
	TemplateID     string
	ReviewID       *string
	Reason         ReportReason `validate:"required,oneof=spam offensive misleading copyright other"`
	Details        string       `validate:"max=2000"`
	ResolvedAt     *time.Time
	Resolution     *string `validate:"omitnil,max=1000"`
	CreatedAt      time.Time
}

func (MarketplaceReport) TableName() string { return "marketplace_reports" }

func (r *MarketplaceReport) BeforeCreate(*gorm.DB) error { return newID(&r.ID) }
