package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// The approval configuration of issue 17: what an organization's admins set
// on /settings/approvals (multi-signature rules per schema, approval
// workflows, the approval policy) and what an approver sets for their
// absence (delegations). The approval runtime (pending credentials,
// decisions, the inbox) reads it; every rule that makes a configuration
// valid is checked here, in the store, not only in the page.

func init() {
	// Tables of the approval configuration that carry their organization.
	// multisig_requirements has none: it is reached through its schema
	// (credential_schemas.organization_id), see requirements.
	tenantColumn["approval_workflows"] = "organization_id"
	tenantColumn["approval_policies"] = "organization_id"
	tenantColumn["approval_delegations"] = "organization_id"
}

// Approval configuration refusals that are not a field's.
var (
	// ErrWorkflowInUse: the workflow has requests going through it; it can
	// be deactivated, not deleted.
	ErrWorkflowInUse = errors.New("requests are going through this workflow")
)

// ApproverRoles are the roles an approval rule or step may name: the
// organization's staff who can be asked to approve.
var ApproverRoles = []Role{RoleReviewer, RoleAdmin, RoleIssuer}

// MaxWorkflowSteps is the most steps a workflow may have.
const MaxWorkflowSteps = 10

// MaxDeadlineHours is the longest step deadline or escalation timeout: a year.
const MaxDeadlineHours = 8760

// Approver is an organization member who may be asked to approve, as the
// configuration pages list them.
type Approver struct {
	ID, Email, Name string
	Role            Role
}

// Label is the approver's name, or their email when they have none.
func (a Approver) Label() string {
	if a.Name != "" {
		return a.Name
	}
	return a.Email
}

// activeMembers narrows a users query to the members who can sign in now:
// not deactivated, invitation accepted, membership approved.
func activeMembers(q *gorm.DB) *gorm.DB {
	return q.Where("users.deactivated_at IS NULL AND users.password_hash IS NOT NULL AND users.awaiting_approval_since IS NULL")
}

// Approvers lists the organization's active members who hold one of
// ApproverRoles: the people an admin may name in a rule or step, or an
// approver may choose as their delegate.
func (s *Scoped) Approvers(ctx context.Context) ([]Approver, error) {
	var users []User
	err := activeMembers(s.q(ctx, &User{})).Where("role IN ?", ApproverRoles).
		Order("email").Limit(MemberLimit).Find(&users).Error
	if err != nil {
		return nil, err
	}
	out := make([]Approver, len(users))
	for i, u := range users {
		out[i] = approverOf(&u)
	}
	return out, nil
}

func approverOf(u *User) Approver {
	return Approver{ID: u.ID, Email: u.Email, Name: u.Profile.Data().DisplayName, Role: u.Role}
}

// eligible counts the active members who hold one of roles or are named
// in userIDs, each once: how many people could approve under a rule or step
// now.
func (s *Scoped) eligible(tx *gorm.DB, roles []Role, userIDs []string) (int, error) {
	if len(roles) == 0 && len(userIDs) == 0 {
		return 0, nil
	}
	q := activeMembers(s.tenant(tx, &User{}))
	switch {
	case len(roles) > 0 && len(userIDs) > 0:
		q = q.Where("(users.role IN ? OR users.id IN ?)", roles, userIDs)
	case len(roles) > 0:
		q = q.Where("users.role IN ?", roles)
	default:
		q = q.Where("users.id IN ?", userIDs)
	}
	var n int64
	err := q.Count(&n).Error
	return int(n), err
}

// checkApprovers checks one rule's or step's approvers: the roles are
// approver roles, every person named is an active member holding one, at
// least one role or person is chosen, and required approvals are at least
// one and no more than the people who could give them. Problems go into fe
// under prefix+"approver_roles", prefix+"approver_user_ids" and
// prefix+"required".
func (s *Scoped) checkApprovers(tx *gorm.DB, fe FieldErrors, prefix string, roles []Role, userIDs []string, required int) error {
	for _, r := range roles {
		if !slices.Contains(ApproverRoles, r) {
			fe[prefix+"approver_roles"] = "Choose among the reviewer, admin and issuer roles."
			return nil
		}
	}
	if len(userIDs) > 0 {
		for _, id := range userIDs {
			if !validUUID(id) {
				fe[prefix+"approver_user_ids"] = "Choose people from the list of your organization's members."
				return nil
			}
		}
		var n int64
		err := activeMembers(s.tenant(tx, &User{})).Where("users.id IN ? AND users.role IN ?", userIDs, ApproverRoles).Count(&n).Error
		if err != nil {
			return err
		}
		if int(n) != len(userIDs) {
			fe[prefix+"approver_user_ids"] = "Everyone named must be an active reviewer, admin or issuer of your organization."
			return nil
		}
	}
	if len(roles) == 0 && len(userIDs) == 0 {
		fe[prefix+"approver_roles"] = "Choose at least one role or person who can approve."
		return nil
	}
	if required < 1 {
		fe[prefix+"required"] = "At least 1 approval is required."
		return nil
	}
	if required > 100 {
		fe[prefix+"required"] = "At most 100 approvals can be required."
		return nil
	}
	n, err := s.eligible(tx, roles, userIDs)
	if err != nil {
		return err
	}
	if required > n {
		fe[prefix+"required"] = TooFewApprovers(required, n, roles, len(userIDs) > 0)
	}
	return nil
}

