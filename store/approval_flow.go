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

	"github.com/trustcred/trustcred/internal/secret"
)

// The approvals runtime (00022): a credential issued under an active
// multi-signature requirement of its schema is stored pending (sealed,
// unsigned, no status list entry) with one ApprovalRequest; eligible
// members decide on it (CredentialApproval rows); the final approval
// marks the request approved and the issuance door's job signs the
// credential (ActivatePendingCredential). Every rule below is enforced
// here, in one transaction with the request's row locked, so that no
// caller (page, API, job) can skip one.

// ApprovalRequestStatus is approval_requests.status.
type ApprovalRequestStatus string

const (
	RequestPending   ApprovalRequestStatus = "pending"   // waiting for decisions
	RequestApproved  ApprovalRequestStatus = "approved"  // every rule holds: the credential is (being) signed
	RequestRejected  ApprovalRequestStatus = "rejected"  // someone rejected it: the credential is rejected
	RequestCancelled ApprovalRequestStatus = "cancelled" // withdrawn or expired
)

// Valid reports whether s is one of the values the database accepts.
func (s ApprovalRequestStatus) Valid() bool {
	switch s {
	case RequestPending, RequestApproved, RequestRejected, RequestCancelled:
		return true
	}
	return false
}

// ApprovalRequest is one pending credential waiting for its approvals.
type ApprovalRequest struct {
	ID             string
	OrganizationID string
	CredentialID   string
	SchemaID       string
	TemplateID     *string               // the credential's (00039): the inbox's template filter
	RequesterID    *string               // nil: an API key asked, or the user is gone
	Status         ApprovalRequestStatus `gorm:"default:pending" validate:"required,oneof=pending approved rejected cancelled"`
	// Round counts the resets: editing the pending credential's data
	// starts a new round, in which earlier approvals no longer count.
	Round       int `gorm:"default:1" validate:"min=1"`
	CurrentStep int `gorm:"default:1" validate:"min=1"`
	DecidedAt   *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// A bulk batch's request (00037; approval_batch.go): the batch (nil
	// for one credential's request; CredentialID is then the batch's first
	// pending credential), the row numbers sampled for the reviewers and
	// who opened the sample in which round.
	BatchID     *string
	SampleRows  datatypes.JSONSlice[int]
	SampleViews datatypes.JSONSlice[SampleView]

	Credential *Credential `gorm:"foreignKey:CredentialID" validate:"-"`
	Requester  *User       `gorm:"foreignKey:RequesterID" validate:"-"`
}

func (ApprovalRequest) TableName() string { return "approval_requests" }

func (r *ApprovalRequest) BeforeCreate(*gorm.DB) error { return newID(&r.ID) }

// Refusals of a decision, worded for the person deciding.
var (
	// ErrApprovalNotPending: the request was approved, rejected or
	// cancelled already (someone else's decision may have just ended it).
	ErrApprovalNotPending = errors.New("this request is no longer pending")
	// ErrAlreadyDecided: the person decided on this step of the request.
	ErrAlreadyDecided = errors.New("you have already decided on this request")
	// ErrOwnRequest: the requester cannot decide on their own request.
	ErrOwnRequest = errors.New("you cannot decide on a credential you requested")
	// ErrNotEligible: the person does not (or no longer) hold a role the
	// schema's requirements list, or cannot sign in.
	ErrNotEligible = errors.New("you do not hold a role that may approve this credential")
	// ErrNotDelegate: the person is not, now, the delegate of the one
	// they would decide for.
	ErrNotDelegate = errors.New("you are not standing in for this person now: their delegation has ended or names someone else")
	// ErrNoteRequired: a rejection must say why.
	ErrNoteRequired = errors.New("say why you reject it: the requester will read your note")
)

// MaxApprovalNote is the longest note a decision may carry.
const MaxApprovalNote = 2000

// defaultApproverRoles are the roles a requirement without roles lets
// decide (and the rule when a request's requirements were all switched
// off while it waited: one approval of an administrator or reviewer).
var defaultApproverRoles = []Role{RoleAdmin, RoleReviewer}

// Rule is one requirement as a request is judged by it: N approvals of
// people holding one of Roles or named in UserIDs.
type Rule struct {
	RequirementID string // "" for the default rule
	Required      int
	Roles         []Role
	UserIDs       []string // people named besides the roles' holders (00023)
	// Step is the workflow step the rule is (0: a multi-signature rule),
	// Name its name; Escalation marks who an escalated step lets decide
	// too (approval_workflow_run.go).
	Step       int
	Name       string
	Escalation bool
}

