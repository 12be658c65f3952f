package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// DIDMethod is organizations.did_method: how an organization names itself
// as the issuer of its credentials.
type DIDMethod string

const (
	DIDWeb DIDMethod = "web" // did:web:{host}:orgs:{slug}, keys in /orgs/{slug}/did.json
	DIDKey DIDMethod = "key" // the active signing key's did:key
)

// Valid reports whether m is one of the values the database accepts.
func (m DIDMethod) Valid() bool { return m == DIDWeb || m == DIDKey }

// ErrSlugTaken is returned when another organization has the slug (or DID).
var ErrSlugTaken = errors.New("an organization with this address already exists")

// CreateOrganization creates an organization (platform-wide operation:
// operator tools, tests) and audits it. ErrSlugTaken or ErrNameTaken when
// another organization has the slug or the name.
func (db *DB) CreateOrganization(ctx context.Context, o *Organization, actor Actor) error {
	err := db.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(o).Error; err != nil {
			return err
		}
		actor.OrganizationID = &o.ID
		return audit(tx, actor, "organization.created", "organization", o.ID,
			AuditDetails{Summary: fmt.Sprintf("Created %s (%s)", o.Name, o.Slug)})
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		if cerr := registrationConflicts(db.gorm.WithContext(ctx), o.Slug, o.Name, ""); cerr != nil {
			return cerr
		}
		return ErrSlugTaken
	}
	return err
}

// OrganizationType is organizations.type.
type OrganizationType string

const (
	OrganizationEducational  OrganizationType = "educational"
	OrganizationProfessional OrganizationType = "professional"
	OrganizationGovernment   OrganizationType = "government"
	OrganizationCorporate    OrganizationType = "corporate"
	OrganizationAssociation  OrganizationType = "association"
)

// Valid reports whether t is one of the values the database accepts.
func (t OrganizationType) Valid() bool {
	switch t {
	case OrganizationEducational, OrganizationProfessional, OrganizationGovernment,
		OrganizationCorporate, OrganizationAssociation:
		return true
	}
	return false
}

// OrganizationStatus is organizations.status.
type OrganizationStatus string

const (
	OrganizationPending   OrganizationStatus = "pending"
	OrganizationActive    OrganizationStatus = "active"
	OrganizationSuspended OrganizationStatus = "suspended"
	OrganizationRevoked   OrganizationStatus = "revoked"
)

// Valid reports whether s is one of the values the database accepts.
func (s OrganizationStatus) Valid() bool {
	switch s {
	case OrganizationPending, OrganizationActive, OrganizationSuspended, OrganizationRevoked:
		return true
	}
	return false
}

// Blocked reports whether an organization in this status locks its
// members out (suspended or revoked): they cannot sign in and their
// sessions end. Its data, credentials included, is kept.
func (s OrganizationStatus) Blocked() bool {
	return s == OrganizationSuspended || s == OrganizationRevoked
}

// Organization is an issuer: a university, company, agency or association.
type Organization struct {
	ID          string
	Name        string           `validate:"required,max=200,name"`
	Slug        string           `validate:"required,max=63,slug"` // unique, URL-safe: [a-z0-9]+(-[a-z0-9]+)*
	Type        OrganizationType `validate:"required,oneof=educational professional government corporate association"`
	Domain      *string          `validate:"omitnil,max=253,fqdn"`
	Verified    bool
	DID         string             `gorm:"column:did"` // issuer DID (did:web:…:orgs:slug or did:key)
	MetadataURI *string            `validate:"omitnil,max=2048,url"`
	Status      OrganizationStatus `gorm:"default:pending" validate:"required,oneof=pending active suspended revoked"`
	RequireMFA  bool               `gorm:"column:require_mfa"` // members must enrol a second factor (00004)
	// How the organization identifies itself as issuer (00009): did:web
	// (default) or the active signing key's did:key, kept in DID.
	DIDMethod DIDMethod `gorm:"column:did_method;default:web" validate:"required,oneof=web key"`
	// The public profile (00006): blank form fields are stored as nil.
	Description  *string `validate:"omitnil,max=2000,text"`
	Website      *string `validate:"omitnil,max=2048,httpurl"`
	ContactEmail *string `validate:"omitnil,max=254,email"`
	LogoKey      *string `validate:"omitnil,blobkey"` // the logo's key in blob storage (internal/blob)
	// Why and when the status last changed (00006): the reason for a
	// suspension or revocation, shown to members who try to sign in.
	StatusReason    *string `validate:"omitnil,max=1000,text"`
	StatusChangedAt *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time

	Members   []User               `gorm:"foreignKey:OrganizationID" validate:"-"`
	Schemas   []CredentialSchema   `gorm:"foreignKey:OrganizationID" validate:"-"`
	Templates []CredentialTemplate `gorm:"foreignKey:OrganizationID" validate:"-"`
}

func (Organization) TableName() string { return "organizations" }

func (o *Organization) BeforeCreate(*gorm.DB) error {
	if o.DIDMethod == "" {
		o.DIDMethod = DIDWeb
	}
	return newID(&o.ID)
}

// OrganizationByID finds an organization by id (platform-wide).
func (db *DB) OrganizationByID(ctx context.Context, id string) (*Organization, error) {
	var o Organization
	err := db.gorm.WithContext(ctx).First(&o, "id = ?", id).Error
	return &o, notFound(err)
}

// OrganizationBySlug finds an organization by slug (platform-wide).
func (db *DB) OrganizationBySlug(ctx context.Context, slug string) (*Organization, error) {
	var o Organization
	err := db.gorm.WithContext(ctx).First(&o, "slug = ?", slug).Error
	return &o, notFound(err)
}

// OrganizationByDID finds the organization whose issuer DID is did
// (platform-wide: naming the issuer of a document brought to /verify): its
// own (organizations.did), or did:web:<domain> of its verified custom domain
// while it issues, or has issued, under it (DomainIssuer, the same rule by
// which our verifier resolves that DID).
func (db *DB) OrganizationByDID(ctx context.Context, did string) (*Organization, error) {
	if host, ok := strings.CutPrefix(did, "did:web:"); ok && host != "" && !strings.ContainsAny(host, ":%/") {
		orgID, err := db.DomainIssuer(ctx, strings.ToLower(host))
		if err == nil {
			return db.OrganizationByID(ctx, orgID)
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	var o Organization
	err := db.gorm.WithContext(ctx).First(&o, "did = ?", did).Error
	return &o, notFound(err)
}

// Issuer is what an organization's public page shows.
type Issuer struct {
	Organization
	Categories []string // issuer_categories, alphabetical; only for an active organization
}

// PublicIssuer finds the organization with this slug for its public page:
// platform-wide, as the page is public. Unknown and revoked organizations
// are ErrNotFound; pending and suspended ones are returned without their
// categories (the page says they are not active).
func (db *DB) PublicIssuer(ctx context.Context, slug string) (*Issuer, error) {
	g := db.gorm.WithContext(ctx)
	var is Issuer
	if err := g.Where("slug = ? AND status <> ?", slug, OrganizationRevoked).First(&is.Organization).Error; err != nil {
		return nil, notFound(err)
	}
	if is.Status != OrganizationActive {
		return &is, nil
	}
	err := g.Model(&IssuerCategory{}).Where("issuer_id = ?", is.ID).Order("category").Pluck("category", &is.Categories).Error
	return &is, err
}
