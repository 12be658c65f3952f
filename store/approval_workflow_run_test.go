package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// addWorkflow stores an active credential_issuance workflow of the
// fixture's schema with these steps; threshold 0 is the sum of the steps'.
func (f *approvalFixture) addWorkflow(t *testing.T, db *store.DB, threshold int, escalation bool, steps ...store.WorkflowStep) *store.ApprovalWorkflow {
	t.Helper()
	if threshold == 0 {
		for _, s := range steps {
			threshold += s.RequiredApprovals
		}
	}
	w := &store.ApprovalWorkflow{OrganizationID: f.org.ID, WorkflowName: "Degree issuance", WorkflowType: store.WorkflowCredentialIssuance,
		Steps: datatypes.NewJSONSlice(steps), AutoApproveThreshold: threshold, EscalationEnabled: escalation, EscalationTimeoutHours: 24,
		SchemaID: &f.schemaID, Active: true}
	if err := store.Gorm(db).Create(w).Error; err != nil {
		t.Fatal(err)
	}
	return w
}

func reviewersStep(name string, n int) store.WorkflowStep {
	return store.WorkflowStep{Name: name, ApproverRoles: []store.Role{store.RoleReviewer}, RequiredApprovals: n}
}

func adminStep(name string) store.WorkflowStep {
	return store.WorkflowStep{Name: name, ApproverRoles: []store.Role{store.RoleAdmin}, RequiredApprovals: 1}
}

func instanceOf(t *testing.T, db *store.DB, credentialID string) store.WorkflowInstance {
	t.Helper()
	var inst store.WorkflowInstance
	if err := store.Gorm(db).First(&inst, "resource_type = ? AND resource_id = ?", "credential", credentialID).Error; err != nil {
		t.Fatal(err)
	}
	return inst
}

func approvalNotices(t *testing.T, db *store.DB, u *store.User) int64 {
	t.Helper()
	var n int64
	if err := store.Gorm(db).Model(&store.Notification{}).Where("user_id = ? AND type = ?", u.ID, store.NotifyApprovalRequested).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// A request goes through the workflow's steps in order: only the current
// step's approvers decide, the step completes with its approvals, the next
// step's approvers are told, the last step approves, the instance follows.
func TestWorkflowStepsInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db)
		f.addWorkflow(t, db, 0, false, reviewersStep("Registrar", 2), adminStep("Dean"))
		c, req := f.park(t)
		inst := instanceOf(t, db, c.ID)
		if inst.Status != store.WorkflowInProgress || inst.CurrentStep != 1 || inst.StepStartedAt == nil {
			t.Fatalf("new instance %+v", inst)
		}
		if approvalNotices(t, db, f.admin) != 0 || approvalNotices(t, db, f.reviewers[0]) != 1 {
			t.Fatal("step 1's reviewers, and only they, are told first")
		}
		if _, err := f.decide(f.admin, req, true, ""); !errors.Is(err, store.ErrNotEligible) {
			t.Fatalf("the dean decides at the registrar's step: %v", err)
		}
		d, err := f.decide(f.reviewers[0], req, true, "")
		if err != nil || d.Final || d.Request.CurrentStep != 1 {
			t.Fatalf("first of two approvals: %+v %v", d, err)
		}
		if _, err := f.decide(f.reviewers[0], req, true, ""); !errors.Is(err, store.ErrAlreadyDecided) {
			t.Fatalf("approving twice: %v", err)
		}
		d, err = f.decide(f.reviewers[1], req, true, "")
		if err != nil || d.Final || d.Request.CurrentStep != 2 {
			t.Fatalf("the step's last approval: %+v %v", d, err)
		}
		if approvalNotices(t, db, f.admin) != 1 {
			t.Error("the next step's approver is not told")
		}
		got, _ := f.sc.ApprovalRequest(ctx, req.ID)
		if got.CurrentStep != 2 || instanceOf(t, db, c.ID).CurrentStep != 2 {
			t.Fatalf("request at step %d, instance at %d", got.CurrentStep, instanceOf(t, db, c.ID).CurrentStep)
		}
		if auditCount(t, db, "approval.step", c.ID) != 1 {
			t.Error("the move to step 2 is not audited")
		}
		if _, err := f.decide(f.reviewers[2], req, true, ""); !errors.Is(err, store.ErrNotEligible) {
			t.Fatalf("a reviewer decides at the dean's step: %v", err)
		}
		steps, err := f.sc.ApprovalSteps(ctx, got.ID)
		if err != nil || len(steps) != 2 || !steps[0].Done || !steps[1].Current || steps[0].Approvals != 2 || steps[1].Name != "Dean" {
			t.Fatalf("steps %+v %v", steps, err)
		}
		d, err = f.decide(f.admin, req, true, "")
		if err != nil || !d.Final || d.Request.Status != store.RequestApproved {
			t.Fatalf("the last step's approval: %+v %v", d, err)
		}
		inst = instanceOf(t, db, c.ID)
		if inst.Status != store.WorkflowApproved || inst.CompletedAt == nil {
			t.Fatalf("instance after approval %+v", inst)
		}
		decisions, _ := f.sc.ApprovalDecisions(ctx, req.ID)
		if len(decisions) != 3 || decisions[0].Step != 1 || decisions[1].Step != 1 || decisions[2].Step != 2 {
			t.Fatalf("decisions' steps %+v", decisions)
		}
	})
}

