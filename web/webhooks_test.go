package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/webhook"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// hookReceiver is a webhook endpoint on loopback that answers with status
// (200 unless set) and keeps the webhook-id of every delivery.
type hookReceiver struct {
	mu     sync.Mutex
	status int
	ids    []string
	bodies []string
	srv    *httptest.Server
}

func newHookReceiver(t testing.TB) *hookReceiver {
	r := &hookReceiver{status: 200}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.ids = append(r.ids, req.Header.Get("webhook-id"))
		r.bodies = append(r.bodies, string(b))
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) URL() string { return r.srv.URL + "/hooks/trustcred" }

func (r *hookReceiver) answer(status int) {
	r.mu.Lock()
	r.status = status
	r.mu.Unlock()
}

func (r *hookReceiver) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

// allowPrivate is the test configuration that lets webhooks reach a
// receiver on loopback, as an operator may allow for an intranet.
func allowPrivate() webtest.Option {
	return webtest.WithConfig(func(c *config.Config) { c.OutboundAllowPrivate = true })
}

// createHook makes a webhook of org through the door, as the page does.
func createHook(t testing.TB, env *webtest.Env, org *store.Organization, name, u string) (*store.Webhook, string) {
	t.Helper()
	h, secret, err := env.Services.Webhooks.Create(context.Background(), env.DB.Scoped(org.ID),
		webhook.Settings{Name: name, URL: u, Events: []string{"credential.issued", "credential.revoked"}, Active: true}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	return h, secret
}

// testDelivery sends a test event to h and returns the attempt logged.
func testDelivery(t testing.TB, env *webtest.Env, org *store.Organization, h *store.Webhook) *store.WebhookDelivery {
	t.Helper()
	sc := env.DB.Scoped(org.ID)
	if _, err := env.Services.Webhooks.SendTest(context.Background(), sc, h.ID); err != nil {
		t.Fatal(err)
	}
	p, err := sc.WebhookDeliveries(context.Background(), h.ID, store.DeliveryFilter{Limit: 1})
	if err != nil || len(p.Deliveries) != 1 {
		t.Fatalf("%d deliveries (%v)", len(p.Deliveries), err)
	}
	return &p.Deliveries[0]
}

func hookForm(name, u string, events ...string) url.Values {
	return url.Values{"name": {name}, "url": {u}, "events": events, "active": {"on"}}
}

// Every webhooks page and action, for every role: org admins only; another
// organization's admin gets 404 for organization A's webhooks and
// deliveries (and for A's delivery under B's own webhook).
func TestWebhooksRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, allowPrivate())
		recv := newHookReceiver(t)
		a, b := env.Org("acme"), env.Org("bolt")
		hA, _ := createHook(t, env, a, "Registrar", recv.URL())
		hB, _ := createHook(t, env, b, "Bolt HR", recv.URL())
		dA := testDelivery(t, env, a, hA)
		clients := env.RoleClients(a, b)
		since := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")
		hook, del := "/settings/webhooks/"+hA.ID, "/settings/webhooks/"+hA.ID+"/deliveries/"+dA.ID
		htmx := func(admin, other int) map[string]int {
			m := webtest.AdminOnly(admin, other)
			m[webtest.AsAnonymous] = 204
			return m
		}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/settings/webhooks", Want: webtest.AdminOnly(200, 200)},
			{Method: "GET", Path: "/settings/webhooks/new", Want: webtest.AdminOnly(200, 200)},
			{Method: "POST", Path: "/settings/webhooks", Form: hookForm("LMS", recv.URL(), "member.joined"), Want: webtest.AdminOnly(201, 201)},
			{Method: "GET", Path: hook, Want: webtest.AdminOnly(200, 404)},
			{Method: "POST", Path: hook, Form: hookForm("Registrar 2", recv.URL(), "credential.issued"), Want: webtest.AdminOnly(303, 404)},
			{Method: "POST", Path: hook + "/test", Htmx: true, Want: htmx(200, 404)},
			{Method: "POST", Path: hook + "/rotate", Form: url.Values{"overlap": {"1h"}}, Want: webtest.AdminOnly(200, 404)},
			{Method: "GET", Path: hook + "/deliveries", Want: webtest.AdminOnly(200, 404)},
			{Method: "GET", Path: del, Want: webtest.AdminOnly(200, 404)},
			{Method: "POST", Path: del + "/redeliver", Htmx: true, Want: htmx(200, 404)},
			{Method: "POST", Path: hook + "/redeliver-failed", Form: url.Values{"since": {since}}, Want: webtest.AdminOnly(303, 404)},
			// Ids that are not webhooks, and A's delivery under B's webhook.
			{Method: "GET", Path: "/settings/webhooks/not-an-id", Want: webtest.AdminOnly(404, 404)},
			{Method: "GET", Path: "/settings/webhooks/" + hB.ID + "/deliveries/" + dA.ID, Want: webtest.AdminOnly(404, 404)},
			{Method: "GET", Path: hook + "/deliveries/not-an-id", Want: webtest.AdminOnly(404, 404)},
			{Method: "POST", Path: hook + "/delete", Want: webtest.AdminOnly(303, 404)},
		})
		// B's admin changed nothing of A's; A's admin deleted A's webhook.
		if _, err := env.DB.Scoped(a.ID).Webhook(context.Background(), hA.ID); err != store.ErrNotFound {
			t.Errorf("A's webhook after its admin deleted it: %v", err)
		}
		if w, err := env.DB.Scoped(b.ID).Webhook(context.Background(), hB.ID); err != nil || w.Name != "Bolt HR" {
			t.Errorf("B's webhook: %+v %v", w, err)
		}
		// The sidebar: admins see Webhooks, the other roles do not.
		for who, want := range map[string]bool{webtest.AsAdmin: true, webtest.AsIssuer: false, webtest.AsReviewer: false,
			webtest.AsVerifier: false, webtest.AsRecipient: false} {
			if got := clients[who].Get("/").Has("nav-webhooks"); got != want {
				t.Errorf("%s: Webhooks in the sidebar %v, want %v", who, got, want)
			}
		}
	})
}

