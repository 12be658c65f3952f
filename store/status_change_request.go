package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// StatusChangeRequest is a revocation or suspension waiting for a second
// person (four eyes, 00029): the organization's approval policy asks for
// it, so the change is made only when another admin or reviewer approves.
type StatusChangeRequest struct {
	ID             string
	OrganizationID string
	CredentialID   string
	Action         StatusAction          `validate:"required,oneof=revoke suspend"`
	Reason         string                `validate:"max=1000"`
	Via            StatusChannel         `gorm:"default:web" validate:"required,oneof=web api system"`
	RequesterID    *string               // nil: an API key asked, or the person is gone
	Status         ApprovalRequestStatus `gorm:"default:pending" validate:"required,oneof=pending approved rejected cancelled"` // cancelled: withdrawn by the requester
	DeciderID      *string
	DecisionNote   *string `validate:"omitnil,max=2000"`
	DecidedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time

	Credential *Credential `gorm:"foreignKey:CredentialID" validate:"-"`
	Requester  *User       `gorm:"foreignKey:RequesterID" validate:"-"`
}

func (StatusChangeRequest) TableName() string { return "status_change_requests" }

func (r *StatusChangeRequest) BeforeCreate(*gorm.DB) error { return newID(&r.ID) }

// ErrStatusChangeWaiting: a revocation or suspension of the credential
// already waits for approval.
var ErrStatusChangeWaiting = errors.New("a status change of this credential already waits for approval")

// ErrNotYourRequest: only the person who asked for a status change may
// withdraw it.
var ErrNotYourRequest = errors.New("only the person who asked for this change can withdraw it")

// RequestStatusChange records a revocation or suspension of one of the
// organization's credentials that waits for a second person
// ("status_change.requested"): the change must be one the credential's
// status allows now (*StatusChangeError otherwise; a revocation needs a
// reason), and only one may wait per credential (ErrStatusChangeWaiting).
// Nothing about the credential changes until DecideStatusChange.
func (s *Scoped) RequestStatusChange(ctx context.Context, credentialID string, action StatusAction, reason string, via StatusChannel, actor Actor) (*StatusChangeRequest, error) {
	if !validUUID(credentialID) {
		return nil, ErrNotFound
	}
	reason = strings.TrimSpace(reason)
	if action != ActionRevoke && action != ActionSuspend {
		return nil, fmt.Errorf("%w: only revocations and suspensions wait for approval", ErrStatusChange)
	}
	if action == ActionRevoke && reason == "" {
		return nil, fmt.Errorf("%w: a reason is required to revoke", ErrStatusChange)
	}
	r := &StatusChangeRequest{OrganizationID: s.orgID, CredentialID: credentialID, Action: action, Reason: reason, Via: via,
		RequesterID: actor.UserID, Status: RequestPending}
	if err := Validate(r); err != nil {
		return nil, err
	}
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		var c Credential
		if err := s.tenant(lockRow(tx, s.dial), &c).First(&c, "id = ?", credentialID).Error; err != nil {
			return notFound(err)
		}
		switch {
		case action == ActionRevoke && (c.Status == CredentialActive || c.Status == CredentialSuspended || c.Status == CredentialExpired):
		case action == ActionSuspend && c.Status == CredentialActive:
		default:
			return &StatusChangeError{Action: action, Status: c.Status}
		}
		var n int64
		if err := s.tenant(tx, &StatusChangeRequest{}).Where("credential_id = ? AND status = ?", c.ID, RequestPending).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrStatusChangeWaiting
		}
		if err := tx.Create(r).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrStatusChangeWaiting
			}
			return err
		}
		r.Credential = &c
		return audit(tx, s.actor(actor), "status_change.requested", "credential", c.ID, AuditDetails{
			Summary: fmt.Sprintf("Asked for approval to %s credential %s", action, c.PublicID), Reason: reason})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// StatusChangeRequests are the organization's revocations and suspensions
// waiting for approval, oldest first (at most MaxInboxPage), with their
// credentials and requesters.
func (s *Scoped) StatusChangeRequests(ctx context.Context) ([]StatusChangeRequest, error) {
	var out []StatusChangeRequest
	err := s.q(ctx, &StatusChangeRequest{}).Preload("Credential").Preload("Requester").
		Where("status = ?", RequestPending).Order("created_at, id").Limit(MaxInboxPage).Find(&out).Error
	return out, err
}

// StatusChangeRequest is one of the organization's status change
// requests, whatever its status.
func (s *Scoped) StatusChangeRequest(ctx context.Context, id string) (*StatusChangeRequest, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var r StatusChangeRequest
	err := s.q(ctx, &r).Preload("Credential").Preload("Requester").First(&r, "id = ?", id).Error
	return &r, notFound(err)
}

