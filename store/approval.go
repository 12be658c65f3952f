package store

import (
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// MultisigRequirement says how many approvals issuing a credential of a
// schema needs: RequiredSignatures of the people who hold one of
// ApproverRoles or are named in ApproverUserIDs. Several active rules of
// one schema must all hold. The configuration is store/approval_config.go.
type MultisigRequirement struct {
	ID                 string
	SchemaID           string
	RuleName           string                      `validate:"max=100"`                        // "Registrar's office"; "" for an unnamed rule (00023)
	RequiredSignatures int                         `gorm:"default:1" validate:"min=1,max=100"` // at least 1
	ApproverRoles      datatypes.JSONSlice[Role]   `validate:"dive,oneof=super_admin admin issuer reviewer verifier recipient"`
	ApproverUserIDs    datatypes.JSONSlice[string] // people named besides the roles' holders (00023)
	Active             bool
	CreatedAt          time.Time

	Schema *CredentialSchema `gorm:"foreignKey:SchemaID" validate:"-"`
}

func (MultisigRequirement) TableName() string { return "multisig_requirements" }

func (r *MultisigRequirement) BeforeCreate(*gorm.DB) error { return newID(&r.ID) }

func (r *MultisigRequirement) BeforeSave(*gorm.DB) error {
	emptyIfNil(&r.ApproverRoles)
	emptyIfNil(&r.ApproverUserIDs)
	return nil
}

// ApprovalStatus is credential_approvals.approval_status.
type ApprovalStatus string

const (
	ApprovalPending  ApprovalStatus = "pending"
	ApprovalApproved ApprovalStatus = "approved"
	ApprovalRejected ApprovalStatus = "rejected"
)

// Valid reports whether s is one of the values the database accepts.
func (s ApprovalStatus) Valid() bool {
	switch s {
	case ApprovalPending, ApprovalApproved, ApprovalRejected:
		return true
	}
	return false
}

// CredentialApproval is one approver's decision on a pending credential.
type CredentialApproval struct {
	ID             string
	CredentialID   string
	ApproverID     string
	ApprovalStatus ApprovalStatus `gorm:"default:pending" validate:"required,oneof=pending approved rejected"`
	ApprovalNotes  *string        `validate:"omitnil,max=2000"`
	ApprovedAt     *time.Time     // when the decision was made (approved or rejected)
	CreatedAt      time.Time
	// The request's runtime (00022; NULL on rows from before it): the
	// request decided on, its organization, the round and step decided in,
	// the role that made the approver eligible, and the person a delegate
	// decided for. See approval_flow.go.
	RequestID      *string
	OrganizationID *string
	Round          int     `gorm:"default:1" validate:"min=1"`
	Step           int     `gorm:"default:1" validate:"min=1"`
	ApproverRole   *string `validate:"omitnil,max=50"`
	ActingForID    *string

	Credential *Credential `gorm:"foreignKey:CredentialID" validate:"-"`
	Approver   *User       `gorm:"foreignKey:ApproverID" validate:"-"`
	ActingFor  *User       `gorm:"foreignKey:ActingForID" validate:"-"`
}

func (CredentialApproval) TableName() string { return "credential_approvals" }

func (a *CredentialApproval) BeforeCreate(*gorm.DB) error { return newID(&a.ID) }
