package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// NotificationChannel is notification_deliveries.channel.
type NotificationChannel string

const (
	ChannelEmail NotificationChannel = "email"
	ChannelSMS   NotificationChannel = "sms"
)

// DeliveryStatus is notification_deliveries.status.
type DeliveryStatus string

const (
	DeliveryPending DeliveryStatus = "pending" // waiting for its job
	DeliveryDigest  DeliveryStatus = "digest"  // waiting for the user's daily digest email
	DeliverySent    DeliveryStatus = "sent"
	DeliveryFailed  DeliveryStatus = "failed"  // refused for good
	DeliverySkipped DeliveryStatus = "skipped" // nothing to send it to, or too old
)

// NotificationDelivery is one notification on one channel for its user.
// (NotificationID, Channel) is unique: the idempotency key of the send.
type NotificationDelivery struct {
	ID             string
	NotificationID string
	UserID         string
	Channel        NotificationChannel `validate:"required,oneof=email sms"`
	Status         DeliveryStatus      `gorm:"default:pending" validate:"required,oneof=pending digest sent failed skipped"`
	Attempts       int
	ErrorMessage   *string
	SentAt         *time.Time
	QueuedAt       *time.Time // when the dispatch last enqueued its job
	CreatedAt      time.Time
}

func (NotificationDelivery) TableName() string { return "notification_deliveries" }

func (d *NotificationDelivery) BeforeCreate(*gorm.DB) error { return newID(&d.ID) }

// DeliveryWork is what a delivery job needs: the delivery, its
// notification and the user it goes to.
type DeliveryWork struct {
	Delivery     NotificationDelivery
	Notification Notification
	User         User
}

// PendingDeliveries lists the ids of every delivery waiting for its job
// (status pending), oldest first: for tests and the operator.
func (db *DB) PendingDeliveries(ctx context.Context, limit int) ([]string, error) {
	var ids []string
	err := db.gorm.WithContext(ctx).Model(&NotificationDelivery{}).
		Where("status = ?", DeliveryPending).Order("created_at, id").Limit(limit).Pluck("id", &ids).Error
	return ids, err
}

// DeliveriesToQueue lists up to limit pending deliveries whose job was
// never enqueued, or last enqueued before requeueBefore (its job may be
// snoozed for quiet hours, or gone), never-queued first, oldest first. For
// the dispatch job, which then calls DeliveriesQueued.
func (db *DB) DeliveriesToQueue(ctx context.Context, requeueBefore time.Time, limit int) ([]string, error) {
	var ids []string
	err := db.gorm.WithContext(ctx).Model(&NotificationDelivery{}).
		Where("status = ? AND (queued_at IS NULL OR queued_at < ?)", DeliveryPending, requeueBefore.UTC()).
		Order("queued_at IS NOT NULL, queued_at, created_at, id").Limit(limit).Pluck("id", &ids).Error
	return ids, err
}

// DeliveriesQueued records that the deliveries' jobs were enqueued at now.
func (db *DB) DeliveriesQueued(ctx context.Context, ids []string, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	return db.gorm.WithContext(ctx).Model(&NotificationDelivery{}).Where("id IN ?", ids).Update("queued_at", now.UTC()).Error
}

// NotificationDelivery is one delivery with its notification and user, for
// its job. ErrNotFound when it is gone (the user was deleted).
func (db *DB) NotificationDelivery(ctx context.Context, id string) (*DeliveryWork, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var w DeliveryWork
	g := db.gorm.WithContext(ctx)
	if err := g.First(&w.Delivery, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	if err := g.First(&w.Notification, "id = ?", w.Delivery.NotificationID).Error; err != nil {
		return nil, notFound(err)
	}
	if err := g.First(&w.User, "id = ?", w.Delivery.UserID).Error; err != nil {
		return nil, notFound(err)
	}
	return &w, nil
}

// ErrDeliveryDone is returned when recording the outcome of a delivery that
// is no longer pending (another run recorded it first).
var ErrDeliveryDone = errors.New("notification delivery already done")

// FinishDelivery records a pending delivery's outcome: sent (and, for
// email, the notification's emailed_at), failed or skipped with why.
// ErrDeliveryDone when it was not pending.
func (db *DB) FinishDelivery(ctx context.Context, id string, status DeliveryStatus, why string, now time.Time) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return finishDelivery(tx, id, status, why, now)
	})
}

func finishDelivery(tx *gorm.DB, id string, status DeliveryStatus, why string, now time.Time) error {
	set := map[string]any{"status": status, "attempts": gorm.Expr("attempts + 1")}
	if why != "" {
		set["error_message"] = why
	}
	if status == DeliverySent {
		set["sent_at"] = now.UTC()
	}
	res := tx.Model(&NotificationDelivery{}).Where("id = ? AND status IN ?", id, []DeliveryStatus{DeliveryPending, DeliveryDigest}).Updates(set)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrDeliveryDone
	}
	if status != DeliverySent {
		return nil
	}
	var d NotificationDelivery
	if err := tx.First(&d, "id = ?", id).Error; err != nil {
		return err
	}
	if d.Channel == ChannelEmail {
		return tx.Model(&Notification{}).Where("id = ? AND emailed_at IS NULL", d.NotificationID).Update("emailed_at", now.UTC()).Error
	}
	return nil
}