// TooFewApprovers words why required approvals cannot be given by the n
// people who hold roles (or are named): "2 approvals are required but only
// 1 person holds the reviewer role".
func TooFewApprovers(required, n int, roles []Role, named bool) string {
	var b strings.Builder
	if required == 1 {
		b.WriteString("1 approval is required but ")
	} else {
		b.WriteString(strconv.Itoa(required) + " approvals are required but ")
	}
	one := n == 1
	switch {
	case n == 0:
		b.WriteString("nobody ")
		one = true
	case one:
		b.WriteString("only 1 person ")
	default:
		b.WriteString("only " + strconv.Itoa(n) + " people ")
	}
	verb := func(single, many string) string {
		if one {
			return single
		}
		return many
	}
	if len(roles) > 0 {
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = string(r)
		}
		b.WriteString(verb("holds", "hold") + " the " + strings.Join(names, " or ") + " role")
		if len(roles) > 1 {
			b.WriteString("s")
		}
		if named {
			b.WriteString(" or " + verb("is", "are") + " named")
		}
	} else {
		b.WriteString(verb("is", "are") + " named")
	}
	b.WriteString(".")
	return b.String()
}

// ---- multi-signature requirements ----

// RequirementChange is a requirement as a form sets it.
type RequirementChange struct {
	SchemaID           string
	RuleName           string
	RequiredSignatures int
	ApproverRoles      []Role
	ApproverUserIDs    []string
	Active             bool
}

// requirements starts a query on multisig_requirements narrowed to the
// organization's schemas (the table has no organization column).
func (s *Scoped) requirements(tx *gorm.DB) *gorm.DB {
	return tx.Model(&MultisigRequirement{}).
		Joins("JOIN credential_schemas ON credential_schemas.id = multisig_requirements.schema_id").
		Where(s.owns(&CredentialSchema{}))
}

// Requirements lists the organization's multi-signature requirements with
// their schema, by schema name, then rule name.
func (s *Scoped) Requirements(ctx context.Context) ([]MultisigRequirement, error) {
	var rs []MultisigRequirement
	err := s.requirements(s.db.WithContext(ctx)).Preload("Schema").
		Order("lower(credential_schemas.name), credential_schemas.version, lower(multisig_requirements.rule_name), multisig_requirements.created_at").
		Find(&rs).Error
	return rs, err
}

// Requirement finds one of the organization's requirements.
func (s *Scoped) Requirement(ctx context.Context, id string) (*MultisigRequirement, error) {
	return s.requirement(s.db.WithContext(ctx), id)
}

func (s *Scoped) requirement(tx *gorm.DB, id string) (*MultisigRequirement, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var r MultisigRequirement
	err := s.requirements(tx).Preload("Schema").First(&r, "multisig_requirements.id = ?", id).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// checkRequirement validates c; FieldErrors keys are the form's: schema_id,
// rule_name, required, approver_roles, approver_user_ids.
func (s *Scoped) checkRequirement(tx *gorm.DB, c RequirementChange) error {
	fe := FieldErrors{}
	if !validUUID(c.SchemaID) {
		fe["schema_id"] = "Choose a credential schema."
	} else {
		var n int64
		if err := s.tenant(tx, &CredentialSchema{}).Where("id = ?", c.SchemaID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			fe["schema_id"] = "Choose a credential schema."
		}
	}
	if len([]rune(c.RuleName)) > 100 {
		fe["rule_name"] = "At most 100 characters."
	}
	if err := s.checkApprovers(tx, fe, "", c.ApproverRoles, c.ApproverUserIDs, c.RequiredSignatures); err != nil {
		return err
	}
	if len(fe) > 0 {
		return fmt.Errorf("store: invalid approval rule: %w", fe)
	}
	return nil
}

// CreateRequirement adds a multi-signature requirement to one of the
// organization's schemas, audited. Invalid input is FieldErrors.
func (s *Scoped) CreateRequirement(ctx context.Context, c RequirementChange, actor Actor) (*MultisigRequirement, error) {
	c.RuleName = strings.TrimSpace(c.RuleName)
	var r *MultisigRequirement
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.checkRequirement(tx, c); err != nil {
			return err
		}
		r = &MultisigRequirement{SchemaID: c.SchemaID, RuleName: c.RuleName, RequiredSignatures: c.RequiredSignatures,
			ApproverRoles: datatypes.NewJSONSlice(c.ApproverRoles), ApproverUserIDs: datatypes.NewJSONSlice(c.ApproverUserIDs), Active: c.Active}
		if err := Validate(r); err != nil {
			return err
		}
		// Active false must be written: the column defaults to true.
		if err := tx.Select("*").Create(r).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "approval_rule.created", "multisig_requirement", r.ID, AuditDetails{
			Summary: "Added the approval rule " + requirementLabel(r) + ": " + requirementSummary(r)})
	})
	if err != nil {
		return nil, err
	}
	return s.Requirement(ctx, r.ID)
}

