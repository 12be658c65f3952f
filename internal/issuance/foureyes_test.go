package issuance_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Four eyes on revocation: the request waits (the credential stays
// active, its bit unset, no event); many reviewers approving at once
// produce exactly one status change, one bit flip and one
// credential.revoked, attributed to the one who won; a rejection changes
// nothing. Without the policy (suspension here) the change is made at
// once, as before.
func TestFourEyesRevocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		publishing(t, f)
		hash := "$2a$12$not.a.real.hash.but.a.password.is.set.here.for.tests...."
		var requester *store.User
		var reviewers []*store.User
		mk := func(email string, role store.Role) *store.User {
			u := &store.User{Email: email, OrganizationID: &f.org.ID, Role: role, PasswordHash: &hash, EmailVerified: true,
				Profile: datatypes.NewJSONType(store.UserProfile{DisplayName: email})}
			if err := db.CreateUser(ctx, u, store.Actor{}); err != nil {
				t.Fatal(err)
			}
			return u
		}
		requester = mk("admin@uni.example", store.RoleAdmin)
		for i := range 6 {
			reviewers = append(reviewers, mk(fmt.Sprintf("reviewer%d@uni.example", i), store.RoleReviewer))
		}
		if _, err := f.sc.SaveApprovalPolicy(ctx, store.ApprovalPolicy{FourEyesRevocation: true, StepUp: store.StepUpNone}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		out, err := f.is.Submit(ctx, f.sc, request(f.rdfc, "Ada", "ada@example.org"), store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		c := out.Credential
		before := len(pending(t, db, events.CredentialRevoked))
		act := store.Actor{UserID: &requester.ID}
		got, err := f.is.RequestStatusChange(ctx, f.sc, c.ID, store.ActionRevoke, "Issued in error", store.ViaWeb, act)
		if err != nil || got.Waiting == nil || got.Credential.Status != store.CredentialActive {
			t.Fatalf("revocation under four eyes: %+v %v", got, err)
		}
		if revoked, _ := f.statusBit(t, out.Document, "revocation"); revoked {
			t.Fatal("the bit flipped before the approval")
		}
		if n := len(pending(t, db, events.CredentialRevoked)); n != before {
			t.Fatal("credential.revoked published before the approval")
		}
		if _, _, err := f.is.DecideStatusChange(ctx, f.sc, got.Waiting.ID, requester.ID, true, "", act); !errors.Is(err, store.ErrOwnRequest) {
			t.Fatalf("the requester approves: %v", err)
		}

		var wins atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, len(reviewers))
		for _, u := range reviewers {
			wg.Go(func() {
				_, _, err := f.is.DecideStatusChange(ctx, f.sc, got.Waiting.ID, u.ID, true, "", store.Actor{UserID: &u.ID})
				switch {
				case err == nil:
					wins.Add(1)
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
		if wins.Load() != 1 {
			t.Fatalf("%d approvals won, want 1", wins.Load())
		}
		cur, err := f.sc.Credential(ctx, c.ID)
		if err != nil || cur.Status != store.CredentialRevoked || cur.RevocationReason == nil || *cur.RevocationReason != "Issued in error" {
			t.Fatalf("after the approval: %+v %v", cur, err)
		}
		if revoked, _ := f.statusBit(t, out.Document, "revocation"); !revoked {
			t.Error("the bit did not flip")
		}
		if n := len(pending(t, db, events.CredentialRevoked)); n != before+1 {
			t.Errorf("%d credential.revoked events, want 1", n-before)
		}
		history, err := f.sc.CredentialStatusHistory(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		changes := 0
		for _, h := range history {
			if h.ToStatus == store.CredentialRevoked {
				changes++
				if h.ActorUserID == nil || *h.ActorUserID == requester.ID {
					t.Errorf("the revocation is attributed to %v, not to its approver", h.ActorUserID)
				}
			}
		}
		if changes != 1 {
			t.Errorf("%d revocations in the history, want 1", changes)
		}

		// A rejection changes nothing; suspension has no four eyes here.
		other, err := f.is.Submit(ctx, f.sc, request(f.rdfc, "Grace", "grace@example.org"), store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		w, err := f.is.RequestStatusChange(ctx, f.sc, other.Credential.ID, store.ActionRevoke, "Typo", store.ViaAPI, act)
		if err != nil {
			t.Fatal(err)
		}
		if _, c2, err := f.is.DecideStatusChange(ctx, f.sc, w.Waiting.ID, reviewers[0].ID, false, "The name is right", store.Actor{}); err != nil || c2 != nil {
			t.Fatalf("rejection: %+v %v", c2, err)
		}
		if cur, _ := f.sc.Credential(ctx, other.Credential.ID); cur.Status != store.CredentialActive {
			t.Errorf("rejected revocation changed the credential: %s", cur.Status)
		}
		s, err := f.is.RequestStatusChange(ctx, f.sc, other.Credential.ID, store.ActionSuspend, "", store.ViaWeb, act)
		if err != nil || s.Waiting != nil || s.Credential.Status != store.CredentialSuspended {
			t.Fatalf("suspension without four eyes: %+v %v", s, err)
		}
	})
}
