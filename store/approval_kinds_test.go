package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// schemaFlow is the approval fixture with a second admin and an active
// schema_creation workflow of these steps.
func schemaFlow(t *testing.T, db *store.DB, escalation bool, steps ...store.WorkflowStep) (*approvalFixture, *store.User) {
	t.Helper()
	f := newApprovalFixture(t, db)
	admin2 := member(t, db, f.org, "dean@registry.example", "Dean Dale", store.RoleAdmin)
	kindWorkflow(t, db, f.org, store.WorkflowSchemaCreation, escalation, steps...)
	return f, admin2
}

// kindWorkflow makes an active workflow of type wt with these steps in o.
func kindWorkflow(t *testing.T, db *store.DB, o *store.Organization, wt store.WorkflowType, escalation bool, steps ...store.WorkflowStep) {
	t.Helper()
	threshold := 0
	for _, s := range steps {
		threshold += s.RequiredApprovals
	}
	w := &store.ApprovalWorkflow{OrganizationID: o.ID, WorkflowName: "New " + string(wt), WorkflowType: wt,
		Steps: datatypes.NewJSONSlice(steps), AutoApproveThreshold: threshold, EscalationEnabled: escalation, EscalationTimeoutHours: 24, Active: true}
	if err := store.Gorm(db).Create(w).Error; err != nil {
		t.Fatal(err)
	}
}

// newSchema creates a schema as u and returns it with its request (nil
// when it needed none).
func newSchema(t *testing.T, f *approvalFixture, u *store.User, name string) (*store.CredentialSchema, *store.ResourceApprovalRequest) {
	t.Helper()
	ctx := context.Background()
	cs, err := f.sc.CreateSchema(ctx, schemaChange(name, "1", "field"), actorOf(u))
	if err != nil {
		t.Fatal(err)
	}
	req, err := f.sc.ResourceApprovalFor(ctx, store.KindSchema, cs.ID)
	if errors.Is(err, store.ErrNotFound) {
		return cs, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return cs, req
}

func (f *approvalFixture) decideResource(u *store.User, req *store.ResourceApprovalRequest, approve bool, note string) (*store.ResourceDecided, error) {
	return f.sc.DecideResourceApproval(context.Background(), store.Decision{RequestID: req.ID, ApproverID: u.ID, Approve: approve, Note: note}, actorOf(u))
}

func schemaState(t *testing.T, f *approvalFixture, id string) (store.SchemaApprovalStatus, bool) {
	t.Helper()
	cs, err := f.sc.Schema(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return cs.ApprovalStatus, cs.Active
}

func outcomeNotices(t *testing.T, db *store.DB, u *store.User) []store.Notification {
	t.Helper()
	var out []store.Notification
	if err := store.Gorm(db).Where("user_id = ? AND type = ?", u.ID, store.NotifyApprovalDecided).Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// Without an active schema_creation workflow a schema is usable at once.
func TestSchemaWithoutWorkflowIsUsable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newApprovalFixture(t, db)
		cs, req := newSchema(t, f, f.admin, "Plain")
		if st, active := schemaState(t, f, cs.ID); st != store.SchemaApproved || !active || req != nil {
			t.Fatalf("schema %s active=%v, request %v", st, active, req)
		}
	})
}

