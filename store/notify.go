package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// Notify notifies each of userIDs of n through the channels their
// preference for n's type has on (no preference row: in-app and email on).
// A user with in-app on gets the notification in the app; a user with
// in-app off but email on gets a row marked EmailOnly, which only the email
// job sees; a user with both off gets nothing. Emails are sent by the
// notification_email job. It returns how many in-app notifications it
// created. n.UserID is ignored.
func (db *DB) Notify(ctx context.Context, userIDs []string, n Notification) (int, error) {
	return notify(db.gorm.WithContext(ctx), userIDs, n)
}

// NotifyAdmins notifies the active administrators of an organization.
func (db *DB) NotifyAdmins(ctx context.Context, orgID string, n Notification) (int, error) {
	return notifyAdmins(db.gorm.WithContext(ctx), orgID, n)
}

// notify is Notify inside a transaction, for store methods whose
// notifications must commit with the change that caused them.
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
	created := 0
	for _, id := range userIDs {
		p, ok := byUser[id]
		if !ok {
			p = DefaultNotificationPreference(n.Type)
		}
		if !p.InAppEnabled && !p.EmailEnabled {
			continue
		}
		row := n
		row.ID, row.UserID, row.EmailedAt, row.EmailOnly = "", id, nil, !p.InAppEnabled
		if err := tx.Create(&row).Error; err != nil {
			return created, fmt.Errorf("store: notify: %w", err)
		}
		if p.InAppEnabled {
			created++
		}
	}
	return created, nil
}

func notifyAdmins(tx *gorm.DB, orgID string, n Notification) (int, error) {
	var ids []string
	if err := tx.Model(&User{}).
		Where("organization_id = ? AND role = ? AND deactivated_at IS NULL", orgID, RoleAdmin).
		Pluck("id", &ids).Error; err != nil {
		return 0, fmt.Errorf("store: organization admins: %w", err)
	}
	return notify(tx, ids, n)
}
