package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Four-eyes requests, every rule on both dialects: a revocation needs a
// reason, only a change the credential's status allows waits, one per
// credential; the requester never decides, nor does anyone who is not an
// active admin or reviewer now; a rejection needs a note; a decided
// request is not decided again; another organization's is not found.
// Nothing of the credential changes in the store (the door does that).
func TestStatusChangeRequestRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := org(t, db, "alpha"), org(t, db, "bravo")
		sa := db.Scoped(a.ID)
		issuer := member(t, db, a, "issuer@alpha.example", "Ivo Issuer", store.RoleIssuer)
		other := member(t, db, a, "other@alpha.example", "Ola Issuer", store.RoleIssuer)
		reviewer := member(t, db, a, "reviewer@alpha.example", "Rae Reviewer", store.RoleReviewer)
		admin := member(t, db, a, "admin@alpha.example", "Ada Admin", store.RoleAdmin)
		gone := member(t, db, a, "gone@alpha.example", "Gus Gone", store.RoleReviewer)
		if _, err := sa.DeactivateMember(ctx, gone.ID, time.Now(), actorOf(admin)); err != nil {
			t.Fatal(err)
		}
		bAdmin := member(t, db, b, "admin@bravo.example", "Bea Admin", store.RoleAdmin)
		tpl := batchTemplate(t, db, a)
		issue := func() *store.Credential {
			in := store.Issue{IssuerDID: a.DID, Via: store.ViaWeb}
			var err error
			if in.Revocation, in.Suspension, err = sa.ReserveCredentialStatus(ctx, a.DID, ""); err != nil {
				t.Fatal(err)
			}
			c := &store.Credential{PublicID: uuid.NewString(), SchemaID: tpl.SchemaID, TemplateID: &tpl.ID, RecipientAddress: "bob@example.com"}
			if err := sa.StoreIssuedCredential(ctx, in, c, actorOf(issuer)); err != nil {
				t.Fatal(err)
			}
			return c
		}
		c := issue()
		if _, err := sa.RequestStatusChange(ctx, c.ID, store.ActionRevoke, " ", store.ViaWeb, actorOf(issuer)); !errors.Is(err, store.ErrStatusChange) {
			t.Errorf("revocation without a reason: %v", err)
		}
		if _, err := sa.RequestStatusChange(ctx, c.ID, store.ActionUnsuspend, "", store.ViaWeb, actorOf(issuer)); !errors.Is(err, store.ErrStatusChange) {
			t.Errorf("an unsuspension waits: %v", err)
		}
		if _, err := db.Scoped(b.ID).RequestStatusChange(ctx, c.ID, store.ActionSuspend, "", store.ViaWeb, actorOf(bAdmin)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("B asks to suspend A's credential: %v", err)
		}
		r, err := sa.RequestStatusChange(ctx, c.ID, store.ActionRevoke, "Issued in error", store.ViaWeb, actorOf(issuer))
		if err != nil || r.Status != store.RequestPending || r.RequesterID == nil || *r.RequesterID != issuer.ID {
			t.Fatalf("request: %+v %v", r, err)
		}
		if _, err := sa.RequestStatusChange(ctx, c.ID, store.ActionSuspend, "", store.ViaAPI, store.Actor{}); !errors.Is(err, store.ErrStatusChangeWaiting) {
			t.Errorf("a second request for the same credential: %v", err)
		}
		if got, err := sa.Credential(ctx, c.ID); err != nil || got.Status != store.CredentialActive {
			t.Fatalf("the credential changed on request: %+v %v", got, err)
		}
		waiting, err := sa.StatusChangeRequests(ctx)
		if err != nil || len(waiting) != 1 || waiting[0].ID != r.ID || waiting[0].Credential == nil || waiting[0].Requester == nil {
			t.Fatalf("waiting: %+v %v", waiting, err)
		}
		if got, _ := db.Scoped(b.ID).StatusChangeRequests(ctx); len(got) != 0 {
			t.Errorf("B sees A's requests: %+v", got)
		}

		for name, tc := range map[string]struct {
			sc      *store.Scoped
			decider string
			approve bool
			note    string
			want    error
		}{
			"the requester":        {sa, issuer.ID, true, "", store.ErrOwnRequest},
			"an issuer":            {sa, other.ID, true, "", store.ErrNotEligible},
			"a deactivated member": {sa, gone.ID, true, "", store.ErrNotEligible},
			"B's admin through A":  {sa, bAdmin.ID, true, "", store.ErrNotEligible},
			"B's handle":           {db.Scoped(b.ID), bAdmin.ID, true, "", store.ErrNotFound},
			"a note-less reject":   {sa, reviewer.ID, false, "  ", store.ErrNoteRequired},
		} {
			if _, err := tc.sc.DecideStatusChange(ctx, r.ID, tc.decider, tc.approve, tc.note, store.Actor{}); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", name, err, tc.want)
			}
		}
		d, err := sa.DecideStatusChange(ctx, r.ID, reviewer.ID, false, "Not without the registrar", actorOf(reviewer))
		if err != nil || d.Status != store.RequestRejected || d.DecisionNote == nil || *d.DecisionNote != "Not without the registrar" ||
			d.DeciderID == nil || *d.DeciderID != reviewer.ID {
			t.Fatalf("rejection: %+v %v", d, err)
		}
		if _, err := sa.DecideStatusChange(ctx, r.ID, admin.ID, true, "", store.Actor{}); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Errorf("deciding a rejected request: %v", err)
		}
		// Rejected, a new request may wait; an admin approves it.
		r2, err := sa.RequestStatusChange(ctx, c.ID, store.ActionSuspend, "", store.ViaAPI, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if d, err := sa.DecideStatusChange(ctx, r2.ID, admin.ID, true, "", actorOf(admin)); err != nil || d.Status != store.RequestApproved {
			t.Fatalf("approval: %+v %v", d, err)
		}
		if n := countAudit(t, db, "status_change.requested"); n != 2 {
			t.Errorf("%d status_change.requested audit entries", n)
		}
		if countAudit(t, db, "status_change.rejected") != 1 || countAudit(t, db, "status_change.approved") != 1 {
			t.Errorf("decisions not audited")
		}
	})
}

