package store

import (
	"time"

	"gorm.io/gorm"
)

// TokenPurpose is user_tokens.purpose.
type TokenPurpose string

const (
	TokenInvitation        TokenPurpose = "invitation"
	TokenPasswordReset     TokenPurpose = "password_reset"
	TokenEmailVerification TokenPurpose = "email_verification" // #nosec G101 -- the name of a token's purpose, not a token
)

// Valid reports whether p is one of the values the database accepts.
func (p TokenPurpose) Valid() bool {
	switch p {
	case TokenInvitation, TokenPasswordReset, TokenEmailVerification:
		return true
	}
	return false
}

// UserToken is a single-use, expiring link sent by email. Only the SHA-256
// of the token is stored; the token itself is in the link.
type UserToken struct {
	ID             string
	UserID         string
	OrganizationID *string
	Purpose        TokenPurpose `validate:"required,oneof=invitation password_reset email_verification"`
	TokenHash      string
	CreatedBy      *string
	ExpiresAt      time.Time
	UsedAt         *time.Time
	CreatedAt      time.Time

	User *User `gorm:"foreignKey:UserID" validate:"-"`
}

func (UserToken) TableName() string { return "user_tokens" }

func (t *UserToken) BeforeCreate(*gorm.DB) error { return newID(&t.ID) }

// MFARecoveryCode is one single-use recovery code, stored as its SHA-256.
type MFARecoveryCode struct {
	ID        string
	UserID    string
	CodeHash  string
	UsedAt    *time.Time
	CreatedAt time.Time
}

func (MFARecoveryCode) TableName() string { return "mfa_recovery_codes" }

func (c *MFARecoveryCode) BeforeCreate(*gorm.DB) error { return newID(&c.ID) }