// DecideStatusChange records a decision on one of the organization's
// status change requests, with its row locked: another organization's is
// ErrNotFound, one no longer pending ErrApprovalNotPending, the
// requester's own ErrOwnRequest; the decider must be an active admin or
// reviewer now (ErrNotEligible); a rejection needs a note
// (ErrNoteRequired). The status moves only WHERE status = 'pending', so
// of racing deciders exactly one succeeds. An approval changes nothing
// else: the caller makes the change in the same transaction
// (issuance.Issuer.DecideStatusChange).
func (s *Scoped) DecideStatusChange(ctx context.Context, id, deciderID string, approve bool, note string, actor Actor) (*StatusChangeRequest, error) {
	note = strings.TrimSpace(note)
	if !approve && note == "" {
		return nil, ErrNoteRequired
	}
	if len([]rune(note)) > MaxApprovalNote {
		return nil, fmt.Errorf("store: decision note longer than %d characters", MaxApprovalNote)
	}
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var r StatusChangeRequest
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		if err := s.tenant(lockRow(tx, s.dial), &r).First(&r, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if r.Status != RequestPending {
			return ErrApprovalNotPending
		}
		if r.RequesterID != nil && *r.RequesterID == deciderID {
			return ErrOwnRequest
		}
		var u User
		if !validUUID(deciderID) {
			return ErrNotEligible
		}
		if err := s.tenant(tx, &u).Where("deactivated_at IS NULL AND password_hash IS NOT NULL AND awaiting_approval_since IS NULL AND role IN ?", []Role{RoleAdmin, RoleReviewer}).
			First(&u, "id = ?", deciderID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotEligible
			}
			return err
		}
		now := time.Now().UTC()
		status := RequestApproved
		if !approve {
			status = RequestRejected
		}
		var why *string
		if note != "" {
			why = &note
		}
		res := s.tenant(tx, &StatusChangeRequest{}).Where("id = ? AND status = ?", r.ID, RequestPending).Updates(map[string]any{
			"status": status, "decider_id": u.ID, "decision_note": why, "decided_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrApprovalNotPending
		}
		r.Status, r.DeciderID, r.DecisionNote, r.DecidedAt = status, &u.ID, why, &now
		if err := s.notifyStatusChangeDecided(tx, &r, &u, approve, note); err != nil {
			return err
		}
		return audit(tx, s.actor(actor), "status_change."+string(status), "credential", r.CredentialID, AuditDetails{
			Summary: fmt.Sprintf("%s the request to %s a credential", map[bool]string{true: "Approved", false: "Rejected"}[approve], r.Action),
			Reason:  note})
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// notifyStatusChangeDecided tells the requester (none for an API key or
// the demo's system requests) of the decision, with the note of a
// rejection.
func (s *Scoped) notifyStatusChangeDecided(tx *gorm.DB, r *StatusChangeRequest, decider *User, approve bool, note string) error {
	if r.RequesterID == nil {
		return nil
	}
	change := map[StatusAction]string{ActionRevoke: "revocation", ActionSuspend: "suspension"}[r.Action]
	n := Notification{Type: NotifyApprovalDecided, Title: "Your " + change + " was approved",
		Message: fmt.Sprintf("%s approved it: the credential is %s now.", decider.Email, map[StatusAction]string{ActionRevoke: "revoked",
			ActionSuspend: "suspended"}[r.Action]),
		Metadata: datatypes.NewJSONType(NotificationMetadata{OrganizationID: s.orgID, CredentialID: r.CredentialID,
			Link: "/credentials/" + r.CredentialID})}
	if !approve {
		n.Title = "Your " + change + " was rejected"
		n.Message = fmt.Sprintf("%s rejected it: the credential stays as it is. Their note: %s", decider.Email, note)
	}
	_, err := notify(tx, []string{*r.RequesterID}, n)
	return err
}

// WaitingStatusChange is the revocation or suspension of one of the
// organization's credentials that waits for a second person, with its
// requester (nil when none waits).
func (s *Scoped) WaitingStatusChange(ctx context.Context, credentialID string) (*StatusChangeRequest, error) {
	if !validUUID(credentialID) {
		return nil, ErrNotFound
	}
	var r StatusChangeRequest
	err := s.q(ctx, &r).Preload("Requester").Where("credential_id = ? AND status = ?", credentialID, RequestPending).Limit(1).Find(&r).Error
	if err != nil || r.ID == "" {
		return nil, err
	}
	return &r, nil
}

// WithdrawStatusChange withdraws the revocation or suspension of one of
// the organization's credentials that waits for a second person: only
// its requester may (ErrNotYourRequest), only while it waits
// (ErrApprovalNotPending: decided or withdrawn meanwhile); it becomes
// cancelled, the credential stays as it is, audited
// ("status_change.withdrawn"). Another organization's credential is
// ErrNotFound.
func (s *Scoped) WithdrawStatusChange(ctx context.Context, credentialID, userID string, actor Actor) (*StatusChangeRequest, error) {
	if !validUUID(credentialID) {
		return nil, ErrNotFound
	}
	var r StatusChangeRequest
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		var c Credential
		if err := s.tenant(tx, &c).Select("id, public_id").First(&c, "id = ?", credentialID).Error; err != nil {
			return notFound(err)
		}
		if err := s.tenant(lockRow(tx, s.dial), &r).Where("credential_id = ? AND status = ?", c.ID, RequestPending).
			Limit(1).Find(&r).Error; err != nil {
			return err
		}
		if r.ID == "" {
			return ErrApprovalNotPending
		}
		if r.RequesterID == nil || *r.RequesterID != userID {
			return ErrNotYourRequest
		}
		now := time.Now().UTC()
		res := s.tenant(tx, &StatusChangeRequest{}).Where("id = ? AND status = ?", r.ID, RequestPending).
			Updates(map[string]any{"status": RequestCancelled, "decided_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrApprovalNotPending
		}
		r.Status, r.DecidedAt = RequestCancelled, &now
		return audit(tx, s.actor(actor), "status_change.withdrawn", "credential", c.ID, AuditDetails{
			Summary: fmt.Sprintf("Withdrew the request to %s credential %s", r.Action, c.PublicID)})
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}