// Lets reports whether the rule lets a person of this role and id decide.
func (r Rule) Lets(userID string, role Role) bool {
	return slices.Contains(r.Roles, role) || slices.Contains(r.UserIDs, userID)
}

// RuleTally is a rule and the approvals of the current round that count
// for it.
type RuleTally struct {
	Rule
	Approvals int
}

// Met reports whether the rule holds.
func (t RuleTally) Met() bool { return t.Approvals >= t.Required }

// rulesOf turns the active requirements into rules.
func rulesOf(reqs []MultisigRequirement) []Rule {
	if len(reqs) == 0 {
		return []Rule{{Required: 1, Roles: defaultApproverRoles}}
	}
	rules := make([]Rule, len(reqs))
	for i, r := range reqs {
		roles := []Role(r.ApproverRoles)
		if len(roles) == 0 && len(r.ApproverUserIDs) == 0 {
			roles = defaultApproverRoles
		}
		rules[i] = Rule{RequirementID: r.ID, Required: max(r.RequiredSignatures, 1), Roles: roles, UserIDs: []string(r.ApproverUserIDs)}
	}
	return rules
}

// ApprovalRequirements are the active multi-signature requirements of one
// of the organization's schemas (none for another organization's).
func (s *Scoped) ApprovalRequirements(ctx context.Context, schemaID string) ([]MultisigRequirement, error) {
	return s.activeRequirements(s.db.WithContext(ctx), schemaID)
}

func (s *Scoped) activeRequirements(tx *gorm.DB, schemaID string) ([]MultisigRequirement, error) {
	if !validUUID(schemaID) {
		return nil, nil
	}
	var reqs []MultisigRequirement
	// multisig_requirements has no organization column: scoped through
	// its schema.
	err := tx.Model(&MultisigRequirement{}).
		Joins("JOIN credential_schemas ON credential_schemas.id = multisig_requirements.schema_id").
		Where(s.owns(&CredentialSchema{})).
		Where("multisig_requirements.schema_id = ? AND multisig_requirements.active = ?", schemaID, true).
		Order("multisig_requirements.created_at, multisig_requirements.id").Find(&reqs).Error
	return reqs, err
}

// Pending is what StorePendingCredential needs besides the credential.
type Pending struct {
	Via         StatusChannel
	RequesterID *string // the person asking; nil for an API key
}

