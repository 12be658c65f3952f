package store

import (
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// NotificationType is notifications.type and notification_preferences.notification_type.
type NotificationType string

const (
	NotifyCredentialIssued    NotificationType = "credential_issued"
	NotifyCredentialRevoked   NotificationType = "credential_revoked"
	NotifyVerificationRequest NotificationType = "verification_request"
	NotifySystemAlert         NotificationType = "system_alert"
	NotifyApprovalRequested   NotificationType = "approval_requested"
	NotifyApprovalDecided     NotificationType = "approval_decided"
)

// Valid reports whether t is one of the values the database accepts.
func (t NotificationType) Valid() bool {
	switch t {
	case NotifyCredentialIssued, NotifyCredentialRevoked, NotifyVerificationRequest,
		NotifySystemAlert, NotifyApprovalRequested, NotifyApprovalDecided:
		return true
	}
	return false
}

// NotificationMetadata is notifications.metadata: what the notification is about.
type NotificationMetadata struct {
	OrganizationID string `json:"organization_id,omitempty"`
	CredentialID   string `json:"credential_id,omitempty"`
	ApprovalID     string `json:"approval_id,omitempty"`
	Link           string `json:"link,omitempty"` // path inside TrustCred
}

// Notification is a notification for one user: shown in the app and, when
// the user's preference for its type says so, emailed.
type Notification struct {
	ID        string
	UserID    string
	Type      NotificationType `validate:"required,oneof=credential_issued credential_revoked verification_request system_alert approval_requested approval_decided"`
	Title     string           `validate:"required,max=200"`
	Message   string           `validate:"required,max=2000"`
	Metadata  datatypes.JSONType[NotificationMetadata]
	ReadAt    *time.Time
	SentAt    time.Time  `gorm:"autoCreateTime"`
	EmailedAt *time.Time // when its email went out; nil: not (yet) sent
	// EmailOnly marks a notification the user gets by email only (their
	// in-app channel for the type is off): no in-app query shows it.
	EmailOnly bool

	User *User `gorm:"foreignKey:UserID" validate:"-"`
}

func (Notification) TableName() string { return "notifications" }

func (n *Notification) BeforeCreate(*gorm.DB) error { return newID(&n.ID) }

// NotificationPreference is one user's channels for one notification type.
type NotificationPreference struct {
	ID               string
	UserID           string
	NotificationType NotificationType `validate:"required,oneof=credential_issued credential_revoked verification_request system_alert approval_requested approval_decided"`
	EmailEnabled     bool
	SMSEnabled       bool
	PushEnabled      bool
	InAppEnabled     bool
	CreatedAt        time.Time
}

func (NotificationPreference) TableName() string { return "notification_preferences" }

func (p *NotificationPreference) BeforeCreate(*gorm.DB) error { return newID(&p.ID) }

// SMSStatus is sms_deliveries.status.
type SMSStatus string

const (
	SMSPending   SMSStatus = "pending"
	SMSSent      SMSStatus = "sent"
	SMSDelivered SMSStatus = "delivered"
	SMSFailed    SMSStatus = "failed"
)

// Valid reports whether s is one of the values the database accepts.
func (s SMSStatus) Valid() bool {
	switch s {
	case SMSPending, SMSSent, SMSDelivered, SMSFailed:
		return true
	}
	return false
}

// SMSDelivery tracks one text message to a user.
type SMSDelivery struct {
	ID                string
	UserID            string
	PhoneNumber       string    `validate:"required,phone"` // E.164
	Message           string    `validate:"required,max=1600"`
	Status            SMSStatus `gorm:"default:pending" validate:"required,oneof=pending sent delivered failed"`
	Provider          *string
	ProviderMessageID *string
	ErrorMessage      *string
	SentAt            *time.Time
	DeliveredAt       *time.Time
	CreatedAt         time.Time
}

func (SMSDelivery) TableName() string { return "sms_deliveries" }

func (d *SMSDelivery) BeforeCreate(*gorm.DB) error { return newID(&d.ID) }