// The form refuses what the door refuses, each message next to its field,
// with nothing written; with htmx only the page body comes back.
func TestWebhookFormErrors(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d) // private outbound not allowed
		a := env.Org("acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))
		ok := "https://hooks.example.org/trustcred"
		for _, c := range []struct {
			name  string
			form  url.Values
			field string
			says  string
		}{
			{"bad URL", hookForm("LMS", "not a url", "credential.issued"), "url", "https://"},
			{"http URL", hookForm("LMS", "http://hooks.example.org/x", "credential.issued"), "url", "Enter an https:// URL"},
			{"private address", hookForm("LMS", "https://10.1.2.3/hook", "credential.issued"), "url", "private"},
			{"loopback address", hookForm("LMS", "https://127.0.0.1:8443/hook", "credential.issued"), "url", "private, loopback"},
			{"no URL", hookForm("LMS", "", "credential.issued"), "url", "Enter the URL"},
			{"no events", hookForm("LMS", ok), "events", "Choose at least one event"},
			{"unknown event", hookForm("LMS", ok, "credential.stolen"), "events", "is not an event TrustCred sends"},
			{"no name", hookForm(" ", ok, "credential.issued"), "name", "Enter a name"},
			{"oversize name", hookForm(strings.Repeat("n", 101), ok, "credential.issued"), "name", "at most 100 characters"},
			{"control character in name", hookForm("LMS\x07", ok, "credential.issued"), "name", "control character"},
		} {
			r := cl.Post("/settings/webhooks", c.form)
			if r.Status != 422 || !r.Has("error-"+c.field) || !strings.Contains(between(r.Body, `data-testid="error-`+c.field+`"`, "</p>"), c.says) {
				t.Errorf("%s: %d, error next to %s: %q", c.name, r.Status, c.field, between(r.Body, `data-testid="error-`+c.field+`"`, "</p>"))
			}
			if !strings.Contains(r.Body, `aria-invalid="true"`) && c.field != "events" {
				t.Errorf("%s: the field is not marked invalid", c.name)
			}
			// What was typed is kept.
			if c.field != "url" && !strings.Contains(r.Body, `value="`+c.form.Get("url")+`"`) {
				t.Errorf("%s: the URL typed is lost", c.name)
			}
		}
		// htmx: the page body only, errors in it.
		r := cl.Htmx("POST", "/settings/webhooks", hookForm("LMS", "http://hooks.example.org/x", "credential.issued"))
		if r.Status != 422 || !r.Has("webhook-new-page") || !r.Has("error-url") || strings.Contains(r.Body, "<html") {
			t.Errorf("htmx refusal: %d\n%.300s", r.Status, r.Body)
		}
		hooks, err := env.DB.Scoped(a.ID).Webhooks(context.Background())
		if err != nil || len(hooks) != 0 {
			t.Fatalf("%d webhooks written by refused forms (%v)", len(hooks), err)
		}
		// Editing refuses the same way and keeps the stored settings.
		h, _ := createHook(t, env, a, "Registrar", ok)
		r = cl.Post("/settings/webhooks/"+h.ID, hookForm("Registrar", "https://192.168.1.1/x"))
		if r.Status != 422 || !r.Has("error-url") || !r.Has("error-events") || !r.Has("webhook-edit-page") {
			t.Errorf("edit refusal: %d", r.Status)
		}
		if w, _ := env.DB.Scoped(a.ID).Webhook(context.Background(), h.ID); w.URL != ok || len(w.Events) != 2 {
			t.Errorf("refused edit changed the webhook: %+v", w)
		}
		// A rotation without a valid overlap is refused on the page.
		r = cl.Post("/settings/webhooks/"+h.ID+"/rotate", url.Values{"overlap": {"10y"}})
		if r.Status != 422 || !r.Has("field-overlap") || !strings.Contains(r.Body, "Choose how long") {
			t.Errorf("rotation with a bad overlap: %d", r.Status)
		}
	})
}

