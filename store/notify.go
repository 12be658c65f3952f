package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// Notify creates the in-app notification n for each of userIDs who has not
// turned in-app notifications of n's type off (no preference row means on).
// It returns how many it created. n.UserID is ignored.
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
	var off []string
	if err := tx.Model(&NotificationPreference{}).
		Where("user_id IN ? AND notification_type = ? AND in_app_enabled = ?", userIDs, n.Type, false).
		Pluck("user_id", &off).Error; err != nil {
		return 0, fmt.Errorf("store: notification preferences: %w", err)
	}
	skip := make(map[string]bool, len(off))
	for _, id := range off {
		skip[id] = true
	}
	created := 0
	for _, id := range userIDs {
		if skip[id] {
			continue
		}
		row := n
		row.ID, row.UserID = "", id
		if err := tx.Create(&row).Error; err != nil {
			return created, fmt.Errorf("store: notify: %w", err)
		}
		created++
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
