package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// approvalOrg is an organization with a degree schema, an admin, two
// reviewers, an issuer, a verifier, a deactivated reviewer and an invited
// one (neither of whom may approve).
type approvalOrg struct {
	org               *store.Organization
	s                 *store.Scoped
	schema            *store.CredentialSchema
	admin, rev1, rev2 *store.User
	issuer, verifier  *store.User
	gone, invited     *store.User
}

func newApprovalOrg(t *testing.T, db *store.DB, slug string) *approvalOrg {
	t.Helper()
	ctx := context.Background()
	o := org(t, db, slug)
	a := &approvalOrg{org: o, s: db.Scoped(o.ID)}
	a.admin = member(t, db, o, "admin@"+slug+".test", "Ada Admin", store.RoleAdmin)
	a.rev1 = member(t, db, o, "rita@"+slug+".test", "Rita Reviewer", store.RoleReviewer)
	a.rev2 = member(t, db, o, "paul@"+slug+".test", "Paul Reviewer", store.RoleReviewer)
	a.issuer = member(t, db, o, "ian@"+slug+".test", "Ian Issuer", store.RoleIssuer)
	a.verifier = member(t, db, o, "vera@"+slug+".test", "Vera Verifier", store.RoleVerifier)
	a.gone = member(t, db, o, "gone@"+slug+".test", "Gone Reviewer", store.RoleReviewer)
	if err := store.Gorm(db).Model(a.gone).Update("deactivated_at", time.Now()).Error; err != nil {
		t.Fatal(err)
	}
	a.invited = &store.User{Email: "new@" + slug + ".test", OrganizationID: &o.ID, Role: store.RoleReviewer}
	if err := db.CreateUser(ctx, a.invited, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	cs, err := a.s.CreateSchema(ctx, schemaChange("Degree", "1.0", "degree"), actor)
	if err != nil {
		t.Fatal(err)
	}
	a.schema = cs
	return a
}

func TestRequirementsCRUDAndRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApprovalOrg(t, db, "uni")
		reviewers := []store.Role{store.RoleReviewer}

		// 2 of the reviewers: exactly the two active ones (the deactivated
		// and the invited reviewer do not count).
		r, err := a.s.CreateRequirement(ctx, store.RequirementChange{SchemaID: a.schema.ID, RuleName: " Registrar ", RequiredSignatures: 2,
			ApproverRoles: reviewers, Active: true}, actorOf(a.admin))
		if err != nil {
			t.Fatal(err)
		}
		if r.RuleName != "Registrar" || r.Schema == nil || r.Schema.Name != "Degree" || !r.Active || auditCount(t, db, "approval_rule.created", r.ID) != 1 {
			t.Fatalf("created %+v", r)
		}
		// 3 reviewers are not there.
		_, err = a.s.CreateRequirement(ctx, store.RequirementChange{SchemaID: a.schema.ID, RequiredSignatures: 3, ApproverRoles: reviewers, Active: true}, actor)
		if got := fieldError(err, "required"); got != "3 approvals are required but only 2 people hold the reviewer role." {
			t.Fatalf("3 of 2 reviewers: %q (%v)", got, err)
		}
		// Naming the issuer makes three people.
		r2, err := a.s.CreateRequirement(ctx, store.RequirementChange{SchemaID: a.schema.ID, RuleName: "Dean", RequiredSignatures: 3,
			ApproverRoles: reviewers, ApproverUserIDs: []string{a.issuer.ID}, Active: false}, actor)
		if err != nil {
			t.Fatal(err)
		}
		if r2.Active {
			t.Fatal("saved inactive, read active")
		}
		// Naming a reviewer who already holds the role counts them once.
		_, err = a.s.CreateRequirement(ctx, store.RequirementChange{SchemaID: a.schema.ID, RequiredSignatures: 3, ApproverRoles: reviewers,
			ApproverUserIDs: []string{a.rev1.ID}}, actor)
		if got := fieldError(err, "required"); got != "3 approvals are required but only 2 people hold the reviewer role or are named." {
			t.Fatalf("named reviewer counted twice: %q", got)
		}
		// One person named, two required.
		_, err = a.s.CreateRequirement(ctx, store.RequirementChange{SchemaID: a.schema.ID, RequiredSignatures: 2, ApproverUserIDs: []string{a.admin.ID}}, actor)
		if got := fieldError(err, "required"); got != "2 approvals are required but only 1 person is named." {
			t.Fatalf("one named: %q", got)
		}

		other := newApprovalOrg(t, db, "other")
		bad := []struct {
			name, key string
			c         store.RequirementChange
		}{
			{"no approvers", "approver_roles", store.RequirementChange{SchemaID: a.schema.ID, RequiredSignatures: 1}},
			{"zero required", "required", store.RequirementChange{SchemaID: a.schema.ID, RequiredSignatures: 0, ApproverRoles: reviewers}},
			{"recipient role", "approver_roles", store.RequirementChange{SchemaID: a.schema.ID, RequiredSignatures: 1, ApproverRoles: []store.Role{store.RoleRecipient}}},
			{"deactivated person", "approver_user_ids", store.RequirementChange{SchemaID: a.schema.ID, RequiredSignatures: 1, ApproverUserIDs: []string{a.gone.ID}}},
			{"verifier named", "approver_user_ids", store.RequirementChange{SchemaID: a.schema.ID, RequiredSignatures: 1, ApproverUserIDs: []string{a.verifier.ID}}},
			{"other org's person", "approver_user_ids", store.RequirementChange{SchemaID: a.schema.ID, RequiredSignatures: 1, ApproverUserIDs: []string{other.rev1.ID}}},
			{"not an id", "approver_user_ids", store.RequirementChange{SchemaID: a.schema.ID, RequiredSignatures: 1, ApproverUserIDs: []string{"x"}}},
			{"other org's schema", "schema_id", store.RequirementChange{SchemaID: other.schema.ID, RequiredSignatures: 1, ApproverRoles: reviewers}},
			{"no schema", "schema_id", store.RequirementChange{RequiredSignatures: 1, ApproverRoles: reviewers}},
		}
		for _, b := range bad {
			if _, err := a.s.CreateRequirement(ctx, b.c, actor); fieldError(err, b.key) == "" {
				t.Errorf("%s: %v, want an error on %s", b.name, err, b.key)
			}
		}

		// Update, deactivate, reactivate (checked again), delete.
		r, err = a.s.UpdateRequirement(ctx, r.ID, store.RequirementChange{SchemaID: a.schema.ID, RuleName: "Registrar's office", RequiredSignatures: 1,
			ApproverRoles: []store.Role{store.RoleReviewer, store.RoleAdmin}, Active: true}, actor)
		if err != nil || r.RequiredSignatures != 1 || len(r.ApproverRoles) != 2 || auditCount(t, db, "approval_rule.updated", r.ID) != 1 {
			t.Fatalf("update: %v %+v", err, r)
		}
		if r, err = a.s.SetRequirementActive(ctx, r.ID, false, actor); err != nil || r.Active {
			t.Fatalf("deactivate: %v", err)
		}
		// r2 needs 3 of reviewers+issuer: one reviewer leaves, and it cannot be switched on.
		if err := store.Gorm(db).Model(a.rev2).Update("deactivated_at", time.Now()).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := a.s.SetRequirementActive(ctx, r2.ID, true, actor); fieldError(err, "required") == "" {
			t.Fatalf("reactivating with too few approvers: %v", err)
		}
		rs, err := a.s.Requirements(ctx)
		if err != nil || len(rs) != 2 || rs[0].RuleName != "Dean" || rs[1].RuleName != "Registrar's office" {
			t.Fatalf("list: %v %+v", err, rs)
		}
		if err := a.s.DeleteRequirement(ctx, r.ID, actor); err != nil || auditCount(t, db, "approval_rule.deleted", r.ID) != 1 {
			t.Fatalf("delete: %v", err)
		}
		if _, err := a.s.Requirement(ctx, r.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted requirement: %v", err)
		}

		// Another organization's handle finds none of it and changes nothing.
		if _, err := other.s.Requirement(ctx, r2.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("read across organizations: %v", err)
		}
		if _, err := other.s.UpdateRequirement(ctx, r2.ID, store.RequirementChange{SchemaID: other.schema.ID, RequiredSignatures: 1,
			ApproverRoles: reviewers}, actor); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("update across organizations: %v", err)
		}
		if _, err := other.s.SetRequirementActive(ctx, r2.ID, true, actor); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("activate across organizations: %v", err)
		}
		if err := other.s.DeleteRequirement(ctx, r2.ID, actor); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete across organizations: %v", err)
		}
		if rs, _ := other.s.Requirements(ctx); len(rs) != 0 {
			t.Errorf("other organization lists %d requirements", len(rs))
		}
	})
}