// StorePendingCredential stores a credential that waits for approval:
// status pending, its unsigned document sealed in EncryptedData (the
// caller's), no status list entry, no proof; its first status change
// (draft → pending), its ApprovalRequest, the audit entry and an in-app
// notification to every eligible member (but the requester), in one
// transaction (joined when the handle is InTx's, so that the caller's
// approval.requested event commits with it).
func (s *Scoped) StorePendingCredential(ctx context.Context, p Pending, c *Credential, actor Actor) (*ApprovalRequest, error) {
	c.IssuerID, c.Status = s.orgID, CredentialPending
	c.StatusListID, c.StatusListIndex, c.SuspensionListID, c.SuspensionListIndex = nil, nil, nil, nil
	c.SigningKeyID, c.IssuedAt = nil, nil
	if err := Validate(c); err != nil {
		return nil, err
	}
	req := &ApprovalRequest{OrganizationID: s.orgID, SchemaID: c.SchemaID, TemplateID: c.TemplateID, RequesterID: p.RequesterID, Status: RequestPending, Round: 1, CurrentStep: 1}
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		if err := s.ownRefs(tx, []*Credential{c}); err != nil {
			return err
		}
		if err := tx.Create(c).Error; err != nil {
			return err
		}
		if err := tx.Create(&CredentialStatusChange{CredentialID: c.ID, OrganizationID: s.orgID, FromStatus: CredentialDraft,
			ToStatus: CredentialPending, ActorUserID: actor.UserID, Via: p.Via}).Error; err != nil {
			return err
		}
		req.CredentialID = c.ID
		_, err := s.openRequest(tx, req, fmt.Sprintf("A credential for %s waits for your approval.", c.RecipientAddress), actor,
			"credential", c.ID, AuditDetails{
				Summary: fmt.Sprintf("Credential %s to %s waits for approval", c.PublicID, c.RecipientAddress),
				Extra:   map[string]string{"via": string(p.Via), "request": req.ID},
			})
		return err
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// openRequest stores req (its credential set) and starts its plan (the
// workflow instance when a workflow applies), tells the first step's
// approvers (message) and audits approval.requested on the resource.
func (s *Scoped) openRequest(tx *gorm.DB, req *ApprovalRequest, message string, actor Actor, resourceType, resourceID string, d AuditDetails) (approvalPlan, error) {
	if err := tx.Create(req).Error; err != nil {
		return approvalPlan{}, err
	}
	plan, err := s.startPlan(tx, req, time.Now().UTC())
	if err != nil {
		return plan, err
	}
	approvers, err := s.eligibleMembers(tx, plan.rulesAt(1), req.RequesterID)
	if err != nil {
		return plan, err
	}
	if _, err := notify(tx, approvers, Notification{Type: NotifyApprovalRequested, Title: "Approval requested", Message: message,
		Metadata: datatypes.NewJSONType(NotificationMetadata{OrganizationID: s.orgID, CredentialID: req.CredentialID, ApprovalID: req.ID,
			Link: "/approvals/" + req.ID})}); err != nil {
		return plan, err
	}
	if d.Extra != nil {
		d.Extra["request"] = req.ID
	}
	return plan, audit(tx, s.actor(actor), "approval.requested", resourceType, resourceID, d)
}

// eligibleMembers are the ids of the organization's active members holding
// a role of the rules or named by one, without the requester.
func (s *Scoped) eligibleMembers(tx *gorm.DB, rules []Rule, requesterID *string) ([]string, error) {
	roles := []Role{}
	named := []string{}
	for _, r := range rules {
		for _, role := range r.Roles {
			if !slices.Contains(roles, role) {
				roles = append(roles, role)
			}
		}
		for _, id := range r.UserIDs {
			if validUUID(id) && !slices.Contains(named, id) {
				named = append(named, id)
			}
		}
	}
	if len(roles) == 0 && len(named) == 0 {
		return nil, nil
	}
	who := "role IN ?"
	args := []any{roles}
	switch {
	case len(roles) == 0:
		who, args = "id IN ?", []any{named}
	case len(named) > 0:
		who, args = "(role IN ? OR id IN ?)", []any{roles, named}
	}
	q := s.tenant(tx, &User{}).Where(who+" AND deactivated_at IS NULL AND password_hash IS NOT NULL AND awaiting_approval_since IS NULL", args...)
	if requesterID != nil {
		q = q.Where("id <> ?", *requesterID)
	}
	var ids []string
	err := q.Order("id").Limit(MemberLimit).Pluck("id", &ids).Error
	return ids, err
}

// lockedRequest reads one of the organization's requests with its row
// locked for the rest of tx (PostgreSQL; SQLite's immediate transactions
// already serialize writers).
func (s *Scoped) lockedRequest(tx *gorm.DB, id string) (*ApprovalRequest, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var r ApprovalRequest
	if err := s.tenant(lockRow(tx, s.dial), &r).First(&r, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// Decision is one person's decision on a request.
type Decision struct {
	RequestID  string
	ApproverID string // the person deciding (the session's user)
	Approve    bool   // false: reject
	Note       string // required for a rejection
	// ActingForID is the absent approver the person decides for, as their
	// delegate during an active delegation ("" for their own decision).
	ActingForID string
}

// Decided is what DecideApproval did.
type Decided struct {
	Request  *ApprovalRequest
	Approval *CredentialApproval
	// Final is true when this decision ended the request: the last
	// approval a rule needed (Request.Status approved: sign the credential
	// now, in this transaction's job) or a rejection.
	Final bool
	Tally []RuleTally
}

// DecideApproval records a decision on one of the organization's pending
// requests and, when it is the final one, ends the request: all in one
// transaction with the request's row locked (joined when the handle is
// InTx's: the issuance door enqueues the signing job and publishes the
// events in it). The rules: the request is pending and ErrNotFound for
// another organization's; the person is an active member holding a role
// some active requirement of the schema lists, now (ErrNotEligible); not
// the requester (ErrOwnRequest); once per step of a round
// (ErrAlreadyDecided, also when a concurrent decision won the unique
// index); a rejection needs a note and ends the request (the credential
// becomes rejected and the requester is told with the note); the request
// is approved when every active requirement has its N approvals of the
// current round from people holding its roles (one approval counts for
// every rule whose roles include the approver's). Exactly one decision
// moves a request out of pending: the status changes only WHERE it is
// still pending.
func (s *Scoped) DecideApproval(ctx context.Context, d Decision, actor Actor) (*Decided, error) {
	note := strings.TrimSpace(d.Note)
	if !d.Approve && note == "" {
		return nil, ErrNoteRequired
	}
	if len([]rune(note)) > MaxApprovalNote {
		return nil, fmt.Errorf("store: approval note longer than %d characters", MaxApprovalNote)
	}
	var out Decided
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		req, err := s.lockedRequest(tx, d.RequestID)
		if err != nil {
			return err
		}
		out.Request = req
		if req.Status != RequestPending {
			return ErrApprovalNotPending
		}
		now := time.Now().UTC()
		plan, err := s.planOf(tx, req)
		if err != nil {
			return err
		}
		decider, approver, err := s.judgeDecider(tx, d, req.RequesterID, plan, req.CurrentStep, now)
		if err != nil {
			return err
		}
		// Once per round: a person who decided at an earlier step of a
		// workflow does not decide again at a later one (their approval
		// counts once, for every rule and step it can).
		// A delegate decides once too, for themselves or for one person
		// they stand in for: one person's decision is one approval.
		var n int64
		if err := s.tenant(tx, &CredentialApproval{}).Where("request_id = ? AND round = ? AND (approver_id IN ? OR acting_for_id = ?)",
			req.ID, req.Round, []string{approver.ID, decider.ID}, approver.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrAlreadyDecided
		}
		if d.Approve && !req.sampleViewedBy(decider.ID) {
			return ErrSampleNotViewed // a batch is approved after its sample is read (approval_batch.go)
		}
		role := string(approver.Role)
		a := &CredentialApproval{CredentialID: req.CredentialID, ApproverID: decider.ID, ApprovalStatus: ApprovalApproved,
			ApprovedAt: &now, RequestID: &req.ID, OrganizationID: &s.orgID, Round: req.Round, Step: req.CurrentStep, ApproverRole: &role}
		if decider.ID != approver.ID {
			a.ActingForID = &approver.ID
		}
		if note != "" {
			a.ApprovalNotes = &note
		}
		if !d.Approve {
			a.ApprovalStatus = ApprovalRejected
		}
		if err := Validate(a); err != nil {
			return err
		}
		if err := tx.Create(a).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrAlreadyDecided
			}
			return err
		}
		out.Approval = a
		act := s.actor(actor)
		if !d.Approve {
			out.Final = true
			if err := s.endRequest(tx, req, RequestRejected, now); err != nil {
				return err
			}
			if err := s.endInstance(tx, plan, WorkflowRejected, now); err != nil {
				return err
			}
			if err := s.rejectCredential(tx, req, note, act); err != nil {
				return err
			}
			if req.RequesterID != nil {
				if _, err := notify(tx, []string{*req.RequesterID}, Notification{Type: NotifyApprovalDecided, Title: "Credential rejected",
					Message:  fmt.Sprintf("%s rejected the credential you requested: %s", actingFor(decider, approver), note),
					Metadata: datatypes.NewJSONType(NotificationMetadata{OrganizationID: s.orgID, CredentialID: req.CredentialID, ApprovalID: req.ID, Link: "/approvals/" + req.ID})}); err != nil {
					return err
				}
			}
			return audit(tx, act, "approval.rejected", "credential", req.CredentialID, AuditDetails{
				Summary: "Rejected the credential's approval request" + actingForNote(decider, approver) + ": " + note, Extra: map[string]string{"request": req.ID}})
		}
		given, err := s.roundApprovals(tx, req)
		if err != nil {
			return err
		}
		out.Tally = plan.tallies(given)
		summary := fmt.Sprintf("Approved the credential%s (%s)", actingForNote(decider, approver), tallySummary(out.Tally))
		if plan.wf != nil {
			summary = fmt.Sprintf("Approved the credential%s at step %d “%s” (%s)", actingForNote(decider, approver), req.CurrentStep,
				plan.stepName(req.CurrentStep), tallySummary(out.Tally))
		}
		if err := audit(tx, act, "approval.approved", "credential", req.CredentialID, AuditDetails{
			Summary: summary, Extra: map[string]string{"request": req.ID, "step": fmt.Sprint(req.CurrentStep)}}); err != nil {
			return err
		}
		to, approved := plan.next(req.CurrentStep, given)
		if approved {
			out.Final = true
			if err := s.endRequest(tx, req, RequestApproved, now); err != nil {
				return err
			}
			return s.endInstance(tx, plan, WorkflowApproved, now)
		}
		if to != req.CurrentStep {
			return s.moveStep(tx, plan, req, to, now, act)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// decider is an active member of the organization who may decide
// (ErrNotEligible otherwise).
func (s *Scoped) decider(tx *gorm.DB, id string) (*User, error) {
	if !validUUID(id) {
		return nil, ErrNotEligible
	}
	var u User
	if err := s.tenant(tx, &u).Where("deactivated_at IS NULL AND password_hash IS NOT NULL AND awaiting_approval_since IS NULL").First(&u, "id = ?", id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotEligible
		}
		return nil, err
	}
	return &u, nil
}

// judgeDecider applies the rules every kind of request shares to a
// decision at step of plan: the person deciding (decider) is an active
// member, not the requester; when they decide for an absent approver they
// are that person's delegate now; the person decided for (approver, the
// decider themselves otherwise) is let decide by a rule of the step, by
// the role they hold now. ErrOwnRequest, ErrNotDelegate, ErrNotEligible.
func (s *Scoped) judgeDecider(tx *gorm.DB, d Decision, requesterID *string, plan approvalPlan, step int, now time.Time) (decider, approver *User, err error) {
	if requesterID != nil && *requesterID == d.ApproverID {
		return nil, nil, ErrOwnRequest
	}
	if decider, err = s.decider(tx, d.ApproverID); err != nil {
		return nil, nil, err
	}
	// Decided for: the person whose place the decision takes (the absent
	// approver when a delegate decides), judged by their role.
	approver = decider
	if d.ActingForID != "" {
		if approver, err = s.decider(tx, d.ActingForID); err != nil {
			return nil, nil, err
		}
		if requesterID != nil && *requesterID == approver.ID {
			return nil, nil, ErrOwnRequest
		}
		delegate, err := s.activeDelegate(tx, approver.ID, now)
		if err != nil {
			return nil, nil, err
		}
		if delegate == nil || delegate.ID != decider.ID || approver.ID == decider.ID {
			return nil, nil, ErrNotDelegate
		}
	}
	if !slices.ContainsFunc(plan.rulesAt(step), func(r Rule) bool { return r.Lets(approver.ID, approver.Role) }) {
		return nil, nil, ErrNotEligible
	}
	return decider, approver, nil
}

// actingFor is "x@… acting for y@…", or the decider's email alone.
func actingFor(decider, approver *User) string {
	return decider.Email + actingForNote(decider, approver)
}

// actingForNote is " acting for y@…" when a delegate decided, else "".
func actingForNote(decider, approver *User) string {
	if decider.ID == approver.ID {
		return ""
	}
	return " acting for " + approver.Email
}

// tallySummary is "2 of 2 approvals; 1 of 1 approvals".
func tallySummary(ts []RuleTally) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = fmt.Sprintf("%d of %d approvals", min(t.Approvals, t.Required), t.Required)
	}
	return strings.Join(parts, "; ")
}