// UpdateRequirement changes a requirement, audited with what changed.
func (s *Scoped) UpdateRequirement(ctx context.Context, id string, c RequirementChange, actor Actor) (*MultisigRequirement, error) {
	c.RuleName = strings.TrimSpace(c.RuleName)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		old, err := s.requirement(tx, id)
		if err != nil {
			return err
		}
		if err := s.checkRequirement(tx, c); err != nil {
			return err
		}
		r := *old
		r.Schema = nil
		r.SchemaID, r.RuleName, r.RequiredSignatures, r.Active = c.SchemaID, c.RuleName, c.RequiredSignatures, c.Active
		r.ApproverRoles, r.ApproverUserIDs = datatypes.NewJSONSlice(c.ApproverRoles), datatypes.NewJSONSlice(c.ApproverUserIDs)
		emptyIfNil(&r.ApproverRoles)
		emptyIfNil(&r.ApproverUserIDs)
		if err := Validate(&r); err != nil {
			return err
		}
		if err := tx.Model(&MultisigRequirement{ID: r.ID}).Select("schema_id", "rule_name", "required_signatures", "approver_roles", "approver_user_ids", "active").
			Updates(&r).Error; err != nil {
			return err
		}
		changes := requirementChanges(old, &r)
		if len(changes) == 0 {
			return nil // saved as it was: nothing to record
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "approval_rule.updated", "multisig_requirement", r.ID, AuditDetails{
			Summary: "Changed the approval rule " + requirementLabel(&r), Changes: changes})
	})
	if err != nil {
		return nil, err
	}
	return s.Requirement(ctx, id)
}

// SetRequirementActive switches a requirement on or off, audited. Switching
// it on checks it again: its approvers may have left since.
func (s *Scoped) SetRequirementActive(ctx context.Context, id string, active bool, actor Actor) (*MultisigRequirement, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, err := s.requirement(tx, id)
		if err != nil {
			return err
		}
		if r.Active == active {
			return nil
		}
		if active {
			if err := s.checkRequirement(tx, RequirementChange{SchemaID: r.SchemaID, RuleName: r.RuleName, RequiredSignatures: r.RequiredSignatures,
				ApproverRoles: r.ApproverRoles, ApproverUserIDs: r.ApproverUserIDs}); err != nil {
				return err
			}
		}
		if err := tx.Model(&MultisigRequirement{ID: r.ID}).Update("active", active).Error; err != nil {
			return err
		}
		action, verb := "approval_rule.deactivated", "Deactivated"
		if active {
			action, verb = "approval_rule.activated", "Activated"
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, action, "multisig_requirement", r.ID, AuditDetails{Summary: verb + " the approval rule " + requirementLabel(r)})
	})
	if err != nil {
		return nil, err
	}
	return s.Requirement(ctx, id)
}

// DeleteRequirement removes a requirement, audited.
func (s *Scoped) DeleteRequirement(ctx context.Context, id string, actor Actor) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, err := s.requirement(tx, id)
		if err != nil {
			return err
		}
		if err := tx.Delete(&MultisigRequirement{}, "id = ?", r.ID).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "approval_rule.deleted", "multisig_requirement", r.ID, AuditDetails{
			Summary: "Deleted the approval rule " + requirementLabel(r) + ": " + requirementSummary(r)})
	})
}

// requirementLabel names a requirement in the audit log: its name or its
// schema's.
func requirementLabel(r *MultisigRequirement) string {
	if r.RuleName != "" {
		return strconv.Quote(r.RuleName)
	}
	if r.Schema != nil {
		return "of " + strconv.Quote(r.Schema.Name)
	}
	return r.ID
}

func requirementSummary(r *MultisigRequirement) string {
	return fmt.Sprintf("%d of %s", r.RequiredSignatures, approversText(r.ApproverRoles, r.ApproverUserIDs))
}

func approversText(roles []Role, people []string) string {
	var parts []string
	for _, r := range roles {
		parts = append(parts, string(r)+"s")
	}
	if len(people) == 1 {
		parts = append(parts, "1 named person")
	} else if len(people) > 1 {
		parts = append(parts, strconv.Itoa(len(people))+" named people")
	}
	return strings.Join(parts, ", ")
}

func requirementChanges(a, b *MultisigRequirement) []FieldChange {
	var out []FieldChange
	add := func(field, from, to string) {
		if from != to {
			out = append(out, FieldChange{Field: field, From: from, To: to})
		}
	}
	add("schema_id", a.SchemaID, b.SchemaID)
	add("rule_name", a.RuleName, b.RuleName)
	add("required_signatures", strconv.Itoa(a.RequiredSignatures), strconv.Itoa(b.RequiredSignatures))
	add("approver_roles", rolesText(a.ApproverRoles), rolesText(b.ApproverRoles))
	add("approver_user_ids", strings.Join(a.ApproverUserIDs, ", "), strings.Join(b.ApproverUserIDs, ", "))
	add("active", strconv.FormatBool(a.Active), strconv.FormatBool(b.Active))
	return out
}

func rolesText(rs []Role) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// ---- approval workflows ----

// WorkflowChange is a workflow as a form sets it.
type WorkflowChange struct {
	Name                   string
	Type                   WorkflowType
	SchemaID               string // credential_issuance only; "" for every schema
	Steps                  []WorkflowStep
	AutoApproveThreshold   int // 0: the sum of the steps' counts (every step runs)
	EscalationEnabled      bool
	EscalationTimeoutHours int
	BulkSampleSize         int
	Active                 bool
}

// ApprovalWorkflows lists the organization's workflows by type, then name.
func (s *Scoped) ApprovalWorkflows(ctx context.Context) ([]ApprovalWorkflow, error) {
	var ws []ApprovalWorkflow
	err := s.q(ctx, &ApprovalWorkflow{}).Order("workflow_type, lower(workflow_name), created_at").Find(&ws).Error
	return ws, err
}

// ApprovalWorkflow finds one of the organization's workflows.
func (s *Scoped) ApprovalWorkflow(ctx context.Context, id string) (*ApprovalWorkflow, error) {
	return s.workflow(s.db.WithContext(ctx), id)
}

