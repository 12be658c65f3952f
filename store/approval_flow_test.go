package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// approvalFixture is an organization with a schema under requirements, an
// issuer who requests, three reviewers, an admin and a verifier; and
// another organization with its own reviewer.
type approvalFixture struct {
	org, other                 *store.Organization
	sc                         *store.Scoped
	tpl                        *store.CredentialTemplate
	issuer, admin, verifier    *store.User
	reviewers                  []*store.User
	otherReviewer              *store.User
	schemaID                   string
	requirementA, requirementB *store.MultisigRequirement
}

func newApprovalFixture(t *testing.T, db *store.DB, rules ...*store.MultisigRequirement) *approvalFixture {
	t.Helper()
	f := &approvalFixture{org: org(t, db, "registry"), other: org(t, db, "elsewhere")}
	f.sc = db.Scoped(f.org.ID)
	f.tpl = batchTemplate(t, db, f.org)
	f.schemaID = f.tpl.SchemaID
	f.issuer = member(t, db, f.org, "issuer@registry.example", "Ivy Issuer", store.RoleIssuer)
	f.admin = member(t, db, f.org, "admin@registry.example", "Ada Admin", store.RoleAdmin)
	f.verifier = member(t, db, f.org, "verifier@registry.example", "Vic Verifier", store.RoleVerifier)
	for i := range 3 {
		f.reviewers = append(f.reviewers, member(t, db, f.org, fmt.Sprintf("reviewer%d@registry.example", i), fmt.Sprintf("Rita Reviewer %d", i), store.RoleReviewer))
	}
	f.otherReviewer = member(t, db, f.other, "reviewer@elsewhere.example", "Otto Other", store.RoleReviewer)
	for _, r := range rules {
		r.SchemaID = f.schemaID
		r.Active = true
		if err := store.Gorm(db).Create(r).Error; err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func twoOfReviewers() *store.MultisigRequirement {
	return &store.MultisigRequirement{RequiredSignatures: 2, ApproverRoles: datatypes.NewJSONSlice([]store.Role{store.RoleReviewer})}
}

// park stores a pending credential requested by the issuer.
func (f *approvalFixture) park(t *testing.T) (*store.Credential, *store.ApprovalRequest) {
	t.Helper()
	c := &store.Credential{PublicID: uuid.NewString(), SchemaID: f.schemaID, TemplateID: &f.tpl.ID, RecipientAddress: "grad@example.org",
		EncryptedData: []byte("sealed unsigned document"), DataHash: ptr("hash-1")}
	req, err := f.sc.StorePendingCredential(context.Background(), store.Pending{Via: store.ViaWeb, RequesterID: &f.issuer.ID}, c, actorOf(f.issuer))
	if err != nil {
		t.Fatal(err)
	}
	return c, req
}

func (f *approvalFixture) decide(u *store.User, req *store.ApprovalRequest, approve bool, note string) (*store.Decided, error) {
	return f.sc.DecideApproval(context.Background(), store.Decision{RequestID: req.ID, ApproverID: u.ID, Approve: approve, Note: note}, actorOf(u))
}

func credStatus(t *testing.T, sc *store.Scoped, id string) store.CredentialStatus {
	t.Helper()
	c, err := sc.Credential(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Status
}

// A pending credential is stored without a status entry or proof, with a
// request, and every eligible member but the requester is notified.
func TestStorePendingCredential(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db, twoOfReviewers())
		c, req := f.park(t)
		got, err := f.sc.Credential(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.CredentialPending || got.StatusListID != nil || got.StatusListIndex != nil || got.IssuedAt != nil || got.SigningKeyID != nil {
			t.Fatalf("pending credential %+v", got)
		}
		if req.Status != store.RequestPending || req.Round != 1 || req.CredentialID != c.ID || *req.RequesterID != f.issuer.ID ||
			req.TemplateID == nil || *req.TemplateID != f.tpl.ID {
			t.Fatalf("request %+v", req)
		}
		for _, u := range append([]*store.User{f.issuer, f.verifier, f.admin}, f.reviewers...) {
			var n int64
			store.Gorm(db).Model(&store.Notification{}).Where("user_id = ? AND type = ?", u.ID, store.NotifyApprovalRequested).Count(&n)
			want := int64(0)
			if u.Role == store.RoleReviewer {
				want = 1
			}
			if n != want {
				t.Errorf("%s (%s) has %d approval notifications, want %d", u.Email, u.Role, n, want)
			}
		}
		if auditCount(t, db, "approval.requested", c.ID) != 1 {
			t.Error("the request is not audited")
		}
		// Another organization sees nothing of it.
		if _, err := db.Scoped(f.other.ID).ApprovalRequest(ctx, req.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("other organization reads the request: %v", err)
		}
	})
}

// Two of three reviewers: the requester, a verifier, another organization's
// reviewer and a second decision of one person are refused; the second
// approval is final and approves the request, the credential stays pending
// until it is signed.
func TestDecideApprovalRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db, twoOfReviewers())
		c, req := f.park(t)
		if _, err := f.decide(f.issuer, req, true, ""); !errors.Is(err, store.ErrOwnRequest) {
			t.Errorf("requester approves: %v, want ErrOwnRequest", err)
		}
		if _, err := f.decide(f.verifier, req, true, ""); !errors.Is(err, store.ErrNotEligible) {
			t.Errorf("verifier approves: %v, want ErrNotEligible", err)
		}
		if _, err := f.decide(f.otherReviewer, req, true, ""); !errors.Is(err, store.ErrNotEligible) {
			t.Errorf("another organization's reviewer approves: %v, want ErrNotEligible", err)
		}
		if _, err := db.Scoped(f.other.ID).DecideApproval(ctx, store.Decision{RequestID: req.ID, ApproverID: f.otherReviewer.ID, Approve: true},
			actorOf(f.otherReviewer)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another organization's handle decides: %v, want ErrNotFound", err)
		}
		d, err := f.decide(f.reviewers[0], req, true, "looks right")
		if err != nil {
			t.Fatal(err)
		}
		if d.Final || d.Request.Status != store.RequestPending || len(d.Tally) != 1 || d.Tally[0].Approvals != 1 {
			t.Fatalf("first approval: final %v, %+v", d.Final, d.Tally)
		}
		if _, err := f.decide(f.reviewers[0], req, true, ""); !errors.Is(err, store.ErrAlreadyDecided) {
			t.Errorf("second approval by the same person: %v, want ErrAlreadyDecided", err)
		}
		if _, err := f.decide(f.reviewers[0], req, false, "changed my mind"); !errors.Is(err, store.ErrAlreadyDecided) {
			t.Errorf("rejection after approving: %v, want ErrAlreadyDecided", err)
		}
		d, err = f.decide(f.reviewers[1], req, true, "")
		if err != nil {
			t.Fatal(err)
		}
		if !d.Final || d.Request.Status != store.RequestApproved || d.Request.DecidedAt == nil {
			t.Fatalf("second approval: final %v, request %+v", d.Final, d.Request)
		}
		if s := credStatus(t, f.sc, c.ID); s != store.CredentialPending {
			t.Errorf("credential is %s before it is signed, want pending", s)
		}
		if _, err := f.decide(f.reviewers[2], req, true, ""); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Errorf("approval after the final one: %v, want ErrApprovalNotPending", err)
		}
		ds, err := f.sc.ApprovalDecisions(ctx, req.ID)
		if err != nil || len(ds) != 2 || ds[0].Approver == nil || ds[0].Approver.ID != f.reviewers[0].ID || *ds[0].ApprovalNotes != "looks right" {
			t.Fatalf("decisions %+v, %v", ds, err)
		}
		if auditCount(t, db, "approval.approved", c.ID) != 2 {
			t.Error("approvals not audited")
		}
	})
}

