package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// Registration and email confirmation errors.
var (
	// ErrNameTaken: another organization has this name (compared without
	// regard to case).
	ErrNameTaken = errors.New("an organization with this name already exists")
	// ErrEmailVerified: the account's email address is confirmed already.
	ErrEmailVerified = errors.New("the email address is already confirmed")
)

// PendingRegistrationsLink is where platform operators review pending
// organizations; notifications about new registrations point there.
const PendingRegistrationsLink = "/admin/organizations?status=pending"

// Registration is an organization registering itself on the public form:
// the organization, its first administrator and the link that confirms the
// administrator's email address.
type Registration struct {
	// Organization needs Name, Slug, Type, DID and optionally Domain; it is
	// created pending and not verified.
	Organization *Organization
	// Admin needs Email, PasswordHash and Profile; it is created as the
	// organization's admin with an unconfirmed email address.
	Admin        *User
	Confirmation EmailLink
}

// RegisterOrganization creates, in one transaction, a pending organization,
// its administrator and an email confirmation link, audits it
// ("organization.registered") and notifies the platform operators. A slug,
// name or email in use is refused with ErrSlugTaken, ErrNameTaken and/or
// ErrEmailTaken, joined (errors.Is finds each): also when a concurrent
// registration took one of them first, which the unique constraints decide.
// Nothing is created when it fails.
func (db *DB) RegisterOrganization(ctx context.Context, r Registration, actor Actor) error {
	o, u := r.Organization, r.Admin
	o.Status, o.Verified = OrganizationPending, false
	u.Email, u.Role, u.EmailVerified = NormalizeEmail(u.Email), RoleAdmin, false
	err := db.inTx(ctx, func(tx *gorm.DB) error {
		if err := registrationConflicts(tx, o.Slug, o.Name, u.Email); err != nil {
			return err
		}
		if err := tx.Create(o).Error; err != nil {
			return err
		}
		u.OrganizationID = &o.ID
		if err := tx.Create(u).Error; err != nil {
			return err
		}
		if err := createEmailConfirmation(tx, u, r.Confirmation); err != nil {
			return err
		}
		actor.UserID, actor.OrganizationID = &u.ID, &o.ID
		if err := audit(tx, actor, "organization.registered", "organization", o.ID, AuditDetails{
			Summary: fmt.Sprintf("Registered %s (%s) with administrator %s; awaiting approval", o.Name, o.Slug, u.Email),
			Extra:   map[string]string{"slug": o.Slug, "type": string(o.Type), "admin_email": u.Email},
		}); err != nil {
			return err
		}
		var operators []string
		if err := tx.Model(&User{}).Where("role = ? AND deactivated_at IS NULL", RoleSuperAdmin).Pluck("id", &operators).Error; err != nil {
			return err
		}
		_, err := notify(tx, operators, Notification{Type: NotifySystemAlert, Title: "New organization registration",
			Message:  fmt.Sprintf("%s (%s) registered and awaits approval.", o.Name, o.Slug),
			Metadata: datatypes.NewJSONType(NotificationMetadata{OrganizationID: o.ID, Link: PendingRegistrationsLink})})
		return err
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		// A concurrent registration committed between the check and the
		// insert: its row is visible now.
		if cerr := registrationConflicts(db.gorm.WithContext(ctx), o.Slug, o.Name, u.Email); cerr != nil {
			return cerr
		}
		return ErrSlugTaken // the DID, which follows from the slug
	}
	return err
}

// registrationConflicts returns ErrSlugTaken, ErrNameTaken and
// ErrEmailTaken, joined, for each of slug, name and email in use; nil when
// none is.
func registrationConflicts(q *gorm.DB, slug, name, email string) error {
	var errs []error
	for _, c := range []struct {
		model any
		where string
		arg   string
		err   error
	}{
		{&Organization{}, "slug = ?", slug, ErrSlugTaken},
		{&Organization{}, "lower(name) = lower(?)", name, ErrNameTaken},
		{&User{}, "email = ?", NormalizeEmail(email), ErrEmailTaken},
	} {
		var n int64
		if err := q.Model(c.model).Where(c.where, c.arg).Limit(1).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			errs = append(errs, c.err)
		}
	}
	return errors.Join(errs...)
}

// SlugTaken reports whether an organization has the slug (platform-wide:
// the registration form checks availability as it is typed).
func (db *DB) SlugTaken(ctx context.Context, slug string) (bool, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&Organization{}).Where("slug = ?", slug).Limit(1).Count(&n).Error
	return n > 0, err
}

// createEmailConfirmation replaces u's unused email confirmation links with
// a new one.
func createEmailConfirmation(tx *gorm.DB, u *User, link EmailLink) error {
	if err := tx.Where("user_id = ? AND purpose = ? AND used_at IS NULL", u.ID, TokenEmailVerification).Delete(&UserToken{}).Error; err != nil {
		return err
	}
	return tx.Create(&UserToken{UserID: u.ID, OrganizationID: u.OrganizationID, Purpose: TokenEmailVerification,
		TokenHash: link.TokenHash, CreatedBy: &u.ID, ExpiresAt: link.ExpiresAt.UTC()}).Error
}

// ConfirmEmail confirms an account's email address through an emailed
// link, in one transaction: the link is used up (with any other
// confirmation link of the account), email_verified is set and the
// confirmation is audited ("email.confirmed"). It returns the user with
// their organization. ErrTokenInvalid if the link cannot be used.
func (db *DB) ConfirmEmail(ctx context.Context, tokenHash string, now time.Time, actor Actor) (*User, error) {
	now = now.UTC()
	var id string
	err := db.inTx(ctx, func(tx *gorm.DB) error {
		t, err := findToken(tx, db.dialect, TokenEmailVerification, tokenHash, now)
		if err != nil {
			return err
		}
		if err := useToken(tx, t, now); err != nil {
			return err
		}
		u := t.User
		id = u.ID
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Update("email_verified", true).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ? AND purpose = ? AND used_at IS NULL", u.ID, TokenEmailVerification).Delete(&UserToken{}).Error; err != nil {
			return err
		}
		actor.UserID, actor.OrganizationID = &u.ID, u.OrganizationID
		return audit(tx, actor, "email.confirmed", "user", u.ID, AuditDetails{Summary: "Confirmed the email address " + u.Email})
	})
	if err != nil {
		return nil, err
	}
	u, err := db.UserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.OrganizationID != nil {
		if u.Organization, err = db.OrganizationByID(ctx, *u.OrganizationID); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// RenewEmailConfirmation replaces the user's email confirmation links with
// a new one and audits it ("email.confirmation_sent"). ErrEmailVerified if
// the address is confirmed already. It returns the user.
func (a *Account) RenewEmailConfirmation(ctx context.Context, link EmailLink, actor Actor) (*User, error) {
	var u User
	err := a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&u, "id = ?", a.userID).Error; err != nil {
			return notFound(err)
		}
		if u.EmailVerified {
			return ErrEmailVerified
		}
		if err := createEmailConfirmation(tx, &u, link); err != nil {
			return err
		}
		actor.UserID, actor.OrganizationID = &u.ID, u.OrganizationID
		return audit(tx, actor, "email.confirmation_sent", "user", u.ID, AuditDetails{
			Summary: "Sent a new email confirmation link to " + u.Email,
			Extra:   map[string]string{"expires_at": link.ExpiresAt.UTC().Format(time.RFC3339)},
		})
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}
