package jobs

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// purgeFixture seeds a user with one session and one token of each kind
// (ended or not) and returns the ids that must survive a purge at now.
func purgeFixture(t *testing.T, db *store.DB, now time.Time, idle time.Duration) (keep []string) {
	t.Helper()
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	recent, stale := now.Add(-idle/2), now.Add(-idle-time.Minute)
	err := db.Seed(context.Background(), func(create func(any) error) error {
		u := &store.User{Email: "u@example.org", Role: store.RoleRecipient}
		if err := create(u); err != nil {
			return err
		}
		sessions := []struct {
			keep bool
			s    *store.UserSession
		}{
			{true, &store.UserSession{ExpiresAt: future, LastSeenAt: &recent}},
			{false, &store.UserSession{ExpiresAt: past, LastSeenAt: &recent}},
			{false, &store.UserSession{ExpiresAt: future, LastSeenAt: &recent, RevokedAt: &past}},
			{false, &store.UserSession{ExpiresAt: future, LastSeenAt: &stale}},
		}
		for i, s := range sessions {
			s.s.UserID, s.s.SessionToken = u.ID, fmt.Sprintf("%064d", i)
			if err := create(s.s); err != nil {
				return err
			}
			if s.keep {
				keep = append(keep, s.s.ID)
			}
		}
		tokens := []struct {
			keep bool
			t    *store.UserToken
		}{
			{true, &store.UserToken{Purpose: store.TokenInvitation, ExpiresAt: future}},
			{false, &store.UserToken{Purpose: store.TokenInvitation, ExpiresAt: past}},
			{false, &store.UserToken{Purpose: store.TokenPasswordReset, ExpiresAt: future, UsedAt: &past}},
		}
		for i, tk := range tokens {
			tk.t.UserID, tk.t.TokenHash = u.ID, fmt.Sprintf("%064d", 100+i)
			if err := create(tk.t); err != nil {
				return err
			}
			if tk.keep {
				keep = append(keep, tk.t.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keep
}

func remaining(t *testing.T, db *store.DB) []string {
	t.Helper()
	var ids []string
	for _, table := range []string{"user_sessions", "user_tokens"} {
		rows, err := db.SQL().Query("SELECT id FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		rows.Close()
	}
	slices.Sort(ids)
	return ids
}

func TestPurgeWorkerDeletesWhatEnded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now, idle := time.Now().UTC(), time.Hour
		keep := purgeFixture(t, db, now, idle)
		slices.Sort(keep)
		w := &PurgeWorker{DB: db, Idle: idle, Log: storetest.Logger(t), Now: func() time.Time { return now }}
		if err := w.Work(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		if got := remaining(t, db); !slices.Equal(got, keep) {
			t.Fatalf("after the purge %v remain, want %v", got, keep)
		}
	})
}

// With the purge registered the queue starts, runs the purge at once
// (RunOnStart), and stops cleanly.
func TestQueueRunsThePurgeAtStart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		keep := purgeFixture(t, db, time.Now().UTC(), time.Hour)
		slices.Sort(keep)
		ws := NewWorkers()
		AddPurge(ws, db, time.Hour, storetest.Logger(t))
		if got := ws.Kinds(); !slices.Equal(got, []string{"purge_expired"}) {
			t.Fatalf("kinds %v", got)
		}
		q, err := New(db, storetest.Logger(t), ws)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for !slices.Equal(remaining(t, db), keep) {
			if time.Now().After(deadline) {
				t.Fatalf("the purge did not run within 30s of start: %v remain", remaining(t, db))
			}
			time.Sleep(100 * time.Millisecond)
		}
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := q.Stop(stopCtx); err != nil {
			t.Fatalf("stop: %v", err)
		}
	})
}
