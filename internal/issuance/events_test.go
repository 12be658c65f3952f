package issuance_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// publishing gives f's issuer a queue that only inserts (the events stay
// in it, for events.Pending to read).
func publishing(t *testing.T, f *fixture) {
	t.Helper()
	q, err := jobs.New(f.db, storetest.Logger(t), jobs.NewWorkers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	f.is.Events = q
}

func pending(t *testing.T, db *store.DB, types ...events.Type) []events.Event {
	t.Helper()
	all, err := events.Pending(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Event
	for _, e := range all {
		for _, ty := range types {
			if e.Type == ty {
				out = append(out, e)
			}
		}
	}
	return out
}

func payload[T any](t *testing.T, e events.Event) T {
	t.Helper()
	var p T
	if err := json.Unmarshal(e.Data, &p); err != nil {
		t.Fatalf("%s data %s: %v", e.Type, e.Data, err)
	}
	return p
}

// queueDown refuses every job: a failure after the change, inside its
// transaction.
type queueDown struct{}

func (queueDown) EnqueueTx(context.Context, *sql.Tx, river.JobArgs) error {
	return errors.New("queue down")
}

var credentialEvents = []events.Type{events.CredentialIssued, events.CredentialRevoked, events.CredentialSuspended,
	events.CredentialUnsuspended, events.CredentialExpired}

// Issuing (one and a batch) and every status change publish their event
// once, with the credential as it now is; a refused change publishes
// nothing; a change whose event cannot be recorded is rolled back whole.
func TestIssuanceAndStatusChangesPublishEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		publishing(t, f)
		ctx := context.Background()

		out, err := f.is.Submit(ctx, f.sc, request(f.jcs, "Ada", "ada@example.org"), store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		c := out.Credential
		got := pending(t, db, credentialEvents...)
		if len(got) != 1 || got[0].Type != events.CredentialIssued || got[0].OrganizationID != f.org.ID {
			t.Fatalf("after Submit: %+v", got)
		}
		iss := payload[events.Issued](t, got[0])
		if iss.Via != "web" || iss.BatchID != "" || iss.Credential.ID != c.ID || iss.Credential.PublicID != c.PublicID ||
			iss.Credential.VerifyURL != base+"/v/"+c.PublicID || iss.Credential.Status != "active" || iss.Credential.Recipient != "ada@example.org" ||
			iss.Credential.TemplateID != f.jcs.ID || iss.Credential.SchemaID != f.jcs.SchemaID || iss.Credential.IssuedAt == nil {
			t.Errorf("credential.issued payload %+v", iss)
		}

		// A batch: one event per credential stored, none for a refused request.
		reqs := []issuance.Request{request(f.jcs, "B1", "b1@example.org"), request(f.jcs, "Bad", "not an address"), request(f.rdfc, "B2", "b2@example.org")}
		for i := range reqs {
			reqs[i].BatchID = "3f2e1d0c-9b8a-4766-8554-4433221100ff"
		}
		bout, errs, err := f.is.SubmitBatch(ctx, f.sc, reqs, store.ViaSystem, nil, store.Actor{})
		if err != nil || errs[0] != nil || errs[1] == nil || errs[2] != nil {
			t.Fatalf("batch: %v %v", errs, err)
		}
		got = pending(t, db, events.CredentialIssued)[1:]
		if len(got) != 2 {
			t.Fatalf("batch published %d credential.issued, want 2", len(got))
		}
		for k, i := range []int{0, 2} {
			p := payload[events.Issued](t, got[k])
			if p.Credential.ID != bout[i].Credential.ID || p.Via != "system" || p.BatchID != reqs[i].BatchID || p.Credential.Recipient != reqs[i].RecipientAddress {
				t.Errorf("batch event %d: %+v", k, p)
			}
		}

		// Status changes.
		before := len(pending(t, db, credentialEvents...))
		if _, err := f.is.ChangeStatus(ctx, f.sc, c.ID, store.ActionSuspend, "Under review", store.ViaAPI, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.is.ChangeStatus(ctx, f.sc, c.ID, store.ActionSuspend, "", store.ViaAPI, store.Actor{}); !errors.Is(err, store.ErrStatusChange) {
			t.Fatalf("suspending twice: %v", err)
		}
		if _, err := f.is.ChangeStatus(ctx, f.sc, c.ID, store.ActionUnsuspend, "", store.ViaWeb, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.is.ChangeStatus(ctx, f.sc, c.ID, store.ActionRevoke, "Issued in error", store.ViaWeb, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.is.ChangeStatus(ctx, f.sc, c.ID, store.ActionRevoke, "Again", store.ViaWeb, store.Actor{}); !errors.Is(err, store.ErrStatusChange) {
			t.Fatalf("revoking twice: %v", err)
		}
		got = pending(t, db, credentialEvents...)[before:]
		want := []struct {
			ty           events.Type
			status, prev string
			reason, via  string
		}{
			{events.CredentialSuspended, "suspended", "active", "Under review", "api"},
			{events.CredentialUnsuspended, "active", "suspended", "", "web"},
			{events.CredentialRevoked, "revoked", "active", "Issued in error", "web"},
		}
		if len(got) != len(want) {
			t.Fatalf("status changes published %d events, want %d", len(got), len(want))
		}
		for i, w := range want {
			p := payload[events.StatusChanged](t, got[i])
			if got[i].Type != w.ty || p.Credential.ID != c.ID || p.Credential.Status != w.status || p.PreviousStatus != w.prev ||
				p.Reason != w.reason || p.Via != w.via || p.ChangedAt.IsZero() {
				t.Errorf("event %d: %s %+v, want %+v", i, got[i].Type, p, w)
			}
		}

		// The event cannot be recorded: the change is rolled back with it.
		other, err := f.is.Submit(ctx, f.sc, request(f.jcs, "Cy", "cy@example.org"), store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		before = len(pending(t, db, credentialEvents...))
		down := &issuance.Issuer{DB: db, Keys: f.is.Keys, BaseURL: base, Events: queueDown{}}
		if _, err := down.ChangeStatus(ctx, f.sc, other.Credential.ID, store.ActionRevoke, "Lost", store.ViaWeb, store.Actor{}); err == nil {
			t.Fatal("revoked although its event was not recorded")
		}
		if cr, _ := f.sc.Credential(ctx, other.Credential.ID); cr.Status != store.CredentialActive {
			t.Errorf("after a failed publish the credential is %s", cr.Status)
		}
		if h, _ := f.sc.CredentialStatusHistory(ctx, other.Credential.ID); len(h) != 1 {
			t.Errorf("after a failed publish the history has %d entries", len(h))
		}
		var n int64
		countCreds := func() int64 {
			if err := db.SQL().QueryRow("SELECT count(*) FROM credentials").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		creds := countCreds()
		if _, err := down.Submit(ctx, f.sc, request(f.jcs, "Di", "di@example.org"), store.ViaWeb, "", store.Actor{}); err == nil {
			t.Fatal("issued although its event was not recorded")
		}
		if _, errs, err := down.SubmitBatch(ctx, f.sc, []issuance.Request{request(f.jcs, "Ed", "ed@example.org")}, store.ViaSystem, nil, store.Actor{}); err == nil && errs[0] == nil {
			t.Fatal("batch issued although its events were not recorded")
		}
		if after := countCreds(); after != creds {
			t.Errorf("%d credentials stored without their events", after-creds)
		}
		if after := len(pending(t, db, credentialEvents...)); after != before {
			t.Errorf("%d events published by failed changes", after-before)
		}
	})
}

// Expiry publishes credential.expired once per credential, in its
// organization; a run whose events cannot be recorded expires nothing.
func TestExpiryPublishesEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		publishing(t, f)
		ctx := context.Background()
		soon := time.Now().Add(time.Hour)
		var ids []string
		for _, name := range []string{"A", "B"} {
			r := request(f.jcs, name, name+"@example.org")
			r.ExpiresAt = &soon
			out, err := f.is.Submit(ctx, f.sc, r, store.ViaWeb, "", store.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, out.Credential.ID)
		}
		later := soon.Add(time.Minute)
		down := &issuance.Issuer{DB: db, Keys: f.is.Keys, BaseURL: base, Events: queueDown{}}
		if _, err := down.ExpireDue(ctx, later, 1000); err == nil {
			t.Fatal("expired although the events were not recorded")
		}
		if c, _ := f.sc.Credential(ctx, ids[0]); c.Status != store.CredentialActive {
			t.Fatalf("after a failed run: %s", c.Status)
		}
		if n, err := f.is.ExpireDue(ctx, later, 1000); err != nil || n != 2 {
			t.Fatalf("expired %d: %v", n, err)
		}
		if n, err := f.is.ExpireDue(ctx, later, 1000); err != nil || n != 0 {
			t.Fatalf("expired again %d: %v", n, err)
		}
		got := pending(t, db, events.CredentialExpired)
		if len(got) != 2 {
			t.Fatalf("%d credential.expired events, want 2", len(got))
		}
		seen := map[string]bool{}
		for _, e := range got {
			p := payload[events.StatusChanged](t, e)
			seen[p.Credential.ID] = true
			if e.OrganizationID != f.org.ID || p.Credential.Status != "expired" || p.PreviousStatus != "active" || p.Via != "system" ||
				p.Credential.ExpiresAt == nil || p.Credential.PublicID == "" || p.Credential.Recipient == "" {
				t.Errorf("credential.expired %+v", p)
			}
		}
		if !seen[ids[0]] || !seen[ids[1]] {
			t.Errorf("events for %v, want %v", seen, ids)
		}
	})
}