// A rejection at a later step ends the request, the instance and the
// credential.
func TestWorkflowRejectionEndsIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newApprovalFixture(t, db)
		f.addWorkflow(t, db, 0, false, reviewersStep("Registrar", 1), adminStep("Dean"))
		c, req := f.park(t)
		if _, err := f.decide(f.reviewers[0], req, true, ""); err != nil {
			t.Fatal(err)
		}
		d, err := f.decide(f.admin, req, false, "The grade is wrong")
		if err != nil || !d.Final || d.Request.Status != store.RequestRejected {
			t.Fatalf("rejection at step 2: %+v %v", d, err)
		}
		if s := instanceOf(t, db, c.ID).Status; s != store.WorkflowRejected {
			t.Errorf("instance %s", s)
		}
		if s := credStatus(t, f.sc, c.ID); s != store.CredentialRejected {
			t.Errorf("credential %s", s)
		}
		if _, err := f.decide(f.reviewers[1], req, true, ""); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Errorf("deciding after the rejection: %v", err)
		}
	})
}

// The workflow's auto-approve threshold approves it before its last step.
func TestWorkflowAutoApproveThreshold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newApprovalFixture(t, db)
		f.addWorkflow(t, db, 2, false, reviewersStep("First look", 1), reviewersStep("Second look", 1), adminStep("Dean"))
		c, req := f.park(t)
		if d, err := f.decide(f.reviewers[0], req, true, ""); err != nil || d.Final || d.Request.CurrentStep != 2 {
			t.Fatalf("step 1: %+v %v", d, err)
		}
		d, err := f.decide(f.reviewers[1], req, true, "")
		if err != nil || !d.Final || d.Request.Status != store.RequestApproved {
			t.Fatalf("the second approval reaches the threshold of 2: %+v %v", d, err)
		}
		if s := instanceOf(t, db, c.ID).Status; s != store.WorkflowApproved {
			t.Errorf("instance %s", s)
		}
	})
}

// With a workflow and a multi-signature rule, both must hold: after the
// workflow's steps the rule's approvers decide at one more step, each
// person once.
func TestWorkflowAndRulesAllHold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db, twoOfReviewers())
		f.addWorkflow(t, db, 0, false, reviewersStep("Registrar", 1))
		c, req := f.park(t)
		d, err := f.decide(f.reviewers[0], req, true, "")
		if err != nil || d.Final || d.Request.CurrentStep != 2 {
			t.Fatalf("the workflow is done, the rule has 1 of 2: %+v %v", d, err)
		}
		if _, err := f.decide(f.reviewers[0], req, true, ""); !errors.Is(err, store.ErrAlreadyDecided) {
			t.Fatalf("the same reviewer counts twice: %v", err)
		}
		got, _ := f.sc.ApprovalRequest(ctx, req.ID)
		steps, _ := f.sc.ApprovalSteps(ctx, got.ID)
		if len(steps) != 2 || steps[1].Name != store.RulesStepName || !steps[1].Current || steps[1].Approvals != 1 || steps[1].Required != 2 {
			t.Fatalf("steps %+v", steps)
		}
		d, err = f.decide(f.reviewers[1], req, true, "")
		if err != nil || !d.Final || d.Request.Status != store.RequestApproved {
			t.Fatalf("the rule's second approval: %+v %v", d, err)
		}
		if s := instanceOf(t, db, c.ID).Status; s != store.WorkflowApproved {
			t.Errorf("instance %s", s)
		}
	})
}