// Every rule must hold: one reviewer AND one admin.
func TestDecideApprovalAllRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newApprovalFixture(t, db,
			&store.MultisigRequirement{RequiredSignatures: 1, ApproverRoles: datatypes.NewJSONSlice([]store.Role{store.RoleReviewer})},
			&store.MultisigRequirement{RequiredSignatures: 1, ApproverRoles: datatypes.NewJSONSlice([]store.Role{store.RoleAdmin})})
		_, req := f.park(t)
		d, err := f.decide(f.reviewers[0], req, true, "")
		if err != nil || d.Final {
			t.Fatalf("reviewer alone: final %v, %v", d != nil && d.Final, err)
		}
		d, err = f.decide(f.reviewers[1], req, true, "")
		if err != nil || d.Final {
			t.Fatalf("two reviewers and no admin: final %v, %v", d != nil && d.Final, err)
		}
		d, err = f.decide(f.admin, req, true, "")
		if err != nil || !d.Final || d.Request.Status != store.RequestApproved {
			t.Fatalf("reviewer and admin: %+v, %v", d, err)
		}
	})
}

// A rejection needs a note, ends the request, rejects the credential and
// tells the requester with the note.
func TestDecideApprovalRejection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newApprovalFixture(t, db, twoOfReviewers())
		c, req := f.park(t)
		if _, err := f.decide(f.reviewers[0], req, false, "  "); !errors.Is(err, store.ErrNoteRequired) {
			t.Errorf("rejection without a note: %v, want ErrNoteRequired", err)
		}
		d, err := f.decide(f.reviewers[0], req, false, "The transcript is missing")
		if err != nil || !d.Final || d.Request.Status != store.RequestRejected {
			t.Fatalf("rejection: %+v, %v", d, err)
		}
		if s := credStatus(t, f.sc, c.ID); s != store.CredentialRejected {
			t.Errorf("credential is %s, want rejected", s)
		}
		var msgs []string
		store.Gorm(db).Model(&store.Notification{}).Where("user_id = ? AND type = ?", f.issuer.ID, store.NotifyApprovalDecided).Pluck("message", &msgs)
		if len(msgs) != 1 || !strings.Contains(msgs[0], "The transcript is missing") {
			t.Errorf("requester's notifications %q", msgs)
		}
		if _, err := f.decide(f.reviewers[1], req, true, ""); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Errorf("approval after a rejection: %v, want ErrApprovalNotPending", err)
		}
		if auditCount(t, db, "approval.rejected", c.ID) != 1 {
			t.Error("rejection not audited")
		}
	})
}

