package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// The workflow's clock (00028), run by the periodic approval_timers job
// (internal/approval): each step of a workflow instance has a deadline
// (its deadline_hours, or the escalation timeout when escalation is on
// and the step has none). At half of it the step's approvers who have not
// decided are reminded; at the deadline, with escalation on, the step
// escalates (the next step's approvers, or the admins after the last
// step, may decide too and are told); at the deadline plus the
// escalation timeout the request expires: cancelled, its credential
// rejected, the requester told. Each action claims its time with a
// conditional update (remind_at set to NULL, escalated_at set, the
// instance cancelled) in the transaction that notifies, so running the
// job twice, or two workers at once, acts once.

// TimerKind is what a due time of an instance asks for.
type TimerKind string

const (
	TimerRemind   TimerKind = "remind"
	TimerEscalate TimerKind = "escalate"
	TimerExpire   TimerKind = "expire"
)

// DueTimer is one instance whose time of kind has come.
type DueTimer struct {
	OrganizationID string
	InstanceID     string
	Kind           TimerKind
	// ResourceType is the instance's: "credential" (RemindApprovers…),
	// or a resource request's kind (RemindResourceApprovers…, 00038).
	ResourceType string
}

// DueApprovalTimers lists, across every organization (the job's
// platform-wide read), up to limit in-progress credential workflow
// instances per kind whose reminder, escalation or expiry is due at now.
func (db *DB) DueApprovalTimers(ctx context.Context, now time.Time, limit int) ([]DueTimer, error) {
	var out []DueTimer
	for _, k := range []struct {
		kind TimerKind
		cond string
	}{
		{TimerExpire, "workflow_instances.expire_at <= ?"},
		{TimerEscalate, "workflow_instances.escalate_at <= ? AND workflow_instances.escalated_at IS NULL"},
		{TimerRemind, "workflow_instances.remind_at <= ?"},
	} {
		var rows []DueTimer
		err := db.gorm.WithContext(ctx).Table("workflow_instances").
			Select("approval_workflows.organization_id, workflow_instances.id AS instance_id, workflow_instances.resource_type").
			Joins("JOIN approval_workflows ON approval_workflows.id = workflow_instances.workflow_id").
			Where("workflow_instances.status = ? AND workflow_instances.resource_type IN ?", WorkflowInProgress, []string{"credential", string(KindSchema)}).
			Where(k.cond, now.UTC()).Order("workflow_instances.id").Limit(limit).Scan(&rows).Error
		if err != nil {
			return nil, err
		}
		for i := range rows {
			rows[i].Kind = k.kind
		}
		out = append(out, rows...)
	}
	return out, nil
}

// timerTarget is one of the organization's in-progress instances and its
// pending request, the request's row locked (as DecideApproval locks it).
func (s *Scoped) timerTarget(tx *gorm.DB, instanceID string) (*WorkflowInstance, *ApprovalRequest, error) {
	if !validUUID(instanceID) {
		return nil, nil, ErrNotFound
	}
	var inst WorkflowInstance
	err := tx.Model(&WorkflowInstance{}).Joins("JOIN approval_workflows ON approval_workflows.id = workflow_instances.workflow_id").
		Where(s.owns(&ApprovalWorkflow{})).Where("workflow_instances.id = ? AND workflow_instances.resource_type = ?", instanceID, "credential").
		Limit(1).Find(&inst).Error
	if err != nil {
		return nil, nil, err
	}
	if inst.ID == "" {
		return nil, nil, ErrNotFound
	}
	var req ApprovalRequest
	if err := s.tenant(lockRow(tx, s.dial), &req).First(&req, "credential_id = ?", inst.ResourceID).Error; err != nil {
		return nil, nil, notFound(err)
	}
	return &inst, &req, nil
}

// claim runs the conditional update that takes an instance's due time:
// false when another run took it (or it is not due).
func claim(tx *gorm.DB, id, cond string, now time.Time, set map[string]any) (bool, error) {
	res := tx.Model(&WorkflowInstance{}).Where("id = ? AND status = ? AND "+cond, id, WorkflowInProgress, now.UTC()).Updates(set)
	return res.RowsAffected == 1, res.Error
}

