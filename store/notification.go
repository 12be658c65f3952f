package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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
// the user's preference for its type says so, emailed and texted.
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
	// Critical marks a security message (a new sign-in, a two-factor
	// change): every channel the user can receive gets it, whatever their
	// preferences, digest or quiet hours say (00021).
	Critical bool
	// EventID is the event (evt_…) the notification was made from by the
	// notifications' consumer of the events (internal/notify); nil for the
	// others. (EventID, UserID) is unique (00024).
	EventID *string

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
	NotificationID    *string // the notification it carried (00021)
}

func (SMSDelivery) TableName() string { return "sms_deliveries" }

func (d *SMSDelivery) BeforeCreate(*gorm.DB) error { return newID(&d.ID) }

// ErrBadPreference is returned for a preference of an unknown type, or two
// preferences of one type.
var ErrBadPreference = errors.New("invalid notification preference")

// NotificationTypes lists every notification type, in the order pages show them.
var NotificationTypes = []NotificationType{
	NotifySystemAlert, NotifyApprovalRequested, NotifyApprovalDecided,
	NotifyCredentialIssued, NotifyCredentialRevoked, NotifyVerificationRequest,
}

// DefaultNotificationPreference is a user's preference for t while they
// have not saved one: in the app and by email, not by SMS or push.
func DefaultNotificationPreference(t NotificationType) NotificationPreference {
	return NotificationPreference{NotificationType: t, InAppEnabled: true, EmailEnabled: true}
}

// Page sizes of the notifications page.
const (
	DefaultNotificationPage = 20
	MaxNotificationPage     = 100
)

// NotificationFilter selects a user's notifications. Zero fields select
// everything.
type NotificationFilter struct {
	UnreadOnly bool
	Type       NotificationType // exactly; "" for every type
	Before     *Cursor          // only notifications older than this one (the next page)
	Limit      int              // page size: 1..MaxNotificationPage, default DefaultNotificationPage
}

// NotificationPage is one page of a user's notifications, newest first.
type NotificationPage struct {
	Notifications []Notification
	Next          *Cursor // the cursor of the next (older) page; nil on the last page
}

// inApp is the user's notifications that the app shows.
func (a *Account) inApp(ctx context.Context) *gorm.DB {
	return a.db.WithContext(ctx).Model(&Notification{}).
		Where("notifications.user_id = ? AND notifications.email_only = ?", a.userID, false)
}

// Notifications is a page of the user's notifications, newest first.
func (a *Account) Notifications(ctx context.Context, f NotificationFilter) (NotificationPage, error) {
	if err := timed(f.Before); err != nil {
		return NotificationPage{}, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultNotificationPage
	}
	limit = min(limit, MaxNotificationPage)
	var rows []Notification
	if err := a.notificationsQuery(ctx, f, limit+1).Find(&rows).Error; err != nil {
		return NotificationPage{}, err
	}
	p := NotificationPage{Notifications: rows}
	if len(rows) > limit {
		p.Notifications = rows[:limit]
		last := p.Notifications[limit-1]
		p.Next = &Cursor{At: last.SentAt, ID: last.ID}
	}
	return p, nil
}

// notificationsQuery is the page query: newest first along the (user_id,
// sent_at, id) index, starting after the cursor.
func (a *Account) notificationsQuery(ctx context.Context, f NotificationFilter, limit int) *gorm.DB {
	q := a.inApp(ctx)
	if f.UnreadOnly {
		q = q.Where("notifications.read_at IS NULL")
	}
	if f.Type != "" {
		q = q.Where("notifications.type = ?", f.Type)
	}
	if c := f.Before; c != nil {
		// A row value comparison, so that the index scan starts at the cursor.
		q = q.Where("(notifications.sent_at, notifications.id) < (?, ?)", c.At.UTC(), c.ID)
	}
	return q.Order("notifications.sent_at DESC, notifications.id DESC").Limit(limit)
}

// UnreadNotifications counts the user's unread notifications.
func (a *Account) UnreadNotifications(ctx context.Context) (int64, error) {
	var n int64
	err := a.inApp(ctx).Where("notifications.read_at IS NULL").Count(&n).Error
	return n, err
}

// Notification is one of the user's notifications; another user's (or a
// malformed id) is ErrNotFound.
func (a *Account) Notification(ctx context.Context, id string) (*Notification, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var n Notification
	err := a.inApp(ctx).First(&n, "notifications.id = ?", id).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &n, nil
}

