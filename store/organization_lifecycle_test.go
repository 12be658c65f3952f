package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// orgMember creates a user of org with this role.
func orgMember(t *testing.T, db *store.DB, org *store.Organization, email string, role store.Role) *store.User {
	t.Helper()
	u := &store.User{Email: email, Role: role, OrganizationID: &org.ID}
	if err := db.CreateUser(context.Background(), u, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return u
}

func countWhere(t *testing.T, db *store.DB, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := store.Gorm(db).Model(model).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// Every action from every status: the allowed ones change the status,
// write their audit entry with the reason and notify the organization's
// active admins, in one transaction; the refused ones write nothing.
func TestOrganizationTransitions(t *testing.T) {
	// The lifecycle, written out independently of the store's table.
	allowed := map[store.OrganizationAction]map[store.OrganizationStatus]store.OrganizationStatus{
		store.ApproveOrganization:    {store.OrganizationPending: store.OrganizationActive},
		store.SuspendOrganization:    {store.OrganizationActive: store.OrganizationSuspended},
		store.ReactivateOrganization: {store.OrganizationSuspended: store.OrganizationActive},
		store.RevokeOrganization: {store.OrganizationPending: store.OrganizationRevoked, store.OrganizationActive: store.OrganizationRevoked,
			store.OrganizationSuspended: store.OrganizationRevoked},
	}
	audited := map[store.OrganizationAction]string{
		store.ApproveOrganization: "organization.approved", store.SuspendOrganization: "organization.suspended",
		store.ReactivateOrganization: "organization.reactivated", store.RevokeOrganization: "organization.revoked",
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		operator := &store.User{Email: "operator@platform.example", Role: store.RoleSuperAdmin}
		if err := db.CreateUser(ctx, operator, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		actor := store.Actor{UserID: &operator.ID, IP: "192.0.2.9", UserAgent: "test"}
		for _, action := range store.OrganizationActions {
			for _, from := range allStatuses {
				slug := fmt.Sprintf("%s-%s", action, from)
				org := newOrg(t, db, slug, from)
				admin := orgMember(t, db, org, "admin@"+slug+".example", store.RoleAdmin)
				issuer := orgMember(t, db, org, "issuer@"+slug+".example", store.RoleIssuer)
				gone := orgMember(t, db, org, "gone@"+slug+".example", store.RoleAdmin)
				if err := store.Gorm(db).Model(&store.User{}).Where("id = ?", gone.ID).Update("deactivated_at", time.Now().UTC()).Error; err != nil {
					t.Fatal(err)
				}
				_, _ = newKey(t, db.Scoped(org.ID), "ci", nil)
				reason := "Breach of the terms, case " + slug
				to, ok := allowed[action][from]
				if action.AllowedFrom(from) != ok {
					t.Errorf("%s from %s: AllowedFrom = %v, want %v", action, from, !ok, ok)
				}

				e, err := db.ChangeOrganizationStatus(ctx, org.ID, action, reason, actor)
				status := scalarString(t, db, "SELECT status FROM organizations WHERE id = ?", org.ID)
				audits := countWhere(t, db, &store.AuditLog{}, "resource_id = ? AND action = ?", org.ID, audited[action])
				notes := countWhere(t, db, &store.Notification{}, "user_id IN ?", []string{admin.ID, issuer.ID, gone.ID})
				if !ok {
					var te *store.TransitionError
					if !errors.Is(err, store.ErrTransitionRefused) || !errors.As(err, &te) || te.From != from || te.Action != action {
						t.Errorf("%s from %s: %v, want a refusal", action, from, err)
					}
					if status != string(from) || audits != 0 || notes != 0 {
						t.Errorf("refused %s from %s wrote: status %s, %d audit entries, %d notifications", action, from, status, audits, notes)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s from %s: %v", action, from, err)
				}
				if e.Status != to || status != string(to) || e.Members != 2 {
					t.Errorf("%s from %s: entry %s (%d members), stored %s, want %s (2 members)", action, from, e.Status, e.Members, status, to)
				}
				var log store.AuditLog
				if err := store.Gorm(db).Where("resource_id = ? AND action = ?", org.ID, audited[action]).First(&log).Error; err != nil {
					t.Fatalf("%s from %s: no audit entry: %v", action, from, err)
				}
				d := log.Details.Data()
				if audits != 1 || log.ResourceType != "organization" || *log.UserID != operator.ID || *log.OrganizationID != org.ID ||
					*log.IPAddress != "192.0.2.9" || d.Reason != reason ||
					!slices.Equal(d.Changes, []store.FieldChange{{Field: "status", From: string(from), To: string(to)}}) {
					t.Errorf("%s from %s: audit entry %+v %+v", action, from, log, d)
				}
				var ns []store.Notification
				if err := store.Gorm(db).Where("user_id IN ?", []string{admin.ID, issuer.ID, gone.ID}).Find(&ns).Error; err != nil {
					t.Fatal(err)
				}
				if len(ns) != 1 || ns[0].UserID != admin.ID || ns[0].Type != store.NotifySystemAlert || ns[0].Metadata.Data().OrganizationID != org.ID ||
					ns[0].Metadata.Data().Link == "" || ns[0].Title == "" {
					t.Errorf("%s from %s: notifications %+v, want one for the active admin", action, from, ns)
				} else if action.NeedsReason() != strings.Contains(ns[0].Message, reason) {
					t.Errorf("%s from %s: message %q and the reason %q", action, from, ns[0].Message, reason)
				}
				// Nothing of the organization is deleted, revoked or not.
				if countWhere(t, db, &store.User{}, "organization_id = ?", org.ID) != 3 ||
					countWhere(t, db, &store.APIKey{}, "organization_id = ?", org.ID) != 1 {
					t.Errorf("%s from %s deleted members or keys", action, from)
				}
			}
		}
		// The second of two identical actions is refused: the status moved on.
		org := newOrg(t, db, "twice", store.OrganizationPending)
		if _, err := db.ChangeOrganizationStatus(ctx, org.ID, store.ApproveOrganization, "", actor); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ChangeOrganizationStatus(ctx, org.ID, store.ApproveOrganization, "", actor); !errors.Is(err, store.ErrTransitionRefused) {
			t.Fatalf("approving twice: %v", err)
		}
	})
}

func scalarString(t *testing.T, db *store.DB, q string, args ...any) string {
	t.Helper()
	var s string
	if err := store.Gorm(db).Raw(q, args...).Scan(&s).Error; err != nil {
		t.Fatal(err)
	}
	return s
}

// Bad input is refused before anything is written.
func TestOrganizationTransitionInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, "input", store.OrganizationActive)
		before := countWhere(t, db, &store.AuditLog{}, "1 = 1")
		for _, tc := range []struct {
			id     string
			action store.OrganizationAction
			reason string
			want   error
		}{
			{org.ID, store.SuspendOrganization, "", store.ErrReasonRequired},
			{org.ID, store.SuspendOrganization, " \t\n", store.ErrReasonRequired},
			{org.ID, store.RevokeOrganization, "", store.ErrReasonRequired},
			{org.ID, store.SuspendOrganization, strings.Repeat("é", store.MaxStatusReason+1), store.ErrReasonTooLong},
			{org.ID, store.SuspendOrganization, "nul\x00byte", store.ErrReasonTooLong},
			{"0190a0a0-0000-7000-8000-000000000000", store.SuspendOrganization, "why", store.ErrNotFound},
			{"not-an-id", store.SuspendOrganization, "why", store.ErrNotFound},
			{"' OR 1=1 --", store.ApproveOrganization, "", store.ErrNotFound},
		} {
			if _, err := db.ChangeOrganizationStatus(ctx, tc.id, tc.action, tc.reason, store.Actor{}); !errors.Is(err, tc.want) {
				t.Errorf("%s %q with %q: %v, want %v", tc.action, tc.id, tc.reason, err, tc.want)
			}
		}
		if _, err := db.ChangeOrganizationStatus(ctx, org.ID, "delete", "x", store.Actor{}); err == nil {
			t.Error("an unknown action was taken")
		}
		if after := countWhere(t, db, &store.AuditLog{}, "1 = 1"); after != before || scalarString(t, db, "SELECT status FROM organizations WHERE id = ?", org.ID) != "active" {
			t.Fatal("refused input wrote something")
		}
		// A reason of exactly the maximum is fine.
		if _, err := db.ChangeOrganizationStatus(ctx, org.ID, store.SuspendOrganization, strings.Repeat("é", store.MaxStatusReason), store.Actor{}); err != nil {
			t.Fatal(err)
		}
	})
}

