package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/secret"
)

// Second-factor errors of the user-scoped handle.
var (
	// ErrCodeUsed is returned for a TOTP step or recovery code that was
	// already accepted once (or, for a recovery code, never existed).
	ErrCodeUsed = errors.New("code already used")
	// ErrMFAEnabled is returned when enabling a second factor that is on.
	ErrMFAEnabled = errors.New("two-factor authentication is already on")
	// ErrMFADisabled is returned when changing a second factor that is off.
	ErrMFADisabled = errors.New("two-factor authentication is off")
)

// User is the handle's own account.
func (a *Account) User(ctx context.Context) (*User, error) {
	var u User
	err := a.db.WithContext(ctx).First(&u, "id = ?", a.userID).Error
	return &u, notFound(err)
}

// ChangePassword stores a new password hash and ends every other session
// of the user ("password.changed", and "session.revoked_others" when there
// were any), in one transaction. It reports how many sessions it ended.
func (a *Account) ChangePassword(ctx context.Context, hash, keepSessionID string, now time.Time, actor Actor) (int64, error) {
	var n int64
	err := a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", a.userID).Update("password_hash", hash)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		actor = a.actor(tx, actor)
		if err := audit(tx, actor, "password.changed", "user", a.userID, AuditDetails{Summary: "Changed their password"}); err != nil {
			return err
		}
		var err error
		n, err = a.revokeOthers(tx, keepSessionID, now, actor, "Password changed")
		return err
	})
	return n, err
}

// EnableMFA turns the second factor on with a sealed TOTP secret, the step
// of the code that confirmed it (so that code cannot be used again) and the
// hashes of new recovery codes, replacing any old ones ("mfa.enabled").
// ErrMFAEnabled if it is already on.
func (a *Account) EnableMFA(ctx context.Context, sealed secret.Sealed, step int64, codeHashes []string, actor Actor) error {
	if len(sealed) == 0 {
		return errors.New("store: enable mfa without a secret")
	}
	return a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ? AND mfa_enabled = ?", a.userID, false).
			Updates(map[string]any{"mfa_enabled": true, "mfa_secret_encrypted": sealed, "mfa_last_step": step})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return a.existsOr(tx, ErrMFAEnabled)
		}
		if err := a.replaceCodes(tx, codeHashes); err != nil {
			return err
		}
		if err := securityNotice(tx, a.userID, "Two-factor authentication turned on",
			"Two-factor authentication was turned on for your account. If this was not you, reset your password and contact your administrator."); err != nil {
			return err
		}
		return audit(tx, a.actor(tx, actor), "mfa.enabled", "user", a.userID,
			AuditDetails{Summary: fmt.Sprintf("Turned on two-factor authentication with %d recovery codes", len(codeHashes))})
	})
}

// DisableMFA turns the second factor off: the secret and every recovery
// code are deleted ("mfa.disabled"). ErrMFADisabled if it is off.
func (a *Account) DisableMFA(ctx context.Context, actor Actor) error {
	return a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ? AND mfa_enabled = ?", a.userID, true).
			Updates(map[string]any{"mfa_enabled": false, "mfa_secret_encrypted": nil, "mfa_last_step": 0})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return a.existsOr(tx, ErrMFADisabled)
		}
		if err := tx.Where("user_id = ?", a.userID).Delete(&MFARecoveryCode{}).Error; err != nil {
			return err
		}
		if err := securityNotice(tx, a.userID, "Two-factor authentication turned off",
			"Two-factor authentication was turned off for your account. If this was not you, reset your password and contact your administrator."); err != nil {
			return err
		}
		return audit(tx, a.actor(tx, actor), "mfa.disabled", "user", a.userID, AuditDetails{Summary: "Turned off two-factor authentication"})
	})
}

// ReplaceRecoveryCodes swaps every recovery code for new ones
// ("mfa.recovery_codes_replaced"). ErrMFADisabled if the second factor is
// off.
func (a *Account) ReplaceRecoveryCodes(ctx context.Context, codeHashes []string, actor Actor) error {
	return a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u User
		if err := lockRow(tx, a.dial).Select("id", "mfa_enabled").First(&u, "id = ?", a.userID).Error; err != nil {
			return notFound(err)
		}
		if !u.MFAEnabled {
			return ErrMFADisabled
		}
		if err := a.replaceCodes(tx, codeHashes); err != nil {
			return err
		}
		return audit(tx, a.actor(tx, actor), "mfa.recovery_codes_replaced", "user", a.userID,
			AuditDetails{Summary: fmt.Sprintf("Replaced the recovery codes with %d new ones", len(codeHashes))})
	})
}