// At webhook.MaxWebhooks the list says so instead of offering a new one,
// and the form refuses another with a message at its top.
func TestWebhooksAtTheLimit(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))
		for i := range webhook.MaxWebhooks {
			createHook(t, env, a, "Hook "+strconv.Itoa(i), "https://hooks.example.org/"+strconv.Itoa(i))
		}
		r := cl.Get("/settings/webhooks")
		if r.Status != 200 || !r.Has("webhooks-full") || r.Has("webhook-new") || strings.Count(r.Body, `data-testid="webhook-name"`) != webhook.MaxWebhooks {
			t.Errorf("list at the limit: %d, full %v, new %v", r.Status, r.Has("webhooks-full"), r.Has("webhook-new"))
		}
		r = cl.Post("/settings/webhooks", hookForm("One more", "https://hooks.example.org/more", "member.joined"))
		if r.Status != 422 || !strings.Contains(between(r.Body, `data-testid="form-error"`, "</div>"), "the most it can have") {
			t.Errorf("one more: %d %q", r.Status, between(r.Body, `data-testid="form-error"`, "</div>"))
		}
	})
}

var hookSecret = regexp.MustCompile(`whsec_[A-Za-z0-9+/]{43}=`)

// The secret is on the page that creates the webhook (and on the one that
// rotates it), once: never on a later page, never stored in the clear.
func TestWebhookSecretShownOnce(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))

		r := cl.Get("/settings/webhooks")
		if r.Status != 200 || !r.Has("webhooks-empty") || !r.Has("empty-action") {
			t.Fatalf("empty list: %d", r.Status)
		}
		r = cl.Get("/settings/webhooks/new")
		for _, g := range []string{"credentials", "bulk-issuance", "organization", "members", "api-keys"} {
			if !r.Has("events-group-"+g) || !r.Has("events-all-"+g) {
				t.Errorf("no group %s with its select-all box", g)
			}
		}
		form := hookForm("Student records", "https://hooks.example.org/trustcred", "credential.issued", "credential.revoked", "member.joined")
		form.Set("sign_with_issuer_key", "on")
		r = cl.Post("/settings/webhooks", form)
		if r.Status != 201 || !r.Has("webhook-secret-warning") || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("create: %d %q\n%.500s", r.Status, r.Header.Get("Cache-Control"), r.Body)
		}
		secret := hookSecret.FindString(r.Body)
		if secret == "" {
			t.Fatalf("no secret on the page:\n%.2000s", r.Body)
		}
		hooks, err := env.DB.Scoped(a.ID).Webhooks(context.Background())
		if err != nil || len(hooks) != 1 {
			t.Fatalf("%d webhooks (%v)", len(hooks), err)
		}
		h := hooks[0]
		if h.Name != "Student records" || len(h.Events) != 3 || !h.Active || !h.SignWithIssuerKey {
			t.Errorf("stored %+v", h)
		}
		list := cl.Get("/settings/webhooks")
		if !list.Has("webhook-"+h.ID) || !strings.Contains(between(list.Body, `data-testid="webhook-events"`, "</td>"), "3 events") ||
			!strings.Contains(between(list.Body, `data-testid="webhook-last"`, "</td>"), "Never") {
			t.Errorf("list row:\n%s", between(list.Body, `data-testid="webhook-`+h.ID+`"`, "</tr>"))
		}
		for _, p := range []string{"/settings/webhooks", "/settings/webhooks/" + h.ID, "/settings/webhooks/" + h.ID + "/deliveries"} {
			if r := cl.Get(p); r.Status != 200 || hookSecret.MatchString(r.Body) {
				t.Errorf("%s: %d, shows a secret: %v", p, r.Status, hookSecret.MatchString(r.Body))
			}
		}
		noSecretStored(t, env, d, secret)

		// Rotation: a new secret, once; the old one signs during the overlap.
		r = cl.Post("/settings/webhooks/"+h.ID+"/rotate", url.Values{"overlap": {"72h"}})
		rotated := hookSecret.FindString(r.Body)
		if r.Status != 200 || rotated == "" || rotated == secret || !r.Has("webhook-secret-overlap") || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("rotate: %d, new secret %v", r.Status, rotated != "" && rotated != secret)
		}
		w, _ := env.DB.Scoped(a.ID).Webhook(context.Background(), h.ID)
		if w.PreviousSecretUntil == nil || w.PreviousSecretUntil.Sub(time.Now()) < 71*time.Hour {
			t.Errorf("overlap until %v", w.PreviousSecretUntil)
		}
		r = cl.Get("/settings/webhooks/" + h.ID)
		if hookSecret.MatchString(r.Body) || !r.Has("webhook-rotating") {
			t.Error("the page after the rotation shows a secret, or not the overlap")
		}
		noSecretStored(t, env, d, rotated)
	})
}