// The requester hears of the decision (with a rejection's note), and may
// withdraw a request while it waits — nobody else may, and a withdrawn
// request is no longer decided nor counted; each step audited.
func TestStatusChangeNoticeAndWithdrawal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db)
		notices := func(u *store.User) []store.Notification {
			t.Helper()
			var out []store.Notification
			if err := store.Gorm(db).Where("user_id = ? AND type = ?", u.ID, store.NotifyApprovalDecided).Order("sent_at, id").Find(&out).Error; err != nil {
				t.Fatal(err)
			}
			return out
		}
		c := f.issued(t)
		r, err := f.sc.RequestStatusChange(ctx, c.ID, store.ActionRevoke, "Issued in error", store.ViaWeb, actorOf(f.issuer))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.sc.DecideStatusChange(ctx, r.ID, f.reviewers[0].ID, false, "Ask the registrar first", actorOf(f.reviewers[0])); err != nil {
			t.Fatal(err)
		}
		got := notices(f.issuer)
		if len(got) != 1 || got[0].Title != "Your revocation was rejected" || !strings.Contains(got[0].Message, "Ask the registrar first") ||
			got[0].Metadata.Data().Link != "/credentials/"+c.ID {
			t.Fatalf("the requester's notice of the rejection: %+v", got)
		}

		// Withdrawn while it waits.
		r2, err := f.sc.RequestStatusChange(ctx, c.ID, store.ActionSuspend, "", store.ViaWeb, actorOf(f.issuer))
		if err != nil {
			t.Fatal(err)
		}
		if w, err := f.sc.WaitingStatusChange(ctx, c.ID); err != nil || w == nil || w.ID != r2.ID || w.Requester == nil {
			t.Fatalf("waiting: %+v %v", w, err)
		}
		if _, err := f.sc.WithdrawStatusChange(ctx, c.ID, f.reviewers[0].ID, actorOf(f.reviewers[0])); !errors.Is(err, store.ErrNotYourRequest) {
			t.Errorf("a reviewer withdraws the issuer's request: %v", err)
		}
		if _, err := db.Scoped(f.other.ID).WithdrawStatusChange(ctx, c.ID, f.issuer.ID, actorOf(f.issuer)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("through another organization: %v", err)
		}
		w, err := f.sc.WithdrawStatusChange(ctx, c.ID, f.issuer.ID, actorOf(f.issuer))
		if err != nil || w.Status != store.RequestCancelled || w.ID != r2.ID {
			t.Fatalf("withdrawal: %+v %v", w, err)
		}
		if _, err := f.sc.WithdrawStatusChange(ctx, c.ID, f.issuer.ID, actorOf(f.issuer)); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Errorf("withdrawn twice: %v", err)
		}
		if _, err := f.sc.DecideStatusChange(ctx, r2.ID, f.admin.ID, true, "", actorOf(f.admin)); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Errorf("approving a withdrawn request: %v", err)
		}
		if w, err := f.sc.WaitingStatusChange(ctx, c.ID); err != nil || w != nil {
			t.Errorf("still waiting after the withdrawal: %+v %v", w, err)
		}
		if n, err := f.sc.PendingApprovals(ctx, f.admin.ID, f.admin.Role); err != nil || n != 0 {
			t.Errorf("the admin's count after the withdrawal: %d %v", n, err)
		}
		if got, _ := f.sc.Credential(ctx, c.ID); got.Status != store.CredentialActive {
			t.Errorf("the credential changed: %s", got.Status)
		}
		if countAudit(t, db, "status_change.withdrawn") != 1 {
			t.Error("the withdrawal is not audited")
		}

		// Approved: the requester is told the change is made.
		r3, err := f.sc.RequestStatusChange(ctx, c.ID, store.ActionSuspend, "", store.ViaWeb, actorOf(f.issuer))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.sc.DecideStatusChange(ctx, r3.ID, f.admin.ID, true, "", actorOf(f.admin)); err != nil {
			t.Fatal(err)
		}
		if got := notices(f.issuer); len(got) != 2 || got[1].Title != "Your suspension was approved" || !strings.Contains(got[1].Message, f.admin.Email) {
			t.Fatalf("the requester's notice of the approval: %+v", got)
		}
	})
}