// MarkNotificationRead marks one of the user's notifications read at now
// (one already read keeps its time) and returns it. Another user's
// notification is ErrNotFound.
func (a *Account) MarkNotificationRead(ctx context.Context, id string, now time.Time) (*Notification, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	if err := a.inApp(ctx).Where("notifications.id = ? AND notifications.read_at IS NULL", id).
		Update("read_at", now.UTC()).Error; err != nil {
		return nil, err
	}
	return a.Notification(ctx, id)
}

// MarkAllNotificationsRead marks every unread notification of the user
// read at now and reports how many it marked.
func (a *Account) MarkAllNotificationsRead(ctx context.Context, now time.Time) (int64, error) {
	res := a.inApp(ctx).Where("notifications.read_at IS NULL").Update("read_at", now.UTC())
	return res.RowsAffected, res.Error
}

// NotificationPreferences is the user's preference for every type, in the
// order of NotificationTypes; a type without a saved row has the default
// (DefaultNotificationPreference, with no ID).
func (a *Account) NotificationPreferences(ctx context.Context) ([]NotificationPreference, error) {
	var saved []NotificationPreference
	if err := a.db.WithContext(ctx).Where("user_id = ?", a.userID).Find(&saved).Error; err != nil {
		return nil, err
	}
	byType := make(map[NotificationType]NotificationPreference, len(saved))
	for _, p := range saved {
		byType[p.NotificationType] = p
	}
	out := make([]NotificationPreference, len(NotificationTypes))
	for i, t := range NotificationTypes {
		p, ok := byType[t]
		if !ok {
			p = DefaultNotificationPreference(t)
			p.UserID = a.userID
		}
		out[i] = p
	}
	return out, nil
}

// SaveNotificationPreferences stores the in-app, email and SMS channels of
// each given type (one row per type, inserted or updated, in one
// transaction). The push channel of existing rows is left as it is (it is
// not offered yet); new rows get it off. Every type must be valid and
// appear once.
func (a *Account) SaveNotificationPreferences(ctx context.Context, prefs []NotificationPreference) error {
	return a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return a.savePreferences(tx, prefs) })
}

// SaveNotifications stores the preferences (as SaveNotificationPreferences)
// and the settings (as SaveNotificationSettings) in one transaction.
func (a *Account) SaveNotifications(ctx context.Context, prefs []NotificationPreference, s NotificationSettings) error {
	return a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := a.savePreferences(tx, prefs); err != nil {
			return err
		}
		return a.updateProfile(tx, s.apply)
	})
}

func (a *Account) savePreferences(tx *gorm.DB, prefs []NotificationPreference) error {
	seen := map[NotificationType]bool{}
	rows := make([]NotificationPreference, 0, len(prefs))
	for _, p := range prefs {
		if !p.NotificationType.Valid() || seen[p.NotificationType] {
			return fmt.Errorf("store: notification preference for %q: %w", p.NotificationType, ErrBadPreference)
		}
		seen[p.NotificationType] = true
		rows = append(rows, NotificationPreference{UserID: a.userID, NotificationType: p.NotificationType,
			InAppEnabled: p.InAppEnabled, EmailEnabled: p.EmailEnabled, SMSEnabled: p.SMSEnabled})
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}, {Name: "notification_type"}},
		DoUpdates: clause.AssignmentColumns([]string{"in_app_enabled", "email_enabled", "sms_enabled"}),
	}).Create(&rows).Error
}

// Notify notifies each of userIDs of n through the channels their
// preference for n's type has on (no preference row: in-app and email on),
// every channel for a critical n (see notify). A user with in-app on gets
// the notification in the app; a user with in-app off but another channel
// on gets a row marked EmailOnly, which no in-app query shows; a user with
// everything off gets nothing. Email and SMS go out through their
// notification_deliveries rows (internal/notify). It returns how many
// in-app notifications it created. n.UserID is ignored.
func (db *DB) Notify(ctx context.Context, userIDs []string, n Notification) (int, error) {
	return notify(db.gorm.WithContext(ctx), userIDs, n)
}

// NotifyAdmins notifies the active administrators of an organization.
func (db *DB) NotifyAdmins(ctx context.Context, orgID string, n Notification) (int, error) {
	return notifyAdmins(db.gorm.WithContext(ctx), orgID, n)
}