// Editing the pending credential's data starts the workflow again at step 1.
func TestWorkflowResetOnEdit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db)
		f.addWorkflow(t, db, 0, false, reviewersStep("Registrar", 1), adminStep("Dean"))
		c, req := f.park(t)
		if _, err := f.decide(f.reviewers[0], req, true, ""); err != nil {
			t.Fatal(err)
		}
		got, err := f.sc.EditPendingCredential(ctx, c.ID, []byte("new sealed document"), "hash-2", actorOf(f.issuer))
		if err != nil || got.Round != 2 || got.CurrentStep != 1 || instanceOf(t, db, c.ID).CurrentStep != 1 {
			t.Fatalf("after the edit: %+v %v", got, err)
		}
		if _, err := f.decide(f.admin, req, true, ""); !errors.Is(err, store.ErrNotEligible) {
			t.Fatalf("the dean decides at step 1 of the new round: %v", err)
		}
		if d, err := f.decide(f.reviewers[0], req, true, ""); err != nil || d.Request.CurrentStep != 2 {
			t.Fatalf("step 1 of round 2: %+v %v", d, err)
		}
	})
}

// Many reviewers racing through a two-step workflow whose steps each need
// one reviewer: exactly one approval per step, one move, one final
// transition.
func TestWorkflowRaceOnTheLastApprovalOfAStep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db)
		f.addWorkflow(t, db, 0, false, reviewersStep("First look", 1), reviewersStep("Second look", 1))
		c, req := f.park(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		finals, ok := 0, 0
		for i := range 9 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := f.decide(f.reviewers[i%3], req, true, "")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
					if d.Final {
						finals++
					}
				case errors.Is(err, store.ErrAlreadyDecided), errors.Is(err, store.ErrApprovalNotPending):
				default:
					t.Errorf("decision: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok != 2 || finals != 1 {
			t.Fatalf("%d decisions went through, %d final; want 2 and 1", ok, finals)
		}
		decisions, _ := f.sc.ApprovalDecisions(ctx, req.ID)
		if len(decisions) != 2 || decisions[0].Step != 1 || decisions[1].Step != 2 {
			t.Fatalf("decisions %+v", decisions)
		}
		if auditCount(t, db, "approval.step", c.ID) != 1 {
			t.Error("the step moved more than once")
		}
		if s := instanceOf(t, db, c.ID).Status; s != store.WorkflowApproved {
			t.Errorf("instance %s", s)
		}
	})
}

// The inbox narrows by template and by the step a request waits at.
func TestApprovalInboxByTemplateAndStep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db)
		f.addWorkflow(t, db, 0, false, reviewersStep("Registrar", 1), adminStep("Dean"))
		_, first := f.park(t)
		_, second := f.park(t)
		if _, err := f.decide(f.reviewers[0], second, true, ""); err != nil {
			t.Fatal(err)
		}
		ids := func(filter store.InboxFilter) []string {
			t.Helper()
			page, err := f.sc.ApprovalInbox(ctx, filter, store.InboxPage{})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range page.Entries {
				out = append(out, e.ID)
			}
			return out
		}
		if got := ids(store.InboxFilter{Step: 1}); len(got) != 1 || got[0] != first.ID {
			t.Errorf("step 1: %v", got)
		}
		if got := ids(store.InboxFilter{Step: 2}); len(got) != 1 || got[0] != second.ID {
			t.Errorf("step 2: %v", got)
		}
		if got := ids(store.InboxFilter{TemplateID: f.tpl.ID}); len(got) != 2 {
			t.Errorf("the template's: %v", got)
		}
		other := *f.tpl
		other.ID, other.Name, other.Schema = "", "Another template", nil
		if err := store.Gorm(db).Create(&other).Error; err != nil {
			t.Fatal(err)
		}
		if got := ids(store.InboxFilter{TemplateID: other.ID}); len(got) != 0 {
			t.Errorf("another template's: %v", got)
		}
		if got := ids(store.InboxFilter{TemplateID: "not-an-id"}); len(got) != 0 {
			t.Errorf("a bad template id: %v", got)
		}
		page, _ := f.sc.ApprovalInbox(ctx, store.InboxFilter{}, store.InboxPage{})
		if len(page.Entries) != 2 || page.Entries[1].CurrentStep != 2 {
			t.Errorf("entries %+v", page.Entries)
		}
	})
}

