package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// user_registration workflows at run time (issue 17, 00044). A person who
// accepts an invitation while the organization has an active
// user_registration workflow becomes a member awaiting approval
// (users.awaiting_approval_since set) with a resource request of kind
// "user" opened in the same transaction: the engine of approval_kinds.go
// walks it. The requester is the inviter, so the rule "the requester never
// approves" means an inviter never approves their own invitee. The final
// approval clears awaiting_approval_since (the member's pages open); a
// rejection, or the request's expiry, deactivates the account (sessions
// revoked, as DeactivateMember does). The member is told either way.
// While awaiting, the member is no approver, no administrator the
// organization keeps, and no organization page opens for them (auth's
// guard).

// MemberAwaitingApproval: the member joined and waits for the
// organization's user_registration workflow.
const MemberAwaitingApproval MemberStatus = "awaiting_approval"

// userOps is what a member's request does to the member.
func (s *Scoped) userOps() kindOps {
	return kindOps{
		auditType: "user",
		made:      "invited",
		approved:  "their membership is open",
		describe: func(tx *gorm.DB, id string) (string, error) {
			var u User
			if err := s.tenant(tx, &u).First(&u, "id = ?", id).Error; err != nil {
				return "", notFound(err)
			}
			return memberLabel(&u), nil
		},
		approve: func(tx *gorm.DB, id string, now time.Time) error {
			if err := s.settleMember(tx, id, map[string]any{"awaiting_approval_since": nil, "updated_at": now}); err != nil {
				return err
			}
			return s.tellMember(tx, id, "Your membership is approved",
				"Your membership of the organization was approved: its pages are open to you now.")
		},
		reject: func(tx *gorm.DB, id string, now time.Time) error {
			if err := s.settleMember(tx, id, map[string]any{"awaiting_approval_since": nil, "deactivated_at": now, "updated_at": now}); err != nil {
				return err
			}
			if err := tx.Model(&UserSession{}).Where("user_id = ? AND revoked_at IS NULL", id).Update("revoked_at", now).Error; err != nil {
				return err
			}
			if err := tx.Where("user_id = ? AND used_at IS NULL", id).Delete(&UserToken{}).Error; err != nil {
				return err
			}
			return s.tellMember(tx, id, "Your membership was not approved",
				"The organization's reviewers did not approve your membership: your account is closed.")
		},
	}
}

// settleMember updates a member who still awaits approval (ErrApprovalNotPending
// when they do not).
func (s *Scoped) settleMember(tx *gorm.DB, id string, set map[string]any) error {
	res := s.tenant(tx, &User{}).Where("id = ? AND awaiting_approval_since IS NOT NULL AND deactivated_at IS NULL", id).Updates(set)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrApprovalNotPending
	}
	return nil
}

// tellMember notifies the member (in-app, and by email as their
// preferences say) of their request's outcome.
func (s *Scoped) tellMember(tx *gorm.DB, id, title, msg string) error {
	_, err := notify(tx, []string{id}, Notification{Type: NotifyApprovalDecided, Title: title, Message: msg,
		Metadata: datatypes.NewJSONType(NotificationMetadata{OrganizationID: s.orgID, Link: "/"})})
	return err
}

// parkMember makes u, who joins the organization in tx, a member awaiting
// approval when the organization has an active user_registration workflow
// with steps, and opens their request (requester: the inviter); nil when
// there is no such workflow.
func (s *Scoped) parkMember(tx *gorm.DB, u *User, inviter *string, now time.Time, act Actor) (*ResourceApprovalRequest, error) {
	wf, err := s.kindWorkflow(tx, WorkflowUserRegistration)
	if err != nil || wf == nil {
		return nil, err
	}
	if err := s.tenant(tx, &User{}).Where("id = ?", u.ID).Update("awaiting_approval_since", now).Error; err != nil {
		return nil, err
	}
	u.AwaitingApprovalSince = &now
	return s.startResourceApproval(tx, wf, KindUser, u.ID, inviter, act)
}

// MemberApproval is the person a member's request is about, as the
// inbox's detail page and the approval events show them.
type MemberApproval struct {
	Member    *Member
	InvitedBy *User     // nil when the inviter is gone
	AskedAt   time.Time // when they joined (the request was opened)
}

// MemberApproval is the person one of the organization's user requests
// is about (ErrNotFound for another kind or organization).
func (s *Scoped) MemberApproval(ctx context.Context, req *ResourceApprovalRequest) (*MemberApproval, error) {
	if req.ResourceType != KindUser {
		return nil, ErrNotFound
	}
	m, err := s.Member(ctx, req.ResourceID)
	if err != nil {
		return nil, err
	}
	return &MemberApproval{Member: m, InvitedBy: req.Requester, AskedAt: req.CreatedAt}, nil
}

// memberLabel is how approvals name a member waiting to join: member
// Ada Lovelace <ada@example.org> as reviewer.
func memberLabel(u *User) string {
	if n := u.Profile.Data().DisplayName; n != "" {
		return fmt.Sprintf("member %s <%s> as %s", n, u.Email, u.Role)
	}
	return fmt.Sprintf("member %s as %s", u.Email, u.Role)
}