// Under a two-step workflow the new schema waits, is usable for nothing,
// and walks the steps by the issuance rules: the step's roles only, never
// its creator, once per round, another organization's is not found; the
// last step's approval makes it active and tells its creator.
func TestSchemaCreationWaitsForItsWorkflow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, dean := schemaFlow(t, db, false, reviewersStep("Registrar", 2), adminStep("Dean"))
		cs, req := newSchema(t, f, f.admin, "Transcript")
		if req == nil || req.Status != store.RequestPending || req.CurrentStep != 1 || req.RequesterID == nil || *req.RequesterID != f.admin.ID {
			t.Fatalf("request %+v", req)
		}
		if st, active := schemaState(t, f, cs.ID); st != store.SchemaPendingApproval || active {
			t.Fatalf("new schema %s active=%v, want pending and inactive", st, active)
		}
		// Usable for nothing while it waits.
		if _, err := f.sc.CreateTemplate(ctx, templateChange(cs.ID, "Too early"), actorOf(f.admin)); err == nil ||
			!strings.Contains(err.Error(), "awaits approval") {
			t.Fatalf("template of a pending schema: %v", err)
		}
		if _, err := f.sc.SetSchemaActive(ctx, cs.ID, true, actorOf(f.admin)); !errors.Is(err, store.ErrSchemaAwaitingApproval) {
			t.Fatalf("activating a pending schema: %v", err)
		}
		if _, err := f.sc.UpdateSchema(ctx, cs.ID, schemaChange("Transcript", "1", "other"), actorOf(f.admin)); !errors.Is(err, store.ErrSchemaAwaitingApproval) {
			t.Fatalf("editing a pending schema: %v", err)
		}
		in := store.Issue{IssuerDID: f.org.DID, Via: store.ViaWeb}
		var err error
		in.Revocation, in.Suspension, err = f.sc.ReserveCredentialStatus(ctx, f.org.DID, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.sc.StoreIssuedCredential(ctx, in, &store.Credential{PublicID: uuid.NewString(), SchemaID: cs.ID, RecipientAddress: "x@example.org"},
			actorOf(f.admin)); !errors.Is(err, store.ErrSchemaAwaitingApproval) {
			t.Fatalf("issuing under a pending schema: %v", err)
		}
		if approvalNotices(t, db, f.reviewers[0]) != 1 || approvalNotices(t, db, dean) != 0 || approvalNotices(t, db, f.admin) != 0 {
			t.Fatal("step 1's reviewers, and only they, are told first")
		}
		// The rules.
		if _, err := f.decideResource(f.admin, req, true, ""); !errors.Is(err, store.ErrOwnRequest) {
			t.Fatalf("the creator approves: %v", err)
		}
		if _, err := f.decideResource(dean, req, true, ""); !errors.Is(err, store.ErrNotEligible) {
			t.Fatalf("the dean decides at the registrar's step: %v", err)
		}
		if _, err := f.decideResource(f.verifier, req, true, ""); !errors.Is(err, store.ErrNotEligible) {
			t.Fatalf("a verifier decides: %v", err)
		}
		if _, err := db.Scoped(f.other.ID).DecideResourceApproval(ctx, store.Decision{RequestID: req.ID, ApproverID: f.otherReviewer.ID, Approve: true},
			actorOf(f.otherReviewer)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another organization's reviewer: %v", err)
		}
		if _, err := f.decideResource(f.reviewers[0], req, false, "  "); !errors.Is(err, store.ErrNoteRequired) {
			t.Fatalf("a rejection without a note: %v", err)
		}
		d, err := f.decideResource(f.reviewers[0], req, true, "")
		if err != nil || d.Final || d.Request.CurrentStep != 1 {
			t.Fatalf("first approval: %+v, %v", d, err)
		}
		if _, err := f.decideResource(f.reviewers[0], req, true, ""); !errors.Is(err, store.ErrAlreadyDecided) {
			t.Fatalf("twice: %v", err)
		}
		if d, err = f.decideResource(f.reviewers[1], req, true, ""); err != nil || d.Final || d.Request.CurrentStep != 2 {
			t.Fatalf("second approval moves to step 2: %+v, %v", d, err)
		}
		if approvalNotices(t, db, dean) != 1 {
			t.Fatal("the dean is told when step 2 begins")
		}
		steps, err := f.sc.ResourceApprovalSteps(ctx, req.ID)
		if err != nil || len(steps) != 2 || !steps[0].Done || !steps[1].Current || steps[0].Approvals != 2 {
			t.Fatalf("steps %+v, %v", steps, err)
		}
		if _, err := f.decideResource(f.reviewers[2], req, true, ""); !errors.Is(err, store.ErrNotEligible) {
			t.Fatalf("a reviewer at the dean's step: %v", err)
		}
		if d, err = f.decideResource(dean, req, true, ""); err != nil || !d.Final || d.Request.Status != store.RequestApproved {
			t.Fatalf("the dean's approval ends it: %+v, %v", d, err)
		}
		if st, active := schemaState(t, f, cs.ID); st != store.SchemaApproved || !active {
			t.Fatalf("approved schema %s active=%v", st, active)
		}
		if _, err := f.decideResource(f.reviewers[2], req, true, ""); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Fatalf("after the end: %v", err)
		}
		var inst store.WorkflowInstance
		if err := store.Gorm(db).First(&inst, "id = ?", *req.InstanceID).Error; err != nil || inst.Status != store.WorkflowApproved ||
			inst.ResourceType != "schema" || inst.ResourceID != cs.ID {
			t.Fatalf("instance %+v, %v", inst, err)
		}
		if got := outcomeNotices(t, db, f.admin); len(got) != 1 || !strings.Contains(got[0].Message, "was approved") {
			t.Fatalf("the creator's notices: %+v", got)
		}
		if _, err := f.sc.CreateTemplate(ctx, templateChange(cs.ID, "Now"), actorOf(f.admin)); err != nil {
			t.Fatalf("a template of the approved schema: %v", err)
		}
		decisions, err := f.sc.ResourceApprovalDecisions(ctx, req.ID)
		if err != nil || len(decisions) != 3 || decisions[2].ApproverRole != "admin" || decisions[2].Step != 2 {
			t.Fatalf("decisions %+v, %v", decisions, err)
		}
	})
}

