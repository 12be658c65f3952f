package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/webhook"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// An org admin creates a webhook pointing at a receiver on loopback (the
// operator allows private outbound here), copies the secret shown once,
// sends a test event, finds it in the delivery log, opens its detail and
// redelivers it: the receiver gets the event twice under the same
// webhook-id, each delivery signed with the secret the page showed.
func TestBrowserWebhooks(t *testing.T) {
	tab := browsertest.Tab(t)
	env, base := webtest.Served(t, store.SQLite, allowPrivate())
	org := env.Org("acme")
	admin := env.User(store.RoleAdmin, org)

	// The delivery worker, on a queue of its own over the same database:
	// it works the redelivery the page queues.
	ws := jobs.NewWorkers()
	webhook.Register(ws, env.Services.Webhooks, 24*time.Hour)
	q, err := jobs.New(env.DB, env.Log, ws)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})

	type hit struct {
		header http.Header
		body   []byte
	}
	var (
		mu       sync.Mutex
		received []hit
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, hit{r.Header.Clone(), b})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true,"note":"stored for the registrar"}`)
	}))
	t.Cleanup(recv.Close)

	q2 := func(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), webtest.Password),
		chromedp.Click(q2("login-submit")),
		chromedp.WaitVisible(q2("dashboard")),
		chromedp.Click(chromedp.CSS(`[data-testid="nav-webhooks"]:not([hidden])`), chromedp.NodeVisible),
		chromedp.WaitVisible(q2("webhooks-empty")),
	); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "webhooks-empty")
	if err := chromedp.Do(tab,
		chromedp.Click(q2("empty-action")),
		chromedp.WaitVisible(q2("webhook-form")),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Student records"),
		chromedp.SendKeys(chromedp.CSS(`#f-url`), recv.URL+"/hooks/trustcred"),
		// No event chosen: the error comes back next to the events (htmx).
		chromedp.Click(q2("webhook-save")),
		chromedp.WaitVisible(q2("error-events")),
	); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "webhook-form-error")
	// "Select all" ticks every event of its group.
	if err := chromedp.Do(tab, chromedp.Click(q2("events-all-credentials"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "every credentials event ticked",
		`[...document.querySelectorAll('input[data-group="credentials"]')].every(b => b.checked) && !document.querySelector('input[data-group="members"]').checked`)
	lookTop(t, tab, "webhook-form")
	browsertest.Axe(t, tab, "webhook-form")
	if err := chromedp.Do(tab,
		chromedp.Click(q2("webhook-save")),
		chromedp.WaitVisible(q2("webhook-secret")),
	); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "webhook-secret")
	browsertest.Axe(t, tab, "webhook-secret")
	secret, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById("webhook-secret").value`))
	if err != nil {
		t.Fatal(err)
	}
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		t.Fatalf("secret shown %q: %v", secret, err)
	}

	// Send a test event from the webhook's page: the result in place.
	if err := chromedp.Do(tab,
		chromedp.Click(q2("webhook-secret-done")),
		chromedp.WaitVisible(q2("webhook-test")),
		chromedp.Click(q2("webhook-test")),
		chromedp.WaitVisible(q2("webhook-test-ok")),
	); err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(tab, chromedp.Text(q2("webhook-test-status")))
	if err != nil || status != "HTTP 200" {
		t.Fatalf("test status %q (%v)", status, err)
	}
	html, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil || strings.Contains(html, secret) {
		t.Fatalf("the webhook's page shows the secret (%v)", err)
	}
	lookTop(t, tab, "webhook-edit")
	browsertest.Axe(t, tab, "webhook-edit")

	// The list shows it with its last delivery.
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/settings/webhooks"),
		chromedp.WaitVisible(q2("webhooks-table")),
	); err != nil {
		t.Fatal(err)
	}
	last, err := chromedp.Run(tab, chromedp.Text(q2("webhook-last")))
	if err != nil || !strings.Contains(last, "HTTP 200") {
		t.Fatalf("last delivery %q (%v)", last, err)
	}
	lookTop(t, tab, "webhooks-list")
	browsertest.Axe(t, tab, "webhooks-list")

	// The delivery log and the detail.
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`td [data-testid="webhook-deliveries"]`)),
		chromedp.WaitVisible(q2("deliveries-table")),
	); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "webhook-deliveries")
	browsertest.Axe(t, tab, "webhook-deliveries")
	if err := chromedp.Do(tab,
		chromedp.Click(q2("delivery-open")),
		chromedp.WaitVisible(q2("delivery-page")),
	); err != nil {
		t.Fatal(err)
	}
	eventID, err := chromedp.Run(tab, chromedp.Text(q2("delivery-event-id")))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := chromedp.Run(tab, chromedp.Text(q2("delivery-response")))
	if err != nil || !strings.Contains(resp, "stored for the registrar") {
		t.Fatalf("response shown %q (%v)", resp, err)
	}
	lookTop(t, tab, "webhook-delivery")
	browsertest.Axe(t, tab, "webhook-delivery")

	// Redeliver: a flash, and the worker sends it again.
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`[data-testid="delivery-page"] [data-testid="delivery-redeliver"]`)),
		chromedp.WaitVisible(q2("flash-success")),
	); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(browsertest.Budget(t) / 2)
	for {
		mu.Lock()
		n := len(received)
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d deliveries, want 2", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	hits := append([]hit(nil), received...)
	mu.Unlock()
	if len(hits) != 2 {
		t.Fatalf("the receiver got %d deliveries", len(hits))
	}
	v := webhook.Verifier{Keys: [][]byte{key}}
	for i, g := range hits {
		if id := g.header.Get("webhook-id"); id != eventID {
			t.Errorf("delivery %d: webhook-id %q, want %q", i+1, id, eventID)
		}
		if err := v.Verify(g.header, g.body); err != nil {
			t.Errorf("delivery %d: signature with the secret shown: %v", i+1, err)
		}
	}
	// The log shows the redelivery as attempt 2.
	hooks, err := env.DB.Scoped(org.ID).Webhooks(context.Background())
	if err != nil || len(hooks) != 1 {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/settings/webhooks/"+hooks[0].ID+"/deliveries")); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "two attempts in the log, the newest a redelivery (attempt 2)",
		`document.querySelectorAll('[data-testid="delivery-open"]').length === 2 && document.querySelector('tbody tr').innerText.includes('redelivered')`)

	// Rotate with 72 hours of overlap: a new secret, once, and the overlap.
	if err := chromedp.Do(tab,
		chromedp.Click(q2("deliveries-webhook")),
		chromedp.WaitVisible(q2("webhook-rotate")),
		chromedp.SetValue(chromedp.CSS(`#f-overlap`), "72h"),
		chromedp.Click(q2("webhook-rotate")),
		chromedp.WaitVisible(q2("webhook-secret-overlap")),
	); err != nil {
		t.Fatal(err)
	}
	rotated, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById("webhook-secret").value`))
	if err != nil || rotated == secret || !strings.HasPrefix(rotated, "whsec_") {
		t.Fatalf("rotated secret %q (%v)", rotated, err)
	}
	lookTop(t, tab, "webhook-rotated")

	// Delete, after the confirmation: back to the empty list.
	dialogs := chromedp.Events(tab, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			if !strings.Contains(ev.Message, "Delete the webhook “Student records”") {
				t.Errorf("dialog %q", ev.Message)
			}
			go func() {
				_, _ = chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}()
		}
	}()
	if err := chromedp.Do(tab,
		chromedp.Click(q2("webhook-secret-done")),
		chromedp.WaitVisible(q2("webhook-delete")),
		chromedp.Click(q2("webhook-delete")),
		chromedp.WaitVisible(q2("webhooks-empty")),
		chromedp.WaitVisible(q2("flash-success")),
	); err != nil {
		t.Fatal(err)
	}
}

// lookTop is browsertest.Look from the top of the page (a full-page
// screenshot taken scrolled down draws the sticky top bar mid-page).
func lookTop(t *testing.T, tab context.Context, name string) {
	t.Helper()
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.scrollTo(0, 0), true`)); err != nil {
		t.Fatal(err)
	}
	browsertest.Look(t, tab, name)
}
