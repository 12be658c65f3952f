package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// Member management refusals.
var (
	// ErrLastAdmin: the change would leave the organization without an
	// active administrator.
	ErrLastAdmin = errors.New("the organization must keep at least one active administrator")
	// ErrSelfDeactivation: an administrator cannot deactivate their own account.
	ErrSelfDeactivation = errors.New("you cannot deactivate your own account")
	// ErrRoleNotAssignable: the role is not one of MemberRoles.
	ErrRoleNotAssignable = errors.New("this role cannot be given to a member of an organization")
	// ErrPlatformAdmin: platform administrators are managed by the operator,
	// not from an organization's members page.
	ErrPlatformAdmin = errors.New("platform administrators cannot be changed here")
	// ErrNotInvited: the member has no pending invitation (they accepted it,
	// or were deactivated).
	ErrNotInvited = errors.New("this member has no pending invitation")
)

// MemberRoles are the roles an organization administrator may give: every
// role but super_admin.
var MemberRoles = []Role{RoleAdmin, RoleIssuer, RoleReviewer, RoleVerifier, RoleRecipient}

// Assignable reports whether r is one of MemberRoles.
func (r Role) Assignable() bool { return slices.Contains(MemberRoles, r) }

// MemberStatus is what the members page shows about an account.
type MemberStatus string

const (
	MemberActive      MemberStatus = "active"      // has a password and may sign in
	MemberInvited     MemberStatus = "invited"     // has not accepted the invitation yet (no password)
	MemberDeactivated MemberStatus = "deactivated" // an administrator switched the account off
)

// Member is a user of the organization with what the members page needs
// beyond the users row.
type Member struct {
	User
	// InvitationExpiresAt is when the newest pending invitation link
	// expires; nil when there is none.
	InvitationExpiresAt *time.Time
}

// Status is the member's status.
func (m *Member) Status() MemberStatus {
	switch {
	case m.DeactivatedAt != nil:
		return MemberDeactivated
	case m.PasswordHash == nil:
		return MemberInvited
	case m.AwaitingApprovalSince != nil:
		return MemberAwaitingApproval
	}
	return MemberActive
}

// InvitationExpired reports whether an invited member's link has run out
// (or they have none), so that an administrator must resend it.
func (m *Member) InvitationExpired(now time.Time) bool {
	return m.Status() == MemberInvited && (m.InvitationExpiresAt == nil || !m.InvitationExpiresAt.After(now))
}

// MemberFilter narrows Members.
type MemberFilter struct {
	Query string // part of the name or the email, any case
	Role  Role   // only this role; "" for all
}

// MemberLimit is the most members one listing returns.
const MemberLimit = 500

// Members lists the organization's users matching f, by email.
func (s *Scoped) Members(ctx context.Context, f MemberFilter) ([]Member, error) {
	q := s.q(ctx, &User{})
	if f.Role != "" {
		q = q.Where("role = ?", f.Role)
	}
	if term := strings.ToLower(strings.TrimSpace(f.Query)); term != "" {
		pattern := "%" + escapeLike(term) + "%"
		q = q.Where("(LOWER(email) LIKE ? ESCAPE '\\' OR LOWER(COALESCE("+s.displayName()+", '')) LIKE ? ESCAPE '\\')", pattern, pattern)
	}
	var users []User
	if err := q.Order("email").Limit(MemberLimit).Find(&users).Error; err != nil {
		return nil, err
	}
	return s.withInvitations(s.db.WithContext(ctx), users)
}

// Member finds one user of the organization. ErrNotFound if the id is not
// a member of this organization.
func (s *Scoped) Member(ctx context.Context, id string) (*Member, error) {
	return s.member(s.db.WithContext(ctx), id)
}

