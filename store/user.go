package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Lockout policy: after MaxFailedLogins consecutive failures an account is
// locked for LockoutDuration.
const (
	MaxFailedLogins = 5
	LockoutDuration = 15 * time.Minute
)

// ErrSetupDone is returned when the first administrator already exists.
var ErrSetupDone = errors.New("setup already completed")

// ErrEmailTaken is returned when an account with the email already exists.
var ErrEmailTaken = errors.New("an account with this email already exists")

// Actor is who did something, and from where, for the audit log.
type Actor struct {
	UserID         *string
	OrganizationID *string
	IP             string
	UserAgent      string
}

// NormalizeEmail is the form in which emails are stored and looked up.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// HasSuperAdmin reports whether a platform operator exists (setup is done).
func (db *DB) HasSuperAdmin(ctx context.Context) (bool, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&User{}).Where("role = ?", RoleSuperAdmin).Limit(1).Count(&n).Error
	return n > 0, err
}

// UserByEmail finds an account by email, across organizations (sign-in
// happens before there is a tenant). ErrNotFound if there is none.
func (db *DB) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	err := db.gorm.WithContext(ctx).Where("email = ?", NormalizeEmail(email)).First(&u).Error
	return &u, notFound(err)
}

// UserByID finds an account by id.
func (db *DB) UserByID(ctx context.Context, id string) (*User, error) {
	var u User
	err := db.gorm.WithContext(ctx).First(&u, "id = ?", id).Error
	return &u, notFound(err)
}

// OrganizationByID finds an organization by id (platform-wide).
func (db *DB) OrganizationByID(ctx context.Context, id string) (*Organization, error) {
	var o Organization
	err := db.gorm.WithContext(ctx).First(&o, "id = ?", id).Error
	return &o, notFound(err)
}

// OrganizationBySlug finds an organization by slug (platform-wide).
func (db *DB) OrganizationBySlug(ctx context.Context, slug string) (*Organization, error) {
	var o Organization
	err := db.gorm.WithContext(ctx).First(&o, "slug = ?", slug).Error
	return &o, notFound(err)
}

// CreateFirstAdmin creates the platform's first super_admin, unless one
// exists (ErrSetupDone): the check and the insert are one transaction.
func (db *DB) CreateFirstAdmin(ctx context.Context, u *User, actor Actor) error {
	u.Email, u.Role = NormalizeEmail(u.Email), RoleSuperAdmin
	return db.inTx(ctx, func(tx *gorm.DB) error {
		if err := lockPlatform(tx, db.dialect); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&User{}).Where("role = ?", RoleSuperAdmin).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrSetupDone
		}
		if err := createUser(tx, u); err != nil {
			return err
		}
		actor.UserID = &u.ID
		return audit(tx, actor, "setup.completed", "user", u.ID, AuditDetails{Summary: "Created the first platform administrator " + u.Email})
	})
}

// CreateUser creates an account (operator CLI). ErrEmailTaken if the email
// is in use.
func (db *DB) CreateUser(ctx context.Context, u *User, actor Actor) error {
	u.Email = NormalizeEmail(u.Email)
	return db.inTx(ctx, func(tx *gorm.DB) error {
		if err := createUser(tx, u); err != nil {
			return err
		}
		return audit(tx, actor, "user.created", "user", u.ID, AuditDetails{Summary: fmt.Sprintf("Created %s as %s", u.Email, u.Role)})
	})
}

func createUser(tx *gorm.DB, u *User) error {
	err := tx.Create(u).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrEmailTaken
	}
	return err
}

// LoginFailed counts a failed sign-in and locks the account once
// MaxFailedLogins failures follow each other. A lock that has expired
// starts the count again. It reports whether the account is now locked.
func (db *DB) LoginFailed(ctx context.Context, userID string, now time.Time, actor Actor) (locked bool, err error) {
	return db.loginFailed(ctx, userID, now, actor, "login.failed", "Failed sign-in")
}

// loginFailed counts a failure of either sign-in step, audited as action
// (or login.locked when it locks the account).
func (db *DB) loginFailed(ctx context.Context, userID string, now time.Time, actor Actor, action, what string) (locked bool, err error) {
	now = now.UTC()
	err = db.inTx(ctx, func(tx *gorm.DB) error {
		var u User
		q := tx
		if db.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.First(&u, "id = ?", userID).Error; err != nil {
			return notFound(err)
		}
		failed := u.FailedLogins + 1
		lockedUntil := u.LockedUntil
		if lockedUntil != nil && !lockedUntil.After(now) {
			failed, lockedUntil = 1, nil // the previous lock ran out
		}
		if failed >= MaxFailedLogins && lockedUntil == nil {
			until := now.Add(LockoutDuration)
			lockedUntil, locked, action = &until, true, "login.locked"
		}
		if err := tx.Model(&User{}).Where("id = ?", userID).
			Updates(map[string]any{"failed_logins": failed, "locked_until": lockedUntil}).Error; err != nil {
			return err
		}
		actor.UserID, actor.OrganizationID = &u.ID, u.OrganizationID
		summary := fmt.Sprintf("%s %d of %d", what, failed, MaxFailedLogins)
		if locked {
			summary = fmt.Sprintf("Locked for %s after %d failed sign-ins", LockoutDuration, failed)
		}
		return audit(tx, actor, action, "user", u.ID, AuditDetails{Summary: summary})
	})
	return locked, err
}

