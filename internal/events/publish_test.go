package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// recorder is a consumer that keeps what it was handed, and fails the
// first time when told to.
type recorder struct {
	mu       sync.Mutex
	got      []events.Event
	failOnce bool
}

func (r *recorder) Name() string { return "recorder" }

func (r *recorder) Consume(_ context.Context, _ *store.Scoped, _ jobs.Enqueuer, e events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failOnce {
		r.failOnce = false
		return errors.New("receiver down")
	}
	r.got = append(r.got, e)
	return nil
}

func (r *recorder) events() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Event(nil), r.got...)
}

// An event published in the transaction of a change reaches the consumers
// once when the change commits, never when it rolls back; a consumer that
// fails is retried.
func TestPublishIsTransactional(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := &store.Organization{Name: "Acme", Slug: "acme", Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:acme"}
		if err := db.CreateOrganization(ctx, org, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{failOnce: true}
		ws := jobs.NewWorkers()
		events.Register(ws, db, storetest.Logger(t), rec)
		q, err := jobs.New(db, storetest.Logger(t), ws)
		if err != nil {
			t.Fatal(err)
		}
		sc := db.Scoped(org.ID)
		key := func(name string) events.Event {
			e, err := events.New(org.ID, events.APIKeyCreated, time.Now(), events.APIKey{ID: name, Name: name, Prefix: "tc_x", Scopes: []string{}, At: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		committed, rolledBack := key("committed"), key("rolled back")
		if err := sc.InTx(ctx, func(tx *store.Scoped) error { return events.Publish(ctx, tx, q, committed) }); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("the change failed")
		if err := sc.InTx(ctx, func(tx *store.Scoped) error {
			if err := events.Publish(ctx, tx, q, rolledBack); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		// Outside a transaction, or into another organization: refused.
		if err := events.Publish(ctx, sc, q, key("no tx")); err == nil {
			t.Error("published outside a transaction")
		}
		other := &store.Organization{Name: "Other", Slug: "other", Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:other"}
		if err := db.CreateOrganization(ctx, other, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if err := db.Scoped(other.ID).InTx(ctx, func(tx *store.Scoped) error { return events.Publish(ctx, tx, q, key("elsewhere")) }); err == nil {
			t.Error("published into another organization")
		}

		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = q.Stop(sctx)
		})
		deadline := time.Now().Add(60 * time.Second)
		for len(rec.events()) == 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond) // room for a wrong second delivery
		got := rec.events()
		if len(got) != 1 {
			t.Fatalf("consumed %d events, want 1 (the committed one): %+v", len(got), got)
		}
		e := got[0]
		var p events.APIKey
		if err := json.Unmarshal(e.Data, &p); err != nil || e.ID != committed.ID || e.Type != events.APIKeyCreated || p.Name != "committed" || e.OrganizationID != org.ID {
			t.Errorf("consumed %+v (%v), want %+v", e, err, committed)
		}
	})
}

func TestNewChecksThePayloadType(t *testing.T) {
	if _, err := events.New("org", events.CredentialIssued, time.Now(), events.APIKey{}); !errors.Is(err, events.ErrPayload) {
		t.Errorf("credential.issued with an API key payload: %v", err)
	}
	if _, err := events.New("org", "credential.deleted", time.Now(), events.Issued{}); err == nil {
		t.Error("an unknown event type was made")
	}
	a, err := events.New("org", events.CredentialIssued, time.Now(), events.Issued{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := events.New("org", events.CredentialIssued, time.Now(), events.Issued{})
	if a.ID == b.ID || len(a.ID) != len("evt_")+36 || a.Version != 1 {
		t.Errorf("ids %q %q, version %d", a.ID, b.ID, a.Version)
	}
}
