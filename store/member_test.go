package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// org creates an organization for a members test.
func org(t *testing.T, db *store.DB, slug string) *store.Organization {
	t.Helper()
	o := &store.Organization{Name: slug + " org", Slug: slug, Type: store.OrganizationCorporate, Status: store.OrganizationActive,
		DID: "did:web:example.org:orgs:" + slug}
	if err := db.CreateOrganization(context.Background(), o, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return o
}

// member creates a user of o who has a password (an active member).
func member(t *testing.T, db *store.DB, o *store.Organization, email, name string, role store.Role) *store.User {
	t.Helper()
	hash := "$2a$12$not.a.real.hash.but.a.password.is.set.here.for.tests...."
	u := &store.User{Email: email, OrganizationID: &o.ID, Role: role, PasswordHash: &hash, EmailVerified: true,
		Profile: datatypes.NewJSONType(store.UserProfile{DisplayName: name})}
	if err := db.CreateUser(context.Background(), u, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return u
}

func actorOf(u *store.User) store.Actor {
	return store.Actor{UserID: &u.ID, IP: "192.0.2.1", UserAgent: "members-test"}
}

func link(token string, ttl time.Duration) store.EmailLink {
	sum := sha256.Sum256([]byte(token))
	return store.EmailLink{TokenHash: hex.EncodeToString(sum[:]), ExpiresAt: time.Now().Add(ttl)}
}

func auditCount(t *testing.T, db *store.DB, action, resourceID string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow("SELECT count(*) FROM audit_logs WHERE action = "+placeholder(db, 1)+" AND resource_id = "+placeholder(db, 2),
		action, resourceID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func placeholder(db *store.DB, i int) string {
	if db.Dialect() == store.Postgres {
		return fmt.Sprintf("$%d", i)
	}
	return "?"
}

func TestMembersAreScopedToTheirOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := org(t, db, "alpha"), org(t, db, "beta")
		adminA := member(t, db, a, "admin@alpha.example", "Ada", store.RoleAdmin)
		issuerA := member(t, db, a, "issuer@alpha.example", "Ian", store.RoleIssuer)
		adminB := member(t, db, b, "admin@beta.example", "Bea", store.RoleAdmin)
		invitedA, err := db.Scoped(a.ID).InviteMember(ctx, "new@alpha.example", store.RoleIssuer, link("a", time.Hour), actorOf(adminA))
		if err != nil {
			t.Fatal(err)
		}
		sb := db.Scoped(b.ID)
		ms, err := sb.Members(ctx, store.MemberFilter{})
		if err != nil || len(ms) != 1 || ms[0].ID != adminB.ID {
			t.Fatalf("beta's members: %v (%v)", ms, err)
		}
		// A malformed id is not found either (not a PostgreSQL type error).
		for _, id := range []string{adminA.ID, issuerA.ID, invitedA.ID, "not-a-uuid", "%ff"} {
			if _, err := sb.Member(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Member(alpha's %s) through beta: %v", id, err)
			}
			if _, err := sb.ChangeMemberRole(ctx, id, store.RoleRecipient, actorOf(adminB)); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ChangeMemberRole(alpha's) through beta: %v", err)
			}
			if _, err := sb.DeactivateMember(ctx, id, time.Now(), actorOf(adminB)); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("DeactivateMember(alpha's) through beta: %v", err)
			}
			if _, err := sb.ReactivateMember(ctx, id, actorOf(adminB)); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ReactivateMember(alpha's) through beta: %v", err)
			}
			if _, err := sb.ResendInvitation(ctx, id, link("b"+id, time.Hour), actorOf(adminB)); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ResendInvitation(alpha's) through beta: %v", err)
			}
		}
		got, err := db.Scoped(a.ID).Member(ctx, issuerA.ID)
		if err != nil || got.Role != store.RoleIssuer || got.DeactivatedAt != nil {
			t.Fatalf("alpha's issuer after beta's attempts: %+v (%v)", got, err)
		}
	})
}

func TestMembersSearchAndRoleFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := org(t, db, "acme")
		member(t, db, o, "alice@acme.example", "Alice Anders", store.RoleAdmin)
		member(t, db, o, "bob@acme.example", "Bob Brown", store.RoleIssuer)
		member(t, db, o, "carol@acme.example", "Carol Chen", store.RoleIssuer)
		member(t, db, o, "dan_100@acme.example", "Dan", store.RoleVerifier)
		member(t, db, org(t, db, "other"), "bob@other.example", "Bob Other", store.RoleIssuer)
		s := db.Scoped(o.ID)
		if _, err := s.InviteMember(ctx, "erin@acme.example", store.RoleReviewer, link("erin", time.Hour), store.Actor{}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			f    store.MemberFilter
			want []string
		}{
			{store.MemberFilter{}, []string{"alice", "bob", "carol", "dan_100", "erin"}},
			{store.MemberFilter{Query: "BROWN"}, []string{"bob"}},     // name, any case
			{store.MemberFilter{Query: "  chen "}, []string{"carol"}}, // trimmed
			{store.MemberFilter{Query: "ERIN@"}, []string{"erin"}},    // email; invited members have no name
			{store.MemberFilter{Query: "_"}, []string{"dan_100"}},     // LIKE wildcards are literal
			{store.MemberFilter{Query: "%"}, nil},                     //
			{store.MemberFilter{Role: store.RoleIssuer}, []string{"bob", "carol"}},
			{store.MemberFilter{Role: store.RoleIssuer, Query: "car"}, []string{"carol"}},
			{store.MemberFilter{Role: store.RoleAdmin, Query: "bob"}, nil},
		} {
			ms, err := s.Members(ctx, tc.f)
			if err != nil {
				t.Fatalf("%+v: %v", tc.f, err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.Email[:len(m.Email)-len("@acme.example")])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Members(%+v) = %v, want %v", tc.f, got, tc.want)
			}
		}
		ms, _ := s.Members(ctx, store.MemberFilter{Query: "erin"})
		if len(ms) != 1 || ms[0].Status() != store.MemberInvited || ms[0].InvitationExpiresAt == nil || ms[0].InvitationExpired(time.Now()) {
			t.Fatalf("invited member: %+v", ms)
		}
	})
}

func TestChangeMemberRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := org(t, db, "acme")
		admin := member(t, db, o, "admin@acme.example", "Ada", store.RoleAdmin)
		issuer := member(t, db, o, "issuer@acme.example", "Ian", store.RoleIssuer)
		s := db.Scoped(o.ID)
		m, err := s.ChangeMemberRole(ctx, issuer.ID, store.RoleReviewer, actorOf(admin))
		if err != nil || m.Role != store.RoleReviewer {
			t.Fatalf("issuer → reviewer: %+v (%v)", m, err)
		}
		if n := auditCount(t, db, "member.role_changed", issuer.ID); n != 1 {
			t.Errorf("role change audited %d times", n)
		}
		// The same role again changes nothing and audits nothing.
		if _, err := s.ChangeMemberRole(ctx, issuer.ID, store.RoleReviewer, actorOf(admin)); err != nil {
			t.Fatal(err)
		}
		if n := auditCount(t, db, "member.role_changed", issuer.ID); n != 1 {
			t.Errorf("a no-op role change was audited")
		}
		for _, r := range []store.Role{store.RoleSuperAdmin, "owner", ""} {
			if _, err := s.ChangeMemberRole(ctx, issuer.ID, r, actorOf(admin)); !errors.Is(err, store.ErrRoleNotAssignable) {
				t.Errorf("role %q: %v, want ErrRoleNotAssignable", r, err)
			}
		}
		// A platform administrator who belongs to the organization is not
		// changed from here.
		root := member(t, db, o, "root@acme.example", "Root", store.RoleSuperAdmin)
		if _, err := s.ChangeMemberRole(ctx, root.ID, store.RoleIssuer, actorOf(admin)); !errors.Is(err, store.ErrPlatformAdmin) {
			t.Errorf("demoting a super_admin: %v", err)
		}
		if _, err := s.DeactivateMember(ctx, root.ID, time.Now(), actorOf(admin)); !errors.Is(err, store.ErrPlatformAdmin) {
			t.Errorf("deactivating a super_admin: %v", err)
		}
	})
}