// During an active delegation the delegate decides for the absent
// approver, recorded as acting for them and counted as theirs; one
// person's decision is one approval (the delegate does not also approve
// for themselves); the absent approver's own decision is taken while the
// delegate has not decided for them, refused once they have.
func TestDelegateDecidesForTheAbsentApprover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db, twoOfReviewers())
		away, stand, third := f.reviewers[0], f.reviewers[1], f.reviewers[2]
		now := time.Now()
		if _, err := f.sc.CreateDelegation(ctx, away.ID, stand.ID, now.Add(-time.Minute), now.Add(48*time.Hour), now.Add(-2*time.Minute), actorOf(away)); err != nil {
			t.Fatal(err)
		}
		if got, err := f.sc.StandingInFor(ctx, stand.ID, now); err != nil || len(got) != 1 || got[0].ID != away.ID {
			t.Fatalf("standing in for %+v %v", got, err)
		}
		if got, _ := f.sc.StandingInFor(ctx, third.ID, now); len(got) != 0 {
			t.Fatalf("a reviewer without a delegation stands in for %+v", got)
		}
		c, req := f.park(t)
		forAway := func(u *store.User, r *store.ApprovalRequest) (*store.Decided, error) {
			return f.sc.DecideApproval(ctx, store.Decision{RequestID: r.ID, ApproverID: u.ID, ActingForID: away.ID, Approve: true}, actorOf(u))
		}
		for _, u := range []*store.User{third, f.verifier, away} {
			if _, err := forAway(u, req); !errors.Is(err, store.ErrNotDelegate) {
				t.Errorf("%s decides for the absent reviewer: %v", u.Email, err)
			}
		}
		d, err := forAway(stand, req)
		if err != nil || d.Final || d.Approval.ApproverID != stand.ID || d.Approval.ActingForID == nil || *d.Approval.ActingForID != away.ID ||
			*d.Approval.ApproverRole != "reviewer" {
			t.Fatalf("the delegate's decision: %+v %v", d, err)
		}
		if _, err := f.decide(away, req, true, ""); !errors.Is(err, store.ErrAlreadyDecided) {
			t.Errorf("the absent reviewer decides again: %v", err)
		}
		if _, err := f.decide(stand, req, true, ""); !errors.Is(err, store.ErrAlreadyDecided) {
			t.Errorf("the delegate approves for themselves too: %v", err)
		}
		if d, err := f.decide(third, req, true, ""); err != nil || !d.Final {
			t.Fatalf("the second approval: %+v %v", d, err)
		}
		var summary string
		if err := store.Gorm(db).Model(&store.AuditLog{}).Where("action = ? AND resource_id = ? AND user_id = ?", "approval.approved", c.ID, stand.ID).
			Select("details").Scan(&summary).Error; err != nil || !strings.Contains(summary, "acting for "+away.Email) {
			t.Errorf("audit of the delegate's decision: %q %v", summary, err)
		}
		decisions, _ := f.sc.ApprovalDecisions(ctx, req.ID)
		if len(decisions) != 2 || decisions[0].ActingFor == nil || decisions[0].ActingFor.ID != away.ID {
			t.Errorf("history %+v", decisions)
		}
		// Back early: the absent reviewer's own decision counts, and then
		// the delegate can no longer decide for them.
		_, req2 := f.park(t)
		if _, err := f.decide(away, req2, true, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := forAway(stand, req2); !errors.Is(err, store.ErrAlreadyDecided) {
			t.Errorf("the delegate decides after the absent reviewer did: %v", err)
		}
	})
}