// DeliveryAttemptFailed records a failed attempt that will be retried.
func (db *DB) DeliveryAttemptFailed(ctx context.Context, id, why string) error {
	return db.gorm.WithContext(ctx).Model(&NotificationDelivery{}).Where("id = ?", id).
		Updates(map[string]any{"attempts": gorm.Expr("attempts + 1"), "error_message": why}).Error
}

// RecordSMS stores a text message handed to (or refused by) the provider
// and finishes its delivery (sent, or failed when sms.Status is failed), in
// one transaction. ErrDeliveryDone when the delivery was not pending.
func (db *DB) RecordSMS(ctx context.Context, deliveryID string, sms *SMSDelivery, now time.Time) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		status, why := DeliverySent, ""
		if sms.Status == SMSFailed {
			status = DeliveryFailed
			if sms.ErrorMessage != nil {
				why = *sms.ErrorMessage
			}
		}
		if err := finishDelivery(tx, deliveryID, status, why, now); err != nil {
			return err
		}
		return tx.Create(sms).Error
	})
}

// SMSByProviderID is the text message the provider knows by id.
func (db *DB) SMSByProviderID(ctx context.Context, provider, id string) (*SMSDelivery, error) {
	var d SMSDelivery
	err := db.gorm.WithContext(ctx).First(&d, "provider = ? AND provider_message_id = ?", provider, id).Error
	return &d, notFound(err)
}

// UpdateSMSStatus records what the provider reported about a text message:
// sent, delivered (with delivered_at) or failed (with why). A message that
// was delivered or failed does not go back to sent (callbacks may arrive
// out of order). ErrNotFound when the provider's id is unknown.
func (db *DB) UpdateSMSStatus(ctx context.Context, provider, id string, status SMSStatus, why string, now time.Time) error {
	if !status.Valid() || status == SMSPending {
		return fmt.Errorf("store: sms status %q", status)
	}
	d, err := db.SMSByProviderID(ctx, provider, id)
	if err != nil {
		return err
	}
	if status == SMSSent && (d.Status == SMSDelivered || d.Status == SMSFailed) {
		return nil
	}
	set := map[string]any{"status": status}
	switch status {
	case SMSDelivered:
		set["delivered_at"] = now.UTC()
	case SMSFailed:
		set["error_message"] = why
	}
	return db.gorm.WithContext(ctx).Model(&SMSDelivery{}).Where("id = ?", d.ID).Updates(set).Error
}

// DigestUsers lists the users with deliveries waiting for their digest
// created before before.
func (db *DB) DigestUsers(ctx context.Context, before time.Time) ([]string, error) {
	var ids []string
	err := db.gorm.WithContext(ctx).Model(&NotificationDelivery{}).
		Where("status = ? AND created_at < ?", DeliveryDigest, before.UTC()).
		Distinct("user_id").Pluck("user_id", &ids).Error
	return ids, err
}

// DigestEntry is one notification of a digest with its delivery.
type DigestEntry struct {
	DeliveryID   string
	Notification Notification
}

// Digest is a user's notifications waiting for their digest email,
// created before before, oldest first.
func (db *DB) Digest(ctx context.Context, userID string, before time.Time) (*User, []DigestEntry, error) {
	g := db.gorm.WithContext(ctx)
	var u User
	if err := g.First(&u, "id = ?", userID).Error; err != nil {
		return nil, nil, notFound(err)
	}
	var ds []NotificationDelivery
	if err := g.Where("user_id = ? AND status = ? AND created_at < ?", userID, DeliveryDigest, before.UTC()).
		Order("created_at, id").Find(&ds).Error; err != nil {
		return nil, nil, err
	}
	out := make([]DigestEntry, 0, len(ds))
	for _, d := range ds {
		var n Notification
		if err := g.First(&n, "id = ?", d.NotificationID).Error; err != nil {
			return nil, nil, err
		}
		out = append(out, DigestEntry{DeliveryID: d.ID, Notification: n})
	}
	return &u, out, nil
}

// FinishDigest records that the digest carrying these deliveries was sent
// (or skipped), in one transaction.
func (db *DB) FinishDigest(ctx context.Context, deliveryIDs []string, status DeliveryStatus, why string, now time.Time) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, id := range deliveryIDs {
			if err := finishDelivery(tx, id, status, why, now); err != nil && !errors.Is(err, ErrDeliveryDone) {
				return err
			}
		}
		return nil
	})
}

// NotificationDeliveries lists a notification's deliveries (tests, the
// operator).
func (db *DB) NotificationDeliveries(ctx context.Context, notificationID string) ([]NotificationDelivery, error) {
	var ds []NotificationDelivery
	err := db.gorm.WithContext(ctx).Where("notification_id = ?", notificationID).Order("channel").Find(&ds).Error
	return ds, err
}