func TestTheLastActiveAdminStays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := org(t, db, "acme")
		a1 := member(t, db, o, "a1@acme.example", "One", store.RoleAdmin)
		a2 := member(t, db, o, "a2@acme.example", "Two", store.RoleAdmin)
		s := db.Scoped(o.ID)
		// An invited admin and a deactivated admin cannot manage anything:
		// they do not count.
		invited, err := s.InviteMember(ctx, "a3@acme.example", store.RoleAdmin, link("a3", time.Hour), actorOf(a1))
		if err != nil {
			t.Fatal(err)
		}
		a4 := member(t, db, o, "a4@acme.example", "Four", store.RoleAdmin)
		if _, err := s.DeactivateMember(ctx, a4.ID, time.Now(), actorOf(a1)); err != nil {
			t.Fatal(err)
		}

		if _, err := s.DeactivateMember(ctx, a1.ID, time.Now(), actorOf(a1)); !errors.Is(err, store.ErrSelfDeactivation) {
			t.Fatalf("deactivating oneself: %v", err)
		}
		if _, err := s.ChangeMemberRole(ctx, a2.ID, store.RoleIssuer, actorOf(a1)); err != nil {
			t.Fatalf("demoting the other admin: %v", err)
		}
		if _, err := s.ChangeMemberRole(ctx, a1.ID, store.RoleIssuer, actorOf(a1)); !errors.Is(err, store.ErrLastAdmin) {
			t.Fatalf("the last admin demoting themselves: %v", err)
		}
		if _, err := s.DeactivateMember(ctx, a1.ID, time.Now(), actorOf(a2)); !errors.Is(err, store.ErrLastAdmin) {
			t.Fatalf("deactivating the last admin: %v", err)
		}
		// Invited and deactivated admins can be demoted freely.
		if _, err := s.ChangeMemberRole(ctx, invited.ID, store.RoleRecipient, actorOf(a1)); err != nil {
			t.Fatalf("demoting an invited admin: %v", err)
		}
		if _, err := s.ChangeMemberRole(ctx, a4.ID, store.RoleRecipient, actorOf(a1)); err != nil {
			t.Fatalf("demoting a deactivated admin: %v", err)
		}
		// Promote again, then the first may step down.
		if _, err := s.ChangeMemberRole(ctx, a2.ID, store.RoleAdmin, actorOf(a1)); err != nil {
			t.Fatal(err)
		}
		if m, err := s.ChangeMemberRole(ctx, a1.ID, store.RoleVerifier, actorOf(a1)); err != nil || m.Role != store.RoleVerifier {
			t.Fatalf("stepping down with another admin present: %+v %v", m, err)
		}
	})
}

// Two admins demote each other at the same moment: exactly one wins, and
// the organization keeps an admin.
func TestTheLastAdminStaysUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := org(t, db, "acme")
		a1 := member(t, db, o, "a1@acme.example", "One", store.RoleAdmin)
		a2 := member(t, db, o, "a2@acme.example", "Two", store.RoleAdmin)
		s := db.Scoped(o.ID)
		for round := range 5 {
			ops := []func() error{
				func() error { _, err := s.ChangeMemberRole(ctx, a2.ID, store.RoleIssuer, actorOf(a1)); return err },
				func() error { _, err := s.ChangeMemberRole(ctx, a1.ID, store.RoleIssuer, actorOf(a2)); return err },
			}
			if round%2 == 1 { // one demotes, the other deactivates
				ops[1] = func() error { _, err := s.DeactivateMember(ctx, a1.ID, time.Now(), actorOf(a2)); return err }
			}
			errs := make([]error, len(ops))
			var start, done sync.WaitGroup
			start.Add(1)
			for i, op := range ops {
				done.Add(1)
				go func() {
					defer done.Done()
					start.Wait()
					errs[i] = op()
				}()
			}
			start.Done()
			done.Wait()
			var ok, last int
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, store.ErrLastAdmin):
					last++
				default:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if ok != 1 || last != 1 {
				t.Fatalf("round %d: %d succeeded, %d refused as last admin: %v", round, ok, last, errs)
			}
			var admins int
			if err := db.SQL().QueryRow("SELECT count(*) FROM users WHERE role = 'admin' AND deactivated_at IS NULL").Scan(&admins); err != nil || admins != 1 {
				t.Fatalf("round %d: %d active admins left (%v)", round, admins, err)
			}
			// Restore both admins for the next round.
			if _, err := db.SQL().Exec("UPDATE users SET role = 'admin', deactivated_at = NULL WHERE email IN ('a1@acme.example', 'a2@acme.example')"); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestDeactivateRevokesSessionsAndLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := org(t, db, "acme")
		admin := member(t, db, o, "admin@acme.example", "Ada", store.RoleAdmin)
		u := member(t, db, o, "u@acme.example", "You", store.RoleIssuer)
		for i := range 2 {
			if err := db.CreateSession(ctx, &store.UserSession{UserID: u.ID, SessionToken: fmt.Sprintf("%064d", i), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.RequestPasswordReset(ctx, u.Email, link("reset", time.Hour), store.Actor{}); err != nil {
			t.Fatal(err)
		}
		s := db.Scoped(o.ID)
		m, err := s.DeactivateMember(ctx, u.ID, time.Now(), actorOf(admin))
		if err != nil || m.Status() != store.MemberDeactivated {
			t.Fatalf("deactivate: %+v %v", m, err)
		}
		var live, tokens int
		_ = db.SQL().QueryRow("SELECT count(*) FROM user_sessions WHERE revoked_at IS NULL").Scan(&live)
		_ = db.SQL().QueryRow("SELECT count(*) FROM user_tokens").Scan(&tokens)
		if live != 0 || tokens != 0 {
			t.Fatalf("after deactivation: %d live sessions, %d links", live, tokens)
		}
		if n := auditCount(t, db, "member.deactivated", u.ID); n != 1 {
			t.Errorf("deactivation audited %d times", n)
		}
		if _, err := s.DeactivateMember(ctx, u.ID, time.Now(), actorOf(admin)); err != nil || auditCount(t, db, "member.deactivated", u.ID) != 1 {
			t.Errorf("deactivating twice: %v, audited again", err)
		}
		m, err = s.ReactivateMember(ctx, u.ID, actorOf(admin))
		if err != nil || m.Status() != store.MemberActive || auditCount(t, db, "member.reactivated", u.ID) != 1 {
			t.Fatalf("reactivate: %+v %v", m, err)
		}
		_ = db.SQL().QueryRow("SELECT count(*) FROM user_sessions WHERE revoked_at IS NULL").Scan(&live)
		if live != 0 {
			t.Fatal("reactivation brought old sessions back")
		}
	})
}

func TestInvitationLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := org(t, db, "acme")
		admin := member(t, db, o, "admin@acme.example", "Ada", store.RoleAdmin)
		s := db.Scoped(o.ID)
		if _, err := s.InviteMember(ctx, "Admin@Acme.example", store.RoleIssuer, link("dup", time.Hour), actorOf(admin)); !errors.Is(err, store.ErrEmailTaken) {
			t.Fatalf("inviting an existing email: %v", err)
		}
		if _, err := s.InviteMember(ctx, "x@acme.example", store.RoleSuperAdmin, link("su", time.Hour), actorOf(admin)); !errors.Is(err, store.ErrRoleNotAssignable) {
			t.Fatalf("inviting a super_admin: %v", err)
		}
		m, err := s.InviteMember(ctx, " New@Acme.example ", store.RoleIssuer, link("first", 72*time.Hour), actorOf(admin))
		if err != nil {
			t.Fatal(err)
		}
		if m.Email != "new@acme.example" || m.PasswordHash != nil || m.EmailVerified || *m.OrganizationID != o.ID || m.Status() != store.MemberInvited {
			t.Fatalf("invited member: %+v", m)
		}
		if n := auditCount(t, db, "member.invited", m.ID); n != 1 {
			t.Errorf("invitation audited %d times", n)
		}
		first, second := link("first", 0).TokenHash, link("second", 0).TokenHash
		tok, err := db.UserToken(ctx, store.TokenInvitation, first, time.Now())
		if err != nil || tok.User.ID != m.ID || tok.User.Organization == nil || tok.User.Organization.ID != o.ID || *tok.CreatedBy != admin.ID {
			t.Fatalf("invitation link: %+v %v", tok, err)
		}
		if _, err := db.UserToken(ctx, store.TokenPasswordReset, first, time.Now()); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("an invitation used as a reset link: %v", err)
		}
		// Resending replaces the first link.
		if _, err := s.ResendInvitation(ctx, m.ID, link("second", time.Hour), actorOf(admin)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UserToken(ctx, store.TokenInvitation, first, time.Now()); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("the replaced link still works: %v", err)
		}
		// Expired links are refused.
		if _, err := db.UserToken(ctx, store.TokenInvitation, second, time.Now().Add(2*time.Hour)); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("an expired link: %v", err)
		}
		if _, err := db.AcceptInvitation(ctx, second, "Nina New", "hash", time.Now().Add(2*time.Hour), store.Actor{}, nil); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("accepting an expired link: %v", err)
		}
		u, err := db.AcceptInvitation(ctx, second, "Nina New", "hash", time.Now(), store.Actor{IP: "192.0.2.9"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if u.PasswordHash == nil || *u.PasswordHash != "hash" || !u.EmailVerified || u.Profile.Data().DisplayName != "Nina New" || u.LastLogin == nil {
			t.Fatalf("accepted member: %+v", u)
		}
		if n := auditCount(t, db, "invitation.accepted", u.ID); n != 1 {
			t.Errorf("acceptance audited %d times", n)
		}
		// Single use, and no more resending.
		if _, err := db.AcceptInvitation(ctx, second, "Again", "hash2", time.Now(), store.Actor{}, nil); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("accepting twice: %v", err)
		}
		if _, err := s.ResendInvitation(ctx, m.ID, link("third", time.Hour), actorOf(admin)); !errors.Is(err, store.ErrNotInvited) {
			t.Errorf("resending to a member who joined: %v", err)
		}
	})
}