// undecided are the ids among ids who have not decided in the request's
// round (nor had a delegate decide for them).
func (s *Scoped) undecided(tx *gorm.DB, req *ApprovalRequest, ids []string) ([]string, error) {
	var done []string
	if err := s.tenant(tx, &CredentialApproval{}).Where("request_id = ? AND round = ?", req.ID, req.Round).
		Pluck("approver_id", &done).Error; err != nil {
		return nil, err
	}
	var acting []string
	if err := s.tenant(tx, &CredentialApproval{}).Where("request_id = ? AND round = ? AND acting_for_id IS NOT NULL", req.ID, req.Round).
		Pluck("acting_for_id", &acting).Error; err != nil {
		return nil, err
	}
	done = append(done, acting...)
	var out []string
	for _, id := range ids {
		if !slices.Contains(done, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// RemindApprovers reminds the current step's approvers of one of the
// organization's instances who have not decided, once per step and round
// (the reminder's time is cleared as it is sent). It returns how many
// were reminded; 0 when it was not due or already sent.
func (s *Scoped) RemindApprovers(ctx context.Context, instanceID string, now time.Time) (int, error) {
	sent := 0
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		inst, req, err := s.timerTarget(tx, instanceID)
		if err != nil || req.Status != RequestPending {
			return err
		}
		if ok, err := claim(tx, inst.ID, "remind_at <= ?", now, map[string]any{"remind_at": nil}); err != nil || !ok {
			return err
		}
		plan, err := s.planOf(tx, req)
		if err != nil {
			return err
		}
		ids, err := s.eligibleMembers(tx, plan.rulesAt(req.CurrentStep), req.RequesterID)
		if err != nil {
			return err
		}
		if ids, err = s.undecided(tx, req, ids); err != nil {
			return err
		}
		if sent, err = notify(tx, ids, Notification{Type: NotifyApprovalRequested, Title: "Reminder: approval waiting",
			Message: fmt.Sprintf("A credential still waits for your approval at step “%s”.", plan.stepName(req.CurrentStep)),
			Metadata: datatypes.NewJSONType(NotificationMetadata{OrganizationID: s.orgID, CredentialID: req.CredentialID, ApprovalID: req.ID,
				Link: "/approvals/" + req.ID})}); err != nil {
			return err
		}
		return audit(tx, s.actor(Actor{}), "approval.reminded", "credential", req.CredentialID, AuditDetails{
			Summary: fmt.Sprintf("Reminded %d approvers of step %d “%s”", sent, req.CurrentStep, plan.stepName(req.CurrentStep)),
			Extra:   map[string]string{"request": req.ID, "step": fmt.Sprint(req.CurrentStep)}})
	})
	return sent, err
}

// EscalateApproval escalates the current step of one of the
// organization's instances when its deadline passed: from then on the
// next step's approvers (the admins after the last step) may decide too,
// and they are told. It returns how many were told; 0 when it was not due
// or escalated already.
func (s *Scoped) EscalateApproval(ctx context.Context, instanceID string, now time.Time) (int, error) {
	sent := 0
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		inst, req, err := s.timerTarget(tx, instanceID)
		if err != nil || req.Status != RequestPending {
			return err
		}
		if ok, err := claim(tx, inst.ID, "escalate_at <= ? AND escalated_at IS NULL", now,
			map[string]any{"escalated_at": now.UTC(), "escalate_at": nil}); err != nil || !ok {
			return err
		}
		plan, err := s.planOf(tx, req)
		if err != nil {
			return err
		}
		to := plan.escalationRule(req.CurrentStep)
		ids, err := s.eligibleMembers(tx, []Rule{to}, req.RequesterID)
		if err != nil {
			return err
		}
		if ids, err = s.undecided(tx, req, ids); err != nil {
			return err
		}
		if sent, err = notify(tx, ids, Notification{Type: NotifyApprovalRequested, Title: "Approval escalated to you",
			Message: fmt.Sprintf("Step “%s” passed its deadline: you may now approve the credential.", plan.stepName(req.CurrentStep)),
			Metadata: datatypes.NewJSONType(NotificationMetadata{OrganizationID: s.orgID, CredentialID: req.CredentialID, ApprovalID: req.ID,
				Link: "/approvals/" + req.ID})}); err != nil {
			return err
		}
		return audit(tx, s.actor(Actor{}), "approval.escalated", "credential", req.CredentialID, AuditDetails{
			Summary: fmt.Sprintf("Step %d “%s” passed its deadline: escalated to %d people", req.CurrentStep, plan.stepName(req.CurrentStep), sent),
			Extra:   map[string]string{"request": req.ID, "step": fmt.Sprint(req.CurrentStep)}})
	})
	return sent, err
}

// ExpireApproval ends one of the organization's requests left undecided
// after its final deadline: the request cancelled, the instance
// cancelled, the credential rejected (it will never be signed), the
// requester told, audited. It returns the expired request (nil: not due,
// decided meanwhile, or expired by an earlier run); joined to the handle's
// transaction when it is InTx's, so that approval.expired commits with it.
func (s *Scoped) ExpireApproval(ctx context.Context, instanceID string, now time.Time) (*ApprovalRequest, error) {
	var done *ApprovalRequest
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		inst, req, err := s.timerTarget(tx, instanceID)
		if err != nil || req.Status != RequestPending {
			return err
		}
		if ok, err := claim(tx, inst.ID, "expire_at <= ?", now, map[string]any{"status": WorkflowCancelled, "completed_at": now.UTC(),
			"remind_at": nil, "escalate_at": nil, "expire_at": nil}); err != nil || !ok {
			return err
		}
		if err := s.endRequest(tx, req, RequestCancelled, now.UTC()); err != nil {
			return err
		}
		why := "Expired: nobody decided before the approval deadline"
		// A bulk batch's request rejects every pending row of the batch.
		if err := s.rejectCredential(tx, req, why, Actor{}); err != nil {
			return err
		}
		what, extra := "the credential you requested", map[string]string{"request": req.ID, "step": fmt.Sprint(req.CurrentStep)}
		if req.BatchID != nil {
			what, extra["batch"] = "the bulk batch you queued", *req.BatchID
		}
		if req.RequesterID != nil {
			if _, err := notify(tx, []string{*req.RequesterID}, Notification{Type: NotifyApprovalDecided, Title: "Approval request expired",
				Message: "Nobody decided on " + what + " before its deadline: it will not be signed. Issue it again to ask anew.",
				Metadata: datatypes.NewJSONType(NotificationMetadata{OrganizationID: s.orgID, CredentialID: req.CredentialID, ApprovalID: req.ID,
					Link: "/approvals/" + req.ID})}); err != nil {
				return err
			}
		}
		done = req
		return audit(tx, s.actor(Actor{}), "approval.expired", "credential", req.CredentialID, AuditDetails{Summary: why, Extra: extra})
	})
	if err != nil {
		return nil, err
	}
	return done, nil
}