func (s *Scoped) workflow(tx *gorm.DB, id string) (*ApprovalWorkflow, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var w ApprovalWorkflow
	if err := s.tenant(tx, &w).First(&w, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	return &w, nil
}

// IssuanceWorkflow is the active credential_issuance workflow that applies
// to a credential of schemaID: the schema's own, or else the
// organization's workflow for every schema; ErrNotFound when neither.
func (s *Scoped) IssuanceWorkflow(ctx context.Context, schemaID string) (*ApprovalWorkflow, error) {
	w, err := s.issuanceWorkflow(s.db.WithContext(ctx), schemaID)
	if err == nil && w == nil {
		err = ErrNotFound
	}
	return w, err
}

// WorkflowStepKey is the FieldErrors key prefix of step i (0-based):
// "steps.0." and then approver_roles, approver_user_ids, required,
// deadline_hours or name.
func WorkflowStepKey(i int) string { return "steps." + strconv.Itoa(i) + "." }

// checkWorkflow validates c (trimming it); FieldErrors keys are the form's:
// name, workflow_type, schema_id, steps, steps.N.*, auto_approve_threshold,
// escalation_timeout_hours, bulk_sample_size, active.
func (s *Scoped) checkWorkflow(tx *gorm.DB, id string, c *WorkflowChange) error {
	fe := FieldErrors{}
	c.Name = strings.TrimSpace(c.Name)
	switch n := len([]rune(c.Name)); {
	case n == 0:
		fe["name"] = "Give the workflow a name, e.g. “Degree issuance”."
	case n > 200:
		fe["name"] = "At most 200 characters."
	}
	if !c.Type.Valid() {
		fe["workflow_type"] = "Choose what the workflow approves."
	}
	if c.SchemaID != "" {
		if c.Type != WorkflowCredentialIssuance {
			fe["schema_id"] = "Only a credential issuance workflow applies to one schema."
		} else {
			var n int64
			if !validUUID(c.SchemaID) {
				fe["schema_id"] = "Choose a credential schema, or every schema."
			} else if err := s.tenant(tx, &CredentialSchema{}).Where("id = ?", c.SchemaID).Count(&n).Error; err != nil {
				return err
			} else if n == 0 {
				fe["schema_id"] = "Choose a credential schema, or every schema."
			}
		}
	}
	switch {
	case len(c.Steps) == 0:
		fe["steps"] = "Add at least one step."
	case len(c.Steps) > MaxWorkflowSteps:
		fe["steps"] = fmt.Sprintf("A workflow has at most %d steps.", MaxWorkflowSteps)
	}
	total := 0
	for i := range c.Steps {
		st := &c.Steps[i]
		k := WorkflowStepKey(i)
		st.Name = strings.TrimSpace(st.Name)
		if len([]rune(st.Name)) > 100 {
			fe[k+"name"] = "At most 100 characters."
		}
		if st.DeadlineHours < 0 || st.DeadlineHours > MaxDeadlineHours {
			fe[k+"deadline_hours"] = fmt.Sprintf("Between 1 and %d hours, or empty for no deadline.", MaxDeadlineHours)
		}
		if err := s.checkApprovers(tx, fe, k, st.ApproverRoles, st.ApproverUserIDs, st.RequiredApprovals); err != nil {
			return err
		}
		total += st.RequiredApprovals
	}
	if c.AutoApproveThreshold == 0 {
		c.AutoApproveThreshold = max(total, 1)
	}
	if len(c.Steps) > 0 && c.Steps[0].RequiredApprovals >= 1 && total >= 1 &&
		(c.AutoApproveThreshold < c.Steps[0].RequiredApprovals || c.AutoApproveThreshold > total) {
		fe["auto_approve_threshold"] = fmt.Sprintf("Between %d (the first step's approvals) and %d (every step's), or empty to run every step.",
			c.Steps[0].RequiredApprovals, total)
	}
	if c.EscalationEnabled && (c.EscalationTimeoutHours < 1 || c.EscalationTimeoutHours > MaxDeadlineHours) {
		fe["escalation_timeout_hours"] = fmt.Sprintf("Between 1 and %d hours.", MaxDeadlineHours)
	}
	if !c.EscalationEnabled && (c.EscalationTimeoutHours < 1 || c.EscalationTimeoutHours > MaxDeadlineHours) {
		c.EscalationTimeoutHours = 24
	}
	if c.BulkSampleSize < 0 || c.BulkSampleSize > 1000 {
		fe["bulk_sample_size"] = "Between 0 and 1000 rows."
	}
	if c.Active && c.Type == WorkflowCredentialIssuance && fe["schema_id"] == "" {
		q := s.tenant(tx, &ApprovalWorkflow{}).Where("active AND workflow_type = ?", WorkflowCredentialIssuance)
		if id != "" {
			q = q.Where("id <> ?", id)
		}
		if c.SchemaID == "" {
			q = q.Where("schema_id IS NULL")
		} else {
			q = q.Where("schema_id = ?", c.SchemaID)
		}
		var other ApprovalWorkflow
		err := q.Limit(1).Find(&other).Error
		if err != nil {
			return err
		}
		if other.ID != "" {
			fe["active"] = fmt.Sprintf("The active workflow “%s” already approves the issuance of %s. Deactivate it first, or save this one inactive.",
				other.WorkflowName, map[bool]string{true: "every schema", false: "this schema"}[c.SchemaID == ""])
		}
	}
	if len(fe) > 0 {
		return fmt.Errorf("store: invalid approval workflow: %w", fe)
	}
	return nil
}

func (c *WorkflowChange) apply(w *ApprovalWorkflow) {
	w.WorkflowName, w.WorkflowType, w.Steps = c.Name, c.Type, datatypes.NewJSONSlice(slices.Clone(c.Steps))
	emptyIfNil(&w.Steps)
	w.AutoApproveThreshold, w.EscalationEnabled, w.EscalationTimeoutHours = c.AutoApproveThreshold, c.EscalationEnabled, c.EscalationTimeoutHours
	w.BulkSampleSize, w.Active = c.BulkSampleSize, c.Active
	w.SchemaID = nil
	if c.SchemaID != "" {
		id := c.SchemaID
		w.SchemaID = &id
	}
}

// activeIssuanceTaken maps the unique index on active issuance workflows
// (two admins saving at once) to the form's error.
func activeIssuanceTaken(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return fmt.Errorf("store: invalid approval workflow: %w",
			FieldErrors{"active": "Another active workflow already approves the issuance of this schema. Deactivate it first, or save this one inactive."})
	}
	return err
}