// Someone who lost the role, or was deactivated, since the request came in
// cannot decide.
func TestDecideApprovalAfterLosingTheRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db, twoOfReviewers())
		_, req := f.park(t)
		if _, err := f.sc.ChangeMemberRole(ctx, f.reviewers[0].ID, store.RoleVerifier, actorOf(f.admin)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.decide(f.reviewers[0], req, true, ""); !errors.Is(err, store.ErrNotEligible) {
			t.Errorf("former reviewer approves: %v, want ErrNotEligible", err)
		}
		if _, err := f.sc.DeactivateMember(ctx, f.reviewers[1].ID, time.Now().UTC(), actorOf(f.admin)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.decide(f.reviewers[1], req, false, "no"); !errors.Is(err, store.ErrNotEligible) {
			t.Errorf("deactivated reviewer rejects: %v, want ErrNotEligible", err)
		}
	})
}

// Editing a pending credential's data resets its approvals: a new round in
// which the earlier approval does not count and its author may approve
// again.
func TestEditPendingCredentialResetsApprovals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db, twoOfReviewers())
		c, req := f.park(t)
		if _, err := f.decide(f.reviewers[0], req, true, ""); err != nil {
			t.Fatal(err)
		}
		edited, err := f.sc.EditPendingCredential(ctx, c.ID, []byte("sealed edited document"), "hash-2", actorOf(f.issuer))
		if err != nil || edited.Round != 2 {
			t.Fatalf("edit: %+v, %v", edited, err)
		}
		got, _ := f.sc.Credential(ctx, c.ID)
		if string(got.EncryptedData) != "sealed edited document" || *got.DataHash != "hash-2" {
			t.Errorf("credential data not replaced: %q %v", got.EncryptedData, *got.DataHash)
		}
		d, err := f.decide(f.reviewers[1], req, true, "")
		if err != nil || d.Final || d.Tally[0].Approvals != 1 {
			t.Fatalf("after the reset one approval is not final: %+v, %v", d, err)
		}
		d, err = f.decide(f.reviewers[0], req, true, "")
		if err != nil || !d.Final {
			t.Fatalf("re-approval after the reset: %+v, %v", d, err)
		}
		if _, err := f.sc.EditPendingCredential(ctx, c.ID, []byte("late"), "hash-3", actorOf(f.issuer)); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Errorf("edit after approval: %v, want ErrApprovalNotPending", err)
		}
		if ds, _ := f.sc.ApprovalDecisions(ctx, req.ID); len(ds) != 3 {
			t.Errorf("history keeps %d decisions, want 3", len(ds))
		}
	})
}

