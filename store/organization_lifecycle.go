package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// OrganizationAction is a step of an organization's lifecycle that a
// platform operator takes.
type OrganizationAction string

const (
	ApproveOrganization    OrganizationAction = "approve"    // pending → active
	SuspendOrganization    OrganizationAction = "suspend"    // active → suspended (reason required)
	ReactivateOrganization OrganizationAction = "reactivate" // suspended → active
	RevokeOrganization     OrganizationAction = "revoke"     // pending, active or suspended → revoked, for good (reason required)
)

// OrganizationActions lists every action, in the order the console shows them.
var OrganizationActions = []OrganizationAction{ApproveOrganization, SuspendOrganization, ReactivateOrganization, RevokeOrganization}

// lifecycle is the table of allowed transitions: an action may be taken
// from the statuses listed and leads to one. Anything else is refused.
var lifecycle = map[OrganizationAction]struct {
	from   []OrganizationStatus
	to     OrganizationStatus
	reason bool   // a reason is required
	audit  string // the audit action
}{
	ApproveOrganization:    {[]OrganizationStatus{OrganizationPending}, OrganizationActive, false, "organization.approved"},
	SuspendOrganization:    {[]OrganizationStatus{OrganizationActive}, OrganizationSuspended, true, "organization.suspended"},
	ReactivateOrganization: {[]OrganizationStatus{OrganizationSuspended}, OrganizationActive, false, "organization.reactivated"},
	RevokeOrganization: {[]OrganizationStatus{OrganizationPending, OrganizationActive, OrganizationSuspended},
		OrganizationRevoked, true, "organization.revoked"},
}

// Valid reports whether a is one of OrganizationActions.
func (a OrganizationAction) Valid() bool { _, ok := lifecycle[a]; return ok }

// AllowedFrom reports whether a may be taken on an organization in status s.
func (a OrganizationAction) AllowedFrom(s OrganizationStatus) bool {
	return slices.Contains(lifecycle[a].from, s)
}

// Target is the status a leads to.
func (a OrganizationAction) Target() OrganizationStatus { return lifecycle[a].to }

// NeedsReason reports whether a requires a reason.
func (a OrganizationAction) NeedsReason() bool { return lifecycle[a].reason }

// MaxStatusReason is the longest reason, in characters.
const MaxStatusReason = 1000

// Lifecycle refusals.
var (
	// ErrTransitionRefused: the organization's status does not allow the
	// action (a *TransitionError says which).
	ErrTransitionRefused = errors.New("the organization's status does not allow this")
	// ErrReasonRequired: suspending and revoking need a reason.
	ErrReasonRequired = errors.New("a reason is required")
	// ErrReasonTooLong: the reason is longer than MaxStatusReason characters.
	ErrReasonTooLong = errors.New("the reason is too long")
)

// TransitionError is a refused lifecycle action: errors.Is(err,
// ErrTransitionRefused).
type TransitionError struct {
	Action OrganizationAction
	From   OrganizationStatus
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("store: cannot %s an organization that is %s", e.Action, e.From)
}

func (e *TransitionError) Is(target error) bool { return target == ErrTransitionRefused }

// ChangeOrganizationStatus takes a lifecycle action on organization id
// (platform operators): it checks the action against the organization's
// current status in the transitions table, changes the status, writes the
// audit entry (with the reason) and notifies the organization's admins in
// the app, all in one transaction holding the organization's row. A
// refused action writes nothing. The organization's credentials, members
// and keys are never deleted, not even on revocation.
func (db *DB) ChangeOrganizationStatus(ctx context.Context, id string, action OrganizationAction, reason string, actor Actor) (*OrganizationEntry, error) {
	return db.ChangeOrganizationStatusThen(ctx, id, action, reason, actor, nil)
}

