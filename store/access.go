package store

import (
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// UserSession is a server-side login session.
type UserSession struct {
	ID           string
	UserID       string
	SessionToken string // SHA-256 of the cookie's token, never the token itself
	ExpiresAt    time.Time
	IPAddress    *string
	UserAgent    *string
	CreatedAt    time.Time
	LastSeenAt   *time.Time
	RevokedAt    *time.Time

	User *User `gorm:"foreignKey:UserID" validate:"-"`
}

func (UserSession) TableName() string { return "user_sessions" }

func (s *UserSession) BeforeCreate(*gorm.DB) error { return newID(&s.ID) }

// APIScope is one element of api_keys.permissions. There is no scope for
// verifying: the verify endpoints are public (migration 00015 removed the
// credentials:verify that keys once held).
type APIScope string

const (
	ScopeCredentialsRead   APIScope = "credentials:read"
	ScopeCredentialsIssue  APIScope = "credentials:issue"
	ScopeCredentialsRevoke APIScope = "credentials:revoke"
	ScopeSchemasRead       APIScope = "schemas:read"
	ScopeSchemasWrite      APIScope = "schemas:write"
	ScopeTemplatesRead     APIScope = "templates:read"
	ScopeTemplatesWrite    APIScope = "templates:write"
)

// Valid reports whether s is a scope TrustCred knows.
func (s APIScope) Valid() bool {
	switch s {
	case ScopeCredentialsRead, ScopeCredentialsIssue, ScopeCredentialsRevoke,
		ScopeSchemasRead, ScopeSchemasWrite, ScopeTemplatesRead, ScopeTemplatesWrite:
		return true
	}
	return false
}

// APIKey authenticates an organization's API client.
type APIKey struct {
	ID             string
	OrganizationID string
	Name           string                        `validate:"required,max=100,line"`
	KeyHash        string                        // hash of the full key; the key itself is shown once
	Permissions    datatypes.JSONSlice[APIScope] `validate:"dive,oneof=credentials:read credentials:issue credentials:revoke schemas:read schemas:write templates:read templates:write"`
	Active         bool
	LastUsed       *time.Time
	ExpiresAt      *time.Time
	CreatedAt      time.Time
	Prefix         string // the visible start of the key, to recognise it in lists

	Organization *Organization `gorm:"foreignKey:OrganizationID" validate:"-"`
}

func (APIKey) TableName() string { return "api_keys" }

func (k *APIKey) BeforeCreate(*gorm.DB) error { return newID(&k.ID) }

func (k *APIKey) BeforeSave(*gorm.DB) error {
	emptyIfNil(&k.Permissions)
	return nil
}