// CreateApprovalWorkflow adds a workflow, audited. Invalid input is
// FieldErrors.
func (s *Scoped) CreateApprovalWorkflow(ctx context.Context, c WorkflowChange, actor Actor) (*ApprovalWorkflow, error) {
	w := &ApprovalWorkflow{OrganizationID: s.orgID}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.checkWorkflow(tx, "", &c); err != nil {
			return err
		}
		c.apply(w)
		if err := Validate(w); err != nil {
			return err
		}
		if err := tx.Select("*").Create(w).Error; err != nil {
			return activeIssuanceTaken(err)
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "approval_workflow.created", "approval_workflow", w.ID, AuditDetails{
			Summary: fmt.Sprintf("Added the %s workflow %q with %d steps", w.WorkflowType, w.WorkflowName, len(w.Steps))})
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// UpdateApprovalWorkflow changes a workflow, audited with what changed.
func (s *Scoped) UpdateApprovalWorkflow(ctx context.Context, id string, c WorkflowChange, actor Actor) (*ApprovalWorkflow, error) {
	var w *ApprovalWorkflow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		old, err := s.workflow(tx, id)
		if err != nil {
			return err
		}
		if err := s.checkWorkflow(tx, old.ID, &c); err != nil {
			return err
		}
		nw := *old
		c.apply(&nw)
		if err := Validate(&nw); err != nil {
			return err
		}
		if err := tx.Model(&ApprovalWorkflow{ID: nw.ID}).Select("workflow_name", "workflow_type", "schema_id", "steps", "auto_approve_threshold",
			"escalation_enabled", "escalation_timeout_hours", "bulk_sample_size", "active").Updates(&nw).Error; err != nil {
			return activeIssuanceTaken(err)
		}
		w = &nw
		changes := workflowChanges(old, &nw)
		if len(changes) == 0 {
			return nil // saved as it was: nothing to record
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "approval_workflow.updated", "approval_workflow", nw.ID, AuditDetails{
			Summary: fmt.Sprintf("Changed the workflow %q", nw.WorkflowName), Changes: changes})
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// SetApprovalWorkflowActive switches a workflow on or off, audited.
// Switching it on checks it again (approvers may have left, another
// workflow may have taken its schema).
func (s *Scoped) SetApprovalWorkflowActive(ctx context.Context, id string, active bool, actor Actor) (*ApprovalWorkflow, error) {
	var out *ApprovalWorkflow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w, err := s.workflow(tx, id)
		if err != nil {
			return err
		}
		out = w
		if w.Active == active {
			return nil
		}
		if active {
			c := workflowChangeOf(w)
			c.Active = true
			if err := s.checkWorkflow(tx, w.ID, &c); err != nil {
				return err
			}
		}
		if err := tx.Model(&ApprovalWorkflow{ID: w.ID}).Update("active", active).Error; err != nil {
			return activeIssuanceTaken(err)
		}
		w.Active = active
		action, verb := "approval_workflow.deactivated", "Deactivated"
		if active {
			action, verb = "approval_workflow.activated", "Activated"
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, action, "approval_workflow", w.ID, AuditDetails{Summary: fmt.Sprintf("%s the workflow %q", verb, w.WorkflowName)})
	})
	return out, err
}

// workflowChangeOf is w as a form would set it.
func workflowChangeOf(w *ApprovalWorkflow) WorkflowChange {
	c := WorkflowChange{Name: w.WorkflowName, Type: w.WorkflowType, Steps: slices.Clone(w.Steps), AutoApproveThreshold: w.AutoApproveThreshold,
		EscalationEnabled: w.EscalationEnabled, EscalationTimeoutHours: w.EscalationTimeoutHours, BulkSampleSize: w.BulkSampleSize, Active: w.Active}
	if w.SchemaID != nil {
		c.SchemaID = *w.SchemaID
	}
	return c
}

// WorkflowChangeOf is w as a change: saving it as it is changes nothing.
func WorkflowChangeOf(w *ApprovalWorkflow) WorkflowChange { return workflowChangeOf(w) }

