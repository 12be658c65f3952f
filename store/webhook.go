package store

import (
	"encoding/json"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/secret"
)

// WebhookEvent is an event a webhook can subscribe to (webhooks.events,
// webhook_deliveries.event_type).
type WebhookEvent string

const (
	EventCredentialIssued    WebhookEvent = "credential.issued"
	EventCredentialRevoked   WebhookEvent = "credential.revoked"
	EventCredentialSuspended WebhookEvent = "credential.suspended"
	EventCredentialVerified  WebhookEvent = "credential.verified"
	EventApprovalRequested   WebhookEvent = "approval.requested"
	EventApprovalDecided     WebhookEvent = "approval.decided"
)

// Valid reports whether e is an event TrustCred emits.
func (e WebhookEvent) Valid() bool {
	switch e {
	case EventCredentialIssued, EventCredentialRevoked, EventCredentialSuspended,
		EventCredentialVerified, EventApprovalRequested, EventApprovalDecided:
		return true
	}
	return false
}

// Webhook is an organization's HTTP endpoint for events.
type Webhook struct {
	ID             string
	OrganizationID string
	Name           string                            `validate:"required,max=100"`
	URL            string                            `validate:"required,max=2048,httpurl"`
	Events         datatypes.JSONSlice[WebhookEvent] `validate:"dive,oneof=credential.issued credential.revoked credential.suspended credential.verified approval.requested approval.decided"`
	SecretKey      secret.Sealed                     // HMAC signing secret, encrypted at rest
	Active         bool
	RetryCount     int `validate:"min=0,max=10"` // retries after a failed delivery
	LastTriggered  *time.Time
	CreatedAt      time.Time

	Organization *Organization     `gorm:"foreignKey:OrganizationID" validate:"-"`
	Deliveries   []WebhookDelivery `gorm:"foreignKey:WebhookID" validate:"-"`
}

func (Webhook) TableName() string { return "webhooks" }

func (w *Webhook) BeforeCreate(*gorm.DB) error { return newID(&w.ID) }

func (w *Webhook) BeforeSave(*gorm.DB) error {
	emptyIfNil(&w.Events)
	return nil
}

// WebhookPayload is webhook_deliveries.payload: the JSON body that was POSTed.
type WebhookPayload struct {
	ID             string          `json:"id"`
	Event          WebhookEvent    `json:"event"`
	OccurredAt     time.Time       `json:"occurred_at"`
	OrganizationID string          `json:"organization_id"`
	Data           json.RawMessage `json:"data,omitempty"`
}

// WebhookDelivery is one delivery attempt of an event to a webhook.
type WebhookDelivery struct {
	ID             string
	WebhookID      string
	EventType      WebhookEvent `validate:"required,oneof=credential.issued credential.revoked credential.suspended credential.verified approval.requested approval.decided"`
	Payload        datatypes.JSONType[WebhookPayload]
	ResponseStatus *int
	ResponseBody   *string
	DeliveryTimeMs *int
	Success        bool
	ErrorMessage   *string
	CreatedAt      time.Time

	Webhook *Webhook `gorm:"foreignKey:WebhookID" validate:"-"`
}

func (WebhookDelivery) TableName() string { return "webhook_deliveries" }

func (d *WebhookDelivery) BeforeCreate(*gorm.DB) error { return newID(&d.ID) }
