package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func dueFor(t *testing.T, db *store.DB, now time.Time, instanceID string) []store.TimerKind {
	t.Helper()
	due, err := db.DueApprovalTimers(context.Background(), now, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.TimerKind
	for _, d := range due {
		if d.InstanceID == instanceID {
			out = append(out, d.Kind)
		}
	}
	return out
}

func decidedNotices(t *testing.T, db *store.DB, u *store.User) int64 {
	t.Helper()
	var n int64
	if err := store.Gorm(db).Model(&store.Notification{}).Where("user_id = ? AND type = ?", u.ID, store.NotifyApprovalDecided).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// A step with a 10-hour deadline and escalation on (timeout 24 h), driven
// with a controlled clock: nothing is due at first; after 5 hours the
// approvers who have not decided are reminded, once however often it
// runs; after 10 hours the step escalates to the next step's approver
// (the admin), once, who may then decide at it.
func TestWorkflowReminderAndEscalation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db)
		step := reviewersStep("Registrar", 2)
		step.DeadlineHours = 10
		f.addWorkflow(t, db, 0, true, step, adminStep("Dean"))
		start := time.Now()
		c, req := f.park(t)
		inst := instanceOf(t, db, c.ID)
		if inst.RemindAt == nil || inst.EscalateAt == nil || inst.ExpireAt == nil {
			t.Fatalf("clock %+v", inst)
		}
		if _, err := f.decide(f.reviewers[0], req, true, ""); err != nil {
			t.Fatal(err)
		}
		if got := dueFor(t, db, start.Add(4*time.Hour), inst.ID); len(got) != 0 {
			t.Fatalf("due after 4 h: %v", got)
		}
		at := start.Add(6 * time.Hour)
		if got := dueFor(t, db, at, inst.ID); len(got) != 1 || got[0] != store.TimerRemind {
			t.Fatalf("due after 6 h: %v", got)
		}
		before := approvalNotices(t, db, f.reviewers[1])
		for run := range 2 {
			n, err := f.sc.RemindApprovers(ctx, inst.ID, at)
			want := 2 // reviewers 1 and 2; reviewer 0 decided, the requester is not asked
			if run == 1 {
				want = 0
			}
			if err != nil || n != want {
				t.Fatalf("reminder run %d: %d %v, want %d", run, n, err, want)
			}
		}
		if approvalNotices(t, db, f.reviewers[1])-before != 1 || approvalNotices(t, db, f.reviewers[0]) != 1 {
			t.Error("the reminder went to the wrong people or more than once")
		}
		if got := dueFor(t, db, at, inst.ID); len(got) != 0 {
			t.Fatalf("due after the reminder: %v", got)
		}
		if _, err := f.decide(f.admin, req, true, ""); !errors.Is(err, store.ErrNotEligible) {
			t.Fatalf("the admin decides before the escalation: %v", err)
		}
		at = start.Add(11 * time.Hour)
		if got := dueFor(t, db, at, inst.ID); len(got) != 1 || got[0] != store.TimerEscalate {
			t.Fatalf("due after 11 h: %v", got)
		}
		for run := range 2 {
			n, err := f.sc.EscalateApproval(ctx, inst.ID, at)
			if err != nil || n != 1-run {
				t.Fatalf("escalation run %d: %d %v", run, n, err)
			}
		}
		if approvalNotices(t, db, f.admin) != 1 || auditCount(t, db, "approval.escalated", c.ID) != 1 || auditCount(t, db, "approval.reminded", c.ID) != 1 {
			t.Error("the escalation is not told or audited once")
		}
		got, _ := f.sc.ApprovalRequest(ctx, req.ID)
		if steps, _ := f.sc.ApprovalSteps(ctx, got.ID); !steps[0].Escalated {
			t.Errorf("steps %+v", steps)
		}
		if d, err := f.decide(f.admin, req, true, ""); err != nil || d.Request.CurrentStep != 2 {
			t.Fatalf("the admin's approval after the escalation: %+v %v", d, err)
		}
		if inst := instanceOf(t, db, c.ID); inst.EscalatedAt != nil || inst.CurrentStep != 2 {
			t.Errorf("the next step starts with a fresh clock: %+v", inst)
		}
	})
}

// A request left undecided past its final deadline (the step's deadline
// plus the escalation timeout) expires once: cancelled, its credential
// rejected, the instance cancelled, the requester told, audited; a
// decided request never expires.
func TestWorkflowExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db)
		step := reviewersStep("Registrar", 1)
		step.DeadlineHours = 10
		f.addWorkflow(t, db, 0, false, step)
		start := time.Now()
		c, req := f.park(t)
		decidedCred, decidedReq := f.park(t)
		inst := instanceOf(t, db, c.ID)
		if got := dueFor(t, db, start.Add(33*time.Hour), inst.ID); len(got) != 1 || got[0] != store.TimerRemind {
			t.Fatalf("due after 33 h (escalation off): %v", got)
		}
		at := start.Add(35 * time.Hour)
		if got := dueFor(t, db, at, inst.ID); len(got) != 2 {
			t.Fatalf("due after 35 h: %v", got)
		}
		for run := range 2 {
			expired, err := f.sc.ExpireApproval(ctx, inst.ID, at)
			if err != nil || (expired != nil) != (run == 0) || run == 0 && (expired.ID != req.ID || expired.Status != store.RequestCancelled) {
				t.Fatalf("expiry run %d: %+v %v", run, expired, err)
			}
		}
		got, _ := f.sc.ApprovalRequest(ctx, req.ID)
		if got.Status != store.RequestCancelled || credStatus(t, f.sc, c.ID) != store.CredentialRejected ||
			instanceOf(t, db, c.ID).Status != store.WorkflowCancelled {
			t.Fatalf("after expiry: request %s, credential %s", got.Status, credStatus(t, f.sc, c.ID))
		}
		if decidedNotices(t, db, f.issuer) != 1 || auditCount(t, db, "approval.expired", c.ID) != 1 {
			t.Error("the requester is not told once, or it is not audited")
		}
		if _, err := f.decide(f.reviewers[0], req, true, ""); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Errorf("approving an expired request: %v", err)
		}
		// Approved before its deadline: nothing is due for it afterwards.
		if _, err := f.decide(f.reviewers[0], decidedReq, true, ""); err != nil {
			t.Fatal(err)
		}
		other := instanceOf(t, db, decidedCred.ID)
		if got := dueFor(t, db, at, other.ID); len(got) != 0 {
			t.Errorf("due for an approved request: %v", got)
		}
		if expired, err := f.sc.ExpireApproval(ctx, other.ID, at); expired != nil || err != nil {
			t.Errorf("expiring an approved request: %+v %v", expired, err)
		}
		// Another organization's handle reaches nothing.
		if expired, err := db.Scoped(f.other.ID).ExpireApproval(ctx, other.ID, at); expired != nil || !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another organization expires it: %+v %v", expired, err)
		}
	})
}
