package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// Approval workflows of the other kinds at run time (issue 17, 00038):
// schema_creation (a new credential schema, or a new version of one,
// waits pending while the organization has an active schema_creation
// workflow). A waiting resource has one ResourceApprovalRequest and a
// WorkflowInstance (resource_type "schema") whose steps it walks by the
// same rules as a credential's request: the plan (approvalPlan: the step's
// roles and people, counts, escalation, auto-approve threshold, deadlines)
// and the decider's judgement (judgeDecider: active member, never the
// requester, delegation, the role held now) are approval_flow.go's and
// approval_workflow_run.go's; only the rows decided on differ. A person
// decides once per round (resource_approval_decisions' unique index), a
// rejection ends the request and the instance, the final approval makes
// the resource usable — each exactly once: the request's status moves
// only WHERE it is still pending, under its row lock.

// ApprovalKind is resource_approval_requests.resource_type.
type ApprovalKind string

const (
	KindSchema ApprovalKind = "schema" // a credential schema (schema_creation)
	KindUser   ApprovalKind = "user"   // a member joining (user_registration: approval_users.go)
)

// Valid reports whether k is one of the values the database accepts.
func (k ApprovalKind) Valid() bool { return k == KindSchema || k == KindUser }

// SchemaApprovalStatus is credential_schemas.approval_status.
type SchemaApprovalStatus string

const (
	SchemaApproved        SchemaApprovalStatus = "approved" // usable (every schema made without a workflow)
	SchemaPendingApproval SchemaApprovalStatus = "pending"  // waiting for its schema_creation workflow
	SchemaRejected        SchemaApprovalStatus = "rejected" // refused by a reviewer: never usable
)

// Valid reports whether s is one of the values the database accepts.
func (s SchemaApprovalStatus) Valid() bool {
	return s == SchemaApproved || s == SchemaPendingApproval || s == SchemaRejected
}

// ErrSchemaAwaitingApproval refuses to use (or activate) a schema whose
// creation waits for its approvals or was rejected.
var ErrSchemaAwaitingApproval = errors.New("this schema awaits approval: it can be used once its reviewers approve it")

// ErrSchemaRejected refuses to use (or activate) a rejected schema.
var ErrSchemaRejected = errors.New("this schema was rejected by its reviewers: it cannot be used")

// UsableErr is nil for a schema that may be used for templates and
// issuance as far as approvals go, or why not.
func (s *CredentialSchema) UsableErr() error {
	switch s.ApprovalStatus {
	case SchemaPendingApproval:
		return ErrSchemaAwaitingApproval
	case SchemaRejected:
		return ErrSchemaRejected
	}
	return nil
}

// ResourceApprovalRequest is one resource (a schema) waiting for the
// approvals of its workflow.
type ResourceApprovalRequest struct {
	ID             string
	OrganizationID string
	ResourceType   ApprovalKind `validate:"required,oneof=schema user"`
	ResourceID     string
	InstanceID     *string               // the workflow instance it walks (nil once the instance is gone)
	RequesterID    *string               // who made the resource; never decides (nil once the user is gone)
	Status         ApprovalRequestStatus `gorm:"default:pending" validate:"required,oneof=pending approved rejected cancelled"`
	Round          int                   `gorm:"default:1" validate:"min=1"`
	CurrentStep    int                   `gorm:"default:1" validate:"min=1"`
	DecisionNote   *string               `validate:"omitnil,max=2000"` // the rejection's note
	DecidedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time

	Requester *User `gorm:"foreignKey:RequesterID" validate:"-"`
}

func (ResourceApprovalRequest) TableName() string { return "resource_approval_requests" }

func (r *ResourceApprovalRequest) BeforeCreate(*gorm.DB) error { return newID(&r.ID) }

// ResourceApprovalDecision is one person's decision on a resource's
// request.
type ResourceApprovalDecision struct {
	ID             string
	OrganizationID string
	RequestID      string
	ApproverID     string         // who decided (a delegate, when ActingForID is set)
	ActingForID    *string        // the absent approver a delegate decided for
	Decision       DecisionStatus `validate:"required,oneof=approved rejected"`
	Note           *string        `validate:"omitnil,max=2000"`
	Round          int            `gorm:"default:1" validate:"min=1"`
	Step           int            `gorm:"default:1" validate:"min=1"`
	ApproverRole   string         `validate:"required,max=50"` // the role that let them decide
	DecidedAt      time.Time
	CreatedAt      time.Time

	Approver  *User `gorm:"foreignKey:ApproverID" validate:"-"`
	ActingFor *User `gorm:"foreignKey:ActingForID" validate:"-"`
}

