package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/useragent"
)

// UserSession is a server-side login session.
type UserSession struct {
	ID           string
	UserID       string
	SessionToken string // SHA-256 of the cookie's token, never the token itself
	ExpiresAt    time.Time
	IPAddress    *string
	UserAgent    *string
	CreatedAt    time.Time
	LastSeenAt   *time.Time
	RevokedAt    *time.Time

	User *User `gorm:"foreignKey:UserID" validate:"-"`
}

func (UserSession) TableName() string { return "user_sessions" }

func (s *UserSession) BeforeCreate(*gorm.DB) error { return newID(&s.ID) }

// CreateSession stores a new session (its token's hash, never the token).
//
// A sign-in from a browser the user has not signed in with before (another
// user agent), when they have signed in before, notifies them with a
// critical "new sign-in" alert in the same transaction.
func (db *DB) CreateSession(ctx context.Context, s *UserSession) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var before, same int64
		if err := tx.Model(&UserSession{}).Where("user_id = ?", s.UserID).Count(&before).Error; err != nil {
			return err
		}
		if before > 0 && s.UserAgent != nil {
			if err := tx.Model(&UserSession{}).Where("user_id = ? AND user_agent = ?", s.UserID, *s.UserAgent).Count(&same).Error; err != nil {
				return err
			}
		}
		if err := tx.Create(s).Error; err != nil {
			return err
		}
		if before == 0 || same > 0 || s.UserAgent == nil {
			return nil
		}
		where := useragent.Summary(*s.UserAgent)
		if s.IPAddress != nil {
			where += " from " + *s.IPAddress
		}
		return securityNotice(tx, s.UserID, "New sign-in to your account",
			"Someone signed in to your account with "+where+". If this was not you, sign that session out and reset your password.")
	})
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

// Sessions lists the user's sessions that still work at now (not revoked,
// not expired, not idle for longer than idle), most recently used first.
func (a *Account) Sessions(ctx context.Context, now time.Time, idle time.Duration) ([]UserSession, error) {
	now = now.UTC()
	var ss []UserSession
	err := a.db.WithContext(ctx).
		Where("user_id = ? AND revoked_at IS NULL AND expires_at > ?", a.userID, now).
		Where("COALESCE(last_seen_at, created_at) > ?", now.Add(-idle)).
		Order("COALESCE(last_seen_at, created_at) DESC").Order("id DESC").
		Find(&ss).Error
	return ss, err
}

// Session is one of the user's sessions, revoked or not. Another user's
// session is ErrNotFound.
func (a *Account) Session(ctx context.Context, id string) (*UserSession, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var s UserSession
	err := a.db.WithContext(ctx).Where("user_id = ?", a.userID).First(&s, "id = ?", id).Error
	return &s, notFound(err)
}

// RevokeSession ends one of the user's sessions ("session.revoked"). A
// session that had already ended stays as it is; another user's session is
// ErrNotFound.
func (a *Account) RevokeSession(ctx context.Context, id string, now time.Time, actor Actor) error {
	if !validUUID(id) {
		return ErrNotFound
	}
	return a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&UserSession{}).Where("id = ? AND user_id = ? AND revoked_at IS NULL", id, a.userID).
			Update("revoked_at", now.UTC())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var n int64
			if err := tx.Model(&UserSession{}).Where("id = ? AND user_id = ?", id, a.userID).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return ErrNotFound
			}
			return nil // already ended
		}
		return audit(tx, a.actor(tx, actor), "session.revoked", "session", id, AuditDetails{Summary: "Signed out a session from the sessions page"})
	})
}

// RevokeOtherSessions ends every session of the user but keepID
// ("session.revoked_others") and reports how many it ended.
func (a *Account) RevokeOtherSessions(ctx context.Context, keepID string, now time.Time, actor Actor) (int64, error) {
	var n int64
	err := a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		n, err = a.revokeOthers(tx, keepID, now, actor, "Signed out everywhere else")
		return err
	})
	return n, err
}

func (a *Account) revokeOthers(tx *gorm.DB, keepID string, now time.Time, actor Actor, why string) (int64, error) {
	res := tx.Model(&UserSession{}).Where("user_id = ? AND id <> ? AND revoked_at IS NULL", a.userID, keepID).
		Update("revoked_at", now.UTC())
	if res.Error != nil {
		return 0, res.Error
	}
	if res.RowsAffected == 0 {
		return 0, nil
	}
	return res.RowsAffected, audit(tx, a.actor(tx, actor), "session.revoked_others", "user", a.userID,
		AuditDetails{Summary: fmt.Sprintf("%s: %d other sessions ended", why, res.RowsAffected)})
}
