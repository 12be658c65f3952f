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

// TokenPurpose is user_tokens.purpose.
type TokenPurpose string

const (
	TokenInvitation        TokenPurpose = "invitation"
	TokenPasswordReset     TokenPurpose = "password_reset"
	TokenEmailVerification TokenPurpose = "email_verification" // #nosec G101 -- the name of a token's purpose, not a token
)

// Valid reports whether p is one of the values the database accepts.
func (p TokenPurpose) Valid() bool {
	switch p {
	case TokenInvitation, TokenPasswordReset, TokenEmailVerification:
		return true
	}
	return false
}

// UserToken is a single-use, expiring link sent by email. Only the SHA-256
// of the token is stored; the token itself is in the link.
type UserToken struct {
	ID             string
	UserID         string
	OrganizationID *string
	Purpose        TokenPurpose `validate:"required,oneof=invitation password_reset email_verification"`
	TokenHash      string
	CreatedBy      *string
	ExpiresAt      time.Time
	UsedAt         *time.Time
	CreatedAt      time.Time

	User *User `gorm:"foreignKey:UserID" validate:"-"`
}

func (UserToken) TableName() string { return "user_tokens" }

func (t *UserToken) BeforeCreate(*gorm.DB) error { return newID(&t.ID) }

// ErrTokenInvalid is returned for an emailed link that cannot be used: its
// token is unknown, expired or used, it was replaced by a newer link, or
// the account it belongs to was deactivated or no longer fits the purpose.
var ErrTokenInvalid = errors.New("this link has expired or was already used")

// EmailLink is a new single-use link to be emailed: the SHA-256 of its
// token (the token itself is only in the email) and its expiry.
type EmailLink struct {
	TokenHash string // hex SHA-256 of the token in the link
	ExpiresAt time.Time
}

// UserToken finds the usable link of this purpose whose token hashes to
// tokenHash, with its user (and the user's organization). ErrTokenInvalid
// otherwise. Links are found by their secret before anyone is signed in,
// so this is a platform-wide query.
func (db *DB) UserToken(ctx context.Context, purpose TokenPurpose, tokenHash string, now time.Time) (*UserToken, error) {
	t, err := findToken(db.gorm.WithContext(ctx), db.dialect, purpose, tokenHash, now.UTC())
	if err != nil {
		return nil, err
	}
	if t.User.OrganizationID != nil {
		var o Organization
		if err := db.gorm.WithContext(ctx).First(&o, "id = ?", *t.User.OrganizationID).Error; err != nil {
			return nil, notFound(err)
		}
		t.User.Organization = &o
	}
	return t, nil
}

// findToken loads a usable token and its user, locking both rows on
// PostgreSQL when tx is a transaction that will use the token.
func findToken(tx *gorm.DB, d Dialect, purpose TokenPurpose, tokenHash string, now time.Time) (*UserToken, error) {
	lock := func(q *gorm.DB) *gorm.DB {
		if d == Postgres {
			return q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		return q
	}
	var t UserToken
	if err := lock(tx).Where("token_hash = ? AND purpose = ?", tokenHash, purpose).First(&t).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrTokenInvalid
		}
		return nil, err
	}
	var u User
	if err := lock(tx).First(&u, "id = ?", t.UserID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrTokenInvalid
		}
		return nil, err
	}
	t.User = &u
	if t.UsedAt != nil || !t.ExpiresAt.After(now) || u.DeactivatedAt != nil {
		return nil, ErrTokenInvalid
	}
	switch purpose {
	case TokenInvitation: // only for someone who has not joined yet
		if u.PasswordHash != nil || t.OrganizationID == nil || u.OrganizationID == nil || *t.OrganizationID != *u.OrganizationID {
			return nil, ErrTokenInvalid
		}
	case TokenPasswordReset: // only for an account that has a password
		if u.PasswordHash == nil {
			return nil, ErrTokenInvalid
		}
	}
	return &t, nil
}

// useToken marks t used; it fails with ErrTokenInvalid if another request
// used it first, which makes every link single-use whatever the locking.
func useToken(tx *gorm.DB, t *UserToken, now time.Time) error {
	res := tx.Model(&UserToken{}).Where("id = ? AND used_at IS NULL", t.ID).Update("used_at", now)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrTokenInvalid
	}
	return nil
}

