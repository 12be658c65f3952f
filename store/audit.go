package store

import (
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// FieldChange is one changed attribute in an audit entry.
type FieldChange struct {
	Field string `json:"field"`
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
}

// AuditDetails is the details column of audit_logs and enhanced_audit_logs.
type AuditDetails struct {
	Summary string            `json:"summary,omitempty"`
	Changes []FieldChange     `json:"changes,omitempty"`
	Reason  string            `json:"reason,omitempty"`
	Extra   map[string]string `json:"extra,omitempty"`
}

// AuditLog is one entry of the basic audit trail.
type AuditLog struct {
	ID             string
	UserID         *string
	OrganizationID *string
	Action         string `validate:"required,max=100"`
	ResourceType   string `validate:"required,max=100"`
	ResourceID     *string
	Details        datatypes.JSONType[AuditDetails]
	IPAddress      *string
	UserAgent      *string
	CreatedAt      time.Time
}

func (AuditLog) TableName() string { return "audit_logs" }

func (l *AuditLog) BeforeCreate(*gorm.DB) error { return newID(&l.ID) }

// Geolocation is enhanced_audit_logs.geolocation, resolved from the IP address.
type Geolocation struct {
	Country   string   `json:"country,omitempty"` // ISO 3166-1 alpha-2
	Region    string   `json:"region,omitempty"`
	City      string   `json:"city,omitempty"`
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
}

// ComplianceTag is one element of enhanced_audit_logs.compliance_tags (an open set).
type ComplianceTag string

const (
	ComplianceGDPR     ComplianceTag = "GDPR"
	ComplianceSOC2     ComplianceTag = "SOC2"
	ComplianceISO27001 ComplianceTag = "ISO27001"
)

// EnhancedAuditLog is one entry of the compliance audit trail.
type EnhancedAuditLog struct {
	ID             string
	UserID         *string
	OrganizationID *string
	SessionID      *string
	Action         string `validate:"required,max=100"`
	ResourceType   string `validate:"required,max=100"`
	ResourceID     *string
	Details        datatypes.JSONType[AuditDetails]
	IPAddress      *string
	UserAgent      *string
	Geolocation    datatypes.JSONType[Geolocation]
	RiskScore      int `validate:"min=0,max=100"` // 0..100
	ComplianceTags datatypes.JSONSlice[ComplianceTag]
	RetentionUntil *datatypes.Date
	CreatedAt      time.Time
}

func (EnhancedAuditLog) TableName() string { return "enhanced_audit_logs" }

func (l *EnhancedAuditLog) BeforeCreate(*gorm.DB) error { return newID(&l.ID) }

func (l *EnhancedAuditLog) BeforeSave(*gorm.DB) error {
	emptyIfNil(&l.ComplianceTags)
	return nil
}

// RetentionDataType is retention_policies.data_type (an open set).
type RetentionDataType string

const (
	RetainAuditLogs   RetentionDataType = "audit_logs"
	RetainCredentials RetentionDataType = "credentials"
	RetainUserData    RetentionDataType = "user_data"
)

// RetentionPolicy says how long an organization keeps one kind of data.
type RetentionPolicy struct {
	ID                  string
	OrganizationID      string
	DataType            RetentionDataType `validate:"required,max=50"`
	RetentionPeriodDays int               `validate:"min=1,max=36500"`
	RetentionReason     *string           `validate:"omitnil,max=1000"`
	Active              bool
	CreatedAt           time.Time
}

func (RetentionPolicy) TableName() string { return "retention_policies" }

func (p *RetentionPolicy) BeforeCreate(*gorm.DB) error { return newID(&p.ID) }
