package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/secret"
)

// WebhookEvent is the type of an event a webhook subscribes to
// (webhooks.events, webhook_deliveries.event_type). The catalogue of
// types is internal/events; the webhook door checks names against it.
type WebhookEvent string

// DeliveryCause is why a delivery attempt was made.
type DeliveryCause string

const (
	CauseEvent     DeliveryCause = "event"     // the event's first attempt
	CauseRetry     DeliveryCause = "retry"     // a retry after a failed attempt
	CauseRedeliver DeliveryCause = "redeliver" // an admin asked to send it again
	CauseTest      DeliveryCause = "test"      // "Send test event"
)

// Webhook is an organization's HTTP endpoint for events.
type Webhook struct {
	ID             string
	OrganizationID string
	Name           string                            `validate:"required,max=100"`
	URL            string                            `validate:"required,max=2048,httpurl"`
	Events         datatypes.JSONSlice[WebhookEvent] `validate:"max=100,dive,required,max=64,excludesall= "`
	SecretKey      secret.Sealed                     // HMAC signing secret, encrypted at rest
	Active         bool
	RetryCount     int `validate:"min=0,max=20"` // retries after a failed delivery
	LastTriggered  *time.Time
	// During a secret rotation the previous secret still signs (both
	// signatures go out) until PreviousSecretUntil.
	PreviousSecretKey   secret.Sealed
	PreviousSecretUntil *time.Time
	SignWithIssuerKey   bool       // also sign (v1a) with the organization's issuer key
	FailingSince        *time.Time // start of the current run of failed deliveries
	WarnedAt            *time.Time // when the admins were told the endpoint will be disabled
	DisabledAt          *time.Time // set when TrustCred stopped delivering (410, failures)
	DisabledReason      *string    `validate:"omitnil,max=500"`
	CreatedAt           time.Time
	UpdatedAt           time.Time

	Organization *Organization     `gorm:"foreignKey:OrganizationID" validate:"-"`
	Deliveries   []WebhookDelivery `gorm:"foreignKey:WebhookID" validate:"-"`
}

func (Webhook) TableName() string { return "webhooks" }

func (w *Webhook) BeforeCreate(*gorm.DB) error { return newID(&w.ID) }

func (w *Webhook) BeforeSave(*gorm.DB) error {
	emptyIfNil(&w.Events)
	return nil
}

