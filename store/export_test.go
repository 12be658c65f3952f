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

// OrganizationsSQL is the SQL of one query of the organizations console,
// for tests of its plan. way is "plain" (no search), "walk" or "lookup"
// (the two ways of answering a search).
func OrganizationsSQL(db *DB, f OrganizationFilter, cur *Cursor, way string) string {
	q := orgQuery{f: f, sort: f.sort(), cur: cur, desc: f.Desc, n: DefaultOrganizationPage + 1, dialect: db.dialect}
	var sql string
	var args []any
	switch way {
	case "plain":
		sql, args = q.plain()
	case "walk":
		sql, args = q.walk()
	default:
		sql, args = q.lookup()
	}
	return db.gorm.ToSQL(func(tx *gorm.DB) *gorm.DB {
		var rows []orgRow
		return tx.WithContext(context.Background()).Raw(sql, args...).Find(&rows)
	})
}

// SetSearchWalk sets how many rows a search walks before it looks the
// matches up, to test both ways on small tables; the returned function
// restores it.
func SetSearchWalk(n int) (restore func()) {
	old := searchWalk
	searchWalk = n
	return func() { searchWalk = old }
}

// CredentialsSQL is the SQL of one page of an organization's credentials,
// for tests of its plan.
func CredentialsSQL(db *DB, orgID string, f CredentialFilter, cur *Cursor) string {
	return db.gorm.ToSQL(func(tx *gorm.DB) *gorm.DB {
		s := &Scoped{db: tx, orgID: orgID, dial: db.dialect}
		var rows []CredentialEntry
		return s.credentialsQuery(tx.WithContext(context.Background()), f, cur, DefaultCredentialPage+1).Find(&rows)
	})
}

// InboxSQL is the SQL of one page of an organization's approvals inbox,
// for tests of its plan.
func InboxSQL(db *DB, orgID string, f InboxFilter, cur *Cursor) string {
	return db.gorm.ToSQL(func(tx *gorm.DB) *gorm.DB {
		s := &Scoped{db: tx, orgID: orgID, dial: db.dialect}
		var rows []InboxEntry
		return s.inboxQuery(tx.WithContext(context.Background()), f, cur, DefaultInboxPage+1).Find(&rows)
	})
}
