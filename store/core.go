package store

import (
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/secret"
)

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

// Role is users.role; multisig_requirements.approver_roles holds a list of them.
type Role string

const (
	RoleSuperAdmin Role = "super_admin"
	RoleAdmin      Role = "admin"
	RoleIssuer     Role = "issuer"
	RoleReviewer   Role = "reviewer"
	RoleVerifier   Role = "verifier"
	RoleRecipient  Role = "recipient"
)

// Valid reports whether r is one of the values the database accepts.
func (r Role) Valid() bool {
	switch r {
	case RoleSuperAdmin, RoleAdmin, RoleIssuer, RoleReviewer, RoleVerifier, RoleRecipient:
		return true
	}
	return false
}

// UserProfile is users.profile.
type UserProfile struct {
	DisplayName string `json:"display_name,omitempty"`
	Phone       string `json:"phone,omitempty"` // E.164, used for SMS notifications
	Locale      string `json:"locale,omitempty"`
	Timezone    string `json:"timezone,omitempty"`
	AvatarURL   string `json:"avatar_url,omitempty"`
	Title       string `json:"title,omitempty"`
}

// User is anyone who signs in: platform operators, organization staff and recipients.
type User struct {
	ID                 string
	Email              string  `validate:"required,max=254,email"`
	DID                *string `gorm:"column:did" validate:"omitnil,max=500,did"`
	OrganizationID     *string
	Role               Role `gorm:"default:recipient" validate:"required,oneof=super_admin admin issuer reviewer verifier recipient"`
	Profile            datatypes.JSONType[UserProfile]
	EmailVerified      bool
	MFAEnabled         bool
	LastLogin          *time.Time
	PasswordHash       *string       // bcrypt; nil for users who only sign in through LDAP
	MFASecretEncrypted secret.Sealed // TOTP secret; nil until MFA is set up
	FailedLogins       int
	LockedUntil        *time.Time
	DeactivatedAt      *time.Time // set by an admin: the user cannot sign in (00004)
	MFALastStep        int64      `gorm:"column:mfa_last_step"` // last accepted TOTP time step, against replay (00004)
	CreatedAt          time.Time
	UpdatedAt          time.Time

	Organization *Organization `gorm:"foreignKey:OrganizationID" validate:"-"`
}

func (User) TableName() string { return "users" }

func (u *User) BeforeCreate(*gorm.DB) error { return newID(&u.ID) }