// A rejection ends it: the schema stays rejected (never usable), the
// creator is told with the note; a new version waits too.
func TestSchemaCreationRejected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, _ := schemaFlow(t, db, false, reviewersStep("Registrar", 1))
		cs, req := newSchema(t, f, f.issuer, "Badge")
		d, err := f.decideResource(f.reviewers[0], req, false, "The field names are wrong")
		if err != nil || !d.Final || d.Request.Status != store.RequestRejected {
			t.Fatalf("rejection: %+v, %v", d, err)
		}
		if st, active := schemaState(t, f, cs.ID); st != store.SchemaRejected || active {
			t.Fatalf("rejected schema %s active=%v", st, active)
		}
		if _, err := f.sc.SetSchemaActive(ctx, cs.ID, true, actorOf(f.admin)); !errors.Is(err, store.ErrSchemaRejected) {
			t.Fatalf("activating a rejected schema: %v", err)
		}
		got := outcomeNotices(t, db, f.issuer)
		if len(got) != 1 || !strings.Contains(got[0].Message, "The field names are wrong") {
			t.Fatalf("the creator's notices: %+v", got)
		}
		r, err := f.sc.ResourceApprovalRequest(ctx, req.ID)
		if err != nil || r.DecisionNote == nil || *r.DecisionNote != "The field names are wrong" {
			t.Fatalf("request after rejection %+v, %v", r, err)
		}
		// A new version of an approved schema waits as well.
		base, err := db.Scoped(f.org.ID).Schema(ctx, f.schemaID)
		if err != nil {
			t.Fatal(err)
		}
		next, err := f.sc.NewSchemaVersion(ctx, base.ID, schemaChange(base.Name, "", "degree", "honours"), actorOf(f.issuer))
		if err != nil {
			t.Fatal(err)
		}
		if next.ApprovalStatus != store.SchemaPendingApproval || next.Active {
			t.Fatalf("new version %s active=%v", next.ApprovalStatus, next.Active)
		}
		if _, err := f.sc.ResourceApprovalFor(ctx, store.KindSchema, next.ID); err != nil {
			t.Fatalf("the new version's request: %v", err)
		}
		if inbox, err := f.sc.ResourceInbox(ctx, store.KindSchema, store.InboxPage{}); err != nil || len(inbox.Entries) != 1 ||
			inbox.Entries[0].ResourceID != next.ID || !strings.Contains(inbox.Entries[0].Name, base.Name) ||
			inbox.Entries[0].StepName != "Registrar" || inbox.Next != nil {
			t.Fatalf("inbox %+v, %v", inbox, err)
		}
	})
}

// A delegate decides for an absent approver, judged by the absent
// person's role; anyone else acting for them is refused.
func TestSchemaCreationDelegation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, _ := schemaFlow(t, db, false, reviewersStep("Registrar", 1))
		_, req := newSchema(t, f, f.admin, "Licence")
		now := time.Now()
		if _, err := f.sc.CreateDelegation(ctx, f.reviewers[0].ID, f.issuer.ID, now.Add(-time.Hour), now.Add(48*time.Hour), now, actorOf(f.admin)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.sc.DecideResourceApproval(ctx, store.Decision{RequestID: req.ID, ApproverID: f.verifier.ID, ActingForID: f.reviewers[0].ID, Approve: true},
			actorOf(f.verifier)); !errors.Is(err, store.ErrNotDelegate) {
			t.Fatalf("not the delegate: %v", err)
		}
		if _, err := f.decideResource(f.issuer, req, true, ""); !errors.Is(err, store.ErrNotEligible) {
			t.Fatalf("the delegate for themselves: %v", err)
		}
		d, err := f.sc.DecideResourceApproval(ctx, store.Decision{RequestID: req.ID, ApproverID: f.issuer.ID, ActingForID: f.reviewers[0].ID, Approve: true},
			actorOf(f.issuer))
		if err != nil || !d.Final || d.Decision.ActingForID == nil || *d.Decision.ActingForID != f.reviewers[0].ID || d.Decision.ApproverRole != "reviewer" {
			t.Fatalf("the delegate's approval: %+v, %v", d, err)
		}
	})
}