func step(required int, roles []store.Role, people ...string) store.WorkflowStep {
	return store.WorkflowStep{ApproverRoles: roles, ApproverUserIDs: people, RequiredApprovals: required}
}

func TestApprovalWorkflowsRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApprovalOrg(t, db, "uni")
		rev, adm := []store.Role{store.RoleReviewer}, []store.Role{store.RoleAdmin}
		c := store.WorkflowChange{Name: "Degree issuance", Type: store.WorkflowCredentialIssuance, SchemaID: a.schema.ID,
			Steps:             []store.WorkflowStep{step(2, rev), {Name: "Sign-off", ApproverRoles: adm, RequiredApprovals: 1, DeadlineHours: 48}},
			EscalationEnabled: true, EscalationTimeoutHours: 12, BulkSampleSize: 5, Active: true}
		w, err := a.s.CreateApprovalWorkflow(ctx, c, actorOf(a.admin))
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Steps) != 2 || w.Steps[1].DeadlineHours != 48 || w.AutoApproveThreshold != 3 || w.SchemaID == nil || *w.SchemaID != a.schema.ID ||
			w.BulkSampleSize != 5 || auditCount(t, db, "approval_workflow.created", w.ID) != 1 {
			t.Fatalf("created %+v", w)
		}
		got, err := a.s.IssuanceWorkflow(ctx, a.schema.ID)
		if err != nil || got.ID != w.ID {
			t.Fatalf("issuance workflow: %v", err)
		}

		bad := []struct {
			name, key string
			mut       func(*store.WorkflowChange)
		}{
			{"no name", "name", func(c *store.WorkflowChange) { c.Name = "  " }},
			{"no steps", "steps", func(c *store.WorkflowChange) { c.Steps = nil }},
			{"empty step", "steps.1.approver_roles", func(c *store.WorkflowChange) { c.Steps[1] = step(1, nil) }},
			{"too many", "steps.0.required", func(c *store.WorkflowChange) { c.Steps[0] = step(3, rev) }},
			{"zero required", "steps.0.required", func(c *store.WorkflowChange) { c.Steps[0] = step(0, rev) }},
			{"deadline", "steps.1.deadline_hours", func(c *store.WorkflowChange) { c.Steps[1].DeadlineHours = -1 }},
			{"stranger", "steps.0.approver_user_ids", func(c *store.WorkflowChange) { c.Steps[0] = step(1, nil, a.verifier.ID) }},
			{"type", "workflow_type", func(c *store.WorkflowChange) { c.Type = "vacation" }},
			{"schema for a user workflow", "schema_id", func(c *store.WorkflowChange) { c.Type = store.WorkflowUserRegistration }},
			{"escalation timeout", "escalation_timeout_hours", func(c *store.WorkflowChange) { c.EscalationTimeoutHours = 0 }},
			{"threshold", "auto_approve_threshold", func(c *store.WorkflowChange) { c.AutoApproveThreshold = 1 }},
			{"sample", "bulk_sample_size", func(c *store.WorkflowChange) { c.BulkSampleSize = 5000 }},
			{"second active for the schema", "active", func(c *store.WorkflowChange) {}},
		}
		for _, b := range bad {
			cc := c
			cc.Steps = append([]store.WorkflowStep(nil), c.Steps...)
			b.mut(&cc)
			if _, err := a.s.CreateApprovalWorkflow(ctx, cc, actor); fieldError(err, b.key) == "" {
				t.Errorf("%s: %v, want an error on %s", b.name, err, b.key)
			}
		}
		if got := fieldError(func() error {
			cc := c
			cc.Steps = []store.WorkflowStep{step(3, rev)}
			_, err := a.s.CreateApprovalWorkflow(ctx, cc, actor)
			return err
		}(), "steps.0.required"); got != "3 approvals are required but only 2 people hold the reviewer role." {
			t.Errorf("message: %q", got)
		}

		// A second workflow for the same schema may be saved inactive, and
		// switched on only once the first is off; one for every schema
		// applies to the schemas without their own.
		c2 := c
		c2.Name, c2.Active = "Degree issuance v2", false
		w2, err := a.s.CreateApprovalWorkflow(ctx, c2, actor)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.s.SetApprovalWorkflowActive(ctx, w2.ID, true, actor); fieldError(err, "active") == "" {
			t.Fatalf("two active for one schema: %v", err)
		}
		general := c
		general.Name, general.SchemaID = "Every credential", ""
		gw, err := a.s.CreateApprovalWorkflow(ctx, general, actor)
		if err != nil {
			t.Fatal(err)
		}
		cs2, err := a.s.CreateSchema(ctx, schemaChange("Transcript", "1.0", "gpa"), actor)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := a.s.IssuanceWorkflow(ctx, cs2.ID); err != nil || got.ID != gw.ID {
			t.Fatalf("general workflow: %v", err)
		}
		if _, err := a.s.SetApprovalWorkflowActive(ctx, w.ID, false, actor); err != nil {
			t.Fatal(err)
		}
		if got, err := a.s.IssuanceWorkflow(ctx, a.schema.ID); err != nil || got.ID != gw.ID {
			t.Fatalf("after deactivation: %v", err)
		}
		if w2, err = a.s.SetApprovalWorkflowActive(ctx, w2.ID, true, actor); err != nil || !w2.Active {
			t.Fatalf("activate v2: %v", err)
		}

		// Update keeps what changed in the audit log; an in-use workflow
		// cannot be deleted.
		c3 := c2
		c3.Active, c3.Steps = true, []store.WorkflowStep{step(1, rev)}
		if _, err := a.s.UpdateApprovalWorkflow(ctx, w2.ID, c3, actor); err != nil {
			t.Fatal(err)
		}
		if n := auditCount(t, db, "approval_workflow.updated", w2.ID); n != 1 {
			t.Fatalf("%d update entries", n)
		}
		// Saving it unchanged records nothing.
		if _, err := a.s.UpdateApprovalWorkflow(ctx, w2.ID, c3, actor); err != nil || auditCount(t, db, "approval_workflow.updated", w2.ID) != 1 {
			t.Fatalf("unchanged save: %v", err)
		}
		inst := &store.WorkflowInstance{WorkflowID: w2.ID, ResourceType: "credential", ResourceID: a.schema.ID}
		if err := store.Gorm(db).Create(inst).Error; err != nil {
			t.Fatal(err)
		}
		if err := a.s.DeleteApprovalWorkflow(ctx, w2.ID, actor); !errors.Is(err, store.ErrWorkflowInUse) {
			t.Fatalf("delete in use: %v", err)
		}
		if err := a.s.DeleteApprovalWorkflow(ctx, w.ID, actor); err != nil {
			t.Fatal(err)
		}

		other := newApprovalOrg(t, db, "other")
		if _, err := other.s.ApprovalWorkflow(ctx, w2.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("read across organizations: %v", err)
		}
		if _, err := other.s.UpdateApprovalWorkflow(ctx, w2.ID, store.WorkflowChange{Name: "x", Type: store.WorkflowSchemaCreation,
			Steps: []store.WorkflowStep{step(1, rev)}}, actor); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("update across organizations: %v", err)
		}
		if _, err := other.s.SetApprovalWorkflowActive(ctx, gw.ID, false, actor); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deactivate across organizations: %v", err)
		}
		if err := other.s.DeleteApprovalWorkflow(ctx, gw.ID, actor); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete across organizations: %v", err)
		}
		if _, err := other.s.IssuanceWorkflow(ctx, a.schema.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("issuance workflow across organizations: %v", err)
		}
	})
}