func (ResourceApprovalDecision) TableName() string { return "resource_approval_decisions" }

func (d *ResourceApprovalDecision) BeforeCreate(*gorm.DB) error { return newID(&d.ID) }

// DecisionStatus is resource_approval_decisions.decision.
type DecisionStatus string

const (
	DecisionApproved DecisionStatus = "approved"
	DecisionRejected DecisionStatus = "rejected"
)

// Valid reports whether d is one of the values the database accepts.
func (d DecisionStatus) Valid() bool { return d == DecisionApproved || d == DecisionRejected }

// workflowTypeOf is the workflow type that approves a kind.
func workflowTypeOf(k ApprovalKind) WorkflowType {
	if k == KindUser {
		return WorkflowUserRegistration
	}
	return WorkflowSchemaCreation
}

// kindWorkflow is the organization's active workflow of type t with at
// least one step (nil: none, the resource needs no approval).
func (s *Scoped) kindWorkflow(tx *gorm.DB, t WorkflowType) (*ApprovalWorkflow, error) {
	var ws []ApprovalWorkflow
	if err := s.tenant(tx, &ApprovalWorkflow{}).Where("active = ? AND workflow_type = ?", true, t).
		Order("created_at, id").Find(&ws).Error; err != nil {
		return nil, err
	}
	for i := range ws {
		if len(ws[i].Steps) > 0 {
			return &ws[i], nil
		}
	}
	return nil, nil
}

// ResourceWorkflow is the organization's active workflow that a new
// resource of kind k waits for (nil: none).
func (s *Scoped) ResourceWorkflow(ctx context.Context, k ApprovalKind) (*ApprovalWorkflow, error) {
	return s.kindWorkflow(s.db.WithContext(ctx), workflowTypeOf(k))
}

// resourceLink is the inbox page of a resource's request.
func resourceLink(id string) string { return "/approvals/resources/" + id }

// kindOps is what a kind's request does to its resource.
type kindOps struct {
	auditType string                                       // the audit entry's resource type
	made      string                                       // what the requester did: "made" (a schema), "invited" (a member)
	approved  string                                       // what an approval means for the resource, to its requester
	describe  func(tx *gorm.DB, id string) (string, error) // "schema “Diploma” version 2"
	approve   func(tx *gorm.DB, id string, now time.Time) error
	reject    func(tx *gorm.DB, id string, now time.Time) error
}

