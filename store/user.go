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

	"github.com/trustcred/trustcred/internal/secret"
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
	return db.CreateUserThen(ctx, u, actor, nil)
}

// CreateUserThen is CreateUser that, for an account of an organization,
// runs then (nil: nothing) in the same transaction with the
// organization's handle on it: what must commit with the new member (its
// event) goes there.
func (db *DB) CreateUserThen(ctx context.Context, u *User, actor Actor, then func(tx *Scoped, u *User) error) error {
	u.Email = NormalizeEmail(u.Email)
	return db.inTx(ctx, func(tx *gorm.DB) error {
		if err := createUser(tx, u); err != nil {
			return err
		}
		if err := audit(tx, actor, "user.created", "user", u.ID, AuditDetails{Summary: fmt.Sprintf("Created %s as %s", u.Email, u.Role)}); err != nil {
			return err
		}
		if then == nil || u.OrganizationID == nil {
			return nil
		}
		return then(&Scoped{db: tx, orgID: *u.OrganizationID, dial: db.dialect}, u)
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

// StepUpFailed counts a wrong password or code given to confirm an
// approval (step-up, "approval.step_up_failed") as a failed sign-in: the
// same count locks the account, so guessing through the approve button
// is no faster than through the sign-in form.
func (db *DB) StepUpFailed(ctx context.Context, userID string, now time.Time, actor Actor) (locked bool, err error) {
	return db.loginFailed(ctx, userID, now, actor, "approval.step_up_failed", "Wrong step-up")
}

// StepUpSucceeded clears the failure count after a right step-up, as a
// sign-in does (the decision it confirms is audited on its own).
func (db *DB) StepUpSucceeded(ctx context.Context, userID string) error {
	return db.gorm.WithContext(ctx).Model(&User{}).Where("id = ? AND failed_logins > 0", userID).
		Update("failed_logins", 0).Error
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

// Role is users.role; multisig_requirements.approver_roles holds a list of them.
type Role string

const (
	RoleSuperAdmin Role = "super_admin"
	RoleAdmin      Role = "admin"
	RoleIssuer     Role = "issuer"
	RoleReviewer   Role = "reviewer"
	RoleVerifier   Role = "verifier"
	RoleRecipient  Role = "recipient"
)

// Valid reports whether r is one of the values the database accepts.
func (r Role) Valid() bool {
	switch r {
	case RoleSuperAdmin, RoleAdmin, RoleIssuer, RoleReviewer, RoleVerifier, RoleRecipient:
		return true
	}
	return false
}

// UserProfile is users.profile.
type UserProfile struct {
	DisplayName string `json:"display_name,omitempty"`
	Phone       string `json:"phone,omitempty"` // E.164, used for SMS notifications
	Locale      string `json:"locale,omitempty"`
	Timezone    string `json:"timezone,omitempty"`
	AvatarURL   string `json:"avatar_url,omitempty"`
	Title       string `json:"title,omitempty"`
	// Notification channels (00021): the email digest and quiet hours. The
	// quiet window is "HH:MM" to "HH:MM" in Timezone (UTC when empty); it
	// may span midnight. Both empty: no quiet hours.
	EmailDigest bool   `json:"email_digest,omitempty"`
	QuietStart  string `json:"quiet_start,omitempty"`
	QuietEnd    string `json:"quiet_end,omitempty"`
}

// User is anyone who signs in: platform operators, organization staff and recipients.
type User struct {
	ID                 string
	Email              string  `validate:"required,max=254,email"`
	DID                *string `gorm:"column:did" validate:"omitnil,max=500,did"`
	OrganizationID     *string
	Role               Role `gorm:"default:recipient" validate:"required,oneof=super_admin admin issuer reviewer verifier recipient"`
	Profile            datatypes.JSONType[UserProfile]
	EmailVerified      bool
	MFAEnabled         bool
	LastLogin          *time.Time
	PasswordHash       *string       // bcrypt; nil for users who only sign in through LDAP
	MFASecretEncrypted secret.Sealed // TOTP secret; nil until MFA is set up
	FailedLogins       int
	LockedUntil        *time.Time
	DeactivatedAt      *time.Time // set by an admin: the user cannot sign in (00004)
	MFALastStep        int64      `gorm:"column:mfa_last_step"` // last accepted TOTP time step, against replay (00004)
	// AwaitingApprovalSince is set while the member waits for the
	// organization's user_registration workflow (00044): they may sign in
	// but no organization page opens for them.
	AwaitingApprovalSince *time.Time
	CreatedAt             time.Time
	UpdatedAt             time.Time

	Organization *Organization `gorm:"foreignKey:OrganizationID" validate:"-"`
}

func (User) TableName() string { return "users" }

func (u *User) BeforeCreate(*gorm.DB) error { return newID(&u.ID) }