// Many approvers racing for the last approval: exactly one decision is
// final, and ActivatePendingCredential succeeds once however often it is
// tried.
func TestDecideApprovalRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db, twoOfReviewers())
		for i := range 5 {
			f.reviewers = append(f.reviewers, member(t, db, f.org, fmt.Sprintf("more%d@registry.example", i), "More Reviewer", store.RoleReviewer))
		}
		c, req := f.park(t)
		var finals, oks atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, len(f.reviewers))
		for _, u := range f.reviewers {
			wg.Go(func() {
				d, err := f.decide(u, req, true, "")
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
		if finals.Load() != 1 || oks.Load() != 2 {
			t.Fatalf("%d final decisions and %d accepted approvals, want 1 and 2", finals.Load(), oks.Load())
		}
		var activated atomic.Int32
		sig := func() *store.Credential {
			rev, sus, err := f.sc.ReserveCredentialStatus(ctx, f.org.DID, "")
			if err != nil {
				t.Error(err)
				return nil
			}
			cc := &store.Credential{ID: c.ID, SchemaID: c.SchemaID, TemplateID: c.TemplateID, EncryptedData: []byte("signed"), DataHash: ptr("signed-hash")}
			err = f.sc.ActivatePendingCredential(ctx, store.Issue{IssuerDID: f.org.DID, Via: store.ViaSystem, Revocation: rev, Suspension: sus}, cc, store.Actor{})
			if err == nil {
				activated.Add(1)
			} else if !errors.Is(err, store.ErrApprovalNotPending) {
				t.Error(err)
			}
			return cc
		}
		var wg2 sync.WaitGroup
		for range 4 {
			wg2.Go(func() { sig() })
		}
		wg2.Wait()
		if activated.Load() != 1 {
			t.Fatalf("%d activations, want 1", activated.Load())
		}
		got, _ := f.sc.Credential(ctx, c.ID)
		if got.Status != store.CredentialActive || got.StatusListIndex == nil || string(got.EncryptedData) != "signed" {
			t.Fatalf("activated credential %+v", got)
		}
		if auditCount(t, db, "credential.issued", c.ID) != 1 {
			t.Error("want one credential.issued audit entry")
		}
	})
}

// A credential whose request is still pending cannot be activated.
func TestActivateNeedsApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db, twoOfReviewers())
		c, _ := f.park(t)
		rev, sus, err := f.sc.ReserveCredentialStatus(ctx, f.org.DID, "")
		if err != nil {
			t.Fatal(err)
		}
		cc := &store.Credential{ID: c.ID, SchemaID: c.SchemaID, EncryptedData: []byte("signed")}
		if err := f.sc.ActivatePendingCredential(ctx, store.Issue{Revocation: rev, Suspension: sus}, cc, store.Actor{}); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Fatalf("activating a pending request's credential: %v", err)
		}
	})
}

// The inbox lists pending requests oldest first, a page at a time,
// filtered by schema, requester and age; the navigation's count is what
// the person could decide.
func TestApprovalInbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db, twoOfReviewers())
		var reqs []*store.ApprovalRequest
		for range 5 {
			_, r := f.park(t)
			reqs = append(reqs, r)
		}
		// One decided request leaves the inbox.
		if _, err := f.decide(f.reviewers[0], reqs[4], false, "no"); err != nil {
			t.Fatal(err)
		}
		var ids []string
		var cur *store.Cursor
		for {
			page, err := f.sc.ApprovalInbox(ctx, store.InboxFilter{}, store.InboxPage{Cursor: cur, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Entries {
				ids = append(ids, e.ID)
				if e.SchemaName != "Degree" || e.RecipientAddress != "grad@example.org" || e.RequesterEmail == nil || *e.RequesterEmail != f.issuer.Email {
					t.Errorf("entry %+v", e)
				}
			}
			if page.Next == nil {
				break
			}
			cur = page.Next
		}
		want := []string{reqs[0].ID, reqs[1].ID, reqs[2].ID, reqs[3].ID}
		if fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Errorf("inbox %v, want %v", ids, want)
		}
		for _, c := range []struct {
			f    store.InboxFilter
			want int
		}{
			{store.InboxFilter{SchemaID: f.schemaID}, 4},
			{store.InboxFilter{SchemaID: uuid.NewString()}, 0},
			{store.InboxFilter{RequesterID: f.issuer.ID}, 4},
			{store.InboxFilter{RequesterID: f.admin.ID}, 0},
			{store.InboxFilter{TemplateID: f.tpl.ID}, 4},
			{store.InboxFilter{TemplateID: uuid.NewString()}, 0},
			{store.InboxFilter{TemplateID: "not-an-id"}, 0},
			{store.InboxFilter{Step: 1}, 4},
			{store.InboxFilter{Step: 2}, 0},
			{store.InboxFilter{OlderThan: time.Hour}, 0},
			{store.InboxFilter{OlderThan: time.Hour, Now: time.Now().Add(2 * time.Hour)}, 4},
		} {
			page, err := f.sc.ApprovalInbox(ctx, c.f, store.InboxPage{})
			if err != nil || len(page.Entries) != c.want {
				t.Errorf("filter %+v: %d entries (%v), want %d", c.f, len(page.Entries), err, c.want)
			}
		}
		for _, c := range []struct {
			u    *store.User
			want int64
		}{{f.reviewers[1], 4}, {f.issuer, 0}, {f.admin, 0}, {f.verifier, 0}} {
			if n, err := f.sc.PendingApprovals(ctx, c.u.ID, c.u.Role); err != nil || n != c.want {
				t.Errorf("%s's count %d (%v), want %d", c.u.Role, n, err, c.want)
			}
		}
		if page, err := db.Scoped(f.other.ID).ApprovalInbox(ctx, store.InboxFilter{}, store.InboxPage{}); err != nil || len(page.Entries) != 0 {
			t.Errorf("other organization's inbox %+v %v", page, err)
		}
	})
}