func (a *Account) replaceCodes(tx *gorm.DB, hashes []string) error {
	if err := tx.Where("user_id = ?", a.userID).Delete(&MFARecoveryCode{}).Error; err != nil {
		return err
	}
	if len(hashes) == 0 {
		return nil
	}
	codes := make([]MFARecoveryCode, len(hashes))
	for i, h := range hashes {
		codes[i] = MFARecoveryCode{UserID: a.userID, CodeHash: h}
	}
	return tx.Create(&codes).Error
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (a *Account) RecoveryCodesLeft(ctx context.Context) (int64, error) {
	var n int64
	err := a.db.WithContext(ctx).Model(&MFARecoveryCode{}).Where("user_id = ? AND used_at IS NULL", a.userID).Count(&n).Error
	return n, err
}

// AcceptTOTPStep records step as the last accepted TOTP step, unless a step
// as late or later was already accepted (ErrCodeUsed): the check and the
// write are one statement, so two requests with the same code cannot both
// pass.
func (a *Account) AcceptTOTPStep(ctx context.Context, step int64) error {
	res := a.db.WithContext(ctx).Model(&User{}).
		Where("id = ? AND mfa_enabled = ? AND mfa_last_step < ?", a.userID, true, step).
		Update("mfa_last_step", step)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrCodeUsed
	}
	return nil
}

// UseRecoveryCode spends the recovery code whose hash is codeHash
// ("login.recovery_code_used") and reports how many are left. A code that
// was used, or is not one of the user's, is ErrCodeUsed.
func (a *Account) UseRecoveryCode(ctx context.Context, codeHash string, now time.Time, actor Actor) (left int64, err error) {
	err = a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&MFARecoveryCode{}).Where("user_id = ? AND code_hash = ? AND used_at IS NULL", a.userID, codeHash).
			Update("used_at", now.UTC())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrCodeUsed
		}
		if err := tx.Model(&MFARecoveryCode{}).Where("user_id = ? AND used_at IS NULL", a.userID).Count(&left).Error; err != nil {
			return err
		}
		return audit(tx, a.actor(tx, actor), "login.recovery_code_used", "user", a.userID,
			AuditDetails{Summary: fmt.Sprintf("Signed in with a recovery code; %d left", left)})
	})
	return left, err
}

// actor is actor acting on their own account: the user, in their
// organization (filled in from the account when the request had no
// identity yet, as in the second step of a sign-in).
func (a *Account) actor(tx *gorm.DB, actor Actor) Actor {
	id := a.userID
	actor.UserID = &id
	if actor.OrganizationID == nil {
		var u User
		if tx.Select("organization_id").First(&u, "id = ?", a.userID).Error == nil {
			actor.OrganizationID = u.OrganizationID
		}
	}
	return actor
}

// existsOr returns ErrNotFound if the handle's user is gone, else err.
func (a *Account) existsOr(tx *gorm.DB, err error) error {
	var n int64
	if cerr := tx.Model(&User{}).Where("id = ?", a.userID).Count(&n).Error; cerr != nil {
		return cerr
	}
	if n == 0 {
		return ErrNotFound
	}
	return err
}

// MFAFailed counts a wrong second factor as a failed sign-in
// ("login.mfa_failed"), locking the account like LoginFailed.
func (db *DB) MFAFailed(ctx context.Context, userID string, now time.Time, actor Actor) (locked bool, err error) {
	return db.loginFailed(ctx, userID, now, actor, "login.mfa_failed", "Wrong second factor")
}

// MFARecoveryCode is one single-use recovery code, stored as its SHA-256.
type MFARecoveryCode struct {
	ID        string
	UserID    string
	CodeHash  string
	UsedAt    *time.Time
	CreatedAt time.Time
}

func (MFARecoveryCode) TableName() string { return "mfa_recovery_codes" }

func (c *MFARecoveryCode) BeforeCreate(*gorm.DB) error { return newID(&c.ID) }

// securityNotice notifies a user of a change to their account's security,
// as a critical system alert: preferences, digests and quiet hours never
// hold it back (notify).
func securityNotice(tx *gorm.DB, userID, title, message string) error {
	_, err := notify(tx, []string{userID}, Notification{Type: NotifySystemAlert, Critical: true, Title: title, Message: message,
		Metadata: datatypes.NewJSONType(NotificationMetadata{Link: "/account/sessions"})})
	return err
}
