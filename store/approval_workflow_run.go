package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// Multi-step approval workflows at run time (issue 17, 00028). A
// credential parked while its schema has an active credential_issuance
// workflow (IssuanceWorkflow) gets a WorkflowInstance (resource_type
// "credential"); the request's current_step and the instance's follow
// the workflow's steps:
//
//   - at step k (1..len(steps)) the step's roles and people decide (and,
//     once the step escalated, the next step's or, at the last step, the
//     organization's admins); the step is complete when it has its
//     required approvals in the current round; the request then moves to
//     step k+1, whose approvers are notified;
//   - the workflow is done after its last step, or as soon as the round
//     has auto_approve_threshold approvals in all;
//   - the schema's active multi-signature rules must hold as well (all of
//     them, counted over the round's approvals, each person once): if they
//     do not when the workflow is done, the request moves to one more step,
//     len(steps)+1, "the schema's approval rules", where the rules'
//     approvers decide until every rule holds;
//   - a rejection at any step ends the request and the instance.
//
// A request without an instance (no workflow when it was parked) is judged
// by the rules alone, at step 1, as before.

// RulesStepName names the step that follows a workflow's own when the
// schema's multi-signature rules do not hold yet.
const RulesStepName = "The schema's approval rules"

// approvalPlan is how a request is judged: the schema's active
// requirements and, when it has one, its workflow and instance.
type approvalPlan struct {
	reqs []MultisigRequirement
	wf   *ApprovalWorkflow // nil: the rules alone
	inst *WorkflowInstance
}

// flowSteps is the number of the workflow's own steps (0 without one).
func (p approvalPlan) flowSteps() int {
	if p.wf == nil {
		return 0
	}
	return len(p.wf.Steps)
}

// stepName is step k's name as people read it.
func (p approvalPlan) stepName(k int) string {
	if k >= 1 && k <= p.flowSteps() {
		if n := p.wf.Steps[k-1].Name; n != "" {
			return n
		}
		return fmt.Sprintf("Step %d", k)
	}
	if p.wf == nil {
		return ""
	}
	return RulesStepName
}

// stepRule is the rule of one workflow step.
func stepRule(k int, st WorkflowStep) Rule {
	roles := []Role(st.ApproverRoles)
	if len(roles) == 0 && len(st.ApproverUserIDs) == 0 {
		roles = defaultApproverRoles
	}
	return Rule{Required: max(st.RequiredApprovals, 1), Roles: roles, UserIDs: st.ApproverUserIDs, Step: k, Name: st.Name}
}

// rulesAt are the rules whose people may decide at step k: the workflow
// step's (widened by its escalation), or the schema's rules.
func (p approvalPlan) rulesAt(k int) []Rule {
	if k < 1 || k > p.flowSteps() {
		return rulesOf(p.reqs)
	}
	out := []Rule{stepRule(k, p.wf.Steps[k-1])}
	if p.inst != nil && p.inst.EscalatedAt != nil && p.inst.CurrentStep == k {
		out = append(out, p.escalationRule(k))
	}
	return out
}

// escalationRule is who step k escalates to: the next step's approvers,
// or the organization's admins after the last step.
func (p approvalPlan) escalationRule(k int) Rule {
	if k < p.flowSteps() {
		r := stepRule(k+1, p.wf.Steps[k])
		r.Step, r.Escalation = k, true
		return r
	}
	return Rule{Required: 1, Roles: []Role{RoleAdmin}, Step: k, Escalation: true}
}

// deadline is how long step k may wait (0: no deadline): its own
// deadline_hours, else, with escalation on, the escalation timeout.
func (p approvalPlan) deadline(k int) time.Duration {
	if p.wf == nil {
		return 0
	}
	h := 0
	if k >= 1 && k <= p.flowSteps() {
		h = p.wf.Steps[k-1].DeadlineHours
	}
	if h == 0 && p.wf.EscalationEnabled {
		h = p.wf.EscalationTimeoutHours
	}
	return time.Duration(h) * time.Hour
}

// clockFrom sets the instance's step clock for step k starting at now:
// the reminder at half the deadline, the escalation (escalation on) at
// the deadline, the expiry at the deadline plus the escalation timeout.
func (p approvalPlan) clockFrom(k int, now time.Time) map[string]any {
	d := p.deadline(k)
	m := map[string]any{"current_step": k, "step_started_at": now, "remind_at": nil, "escalate_at": nil, "escalated_at": nil, "expire_at": nil}
	if d > 0 {
		m["remind_at"] = now.Add(d / 2)
		if p.wf.EscalationEnabled {
			m["escalate_at"] = now.Add(d)
		}
		m["expire_at"] = now.Add(d + time.Duration(max(p.wf.EscalationTimeoutHours, 1))*time.Hour)
	}
	return m
}

