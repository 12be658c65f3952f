package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func TestAccountSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, now := context.Background(), time.Now()
		f := newAccountFixture(t, db)
		a1, a2, a3 := f.session(t, f.alice, "a1"), f.session(t, f.alice, "a2"), f.session(t, f.alice, "a3")
		b1 := f.session(t, f.bob, "b1")
		alice := db.Account(f.alice.ID)

		list, err := alice.Sessions(ctx, now, time.Hour)
		if err != nil || len(list) != 3 {
			t.Fatalf("alice's sessions: %d (%v), want 3", len(list), err)
		}
		for _, s := range list {
			if s.UserID != f.alice.ID {
				t.Fatalf("bob's session %s in alice's list", s.ID)
			}
		}
		// Another user's session, or no session at all, is not found.
		for _, id := range []string{b1.ID, "not-a-uuid", "00000000-0000-0000-0000-000000000000"} {
			if _, err := alice.Session(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Session(%q): %v, want ErrNotFound", id, err)
			}
			if err := alice.RevokeSession(ctx, id, now, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("RevokeSession(%q): %v, want ErrNotFound", id, err)
			}
		}
		if _, _, err := db.ActiveSession(ctx, "b1", now, time.Hour); err != nil {
			t.Fatalf("bob's session was touched: %v", err)
		}

		if err := alice.RevokeSession(ctx, a2.ID, now, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if err := alice.RevokeSession(ctx, a2.ID, now, store.Actor{}); err != nil {
			t.Fatalf("revoking an ended session again: %v", err)
		}
		if n := countAudit(t, db, "session.revoked"); n != 1 {
			t.Errorf("session.revoked audited %d times, want 1", n)
		}
		if _, _, err := db.ActiveSession(ctx, "a2", now, time.Hour); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a revoked session is still active: %v", err)
		}

		n, err := alice.RevokeOtherSessions(ctx, a1.ID, now, store.Actor{})
		if err != nil || n != 1 {
			t.Fatalf("RevokeOtherSessions: %d (%v), want 1 (a3)", n, err)
		}
		if list, _ := alice.Sessions(ctx, now, time.Hour); len(list) != 1 || list[0].ID != a1.ID {
			t.Fatalf("after signing out elsewhere: %v", list)
		}
		if s, err := alice.Session(ctx, a3.ID); err != nil || s.RevokedAt == nil {
			t.Fatalf("a3 not revoked: %v", err)
		}
		if _, _, err := db.ActiveSession(ctx, "b1", now, time.Hour); err != nil {
			t.Fatalf("bob's session ended with alice's: %v", err)
		}
		if n := countAudit(t, db, "session.revoked_others"); n != 1 {
			t.Errorf("session.revoked_others audited %d times", n)
		}

		// A password change keeps only the current session.
		f.session(t, f.alice, "a4")
		n, err = alice.ChangePassword(ctx, "$2a$12$new", a1.ID, now, store.Actor{})
		if err != nil || n != 1 {
			t.Fatalf("ChangePassword: %d (%v)", n, err)
		}
		u, _ := alice.User(ctx)
		if u.PasswordHash == nil || *u.PasswordHash != "$2a$12$new" {
			t.Fatal("password hash not stored")
		}
		if n := countAudit(t, db, "password.changed"); n != 1 {
			t.Errorf("password.changed audited %d times", n)
		}
		if _, _, err := db.ActiveSession(ctx, "a1", now, time.Hour); err != nil {
			t.Fatalf("the current session ended with the password change: %v", err)
		}
	})
}