// ApprovalTally is, for one of the organization's requests, each workflow
// step and each active rule with the approvals of its current round that
// count for it.
func (s *Scoped) ApprovalTally(ctx context.Context, requestID string) ([]RuleTally, error) {
	req, err := s.ApprovalRequest(ctx, requestID)
	if err != nil {
		return nil, err
	}
	tx := s.db.WithContext(ctx)
	plan, err := s.planOf(tx, req)
	if err != nil {
		return nil, err
	}
	given, err := s.roundApprovals(tx, req)
	if err != nil {
		return nil, err
	}
	return plan.tallies(given), nil
}

// EligibleApprovers counts the people who may decide on one of the
// organization's requests now: active members holding a role of its
// rules, the requester excepted.
func (s *Scoped) EligibleApprovers(ctx context.Context, requestID string) (int, error) {
	req, err := s.ApprovalRequest(ctx, requestID)
	if err != nil {
		return 0, err
	}
	tx := s.db.WithContext(ctx)
	plan, err := s.planOf(tx, req)
	if err != nil {
		return 0, err
	}
	var rules []Rule
	for k := 1; k <= max(plan.flowSteps(), 1); k++ {
		rules = append(rules, plan.rulesAt(k)...)
	}
	if plan.wf != nil && len(plan.reqs) > 0 {
		rules = append(rules, rulesOf(plan.reqs)...)
	}
	ids, err := s.eligibleMembers(tx, rules, req.RequesterID)
	return len(ids), err
}

