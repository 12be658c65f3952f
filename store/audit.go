package store

import (
	"context"
	"fmt"
	"strings"
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

// Audit writes one audit log entry outside any other transaction.
func (db *DB) Audit(ctx context.Context, actor Actor, action, resourceType, resourceID string, d AuditDetails) error {
	return audit(db.gorm.WithContext(ctx), actor, action, resourceType, resourceID, d)
}

func audit(tx *gorm.DB, actor Actor, action, resourceType, resourceID string, d AuditDetails) error {
	e := auditEntry(actor, action, resourceType, resourceID, d)
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("store: audit %s: %w", action, err)
	}
	return nil
}

// auditEntry is the audit log row audit writes (several are written at
// once by StoreIssuedCredentials).
func auditEntry(actor Actor, action, resourceType, resourceID string, d AuditDetails) AuditLog {
	e := AuditLog{
		UserID: actor.UserID, OrganizationID: actor.OrganizationID,
		Action: action, ResourceType: resourceType, Details: datatypesJSON(d),
	}
	if resourceID != "" {
		e.ResourceID = &resourceID
	}
	if actor.IP != "" {
		e.IPAddress = &actor.IP
	}
	if actor.UserAgent != "" {
		ua := actor.UserAgent
		if len(ua) > 512 {
			ua = ua[:512]
		}
		e.UserAgent = &ua
	}
	return e
}

func datatypesJSON(d AuditDetails) datatypes.JSONType[AuditDetails] { return datatypes.NewJSONType(d) }

// AuditFilter selects audit entries. Zero fields select everything.
type AuditFilter struct {
	ActorEmail   string    // part of the actor's email, any case
	Action       string    // the action or its beginning: "login" matches login.failed and login.succeeded
	ResourceType string    // exactly
	From, To     time.Time // created_at >= From, created_at < To
	Before       *Cursor   // only entries older than this one (the next page)
	Limit        int       // page size: 1..MaxAuditPage, default DefaultAuditPage
}

// Page sizes of the audit trail.
const (
	DefaultAuditPage = 50
	MaxAuditPage     = 200
)

// AuditEntry is an audit log row as lists show it: with the actor's email
// and the organization's name when they still exist.
type AuditEntry struct {
	AuditLog
	ActorEmail       *string
	OrganizationName *string
}

// AuditPage is one page of the audit trail, newest first.
type AuditPage struct {
	Entries []AuditEntry
	Next    *Cursor // the cursor of the next (older) page; nil on the last page
}

// AuditLogs is the organization's audit trail.
func (s *Scoped) AuditLogs(ctx context.Context, f AuditFilter) (AuditPage, error) {
	q := s.q(ctx, &AuditLog{})
	return auditPage(q, f)
}

// AllAuditLogs is every organization's audit trail and the platform's own
// events: for platform operators only.
func (db *DB) AllAuditLogs(ctx context.Context, f AuditFilter) (AuditPage, error) {
	return auditPage(db.gorm.WithContext(ctx), f)
}

func auditPage(q *gorm.DB, f AuditFilter) (AuditPage, error) {
	if err := timed(f.Before); err != nil {
		return AuditPage{}, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultAuditPage
	}
	limit = min(limit, MaxAuditPage)
	var rows []AuditEntry
	if err := auditQuery(q, f, limit+1).Find(&rows).Error; err != nil {
		return AuditPage{}, err
	}
	p := AuditPage{Entries: rows}
	if len(rows) > limit {
		p.Entries = rows[:limit]
		last := p.Entries[limit-1]
		p.Next = &Cursor{At: last.CreatedAt, ID: last.ID}
	}
	return p, nil
}

// auditQuery is the page query: newest first along the (created_at, id)
// indexes, starting after the cursor.
func auditQuery(q *gorm.DB, f AuditFilter, limit int) *gorm.DB {
	q = q.Table("audit_logs").
		Select("audit_logs.*, users.email AS actor_email, organizations.name AS organization_name").
		Joins("LEFT JOIN users ON users.id = audit_logs.user_id").
		Joins("LEFT JOIN organizations ON organizations.id = audit_logs.organization_id")
	if e := strings.ToLower(strings.TrimSpace(f.ActorEmail)); e != "" {
		q = q.Where("users.email LIKE ? ESCAPE '\\'", "%"+escapeLike(e)+"%")
	}
	if a := strings.ToLower(strings.TrimSpace(f.Action)); a != "" {
		q = q.Where("audit_logs.action LIKE ? ESCAPE '\\'", escapeLike(a)+"%")
	}
	if r := strings.TrimSpace(f.ResourceType); r != "" {
		q = q.Where("audit_logs.resource_type = ?", r)
	}
	if !f.From.IsZero() {
		q = q.Where("audit_logs.created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("audit_logs.created_at < ?", f.To.UTC())
	}
	if c := f.Before; c != nil {
		// A row value comparison, so that the index scan starts at the
		// cursor (an OR of the two columns would be a filter instead).
		q = q.Where("(audit_logs.created_at, audit_logs.id) < (?, ?)", c.At.UTC(), c.ID)
	}
	return q.Order("audit_logs.created_at DESC, audit_logs.id DESC").Limit(limit)
}

// escapeLike makes s match itself literally in a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