// DeleteApprovalWorkflow removes a workflow no request went through,
// audited; ErrWorkflowInUse when one did (deleting it would delete their
// history too: deactivate it instead).
func (s *Scoped) DeleteApprovalWorkflow(ctx context.Context, id string, actor Actor) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w, err := s.workflow(tx, id)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&WorkflowInstance{}).Where("workflow_id = ?", w.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrWorkflowInUse
		}
		if err := s.tenant(tx, &ApprovalWorkflow{}).Where("id = ?", w.ID).Delete(&ApprovalWorkflow{}).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "approval_workflow.deleted", "approval_workflow", w.ID, AuditDetails{Summary: fmt.Sprintf("Deleted the workflow %q", w.WorkflowName)})
	})
}

func workflowChanges(a, b *ApprovalWorkflow) []FieldChange {
	var out []FieldChange
	add := func(field, from, to string) {
		if from != to {
			out = append(out, FieldChange{Field: field, From: from, To: to})
		}
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	add("workflow_name", a.WorkflowName, b.WorkflowName)
	add("workflow_type", string(a.WorkflowType), string(b.WorkflowType))
	add("schema_id", str(a.SchemaID), str(b.SchemaID))
	add("steps", stepsText(a.Steps), stepsText(b.Steps))
	add("auto_approve_threshold", strconv.Itoa(a.AutoApproveThreshold), strconv.Itoa(b.AutoApproveThreshold))
	add("escalation_enabled", strconv.FormatBool(a.EscalationEnabled), strconv.FormatBool(b.EscalationEnabled))
	add("escalation_timeout_hours", strconv.Itoa(a.EscalationTimeoutHours), strconv.Itoa(b.EscalationTimeoutHours))
	add("bulk_sample_size", strconv.Itoa(a.BulkSampleSize), strconv.Itoa(b.BulkSampleSize))
	add("active", strconv.FormatBool(a.Active), strconv.FormatBool(b.Active))
	return out
}

func stepsText(steps []WorkflowStep) string {
	parts := make([]string, len(steps))
	for i, st := range steps {
		parts[i] = fmt.Sprintf("%d. %d of %s", i+1, st.RequiredApprovals, approversText(st.ApproverRoles, st.ApproverUserIDs))
		if st.DeadlineHours > 0 {
			parts[i] += fmt.Sprintf(" within %dh", st.DeadlineHours)
		}
	}
	return strings.Join(parts, "; ")
}

// ---- the organization's approval policy ----

// StepUp is approval_policies.step_up: what an approver re-enters to
// approve.
type StepUp string

const (
	StepUpNone     StepUp = "none"
	StepUpPassword StepUp = "password"
	StepUpTOTP     StepUp = "totp"
)

// Valid reports whether s is one of the values the database accepts.
func (s StepUp) Valid() bool {
	switch s {
	case StepUpNone, StepUpPassword, StepUpTOTP:
		return true
	}
	return false
}

// ApprovalPolicy is an organization's approval settings (00023): whether a
// revocation or a suspension needs a second person's approval (four eyes),
// and what an approver re-enters to approve. No row means everything off.
type ApprovalPolicy struct {
	ID                 string
	OrganizationID     string
	FourEyesRevocation bool
	FourEyesSuspension bool
	StepUp             StepUp `gorm:"default:none" validate:"required,oneof=none password totp"`
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (ApprovalPolicy) TableName() string { return "approval_policies" }

func (p *ApprovalPolicy) BeforeCreate(*gorm.DB) error { return newID(&p.ID) }

// ApprovalPolicy is the organization's approval policy: the stored one, or
// everything off (StepUpNone) when it never saved one. The approval runtime
// reads it before a revocation, a suspension or an approval.
func (s *Scoped) ApprovalPolicy(ctx context.Context) (ApprovalPolicy, error) {
	var ps []ApprovalPolicy
	if err := s.q(ctx, &ApprovalPolicy{}).Limit(1).Find(&ps).Error; err != nil {
		return ApprovalPolicy{}, err
	}
	if len(ps) == 0 {
		return ApprovalPolicy{OrganizationID: s.orgID, StepUp: StepUpNone}, nil
	}
	return ps[0], nil
}

// SaveApprovalPolicy stores the organization's approval policy, audited
// with what changed. An unknown step-up is FieldErrors{"step_up"}.
func (s *Scoped) SaveApprovalPolicy(ctx context.Context, p ApprovalPolicy, actor Actor) (ApprovalPolicy, error) {
	if !p.StepUp.Valid() {
		return ApprovalPolicy{}, fmt.Errorf("store: invalid approval policy: %w",
			FieldErrors{"step_up": "Choose none, password or authenticator code."})
	}
	var out ApprovalPolicy
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ps []ApprovalPolicy
		if err := lockRow(s.tenant(tx, &ApprovalPolicy{}), s.dial).Limit(1).Find(&ps).Error; err != nil {
			return err
		}
		old := ApprovalPolicy{StepUp: StepUpNone}
		out = ApprovalPolicy{OrganizationID: s.orgID, FourEyesRevocation: p.FourEyesRevocation, FourEyesSuspension: p.FourEyesSuspension, StepUp: p.StepUp}
		if len(ps) == 0 {
			if err := tx.Create(&out).Error; err != nil {
				if errors.Is(err, gorm.ErrDuplicatedKey) {
					return fmt.Errorf("store: approval policy saved at the same time: %w", err)
				}
				return err
			}
		} else {
			old = ps[0]
			out.ID, out.CreatedAt = old.ID, old.CreatedAt
			if err := tx.Model(&ApprovalPolicy{ID: old.ID}).Select("four_eyes_revocation", "four_eyes_suspension", "step_up", "updated_at").
				Updates(&out).Error; err != nil {
				return err
			}
		}
		var changes []FieldChange
		add := func(field, from, to string) {
			if from != to {
				changes = append(changes, FieldChange{Field: field, From: from, To: to})
			}
		}
		add("four_eyes_revocation", strconv.FormatBool(old.FourEyesRevocation), strconv.FormatBool(out.FourEyesRevocation))
		add("four_eyes_suspension", strconv.FormatBool(old.FourEyesSuspension), strconv.FormatBool(out.FourEyesSuspension))
		add("step_up", string(old.StepUp), string(out.StepUp))
		if len(changes) == 0 {
			return nil
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "approval_policy.updated", "organization", s.orgID, AuditDetails{Summary: "Changed the approval policy", Changes: changes})
	})
	return out, err
}