// endRequest moves req out of pending, only if it still is (the status
// guard makes a second final transition impossible even without the
// lock).
func (s *Scoped) endRequest(tx *gorm.DB, req *ApprovalRequest, to ApprovalRequestStatus, now time.Time) error {
	res := s.tenant(tx, &ApprovalRequest{}).Where("id = ? AND status = ?", req.ID, RequestPending).
		Updates(map[string]any{"status": to, "decided_at": now, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrApprovalNotPending
	}
	req.Status, req.DecidedAt = to, &now
	return nil
}

// rejectCredential marks a rejected request's credential rejected, with
// its status change.
func (s *Scoped) rejectCredential(tx *gorm.DB, req *ApprovalRequest, note string, act Actor) error {
	if req.BatchID != nil {
		return s.rejectBatch(tx, req, note, act)
	}
	res := s.tenant(tx, &Credential{}).Where("id = ? AND status = ?", req.CredentialID, CredentialPending).
		Updates(map[string]any{"status": CredentialRejected, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrApprovalNotPending
	}
	return tx.Create(&CredentialStatusChange{CredentialID: req.CredentialID, OrganizationID: s.orgID, FromStatus: CredentialPending,
		ToStatus: CredentialRejected, Reason: &note, ActorUserID: act.UserID, Via: ViaWeb}).Error
}

// EditPendingCredential replaces the document of one of the
// organization's pending credentials (sealed by the caller, with its
// hash) and resets its approvals: the request starts a new round in which
// the approvals given so far no longer count (they stay as history).
// ErrApprovalNotPending unless the credential and its request are pending.
func (s *Scoped) EditPendingCredential(ctx context.Context, credentialID string, data secret.Sealed, dataHash string, actor Actor) (*ApprovalRequest, error) {
	if !validUUID(credentialID) {
		return nil, ErrNotFound
	}
	var req ApprovalRequest
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		if err := s.tenant(lockRow(tx, s.dial), &req).First(&req, "credential_id = ?", credentialID).Error; err != nil {
			return notFound(err)
		}
		if req.Status != RequestPending {
			return ErrApprovalNotPending
		}
		now := time.Now().UTC()
		res := s.tenant(tx, &Credential{}).Where("id = ? AND status = ?", credentialID, CredentialPending).
			Updates(map[string]any{"encrypted_data": data, "data_hash": dataHash, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrApprovalNotPending
		}
		req.Round++
		req.CurrentStep = 1
		if err := s.tenant(tx, &ApprovalRequest{}).Where("id = ?", req.ID).
			Updates(map[string]any{"round": req.Round, "current_step": 1, "updated_at": now}).Error; err != nil {
			return err
		}
		plan, err := s.planOf(tx, &req)
		if err != nil {
			return err
		}
		if err := s.restartClock(tx, plan, 1, now); err != nil {
			return err
		}
		return audit(tx, s.actor(actor), "approval.reset", "credential", credentialID, AuditDetails{
			Summary: "Edited the pending credential's data: its approvals start again", Extra: map[string]string{"request": req.ID}})
	})
	if err != nil {
		return nil, err
	}
	return &req, nil
}

// ActivatePendingCredential is the last step of issuing an approved
// credential: the signed document (sealed in c.EncryptedData, hash, proof
// type, signing key, issued at) and its status entries (in) replace the
// pending row's, which becomes active, with its status change and the
// audit entry. ErrApprovalNotPending when its request is not approved or
// the credential is no longer pending (a retried job that already signed
// it): exactly one signature becomes the credential. Joined to the
// handle's transaction when it is InTx's.
func (s *Scoped) ActivatePendingCredential(ctx context.Context, in Issue, c *Credential, actor Actor) error {
	if !validUUID(c.ID) {
		return ErrNotFound
	}
	return s.joinTx(ctx, func(tx *gorm.DB) error {
		var req ApprovalRequest
		if err := s.tenant(lockRow(tx, s.dial), &req).First(&req, "credential_id = ?", c.ID).Error; err != nil {
			return notFound(err)
		}
		if req.Status != RequestApproved {
			return ErrApprovalNotPending
		}
		rev, sus := in.Revocation, in.Suspension
		c.StatusListID, c.StatusListIndex = &rev.ListID, &rev.Index
		c.SuspensionListID, c.SuspensionListIndex = &sus.ListID, &sus.Index
		if err := s.ownRefs(tx, []*Credential{c}); err != nil {
			return err
		}
		if c.IssuedAt == nil {
			now := time.Now().UTC()
			c.IssuedAt = &now
		}
		res := s.tenant(tx, &Credential{}).Where("id = ? AND status = ?", c.ID, CredentialPending).Updates(map[string]any{
			"status": CredentialActive, "encrypted_data": c.EncryptedData, "data_hash": c.DataHash, "proof_type": c.ProofType,
			"signing_key_id": c.SigningKeyID, "issued_at": c.IssuedAt, "status_list_id": rev.ListID, "status_list_index": rev.Index,
			"suspension_list_id": sus.ListID, "suspension_list_index": sus.Index, "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrApprovalNotPending
		}
		if err := s.tenant(tx, &Credential{}).First(c, "id = ?", c.ID).Error; err != nil {
			return err
		}
		if err := tx.Create(&CredentialStatusChange{CredentialID: c.ID, OrganizationID: s.orgID, FromStatus: CredentialPending,
			ToStatus: CredentialActive, ActorUserID: actor.UserID, Via: ViaSystem}).Error; err != nil {
			return err
		}
		return audit(tx, s.actor(actor), "credential.issued", "credential", c.ID, AuditDetails{
			Summary: fmt.Sprintf("Issued credential %s to %s after its approvals", c.PublicID, c.RecipientAddress),
			Extra:   map[string]string{"via": string(ViaSystem), "request": req.ID}})
	})
}

// ApprovalRequest is one of the organization's requests, with its
// credential and requester.
func (s *Scoped) ApprovalRequest(ctx context.Context, id string) (*ApprovalRequest, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var r ApprovalRequest
	err := s.q(ctx, &r).Preload("Credential").Preload("Requester").First(&r, "id = ?", id).Error
	return &r, notFound(err)
}

// ApprovalRequestFor is the request of one of the organization's
// credentials: its own, or its bulk batch's (ErrNotFound: it never needed
// approval).
func (s *Scoped) ApprovalRequestFor(ctx context.Context, credentialID string) (*ApprovalRequest, error) {
	if !validUUID(credentialID) {
		return nil, ErrNotFound
	}
	var r ApprovalRequest
	err := s.q(ctx, &r).Where("credential_id = ? OR batch_id IN (SELECT batch_id FROM issuance_batch_rows WHERE credential_id = ?)",
		credentialID, credentialID).First(&r).Error
	return &r, notFound(err)
}

// ApprovalDecisions are the decisions on one of the organization's
// requests, every round, oldest first, with their approvers.
func (s *Scoped) ApprovalDecisions(ctx context.Context, requestID string) ([]CredentialApproval, error) {
	if !validUUID(requestID) {
		return nil, nil
	}
	var out []CredentialApproval
	err := s.q(ctx, &CredentialApproval{}).Preload("Approver").Preload("ActingFor").Where("request_id = ?", requestID).
		Order("approved_at, id").Find(&out).Error
	return out, err
}

// InboxFilter narrows the approvals inbox. Zero fields select everything.
type InboxFilter struct {
	SchemaID    string
	TemplateID  string
	RequesterID string
	// Step keeps the requests waiting at this step of their workflow (1
	// for requests under the rules alone).
	Step int
	// OlderThan keeps the requests waiting at least this long.
	OlderThan time.Duration
	// Now is the clock OlderThan counts from (zero: time.Now).
	Now time.Time
}

// InboxPage is which page of the inbox: the first, or the one after
// Cursor; Limit 1..MaxInboxPage (0: DefaultInboxPage).
type InboxPage struct {
	Cursor *Cursor
	Limit  int
}

// Page sizes of the inbox.
const (
	DefaultInboxPage = 50
	MaxInboxPage     = 200
)

// InboxEntry is one pending request as the inbox lists it.
type InboxEntry struct {
	ID               string // the request
	CredentialID     string
	PublicID         string // the credential's
	SchemaID         string
	SchemaName       string
	TemplateName     *string
	RecipientName    *string
	RecipientAddress string
	RequesterID      *string
	RequesterEmail   *string
	Round            int
	CurrentStep      int
	CreatedAt        time.Time
	// A bulk batch's request (00037): the batch, its file's name and the
	// rows it stored (the credentials the decision applies to).
	BatchID    *string
	BatchName  *string
	BatchCount *int
}

// Inbox is one page of pending requests, oldest first; Next is the cursor
// of the page after it (nil on the last).
type Inbox struct {
	Entries []InboxEntry
	Next    *Cursor
}

// ApprovalInbox lists the organization's pending requests, oldest first
// (keyset-paged on created_at, id: the index idx_approval_requests_inbox).
func (s *Scoped) ApprovalInbox(ctx context.Context, f InboxFilter, p InboxPage) (Inbox, error) {
	if err := timed(p.Cursor); err != nil {
		return Inbox{}, err
	}
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultInboxPage
	}
	limit = min(limit, MaxInboxPage)
	var rows []InboxEntry
	if err := s.inboxQuery(s.db.WithContext(ctx), f, p.Cursor, limit+1).Find(&rows).Error; err != nil {
		return Inbox{}, err
	}
	out := Inbox{Entries: rows}
	if len(rows) > limit {
		out.Entries = rows[:limit]
		last := out.Entries[limit-1]
		out.Next = &Cursor{At: last.CreatedAt.UTC(), ID: last.ID}
	}
	return out, nil
}

// inboxQuery is one page of the inbox: limit rows after cur.
func (s *Scoped) inboxQuery(tx *gorm.DB, f InboxFilter, cur *Cursor, limit int) *gorm.DB {
	q := s.inboxWhere(tx, f).Select("approval_requests.id, approval_requests.credential_id, approval_requests.schema_id, " +
		"credential_schemas.name AS schema_name, credential_templates.name AS template_name, credentials.recipient_name, " +
		"credentials.recipient_address, credentials.public_id, approval_requests.requester_id, users.email AS requester_email, approval_requests.round, " +
		"approval_requests.current_step, approval_requests.created_at, approval_requests.batch_id, issuance_batches.filename AS batch_name, " +
		"issuance_batches.issued_count AS batch_count").
		Joins("JOIN credentials ON credentials.id = approval_requests.credential_id").
		Joins("JOIN credential_schemas ON credential_schemas.id = approval_requests.schema_id").
		Joins("LEFT JOIN credential_templates ON credential_templates.id = credentials.template_id").
		Joins("LEFT JOIN users ON users.id = approval_requests.requester_id").
		Joins("LEFT JOIN issuance_batches ON issuance_batches.id = approval_requests.batch_id")
	if cur != nil {
		// A row value: one range of the index on both dialects.
		q = q.Where("(approval_requests.created_at, approval_requests.id) > (?, ?)", cur.At.UTC(), cur.ID)
	}
	return q.Order("approval_requests.created_at, approval_requests.id").Limit(limit)
}

// inboxWhere is the organization's pending requests narrowed by f.
func (s *Scoped) inboxWhere(tx *gorm.DB, f InboxFilter) *gorm.DB {
	q := tx.Table("approval_requests").Where(s.owns(&ApprovalRequest{})).Where("approval_requests.status = ?", RequestPending)
	if f.SchemaID != "" {
		q = q.Where("approval_requests.schema_id = ?", f.SchemaID)
	}
	if f.RequesterID != "" {
		q = q.Where("approval_requests.requester_id = ?", f.RequesterID)
	}
	if f.TemplateID != "" && !validUUID(f.TemplateID) {
		q = q.Where("1 = 0")
	} else if f.TemplateID != "" {
		q = q.Where("approval_requests.template_id = ?", f.TemplateID)
	}
	if f.Step > 0 {
		q = q.Where("approval_requests.current_step = ?", f.Step)
	}
	if f.OlderThan > 0 {
		now := f.Now
		if now.IsZero() {
			now = time.Now()
		}
		q = q.Where("approval_requests.created_at <= ?", now.Add(-f.OlderThan).UTC())
	}
	return q
}

// jsonLength is the SQL length of the JSON array column col.
func (s *Scoped) jsonLength(col string) string {
	if s.dial == Postgres {
		return "jsonb_array_length(" + col + ")"
	}
	return "json_array_length(" + col + ")"
}

// jsonContains is "the JSON array column col contains the string ?".
func (s *Scoped) jsonContains(col string) string {
	if s.dial == Postgres {
		return col + " @> to_jsonb(?::text)"
	}
	return "EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE json_each.value = ?)"
}
