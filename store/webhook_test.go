package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func newWebhook(t *testing.T, sc *store.Scoped, name string, active bool, events ...store.WebhookEvent) *store.Webhook {
	t.Helper()
	w := &store.Webhook{Name: name, URL: "https://hooks.example.com/" + name, SecretKey: []byte("sealed"), Active: active,
		Events: datatypes.NewJSONSlice(events)}
	if err := sc.CreateWebhook(context.Background(), w, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return w
}

func attempt(t *testing.T, sc *store.Scoped, w *store.Webhook, eventID string, n int, ok bool, at time.Time) store.WebhookHealth {
	t.Helper()
	cause := store.CauseEvent
	if n > 1 {
		cause = store.CauseRetry
	}
	h, err := sc.RecordWebhookAttempt(context.Background(), &store.WebhookDelivery{WebhookID: w.ID, EventType: "credential.issued",
		EventID: eventID, Cause: cause, Success: ok, CreatedAt: at,
		Payload:        datatypes.NewJSONType(store.WebhookPayload{Type: "credential.issued", Version: 1, Timestamp: at}),
		RequestHeaders: datatypes.NewJSONType(map[string]string{"webhook-id": eventID})})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Which webhooks get an event, and how a run of failures and a success
// change a webhook's health.
func TestWebhookDeliveryState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sc := db.Scoped(org(t, db, "acme").ID)
		issued := newWebhook(t, sc, "issued", true, "credential.issued", "credential.revoked")
		newWebhook(t, sc, "revoked-only", true, "credential.revoked")
		newWebhook(t, sc, "paused", false, "credential.issued")
		disabled := newWebhook(t, sc, "disabled", true, "credential.issued")
		if ok, err := sc.DisableWebhook(ctx, disabled.ID, "the endpoint answered 410 Gone", time.Now()); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if ok, err := sc.DisableWebhook(ctx, disabled.ID, "again", time.Now()); err != nil || ok {
			t.Errorf("disabling twice: %v %v", ok, err)
		}
		got, err := sc.DeliveringWebhooks(ctx, "credential.issued")
		if err != nil || len(got) != 1 || got[0].ID != issued.ID {
			t.Fatalf("delivering credential.issued: %+v %v", got, err)
		}

		t0 := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
		if h := attempt(t, sc, issued, "evt_1", 1, false, t0); h.FailingSince == nil || !h.FailingSince.Equal(t0) {
			t.Errorf("after a first failure: %+v", h)
		}
		if h := attempt(t, sc, issued, "evt_1", 2, false, t0.Add(time.Hour)); h.FailingSince == nil || !h.FailingSince.Equal(t0) {
			t.Errorf("the run of failures starts at the first: %+v", h)
		}
		if err := sc.MarkWebhookWarned(ctx, issued.ID, t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		attempt(t, sc, issued, "evt_1", 3, true, t0.Add(3*time.Hour))
		w, _ := sc.Webhook(ctx, issued.ID)
		if w.FailingSince != nil || w.WarnedAt != nil || w.LastTriggered == nil {
			t.Errorf("a success ends the run: %+v", w)
		}
		// A successful attempt (a test event) lifts a disabled state.
		attempt(t, sc, disabled, "evt_test", 1, true, t0)
		if w, _ := sc.Webhook(ctx, disabled.ID); w.DisabledAt != nil || w.State() != store.WebhookStateActive {
			t.Errorf("a successful test event leaves it %s", w.State())
		}

		// The log: newest first, filtered, paged; redeliverable failures.
		attempt(t, sc, issued, "evt_2", 1, false, t0.Add(4*time.Hour))
		attempt(t, sc, issued, "evt_3", 1, false, t0.Add(5*time.Hour))
		attempt(t, sc, issued, "evt_3", 2, false, t0.Add(6*time.Hour))
		page, err := sc.WebhookDeliveries(ctx, issued.ID, store.DeliveryFilter{Limit: 4})
		if err != nil || len(page.Deliveries) != 4 || page.Next == nil || page.Deliveries[0].EventID != "evt_3" || page.Deliveries[0].Attempt != 2 {
			t.Fatalf("first page: %+v %v", page, err)
		}
		rest, err := sc.WebhookDeliveries(ctx, issued.ID, store.DeliveryFilter{Limit: 4, Before: page.Next})
		if err != nil || len(rest.Deliveries) != 2 || rest.Next != nil || rest.Deliveries[1].Attempt != 1 || rest.Deliveries[1].EventID != "evt_1" {
			t.Fatalf("second page: %+v %v", rest, err)
		}
		no := false
		failed, err := sc.WebhookDeliveries(ctx, issued.ID, store.DeliveryFilter{Success: &no})
		if err != nil || len(failed.Deliveries) != 5 {
			t.Errorf("failed attempts: %d %v", len(failed.Deliveries), err)
		}
		again, err := sc.FailedDeliveriesSince(ctx, issued.ID, t0, 100)
		if err != nil || len(again) != 2 || again[0].EventID != "evt_3" || again[0].Attempt != 2 || again[1].EventID != "evt_2" {
			t.Errorf("failed since: %+v %v", again, err)
		}
		if _, err := sc.WebhookDelivery(ctx, disabled.ID, page.Deliveries[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an attempt of another webhook: %v", err)
		}

		// Retention.
		n, err := db.PurgeWebhookDeliveries(ctx, t0.Add(150*time.Minute))
		if err != nil || n != 3 { // evt_1's two failures and the test event, all before 11:30
			t.Errorf("purged %d (%v), want 3", n, err)
		}
	})
}

// Rotating keeps the previous secret beside the new one until the end of
// the overlap; deleting takes the log with it.
func TestWebhookRotateAndDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sc := db.Scoped(org(t, db, "acme").ID)
		w := newWebhook(t, sc, "crm", true, "credential.issued")
		until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
		r, err := sc.RotateWebhookSecret(ctx, w.ID, []byte("next"), []byte("previous"), until, store.Actor{})
		if err != nil || string(r.SecretKey) != "next" || string(r.PreviousSecretKey) != "previous" || !r.PreviousSecretUntil.Equal(until) {
			t.Fatalf("rotated: %+v %v", r, err)
		}
		got, _ := sc.Webhook(ctx, w.ID)
		if string(got.SecretKey) != "next" || string(got.PreviousSecretKey) != "previous" {
			t.Errorf("stored: %q %q", got.SecretKey, got.PreviousSecretKey)
		}
		attempt(t, sc, w, "evt_1", 1, true, time.Now())
		if err := sc.DeleteWebhook(ctx, w.ID, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.Webhook(ctx, w.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after delete: %v", err)
		}
		var n int64
		store.Gorm(db).Table("webhook_deliveries").Count(&n)
		if n != 0 {
			t.Errorf("%d attempts left after delete", n)
		}
		var audited int64
		store.Gorm(db).Table("audit_logs").Where("action IN ?", []string{"webhook.created", "webhook.secret_rotated", "webhook.deleted"}).Count(&audited)
		if audited != 3 {
			t.Errorf("%d audit entries, want 3", audited)
		}
	})
}