// issuanceWorkflow is IssuanceWorkflow in tx (nil: none).
func (s *Scoped) issuanceWorkflow(tx *gorm.DB, schemaID string) (*ApprovalWorkflow, error) {
	if !validUUID(schemaID) {
		return nil, nil
	}
	var ws []ApprovalWorkflow
	err := s.tenant(tx, &ApprovalWorkflow{}).
		Where("active = ? AND workflow_type = ? AND (schema_id = ? OR schema_id IS NULL)", true, WorkflowCredentialIssuance, schemaID).
		Order("created_at, id").Find(&ws).Error
	if err != nil {
		return nil, err
	}
	var general *ApprovalWorkflow
	for i := range ws {
		if ws[i].SchemaID != nil {
			return &ws[i], nil
		}
		general = &ws[i]
	}
	return general, nil
}

// startPlan is a new request's plan: the schema's active requirements and,
// when an issuance workflow applies, its new instance at step 1.
func (s *Scoped) startPlan(tx *gorm.DB, req *ApprovalRequest, now time.Time) (approvalPlan, error) {
	reqs, err := s.activeRequirements(tx, req.SchemaID)
	if err != nil {
		return approvalPlan{}, err
	}
	p := approvalPlan{reqs: reqs}
	wf, err := s.issuanceWorkflow(tx, req.SchemaID)
	if err != nil || wf == nil || len(wf.Steps) == 0 {
		return p, err
	}
	p.wf = wf
	p.inst = &WorkflowInstance{WorkflowID: wf.ID, ResourceType: "credential", ResourceID: req.CredentialID, CurrentStep: 1,
		Status: WorkflowInProgress, StartedAt: now}
	if err := Validate(p.inst); err != nil {
		return p, err
	}
	if err := tx.Create(p.inst).Error; err != nil {
		return p, err
	}
	return p, s.restartClock(tx, p, 1, now)
}

// restartClock moves the instance to step k, its clock starting now.
func (s *Scoped) restartClock(tx *gorm.DB, p approvalPlan, k int, now time.Time) error {
	if p.inst == nil {
		return nil
	}
	m := p.clockFrom(k, now)
	if err := tx.Model(&WorkflowInstance{}).Where("id = ?", p.inst.ID).Updates(m).Error; err != nil {
		return err
	}
	return tx.First(p.inst, "id = ?", p.inst.ID).Error
}

// instanceOf is the in-progress workflow instance of one of the
// organization's credentials (nil: none). workflow_instances has no
// organization column: scoped through its workflow.
func (s *Scoped) instanceOf(tx *gorm.DB, credentialID string) (*WorkflowInstance, error) {
	var inst WorkflowInstance
	err := tx.Model(&WorkflowInstance{}).Preload("Workflow").
		Joins("JOIN approval_workflows ON approval_workflows.id = workflow_instances.workflow_id").
		Where(s.owns(&ApprovalWorkflow{})).
		Where("workflow_instances.resource_type = ? AND workflow_instances.resource_id = ?", "credential", credentialID).
		Order("workflow_instances.created_at DESC, workflow_instances.id DESC").Limit(1).Find(&inst).Error
	if err != nil || inst.ID == "" {
		return nil, err
	}
	return &inst, nil
}

// planOf is how an existing request is judged now.
func (s *Scoped) planOf(tx *gorm.DB, req *ApprovalRequest) (approvalPlan, error) {
	reqs, err := s.activeRequirements(tx, req.SchemaID)
	if err != nil {
		return approvalPlan{}, err
	}
	p := approvalPlan{reqs: reqs}
	inst, err := s.instanceOf(tx, req.CredentialID)
	if err != nil || inst == nil || inst.Workflow == nil {
		return p, err
	}
	p.wf, p.inst = inst.Workflow, inst
	return p, nil
}

// roundApproval is one approval of a request's round as the tallies count
// it: the person it counts for (the absent approver when a delegate
// decided), their role then, and the step.
type roundApproval struct {
	ApproverID   string
	ActingForID  *string
	ApproverRole *string
	Step         int
}

func (a roundApproval) person() string {
	if a.ActingForID != nil {
		return *a.ActingForID
	}
	return a.ApproverID
}

