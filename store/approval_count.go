package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The navigation's count of approvals (GET /approvals/count, polled by
// every open page): what this person can decide now, judged as
// DecideApproval judges it, in one counting statement after one small
// lookup (the people they stand in for and the organization's issuance
// and schema_creation workflows, in one UNION ALL).

// MaxPendingCount is where the navigation's count stops counting ("100+").
const MaxPendingCount = 100

// approverIdentity is someone a person may decide as: themselves, or an
// absent approver they stand in for (judged by the absent person's role).
type approverIdentity struct {
	ID   string
	Role Role
}

// PendingApprovals counts, up to MaxPendingCount, what the person (userID,
// of role) could decide now:
//
//   - the organization's pending approval requests that are not their own
//     and on which they (or someone deciding for them) have not decided
//     in the current round, whose current step lets them decide: at a
//     workflow step, the step's roles or people, or, once the step
//     escalated, its escalation's (the next step's, or the admins after the
//     last); under the schema's rules (no workflow, or the step after the
//     workflow's own), a rule listing their role or naming them (the
//     default rule, admins and reviewers, when none is active). A person
//     standing in for an absent approver (a running delegation) counts what
//     the absent person could decide;
//   - the organization's pending schema requests (resource_approval_requests)
//     that are not their own, on which they (or someone deciding for them)
//     have not decided in the current round, whose workflow's current step
//     lets them (or one they stand in for) decide, as
//     DecideResourceApproval judges it: the step's roles or people, or its
//     escalation's once it escalated; a request whose instance is gone, the
//     default rule (admins and reviewers);
//   - for admins and reviewers, the revocations and suspensions waiting for
//     a second person (four eyes) that they did not ask for.
func (s *Scoped) PendingApprovals(ctx context.Context, userID string, role Role) (int64, error) {
	if !validUUID(userID) {
		userID = "00000000-0000-0000-0000-000000000000"
	}
	tx := s.db.WithContext(ctx)
	who, flows, schemaFlows, err := s.countContext(tx, userID, role)
	if err != nil {
		return 0, err
	}
	q := s.inboxWhere(tx, InboxFilter{}).Select("approval_requests.id").
		Where("(approval_requests.requester_id IS NULL OR approval_requests.requester_id <> ?)", userID).
		Where("NOT EXISTS (SELECT 1 FROM credential_approvals ca WHERE ca.request_id = approval_requests.id AND ca.round = approval_requests.round"+
			" AND (ca.approver_id = ? OR ca.acting_for_id = ?))", userID, userID)
	rules, rulesArgs := s.rulesLet(who)
	steps, stepsArgs, inFlow, inFlowArgs := workflowStepsLet(flows, who, "approval_requests")
	const instance = "SELECT 1 FROM workflow_instances wi WHERE wi.resource_type = 'credential' AND wi.resource_id = approval_requests.credential_id AND "
	switch {
	case inFlow == "":
		q = q.Where(rules, rulesArgs...)
	case steps == "":
		q = q.Where("("+rules+") AND NOT EXISTS ("+instance+"("+inFlow+"))", append(rulesArgs, inFlowArgs...)...)
	default:
		q = q.Where("(("+rules+") AND NOT EXISTS ("+instance+"("+inFlow+")) OR EXISTS ("+instance+"("+steps+")))",
			append(append(rulesArgs, inFlowArgs...), stepsArgs...)...)
	}
	q = q.Limit(MaxPendingCount)
	schemas := s.pendingResourcesFor(tx, userID, who, schemaFlows)
	var n int64
	if slices.Contains(defaultApproverRoles, role) {
		changes := s.tenant(tx, &StatusChangeRequest{}).Select("id").Where("status = ?", RequestPending).
			Where("(requester_id IS NULL OR requester_id <> ?)", userID).Limit(MaxPendingCount)
		err = tx.Raw("SELECT (SELECT COUNT(*) FROM (?) AS pending) + (SELECT COUNT(*) FROM (?) AS resources) + (SELECT COUNT(*) FROM (?) AS changes)",
			q, schemas, changes).Scan(&n).Error
		return min(n, MaxPendingCount), err
	}
	err = tx.Raw("SELECT (SELECT COUNT(*) FROM (?) AS pending) + (SELECT COUNT(*) FROM (?) AS resources)", q, schemas).Scan(&n).Error
	return min(n, MaxPendingCount), err
}

// pendingResourcesFor is the organization's pending resource requests
// (schemas) that one of who may decide now (PendingApprovals), at most
// MaxPendingCount of them: a subquery of the count's statement.
func (s *Scoped) pendingResourcesFor(tx *gorm.DB, userID string, who []approverIdentity, flows []ApprovalWorkflow) *gorm.DB {
	const req = "resource_approval_requests"
	q := s.tenant(tx, &ResourceApprovalRequest{}).Select(req+".id").Where(req+".status = ?", RequestPending).
		Where("("+req+".requester_id IS NULL OR "+req+".requester_id <> ?)", userID).
		Where("NOT EXISTS (SELECT 1 FROM resource_approval_decisions rd WHERE rd.request_id = "+req+".id AND rd.round = "+req+".round"+
			" AND (rd.approver_id = ? OR rd.acting_for_id = ?))", userID, userID)
	deflt := slices.ContainsFunc(who, func(w approverIdentity) bool { return slices.Contains(defaultApproverRoles, w.Role) })
	steps, stepsArgs, _, _ := workflowStepsLet(flows, who, req)
	if steps == "" {
		return q.Where(req+".instance_id IS NULL AND ?", deflt).Limit(MaxPendingCount)
	}
	return q.Where("("+req+".instance_id IS NULL AND ?) OR EXISTS (SELECT 1 FROM workflow_instances wi WHERE wi.id = "+req+".instance_id AND ("+steps+"))",
		append([]any{deflt}, stepsArgs...)...).Limit(MaxPendingCount)
}