// noSecretStored: no column of the webhooks table or the audit log holds
// the secret in the clear.
func noSecretStored(t *testing.T, env *webtest.Env, d store.Dialect, secret string) {
	t.Helper()
	key := strings.TrimPrefix(secret, "whsec_")
	cast := "CAST(secret_key AS TEXT) || COALESCE(CAST(previous_secret_key AS TEXT), '')"
	if d == store.SQLite {
		cast = "hex(secret_key) || COALESCE(hex(previous_secret_key), '') || CAST(secret_key AS TEXT)"
	}
	for _, q := range []string{"SELECT name || url || " + cast + " FROM webhooks", "SELECT CAST(details AS TEXT) FROM audit_logs"} {
		rows, err := env.DB.SQL().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(s, key) {
				t.Fatalf("the secret is stored in the clear: %.200s", s)
			}
		}
		rows.Close()
	}
}

// Send test event shows the attempt in place (and brings a disabled
// webhook back); the log lists it, filters it, opens its detail, and
// queues redeliveries.
func TestWebhookTestAndDeliveryLog(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, allowPrivate())
		recv := newHookReceiver(t)
		a := env.Org("acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))
		h, _ := createHook(t, env, a, "Registrar", recv.URL())
		sc := env.DB.Scoped(a.ID)
		ctx := context.Background()
		hook := "/settings/webhooks/" + h.ID

		r := cl.Get(hook + "/deliveries")
		if r.Status != 200 || !r.Has("deliveries-empty") {
			t.Fatalf("empty log: %d", r.Status)
		}
		// A failing receiver: the result says so, in place.
		recv.answer(500)
		r = cl.Htmx("POST", hook+"/test", nil)
		if r.Status != 200 || !r.Has("webhook-test-failed") || !strings.Contains(between(r.Body, `data-testid="webhook-test-status"`, "</dd>"), "HTTP 500") ||
			!r.Has("webhook-test-error") || !strings.Contains(r.Body, `hx-swap-oob="true"`) || strings.Contains(r.Body, "<html") {
			t.Fatalf("failed test: %d\n%.1500s", r.Status, r.Body)
		}
		// Disabled by TrustCred, then a successful test turns it back on.
		if _, err := sc.DisableWebhook(ctx, h.ID, "the endpoint answered 410 Gone", time.Now()); err != nil {
			t.Fatal(err)
		}
		if r := cl.Get("/settings/webhooks"); !strings.Contains(between(r.Body, `data-testid="webhook-state"`, "</td>"), "410 Gone") {
			t.Errorf("the list does not say why the webhook is disabled:\n%s", between(r.Body, `data-testid="webhook-state"`, "</td>"))
		}
		recv.answer(200)
		r = cl.Htmx("POST", hook+"/test", nil)
		if r.Status != 200 || !r.Has("webhook-test-ok") || !r.Has("webhook-test-reenabled") || !strings.Contains(r.Body, "Active") {
			t.Fatalf("successful test: %d\n%.1500s", r.Status, r.Body)
		}
		if w, _ := sc.Webhook(ctx, h.ID); w.DisabledAt != nil {
			t.Error("still disabled after a successful test")
		}
		// Without htmx the result is on the webhook's page.
		r = cl.Post(hook+"/test", nil)
		if r.Status != 200 || !r.Has("webhook-edit-page") || !r.Has("webhook-test-ok") {
			t.Errorf("test without htmx: %d", r.Status)
		}
		if got := recv.received(); len(got) != 3 {
			t.Fatalf("receiver got %d requests, want 3", len(got))
		}
		// The list's last delivery.
		if r := cl.Get("/settings/webhooks"); !strings.Contains(between(r.Body, `data-testid="webhook-last"`, "</td>"), "HTTP 200") {
			t.Errorf("last delivery: %s", between(r.Body, `data-testid="webhook-last"`, "</td>"))
		}

		// The log: three attempts; filters.
		r = cl.Get(hook + "/deliveries")
		if n := strings.Count(r.Body, `data-testid="delivery-open"`); r.Status != 200 || n != 3 {
			t.Fatalf("log: %d, %d rows", r.Status, n)
		}
		r = cl.Get(hook + "/deliveries?result=failure")
		if n := strings.Count(r.Body, `data-testid="delivery-open"`); n != 1 || !strings.Contains(r.Body, "HTTP 500") {
			t.Errorf("failures: %d rows", n)
		}
		r = cl.Htmx("GET", hook+"/deliveries?result=success&event=credential.issued", nil)
		if n := strings.Count(r.Body, `data-testid="delivery-open"`); r.Status != 200 || n != 2 || !r.Has("delivery-results") || r.Has("deliveries-page") {
			t.Errorf("htmx filter: %d, %d rows", r.Status, n)
		}
		r = cl.Get(hook + "/deliveries?event=member.joined")
		if !r.Has("deliveries-empty") || !strings.Contains(r.Body, "No deliveries match") {
			t.Error("a filter that matches nothing does not say so")
		}
		for _, q := range []string{"?event=credential.stolen", "?result=maybe"} {
			if r := cl.Get(hook + "/deliveries" + q); r.Status != 422 || !strings.Contains(r.Body, "Choose") {
				t.Errorf("%s: %d", q, r.Status)
			}
		}
		if r := cl.Get(hook + "/deliveries?before=garbage"); r.Status != 200 || !strings.Contains(r.Body, "page link") {
			t.Errorf("bad page link: %d", r.Status)
		}

		// Keyset pages of the log.
		for range 26 {
			testDelivery(t, env, a, h)
		}
		r = cl.Get(hook + "/deliveries")
		older := regexp.MustCompile(`href="([^"]*before=[^"]*)"[^>]*data-testid="deliveries-older"`).FindStringSubmatch(r.Body)
		if n := strings.Count(r.Body, `data-testid="delivery-open"`); n != store.DefaultDeliveryPage || older == nil {
			t.Fatalf("first page: %d rows, older link %v", n, older)
		}
		r = cl.Get(strings.ReplaceAll(older[1], "&amp;", "&"))
		if n := strings.Count(r.Body, `data-testid="delivery-open"`); n != 29-store.DefaultDeliveryPage || !r.Has("deliveries-newest") {
			t.Errorf("second page: %d rows", n)
		}

		// The detail: headers, the body indented, the answer.
		dl := testDelivery(t, env, a, h)
		r = cl.Get(hook + "/deliveries/" + dl.ID)
		if r.Status != 200 || !strings.Contains(between(r.Body, `data-testid="delivery-event-id"`, "</dd>"), dl.EventID) ||
			!strings.Contains(r.Body, ">Webhook-Signature</dt>") || !strings.Contains(r.Body, ">v1,") ||
			!strings.Contains(between(r.Body, `data-testid="delivery-body"`, "</pre>"), "\n  &#34;type&#34;: &#34;credential.issued&#34;") ||
			!strings.Contains(between(r.Body, `data-testid="delivery-response"`, "</pre>"), "received") ||
			!strings.Contains(between(r.Body, `data-testid="delivery-status"`, "</dd>"), "HTTP 200") {
			t.Fatalf("detail: %d\n%s\n%s", r.Status, between(r.Body, `data-testid="delivery-headers"`, "</dl>"), between(r.Body, `data-testid="delivery-body"`, "</pre>"))
		}

		// Redeliver one: queued under the same event id, said in a flash.
		r = cl.Htmx("POST", hook+"/deliveries/"+dl.ID+"/redeliver", nil)
		if r.Status != 200 || !r.Has("flash-success") || !strings.Contains(r.Body, "same webhook-id") {
			t.Fatalf("redeliver: %d\n%.500s", r.Status, r.Body)
		}
		if ids := queuedDeliveries(t, env); len(ids) != 1 || ids[0] != dl.EventID {
			t.Errorf("queued deliveries %v, want [%s]", ids, dl.EventID)
		}

		// Redeliver all failed since…: checked, then counted.
		for _, c := range []struct{ since, says string }{
			{"", "Enter the date and time"},
			{"yesterday", "Enter a date and time such as"},
			{time.Now().UTC().Add(2 * time.Hour).Format("2006-01-02T15:04"), "in the past"},
		} {
			r := cl.Htmx("POST", hook+"/redeliver-failed", url.Values{"since": {c.since}})
			if r.Status != 422 || !strings.Contains(between(r.Body, `data-testid="error-since"`, "</p>"), c.says) || !r.Has("redeliver-failed-form") {
				t.Errorf("since %q: %d %q", c.since, r.Status, between(r.Body, `data-testid="error-since"`, "</p>"))
			}
		}
		r = cl.Post(hook+"/redeliver-failed", url.Values{"since": {"yesterday"}})
		if r.Status != 422 || !r.Has("deliveries-page") || !r.Has("error-since") {
			t.Errorf("since without htmx: %d", r.Status)
		}
		// The one failed test event was followed by successful tests, but
		// of other events (each test is a new event): it counts.
		since := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")
		r = cl.Htmx("POST", hook+"/redeliver-failed", url.Values{"since": {since}})
		if r.Status != 200 || !strings.Contains(r.Body, "1 failed event since") || !r.Has("redeliver-failed-form") {
			t.Fatalf("redeliver failed: %d\n%.800s", r.Status, r.Body)
		}
		if ids := queuedDeliveries(t, env); len(ids) != 2 {
			t.Errorf("%d deliveries queued, want 2", len(ids))
		}
		// A webhook whose deliveries all succeeded has nothing to redeliver.
		ok, _ := createHook(t, env, a, "Healthy", recv.URL())
		testDelivery(t, env, a, ok)
		r = cl.Htmx("POST", "/settings/webhooks/"+ok.ID+"/redeliver-failed", url.Values{"since": {since}})
		if r.Status != 200 || !strings.Contains(r.Body, "nothing to redeliver") {
			t.Errorf("nothing failed: %d %.400s", r.Status, r.Body)
		}
	})
}

// queuedDeliveries are the event ids of the webhook_deliver jobs waiting
// in the queue (the test app's queue works none), oldest first.
func queuedDeliveries(t *testing.T, env *webtest.Env) []string {
	t.Helper()
	args := "args::text"
	if env.DB.Dialect() == store.SQLite {
		args = "json(args)"
	}
	rows, err := env.DB.SQL().Query("SELECT " + args + " FROM river_job WHERE kind = 'webhook_deliver' ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`"id":\s*"(evt_[^"]+)"`).FindStringSubmatch(raw)
		if m == nil {
			t.Fatalf("webhook_deliver args %s", raw)
		}
		ids = append(ids, m[1])
	}
	return ids
}