// AcceptInvitation completes an invitation: the member's name and password
// are set, their email counts as verified (the link reached it), and the
// link is used up, in one transaction with the audit entry and then (nil:
// nothing), which gets the member's organization's handle on that
// transaction and the member: what must commit with the joining (its
// event) goes there. ErrTokenInvalid if the link cannot be used.
func (db *DB) AcceptInvitation(ctx context.Context, tokenHash, name, passwordHash string, now time.Time, actor Actor, then func(tx *Scoped, u *User) error) (*User, error) {
	now = now.UTC()
	var u *User
	err := db.inTx(ctx, func(tx *gorm.DB) error {
		t, err := findToken(tx, db.dialect, TokenInvitation, tokenHash, now)
		if err != nil {
			return err
		}
		if err := useToken(tx, t, now); err != nil {
			return err
		}
		u = t.User
		profile := u.Profile.Data()
		profile.DisplayName = name
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{
			"password_hash": passwordHash, "email_verified": true, "profile": datatypes.NewJSONType(profile),
			"failed_logins": 0, "locked_until": nil, "last_login": now,
		}).Error; err != nil {
			return err
		}
		u.Profile = datatypes.NewJSONType(profile)
		// Other links to the same invitation (resent ones) die with it.
		if err := tx.Where("user_id = ? AND purpose = ? AND used_at IS NULL", u.ID, TokenInvitation).Delete(&UserToken{}).Error; err != nil {
			return err
		}
		actor.UserID, actor.OrganizationID = &u.ID, u.OrganizationID
		if err := audit(tx, actor, "invitation.accepted", "user", u.ID, AuditDetails{
			Summary: fmt.Sprintf("%s accepted the invitation as %s and signed in", u.Email, u.Role),
		}); err != nil {
			return err
		}
		if u.OrganizationID == nil {
			return nil
		}
		sc := &Scoped{db: tx, orgID: *u.OrganizationID, dial: db.dialect}
		// Under a user_registration workflow the member waits for its
		// approvers (approval_users.go), who are told by the request.
		req, err := sc.parkMember(tx, u, t.CreatedBy, now, actor)
		if err != nil {
			return err
		}
		// The organization's admins hear that someone joined.
		msg := fmt.Sprintf("%s accepted the invitation and joined as %s.", u.Email, u.Role)
		if req != nil {
			msg = fmt.Sprintf("%s accepted the invitation as %s and awaits approval.", u.Email, u.Role)
		}
		if _, err = notifyAdmins(tx, *u.OrganizationID, Notification{Type: NotifySystemAlert, Title: "A new member joined",
			Message: msg, Metadata: datatypes.NewJSONType(NotificationMetadata{OrganizationID: *u.OrganizationID, Link: "/members"})}); err != nil {
			return err
		}
		if then == nil {
			return nil
		}
		return then(sc, u)
	})
	if err != nil {
		return nil, err
	}
	return db.UserByID(ctx, u.ID)
}

// RequestPasswordReset creates a password reset link for the account with
// this email, replacing any unused one, and audits the request. Accounts
// that cannot reset a password (none with this email, deactivated, or
// invited and not joined yet) get no link: the request is audited as such
// and ErrNotFound is returned, which the caller must not reveal.
func (db *DB) RequestPasswordReset(ctx context.Context, email string, link EmailLink, actor Actor) (*User, error) {
	email = NormalizeEmail(email)
	var found *User
	err := db.inTx(ctx, func(tx *gorm.DB) error {
		var u User
		err := tx.Where("email = ?", email).First(&u).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if err != nil || u.DeactivatedAt != nil || u.PasswordHash == nil {
			return audit(tx, actor, "password.reset_requested", "user", "", AuditDetails{
				Summary: "Password reset requested for an email without an active account; nothing sent",
				Extra:   map[string]string{"email": email},
			})
		}
		if err := tx.Where("user_id = ? AND purpose = ? AND used_at IS NULL", u.ID, TokenPasswordReset).Delete(&UserToken{}).Error; err != nil {
			return err
		}
		if err := tx.Create(&UserToken{UserID: u.ID, OrganizationID: u.OrganizationID, Purpose: TokenPasswordReset,
			TokenHash: link.TokenHash, ExpiresAt: link.ExpiresAt.UTC()}).Error; err != nil {
			return err
		}
		found = &u
		actor.UserID, actor.OrganizationID = &u.ID, u.OrganizationID
		return audit(tx, actor, "password.reset_requested", "user", u.ID, AuditDetails{
			Summary: "Password reset link sent to " + u.Email,
			Extra:   map[string]string{"expires_at": link.ExpiresAt.UTC().Format(time.RFC3339)},
		})
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, ErrNotFound
	}
	return found, nil
}

// ResetPassword sets a new password through a reset link, in one
// transaction: the link is used up, the failed sign-in count and any lock
// are cleared, every session of the account is revoked, and the reset is
// audited. ErrTokenInvalid if the link cannot be used.
func (db *DB) ResetPassword(ctx context.Context, tokenHash, passwordHash string, now time.Time, actor Actor) (*User, error) {
	now = now.UTC()
	var u *User
	err := db.inTx(ctx, func(tx *gorm.DB) error {
		t, err := findToken(tx, db.dialect, TokenPasswordReset, tokenHash, now)
		if err != nil {
			return err
		}
		if err := useToken(tx, t, now); err != nil {
			return err
		}
		u = t.User
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{
			"password_hash": passwordHash, "email_verified": true, "failed_logins": 0, "locked_until": nil,
		}).Error; err != nil {
			return err
		}
		res := tx.Model(&UserSession{}).Where("user_id = ? AND revoked_at IS NULL", u.ID).Update("revoked_at", now)
		if res.Error != nil {
			return res.Error
		}
		if err := tx.Where("user_id = ? AND purpose = ? AND used_at IS NULL", u.ID, TokenPasswordReset).Delete(&UserToken{}).Error; err != nil {
			return err
		}
		actor.UserID, actor.OrganizationID = &u.ID, u.OrganizationID
		return audit(tx, actor, "password.reset", "user", u.ID, AuditDetails{
			Summary: fmt.Sprintf("Reset the password through an emailed link and ended %d session(s)", res.RowsAffected),
		})
	})
	if err != nil {
		return nil, err
	}
	return db.UserByID(ctx, u.ID)
}
