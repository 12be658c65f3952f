package store

import (
	"context"

	"gorm.io/gorm"
)

// Gorm exposes the GORM handle to the store's external tests, which inspect
// tables and insert raw rows; application code goes through store methods.
func Gorm(db *DB) *gorm.DB { return db.gorm }

// AuditSQL is the SQL of one audit page, for tests of its query plan:
// the organization's trail for orgID, the platform's for "".
func AuditSQL(db *DB, orgID string, f AuditFilter) string {
	return db.gorm.ToSQL(func(tx *gorm.DB) *gorm.DB {
		tx = tx.WithContext(context.Background())
		if orgID != "" {
			tx = tx.Where("audit_logs.organization_id = ?", orgID)
		}
		var rows []AuditEntry
		return auditQuery(tx, f, DefaultAuditPage+1).Find(&rows)
	})
}

// NotificationsSQL is the SQL of one page of a user's notifications, for
// tests of its query plan.
func NotificationsSQL(db *DB, userID string, f NotificationFilter) string {
	return db.gorm.ToSQL(func(tx *gorm.DB) *gorm.DB {
		a := &Account{db: tx, userID: userID, dial: db.dialect}
		var rows []Notification
		return a.notificationsQuery(context.Background(), f, DefaultNotificationPage+1).Find(&rows)
	})
}