func (a roundApproval) role() Role {
	if a.ApproverRole == nil {
		return ""
	}
	return Role(*a.ApproverRole)
}

// roundApprovals are the approvals of the request's current round.
func (s *Scoped) roundApprovals(tx *gorm.DB, req *ApprovalRequest) ([]roundApproval, error) {
	var out []roundApproval
	err := s.tenant(tx, &CredentialApproval{}).Select("approver_id, acting_for_id, approver_role, step").
		Where("request_id = ? AND round = ? AND approval_status = ?", req.ID, req.Round, ApprovalApproved).
		Order("approved_at, id").Scan(&out).Error
	return out, err
}

// ruleTallies counts, per rule, the round's approvals by people it lets
// decide (by the role they held then), each person once.
func ruleTallies(rules []Rule, given []roundApproval) []RuleTally {
	out := make([]RuleTally, len(rules))
	for i, r := range rules {
		out[i].Rule = r
		var seen []string
		for _, g := range given {
			if r.Lets(g.person(), g.role()) && !slices.Contains(seen, g.person()) {
				seen = append(seen, g.person())
				out[i].Approvals++
			}
		}
	}
	return out
}

// stepTallies are the workflow's steps with the round's approvals given
// at each (nil without a workflow).
func (p approvalPlan) stepTallies(given []roundApproval) []RuleTally {
	out := make([]RuleTally, 0, p.flowSteps())
	for k := 1; k <= p.flowSteps(); k++ {
		t := RuleTally{Rule: stepRule(k, p.wf.Steps[k-1])}
		for _, g := range given {
			if g.Step == k {
				t.Approvals++
			}
		}
		out = append(out, t)
	}
	return out
}

// tallies is what a request's detail and evidence show: each workflow
// step, then each of the schema's rules (the rules alone without a
// workflow; none of the default rule when a workflow runs without rules).
func (p approvalPlan) tallies(given []roundApproval) []RuleTally {
	out := p.stepTallies(given)
	if p.wf == nil || len(p.reqs) > 0 {
		out = append(out, ruleTallies(rulesOf(p.reqs), given)...)
	}
	return out
}

// next is where an approval at step k leaves the request: the step to
// move to (k when it stays), and whether the request is approved.
func (p approvalPlan) next(k int, given []roundApproval) (step int, approved bool) {
	rulesHold := func() bool {
		if p.wf != nil && len(p.reqs) == 0 {
			return true
		}
		return !slices.ContainsFunc(ruleTallies(rulesOf(p.reqs), given), func(t RuleTally) bool { return !t.Met() })
	}
	n := p.flowSteps()
	if k > n {
		return k, rulesHold()
	}
	steps := p.stepTallies(given)
	total := 0
	for _, t := range steps {
		total += t.Approvals
	}
	flowDone := total >= max(p.wf.AutoApproveThreshold, 1)
	if !steps[k-1].Met() && !flowDone {
		return k, false
	}
	if k < n && !flowDone {
		return k + 1, false
	}
	if rulesHold() {
		return k, true
	}
	return n + 1, false
}