// WebhookPayload is webhook_deliveries.payload: the JSON body that was
// POSTed, {type, version, timestamp, data}.
type WebhookPayload struct {
	Type      WebhookEvent    `json:"type"`
	Version   int             `json:"version"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// WebhookDelivery is one delivery attempt of an event to a webhook.
type WebhookDelivery struct {
	ID             string
	WebhookID      string
	EventType      WebhookEvent `validate:"required,max=64"`
	Payload        datatypes.JSONType[WebhookPayload]
	ResponseStatus *int
	ResponseBody   *string
	DeliveryTimeMs *int
	Success        bool
	ErrorMessage   *string
	EventID        string                                // the event's id: webhook-id, the same on every attempt
	Attempt        int                                   // 1 for the first attempt of this event to this webhook
	Cause          DeliveryCause                         `validate:"required,oneof=event retry redeliver test"`
	RequestHeaders datatypes.JSONType[map[string]string] // the headers sent (signatures included: they prove nothing without the secret)
	CreatedAt      time.Time

	Webhook *Webhook `gorm:"foreignKey:WebhookID" validate:"-"`
}

func (WebhookDelivery) TableName() string { return "webhook_deliveries" }

func (d *WebhookDelivery) BeforeCreate(*gorm.DB) error { return newID(&d.ID) }

// BeforeSave stores no request headers as {} (the column holds an object).
func (d *WebhookDelivery) BeforeSave(*gorm.DB) error {
	if d.RequestHeaders.Data() == nil {
		d.RequestHeaders = datatypes.NewJSONType(map[string]string{})
	}
	return nil
}

// Webhook states as lists show them.
const (
	WebhookStateActive   = "active"
	WebhookStatePaused   = "paused"   // switched off by an admin
	WebhookStateDisabled = "disabled" // switched off by TrustCred: 410 or failures
)

// State is what the webhook list shows.
func (w *Webhook) State() string {
	switch {
	case w.DisabledAt != nil:
		return WebhookStateDisabled
	case !w.Active:
		return WebhookStatePaused
	}
	return WebhookStateActive
}

// Subscribed reports whether w gets events of type t.
func (w *Webhook) Subscribed(t WebhookEvent) bool { return slices.Contains(w.Events, t) }

// Webhooks lists the organization's webhooks, newest first.
func (s *Scoped) Webhooks(ctx context.Context) ([]Webhook, error) {
	var hooks []Webhook
	err := s.q(ctx, &Webhook{}).Order("created_at DESC, id DESC").Find(&hooks).Error
	return hooks, err
}

// Webhook finds one of the organization's webhooks.
func (s *Scoped) Webhook(ctx context.Context, id string) (*Webhook, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var w Webhook
	err := s.q(ctx, &w).First(&w, "id = ?", id).Error
	return &w, notFound(err)
}

// DeliveringWebhooks lists the webhooks that get events of type t now:
// active, not disabled, subscribed to t. An organization has a handful,
// so the subscription is checked here rather than in dialect-specific JSON
// SQL.
func (s *Scoped) DeliveringWebhooks(ctx context.Context, t WebhookEvent) ([]Webhook, error) {
	var all []Webhook
	if err := s.q(ctx, &Webhook{}).Where("active = ? AND disabled_at IS NULL", true).Order("created_at, id").Find(&all).Error; err != nil {
		return nil, err
	}
	out := all[:0]
	for _, w := range all {
		if w.Subscribed(t) {
			out = append(out, w)
		}
	}
	return out, nil
}

// CreateWebhook stores a new webhook of the organization (its secret
// already sealed) and audits it in the same transaction.
func (s *Scoped) CreateWebhook(ctx context.Context, w *Webhook, actor Actor) error {
	w.ID, w.OrganizationID = "", s.orgID
	w.PreviousSecretKey, w.PreviousSecretUntil, w.FailingSince, w.WarnedAt, w.DisabledAt, w.DisabledReason = nil, nil, nil, nil, nil, nil
	if err := Validate(w); err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(w).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "webhook.created", "webhook", w.ID, AuditDetails{
			Summary: fmt.Sprintf("Created webhook %q to %s", w.Name, w.URL),
			Extra:   map[string]string{"events": joinEvents(w.Events)},
		})
	})
}

// WebhookChange is what an admin edits on a webhook.
type WebhookChange struct {
	Name              string
	URL               string
	Events            []WebhookEvent
	Active            bool
	SignWithIssuerKey bool
}

// UpdateWebhook edits one of the organization's webhooks and audits it.
// Pausing or resuming does not clear a disabled state: only a successful
// delivery (a test event) does.
func (s *Scoped) UpdateWebhook(ctx context.Context, id string, c WebhookChange, actor Actor) (*Webhook, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var w Webhook
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.tenant(lockRow(tx, s.dial), &w).First(&w, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		w.Name, w.URL, w.Events, w.Active, w.SignWithIssuerKey = c.Name, c.URL, datatypes.NewJSONSlice(c.Events), c.Active, c.SignWithIssuerKey
		if err := Validate(&w); err != nil {
			return err
		}
		if err := s.tenant(tx, &Webhook{}).Where("id = ?", id).Select("name", "url", "events", "active", "sign_with_issuer_key", "updated_at").
			Updates(&w).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "webhook.updated", "webhook", w.ID, AuditDetails{
			Summary: fmt.Sprintf("Updated webhook %q", w.Name),
			Extra:   map[string]string{"url": w.URL, "events": joinEvents(w.Events), "active": fmt.Sprint(w.Active)},
		})
	})
	if err != nil {
		return nil, err
	}
	return &w, nil
}

// RotateWebhookSecret makes next the webhook's secret; the current one,
// resealed by the caller as previous (its column has its own sealing
// context), keeps signing beside it until overlapUntil. Audited.
func (s *Scoped) RotateWebhookSecret(ctx context.Context, id string, next, previous secret.Sealed, overlapUntil time.Time, actor Actor) (*Webhook, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var w Webhook
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.tenant(lockRow(tx, s.dial), &w).First(&w, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		until := overlapUntil.UTC()
		w.PreviousSecretKey, w.PreviousSecretUntil, w.SecretKey = previous, &until, next
		if err := s.tenant(tx, &Webhook{}).Where("id = ?", id).
			Select("secret_key", "previous_secret_key", "previous_secret_until", "updated_at").Updates(&w).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "webhook.secret_rotated", "webhook", w.ID, AuditDetails{
			Summary: fmt.Sprintf("Rotated the secret of webhook %q; the previous secret signs until %s", w.Name, until.Format(time.RFC3339)),
		})
	})
	if err != nil {
		return nil, err
	}
	return &w, nil
}

// DeleteWebhook deletes one of the organization's webhooks and its
// delivery log, audited.
func (s *Scoped) DeleteWebhook(ctx context.Context, id string, actor Actor) error {
	if !validUUID(id) {
		return ErrNotFound
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var w Webhook
		if err := s.tenant(tx, &w).First(&w, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if err := s.tenant(tx, &Webhook{}).Where("id = ?", id).Delete(&Webhook{}).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "webhook.deleted", "webhook", w.ID, AuditDetails{Summary: fmt.Sprintf("Deleted webhook %q", w.Name)})
	})
}

// WebhookHealth is a webhook's delivery state after an attempt.
type WebhookHealth struct {
	FailingSince *time.Time
	WarnedAt     *time.Time
	DisabledAt   *time.Time
}

// RecordWebhookAttempt logs one delivery attempt of one of the
// organization's webhooks (numbering it after the event's earlier attempts
// to that webhook) and updates its health in the same transaction:
// a success ends a run of failures (and lifts a disabled state, so that a
// successful test event re-enables the endpoint); a failure starts one, or
// continues it. It returns the health after the attempt.
func (s *Scoped) RecordWebhookAttempt(ctx context.Context, d *WebhookDelivery) (WebhookHealth, error) {
	var h WebhookHealth
	if !validUUID(d.WebhookID) {
		return h, ErrNotFound
	}
	d.ID = ""
	if err := Validate(d); err != nil {
		return h, err
	}
	// The common case, an event's first attempt taken by a healthy
	// endpoint whose last delivery is under a second old, changes nothing
	// but the log: one read (the tenant check) and one INSERT, without a
	// transaction (BenchmarkDeliveries).
	var seen Webhook
	if err := s.tenant(s.db.WithContext(ctx), &seen).Select("id", "failing_since", "warned_at", "disabled_at", "last_triggered").
		First(&seen, "id = ?", d.WebhookID).Error; err != nil {
		return h, notFound(err)
	}
	if at := d.CreatedAt.UTC(); d.Success && d.Cause == CauseEvent && seen.FailingSince == nil && seen.DisabledAt == nil &&
		seen.LastTriggered != nil && !seen.LastTriggered.Before(at.Add(-time.Second)) {
		d.Attempt = 1
		return h, s.db.WithContext(ctx).Create(d).Error
	}
	// No row lock: deliveries to one endpoint run side by side, and each
	// health change below is one conditional UPDATE, so that a busy
	// endpoint's deliveries do not queue behind each other.
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var w Webhook
		if err := s.tenant(tx, &w).Select("id", "failing_since", "warned_at", "disabled_at", "last_triggered").
			First(&w, "id = ?", d.WebhookID).Error; err != nil {
			return notFound(err)
		}
		// Attempts of one event to one webhook are numbered in order,
		// retries and redeliveries alike.
		if d.Cause == CauseEvent {
			d.Attempt = 1
		} else {
			var last int
			if err := tx.Model(&WebhookDelivery{}).Where("webhook_id = ? AND event_id = ?", d.WebhookID, d.EventID).
				Select("COALESCE(MAX(attempt), 0)").Scan(&last).Error; err != nil {
				return err
			}
			d.Attempt = last + 1
		}
		if err := tx.Create(d).Error; err != nil {
			return err
		}
		at := d.CreatedAt.UTC()
		hook := s.tenant(tx, &Webhook{}).Where("id = ?", w.ID)
		if d.Success {
			// Only when something changes: a healthy endpoint's row is
			// written at most once a second.
			return hook.Where("failing_since IS NOT NULL OR disabled_at IS NOT NULL OR last_triggered IS NULL OR last_triggered < ?", at.Add(-time.Second)).
				Updates(map[string]any{"last_triggered": at, "failing_since": nil, "warned_at": nil, "disabled_at": nil, "disabled_reason": nil}).Error
		}
		h.FailingSince, h.WarnedAt, h.DisabledAt = w.FailingSince, w.WarnedAt, w.DisabledAt
		if w.FailingSince == nil {
			h.FailingSince = &at
			return hook.Where("failing_since IS NULL").Updates(map[string]any{"failing_since": at, "last_triggered": at}).Error
		}
		return nil
	})
	return h, err
}

// MarkWebhookWarned records that the admins were told, at at, that the
// webhook will be disabled if it keeps failing.
func (s *Scoped) MarkWebhookWarned(ctx context.Context, id string, at time.Time) error {
	if !validUUID(id) {
		return ErrNotFound
	}
	if _, err := s.Webhook(ctx, id); err != nil {
		return err
	}
	return s.q(ctx, &Webhook{}).Where("id = ? AND warned_at IS NULL", id).Update("warned_at", at.UTC()).Error
}

// DisableWebhook stops deliveries to one of the organization's webhooks,
// with the reason shown on its page, audited as the system's doing. It
// reports whether this call disabled it (false when it already was).
func (s *Scoped) DisableWebhook(ctx context.Context, id, reason string, at time.Time) (bool, error) {
	if !validUUID(id) {
		return false, ErrNotFound
	}
	disabled := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var w Webhook
		if err := s.tenant(lockRow(tx, s.dial), &w).First(&w, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if w.DisabledAt != nil {
			return nil
		}
		if err := s.tenant(tx, &Webhook{}).Where("id = ?", id).
			Updates(map[string]any{"disabled_at": at.UTC(), "disabled_reason": reason}).Error; err != nil {
			return err
		}
		disabled = true
		return audit(tx, Actor{OrganizationID: &s.orgID}, "webhook.disabled", "webhook", w.ID,
			AuditDetails{Summary: fmt.Sprintf("Disabled webhook %q: %s", w.Name, reason)})
	})
	return disabled, err
}

// DeliveryFilter narrows a webhook's delivery log.
type DeliveryFilter struct {
	EventType WebhookEvent
	Success   *bool
	Before    *Cursor // the next page: attempts older than this one
	Limit     int
}

// Delivery log pages.
const (
	DefaultDeliveryPage = 25
	MaxDeliveryPage     = 100
)

// DeliveryPage is one page of a delivery log, newest first.
type DeliveryPage struct {
	Deliveries []WebhookDelivery
	Next       *Cursor
}

// ownWebhooks is the subquery of the organization's webhook ids: the
// delivery log has no organization column of its own and is scoped
// through its webhook.
func (s *Scoped) ownWebhooks(db *gorm.DB) *gorm.DB {
	return s.tenant(db.Session(&gorm.Session{NewDB: true}), &Webhook{}).Select("id")
}

// WebhookDeliveries is a page of one of the organization's webhooks'
// delivery log. ErrNotFound for another organization's webhook.
func (s *Scoped) WebhookDeliveries(ctx context.Context, webhookID string, f DeliveryFilter) (DeliveryPage, error) {
	if _, err := s.Webhook(ctx, webhookID); err != nil {
		return DeliveryPage{}, err
	}
	if err := timed(f.Before); err != nil {
		return DeliveryPage{}, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultDeliveryPage
	}
	limit = min(limit, MaxDeliveryPage)
	db := s.db.WithContext(ctx)
	q := db.Model(&WebhookDelivery{}).Where("webhook_id = ? AND webhook_id IN (?)", webhookID, s.ownWebhooks(db))
	if f.EventType != "" {
		q = q.Where("event_type = ?", f.EventType)
	}
	if f.Success != nil {
		q = q.Where("success = ?", *f.Success)
	}
	if c := f.Before; c != nil {
		q = q.Where("(created_at, id) < (?, ?)", c.At.UTC(), c.ID)
	}
	var rows []WebhookDelivery
	if err := q.Order("created_at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return DeliveryPage{}, err
	}
	var p DeliveryPage
	p.Deliveries, p.Next = timePage(rows, limit, func(d *WebhookDelivery) (time.Time, string) { return d.CreatedAt, d.ID })
	return p, nil
}

// WebhookDelivery finds one attempt of one of the organization's webhooks.
func (s *Scoped) WebhookDelivery(ctx context.Context, webhookID, id string) (*WebhookDelivery, error) {
	if !validUUID(webhookID) || !validUUID(id) {
		return nil, ErrNotFound
	}
	db := s.db.WithContext(ctx)
	var d WebhookDelivery
	err := db.Where("id = ? AND webhook_id = ? AND webhook_id IN (?)", id, webhookID, s.ownWebhooks(db)).First(&d).Error
	return &d, notFound(err)
}

// FailedDeliveriesSince lists the last attempt of each event that failed
// to reach one of the organization's webhooks since a time and never
// succeeded since: what "Redeliver all failed since…" sends again.
func (s *Scoped) FailedDeliveriesSince(ctx context.Context, webhookID string, since time.Time, limit int) ([]WebhookDelivery, error) {
	if _, err := s.Webhook(ctx, webhookID); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	ok := db.Session(&gorm.Session{NewDB: true}).Model(&WebhookDelivery{}).Select("event_id").
		Where("webhook_id = ? AND success = ?", webhookID, true)
	var rows []WebhookDelivery
	err := db.Where("webhook_id = ? AND webhook_id IN (?) AND success = ? AND created_at >= ? AND event_id NOT IN (?)",
		webhookID, s.ownWebhooks(db), false, since.UTC(), ok).
		Order("created_at DESC, id DESC").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	out := rows[:0]
	for _, d := range rows {
		if !seen[d.EventID] && len(out) < limit {
			seen[d.EventID] = true
			out = append(out, d)
		}
	}
	return out, nil
}

// PurgeWebhookDeliveries deletes every organization's delivery attempts
// older than before (the retention job), in batches; it returns how many
// went.
func (db *DB) PurgeWebhookDeliveries(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		sub := db.gorm.Session(&gorm.Session{NewDB: true}).Model(&WebhookDelivery{}).Select("id").
			Where("created_at < ?", before.UTC()).Limit(5000)
		res := db.gorm.WithContext(ctx).Where("id IN (?)", sub).Delete(&WebhookDelivery{})
		if res.Error != nil {
			return total, res.Error
		}
		total += res.RowsAffected
		if res.RowsAffected < 5000 {
			return total, nil
		}
	}
}

func joinEvents(events []WebhookEvent) string {
	s := make([]string, len(events))
	for i, e := range events {
		s[i] = string(e)
	}
	return strings.Join(s, ",")
}
