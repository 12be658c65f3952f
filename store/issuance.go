package store

import (
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/secret"
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

// SigningKeyStatus is signing_keys.status.
type SigningKeyStatus string

const (
	KeyActive  SigningKeyStatus = "active"  // signs new credentials; one per organization
	KeyRetired SigningKeyStatus = "retired" // still published, so that what it signed verifies
)

// Valid reports whether s is one of the values the database accepts.
func (s SigningKeyStatus) Valid() bool { return s == KeyActive || s == KeyRetired }

// SigningKey is one of an organization's Ed25519 credential signing keys.
type SigningKey struct {
	ID                  string
	OrganizationID      string
	KeyID               string // the verification method's fragment in the DID document
	PublicKeyMultibase  string // Multikey, z6Mk…
	PrivateKeyEncrypted secret.Sealed
	Status              SigningKeyStatus `gorm:"default:active" validate:"required,oneof=active retired"`
	CreatedAt           time.Time
	RetiredAt           *time.Time
}

func (SigningKey) TableName() string { return "signing_keys" }

func (k *SigningKey) BeforeCreate(*gorm.DB) error { return newID(&k.ID) }

// StatusPurpose is status_lists.purpose, the statusPurpose of a
// BitstringStatusListEntry.
type StatusPurpose string

const (
	PurposeRevocation StatusPurpose = "revocation"
	PurposeSuspension StatusPurpose = "suspension"
)

// Valid reports whether p is one of the values the database accepts.
func (p StatusPurpose) Valid() bool { return p == PurposeRevocation || p == PurposeSuspension }

// StatusListSize is the number of entries of a new status list: W3C
// Bitstring Status List's minimum of 131,072 (16 KiB), which keeps a
// credential's index from identifying it among few others.
const StatusListSize = 131072

// StatusList is one W3C Bitstring Status List of an organization.
type StatusList struct {
	ID                string
	OrganizationID    string
	Purpose           StatusPurpose `validate:"required,oneof=revocation suspension"`
	IssuerDID         string        `gorm:"column:issuer_did"` // the issuer of the list and of the credentials in it
	ListNumber        int
	Size              int    `gorm:"default:131072"`
	Bitstring         []byte // unpacked bits, bit i is bit 7-(i%8) of byte i/8
	NextIndex         int
	Version           int     `gorm:"default:1"` // bumped on every bit change
	Credential        *string // the signed status list credential of CredentialVersion
	CredentialVersion *int
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (StatusList) TableName() string { return "status_lists" }

func (l *StatusList) BeforeCreate(*gorm.DB) error { return newID(&l.ID) }

// StatusChannel is credential_status_changes.via.
type StatusChannel string

// Valid reports whether c is one of the values the database accepts.
func (c StatusChannel) Valid() bool { return c == ViaWeb || c == ViaAPI || c == ViaSystem }

const (
	ViaWeb    StatusChannel = "web"
	ViaAPI    StatusChannel = "api"
	ViaSystem StatusChannel = "system"
)

// CredentialStatusChange is one entry of a credential's status history.
type CredentialStatusChange struct {
	ID             string
	CredentialID   string
	OrganizationID string
	FromStatus     CredentialStatus `validate:"required,oneof=draft pending active rejected suspended revoked expired"`
	ToStatus       CredentialStatus `validate:"required,oneof=draft pending active rejected suspended revoked expired"`
	Reason         *string
	ActorUserID    *string
	Via            StatusChannel `validate:"required,oneof=web api system"`
	CreatedAt      time.Time

	Actor *User `gorm:"foreignKey:ActorUserID" validate:"-"`
}

func (CredentialStatusChange) TableName() string { return "credential_status_changes" }

func (c *CredentialStatusChange) BeforeCreate(*gorm.DB) error { return newID(&c.ID) }

// BatchStatus is issuance_batches.status.
type BatchStatus string

const (
	BatchValidated BatchStatus = "validated" // rows checked, waiting for the user to issue
	BatchQueued    BatchStatus = "queued"
	BatchRunning   BatchStatus = "running"
	BatchCompleted BatchStatus = "completed"
	BatchCancelled BatchStatus = "cancelled"
)

// Valid reports whether s is one of the values the database accepts.
func (s BatchStatus) Valid() bool {
	switch s {
	case BatchValidated, BatchQueued, BatchRunning, BatchCompleted, BatchCancelled:
		return true
	}
	return false
}

// IssuanceBatch is one bulk issuance from a CSV file.
type IssuanceBatch struct {
	ID             string
	OrganizationID string
	TemplateID     *string
	CreatedBy      *string
	Filename       *string
	Status         BatchStatus                           `gorm:"default:validated" validate:"required,oneof=validated queued running completed cancelled"`
	ColumnMapping  datatypes.JSONType[map[string]string] // schema field (or recipient_name, recipient_address) → CSV header
	TotalRows      int
	InvalidRows    int
	IssuedCount    int
	FailedCount    int
	SendEmail      bool
	StartedAt      *time.Time
	CompletedAt    *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time

	Template *CredentialTemplate `gorm:"foreignKey:TemplateID" validate:"-"`
}

func (IssuanceBatch) TableName() string { return "issuance_batches" }

func (b *IssuanceBatch) BeforeCreate(*gorm.DB) error { return newID(&b.ID) }

// BatchRowStatus is issuance_batch_rows.status.
type BatchRowStatus string

const (
	RowPending BatchRowStatus = "pending"
	RowInvalid BatchRowStatus = "invalid"
	RowIssued  BatchRowStatus = "issued"
	RowFailed  BatchRowStatus = "failed"
)

// Valid reports whether s is one of the values the database accepts.
func (s BatchRowStatus) Valid() bool {
	switch s {
	case RowPending, RowInvalid, RowIssued, RowFailed:
		return true
	}
	return false
}

// IssuanceBatchRow is one CSV row of a batch; its data (the row's values
// by column) is sealed.
type IssuanceBatchRow struct {
	ID            string
	BatchID       string
	RowNumber     int // 1-based, the header excluded
	DataEncrypted secret.Sealed
	Status        BatchRowStatus `gorm:"default:pending" validate:"required,oneof=pending invalid issued failed"`
	Error         *string
	CredentialID  *string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (IssuanceBatchRow) TableName() string { return "issuance_batch_rows" }

func (r *IssuanceBatchRow) BeforeCreate(*gorm.DB) error { return newID(&r.ID) }