// moveStep moves a pending request from step k to step to: the request,
// the instance and its clock, the next step's approvers notified, audited.
func (s *Scoped) moveStep(tx *gorm.DB, p approvalPlan, req *ApprovalRequest, to int, now time.Time, act Actor) error {
	from := req.CurrentStep
	res := s.tenant(tx, &ApprovalRequest{}).Where("id = ? AND status = ? AND current_step = ?", req.ID, RequestPending, from).
		Updates(map[string]any{"current_step": to, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrApprovalNotPending
	}
	req.CurrentStep = to
	if err := s.restartClock(tx, p, to, now); err != nil {
		return err
	}
	if err := s.notifyStep(tx, p, req, to, "A credential waits for your approval at step “%s”."); err != nil {
		return err
	}
	return audit(tx, act, "approval.step", "credential", req.CredentialID, AuditDetails{
		Summary: fmt.Sprintf("Step %d “%s” is complete: the request moves to step %d “%s”", from, p.stepName(from), to, p.stepName(to)),
		Extra:   map[string]string{"request": req.ID, "step": fmt.Sprint(to)}})
}

// notifyStep tells step k's eligible approvers (the requester excepted)
// that the request waits for them; msg has one %s, the step's name.
func (s *Scoped) notifyStep(tx *gorm.DB, p approvalPlan, req *ApprovalRequest, k int, msg string) error {
	ids, err := s.eligibleMembers(tx, p.rulesAt(k), req.RequesterID)
	if err != nil {
		return err
	}
	_, err = notify(tx, ids, Notification{Type: NotifyApprovalRequested, Title: "Approval requested",
		Message: fmt.Sprintf(msg, p.stepName(k)),
		Metadata: datatypes.NewJSONType(NotificationMetadata{OrganizationID: s.orgID, CredentialID: req.CredentialID, ApprovalID: req.ID,
			Link: "/approvals/" + req.ID})})
	return err
}

// endInstance ends the plan's instance (if it runs) with the request.
func (s *Scoped) endInstance(tx *gorm.DB, p approvalPlan, to WorkflowStatus, now time.Time) error {
	if p.inst == nil {
		return nil
	}
	return tx.Model(&WorkflowInstance{}).Where("id = ? AND status = ?", p.inst.ID, WorkflowInProgress).
		Updates(map[string]any{"status": to, "completed_at": now, "remind_at": nil, "escalate_at": nil, "expire_at": nil}).Error
}

// ApprovalStep is one step of a request as its page shows it.
type ApprovalStep struct {
	Step      int
	Name      string
	Required  int
	Approvals int
	Current   bool
	Done      bool
	Escalated bool // the current step escalated: its escalation's approvers may decide too
	DueAt     *time.Time
}

// ApprovalSteps are the steps of one of the organization's requests
// (nil when no workflow runs it): the workflow's, then the schema's rules
// when they apply, each with its approvals in the current round and where
// the request stands.
func (s *Scoped) ApprovalSteps(ctx context.Context, requestID string) ([]ApprovalStep, error) {
	req, err := s.ApprovalRequest(ctx, requestID)
	if err != nil {
		return nil, err
	}
	tx := s.db.WithContext(ctx)
	p, err := s.planOf(tx, req)
	if err != nil || p.wf == nil {
		return nil, err
	}
	given, err := s.roundApprovals(tx, req)
	if err != nil {
		return nil, err
	}
	return p.stepsView(given, req.Status, req.CurrentStep), nil
}

// stepsView is the steps of a request in status at step current, with
// the round's approvals given.
func (p approvalPlan) stepsView(given []roundApproval, status ApprovalRequestStatus, current int) []ApprovalStep {
	var out []ApprovalStep
	for _, t := range p.stepTallies(given) {
		out = append(out, ApprovalStep{Step: t.Step, Name: p.stepName(t.Step), Required: t.Required, Approvals: t.Approvals})
	}
	if len(p.reqs) > 0 {
		need, got := 0, 0
		for _, t := range ruleTallies(rulesOf(p.reqs), given) {
			need += t.Required
			got += min(t.Approvals, t.Required)
		}
		out = append(out, ApprovalStep{Step: p.flowSteps() + 1, Name: RulesStepName, Required: need, Approvals: got})
	}
	for i := range out {
		k := out[i].Step
		out[i].Done = status == RequestApproved || k < current
		out[i].Current = status == RequestPending && k == current
		if out[i].Current && p.inst != nil {
			out[i].Escalated = p.inst.EscalatedAt != nil
			out[i].DueAt = p.inst.EscalateAt
			if out[i].DueAt == nil {
				out[i].DueAt = p.inst.ExpireAt
			}
		}
	}
	return out
}

// StandingInFor are the active approvers whose running delegation (at
// at) names delegateID: the people a delegate may decide for now. A
// person's own later delegation wins (ActiveDelegate), so each is listed
// only when delegateID is their delegate now.
func (s *Scoped) StandingInFor(ctx context.Context, delegateID string, at time.Time) ([]User, error) {
	if !validUUID(delegateID) {
		return nil, nil
	}
	tx := s.db.WithContext(ctx)
	var ids []string
	if err := s.tenant(tx, &ApprovalDelegation{}).Where("delegate_id = ? AND starts_at <= ? AND ends_at > ?", delegateID, at.UTC(), at.UTC()).
		Order("user_id").Limit(MemberLimit).Pluck("user_id", &ids).Error; err != nil {
		return nil, err
	}
	var out []User
	for _, id := range slices.Compact(ids) {
		d, err := s.activeDelegate(tx, id, at)
		if err != nil {
			return nil, err
		}
		if d == nil || d.ID != delegateID {
			continue
		}
		u, err := s.decider(tx, id)
		if errors.Is(err, ErrNotEligible) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, nil
}