func TestConcurrentAcceptanceUsesTheLinkOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := org(t, db, "acme")
		m, err := db.Scoped(o.ID).InviteMember(ctx, "new@acme.example", store.RoleIssuer, link("tok", time.Hour), store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = db.AcceptInvitation(ctx, link("tok", 0).TokenHash, "N", fmt.Sprint("hash", i), time.Now(), store.Actor{}, nil)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !errors.Is(err, store.ErrTokenInvalid) {
				t.Fatal(err)
			}
		}
		if ok != 1 || auditCount(t, db, "invitation.accepted", m.ID) != 1 {
			t.Fatalf("%d acceptances succeeded: %v", ok, errs)
		}
	})
}

func TestPasswordResetLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := org(t, db, "acme")
		u := member(t, db, o, "u@acme.example", "You", store.RoleIssuer)
		if _, err := db.SQL().Exec("UPDATE users SET failed_logins = 5, locked_until = "+placeholder(db, 1), time.Now().Add(time.Hour).UTC()); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateSession(ctx, &store.UserSession{UserID: u.ID, SessionToken: fmt.Sprintf("%064d", 1), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		// Nobody, a deactivated account and an invitee get no link; each
		// request is audited.
		invited, _ := db.Scoped(o.ID).InviteMember(ctx, "inv@acme.example", store.RoleIssuer, link("inv", time.Hour), store.Actor{})
		for _, email := range []string{"nobody@acme.example", invited.Email} {
			if _, err := db.RequestPasswordReset(ctx, email, link("x"+email, time.Hour), store.Actor{}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("reset for %s: %v", email, err)
			}
		}
		var requests int
		_ = db.SQL().QueryRow("SELECT count(*) FROM audit_logs WHERE action = 'password.reset_requested'").Scan(&requests)
		if requests != 2 {
			t.Errorf("%d reset requests audited, want 2", requests)
		}
		if _, err := db.RequestPasswordReset(ctx, "U@acme.example", link("old", time.Hour), store.Actor{}); err != nil {
			t.Fatal(err)
		}
		got, err := db.RequestPasswordReset(ctx, "u@acme.example", link("new", time.Hour), store.Actor{})
		if err != nil || got.ID != u.ID {
			t.Fatalf("reset request: %+v %v", got, err)
		}
		if _, err := db.ResetPassword(ctx, link("old", 0).TokenHash, "h", time.Now(), store.Actor{}); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("an older reset link still works: %v", err)
		}
		if _, err := db.ResetPassword(ctx, link("inv", 0).TokenHash, "h", time.Now(), store.Actor{}); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("an invitation link used to reset: %v", err)
		}
		if _, err := db.ResetPassword(ctx, link("new", 0).TokenHash, "h", time.Now().Add(2*time.Hour), store.Actor{}); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("an expired reset link: %v", err)
		}
		r, err := db.ResetPassword(ctx, link("new", 0).TokenHash, "newhash", time.Now(), store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if *r.PasswordHash != "newhash" || r.FailedLogins != 0 || r.LockedUntil != nil {
			t.Fatalf("after reset: %+v", r)
		}
		var live int
		_ = db.SQL().QueryRow("SELECT count(*) FROM user_sessions WHERE revoked_at IS NULL").Scan(&live)
		if live != 0 || auditCount(t, db, "password.reset", u.ID) != 1 {
			t.Fatalf("after reset: %d live sessions", live)
		}
		if _, err := db.ResetPassword(ctx, link("new", 0).TokenHash, "again", time.Now(), store.Actor{}); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("a reset link used twice: %v", err)
		}
	})
}
