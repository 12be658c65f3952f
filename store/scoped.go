package store

import (
	"context"

	"gorm.io/gorm"
)

// Scoped is the organization-scoped store handle: the only door to tenant
// tables. The organization id lives in the handle, so a tenant query
// without it does not compile. web middleware builds one per request from
// the session's organization; nothing else should call DB.Scoped.
type Scoped struct {
	db    *gorm.DB
	orgID string
	dial  Dialect
}

// Scoped returns the handle for one organization.
func (db *DB) Scoped(orgID string) *Scoped {
	return &Scoped{db: db.gorm, orgID: orgID, dial: db.dialect}
}

// OrganizationID is the organization this handle is scoped to.
func (s *Scoped) OrganizationID() string { return s.orgID }

// InTx runs fn with a handle whose queries share one transaction.
func (s *Scoped) InTx(ctx context.Context, fn func(tx *Scoped) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&Scoped{db: tx, orgID: s.orgID, dial: s.dial})
	})
}

// Organization is the handle's own organization.
func (s *Scoped) Organization(ctx context.Context) (*Organization, error) {
	var o Organization
	err := s.db.WithContext(ctx).First(&o, "id = ?", s.orgID).Error
	return &o, notFound(err)
}

// Account is the user-scoped store handle: a user's own sessions, password
// and second factor. Like Scoped, its user id is fixed at construction.
type Account struct {
	db     *gorm.DB
	userID string
	dial   Dialect
}

// Account returns the handle for one user.
func (db *DB) Account(userID string) *Account {
	return &Account{db: db.gorm, userID: userID, dial: db.dialect}
}

// UserID is the user this handle belongs to.
func (a *Account) UserID() string { return a.userID }