// opsOf is the operations of kind k.
func (s *Scoped) opsOf(k ApprovalKind) (kindOps, error) {
	switch k {
	case KindUser:
		return s.userOps(), nil
	case KindSchema:
	default:
		return kindOps{}, fmt.Errorf("store: %s approval requests are not run", k)
	}
	set := func(to SchemaApprovalStatus, active bool) func(*gorm.DB, string, time.Time) error {
		return func(tx *gorm.DB, id string, now time.Time) error {
			res := s.tenant(tx, &CredentialSchema{}).Where("id = ? AND approval_status = ?", id, SchemaPendingApproval).
				Updates(map[string]any{"approval_status": to, "active": active, "updated_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return ErrApprovalNotPending
			}
			return nil
		}
	}
	return kindOps{
		auditType: "credential_schema",
		made:      "made",
		approved:  "it can be used now",
		describe: func(tx *gorm.DB, id string) (string, error) {
			var cs CredentialSchema
			if err := s.tenant(tx, &cs).First(&cs, "id = ?", id).Error; err != nil {
				return "", notFound(err)
			}
			return schemaLabel(cs.Name, cs.Version), nil
		},
		approve: set(SchemaApproved, true),
		reject:  set(SchemaRejected, false),
	}, nil
}

// startResourceApproval parks a resource of kind k (just created in tx)
// under the workflow wf: its instance at step 1 with its clock, its
// request, step 1's approvers notified (the requester excepted), audited
// approval.requested. The requester (who never decides) is requester:
// the schema's author, or the inviter of a joining member.
func (s *Scoped) startResourceApproval(tx *gorm.DB, wf *ApprovalWorkflow, k ApprovalKind, resourceID string, requester *string, act Actor) (*ResourceApprovalRequest, error) {
	ops, err := s.opsOf(k)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	p := approvalPlan{wf: wf, inst: &WorkflowInstance{WorkflowID: wf.ID, ResourceType: string(k), ResourceID: resourceID,
		CurrentStep: 1, Status: WorkflowInProgress, StartedAt: now}}
	if err := Validate(p.inst); err != nil {
		return nil, err
	}
	if err := tx.Create(p.inst).Error; err != nil {
		return nil, err
	}
	if err := s.restartClock(tx, p, 1, now); err != nil {
		return nil, err
	}
	req := &ResourceApprovalRequest{OrganizationID: s.orgID, ResourceType: k, ResourceID: resourceID, InstanceID: &p.inst.ID,
		RequesterID: requester, Status: RequestPending, Round: 1, CurrentStep: 1}
	if err := Validate(req); err != nil {
		return nil, err
	}
	if err := tx.Create(req).Error; err != nil {
		return nil, err
	}
	what, err := ops.describe(tx, resourceID)
	if err != nil {
		return nil, err
	}
	if err := s.notifyResource(tx, p, req, 1, "The new "+what+" waits for your approval at step “%s”."); err != nil {
		return nil, err
	}
	return req, audit(tx, s.actor(act), "approval.requested", ops.auditType, resourceID, AuditDetails{
		Summary: fmt.Sprintf("The new %s waits for the approvals of the workflow “%s”", what, wf.WorkflowName),
		Extra:   map[string]string{"request": req.ID, "kind": string(k)}})
}

// notifyResource tells step k's eligible approvers (the requester
// excepted) that a resource's request waits for them; msg has one %s, the
// step's name.
func (s *Scoped) notifyResource(tx *gorm.DB, p approvalPlan, req *ResourceApprovalRequest, k int, msg string) error {
	ids, err := s.eligibleMembers(tx, p.rulesAt(k), req.RequesterID)
	if err != nil {
		return err
	}
	_, err = notify(tx, ids, s.resourceNotice(req, NotifyApprovalRequested, "Approval requested", fmt.Sprintf(msg, p.stepName(k))))
	return err
}

// resourceNotice is a notification about req linking to its inbox page.
func (s *Scoped) resourceNotice(req *ResourceApprovalRequest, t NotificationType, title, msg string) Notification {
	return Notification{Type: t, Title: truncateRunes(title, 200), Message: truncateRunes(msg, 2000),
		Metadata: datatypes.NewJSONType(NotificationMetadata{OrganizationID: s.orgID, ApprovalID: req.ID, Link: resourceLink(req.ID)})}
}

// lockedResourceRequest reads one of the organization's resource requests
// with its row locked for the rest of tx.
func (s *Scoped) lockedResourceRequest(tx *gorm.DB, id string) (*ResourceApprovalRequest, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var r ResourceApprovalRequest
	if err := s.tenant(lockRow(tx, s.dial), &r).First(&r, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// resourcePlan is how a resource's request is judged: its workflow's steps
// (no multi-signature rules: those are a schema's rules for its
// credentials). A request whose instance is gone is judged by the default
// rule (one approval of an administrator or reviewer).
func (s *Scoped) resourcePlan(tx *gorm.DB, req *ResourceApprovalRequest) (approvalPlan, error) {
	if req.InstanceID == nil {
		return approvalPlan{}, nil
	}
	var inst WorkflowInstance
	err := tx.Model(&WorkflowInstance{}).Preload("Workflow").
		Joins("JOIN approval_workflows ON approval_workflows.id = workflow_instances.workflow_id").
		Where(s.owns(&ApprovalWorkflow{})).Where("workflow_instances.id = ?", *req.InstanceID).Limit(1).Find(&inst).Error
	if err != nil || inst.ID == "" || inst.Workflow == nil {
		return approvalPlan{}, err
	}
	return approvalPlan{wf: inst.Workflow, inst: &inst}, nil
}

// resourceRoundApprovals are the approvals of the request's current round.
func (s *Scoped) resourceRoundApprovals(tx *gorm.DB, req *ResourceApprovalRequest) ([]roundApproval, error) {
	var out []roundApproval
	err := s.tenant(tx, &ResourceApprovalDecision{}).Select("approver_id, acting_for_id, approver_role, step").
		Where("request_id = ? AND round = ? AND decision = ?", req.ID, req.Round, DecisionApproved).
		Order("decided_at, id").Scan(&out).Error
	return out, err
}

// ResourceDecided is what DecideResourceApproval did.
type ResourceDecided struct {
	Request  *ResourceApprovalRequest
	Decision *ResourceApprovalDecision
	// Final: this decision ended the request (Request.Status approved:
	// the resource is usable now; rejected: it never will be).
	Final bool
	Tally []RuleTally
}

// DecideResourceApproval records a decision on one of the organization's
// pending resource requests and, when it is the final one, ends it: in
// one transaction with the request's row locked (joined when the handle is
// InTx's, so that the caller's approval.decided commits with it). The
// rules are a credential request's (DecideApproval): ErrNotFound for
// another organization's, ErrApprovalNotPending, ErrOwnRequest (the
// resource's creator), ErrNotEligible (the current step's roles and
// people, by the role held now; the escalation's once escalated),
// ErrNotDelegate, ErrAlreadyDecided (once per round, also when a
// concurrent decision won the unique index), ErrNoteRequired. A rejection
// ends request and instance and rejects the resource; the approval that
// completes the workflow (its last step, or auto_approve_threshold
// approvals) makes it usable; the requester is told either way.
func (s *Scoped) DecideResourceApproval(ctx context.Context, d Decision, actor Actor) (*ResourceDecided, error) {
	note := strings.TrimSpace(d.Note)
	if !d.Approve && note == "" {
		return nil, ErrNoteRequired
	}
	if len([]rune(note)) > MaxApprovalNote {
		return nil, fmt.Errorf("store: approval note longer than %d characters", MaxApprovalNote)
	}
	var out ResourceDecided
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		req, err := s.lockedResourceRequest(tx, d.RequestID)
		if err != nil {
			return err
		}
		out.Request = req
		if req.Status != RequestPending {
			return ErrApprovalNotPending
		}
		ops, err := s.opsOf(req.ResourceType)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		plan, err := s.resourcePlan(tx, req)
		if err != nil {
			return err
		}
		decider, approver, err := s.judgeDecider(tx, d, req.RequesterID, plan, req.CurrentStep, now)
		if err != nil {
			return err
		}
		var n int64
		if err := s.tenant(tx, &ResourceApprovalDecision{}).Where("request_id = ? AND round = ? AND (approver_id IN ? OR acting_for_id = ?)",
			req.ID, req.Round, []string{approver.ID, decider.ID}, approver.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrAlreadyDecided
		}
		dec := &ResourceApprovalDecision{OrganizationID: s.orgID, RequestID: req.ID, ApproverID: decider.ID, Decision: DecisionApproved,
			Round: req.Round, Step: req.CurrentStep, ApproverRole: string(approver.Role), DecidedAt: now}
		if decider.ID != approver.ID {
			dec.ActingForID = &approver.ID
		}
		if note != "" {
			dec.Note = &note
		}
		if !d.Approve {
			dec.Decision = DecisionRejected
		}
		if err := Validate(dec); err != nil {
			return err
		}
		if err := tx.Create(dec).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrAlreadyDecided
			}
			return err
		}
		out.Decision = dec
		what, err := ops.describe(tx, req.ResourceID)
		if err != nil {
			return err
		}
		act := s.actor(actor)
		by := actingForNote(decider, approver)
		if !d.Approve {
			out.Final = true
			if err := s.endResourceRequest(tx, req, RequestRejected, &note, now); err != nil {
				return err
			}
			if err := s.endInstance(tx, plan, WorkflowRejected, now); err != nil {
				return err
			}
			if err := ops.reject(tx, req.ResourceID, now); err != nil {
				return err
			}
			if err := s.tellRequester(tx, req, "Rejected: "+what, fmt.Sprintf("%s rejected the %s you %s: %s", actingFor(decider, approver), what, ops.made, note)); err != nil {
				return err
			}
			return audit(tx, act, "approval.rejected", ops.auditType, req.ResourceID, AuditDetails{
				Summary: fmt.Sprintf("Rejected the %s%s: %s", what, by, note), Extra: map[string]string{"request": req.ID, "kind": string(req.ResourceType)}})
		}
		given, err := s.resourceRoundApprovals(tx, req)
		if err != nil {
			return err
		}
		out.Tally = plan.tallies(given)
		if err := audit(tx, act, "approval.approved", ops.auditType, req.ResourceID, AuditDetails{
			Summary: fmt.Sprintf("Approved the %s%s at step %d “%s” (%s)", what, by, req.CurrentStep, plan.stepName(req.CurrentStep), tallySummary(out.Tally)),
			Extra:   map[string]string{"request": req.ID, "kind": string(req.ResourceType), "step": fmt.Sprint(req.CurrentStep)}}); err != nil {
			return err
		}
		to, approved := s.resourceNext(plan, req.CurrentStep, given)
		if approved {
			out.Final = true
			if err := s.endResourceRequest(tx, req, RequestApproved, nil, now); err != nil {
				return err
			}
			if err := s.endInstance(tx, plan, WorkflowApproved, now); err != nil {
				return err
			}
			if err := ops.approve(tx, req.ResourceID, now); err != nil {
				return err
			}
			return s.tellRequester(tx, req, "Approved: "+what, fmt.Sprintf("The %s you %s was approved: %s.", what, ops.made, ops.approved))
		}
		if to == req.CurrentStep {
			return nil
		}
		return s.moveResourceStep(tx, plan, req, to, what, now, act)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// resourceNext is plan.next for a resource's request; without a workflow
// (its instance is gone) the default rule's one approval ends it.
func (s *Scoped) resourceNext(p approvalPlan, k int, given []roundApproval) (int, bool) {
	if p.wf == nil {
		return k, len(given) > 0
	}
	return p.next(k, given)
}

// moveResourceStep moves a pending resource request from its step to
// step to: the request, the instance and its clock, the next step's
// approvers notified, audited approval.step.
func (s *Scoped) moveResourceStep(tx *gorm.DB, p approvalPlan, req *ResourceApprovalRequest, to int, what string, now time.Time, act Actor) error {
	from := req.CurrentStep
	res := s.tenant(tx, &ResourceApprovalRequest{}).Where("id = ? AND status = ? AND current_step = ?", req.ID, RequestPending, from).
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
	if err := s.notifyResource(tx, p, req, to, "The new "+what+" waits for your approval at step “%s”."); err != nil {
		return err
	}
	ops, _ := s.opsOf(req.ResourceType)
	return audit(tx, act, "approval.step", ops.auditType, req.ResourceID, AuditDetails{
		Summary: fmt.Sprintf("Step %d “%s” is complete: the %s moves to step %d “%s”", from, p.stepName(from), what, to, p.stepName(to)),
		Extra:   map[string]string{"request": req.ID, "kind": string(req.ResourceType), "step": fmt.Sprint(to)}})
}

// endResourceRequest moves req out of pending, only if it still is.
func (s *Scoped) endResourceRequest(tx *gorm.DB, req *ResourceApprovalRequest, to ApprovalRequestStatus, note *string, now time.Time) error {
	res := s.tenant(tx, &ResourceApprovalRequest{}).Where("id = ? AND status = ?", req.ID, RequestPending).
		Updates(map[string]any{"status": to, "decision_note": note, "decided_at": now, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrApprovalNotPending
	}
	req.Status, req.DecisionNote, req.DecidedAt = to, note, &now
	return nil
}

// tellRequester notifies the request's requester (when a person asked)
// of its outcome.
func (s *Scoped) tellRequester(tx *gorm.DB, req *ResourceApprovalRequest, title, msg string) error {
	if req.RequesterID == nil {
		return nil
	}
	_, err := notify(tx, []string{*req.RequesterID}, s.resourceNotice(req, NotifyApprovalDecided, title, msg))
	return err
}

// parkSchema is the active schema_creation workflow a new schema waits
// for (nil: none), the schema marked inactive and pending when there is
// one.
func (s *Scoped) parkSchema(tx *gorm.DB, cs *CredentialSchema) (*ApprovalWorkflow, error) {
	wf, err := s.kindWorkflow(tx, WorkflowSchemaCreation)
	if err != nil || wf == nil {
		return nil, err
	}
	cs.Active, cs.ApprovalStatus = false, SchemaPendingApproval
	return wf, nil
}

// startSchemaApproval starts the request of a schema parkSchema parked.
func (s *Scoped) startSchemaApproval(tx *gorm.DB, wf *ApprovalWorkflow, cs *CredentialSchema, act Actor) error {
	if wf == nil {
		return nil
	}
	_, err := s.startResourceApproval(tx, wf, KindSchema, cs.ID, act.UserID, act)
	return err
}

// usableSchemas is ErrSchemaAwaitingApproval when one of the schemas (the
// organization's, checked by ownRefs) is pending or rejected: no
// credential is stored under a schema its reviewers have not approved.
func (s *Scoped) usableSchemas(tx *gorm.DB, ids map[string]bool) error {
	if len(ids) == 0 {
		return nil
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	var n int64
	if err := s.tenant(tx, &CredentialSchema{}).Where("id IN ? AND approval_status <> ?", list, SchemaApproved).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return ErrSchemaAwaitingApproval
	}
	return nil
}

// ResourceApprovalRequest is one of the organization's resource requests,
// with its requester.
func (s *Scoped) ResourceApprovalRequest(ctx context.Context, id string) (*ResourceApprovalRequest, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var r ResourceApprovalRequest
	err := s.q(ctx, &r).Preload("Requester").First(&r, "id = ?", id).Error
	return &r, notFound(err)
}

// ResourceApprovalFor is the newest request of one of the organization's
// resources (ErrNotFound: it never needed approval).
func (s *Scoped) ResourceApprovalFor(ctx context.Context, k ApprovalKind, resourceID string) (*ResourceApprovalRequest, error) {
	if !validUUID(resourceID) {
		return nil, ErrNotFound
	}
	var r ResourceApprovalRequest
	err := s.q(ctx, &r).Where("resource_type = ? AND resource_id = ?", k, resourceID).
		Order("created_at DESC, id DESC").First(&r).Error
	return &r, notFound(err)
}

// ResourceApprovalDecisions are the decisions on one of the
// organization's resource requests, every round, oldest first, with their
// approvers.
func (s *Scoped) ResourceApprovalDecisions(ctx context.Context, requestID string) ([]ResourceApprovalDecision, error) {
	if !validUUID(requestID) {
		return nil, nil
	}
	var out []ResourceApprovalDecision
	err := s.q(ctx, &ResourceApprovalDecision{}).Preload("Approver").Preload("ActingFor").Where("request_id = ?", requestID).
		Order("decided_at, id").Find(&out).Error
	return out, err
}

// ResourceApprovalSteps are the workflow steps of one of the
// organization's resource requests with their approvals in the current
// round and where the request stands (nil when its instance is gone).
func (s *Scoped) ResourceApprovalSteps(ctx context.Context, requestID string) ([]ApprovalStep, error) {
	req, err := s.ResourceApprovalRequest(ctx, requestID)
	if err != nil {
		return nil, err
	}
	tx := s.db.WithContext(ctx)
	p, err := s.resourcePlan(tx, req)
	if err != nil || p.wf == nil {
		return nil, err
	}
	given, err := s.resourceRoundApprovals(tx, req)
	if err != nil {
		return nil, err
	}
	return p.stepsView(given, req.Status, req.CurrentStep), nil
}

// ResourceEntry is one pending resource request as the inbox lists it.
type ResourceEntry struct {
	ID             string
	ResourceType   ApprovalKind
	ResourceID     string
	Name           string // the schema's name and version, or the member's name, address and role
	RequesterEmail *string
	CurrentStep    int
	StepName       string
	CreatedAt      time.Time
}

// ResourceInboxPage is one page of pending resource requests, oldest
// first; Next is the cursor of the page after it (nil on the last).
type ResourceInboxPage struct {
	Entries []ResourceEntry
	Next    *Cursor
}

// ResourceInbox lists the organization's pending resource requests of
// kind k ("" for every kind), oldest first, keyset-paged on (created_at,
// id) (the index idx_resource_approval_requests_inbox) like
// ApprovalInbox: page p (its Limit 1..MaxInboxPage, 0 DefaultInboxPage),
// ErrBadCursor for a cursor that is not a time cursor. One statement
// reads the page with each row's requester, schema and workflow steps.
func (s *Scoped) ResourceInbox(ctx context.Context, k ApprovalKind, p InboxPage) (ResourceInboxPage, error) {
	if err := timed(p.Cursor); err != nil {
		return ResourceInboxPage{}, err
	}
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultInboxPage
	}
	limit = min(limit, MaxInboxPage)
	const r = "resource_approval_requests"
	q := s.db.WithContext(ctx).Table(r).Where(s.owns(&ResourceApprovalRequest{})).Where(r+".status = ?", RequestPending).
		Select(r + ".id, " + r + ".resource_type, " + r + ".resource_id, " + r + ".current_step, " + r + ".created_at, " +
			"users.email AS requester_email, credential_schemas.name AS schema_name, credential_schemas.version AS schema_version, " +
			"CAST(approval_workflows.steps AS TEXT) AS steps").
		Joins("LEFT JOIN users ON users.id = " + r + ".requester_id").
		Joins("LEFT JOIN credential_schemas ON " + r + ".resource_type = 'schema' AND credential_schemas.id = " + r + ".resource_id" +
			" AND credential_schemas.organization_id = " + r + ".organization_id").
		Joins("LEFT JOIN workflow_instances ON workflow_instances.id = " + r + ".instance_id").
		Joins("LEFT JOIN approval_workflows ON approval_workflows.id = workflow_instances.workflow_id" +
			" AND approval_workflows.organization_id = " + r + ".organization_id")
	if k != "" {
		q = q.Where(r+".resource_type = ?", k)
	}
	if p.Cursor != nil {
		q = q.Where("("+r+".created_at, "+r+".id) > (?, ?)", p.Cursor.At.UTC(), p.Cursor.ID)
	}
	var rows []struct {
		ResourceEntry
		SchemaName, SchemaVersion, Steps *string
	}
	if err := q.Order(r + ".created_at, " + r + ".id").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return ResourceInboxPage{}, err
	}
	var out ResourceInboxPage
	for i := range rows {
		e := rows[i].ResourceEntry
		if rows[i].SchemaName != nil {
			e.Name = schemaLabel(*rows[i].SchemaName, deref(rows[i].SchemaVersion))
		}
		if rows[i].Steps != nil {
			wf := ApprovalWorkflow{}
			if err := json.Unmarshal([]byte(*rows[i].Steps), &wf.Steps); err != nil {
				return ResourceInboxPage{}, fmt.Errorf("store: steps of the workflow of request %s: %w", e.ID, err)
			}
			e.StepName = approvalPlan{wf: &wf}.stepName(e.CurrentStep)
		}
		out.Entries = append(out.Entries, e)
	}
	out.Entries, out.Next = timePage(out.Entries, limit, func(e *ResourceEntry) (time.Time, string) { return e.CreatedAt, e.ID })
	// Members waiting to join are named in one more read, only when the
	// page has any.
	var members []string
	for _, e := range out.Entries {
		if e.ResourceType == KindUser {
			members = append(members, e.ResourceID)
		}
	}
	if len(members) > 0 {
		var users []User
		if err := s.tenant(s.db.WithContext(ctx), &User{}).Where("id IN ?", members).Find(&users).Error; err != nil {
			return ResourceInboxPage{}, err
		}
		byID := make(map[string]*User, len(users))
		for i := range users {
			byID[users[i].ID] = &users[i]
		}
		for i, e := range out.Entries {
			if u := byID[e.ResourceID]; e.ResourceType == KindUser && u != nil {
				out.Entries[i].Name = memberLabel(u)
			}
		}
	}
	return out, nil
}

// schemaLabel is how approvals name a schema: schema “Diploma” version 2.
func schemaLabel(name, version string) string {
	return fmt.Sprintf("schema “%s” version %s", name, version)
}
