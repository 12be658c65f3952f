package store

import (
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/secret"
)

// LDAPConfiguration connects an organization to an LDAP or Active Directory server.
type LDAPConfiguration struct {
	ID                    string
	OrganizationID        string
	Name                  string  `validate:"required,max=100"`
	ServerURL             string  `validate:"required,max=2048,ldapurl"` // ldap:// or ldaps://
	BaseDN                string  `validate:"required,max=1000"`
	BindDN                *string `validate:"omitnil,max=1000"`
	BindPasswordEncrypted secret.Sealed
	UserSearchFilter      *string `validate:"omitnil,max=1000"`
	GroupSearchFilter     *string `validate:"omitnil,max=1000"`
	SyncEnabled           bool
	SyncIntervalMinutes   int `gorm:"default:60" validate:"min=1,max=10080"`
	LastSyncAt            *time.Time
	CreatedAt             time.Time

	Mappings []LDAPUserMapping `gorm:"foreignKey:LDAPConfigID" validate:"-"`
}

func (LDAPConfiguration) TableName() string { return "ldap_configurations" }

func (c *LDAPConfiguration) BeforeCreate(*gorm.DB) error { return newID(&c.ID) }

// LDAPUserMapping links an LDAP entry to a local user.
type LDAPUserMapping struct {
	ID           string
	LDAPConfigID string
	LDAPUserID   string // the entry's DN
	LocalUserID  string
	LDAPGroups   datatypes.JSONSlice[string] // group DNs at the last sync
	LastSyncAt   *time.Time
	CreatedAt    time.Time

	LocalUser *User `gorm:"foreignKey:LocalUserID" validate:"-"`
}

func (LDAPUserMapping) TableName() string { return "ldap_user_mappings" }

func (m *LDAPUserMapping) BeforeCreate(*gorm.DB) error { return newID(&m.ID) }

func (m *LDAPUserMapping) BeforeSave(*gorm.DB) error {
	emptyIfNil(&m.LDAPGroups)
	return nil
}

// ERPType is erp_integrations.erp_type (an open set).
type ERPType string

const (
	ERPSAP      ERPType = "sap"
	ERPOracle   ERPType = "oracle"
	ERPNetSuite ERPType = "netsuite"
	ERPCustom   ERPType = "custom"
)

// SyncDirection is erp_integrations.sync_direction.
type SyncDirection string

const (
	SyncInbound       SyncDirection = "inbound"
	SyncOutbound      SyncDirection = "outbound"
	SyncBidirectional SyncDirection = "bidirectional"
)

// Valid reports whether d is one of the values the database accepts.
func (d SyncDirection) Valid() bool {
	switch d {
	case SyncInbound, SyncOutbound, SyncBidirectional:
		return true
	}
	return false
}

// ERPIntegration connects an organization to its ERP system.
type ERPIntegration struct {
	ID                 string
	OrganizationID     string
	ERPType            ERPType `validate:"required,max=50"`
	Name               string  `validate:"required,max=100"`
	APIEndpoint        string  `validate:"required,max=2048,httpurl"`
	APIKeyEncrypted    secret.Sealed
	APISecretEncrypted secret.Sealed
	WebhookURL         *string `validate:"omitnil,max=2048,httpurl"`
	SyncEnabled        bool
	SyncDirection      SyncDirection `gorm:"default:bidirectional" validate:"required,oneof=inbound outbound bidirectional"`
	LastSyncAt         *time.Time
	CreatedAt          time.Time
}

func (ERPIntegration) TableName() string { return "erp_integrations" }

func (i *ERPIntegration) BeforeCreate(*gorm.DB) error { return newID(&i.ID) }