// LoginSucceeded clears the failure count and records the sign-in.
func (db *DB) LoginSucceeded(ctx context.Context, u *User, now time.Time, actor Actor) error {
	now = now.UTC()
	return db.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&User{}).Where("id = ?", u.ID).
			Updates(map[string]any{"failed_logins": 0, "locked_until": nil, "last_login": now}).Error; err != nil {
			return err
		}
		actor.UserID, actor.OrganizationID = &u.ID, u.OrganizationID
		return audit(tx, actor, "login.succeeded", "user", u.ID, AuditDetails{Summary: "Signed in"})
	})
}

// CreateSession stores a new session (its token's hash, never the token).
func (db *DB) CreateSession(ctx context.Context, s *UserSession) error {
	return db.gorm.WithContext(ctx).Create(s).Error
}

// ActiveSession finds the session whose token hashes to tokenHash, with its
// user, if it is neither revoked, expired, idle for longer than idle, nor
// that of a deactivated user. ErrNotFound otherwise.
func (db *DB) ActiveSession(ctx context.Context, tokenHash string, now time.Time, idle time.Duration) (*UserSession, *User, error) {
	now = now.UTC()
	var s UserSession
	err := db.gorm.WithContext(ctx).
		Where("session_token = ? AND revoked_at IS NULL AND expires_at > ?", tokenHash, now).
		Where("(last_seen_at IS NULL AND created_at > ?) OR last_seen_at > ?", now.Add(-idle), now.Add(-idle)).
		First(&s).Error
	if err != nil {
		return nil, nil, notFound(err)
	}
	var u User
	if err := db.gorm.WithContext(ctx).Where("deactivated_at IS NULL").First(&u, "id = ?", s.UserID).Error; err != nil {
		return nil, nil, notFound(err)
	}
	return &s, &u, nil
}

// TouchSession records that a session was used now.
func (db *DB) TouchSession(ctx context.Context, id string, now time.Time) error {
	return db.gorm.WithContext(ctx).Model(&UserSession{}).Where("id = ?", id).Update("last_seen_at", now.UTC()).Error
}

// EndSession revokes one session (sign-out), recording why.
func (db *DB) EndSession(ctx context.Context, s *UserSession, action string, now time.Time, actor Actor) error {
	return db.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&UserSession{}).Where("id = ? AND revoked_at IS NULL", s.ID).Update("revoked_at", now.UTC()).Error; err != nil {
			return err
		}
		actor.UserID = &s.UserID
		return audit(tx, actor, action, "session", s.ID, AuditDetails{Summary: "Session ended"})
	})
}

// PurgeExpired deletes sessions that expired, were revoked, or sat idle
// longer than idle, and tokens that expired or were used, all older than
// now. It returns how many of each it removed.
func (db *DB) PurgeExpired(ctx context.Context, now time.Time, idle time.Duration) (sessions, tokens int64, err error) {
	now = now.UTC()
	g := db.gorm.WithContext(ctx)
	res := g.Where("expires_at <= ? OR revoked_at IS NOT NULL OR COALESCE(last_seen_at, created_at) <= ?", now, now.Add(-idle)).
		Delete(&UserSession{})
	if res.Error != nil {
		return 0, 0, res.Error
	}
	sessions = res.RowsAffected
	res = g.Where("expires_at <= ? OR used_at IS NOT NULL", now).Delete(&UserToken{})
	return sessions, res.RowsAffected, res.Error
}

// Audit writes one audit log entry outside any other transaction.
func (db *DB) Audit(ctx context.Context, actor Actor, action, resourceType, resourceID string, d AuditDetails) error {
	return audit(db.gorm.WithContext(ctx), actor, action, resourceType, resourceID, d)
}

func audit(tx *gorm.DB, actor Actor, action, resourceType, resourceID string, d AuditDetails) error {
	e := &AuditLog{
		UserID: actor.UserID, OrganizationID: actor.OrganizationID,
		Action: action, ResourceType: resourceType, Details: datatypesJSON(d),
	}
	if resourceID != "" {
		e.ResourceID = &resourceID
	}
	if actor.IP != "" {
		e.IPAddress = &actor.IP
	}
	if actor.UserAgent != "" {
		ua := actor.UserAgent
		if len(ua) > 512 {
			ua = ua[:512]
		}
		e.UserAgent = &ua
	}
	if err := tx.Create(e).Error; err != nil {
		return fmt.Errorf("store: audit %s: %w", action, err)
	}
	return nil
}

// inTx runs fn in a transaction.
func (db *DB) inTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return db.gorm.WithContext(ctx).Transaction(fn)
}

// lockPlatform serializes platform-wide check-then-insert steps on
// PostgreSQL for the rest of the transaction (SQLite's immediate
// transactions already do).
func lockPlatform(tx *gorm.DB, d Dialect) error {
	if d != Postgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", seedLockID).Error
}

// notFound maps GORM's not-found error to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

func datatypesJSON(d AuditDetails) datatypes.JSONType[AuditDetails] { return datatypes.NewJSONType(d) }
