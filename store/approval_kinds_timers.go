package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// The workflow's clock for resource requests (approval_kinds.go): the
// approval_timers job finds their instances with the credentials'
// (DueApprovalTimers, DueTimer.ResourceType) and acts through these, with
// the same claims (claim: a conditional update of the instance's time in
// the transaction that notifies), so a second run does nothing.

// resourceTimerTarget is the request of one of the organization's
// resource instances, its row locked, and its plan (nil: the request is
// no longer pending).
func (s *Scoped) resourceTimerTarget(tx *gorm.DB, instanceID string) (*ResourceApprovalRequest, approvalPlan, error) {
	if !validUUID(instanceID) {
		return nil, approvalPlan{}, ErrNotFound
	}
	var req ResourceApprovalRequest
	if err := s.tenant(lockRow(tx, s.dial), &req).First(&req, "instance_id = ?", instanceID).Error; err != nil {
		return nil, approvalPlan{}, notFound(err)
	}
	if req.Status != RequestPending {
		return nil, approvalPlan{}, nil // decided meanwhile: nothing to do
	}
	p, err := s.resourcePlan(tx, &req)
	if err != nil || p.inst == nil {
		return nil, approvalPlan{}, err
	}
	return &req, p, nil
}

// resourceUndecided are the ids among ids who have not decided in the
// request's round (nor had a delegate decide for them).
func (s *Scoped) resourceUndecided(tx *gorm.DB, req *ResourceApprovalRequest, ids []string) ([]string, error) {
	var rows []struct {
		ApproverID  string
		ActingForID *string
	}
	if err := s.tenant(tx, &ResourceApprovalDecision{}).Select("approver_id, acting_for_id").
		Where("request_id = ? AND round = ?", req.ID, req.Round).Scan(&rows).Error; err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ids, func(id string) bool {
		return slices.ContainsFunc(rows, func(r struct {
			ApproverID  string
			ActingForID *string
		}) bool {
			return r.ApproverID == id || (r.ActingForID != nil && *r.ActingForID == id)
		})
	}), nil
}

// resourceTimer runs one timer of a resource instance: claim its time
// (cond, set), then act with the request, its plan and what it is.
func (s *Scoped) resourceTimer(ctx context.Context, instanceID, cond string, now time.Time, set map[string]any,
	act func(tx *gorm.DB, req *ResourceApprovalRequest, p approvalPlan, ops kindOps, what string) error) error {
	return s.joinTx(ctx, func(tx *gorm.DB) error {
		req, p, err := s.resourceTimerTarget(tx, instanceID)
		if err != nil || req == nil {
			return err
		}
		if ok, err := claim(tx, p.inst.ID, cond, now, set); err != nil || !ok {
			return err
		}
		ops, err := s.opsOf(req.ResourceType)
		if err != nil {
			return err
		}
		what, err := ops.describe(tx, req.ResourceID)
		if err != nil {
			return err
		}
		return act(tx, req, p, ops, what)
	})
}

// notifyUndecided tells the undecided people of rules about req, and
// returns how many were told.
func (s *Scoped) notifyUndecided(tx *gorm.DB, p approvalPlan, req *ResourceApprovalRequest, rules []Rule, title, msg string) (int, error) {
	ids, err := s.eligibleMembers(tx, rules, req.RequesterID)
	if err != nil {
		return 0, err
	}
	if ids, err = s.resourceUndecided(tx, req, ids); err != nil {
		return 0, err
	}
	return notify(tx, ids, s.resourceNotice(req, NotifyApprovalRequested, title, msg))
}

// RemindResourceApprovers is RemindApprovers for a resource instance.
func (s *Scoped) RemindResourceApprovers(ctx context.Context, instanceID string, now time.Time) (int, error) {
	sent := 0
	err := s.resourceTimer(ctx, instanceID, "remind_at <= ?", now, map[string]any{"remind_at": nil},
		func(tx *gorm.DB, req *ResourceApprovalRequest, p approvalPlan, ops kindOps, what string) error {
			var err error
			step := p.stepName(req.CurrentStep)
			if sent, err = s.notifyUndecided(tx, p, req, p.rulesAt(req.CurrentStep), "Reminder: approval waiting",
				fmt.Sprintf("The new %s still waits for your approval at step “%s”.", what, step)); err != nil {
				return err
			}
			return audit(tx, s.actor(Actor{}), "approval.reminded", ops.auditType, req.ResourceID, AuditDetails{
				Summary: fmt.Sprintf("Reminded %d approvers of step %d “%s”", sent, req.CurrentStep, step),
				Extra:   map[string]string{"request": req.ID, "kind": string(req.ResourceType), "step": fmt.Sprint(req.CurrentStep)}})
		})
	return sent, err
}

// EscalateResourceApproval is EscalateApproval for a resource instance.
func (s *Scoped) EscalateResourceApproval(ctx context.Context, instanceID string, now time.Time) (int, error) {
	sent := 0
	err := s.resourceTimer(ctx, instanceID, "escalate_at <= ? AND escalated_at IS NULL", now,
		map[string]any{"escalated_at": now.UTC(), "escalate_at": nil},
		func(tx *gorm.DB, req *ResourceApprovalRequest, p approvalPlan, ops kindOps, what string) error {
			var err error
			step := p.stepName(req.CurrentStep)
			if sent, err = s.notifyUndecided(tx, p, req, []Rule{p.escalationRule(req.CurrentStep)}, "Approval escalated to you",
				fmt.Sprintf("Step “%s” passed its deadline: you may now approve the new %s.", step, what)); err != nil {
				return err
			}
			return audit(tx, s.actor(Actor{}), "approval.escalated", ops.auditType, req.ResourceID, AuditDetails{
				Summary: fmt.Sprintf("Step %d “%s” passed its deadline: escalated to %d people", req.CurrentStep, step, sent),
				Extra:   map[string]string{"request": req.ID, "kind": string(req.ResourceType), "step": fmt.Sprint(req.CurrentStep)}})
		})
	return sent, err
}

// ExpireResourceApproval is ExpireApproval for a resource instance: the
// request and instance cancelled, the resource rejected (a schema is
// never usable), the requester told.
func (s *Scoped) ExpireResourceApproval(ctx context.Context, instanceID string, now time.Time) (bool, error) {
	done := false
	err := s.resourceTimer(ctx, instanceID, "expire_at <= ?", now, map[string]any{"status": WorkflowCancelled, "completed_at": now.UTC(),
		"remind_at": nil, "escalate_at": nil, "expire_at": nil},
		func(tx *gorm.DB, req *ResourceApprovalRequest, p approvalPlan, ops kindOps, what string) error {
			why := "Expired: nobody decided before the approval deadline"
			if err := s.endResourceRequest(tx, req, RequestCancelled, &why, now.UTC()); err != nil {
				return err
			}
			if err := ops.reject(tx, req.ResourceID, now.UTC()); err != nil {
				return err
			}
			if err := s.tellRequester(tx, req, "Approval request expired",
				fmt.Sprintf("Nobody decided on the %s you %s before its deadline: it was refused. Ask anew if it is still wanted.", what, ops.made)); err != nil {
				return err
			}
			done = true
			return audit(tx, s.actor(Actor{}), "approval.expired", ops.auditType, req.ResourceID, AuditDetails{
				Summary: why, Extra: map[string]string{"request": req.ID, "kind": string(req.ResourceType), "step": fmt.Sprint(req.CurrentStep)}})
		})
	return done, err
}