// Many approvers racing for the one approval a workflow needs: exactly
// one final transition, the schema approved once.
func TestSchemaCreationRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, _ := schemaFlow(t, db, false, reviewersStep("Registrar", 1))
		for i := range 5 {
			f.reviewers = append(f.reviewers, member(t, db, f.org, fmt.Sprintf("more%d@registry.example", i), "More Reviewer", store.RoleReviewer))
		}
		cs, req := newSchema(t, f, f.admin, "Raced")
		var finals, oks atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, len(f.reviewers))
		for _, u := range f.reviewers {
			wg.Go(func() {
				d, err := f.decideResource(u, req, true, "")
				switch {
				case err == nil:
					oks.Add(1)
					if d.Final {
						finals.Add(1)
					}
				case !errors.Is(err, store.ErrApprovalNotPending):
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("racing approval: %v", err)
		}
		if finals.Load() != 1 || oks.Load() != 1 {
			t.Fatalf("%d final decisions and %d accepted approvals, want 1 and 1", finals.Load(), oks.Load())
		}
		if st, active := schemaState(t, f, cs.ID); st != store.SchemaApproved || !active {
			t.Fatalf("schema %s active=%v", st, active)
		}
		var audits int64
		if err := store.Gorm(db).Model(&store.AuditLog{}).Where("action = ? AND resource_id = ?", "approval.approved", cs.ID).Count(&audits).Error; err != nil || audits != 1 {
			t.Fatalf("%d approval.approved audit entries, %v", audits, err)
		}
		if got := outcomeNotices(t, db, f.admin); len(got) != 1 {
			t.Fatalf("the creator was told %d times", len(got))
		}
	})
}

// The clock: the reminder at half the deadline, the escalation to the
// admins after the last step, the expiry; each once, through the same
// job as the credentials' (DueApprovalTimers).
func TestSchemaCreationTimers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		step := reviewersStep("Registrar", 1)
		step.DeadlineHours = 10
		f, _ := schemaFlow(t, db, true, step)
		cs, req := newSchema(t, f, f.issuer, "Clocked")
		now := time.Now()
		due := func(at time.Time, kind store.TimerKind) bool {
			ts, err := db.DueApprovalTimers(ctx, at, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ts {
				if d.InstanceID == *req.InstanceID && d.Kind == kind {
					if d.ResourceType != "schema" {
						t.Fatalf("due timer of kind %q", d.ResourceType)
					}
					return true
				}
			}
			return false
		}
		if due(now.Add(4*time.Hour), store.TimerRemind) {
			t.Fatal("reminder due before half the deadline")
		}
		at := now.Add(6 * time.Hour)
		if !due(at, store.TimerRemind) {
			t.Fatal("reminder not due at half the deadline")
		}
		if n, err := f.sc.RemindResourceApprovers(ctx, *req.InstanceID, at); err != nil || n != 3 {
			t.Fatalf("reminded %d, %v; want the 3 reviewers", n, err)
		}
		if n, err := f.sc.RemindResourceApprovers(ctx, *req.InstanceID, at); err != nil || n != 0 {
			t.Fatalf("second reminder: %d, %v", n, err)
		}
		at = now.Add(11 * time.Hour)
		if n, err := f.sc.EscalateResourceApproval(ctx, *req.InstanceID, at); err != nil || n != 2 {
			t.Fatalf("escalated to %d, %v; want the 2 admins", n, err)
		}
		if n, err := f.sc.EscalateResourceApproval(ctx, *req.InstanceID, at); err != nil || n != 0 {
			t.Fatalf("second escalation: %d, %v", n, err)
		}
		at = now.Add(36 * time.Hour)
		if ok, err := f.sc.ExpireResourceApproval(ctx, *req.InstanceID, at); err != nil || !ok {
			t.Fatalf("expiry: %v, %v", ok, err)
		}
		if ok, err := f.sc.ExpireResourceApproval(ctx, *req.InstanceID, at); err != nil || ok {
			t.Fatalf("second expiry: %v, %v", ok, err)
		}
		if st, active := schemaState(t, f, cs.ID); st != store.SchemaRejected || active {
			t.Fatalf("expired schema %s active=%v", st, active)
		}
		r, err := f.sc.ResourceApprovalRequest(ctx, req.ID)
		if err != nil || r.Status != store.RequestCancelled {
			t.Fatalf("expired request %+v, %v", r, err)
		}
		if got := outcomeNotices(t, db, f.issuer); len(got) != 1 || !strings.Contains(got[0].Message, "before its deadline") {
			t.Fatalf("the creator's notices: %+v", got)
		}
	})
}