// countContext reads, in one statement, what the count depends on besides
// the requests: the person and the absent approvers whose running
// delegation names them (who), and the organization's issuance workflows
// (flows) and schema_creation workflows (schemaFlows) with their steps.
func (s *Scoped) countContext(tx *gorm.DB, userID string, role Role) (who []approverIdentity, flows, schemaFlows []ApprovalWorkflow, err error) {
	now := time.Now().UTC()
	workflows := s.tenant(tx, &ApprovalWorkflow{}).
		Select("CAST(approval_workflows.workflow_type AS TEXT) AS kind, approval_workflows.id, CAST(approval_workflows.steps AS TEXT) AS data").
		Where("approval_workflows.workflow_type IN ?", []WorkflowType{WorkflowCredentialIssuance, WorkflowSchemaCreation})
	absent := activeMembers(s.tenant(tx, &User{})).Select("'d' AS kind, users.id, users.role AS data").
		Joins("JOIN approval_delegations ON approval_delegations.user_id = users.id").
		Where("approval_delegations.delegate_id = ? AND approval_delegations.starts_at <= ? AND approval_delegations.ends_at > ?", userID, now, now)
	var rows []struct{ Kind, ID, Data string }
	if err := tx.Raw("SELECT * FROM (?) AS flows UNION ALL SELECT * FROM (?) AS absent", workflows, absent).Scan(&rows).Error; err != nil {
		return nil, nil, nil, err
	}
	who = []approverIdentity{{ID: userID, Role: role}}
	for _, r := range rows {
		if r.Kind == "d" {
			who = append(who, approverIdentity{ID: r.ID, Role: Role(r.Data)})
			continue
		}
		w := ApprovalWorkflow{ID: r.ID}
		if err := json.Unmarshal([]byte(r.Data), &w.Steps); err != nil {
			return nil, nil, nil, fmt.Errorf("store: steps of workflow %s: %w", r.ID, err)
		}
		if WorkflowType(r.Kind) == WorkflowSchemaCreation {
			schemaFlows = append(schemaFlows, w)
		} else {
			flows = append(flows, w)
		}
	}
	return who, flows, schemaFlows, nil
}

// rulesLet is the condition "a schema's rules let one of who decide on
// approval_requests": an active rule of its schema lists their role or
// names them (or lists nobody, and one of them is an admin or reviewer),
// or the schema has no active rule and one of them is an admin or
// reviewer (the default rule).
func (s *Scoped) rulesLet(who []approverIdentity) (string, []any) {
	deflt := slices.ContainsFunc(who, func(w approverIdentity) bool { return slices.Contains(defaultApproverRoles, w.Role) })
	var lets []string
	args := []any{true}
	for _, w := range who {
		lets = append(lets, s.jsonContains("m.approver_roles"), s.jsonContains("m.approver_user_ids"))
		args = append(args, string(w.Role), w.ID)
	}
	rule := "m.schema_id = approval_requests.schema_id AND m.active = ?"
	return "EXISTS (SELECT 1 FROM multisig_requirements m WHERE " + rule + " AND (" + strings.Join(lets, " OR ") +
			" OR (" + s.jsonLength("m.approver_roles") + " = 0 AND " + s.jsonLength("m.approver_user_ids") + " = 0 AND ?)))" +
			" OR (? AND NOT EXISTS (SELECT 1 FROM multisig_requirements m WHERE " + rule + "))",
		append(args, deflt, deflt, true)
}

// workflowStepsLet are, over workflows, the conditions on a request's
// workflow instance (wi) and current step (its table req's current_step):
// steps, "one of who may decide at it" (the step lets them, or it
// escalated and its escalation lets them); inFlow, "it waits at one of
// its workflow's own steps" (after them, the schema's rules judge it).
// Both "" without workflows; steps "" when no step lets them.
func workflowStepsLet(flows []ApprovalWorkflow, who []approverIdentity, req string) (steps string, stepsArgs []any, inFlow string, inFlowArgs []any) {
	lets := func(r Rule) bool {
		return slices.ContainsFunc(who, func(w approverIdentity) bool { return r.Lets(w.ID, w.Role) })
	}
	var stepConds, flowConds []string
	for _, w := range flows {
		p := approvalPlan{wf: &w}
		n := p.flowSteps()
		if n == 0 {
			continue
		}
		flowConds = append(flowConds, "(wi.workflow_id = ? AND "+req+".current_step <= ?)")
		inFlowArgs = append(inFlowArgs, w.ID, n)
		var own, escalated []int
		for k := 1; k <= n; k++ {
			if lets(stepRule(k, w.Steps[k-1])) {
				own = append(own, k)
			} else if lets(p.escalationRule(k)) {
				escalated = append(escalated, k)
			}
		}
		if len(own) > 0 {
			stepConds = append(stepConds, "(wi.workflow_id = ? AND "+req+".current_step IN ?)")
			stepsArgs = append(stepsArgs, w.ID, own)
		}
		if len(escalated) > 0 {
			stepConds = append(stepConds, "(wi.workflow_id = ? AND wi.escalated_at IS NOT NULL AND wi.current_step = "+req+".current_step"+
				" AND "+req+".current_step IN ?)")
			stepsArgs = append(stepsArgs, w.ID, escalated)
		}
	}
	return strings.Join(stepConds, " OR "), stepsArgs, strings.Join(flowConds, " OR "), inFlowArgs
}
