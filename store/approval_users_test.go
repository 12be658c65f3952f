package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// joinAs invites email as role (by inviter) and accepts the invitation:
// the member as they joined, and their request (nil when none opened).
func joinAs(t *testing.T, db *store.DB, f *approvalFixture, inviter *store.User, email string, role store.Role) (*store.User, *store.ResourceApprovalRequest) {
	t.Helper()
	ctx := context.Background()
	sum := sha256.Sum256([]byte(email))
	hash := hex.EncodeToString(sum[:])
	if _, err := f.sc.InviteMember(ctx, email, role, store.EmailLink{TokenHash: hash, ExpiresAt: time.Now().Add(time.Hour)}, actorOf(inviter)); err != nil {
		t.Fatal(err)
	}
	u, err := db.AcceptInvitation(ctx, hash, "Nora Newcomer", "pw-hash", time.Now(), store.Actor{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	req, err := f.sc.ResourceApprovalFor(ctx, store.KindUser, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return u, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return u, req
}

func memberStatus(t *testing.T, f *approvalFixture, id string) store.MemberStatus {
	t.Helper()
	m, err := f.sc.Member(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Status()
}

// Without an active user_registration workflow a person who accepts an
// invitation is an active member at once; with one, they await approval
// until the last step approves, the inviter never approving.
func TestUserRegistrationWaitsForItsWorkflow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db)
		u, req := joinAs(t, db, f, f.admin, "early@registry.example", store.RoleIssuer)
		if req != nil || u.AwaitingApprovalSince != nil || memberStatus(t, f, u.ID) != store.MemberActive {
			t.Fatalf("without a workflow: request %+v, awaiting %v", req, u.AwaitingApprovalSince)
		}
		kindWorkflow(t, db, f.org, store.WorkflowUserRegistration, false, reviewersStep("Registrar", 1), adminStep("Dean"))
		u, req = joinAs(t, db, f, f.reviewers[0], "nora@registry.example", store.RoleIssuer)
		if req == nil || u.AwaitingApprovalSince == nil || memberStatus(t, f, u.ID) != store.MemberAwaitingApproval {
			t.Fatalf("under a workflow: request %+v, awaiting %v", req, u.AwaitingApprovalSince)
		}
		if req.RequesterID == nil || *req.RequesterID != f.reviewers[0].ID || req.Status != store.RequestPending {
			t.Fatalf("request %+v: the requester is the inviter", req)
		}
		// Step 1's reviewers are told, the inviter excepted.
		var told []string
		if err := store.Gorm(db).Model(&store.Notification{}).Where("type = ? AND message LIKE ?", store.NotifyApprovalRequested, "%nora@registry.example%").
			Pluck("user_id", &told).Error; err != nil {
			t.Fatal(err)
		}
		if len(told) != len(f.reviewers)-1 {
			t.Fatalf("%d approvers told, want %d", len(told), len(f.reviewers)-1)
		}
		// The inviter never approves their own invitee; the waiting member
		// is no approver either.
		if _, err := f.decideResource(f.reviewers[0], req, true, ""); !errors.Is(err, store.ErrOwnRequest) {
			t.Fatalf("the inviter approving: %v", err)
		}
		if inbox, err := f.sc.ResourceInbox(ctx, store.KindUser, store.InboxPage{}); err != nil || len(inbox.Entries) != 1 || !strings.Contains(inbox.Entries[0].Name, "nora@registry.example") {
			t.Fatalf("inbox %+v, %v", inbox, err)
		}
		full, err := f.sc.ResourceApprovalRequest(ctx, req.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ma, err := f.sc.MemberApproval(ctx, full); err != nil || ma.InvitedBy == nil || ma.InvitedBy.ID != f.reviewers[0].ID ||
			ma.Member.Email != "nora@registry.example" || ma.Member.Role != store.RoleIssuer {
			t.Fatalf("member approval %+v, %v", ma, err)
		}
		d, err := f.decideResource(f.reviewers[1], req, true, "")
		if err != nil || d.Final || memberStatus(t, f, u.ID) != store.MemberAwaitingApproval {
			t.Fatalf("step 1: %+v, %v", d, err)
		}
		d, err = f.decideResource(f.admin, req, true, "")
		if err != nil || !d.Final || d.Request.Status != store.RequestApproved {
			t.Fatalf("step 2: %+v, %v", d, err)
		}
		if st := memberStatus(t, f, u.ID); st != store.MemberActive {
			t.Fatalf("approved member is %s", st)
		}
		got := outcomeNotices(t, db, u)
		if len(got) != 1 || !strings.Contains(got[0].Title, "approved") {
			t.Fatalf("the member's notices: %+v", got)
		}
		if got := outcomeNotices(t, db, f.reviewers[0]); len(got) != 1 || !strings.Contains(got[0].Message, "you invited was approved: their membership is open") {
			t.Fatalf("the inviter's notices: %+v", got)
		}
		// Another organization's reviewer sees nothing of it.
		other := db.Scoped(f.other.ID)
		if _, err := other.ResourceApprovalRequest(ctx, req.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another organization reading the request: %v", err)
		}
		if _, err := other.DecideResourceApproval(ctx, store.Decision{RequestID: req.ID, ApproverID: f.otherReviewer.ID, Approve: true},
			actorOf(f.otherReviewer)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another organization deciding: %v", err)
		}
	})
}

// A waiting member is no approver and no administrator the organization
// keeps; a rejection closes their account and tells them.
func TestUserRegistrationRejected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newApprovalFixture(t, db)
		kindWorkflow(t, db, f.org, store.WorkflowUserRegistration, false, reviewersStep("Registrar", 1))
		waiting, wreq := joinAs(t, db, f, f.admin, "rex@registry.example", store.RoleReviewer)
		u, req := joinAs(t, db, f, f.admin, "nora@registry.example", store.RoleIssuer)
		if _, err := f.decideResource(waiting, req, true, ""); !errors.Is(err, store.ErrNotEligible) {
			t.Fatalf("a waiting reviewer approving: %v", err)
		}
		if _, err := f.decideResource(f.reviewers[0], req, false, ""); !errors.Is(err, store.ErrNoteRequired) {
			t.Fatalf("rejection without a note: %v", err)
		}
		d, err := f.decideResource(f.reviewers[0], req, false, "We do not know this person")
		if err != nil || !d.Final || d.Request.Status != store.RequestRejected {
			t.Fatalf("rejection: %+v, %v", d, err)
		}
		if st := memberStatus(t, f, u.ID); st != store.MemberDeactivated {
			t.Fatalf("rejected member is %s", st)
		}
		if got := outcomeNotices(t, db, u); len(got) != 1 || !strings.Contains(got[0].Title, "not approved") {
			t.Fatalf("the member's notices: %+v", got)
		}
		if _, err := f.decideResource(f.reviewers[1], req, true, ""); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Fatalf("approving a rejected request: %v", err)
		}
		if st := memberStatus(t, f, waiting.ID); st != store.MemberAwaitingApproval {
			t.Fatalf("the other waiting member is %s", st)
		}
		if wreq == nil {
			t.Fatal("no request for the waiting reviewer")
		}
		var n int64
		if err := store.Gorm(db).Model(&store.AuditLog{}).Where("action = ? AND resource_id = ?", "approval.rejected", u.ID).Count(&n).Error; err != nil || n != 1 {
			t.Fatalf("%d approval.rejected audit entries, %v", n, err)
		}
	})
}

// Many approvers racing for the one approval: exactly one final
// transition, the member approved once.
func TestUserRegistrationRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newApprovalFixture(t, db)
		kindWorkflow(t, db, f.org, store.WorkflowUserRegistration, false, reviewersStep("Registrar", 1))
		for i := range 5 {
			f.reviewers = append(f.reviewers, member(t, db, f.org, fmt.Sprintf("more%d@registry.example", i), "More Reviewer", store.RoleReviewer))
		}
		u, req := joinAs(t, db, f, f.admin, "nora@registry.example", store.RoleIssuer)
		var finals, oks atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, len(f.reviewers))
		for _, r := range f.reviewers {
			wg.Go(func() {
				d, err := f.decideResource(r, req, true, "")
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
		if st := memberStatus(t, f, u.ID); st != store.MemberActive {
			t.Fatalf("member is %s", st)
		}
		if got := outcomeNotices(t, db, u); len(got) != 1 {
			t.Fatalf("the member was told %d times", len(got))
		}
	})
}