// ChangeOrganizationStatusThen is ChangeOrganizationStatus that also runs
// then (nil: nothing) in its transaction once the status has changed,
// with the organization's handle on that transaction and the organization
// as changed: what must commit with the change (its event) goes there; its
// error rolls the change back.
func (db *DB) ChangeOrganizationStatusThen(ctx context.Context, id string, action OrganizationAction, reason string, actor Actor, then func(tx *Scoped, o *Organization) error) (*OrganizationEntry, error) {
	step, ok := lifecycle[action]
	if !ok {
		return nil, fmt.Errorf("store: unknown organization action %q", action)
	}
	reason = strings.TrimSpace(reason)
	switch {
	case step.reason && reason == "":
		return nil, ErrReasonRequired
	case !utf8.ValidString(reason) || strings.ContainsRune(reason, 0) || utf8.RuneCountInString(reason) > MaxStatusReason:
		return nil, ErrReasonTooLong
	}
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var entry *OrganizationEntry
	err := db.inTx(ctx, func(tx *gorm.DB) error {
		var o Organization
		if err := lockRow(tx, db.dialect).First(&o, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if !action.AllowedFrom(o.Status) {
			return &TransitionError{Action: action, From: o.Status}
		}
		from := o.Status
		if err := setOrganizationStatus(tx, &o, step.to, reason, time.Now()); err != nil {
			return err
		}
		actor.OrganizationID = &o.ID
		if err := audit(tx, actor, step.audit, "organization", o.ID, AuditDetails{
			Summary: fmt.Sprintf("%s %s (%s)", lifecycleVerb[action], o.Name, o.Slug),
			Changes: []FieldChange{{Field: "status", From: string(from), To: string(o.Status)}},
			Reason:  reason,
		}); err != nil {
			return err
		}
		if _, err := notifyAdmins(tx, o.ID, lifecycleNotification(action, &o, reason)); err != nil {
			return err
		}
		if then != nil {
			if err := then(&Scoped{db: tx, orgID: o.ID, dial: db.dialect}, &o); err != nil {
				return err
			}
		}
		var err error
		entry, err = organizationEntry(tx, o.ID)
		return err
	})
	return entry, err
}

// setOrganizationStatus is the one place where an organization's status
// changes, given the row read under lock: every lifecycle change goes
// through it, so that what is recorded with a status (its reason, when it
// changed) is written in one place. The update is also conditional on the
// status read, so it can never apply over a change it did not see.
func setOrganizationStatus(tx *gorm.DB, o *Organization, to OrganizationStatus, reason string, now time.Time) error {
	now = now.UTC()
	// The reason is shown to members who try to sign in (a suspension's
	// or revocation's); an approval or reactivation clears it.
	var why *string
	if reason != "" && (to == OrganizationSuspended || to == OrganizationRevoked) {
		why = &reason
	}
	res := tx.Model(&Organization{}).Where("id = ? AND status = ?", o.ID, o.Status).
		Updates(map[string]any{"status": to, "status_reason": why, "status_changed_at": now, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrTransitionRefused
	}
	o.Status, o.StatusReason, o.StatusChangedAt, o.UpdatedAt = to, why, &now, now
	return nil
}

var lifecycleVerb = map[OrganizationAction]string{
	ApproveOrganization: "Approved", SuspendOrganization: "Suspended",
	ReactivateOrganization: "Reactivated", RevokeOrganization: "Revoked",
}

// lifecycleNotification is what the organization's admins read in the app.
func lifecycleNotification(action OrganizationAction, o *Organization, reason string) Notification {
	var title, msg string
	switch action {
	case ApproveOrganization:
		title = "Your organization is approved"
		msg = o.Name + " is now active on TrustCred: its members can sign in and issue credentials."
	case SuspendOrganization:
		title = "Your organization is suspended"
		msg = o.Name + " was suspended by the platform operator. Reason: " + reason +
			" Its members cannot sign in until it is reactivated; its credentials are kept."
	case ReactivateOrganization:
		title = "Your organization is active again"
		msg = o.Name + " was reactivated by the platform operator: its members can sign in again."
	case RevokeOrganization:
		title = "Your organization was revoked"
		msg = o.Name + " was revoked by the platform operator. Reason: " + reason +
			" It can no longer be used; the credentials it issued are kept."
	}
	return Notification{Type: NotifySystemAlert, Title: title, Message: msg,
		Metadata: datatypes.NewJSONType(NotificationMetadata{OrganizationID: o.ID, Link: "/"})}
}

// SetOrganizationVerified sets or clears an organization's verified mark
// by hand (platform operators), with the audit entry
// organization.verified_set or organization.verified_cleared. Setting it
// to what it is changes and records nothing.
func (db *DB) SetOrganizationVerified(ctx context.Context, id string, verified bool, actor Actor) (*OrganizationEntry, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var entry *OrganizationEntry
	err := db.inTx(ctx, func(tx *gorm.DB) error {
		var o Organization
		if err := lockRow(tx, db.dialect).First(&o, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if o.Verified != verified {
			if err := tx.Model(&Organization{}).Where("id = ?", o.ID).
				Updates(map[string]any{"verified": verified, "updated_at": time.Now().UTC()}).Error; err != nil {
				return err
			}
			action, summary := "organization.verified_set", "Marked %s (%s) as verified"
			if !verified {
				action, summary = "organization.verified_cleared", "Cleared the verified mark of %s (%s)"
			}
			actor.OrganizationID = &o.ID
			if err := audit(tx, actor, action, "organization", o.ID, AuditDetails{
				Summary: fmt.Sprintf(summary, o.Name, o.Slug),
				Changes: []FieldChange{{Field: "verified", From: fmt.Sprint(o.Verified), To: fmt.Sprint(verified)}},
			}); err != nil {
				return err
			}
		}
		var err error
		entry, err = organizationEntry(tx, o.ID)
		return err
	})
	return entry, err
}