// Two admins switching on two workflows for one schema at once: one wins,
// the other is told why (the unique index backs the check).
func TestApprovalWorkflowsOneActivePerSchemaUnderRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApprovalOrg(t, db, "uni")
		var ids []string
		for _, name := range []string{"A", "B", "C", "D"} {
			w, err := a.s.CreateApprovalWorkflow(ctx, store.WorkflowChange{Name: name, Type: store.WorkflowCredentialIssuance, SchemaID: a.schema.ID,
				Steps: []store.WorkflowStep{step(1, []store.Role{store.RoleReviewer})}}, actor)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, w.ID)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(ids))
		for i, id := range ids {
			wg.Go(func() { _, errs[i] = a.s.SetApprovalWorkflowActive(ctx, id, true, actor) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case fieldError(err, "active") == "":
				t.Errorf("refusal without the form's message: %v", err)
			}
		}
		var n int64
		store.Gorm(db).Model(&store.ApprovalWorkflow{}).Where("active AND schema_id = ?", a.schema.ID).Count(&n)
		if ok != 1 || n != 1 {
			t.Fatalf("%d activations succeeded, %d active", ok, n)
		}
	})
}

func TestApprovalPolicy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApprovalOrg(t, db, "uni")
		other := newApprovalOrg(t, db, "other")
		p, err := a.s.ApprovalPolicy(ctx)
		if err != nil || p.FourEyesRevocation || p.FourEyesSuspension || p.StepUp != store.StepUpNone {
			t.Fatalf("default: %v %+v", err, p)
		}
		if _, err := a.s.SaveApprovalPolicy(ctx, store.ApprovalPolicy{FourEyesRevocation: true, StepUp: store.StepUpTOTP}, actorOf(a.admin)); err != nil {
			t.Fatal(err)
		}
		if _, err := a.s.SaveApprovalPolicy(ctx, store.ApprovalPolicy{FourEyesRevocation: true, FourEyesSuspension: true, StepUp: store.StepUpPassword}, actor); err != nil {
			t.Fatal(err)
		}
		p, err = a.s.ApprovalPolicy(ctx)
		if err != nil || !p.FourEyesRevocation || !p.FourEyesSuspension || p.StepUp != store.StepUpPassword {
			t.Fatalf("saved: %v %+v", err, p)
		}
		if n := auditCount(t, db, "approval_policy.updated", a.org.ID); n != 2 {
			t.Fatalf("%d audit entries", n)
		}
		// Saving the same again changes nothing and logs nothing.
		if _, err := a.s.SaveApprovalPolicy(ctx, p, actor); err != nil || auditCount(t, db, "approval_policy.updated", a.org.ID) != 2 {
			t.Fatalf("unchanged save: %v", err)
		}
		if _, err := a.s.SaveApprovalPolicy(ctx, store.ApprovalPolicy{StepUp: "sms"}, actor); fieldError(err, "step_up") == "" {
			t.Fatalf("bad step-up: %v", err)
		}
		if op, _ := other.s.ApprovalPolicy(ctx); op.FourEyesRevocation || op.StepUp != store.StepUpNone {
			t.Fatalf("other organization sees %+v", op)
		}
	})
}