func (s *Scoped) member(tx *gorm.DB, id string) (*Member, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var u User
	if err := s.tenant(tx, &u).First(&u, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	ms, err := s.withInvitations(tx, []User{u})
	if err != nil {
		return nil, err
	}
	return &ms[0], nil
}

// withInvitations adds the pending invitations' expiry to invited users.
func (s *Scoped) withInvitations(tx *gorm.DB, users []User) ([]Member, error) {
	ms := make([]Member, len(users))
	var invited []string
	for i, u := range users {
		ms[i].User = u
		if u.PasswordHash == nil {
			invited = append(invited, u.ID)
		}
	}
	if len(invited) == 0 {
		return ms, nil
	}
	var tokens []UserToken
	if err := s.tenant(tx, &UserToken{}).Where("purpose = ? AND used_at IS NULL AND user_id IN ?", TokenInvitation, invited).
		Find(&tokens).Error; err != nil {
		return nil, err
	}
	for _, t := range tokens {
		for i := range ms {
			if e := ms[i].InvitationExpiresAt; ms[i].ID == t.UserID && (e == nil || t.ExpiresAt.After(*e)) {
				exp := t.ExpiresAt
				ms[i].InvitationExpiresAt = &exp
			}
		}
	}
	return ms, nil
}

// ChangeMemberRole gives member id the role. It refuses a role outside
// MemberRoles (ErrRoleNotAssignable), a platform administrator
// (ErrPlatformAdmin), and demoting the organization's last active admin
// (ErrLastAdmin); the check and the change are one transaction that holds
// the organization's lock, so two concurrent demotions cannot both pass.
func (s *Scoped) ChangeMemberRole(ctx context.Context, id string, role Role, actor Actor) (*Member, error) {
	if !role.Assignable() {
		return nil, ErrRoleNotAssignable
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockMembers(tx); err != nil {
			return err
		}
		m, err := s.member(tx, id)
		if err != nil {
			return err
		}
		if m.Role == RoleSuperAdmin {
			return ErrPlatformAdmin
		}
		if m.Role == role {
			return nil
		}
		if err := s.keepAnAdmin(tx, m); err != nil {
			return err
		}
		if err := s.tenant(tx, &User{}).Where("id = ?", m.ID).Update("role", role).Error; err != nil {
			return err
		}
		if err := audit(tx, s.actor(actor), "member.role_changed", "user", m.ID, AuditDetails{
			Summary: fmt.Sprintf("Changed the role of %s from %s to %s", m.Email, m.Role, role),
			Changes: []FieldChange{{Field: "role", From: string(m.Role), To: string(role)}},
		}); err != nil {
			return err
		}
		return memberNotice(tx, m.ID, "Your role has changed",
			fmt.Sprintf("An administrator changed your role in the organization from %s to %s.", m.Role, role))
	})
	if err != nil {
		return nil, err
	}
	return s.Member(ctx, id)
}

// DeactivateMember switches member id's account off: they cannot sign in,
// every session of theirs is revoked, and their pending invitation or
// reset links stop working. An administrator cannot deactivate themselves
// (ErrSelfDeactivation) nor the last active admin (ErrLastAdmin).
// Deactivating a deactivated member changes nothing.
func (s *Scoped) DeactivateMember(ctx context.Context, id string, now time.Time, actor Actor) (*Member, error) {
	now = now.UTC()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockMembers(tx); err != nil {
			return err
		}
		m, err := s.member(tx, id)
		if err != nil {
			return err
		}
		if actor.UserID != nil && *actor.UserID == m.ID {
			return ErrSelfDeactivation
		}
		if m.Role == RoleSuperAdmin {
			return ErrPlatformAdmin
		}
		if m.DeactivatedAt != nil {
			return nil
		}
		if err := s.keepAnAdmin(tx, m); err != nil {
			return err
		}
		if err := s.tenant(tx, &User{}).Where("id = ?", m.ID).Update("deactivated_at", now).Error; err != nil {
			return err
		}
		// Sessions and tokens are the user's: scoped through m, read above
		// through the organization.
		res := tx.Model(&UserSession{}).Where("user_id = ? AND revoked_at IS NULL", m.ID).Update("revoked_at", now)
		if res.Error != nil {
			return res.Error
		}
		if err := tx.Where("user_id = ? AND used_at IS NULL", m.ID).Delete(&UserToken{}).Error; err != nil {
			return err
		}
		return audit(tx, s.actor(actor), "member.deactivated", "user", m.ID, AuditDetails{
			Summary: fmt.Sprintf("Deactivated %s and ended %d session(s)", m.Email, res.RowsAffected),
			Changes: []FieldChange{{Field: "status", From: string(m.Status()), To: string(MemberDeactivated)}},
		})
	})
	if err != nil {
		return nil, err
	}
	return s.Member(ctx, id)
}

// ReactivateMember lets a deactivated member sign in again (their old
// sessions stay revoked). Reactivating an active member changes nothing.
func (s *Scoped) ReactivateMember(ctx context.Context, id string, actor Actor) (*Member, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockMembers(tx); err != nil {
			return err
		}
		m, err := s.member(tx, id)
		if err != nil {
			return err
		}
		if m.Role == RoleSuperAdmin {
			return ErrPlatformAdmin
		}
		if m.DeactivatedAt == nil {
			return nil
		}
		if err := s.tenant(tx, &User{}).Where("id = ?", m.ID).Update("deactivated_at", nil).Error; err != nil {
			return err
		}
		m.DeactivatedAt = nil
		if err := audit(tx, s.actor(actor), "member.reactivated", "user", m.ID, AuditDetails{
			Summary: "Reactivated " + m.Email,
			Changes: []FieldChange{{Field: "status", From: string(MemberDeactivated), To: string(m.Status())}},
		}); err != nil {
			return err
		}
		return memberNotice(tx, m.ID, "Your account is active again",
			"An administrator reactivated your account: you can sign in to the organization again.")
	})
	if err != nil {
		return nil, err
	}
	return s.Member(ctx, id)
}