// NotificationSettings is a user's channel settings beyond the per-type
// preferences: the email digest, quiet hours and time zone (users.profile).
type NotificationSettings struct {
	EmailDigest          bool
	QuietStart, QuietEnd string // "HH:MM", both or neither
	Timezone             string // IANA name; empty: UTC
	Phone                string // E.164; empty: none (read only here)
}

// NotificationSettings reads the user's settings from their profile.
func (a *Account) NotificationSettings(ctx context.Context) (NotificationSettings, error) {
	u, err := a.User(ctx)
	if err != nil {
		return NotificationSettings{}, err
	}
	p := u.Profile.Data()
	return NotificationSettings{EmailDigest: p.EmailDigest, QuietStart: p.QuietStart, QuietEnd: p.QuietEnd, Timezone: p.Timezone, Phone: p.Phone}, nil
}

// SaveNotificationSettings stores the digest, quiet hours and time zone in
// the user's profile, keeping its other fields. The caller validates.
func (a *Account) SaveNotificationSettings(ctx context.Context, s NotificationSettings) error {
	return a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return a.updateProfile(tx, s.apply) })
}

func (s NotificationSettings) apply(p *UserProfile) {
	p.EmailDigest, p.QuietStart, p.QuietEnd, p.Timezone = s.EmailDigest, s.QuietStart, s.QuietEnd, s.Timezone
}

// SetPhone stores the user's phone number (E.164, validated by the caller;
// "" removes it).
func (a *Account) SetPhone(ctx context.Context, e164 string) error {
	return a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return a.updateProfile(tx, func(p *UserProfile) { p.Phone = e164 })
	})
}

// updateProfile changes the user's profile inside tx, keeping the fields
// change leaves alone.
func (a *Account) updateProfile(tx *gorm.DB, change func(*UserProfile)) error {
	var u User
	if err := tx.Select("id", "profile").First(&u, "id = ?", a.userID).Error; err != nil {
		return notFound(err)
	}
	p := u.Profile.Data()
	change(&p)
	return tx.Model(&User{}).Where("id = ?", a.userID).Update("profile", datatypes.NewJSONType(p)).Error
}

// DeliveryRecord is one of a user's notifications with how it went out on
// each channel: in the app (unless the user takes the type by email or SMS
// only), its email and SMS deliveries, and the text messages the provider
// reported on.
type DeliveryRecord struct {
	Notification Notification
	Deliveries   []NotificationDelivery // one per channel besides the app, by channel
	Texts        []SMSDelivery          // the text messages that carried it, oldest first
}

// DeliveryHistoryPage is one page of a user's delivery history, newest
// first.
type DeliveryHistoryPage struct {
	Records []DeliveryRecord
	Next    *Cursor // the next (older) page; nil on the last page
}

// DeliveryHistory is a page of the user's notifications, email-only ones
// included, with their deliveries, newest first along the (user_id,
// sent_at, id) index; three queries per page.
func (a *Account) DeliveryHistory(ctx context.Context, before *Cursor, limit int) (DeliveryHistoryPage, error) {
	if err := timed(before); err != nil {
		return DeliveryHistoryPage{}, err
	}
	if limit <= 0 {
		limit = DefaultNotificationPage
	}
	limit = min(limit, MaxNotificationPage)
	g := a.db.WithContext(ctx)
	q := g.Model(&Notification{}).Where("notifications.user_id = ?", a.userID)
	if before != nil {
		q = q.Where("(notifications.sent_at, notifications.id) < (?, ?)", before.At.UTC(), before.ID)
	}
	var rows []Notification
	if err := q.Order("notifications.sent_at DESC, notifications.id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return DeliveryHistoryPage{}, err
	}
	var p DeliveryHistoryPage
	rows, p.Next = timePage(rows, limit, func(n *Notification) (time.Time, string) { return n.SentAt, n.ID })
	if len(rows) == 0 {
		return p, nil
	}
	ids := make([]string, len(rows))
	for i, n := range rows {
		ids[i] = n.ID
	}
	var ds []NotificationDelivery
	if err := g.Where("user_id = ? AND notification_id IN ?", a.userID, ids).Order("channel").Find(&ds).Error; err != nil {
		return DeliveryHistoryPage{}, err
	}
	var texts []SMSDelivery
	if err := g.Where("user_id = ? AND notification_id IN ?", a.userID, ids).Order("created_at, id").Find(&texts).Error; err != nil {
		return DeliveryHistoryPage{}, err
	}
	p.Records = make([]DeliveryRecord, len(rows))
	at := make(map[string]int, len(rows))
	for i, n := range rows {
		p.Records[i].Notification = n
		at[n.ID] = i
	}
	for _, d := range ds {
		r := &p.Records[at[d.NotificationID]]
		r.Deliveries = append(r.Deliveries, d)
	}
	for _, s := range texts {
		r := &p.Records[at[*s.NotificationID]]
		r.Texts = append(r.Texts, s)
	}
	return p, nil
}