// ---- delegations ----

// ApprovalDelegation is an approver's delegate for a date range (00023):
// from StartsAt until EndsAt (exclusive), DelegateID may decide in
// UserID's place; the runtime records such a decision as "delegate acting
// for user".
type ApprovalDelegation struct {
	ID             string
	OrganizationID string
	UserID         string
	DelegateID     string
	StartsAt       time.Time
	EndsAt         time.Time
	CreatedAt      time.Time

	Delegate *User `gorm:"foreignKey:DelegateID" validate:"-"`
}

func (ApprovalDelegation) TableName() string { return "approval_delegations" }

func (d *ApprovalDelegation) BeforeCreate(*gorm.DB) error { return newID(&d.ID) }

// MaxDelegationDays is the longest delegation.
const MaxDelegationDays = 366

// Delegations lists userID's delegations that have not ended at now, the
// soonest first, with their delegate.
func (s *Scoped) Delegations(ctx context.Context, userID string, now time.Time) ([]ApprovalDelegation, error) {
	var ds []ApprovalDelegation
	err := s.q(ctx, &ApprovalDelegation{}).Preload("Delegate").
		Where("user_id = ? AND ends_at > ?", userID, now.UTC()).Order("starts_at, id").Find(&ds).Error
	return ds, err
}

// CreateDelegation names delegateID as userID's delegate from starts until
// ends, audited. FieldErrors keys: delegate_id, starts_at, ends_at. The
// delegate must be another active approver of the organization who is not
// away themselves then; the range must end after it starts and after now,
// last at most MaxDelegationDays and not overlap another of userID's.
func (s *Scoped) CreateDelegation(ctx context.Context, userID, delegateID string, starts, ends, now time.Time, actor Actor) (*ApprovalDelegation, error) {
	starts, ends = starts.UTC(), ends.UTC()
	var d *ApprovalDelegation
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := s.member(tx, userID); err != nil {
			return err
		}
		fe := FieldErrors{}
		var delegate User
		switch {
		case delegateID == userID:
			fe["delegate_id"] = "Choose someone else: you cannot be your own delegate."
		case !validUUID(delegateID):
			fe["delegate_id"] = "Choose a delegate from the list."
		default:
			err := activeMembers(s.tenant(tx, &User{})).Where("users.id = ? AND users.role IN ?", delegateID, ApproverRoles).Limit(1).Find(&delegate).Error
			if err != nil {
				return err
			}
			if delegate.ID == "" {
				fe["delegate_id"] = "Your delegate must be an active reviewer, admin or issuer of your organization."
			}
		}
		switch {
		case !ends.After(starts):
			fe["ends_at"] = "The end must come after the start."
		case !ends.After(now):
			fe["ends_at"] = "The end must be in the future."
		case ends.Sub(starts) > MaxDelegationDays*24*time.Hour:
			fe["ends_at"] = fmt.Sprintf("A delegation lasts at most %d days.", MaxDelegationDays)
		}
		if len(fe) == 0 {
			var clash ApprovalDelegation
			err := s.tenant(tx, &ApprovalDelegation{}).Where("user_id = ? AND starts_at < ? AND ends_at > ?", userID, ends, starts).
				Limit(1).Find(&clash).Error
			if err != nil {
				return err
			}
			if clash.ID != "" {
				fe["starts_at"] = "You already have a delegate for part of this time: delete that delegation first, or choose other dates."
			}
			var away ApprovalDelegation
			err = s.tenant(tx, &ApprovalDelegation{}).Where("user_id = ? AND starts_at < ? AND ends_at > ?", delegateID, ends, starts).
				Limit(1).Find(&away).Error
			if err != nil {
				return err
			}
			if away.ID != "" {
				fe["delegate_id"] = approverOf(&delegate).Label() + " is away for part of this time themselves: choose someone else."
			}
		}
		if len(fe) > 0 {
			return fmt.Errorf("store: invalid delegation: %w", fe)
		}
		d = &ApprovalDelegation{OrganizationID: s.orgID, UserID: userID, DelegateID: delegateID, StartsAt: starts, EndsAt: ends}
		if err := tx.Create(d).Error; err != nil {
			return err
		}
		d.Delegate = &delegate
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "approval_delegation.created", "user", userID, AuditDetails{
			Summary: fmt.Sprintf("Named %s as delegate from %s to %s", delegate.Email, starts.Format(time.RFC3339), ends.Format(time.RFC3339)),
			Extra:   map[string]string{"delegate_id": delegateID, "delegation_id": d.ID}})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DeleteDelegation removes one of userID's delegations, audited;