// NotifyMembers notifies those of userIDs who are active members of the
// handle's organization (any other id is ignored), like Notify, inside the
// handle's transaction when it has one (an event's fan-out). It returns how
// many in-app notifications it created.
func (s *Scoped) NotifyMembers(ctx context.Context, userIDs []string, n Notification) (int, error) {
	if len(userIDs) == 0 {
		return 0, nil
	}
	var ids []string
	if err := s.db.WithContext(ctx).Model(&User{}).
		Where("organization_id = ? AND id IN ? AND deactivated_at IS NULL", s.orgID, userIDs).
		Order("id").Pluck("id", &ids).Error; err != nil {
		return 0, fmt.Errorf("store: members to notify: %w", err)
	}
	return notify(s.db.WithContext(ctx), ids, n)
}

// NotifyAdmins notifies the organization's active administrators, like
// DB.NotifyAdmins, inside the handle's transaction when it has one.
func (s *Scoped) NotifyAdmins(ctx context.Context, n Notification) (int, error) {
	return notifyAdmins(s.db.WithContext(ctx), s.orgID, n)
}

// notify is Notify inside a transaction, for store methods whose
// notifications must commit with the change that caused them. Besides the
// notification rows it creates their deliveries (notification_deliveries):
// email when the user's preference has it on (status digest when the user
// takes the daily digest), SMS when the preference has it on and the user
// has a phone number. A critical notification goes to every channel the
// user can receive (in-app, email, and SMS with a phone number), whatever
// their preferences and digest say.
func notify(tx *gorm.DB, userIDs []string, n Notification) (int, error) {
	if len(userIDs) == 0 {
		return 0, nil
	}
	var prefs []NotificationPreference
	if err := tx.Where("user_id IN ? AND notification_type = ?", userIDs, n.Type).Find(&prefs).Error; err != nil {
		return 0, fmt.Errorf("store: notification preferences: %w", err)
	}
	byUser := make(map[string]NotificationPreference, len(prefs))
	for _, p := range prefs {
		byUser[p.UserID] = p
	}
	var users []User
	if err := tx.Select("id", "profile").Where("id IN ?", userIDs).Find(&users).Error; err != nil {
		return 0, fmt.Errorf("store: notified users: %w", err)
	}
	profiles := make(map[string]UserProfile, len(users))
	for _, u := range users {
		profiles[u.ID] = u.Profile.Data()
	}
	// A notification made from an event reaches each person once, however
	// often the event's fan-out runs (00024's unique index backs this).
	notified := map[string]bool{}
	if n.EventID != nil {
		var had []string
		if err := tx.Model(&Notification{}).Where("event_id = ? AND user_id IN ?", *n.EventID, userIDs).
			Pluck("user_id", &had).Error; err != nil {
			return 0, fmt.Errorf("store: notified of event: %w", err)
		}
		for _, id := range had {
			notified[id] = true
		}
	}
	created := 0
	for _, id := range userIDs {
		if notified[id] {
			continue
		}
		notified[id] = true // a user listed twice gets it once
		p, ok := byUser[id]
		if !ok {
			p = DefaultNotificationPreference(n.Type)
		}
		prof := profiles[id]
		inApp, email, sms := p.InAppEnabled, p.EmailEnabled, p.SMSEnabled && prof.Phone != ""
		if n.Critical {
			inApp, email, sms = true, true, prof.Phone != ""
		}
		if !inApp && !email && !sms {
			continue
		}
		row := n
		row.ID, row.UserID, row.EmailedAt, row.EmailOnly = "", id, nil, !inApp
		if err := tx.Create(&row).Error; err != nil {
			return created, fmt.Errorf("store: notify: %w", err)
		}
		var ds []NotificationDelivery
		if email {
			st := DeliveryPending
			if prof.EmailDigest && !n.Critical {
				st = DeliveryDigest
			}
			ds = append(ds, NotificationDelivery{NotificationID: row.ID, UserID: id, Channel: ChannelEmail, Status: st})
		}
		if sms {
			ds = append(ds, NotificationDelivery{NotificationID: row.ID, UserID: id, Channel: ChannelSMS, Status: DeliveryPending})
		}
		if len(ds) > 0 {
			if err := tx.Create(&ds).Error; err != nil {
				return created, fmt.Errorf("store: notification deliveries: %w", err)
			}
		}
		if inApp {
			created++
		}
	}
	return created, nil
}

func notifyAdmins(tx *gorm.DB, orgID string, n Notification) (int, error) {
	var ids []string
	if err := tx.Model(&User{}).
		Where("organization_id = ? AND role = ? AND deactivated_at IS NULL AND awaiting_approval_since IS NULL", orgID, RoleAdmin).
		Pluck("id", &ids).Error; err != nil {
		return 0, fmt.Errorf("store: organization admins: %w", err)
	}
	return notify(tx, ids, n)
}