// The status change, its audit entry and the notifications commit
// together: when the notification cannot be written, neither is the rest.
func TestOrganizationTransitionIsOneTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, "atomic", store.OrganizationPending)
		orgMember(t, db, org, "admin@atomic.example", store.RoleAdmin)
		g := store.Gorm(db)
		stmts := []string{"CREATE TRIGGER refuse_notifications BEFORE INSERT ON notifications BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"}
		if db.Dialect() == store.Postgres {
			stmts = []string{
				"CREATE FUNCTION refuse_notifications() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
				"CREATE TRIGGER refuse_notifications BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION refuse_notifications()",
			}
		}
		for _, s := range stmts {
			if err := g.Exec(s).Error; err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.ChangeOrganizationStatus(ctx, org.ID, store.ApproveOrganization, "", store.Actor{}); err == nil {
			t.Fatal("approved although the notification failed")
		}
		if s := scalarString(t, db, "SELECT status FROM organizations WHERE id = ?", org.ID); s != "pending" {
			t.Fatalf("status %s after a failed transaction", s)
		}
		if n := countWhere(t, db, &store.AuditLog{}, "action = ?", "organization.approved"); n != 0 {
			t.Fatalf("%d audit entries after a failed transaction", n)
		}
	})
}

func TestSetOrganizationVerified(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, "verify", store.OrganizationActive)
		set := func(v bool) {
			t.Helper()
			e, err := db.SetOrganizationVerified(ctx, org.ID, v, store.Actor{})
			if err != nil || e.Verified != v {
				t.Fatalf("set verified %v: %+v %v", v, e, err)
			}
		}
		set(true)
		set(true) // no change, no entry
		set(false)
		if s, c := countWhere(t, db, &store.AuditLog{}, "resource_id = ? AND action = ?", org.ID, "organization.verified_set"),
			countWhere(t, db, &store.AuditLog{}, "resource_id = ? AND action = ?", org.ID, "organization.verified_cleared"); s != 1 || c != 1 {
			t.Fatalf("%d verified_set and %d verified_cleared entries, want 1 and 1", s, c)
		}
		if _, err := db.SetOrganizationVerified(ctx, "nope", true, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
	})
}

// A suspension's reason is kept on the organization (members are shown it
// when they try to sign in); reactivating clears it.
func TestSuspensionReasonIsStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := &store.Organization{Name: "Reasoned", Slug: "reasoned", Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:reasoned"}
		if err := db.CreateOrganization(ctx, o, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ChangeOrganizationStatus(ctx, o.ID, store.SuspendOrganization, "Unpaid invoices", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		got, err := db.OrganizationByID(ctx, o.ID)
		if err != nil || got.StatusReason == nil || *got.StatusReason != "Unpaid invoices" || got.StatusChangedAt == nil {
			t.Fatalf("after suspension: reason %v, changed at %v (%v)", got.StatusReason, got.StatusChangedAt, err)
		}
		if _, err := db.ChangeOrganizationStatus(ctx, o.ID, store.ReactivateOrganization, "", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if got, _ = db.OrganizationByID(ctx, o.ID); got.StatusReason != nil || got.Status != store.OrganizationActive {
			t.Fatalf("after reactivation: %s, reason %v", got.Status, got.StatusReason)
		}
	})
}