// ErrNotFound for anyone else's.
func (s *Scoped) DeleteDelegation(ctx context.Context, userID, id string, actor Actor) error {
	if !validUUID(id) {
		return ErrNotFound
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d ApprovalDelegation
		if err := s.tenant(tx, &d).First(&d, "id = ? AND user_id = ?", id, userID).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Delete(&ApprovalDelegation{}, "id = ?", d.ID).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "approval_delegation.deleted", "user", userID, AuditDetails{Summary: "Removed a delegation",
			Extra: map[string]string{"delegate_id": d.DelegateID, "delegation_id": d.ID}})
	})
}

// ActiveDelegate is the person who decides in userID's place at the time
// at: their delegate of a delegation running then, still an active
// approver of the organization; nil when there is none.
func (s *Scoped) ActiveDelegate(ctx context.Context, userID string, at time.Time) (*User, error) {
	return s.activeDelegate(s.db.WithContext(ctx), userID, at)
}

// activeDelegate is ActiveDelegate in tx.
func (s *Scoped) activeDelegate(tx *gorm.DB, userID string, at time.Time) (*User, error) {
	if !validUUID(userID) {
		return nil, nil
	}
	var d ApprovalDelegation
	err := s.tenant(tx, &ApprovalDelegation{}).Where("user_id = ? AND starts_at <= ? AND ends_at > ?", userID, at.UTC(), at.UTC()).
		Order("starts_at DESC").Limit(1).Find(&d).Error
	if err != nil || d.ID == "" {
		return nil, err
	}
	var u User
	err = activeMembers(s.tenant(tx, &User{})).Where("users.id = ? AND users.role IN ?", d.DelegateID, ApproverRoles).Limit(1).Find(&u).Error
	if err != nil || u.ID == "" {
		return nil, err
	}
	return &u, nil
}

// ---- who the configuration needs ----

// RoleNeed is an active requirement or workflow step that a member's role
// change or deactivation would leave without enough approvers.
type RoleNeed struct {
	What     string // "the approval rule “Registrar” of Bachelor of Science", "step 2 of the workflow “Degree issuance”"
	Required int
	Left     int // eligible approvers after the change
	Waiting  int // pending requests it judges now (of the rule's schema, at the step), up to MaxPendingCount
}

// countWaiting counts the requests of q (an inboxWhere) in tx, up to
// MaxPendingCount.
func countWaiting(tx, q *gorm.DB) (int, error) {
	var n int64
	err := tx.Table("(?) AS waiting", q.Select("approval_requests.id").Limit(MaxPendingCount)).Count(&n).Error
	return int(n), err
}

// ApproversLost lists the active requirements and workflow steps that
// would have fewer eligible approvers than they require if memberID lost
// their role (newRole; "" for a deactivation): what the members page warns
// about before the change.
func (s *Scoped) ApproversLost(ctx context.Context, memberID string, newRole Role) ([]RoleNeed, error) {
	m, err := s.Member(ctx, memberID)
	if err != nil {
		return nil, err
	}
	if m.Status() != MemberActive {
		return nil, nil
	}
	tx := s.db.WithContext(ctx)
	// needs reports whether a rule or step counts the member now and not
	// after, and how many would be left.
	left := func(roles []Role, people []string) (bool, int, error) {
		before := slices.Contains(roles, m.Role) || slices.Contains(people, m.ID)
		after := newRole != "" && (slices.Contains(roles, newRole) || slices.Contains(people, m.ID)) && slices.Contains(ApproverRoles, newRole)
		if !before || after {
			return false, 0, nil
		}
		n, err := s.eligible(tx, roles, people)
		return true, n - 1, err
	}
	var out []RoleNeed
	rs, err := s.Requirements(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if !r.Active {
			continue
		}
		hit, n, err := left(r.ApproverRoles, r.ApproverUserIDs)
		if err != nil {
			return nil, err
		}
		if hit && n < r.RequiredSignatures {
			what := "an approval rule"
			if r.RuleName != "" {
				what = "the approval rule “" + r.RuleName + "”"
			}
			if r.Schema != nil {
				what += " of " + r.Schema.Name
			}
			waiting, err := countWaiting(tx, s.inboxWhere(tx, InboxFilter{SchemaID: r.SchemaID}))
			if err != nil {
				return nil, err
			}
			out = append(out, RoleNeed{What: what, Required: r.RequiredSignatures, Left: n, Waiting: waiting})
		}
	}
	ws, err := s.ApprovalWorkflows(ctx)
	if err != nil {
		return nil, err
	}
	for _, w := range ws {
		if !w.Active {
			continue
		}
		for i, st := range w.Steps {
			hit, n, err := left(st.ApproverRoles, st.ApproverUserIDs)
			if err != nil {
				return nil, err
			}
			if hit && n < st.RequiredApprovals {
				waiting := 0
				if w.WorkflowType == WorkflowCredentialIssuance {
					q := s.inboxWhere(tx, InboxFilter{Step: i + 1}).Where("EXISTS (SELECT 1 FROM workflow_instances wi WHERE wi.resource_type = 'credential'"+
						" AND wi.resource_id = approval_requests.credential_id AND wi.workflow_id = ?)", w.ID)
					if waiting, err = countWaiting(tx, q); err != nil {
						return nil, err
					}
				}
				out = append(out, RoleNeed{What: fmt.Sprintf("step %d of the workflow “%s”", i+1, w.WorkflowName), Required: st.RequiredApprovals,
					Left: n, Waiting: waiting})
			}
		}
	}
	return out, nil
}