// countStatements counts the statements (queries and raw scans) db runs
// while fn runs.
func countStatements(t *testing.T, db *store.DB, fn func()) int {
	t.Helper()
	var n atomic.Int64
	on := atomic.Bool{}
	g := store.Gorm(db)
	count := func(*gorm.DB) {
		if on.Load() {
			n.Add(1)
		}
	}
	name := "test:count-" + t.Name()
	if err := g.Callback().Query().After("gorm:query").Register(name, count); err != nil {
		t.Fatal(err)
	}
	if err := g.Callback().Row().After("gorm:row").Register(name, count); err != nil {
		t.Fatal(err)
	}
	on.Store(true)
	fn()
	on.Store(false)
	return int(n.Load())
}

// The inbox's schema section is keyset-paged like the credential list:
// oldest first, each page after the last one's cursor, the decided
// request gone, every row with its schema, requester and step name, read
// in ONE statement per page (no read per row); another organization's
// handle sees none, a cursor of another kind of list is refused.
func TestResourceInboxPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, _ := schemaFlow(t, db, false, reviewersStep("Registrar", 2), adminStep("Dean"))
		var reqs []*store.ResourceApprovalRequest
		for i := range 6 {
			_, r := newSchema(t, f, f.admin, fmt.Sprintf("Schema %d", i))
			reqs = append(reqs, r)
		}
		if _, err := f.decideResource(f.reviewers[0], reqs[2], false, "Not needed"); err != nil {
			t.Fatal(err)
		}
		var names []string
		var cur *store.Cursor
		pages := 0
		for {
			var page store.ResourceInboxPage
			var err error
			if n := countStatements(t, db, func() {
				page, err = f.sc.ResourceInbox(ctx, store.KindSchema, store.InboxPage{Cursor: cur, Limit: 2})
			}); n != 1 {
				t.Errorf("page %d read in %d statements, want 1", pages+1, n)
			}
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, e := range page.Entries {
				names = append(names, e.Name)
				if e.RequesterEmail == nil || *e.RequesterEmail != f.admin.Email || e.StepName != "Registrar" || e.CurrentStep != 1 ||
					e.ResourceType != store.KindSchema {
					t.Errorf("entry %+v", e)
				}
			}
			if page.Next == nil {
				break
			}
			cur = page.Next
		}
		want := "[schema “Schema 0” version 1 schema “Schema 1” version 1 schema “Schema 3” version 1 schema “Schema 4” version 1 schema “Schema 5” version 1]"
		if fmt.Sprint(names) != want || pages != 3 {
			t.Errorf("inbox in %d pages: %v, want %s", pages, names, want)
		}
		if all, err := f.sc.ResourceInbox(ctx, "", store.InboxPage{}); err != nil || len(all.Entries) != 5 || all.Next != nil {
			t.Errorf("every kind: %d entries, next %v (%v)", len(all.Entries), all.Next, err)
		}
		if other, err := db.Scoped(f.other.ID).ResourceInbox(ctx, store.KindSchema, store.InboxPage{}); err != nil || len(other.Entries) != 0 {
			t.Errorf("the other organization sees %+v (%v)", other, err)
		}
		if _, err := f.sc.ResourceInbox(ctx, store.KindSchema, store.InboxPage{Cursor: &store.Cursor{Key: "name", ID: reqs[0].ID}}); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("a keyed cursor: %v", err)
		}
	})
}
