package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// The navigation's count is what each person can decide now: at a
// workflow step only its approvers (not every admin and reviewer), not
// after they decided, the escalation's approvers once the step escalated,
// a delegate what the absent approver could decide.
func TestPendingApprovalsFollowTheWorkflow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db)
		f.addWorkflow(t, db, 0, true, reviewersStep("Registrar", 2), adminStep("Dean"))
		count := func(u *store.User) int64 {
			t.Helper()
			n, err := f.sc.PendingApprovals(ctx, u.ID, u.Role)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		want := func(when string, cases map[*store.User]int64) {
			t.Helper()
			for u, n := range cases {
				if got := count(u); got != n {
					t.Errorf("%s: %s's count %d, want %d", when, u.Email, got, n)
				}
			}
		}
		_, first := f.park(t)
		want("at step 1", map[*store.User]int64{f.reviewers[0]: 1, f.reviewers[1]: 1, f.admin: 0, f.issuer: 0, f.verifier: 0})
		if _, err := f.decide(f.reviewers[0], first, true, ""); err != nil {
			t.Fatal(err)
		}
		want("after one approval", map[*store.User]int64{f.reviewers[0]: 0, f.reviewers[1]: 1, f.admin: 0})
		if _, err := f.decide(f.reviewers[1], first, true, ""); err != nil {
			t.Fatal(err)
		}
		want("at step 2", map[*store.User]int64{f.reviewers[2]: 0, f.admin: 1})

		// A second request waits at step 1; when that step escalates, the
		// dean (the next step's approver) may decide it too.
		c2, _ := f.park(t)
		want("a second request", map[*store.User]int64{f.reviewers[2]: 1, f.admin: 1})
		if err := store.Gorm(db).Model(&store.WorkflowInstance{}).Where("id = ?", instanceOf(t, db, c2.ID).ID).
			Update("escalated_at", time.Now().UTC()).Error; err != nil {
			t.Fatal(err)
		}
		want("escalated", map[*store.User]int64{f.reviewers[2]: 1, f.admin: 2, f.issuer: 0})

		// The dean is away: reviewer 2 stands in and counts what the dean
		// could decide besides their own.
		if err := store.Gorm(db).Create(&store.ApprovalDelegation{OrganizationID: f.org.ID, UserID: f.admin.ID, DelegateID: f.reviewers[2].ID,
			StartsAt: time.Now().Add(-time.Hour), EndsAt: time.Now().Add(time.Hour)}).Error; err != nil {
			t.Fatal(err)
		}
		want("standing in for the dean", map[*store.User]int64{f.reviewers[2]: 2, f.reviewers[0]: 1})
	})
}

// The four-eyes requests count for the admins and reviewers who may
// decide them, not for the person who asked nor for issuers.
func TestPendingApprovalsCountStatusChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db, twoOfReviewers())
		c := f.issued(t)
		if _, err := f.sc.RequestStatusChange(ctx, c.ID, store.ActionRevoke, "Issued in error", store.ViaWeb, actorOf(f.reviewers[0])); err != nil {
			t.Fatal(err)
		}
		f.park(t)
		for u, want := range map[*store.User]int64{f.reviewers[0]: 1, f.reviewers[1]: 2, f.admin: 1, f.issuer: 0, f.verifier: 0} {
			if n, err := f.sc.PendingApprovals(ctx, u.ID, u.Role); err != nil || n != want {
				t.Errorf("%s's count %d (%v), want %d", u.Email, n, err, want)
			}
		}
		if n, err := db.Scoped(f.other.ID).PendingApprovals(ctx, f.otherReviewer.ID, f.otherReviewer.Role); err != nil || n != 0 {
			t.Errorf("the other organization's reviewer counts %d (%v)", n, err)
		}
	})
}

// issued stores an active (signed) credential of the fixture's template,
// issued by its issuer.
func (f *approvalFixture) issued(t *testing.T) *store.Credential {
	t.Helper()
	ctx := context.Background()
	in := store.Issue{IssuerDID: f.org.DID, Via: store.ViaWeb}
	var err error
	if in.Revocation, in.Suspension, err = f.sc.ReserveCredentialStatus(ctx, f.org.DID, ""); err != nil {
		t.Fatal(err)
	}
	c := &store.Credential{PublicID: uuid.NewString(), SchemaID: f.schemaID, TemplateID: &f.tpl.ID, RecipientAddress: "bob@example.com"}
	if err := f.sc.StoreIssuedCredential(ctx, in, c, actorOf(f.issuer)); err != nil {
		t.Fatal(err)
	}
	return c
}

// A new schema waiting for its schema_creation workflow counts for the
// people its current step lets decide (never its creator, not after they
// decided), for the escalation's approvers once the step escalated, and
// for a delegate standing in for one of them; not in another organization.
func TestPendingApprovalsCountSchemaRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, dean := schemaFlow(t, db, true, reviewersStep("Registrar", 2), adminStep("Dean"))
		want := func(when string, cases map[*store.User]int64) {
			t.Helper()
			for u, n := range cases {
				if got, err := f.sc.PendingApprovals(ctx, u.ID, u.Role); err != nil || got != n {
					t.Errorf("%s: %s's count %d (%v), want %d", when, u.Email, got, err, n)
				}
			}
		}
		_, first := newSchema(t, f, f.admin, "Transcript")
		want("at step 1", map[*store.User]int64{f.reviewers[0]: 1, f.reviewers[2]: 1, f.admin: 0, dean: 0, f.issuer: 0, f.verifier: 0})
		for _, r := range f.reviewers[:2] {
			if _, err := f.decideResource(r, first, true, ""); err != nil {
				t.Fatal(err)
			}
		}
		want("at step 2", map[*store.User]int64{f.reviewers[0]: 0, f.reviewers[2]: 0, dean: 1, f.admin: 0})

		if err := store.Gorm(db).Create(&store.ApprovalDelegation{OrganizationID: f.org.ID, UserID: dean.ID, DelegateID: f.reviewers[2].ID,
			StartsAt: time.Now().Add(-time.Hour), EndsAt: time.Now().Add(time.Hour)}).Error; err != nil {
			t.Fatal(err)
		}
		want("standing in for the dean", map[*store.User]int64{f.reviewers[2]: 1, f.reviewers[1]: 0})

		_, second := newSchema(t, f, dean, "Diploma")
		want("a second schema", map[*store.User]int64{f.reviewers[2]: 2, f.reviewers[0]: 1, f.admin: 0, dean: 1})
		if err := store.Gorm(db).Model(&store.WorkflowInstance{}).Where("id = ?", *second.InstanceID).
			Update("escalated_at", time.Now().UTC()).Error; err != nil {
			t.Fatal(err)
		}
		want("escalated to the admins", map[*store.User]int64{f.admin: 1, dean: 1, f.reviewers[0]: 1})
		if n, err := db.Scoped(f.other.ID).PendingApprovals(ctx, f.otherReviewer.ID, f.otherReviewer.Role); err != nil || n != 0 {
			t.Errorf("the other organization's reviewer counts %d (%v)", n, err)
		}
	})
}