// The inbox reads its index from the cursor on, in order, with and
// without the schema, template and step filters (each an index range).
func TestApprovalInboxUsesTheIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newApprovalFixture(t, db, twoOfReviewers())
		f.park(t)
		cur := &store.Cursor{At: time.Now().Add(-time.Hour), ID: "00000000-0000-7000-8000-000000000000"}
		for _, tc := range []struct {
			index string
			f     store.InboxFilter
		}{
			{"idx_approval_requests_inbox", store.InboxFilter{}},
			{"idx_approval_requests_schema", store.InboxFilter{SchemaID: f.schemaID}},
			{"idx_approval_requests_template", store.InboxFilter{TemplateID: f.tpl.ID}},
			{"idx_approval_requests_step", store.InboxFilter{Step: 2}},
		} {
			q := store.InboxSQL(db, f.org.ID, tc.f, cur)
			plan := storetest.Explain(t, db, q)
			text := strings.Join(plan, "\n")
			sorts := slices.ContainsFunc(plan, func(s string) bool { return strings.Contains(s, "TEMP B-TREE") || strings.Contains(s, "Sort") })
			if !strings.Contains(text, tc.index) || sorts {
				t.Errorf("%+v: the plan does not read %s in order:\n%s\n%s", tc.f, tc.index, q, text)
			}
		}
	})
}

// A person a rule names may decide whatever their role, and their
// approval counts for that rule; the navigation counts the request for them.
func TestDecideApprovalNamedPeople(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newApprovalFixture(t, db)
		r := &store.MultisigRequirement{SchemaID: f.schemaID, RequiredSignatures: 1, Active: true,
			ApproverRoles: datatypes.NewJSONSlice([]store.Role{store.RoleAdmin}), ApproverUserIDs: datatypes.NewJSONSlice([]string{f.verifier.ID})}
		if err := store.Gorm(db).Create(r).Error; err != nil {
			t.Fatal(err)
		}
		_, req := f.park(t)
		if n, err := f.sc.PendingApprovals(ctx, f.verifier.ID, f.verifier.Role); err != nil || n != 1 {
			t.Errorf("the named verifier's count %d (%v), want 1", n, err)
		}
		if n, err := f.sc.EligibleApprovers(ctx, req.ID); err != nil || n != 2 {
			t.Errorf("%d eligible (%v), want 2: the admin and the named verifier", n, err)
		}
		if _, err := f.decide(f.reviewers[0], req, true, ""); !errors.Is(err, store.ErrNotEligible) {
			t.Errorf("a reviewer the rule does not list: %v", err)
		}
		d, err := f.decide(f.verifier, req, true, "")
		if err != nil || !d.Final || d.Request.Status != store.RequestApproved {
			t.Fatalf("the named verifier's approval: %+v, %v", d, err)
		}
	})
}
