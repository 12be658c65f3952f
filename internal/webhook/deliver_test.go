package webhook_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/internal/webhook"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// receiver is a webhook endpoint that answers with the statuses it is
// given in turn (then 200), and keeps what it received.
type receiver struct {
	mu       sync.Mutex
	answers  []int
	got      []delivery
	verifier webhook.Verifier
}

type delivery struct {
	header   http.Header
	raw      []byte
	body     events.Body
	verified error
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	raw, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	var b events.Body
	_ = json.Unmarshal(raw, &b)
	r.got = append(r.got, delivery{header: req.Header.Clone(), raw: raw, body: b, verified: r.verifier.Verify(req.Header, raw)})
	status := 200
	if len(r.answers) > 0 {
		status, r.answers = r.answers[0], r.answers[1:]
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte("answered " + http.StatusText(status)))
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

type fixture struct {
	db   *store.DB
	sc   *store.Scoped
	svc  *webhook.Service
	q    *jobs.Queue
	recv *receiver
	url  string
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	f := newBenchFixture(t, db)
	if err := f.q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f
}

// newBenchFixture is the fixture with its queue not started yet.
func newBenchFixture(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	keys, err := secret.NewKeyring(secret.Key{Raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	org := &store.Organization{Name: "Acme", Slug: "acme", Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:acme"}
	if err := db.CreateOrganization(context.Background(), org, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	recv := &receiver{}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	svc := &webhook.Service{DB: db, Keys: keys, Sender: webhook.NewSender(true, 2*time.Second), AllowPrivate: true,
		Log: storetest.Logger(t), Schedule: []time.Duration{200 * time.Millisecond}}
	ws := jobs.NewWorkers()
	events.Register(ws, db, storetest.Logger(t), svc)
	webhook.Register(ws, svc, 30*24*time.Hour)
	q, err := jobs.New(db, storetest.Logger(t), ws)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return &fixture{db: db, sc: db.Scoped(org.ID), svc: svc, q: q, recv: recv, url: srv.URL + "/hook"}
}

func (f *fixture) publish(t *testing.T, typ events.Type) events.Event {
	t.Helper()
	spec, _ := events.Lookup(typ)
	e, err := events.New(f.sc.OrganizationID(), typ, time.Now(), spec.Example)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := f.sc.InTx(ctx, func(tx *store.Scoped) error { return events.Publish(ctx, tx, f.q, e) }); err != nil {
		t.Fatal(err)
	}
	return e
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 60 s for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// An event reaches a subscribed webhook signed with its secret; a failed
// attempt is retried with the same webhook-id until the receiver takes
// it, and every attempt is in the delivery log.
func TestDeliveryRetriedUntilTaken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		if _, _, err := f.svc.Create(ctx, f.sc, webhook.Settings{Name: "Other", URL: f.url + "?other", Events: []string{"member.joined"}, Active: true}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		h, plain, err := f.svc.Create(ctx, f.sc, webhook.Settings{Name: "CRM", URL: f.url, Events: []string{"credential.issued"}, Active: true}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		key, _ := webhook.ParseSecret(plain)
		f.recv.verifier = webhook.Verifier{Keys: [][]byte{key}}
		f.recv.answers = []int{500, 503}
		e := f.publish(t, events.CredentialIssued)
		waitFor(t, "three attempts", func() bool { return len(f.recv.deliveries()) >= 3 })
		time.Sleep(300 * time.Millisecond) // room for a wrong fourth
		got := f.recv.deliveries()
		if len(got) != 3 {
			t.Fatalf("%d deliveries, want 3 (two failures, then taken)", len(got))
		}
		for i, d := range got {
			if d.verified != nil || d.header.Get("webhook-id") != e.ID || d.body.Type != events.CredentialIssued || d.body.Version != 1 {
				t.Errorf("delivery %d: verified %v, id %q, body %+v", i, d.verified, d.header.Get("webhook-id"), d.body)
			}
		}
		var page store.DeliveryPage
		waitFor(t, "the log", func() bool {
			page, _ = f.sc.WebhookDeliveries(ctx, h.ID, store.DeliveryFilter{})
			return len(page.Deliveries) == 3
		})
		last, first := page.Deliveries[0], page.Deliveries[2]
		if !last.Success || last.Attempt != 3 || last.Cause != store.CauseRetry || first.Success || first.Attempt != 1 ||
			first.Cause != store.CauseEvent || *first.ResponseStatus != 500 || *first.ResponseBody != "answered Internal Server Error" ||
			first.RequestHeaders.Data()["Webhook-Id"] != e.ID {
			t.Errorf("log: first %+v, last %+v", first, last)
		}
		if w, _ := f.sc.Webhook(ctx, h.ID); w.FailingSince != nil {
			t.Errorf("still failing since %v after a success", w.FailingSince)
		}
	})
}

// 410 Gone disables the endpoint at once and tells the admins; a
// successful test event turns it back on.
func TestGoneDisablesAndTestReenables(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		h, _, err := f.svc.Create(ctx, f.sc, webhook.Settings{Name: "CRM", URL: f.url, Events: []string{"credential.revoked"}, Active: true}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		f.recv.answers = []int{410}
		f.publish(t, events.CredentialRevoked)
		waitFor(t, "disabled", func() bool { w, _ := f.sc.Webhook(ctx, h.ID); return w.DisabledAt != nil })
		time.Sleep(300 * time.Millisecond)
		if n := len(f.recv.deliveries()); n != 1 {
			t.Errorf("%d attempts after 410, want 1", n)
		}
		w, _ := f.sc.Webhook(ctx, h.ID)
		if w.State() != store.WebhookStateDisabled || w.DisabledReason == nil || *w.DisabledReason != "the endpoint answered 410 Gone" {
			t.Errorf("state %s, reason %v", w.State(), w.DisabledReason)
		}
		// Events are not delivered while disabled.
		f.publish(t, events.CredentialRevoked)
		time.Sleep(500 * time.Millisecond)
		if n := len(f.recv.deliveries()); n != 1 {
			t.Errorf("%d attempts while disabled, want 1", n)
		}
		res, err := f.svc.SendTest(ctx, f.sc, h.ID)
		if err != nil || !res.OK() || res.EventType != events.CredentialRevoked {
			t.Fatalf("test event: %+v %v", res, err)
		}
		if w, _ := f.sc.Webhook(ctx, h.ID); w.State() != store.WebhookStateActive {
			t.Errorf("after a successful test: %s", w.State())
		}
	})
}

// During a rotation's overlap both secrets sign; receivers holding either
// accept the delivery. A redelivery carries the original event id.
func TestRotationAndRedelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		h, oldPlain, err := f.svc.Create(ctx, f.sc, webhook.Settings{Name: "CRM", URL: f.url, Events: []string{"api_key.created"}, Active: true}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		_, newPlain, err := f.svc.Rotate(ctx, f.sc, h.ID, time.Hour, store.Actor{})
		if err != nil || newPlain == oldPlain {
			t.Fatal(err)
		}
		oldKey, _ := webhook.ParseSecret(oldPlain)
		newKey, _ := webhook.ParseSecret(newPlain)
		e := f.publish(t, events.APIKeyCreated)
		waitFor(t, "the delivery", func() bool { return len(f.recv.deliveries()) == 1 })
		d := f.recv.deliveries()[0]
		for name, k := range map[string][]byte{"old": oldKey, "new": newKey} {
			if err := (webhook.Verifier{Keys: [][]byte{k}}).Verify(d.header, d.raw); err != nil {
				t.Errorf("the %s secret does not verify: %v", name, err)
			}
		}
		if n := len(strings.Fields(d.header.Get("webhook-signature"))); n != 2 {
			t.Errorf("%d signatures during the overlap, want 2", n)
		}
		var page store.DeliveryPage
		waitFor(t, "the attempt logged", func() bool {
			page, _ = f.sc.WebhookDeliveries(ctx, h.ID, store.DeliveryFilter{})
			return len(page.Deliveries) == 1
		})
		if err := f.svc.Redeliver(ctx, f.sc, f.q, h.ID, page.Deliveries[0].ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the redelivery", func() bool { return len(f.recv.deliveries()) == 2 })
		if again := f.recv.deliveries()[1]; again.header.Get("webhook-id") != e.ID || again.body.Type != events.APIKeyCreated {
			t.Errorf("redelivered %q %+v", again.header.Get("webhook-id"), again.body)
		}
		waitFor(t, "the redelivery logged", func() bool {
			page, _ = f.sc.WebhookDeliveries(ctx, h.ID, store.DeliveryFilter{})
			return len(page.Deliveries) == 2
		})
		if page.Deliveries[0].Cause != store.CauseRedeliver || page.Deliveries[0].Attempt != 2 {
			t.Errorf("logged redelivery: %+v", page.Deliveries[0])
		}
	})
}