func TestDelegations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApprovalOrg(t, db, "uni")
		other := newApprovalOrg(t, db, "other")
		now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
		day := 24 * time.Hour
		d, err := a.s.CreateDelegation(ctx, a.rev1.ID, a.rev2.ID, now.Add(day), now.Add(8*day), now, actorOf(a.rev1))
		if err != nil {
			t.Fatal(err)
		}
		if d.Delegate == nil || d.Delegate.ID != a.rev2.ID || auditCount(t, db, "approval_delegation.created", a.rev1.ID) != 1 {
			t.Fatalf("created %+v", d)
		}
		at := func(tm time.Time) string {
			u, err := a.s.ActiveDelegate(ctx, a.rev1.ID, tm)
			if err != nil {
				t.Fatal(err)
			}
			if u == nil {
				return ""
			}
			return u.ID
		}
		if at(now) != "" || at(now.Add(day)) != a.rev2.ID || at(now.Add(8*day-time.Second)) != a.rev2.ID || at(now.Add(8*day)) != "" {
			t.Fatal("ActiveDelegate outside or inside the range")
		}
		bad := []struct {
			name, key  string
			delegate   string
			start, end time.Time
		}{
			{"self", "delegate_id", a.rev1.ID, now, now.Add(day)},
			{"verifier", "delegate_id", a.verifier.ID, now, now.Add(day)},
			{"deactivated", "delegate_id", a.gone.ID, now, now.Add(day)},
			{"invited", "delegate_id", a.invited.ID, now, now.Add(day)},
			{"other org", "delegate_id", other.rev1.ID, now, now.Add(day)},
			{"reversed", "ends_at", a.admin.ID, now.Add(day), now},
			{"past", "ends_at", a.admin.ID, now.Add(-3 * day), now.Add(-day)},
			{"too long", "ends_at", a.admin.ID, now, now.Add(400 * day)},
			{"overlap", "starts_at", a.admin.ID, now.Add(7 * day), now.Add(10 * day)},
		}
		for _, b := range bad {
			if _, err := a.s.CreateDelegation(ctx, a.rev1.ID, b.delegate, b.start, b.end, now, actor); fieldError(err, b.key) == "" {
				t.Errorf("%s: %v, want an error on %s", b.name, err, b.key)
			}
		}
		// The delegate cannot be away themselves then.
		if _, err := a.s.CreateDelegation(ctx, a.rev2.ID, a.admin.ID, now.Add(2*day), now.Add(3*day), now, actor); err != nil {
			t.Fatal(err)
		}
		if _, err := a.s.CreateDelegation(ctx, a.admin.ID, a.rev2.ID, now.Add(2*day), now.Add(4*day), now, actor); fieldError(err, "delegate_id") == "" {
			t.Errorf("delegate away: %v", err)
		}
		// Right after the first one ends is fine.
		if _, err := a.s.CreateDelegation(ctx, a.rev1.ID, a.admin.ID, now.Add(8*day), now.Add(9*day), now, actor); err != nil {
			t.Fatalf("adjacent: %v", err)
		}
		ds, err := a.s.Delegations(ctx, a.rev1.ID, now)
		if err != nil || len(ds) != 2 || ds[0].ID != d.ID || ds[0].Delegate == nil {
			t.Fatalf("list: %v %+v", err, ds)
		}
		// A delegate who is deactivated meanwhile is no longer returned.
		if err := store.Gorm(db).Model(a.rev2).Update("deactivated_at", now).Error; err != nil {
			t.Fatal(err)
		}
		if at(now.Add(2*day)) != "" {
			t.Fatal("deactivated delegate still active")
		}
		// Only one's own delegations can be deleted, and only in one's organization.
		if err := a.s.DeleteDelegation(ctx, a.rev2.ID, d.ID, actor); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("someone else's: %v", err)
		}
		if err := other.s.DeleteDelegation(ctx, a.rev1.ID, d.ID, actor); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("across organizations: %v", err)
		}
		if u, err := other.s.ActiveDelegate(ctx, a.rev1.ID, now.Add(day)); err != nil || u != nil {
			t.Errorf("ActiveDelegate across organizations: %v %v", u, err)
		}
		if _, err := other.s.CreateDelegation(ctx, a.rev1.ID, other.rev1.ID, now, now.Add(day), now, actor); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("create for another organization's member: %v", err)
		}
		if err := a.s.DeleteDelegation(ctx, a.rev1.ID, d.ID, actor); err != nil || auditCount(t, db, "approval_delegation.deleted", a.rev1.ID) != 1 {
			t.Fatalf("delete: %v", err)
		}
	})
}

