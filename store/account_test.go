package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// accountFixture is an organization with two users, each with sessions.
type accountFixture struct {
	db         *store.DB
	org        *store.Organization
	alice, bob *store.User
}

func newAccountFixture(t *testing.T, db *store.DB) *accountFixture {
	t.Helper()
	ctx := context.Background()
	org := &store.Organization{Name: "Acme", Slug: "acme", Type: store.OrganizationCorporate, Status: store.OrganizationActive,
		DID: "did:web:example.org:orgs:acme"}
	if err := db.CreateOrganization(ctx, org, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	f := &accountFixture{db: db, org: org}
	for i, u := range []**store.User{&f.alice, &f.bob} {
		*u = &store.User{Email: []string{"alice", "bob"}[i] + "@example.org", Role: store.RoleIssuer, OrganizationID: &org.ID}
		if err := db.CreateUser(ctx, *u, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *accountFixture) session(t *testing.T, u *store.User, token string) *store.UserSession {
	t.Helper()
	now := time.Now().UTC()
	s := &store.UserSession{UserID: u.ID, SessionToken: token, ExpiresAt: now.Add(time.Hour), LastSeenAt: &now}
	if err := f.db.CreateSession(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func countAudit(t *testing.T, db *store.DB, action string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow("SELECT count(*) FROM audit_logs WHERE action = '" + action + "'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAccountMFA(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, now := context.Background(), time.Now()
		f := newAccountFixture(t, db)
		alice, bob := db.Account(f.alice.ID), db.Account(f.bob.ID)
		hashes := []string{hash64("1"), hash64("2"), hash64("3")}

		if err := alice.AcceptTOTPStep(ctx, 100); !errors.Is(err, store.ErrCodeUsed) {
			t.Fatalf("a step accepted while MFA is off: %v", err)
		}
		if err := alice.EnableMFA(ctx, []byte("sealed"), 100, hashes, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if err := alice.EnableMFA(ctx, []byte("sealed"), 100, hashes, store.Actor{}); !errors.Is(err, store.ErrMFAEnabled) {
			t.Fatalf("enabling twice: %v", err)
		}
		u, _ := alice.User(ctx)
		if !u.MFAEnabled || string(u.MFASecretEncrypted) != "sealed" || u.MFALastStep != 100 {
			t.Fatalf("after EnableMFA: %v %q %d", u.MFAEnabled, []byte(u.MFASecretEncrypted), u.MFALastStep)
		}
		var orgID string
		if err := db.SQL().QueryRow("SELECT organization_id FROM audit_logs WHERE action = 'mfa.enabled'").Scan(&orgID); err != nil || orgID != f.org.ID {
			t.Fatalf("mfa.enabled audited in organization %q (%v)", orgID, err)
		}

		// Steps: only later ones, each once.
		for _, tc := range []struct {
			step int64
			ok   bool
		}{{100, false}, {99, false}, {101, true}, {101, false}, {103, true}, {102, false}} {
			err := alice.AcceptTOTPStep(ctx, tc.step)
			if tc.ok != (err == nil) || err != nil && !errors.Is(err, store.ErrCodeUsed) {
				t.Errorf("step %d: %v", tc.step, err)
			}
		}

		// Recovery codes: each once, only one's own.
		if _, err := bob.UseRecoveryCode(ctx, hashes[0], now, store.Actor{}); !errors.Is(err, store.ErrCodeUsed) {
			t.Fatalf("bob used alice's code: %v", err)
		}
		left, err := alice.UseRecoveryCode(ctx, hashes[0], now, store.Actor{})
		if err != nil || left != 2 {
			t.Fatalf("first use: %d left (%v)", left, err)
		}
		if _, err := alice.UseRecoveryCode(ctx, hashes[0], now, store.Actor{}); !errors.Is(err, store.ErrCodeUsed) {
			t.Fatalf("second use: %v", err)
		}
		if n := countAudit(t, db, "login.recovery_code_used"); n != 1 {
			t.Errorf("login.recovery_code_used audited %d times", n)
		}

		if err := alice.ReplaceRecoveryCodes(ctx, []string{hash64("4")}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if n, _ := alice.RecoveryCodesLeft(ctx); n != 1 {
			t.Fatalf("after replacing: %d codes left", n)
		}
		if _, err := alice.UseRecoveryCode(ctx, hashes[1], now, store.Actor{}); !errors.Is(err, store.ErrCodeUsed) {
			t.Fatalf("a replaced code still works: %v", err)
		}

		if err := alice.DisableMFA(ctx, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		u, _ = alice.User(ctx)
		if u.MFAEnabled || u.MFASecretEncrypted != nil || u.MFALastStep != 0 {
			t.Fatal("DisableMFA left the second factor in place")
		}
		if n, _ := alice.RecoveryCodesLeft(ctx); n != 0 {
			t.Fatalf("%d recovery codes left after disabling", n)
		}
		if err := alice.DisableMFA(ctx, store.Actor{}); !errors.Is(err, store.ErrMFADisabled) {
			t.Fatalf("disabling twice: %v", err)
		}
		if err := alice.ReplaceRecoveryCodes(ctx, hashes, store.Actor{}); !errors.Is(err, store.ErrMFADisabled) {
			t.Fatalf("new recovery codes while MFA is off: %v", err)
		}
		gone := db.Account("00000000-0000-0000-0000-000000000000")
		if err := gone.DisableMFA(ctx, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a missing user: %v", err)
		}

		// A wrong second factor counts towards the lockout.
		var locked bool
		for range store.MaxFailedLogins {
			if locked, err = db.MFAFailed(ctx, f.alice.ID, now, store.Actor{}); err != nil {
				t.Fatal(err)
			}
		}
		if !locked || countAudit(t, db, "login.mfa_failed") != store.MaxFailedLogins-1 || countAudit(t, db, "login.locked") != 1 {
			t.Fatalf("after %d wrong codes: locked %v", store.MaxFailedLogins, locked)
		}
	})
}

// hash64 is a distinct 64-character stand-in for a code hash.
func hash64(s string) string {
	h := []byte("0000000000000000000000000000000000000000000000000000000000000000")
	copy(h[64-len(s):], s)
	return string(h)
}
