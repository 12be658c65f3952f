package verifylog_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/verifylog"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// twoCredentials seeds an organization with two credentials.
func twoCredentials(t *testing.T, db *store.DB) (org string, creds [2]*store.Credential) {
	t.Helper()
	err := db.Seed(context.Background(), func(create func(any) error) error {
		o := &store.Organization{Name: "Example University", Slug: "example-uni", Type: store.OrganizationEducational,
			Status: store.OrganizationActive, DID: "did:web:creds.example.org:orgs:example-uni"}
		if err := create(o); err != nil {
			return err
		}
		org = o.ID
		cs := &store.CredentialSchema{Name: "Degree", Version: "1", OrganizationID: o.ID, Active: true,
			Fields: datatypes.NewJSONSlice([]store.SchemaField{{Name: "degree", Label: "Degree", Type: store.SchemaFieldText}})}
		if err := create(cs); err != nil {
			return err
		}
		now := time.Now().UTC()
		for i, who := range []string{"ada@example.org", "bob@example.org"} {
			creds[i] = &store.Credential{PublicID: uuid.NewString(), SchemaID: cs.ID, IssuerID: o.ID, RecipientAddress: who,
				Status: store.CredentialActive, IssuedAt: &now}
			if err := create(creds[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return org, creds
}

func view(c *store.Credential, org string, at time.Time, m store.VerificationMethod) store.VerificationLog {
	valid := "valid"
	return store.VerificationLog{CredentialID: &c.ID, OrganizationID: &org, Verdict: &valid, VerificationMethod: m, VerifiedAt: at}
}

// waitWritten waits until the writer has written everything queued.
func waitWritten(t *testing.T, w *verifylog.Writer, db *store.DB, rows int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for w.Queued() > 0 || count(t, db) < rows {
		if time.Now().After(deadline) {
			t.Fatalf("%d rows written, want %d", count(t, db), rows)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// credential.verified is capped per credential: N views in a window are
// one event; the first view after the window publishes the next, with the
// count of the views it stands for. Logs of credentials not ours publish
// nothing. Every log row is written.
func TestVerifiedEventsAreCapped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		org, creds := twoCredentials(t, db)
		q, err := jobs.New(db, storetest.Logger(t), jobs.NewWorkers())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = q.Stop(context.Background()) })
		w := verifylog.New(db, slog.Default(), verifylog.Options{Interval: 20 * time.Millisecond})
		w.Publish(q, "https://creds.example.org/")
		t0 := time.Now().UTC().Truncate(time.Second)
		ada, bob := creds[0], creds[1]

		for i := range 5 {
			w.Record(view(ada, org, t0.Add(time.Duration(i)*time.Second), store.VerifiedByQRCode))
		}
		w.Record(view(bob, org, t0, store.VerifiedByAPI))
		w.Record(entry(1)) // someone else's credential
		waitWritten(t, w, db, 7)
		// Later views in the same window (another batch): no event.
		w.Record(view(ada, org, t0.Add(9*time.Minute), store.VerifiedByWebInterface))
		waitWritten(t, w, db, 8)
		// The window has passed: one event standing for the five views since
		// the last event and itself; the view after it waits for the next.
		w.Record(view(ada, org, t0.Add(11*time.Minute), store.VerifiedByAPI))
		w.Record(view(ada, org, t0.Add(12*time.Minute), store.VerifiedByAPI))
		if err := w.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db); n != 10 {
			t.Fatalf("%d log rows, want 10", n)
		}

		got, err := events.Pending(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		type seen struct {
			id, channel string
			count       int
			at          time.Time
		}
		var have []seen
		for _, e := range got {
			if e.Type != events.CredentialVerified || e.OrganizationID != org {
				t.Fatalf("published %s in %s", e.Type, e.OrganizationID)
			}
			var p events.Verified
			if err := json.Unmarshal(e.Data, &p); err != nil {
				t.Fatal(err)
			}
			if p.Verdict != "valid" || p.Credential.Status != "active" || p.Credential.VerifyURL != "https://creds.example.org/v/"+p.Credential.PublicID {
				t.Errorf("payload %+v", p)
			}
			have = append(have, seen{p.Credential.ID, p.Channel, p.Count, p.VerifiedAt})
		}
		want := []seen{
			{ada.ID, "page", 1, t0},
			{bob.ID, "api", 1, t0},
			{ada.ID, "api", 6, t0.Add(11 * time.Minute)},
		}
		if len(have) != len(want) {
			t.Fatalf("events %+v, want %+v", have, want)
		}
		for i := range want {
			if have[i].id != want[i].id || have[i].channel != want[i].channel || have[i].count != want[i].count || !have[i].at.Equal(want[i].at) {
				t.Errorf("event %d: %+v, want %+v", i, have[i], want[i])
			}
		}
	})
}

// The log rows and what runs with them commit together: when that fails,
// no row is written.
func TestLogsRollBackWithTheirEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		org, creds := twoCredentials(t, db)
		logs := []store.VerificationLog{view(creds[0], org, time.Now(), store.VerifiedByAPI), entry(2)}
		failed := errors.New("the event could not be recorded")
		err := db.InsertVerificationLogsThen(context.Background(), logs, func(in func(string) *store.Scoped) error {
			if _, err := in(org).SQLTx(); err != nil {
				t.Errorf("then outside the transaction: %v", err)
			}
			if cs, err := in(org).CredentialsByID(context.Background(), []string{creds[0].ID}); err != nil || len(cs) != 1 {
				t.Errorf("the credential in the transaction: %v %v", cs, err)
			}
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatalf("InsertVerificationLogsThen: %v", err)
		}
		if n := count(t, db); n != 0 {
			t.Fatalf("%d rows written although the transaction failed", n)
		}
		if err := db.InsertVerificationLogsThen(context.Background(), logs, func(func(string) *store.Scoped) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db); n != 2 {
			t.Fatalf("%d rows written, want 2", n)
		}
	})
}

// Two servers sharing the database, each with its own writer and queue:
// the cap of one credential.verified per credential per window holds
// across them (the window is claimed in the database), where windows kept
// per process gave one event per server.
func TestVerifiedCapAcrossServers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		org, creds := twoCredentials(t, db)
		ada := creds[0]
		servers := []*store.DB{db, storetest.Reopen(t, db)}
		writers := make([]*verifylog.Writer, len(servers))
		for i, sdb := range servers {
			q, err := jobs.New(sdb, storetest.Logger(t), jobs.NewWorkers())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = q.Stop(context.Background()) })
			writers[i] = verifylog.New(sdb, slog.Default(), verifylog.Options{Interval: 20 * time.Millisecond})
			writers[i].Publish(q, "https://creds.example.org/")
		}
		t0 := time.Now().UTC().Truncate(time.Second)
		// Rounds 4 minutes apart, each server logging three views of the
		// same credential at once: windows start at 0 and 12 minutes.
		rows := 0
		for r := range 5 {
			at := t0.Add(time.Duration(r) * 4 * time.Minute)
			done := make(chan struct{})
			for _, w := range writers {
				go func() {
					defer func() { done <- struct{}{} }()
					for i := range 3 {
						w.Record(view(ada, org, at.Add(time.Duration(i)*time.Millisecond), store.VerifiedByAPI))
					}
				}()
			}
			<-done
			<-done
			rows += 6
			for _, w := range writers {
				waitWritten(t, w, db, rows)
			}
		}
		for _, w := range writers {
			if err := w.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		got, err := events.Pending(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		var at []time.Time
		total := 0
		for _, e := range got {
			var p events.Verified
			if err := json.Unmarshal(e.Data, &p); err != nil {
				t.Fatal(err)
			}
			at = append(at, p.VerifiedAt)
			total += p.Count
		}
		if len(at) != 2 || at[1].Sub(at[0]) < verifylog.VerifiedWindow {
			t.Fatalf("%d credential.verified events at %v, want 2 at least %v apart", len(at), at, verifylog.VerifiedWindow)
		}
		if !at[0].Equal(t0) && !at[0].Equal(t0.Add(time.Millisecond)) && !at[0].Equal(t0.Add(2*time.Millisecond)) {
			t.Errorf("the first event at %v, want the first round's", at[0])
		}
		// The events stand for the views up to their own: the first for
		// one, the second for those its server logged since its last event
		// (or since it started), the other server's still to be reported.
		if total < 2 || total > rows {
			t.Errorf("the events stand for %d views of %d", total, rows)
		}
	})
}