// InviteMember creates the account of a new member (no password yet,
// email not verified) in this organization with an invitation link, in one
// transaction. ErrEmailTaken if an account has the email already.
func (s *Scoped) InviteMember(ctx context.Context, email string, role Role, inv EmailLink, actor Actor) (*Member, error) {
	if !role.Assignable() {
		return nil, ErrRoleNotAssignable
	}
	orgID := s.orgID
	u := &User{Email: NormalizeEmail(email), OrganizationID: &orgID, Role: role, EmailVerified: false}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := createUser(tx, u); err != nil {
			return err
		}
		if err := s.createInvitation(tx, u.ID, inv, actor); err != nil {
			return err
		}
		return audit(tx, s.actor(actor), "member.invited", "user", u.ID, AuditDetails{
			Summary: fmt.Sprintf("Invited %s as %s", u.Email, role),
			Extra:   map[string]string{"email": u.Email, "role": string(role), "expires_at": inv.ExpiresAt.UTC().Format(time.RFC3339)},
		})
	})
	if err != nil {
		return nil, err
	}
	return s.Member(ctx, u.ID)
}

// ResendInvitation replaces an invited member's links with a new one:
// older links stop working. ErrNotInvited if the member accepted already
// or is deactivated.
func (s *Scoped) ResendInvitation(ctx context.Context, id string, inv EmailLink, actor Actor) (*Member, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, err := s.member(tx, id)
		if err != nil {
			return err
		}
		if m.Status() != MemberInvited {
			return ErrNotInvited
		}
		if err := tx.Where("user_id = ? AND purpose = ? AND used_at IS NULL", m.ID, TokenInvitation).Delete(&UserToken{}).Error; err != nil {
			return err
		}
		if err := s.createInvitation(tx, m.ID, inv, actor); err != nil {
			return err
		}
		return audit(tx, s.actor(actor), "member.invitation_resent", "user", m.ID, AuditDetails{
			Summary: "Sent a new invitation link to " + m.Email,
			Extra:   map[string]string{"email": m.Email, "expires_at": inv.ExpiresAt.UTC().Format(time.RFC3339)},
		})
	})
	if err != nil {
		return nil, err
	}
	return s.Member(ctx, id)
}

func (s *Scoped) createInvitation(tx *gorm.DB, userID string, inv EmailLink, actor Actor) error {
	orgID := s.orgID
	return tx.Create(&UserToken{UserID: userID, OrganizationID: &orgID, Purpose: TokenInvitation, TokenHash: inv.TokenHash,
		CreatedBy: actor.UserID, ExpiresAt: inv.ExpiresAt.UTC()}).Error
}

// keepAnAdmin refuses to take m out of the active administrators if no
// other remains. An active administrator has accepted their invitation
// and is not deactivated: someone who can actually sign in and manage the
// organization. Call it with the members lock held.
func (s *Scoped) keepAnAdmin(tx *gorm.DB, m *Member) error {
	if m.Role != RoleAdmin || m.Status() != MemberActive {
		return nil
	}
	var others int64
	err := s.tenant(tx, &User{}).
		Where("role = ? AND deactivated_at IS NULL AND password_hash IS NOT NULL AND awaiting_approval_since IS NULL AND id <> ?", RoleAdmin, m.ID).
		Count(&others).Error
	if err != nil {
		return err
	}
	if others == 0 {
		return ErrLastAdmin
	}
	return nil
}

// lockMembers serializes changes to the organization's members for the
// rest of the transaction: on PostgreSQL by locking the organization's
// row; SQLite's immediate transactions already run one at a time.
func (s *Scoped) lockMembers(tx *gorm.DB) error {
	if s.dial != Postgres {
		return nil
	}
	// Raw SQL keyed on the organization's own id: there is no tenant
	// column to add.
	return tx.Exec("SELECT id FROM organizations WHERE id = ? FOR UPDATE", s.orgID).Error
}

// actor is a with this organization as the audit entry's organization.
func (s *Scoped) actor(a Actor) Actor {
	orgID := s.orgID
	a.OrganizationID = &orgID
	return a
}

// displayName is the SQL expression for users.profile's display name.
func (s *Scoped) displayName() string {
	if s.dial == Postgres {
		return "profile->>'display_name'"
	}
	return "json_extract(profile, '$.display_name')"
}

// memberNotice tells a member, in-app, about a change to their membership,
// in the transaction that made it.
func memberNotice(tx *gorm.DB, userID, title, message string) error {
	_, err := notify(tx, []string{userID}, Notification{Type: NotifySystemAlert, Title: title, Message: message,
		Metadata: datatypes.NewJSONType(NotificationMetadata{Link: "/account"})})
	return err
}

// MemberCounts are an organization's members by status.
type MemberCounts struct {
	Active      int64 // a password set, not deactivated
	Invited     int64 // invited and not joined yet (no password), not deactivated
	Deactivated int64
}

// MemberCounts counts the organization's members by status.
func (s *Scoped) MemberCounts(ctx context.Context) (MemberCounts, error) {
	var mc MemberCounts
	err := s.q(ctx, &User{}).Select(
		"COALESCE(SUM(CASE WHEN deactivated_at IS NULL AND password_hash IS NOT NULL THEN 1 ELSE 0 END), 0) AS active, " +
			"COALESCE(SUM(CASE WHEN deactivated_at IS NULL AND password_hash IS NULL THEN 1 ELSE 0 END), 0) AS invited, " +
			"COALESCE(SUM(CASE WHEN deactivated_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS deactivated").
		Scan(&mc).Error
	return mc, err
}