func TestApproversLost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApprovalOrg(t, db, "uni")
		if _, err := a.s.CreateRequirement(ctx, store.RequirementChange{SchemaID: a.schema.ID, RuleName: "Registrar", RequiredSignatures: 2,
			ApproverRoles: []store.Role{store.RoleReviewer}, Active: true}, actor); err != nil {
			t.Fatal(err)
		}
		if _, err := a.s.CreateApprovalWorkflow(ctx, store.WorkflowChange{Name: "Sign-off", Type: store.WorkflowSchemaCreation,
			Steps: []store.WorkflowStep{step(1, nil, a.issuer.ID)}, Active: true}, actor); err != nil {
			t.Fatal(err)
		}
		needs, err := a.s.ApproversLost(ctx, a.rev1.ID, store.RoleVerifier)
		if err != nil || len(needs) != 1 || needs[0].Required != 2 || needs[0].Left != 1 || needs[0].What != "the approval rule “Registrar” of Degree" ||
			needs[0].Waiting != 0 {
			t.Fatalf("demoting a reviewer: %v %+v", err, needs)
		}
		// A request of the schema waits: the warning says so.
		if _, err := a.s.StorePendingCredential(ctx, store.Pending{Via: store.ViaWeb, RequesterID: &a.issuer.ID}, &store.Credential{
			PublicID: uuid.NewString(), SchemaID: a.schema.ID, RecipientAddress: "grad@example.org", EncryptedData: []byte("sealed"), DataHash: ptr("h")}, actor); err != nil {
			t.Fatal(err)
		}
		if needs, err := a.s.ApproversLost(ctx, a.rev1.ID, store.RoleVerifier); err != nil || len(needs) != 1 || needs[0].Waiting != 1 {
			t.Fatalf("demoting a reviewer while a request waits: %v %+v", err, needs)
		}
		if needs, _ := a.s.ApproversLost(ctx, a.rev1.ID, store.RoleReviewer); len(needs) != 0 {
			t.Fatalf("no change: %+v", needs)
		}
		// The issuer is named: a role change keeps them, deactivation does not.
		if needs, _ := a.s.ApproversLost(ctx, a.issuer.ID, store.RoleReviewer); len(needs) != 0 {
			t.Fatalf("named person's role change: %+v", needs)
		}
		needs, _ = a.s.ApproversLost(ctx, a.issuer.ID, "")
		if len(needs) != 1 || needs[0].What != "step 1 of the workflow “Sign-off”" || needs[0].Left != 0 {
			t.Fatalf("deactivating the named issuer: %+v", needs)
		}
		if needs, _ := a.s.ApproversLost(ctx, a.admin.ID, ""); len(needs) != 0 {
			t.Fatalf("admin not needed: %+v", needs)
		}
	})
}
