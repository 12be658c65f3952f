package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/webhook"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// receiver is a webhook endpoint on loopback that keeps what it got and
// answers with status.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	got    []received
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{status: 200}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.Header.Clone(), b})
		st := rc.status
		rc.mu.Unlock()
		w.WriteHeader(st)
		fmt.Fprint(w, "thanks")
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) answer(status int) { rc.mu.Lock(); rc.status = status; rc.mu.Unlock() }

func (rc *receiver) received() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// hookAPI calls /api/v1 with one key.
type hookAPI struct {
	t   *testing.T
	env *webtest.Env
	key string
}

func (h hookAPI) do(method, path string, body any) *webtest.Response {
	h.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			h.t.Fatal(err)
		}
	}
	hdr := map[string]string{}
	if h.key != "" {
		hdr["Authorization"] = "Bearer " + h.key
	}
	return h.env.Client().Raw(method, path, "application/json", raw, hdr)
}

func decodeJSON[T any](t *testing.T, r *webtest.Response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("%d %s: %v", r.Status, r.Body, err)
	}
	return v
}

type apiHook struct {
	ID, Name, URL, State, Secret string
	Events                       []string
	Active, SignWithIssuerKey    bool
	PreviousSecretUntil          *time.Time
}

type fieldProblem struct {
	Title, Detail string
	Status        int
	Errors        []struct{ Pointer, Parameter, Detail string }
}

func (p fieldProblem) at(where string) string {
	for _, e := range p.Errors {
		if e.Pointer == where || e.Parameter == where {
			return e.Detail
		}
	}
	return ""
}

func privateOutbound(c *config.Config) { c.OutboundAllowPrivate = true }

func jobsOfKind(t *testing.T, env *webtest.Env, kind string) []string {
	t.Helper()
	args := "args::text"
	if env.DB.Dialect() == store.SQLite {
		args = "json(args)"
	}
	rows, err := env.DB.SQL().Query("SELECT "+args+" FROM river_job WHERE kind = "+map[bool]string{true: "$1", false: "?"}[env.DB.Dialect() == store.Postgres]+" ORDER BY id", kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// Every webhooks route, for every kind of caller: no key 401, a key of the
// organization without webhooks:manage 403, another organization's key
// (with the scope) 404 for this organization's webhook and delivery, the
// organization's key with the scope through.
func TestWebhooksAPIRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithConfig(privateOutbound))
		a, b := env.Org("acme"), env.Org("bolt")
		_, keyA := createKey(t, env, a, nil, store.ScopeWebhooksManage)
		_, keyNoScope := createKey(t, env, a, nil, store.ScopeCredentialsRead, store.ScopeCredentialsIssue, store.ScopeCredentialsRevoke)
		_, keyB := createKey(t, env, b, nil, store.ScopeWebhooksManage)
		rc := newReceiver(t)
		owner := hookAPI{t, env, keyA}
		r := owner.do("POST", "/api/v1/webhooks", map[string]any{"name": "Records", "url": rc.URL + "/hook", "events": []string{"credential.issued"}})
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		hook := decodeJSON[apiHook](t, r)
		if r := owner.do("POST", "/api/v1/webhooks/"+hook.ID+"/test", nil); r.Status != 200 {
			t.Fatalf("test: %d %s", r.Status, r.Body)
		}
		list := decodeJSON[struct{ Deliveries []struct{ ID string } }](t, owner.do("GET", "/api/v1/webhooks/"+hook.ID+"/deliveries", nil))
		if len(list.Deliveries) != 1 {
			t.Fatalf("deliveries after a test: %+v", list)
		}
		del := list.Deliveries[0].ID
		since := url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
		valid := `{"name": "Records 2"}`
		routes := []struct {
			method, path, body string
			owner              int
		}{
			{"GET", "/api/v1/webhooks", "", 200},
			{"GET", "/api/v1/webhooks/" + hook.ID, "", 200},
			{"PATCH", "/api/v1/webhooks/" + hook.ID, valid, 200},
			{"POST", "/api/v1/webhooks/" + hook.ID + "/rotate", "", 200},
			{"POST", "/api/v1/webhooks/" + hook.ID + "/test", "", 200},
			{"GET", "/api/v1/webhooks/" + hook.ID + "/deliveries", "", 200},
			{"GET", "/api/v1/webhooks/" + hook.ID + "/deliveries/" + del, "", 200},
			{"POST", "/api/v1/webhooks/" + hook.ID + "/deliveries/" + del + "/redeliver", "", 202},
			{"POST", "/api/v1/webhooks/" + hook.ID + "/deliveries/redeliver-failed?since=" + since, "", 202},
			{"POST", "/api/v1/webhooks", `{"name": "Second", "url": "` + rc.URL + `/2", "events": ["member.joined"]}`, 201},
			{"DELETE", "/api/v1/webhooks/" + hook.ID, "", 204},
		}
		for _, rt := range routes {
			want := map[string]int{"no key": 401, "key without webhooks:manage": 403, "another organization's key": 404, "the organization's key": rt.owner}
			if rt.path == "/api/v1/webhooks" {
				// B's own list, B's own new webhook
				want["another organization's key"] = rt.owner
			}
			for _, who := range []string{"no key", "key without webhooks:manage", "another organization's key", "the organization's key"} {
				key := map[string]string{"no key": "", "key without webhooks:manage": keyNoScope, "another organization's key": keyB, "the organization's key": keyA}[who]
				var body any
				if rt.body != "" {
					body = rt.body
				}
				r := hookAPI{t, env, key}.do(rt.method, rt.path, body)
				if r.Status != want[who] {
					t.Errorf("%s %s with %s: %d, want %d\n%.300s", rt.method, rt.path, who, r.Status, want[who], r.Body)
				}
				if r.Status >= 400 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
					t.Errorf("%s %s with %s: %s, want Problem Details", rt.method, rt.path, who, r.Header.Get("Content-Type"))
				}
			}
		}
		// B's key listed only B's webhook, and never touched A's.
		bList := decodeJSON[struct{ Webhooks []apiHook }](t, hookAPI{t, env, keyB}.do("GET", "/api/v1/webhooks", nil))
		for _, w := range bList.Webhooks {
			if w.ID == hook.ID {
				t.Error("organization B's list shows A's webhook")
			}
		}
	})
}

// The secret comes back on creation, once: never in a read or a list.
// Creation is audited; deleting removes the webhook (404 after), audited.
func TestWebhooksAPICreateShowsTheSecretOnce(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithConfig(privateOutbound))
		a := env.Org("acme")
		_, key := createKey(t, env, a, nil, store.ScopeWebhooksManage)
		api := hookAPI{t, env, key}
		rc := newReceiver(t)
		r := api.do("POST", "/api/v1/webhooks", map[string]any{"name": " Student records ", "url": rc.URL + "/in",
			"events": []string{"credential.issued", "credential.revoked"}, "signWithIssuerKey": true})
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		h := decodeJSON[apiHook](t, r)
		if !strings.HasPrefix(h.Secret, "whsec_") || h.Name != "Student records" || !h.Active || h.State != "active" || !h.SignWithIssuerKey ||
			len(h.Events) != 2 || r.Header.Get("Location") != "/api/v1/webhooks/"+h.ID {
			t.Fatalf("created: %+v, Location %q", h, r.Header.Get("Location"))
		}
		if _, err := webhook.ParseSecret(h.Secret); err != nil {
			t.Fatalf("secret %q: %v", h.Secret, err)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control of the answer with the secret: %q", cc)
		}
		for _, path := range []string{"/api/v1/webhooks/" + h.ID, "/api/v1/webhooks"} {
			r := api.do("GET", path, nil)
			if r.Status != 200 || strings.Contains(r.Body, h.Secret) || strings.Contains(r.Body, `"secret"`) || !strings.Contains(r.Body, h.ID) {
				t.Errorf("GET %s: %d, shows the secret or not the webhook: %s", path, r.Status, r.Body)
			}
		}
		// The stored secret is sealed, not the plain value.
		var stored []byte
		if err := env.DB.SQL().QueryRow(rebind(env, "SELECT secret_key FROM webhooks WHERE id = ?"), h.ID).Scan(&stored); err != nil ||
			strings.Contains(string(stored), h.Secret) || len(stored) == 0 {
			t.Errorf("stored secret: %v (%d bytes)", err, len(stored))
		}
		if n := auditRows(t, env, "webhook.created", h.ID); n != 1 {
			t.Errorf("webhook.created audit entries: %d", n)
		}

		if r := api.do("DELETE", "/api/v1/webhooks/"+h.ID, nil); r.Status != 204 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		if r := api.do("GET", "/api/v1/webhooks/"+h.ID, nil); r.Status != 404 || !strings.Contains(r.Body, "Webhook not found") {
			t.Errorf("after delete: %d %s", r.Status, r.Body)
		}
		if r := api.do("DELETE", "/api/v1/webhooks/"+h.ID, nil); r.Status != 404 {
			t.Errorf("delete twice: %d", r.Status)
		}
		if n := auditRows(t, env, "webhook.deleted", h.ID); n != 1 {
			t.Errorf("webhook.deleted audit entries: %d", n)
		}
	})
}

func rebind(env *webtest.Env, q string) string {
	if env.DB.Dialect() != store.Postgres {
		return q
	}
	n := 0
	var b strings.Builder
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func auditRows(t *testing.T, env *webtest.Env, action, resourceID string) int {
	t.Helper()
	var n int
	if err := env.DB.SQL().QueryRow(rebind(env, "SELECT COUNT(*) FROM audit_logs WHERE action = ? AND resource_id = ?"), action, resourceID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Bad input, on create and on change: each problem at its JSON pointer,
// 422 (400 for JSON that is not JSON, 413 for a body too large), nothing
// stored or changed.
func TestWebhooksAPIValidation(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d) // private outbound not allowed: the production default
		a := env.Org("acme")
		_, key := createKey(t, env, a, nil, store.ScopeWebhooksManage)
		api := hookAPI{t, env, key}
		good := map[string]any{"name": "Records", "url": "https://hooks.example.com/in", "events": []string{"credential.issued"}}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for kk, vv := range good {
				m[kk] = vv
			}
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
			return m
		}
		cases := []struct {
			name    string
			body    any
			status  int
			pointer string
			says    string
		}{
			{"not JSON", `{"name": `, 400, "", "not valid JSON"},
			{"an array", `[]`, 400, "", "JSON object"},
			{"duplicate member", `{"name": "a", "name": "b"}`, 400, "", "not valid JSON"},
			{"no name", with("name", nil), 422, "/name", "name is required"},
			{"empty name", with("name", "  "), 422, "/name", "Enter a name"},
			{"long name", with("name", strings.Repeat("n", 101)), 422, "/name", "at most 100"},
			{"name with a control character", with("name", "Re\u0007cords"), 422, "", "Characters not allowed"},
			{"name not a string", with("name", 5), 422, "/name", "must be a string"},
			{"http URL", with("url", "http://hooks.example.com/in"), 422, "/url", "https://"},
			{"private address", with("url", "https://10.1.2.3/in"), 422, "/url", "private, loopback or link-local"},
			{"loopback", with("url", "https://127.0.0.1:8443/in"), 422, "/url", "private, loopback or link-local"},
			{"URL with a user", with("url", "https://me:pw@hooks.example.com/"), 422, "/url", "user name"},
			{"long URL", with("url", "https://hooks.example.com/"+strings.Repeat("a", 2048)), 422, "/url", "at most 2048"},
			{"no events", with("events", []string{}), 422, "/events", "at least one event"},
			{"unknown event", with("events", []string{"credential.issued", "credential.stolen"}), 422, "/events/1", `"credential.stolen" is not an event`},
			{"event twice", with("events", []string{"member.joined", "member.joined"}), 422, "/events/1", "chosen twice"},
			{"events not an array", with("events", "credential.issued"), 422, "/events", "array"},
			{"event not a string", with("events", []any{"credential.issued", 3}), 422, "/events/1", "is a string"},
			{"active not a boolean", with("active", "yes"), 422, "/active", "true or false"},
			{"unknown member", with("secret", "whsec_mine"), 422, "/secret", "Unknown member"},
			{"body too large", with("name", strings.Repeat("x", 17<<10)), 413, "", "at most"},
		}
		for _, tc := range cases {
			r := api.do("POST", "/api/v1/webhooks", tc.body)
			p := decodeJSON[fieldProblem](t, r)
			if r.Status != tc.status || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("%s: %d %s, want %d Problem Details", tc.name, r.Status, r.Body, tc.status)
				continue
			}
			got := p.Title + ": " + p.Detail
			if tc.pointer != "" {
				got = p.at(tc.pointer)
			}
			if !strings.Contains(got, tc.says) {
				t.Errorf("%s: at %q %q, want it to say %q (%s)", tc.name, tc.pointer, got, tc.says, r.Body)
			}
		}
		if list := decodeJSON[struct{ Webhooks []apiHook }](t, api.do("GET", "/api/v1/webhooks", nil)); len(list.Webhooks) != 0 {
			t.Fatalf("refused requests stored webhooks: %+v", list.Webhooks)
		}

		// PATCH: the same checks on what is sent; what is not sent stays.
		r := api.do("POST", "/api/v1/webhooks", good)
		h := decodeJSON[apiHook](t, r)
		patch := []struct {
			body    any
			pointer string
			says    string
		}{
			{map[string]any{"url": "ftp://hooks.example.com"}, "/url", "https://"},
			{map[string]any{"events": []string{"nope"}}, "/events/0", `"nope" is not an event`},
			{map[string]any{"name": ""}, "/name", "Enter a name"},
			{map[string]any{"signWithIssuerKey": 1}, "/signWithIssuerKey", "true or false"},
			{map[string]any{"id": "x"}, "/id", "Unknown member"},
		}
		for _, tc := range patch {
			r := api.do("PATCH", "/api/v1/webhooks/"+h.ID, tc.body)
			if p := decodeJSON[fieldProblem](t, r); r.Status != 422 || !strings.Contains(p.at(tc.pointer), tc.says) {
				t.Errorf("PATCH %v: %d %s, want 422 at %s saying %q", tc.body, r.Status, r.Body, tc.pointer, tc.says)
			}
		}
		if got := decodeJSON[apiHook](t, api.do("GET", "/api/v1/webhooks/"+h.ID, nil)); got.Name != "Records" || got.URL != good["url"] {
			t.Errorf("refused changes changed the webhook: %+v", got)
		}
		r = api.do("PATCH", "/api/v1/webhooks/"+h.ID, map[string]any{"active": false, "events": []string{"member.joined", "api_key.created"}})
		got := decodeJSON[apiHook](t, r)
		if r.Status != 200 || got.Active || got.State != "paused" || got.Name != "Records" || got.URL != good["url"] ||
			strings.Join(got.Events, ",") != "member.joined,api_key.created" {
			t.Errorf("PATCH: %d %+v", r.Status, got)
		}
		if n := auditRows(t, env, "webhook.updated", h.ID); n != 1 {
			t.Errorf("webhook.updated audit entries: %d", n)
		}
		if r := api.do("PATCH", "/api/v1/webhooks/not-an-id", map[string]any{"name": "x"}); r.Status != 404 {
			t.Errorf("PATCH of an unknown id: %d", r.Status)
		}
		// Query parameters.
		for _, q := range []struct{ path, param string }{
			{"/api/v1/webhooks?limit=0", "limit"},
			{"/api/v1/webhooks?cursor=nonsense", "cursor"},
			{"/api/v1/webhooks/" + h.ID + "/deliveries?success=maybe", "success"},
			{"/api/v1/webhooks/" + h.ID + "/deliveries?eventType=credential.stolen", "eventType"},
			{"/api/v1/webhooks/" + h.ID + "/deliveries?limit=101", "limit"},
		} {
			r := api.do("GET", q.path, nil)
			if p := decodeJSON[fieldProblem](t, r); r.Status != 400 || p.at(q.param) == "" {
				t.Errorf("GET %s: %d %s, want 400 naming %s", q.path, r.Status, r.Body, q.param)
			}
		}
		for _, q := range []string{"", "?since=yesterday", "?since=" + url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))} {
			r := api.do("POST", "/api/v1/webhooks/"+h.ID+"/deliveries/redeliver-failed"+q, nil)
			if p := decodeJSON[fieldProblem](t, r); r.Status != 400 || p.at("since") == "" {
				t.Errorf("redeliver-failed%s: %d %s, want 400 naming since", q, r.Status, r.Body)
			}
		}
		for _, body := range []string{`{"overlapHours": 0}`, `{"overlapHours": 169}`, `{"overlapHours": 1.5}`, `{"overlap": 2}`} {
			if r := api.do("POST", "/api/v1/webhooks/"+h.ID+"/rotate", body); r.Status != 422 {
				t.Errorf("rotate %s: %d %s", body, r.Status, r.Body)
			}
		}
	})
}

// A test event reaches a receiver on loopback (private outbound allowed, as
// in this test environment), signed with the webhook's secret; the log
// lists it with its filters and shows it in detail; a redelivery is queued
// under the same webhook-id, and so are failed deliveries since a time.
func TestWebhooksAPIDeliveries(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithConfig(privateOutbound))
		a := env.Org("acme")
		_, key := createKey(t, env, a, nil, store.ScopeWebhooksManage)
		api := hookAPI{t, env, key}
		rc := newReceiver(t)
		h := decodeJSON[apiHook](t, api.do("POST", "/api/v1/webhooks", map[string]any{"name": "Records", "url": rc.URL + "/in",
			"events": []string{"member.joined", "credential.issued"}}))
		secret, _ := webhook.ParseSecret(h.Secret)

		r := api.do("POST", "/api/v1/webhooks/"+h.ID+"/test", nil)
		res := decodeJSON[struct {
			EventType      string
			Success        bool
			ResponseStatus *int
			ResponseBody   *string
			Error          *string
		}](t, r)
		if r.Status != 200 || !res.Success || res.EventType != "member.joined" || res.ResponseStatus == nil || *res.ResponseStatus != 200 ||
			res.ResponseBody == nil || *res.ResponseBody != "thanks" || res.Error != nil {
			t.Fatalf("test: %d %s", r.Status, r.Body)
		}
		got := rc.received()
		if len(got) != 1 {
			t.Fatalf("the receiver got %d deliveries", len(got))
		}
		if err := (webhook.Verifier{Keys: [][]byte{secret}}).Verify(got[0].header, got[0].body); err != nil {
			t.Errorf("the test delivery's signature: %v", err)
		}
		eventID := got[0].header.Get("webhook-id")

		rc.answer(500)
		r = api.do("POST", "/api/v1/webhooks/"+h.ID+"/test", nil)
		if res := decodeJSON[struct {
			Success bool
			Error   *string
		}](t, r); r.Status != 200 || res.Success || res.Error == nil || *res.Error != "HTTP 500" {
			t.Fatalf("a test the receiver refuses: %d %s", r.Status, r.Body)
		}

		type delivery struct {
			ID, EventID, EventType, Cause string
			Success                       bool
			ResponseStatus                *int
			RequestHeaders                map[string]string
			Payload                       *struct {
				Type    string
				Version int
				Data    map[string]any
			}
			ResponseBody *string
		}
		type page struct {
			Deliveries []delivery
			Next       *string
		}
		all := decodeJSON[page](t, api.do("GET", "/api/v1/webhooks/"+h.ID+"/deliveries", nil))
		if len(all.Deliveries) != 2 || all.Deliveries[0].Success || !all.Deliveries[1].Success || all.Next != nil ||
			all.Deliveries[1].EventID != eventID || all.Deliveries[1].Cause != "test" || all.Deliveries[0].Payload != nil {
			t.Fatalf("deliveries: %+v", all)
		}
		for q, want := range map[string]int{"?success=true": 1, "?success=false": 1, "?eventType=member.joined": 2,
			"?eventType=credential.issued": 0, "?eventType=member.joined&success=false": 1} {
			if p := decodeJSON[page](t, api.do("GET", "/api/v1/webhooks/"+h.ID+"/deliveries"+q, nil)); len(p.Deliveries) != want {
				t.Errorf("deliveries%s: %d, want %d", q, len(p.Deliveries), want)
			}
		}
		first := decodeJSON[page](t, api.do("GET", "/api/v1/webhooks/"+h.ID+"/deliveries?limit=1", nil))
		if len(first.Deliveries) != 1 || first.Next == nil {
			t.Fatalf("first page of 1: %+v", first)
		}
		second := decodeJSON[page](t, api.do("GET", "/api/v1/webhooks/"+h.ID+"/deliveries?limit=1&cursor="+url.QueryEscape(*first.Next), nil))
		if len(second.Deliveries) != 1 || second.Deliveries[0].ID != all.Deliveries[1].ID || second.Next != nil {
			t.Errorf("second page: %+v", second)
		}

		ok := all.Deliveries[1]
		r = api.do("GET", "/api/v1/webhooks/"+h.ID+"/deliveries/"+ok.ID, nil)
		det := decodeJSON[delivery](t, r)
		if r.Status != 200 || det.RequestHeaders["Webhook-Id"] != eventID || det.RequestHeaders["Webhook-Signature"] == "" ||
			det.Payload == nil || det.Payload.Type != "member.joined" || det.Payload.Version != 1 || det.Payload.Data["email"] == nil ||
			det.ResponseBody == nil || *det.ResponseBody != "thanks" {
			t.Errorf("detail: %d %s", r.Status, r.Body)
		}
		if r := api.do("GET", "/api/v1/webhooks/"+h.ID+"/deliveries/0190a0a0-0000-7000-8000-000000000001", nil); r.Status != 404 ||
			!strings.Contains(r.Body, "Delivery not found") {
			t.Errorf("unknown delivery: %d %s", r.Status, r.Body)
		}

		r = api.do("POST", "/api/v1/webhooks/"+h.ID+"/deliveries/"+ok.ID+"/redeliver", nil)
		if r.Status != 202 || decodeJSON[struct{ Queued int }](t, r).Queued != 1 {
			t.Fatalf("redeliver: %d %s", r.Status, r.Body)
		}
		if n := auditRows(t, env, "webhook.test_sent", h.ID); n != 2 {
			t.Errorf("webhook.test_sent audit entries: %d, want 2", n)
		}
		if n := auditRows(t, env, "webhook.redelivered", h.ID); n != 1 {
			t.Errorf("webhook.redelivered audit entries: %d, want 1", n)
		}
		queued := jobsOfKind(t, env, "webhook_deliver")
		if len(queued) != 1 || !strings.Contains(queued[0], eventID) || !strings.Contains(queued[0], `"redeliver"`) {
			t.Fatalf("queued deliveries after a redelivery: %q", queued)
		}
		// Redeliver all failed since an hour ago: the failed test only (the
		// first test event arrived).
		since := url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
		r = api.do("POST", "/api/v1/webhooks/"+h.ID+"/deliveries/redeliver-failed?since="+since, nil)
		if r.Status != 202 || decodeJSON[struct{ Queued int }](t, r).Queued != 1 {
			t.Fatalf("redeliver failed: %d %s", r.Status, r.Body)
		}
		if queued := jobsOfKind(t, env, "webhook_deliver"); len(queued) != 2 || !strings.Contains(queued[1], all.Deliveries[0].EventID) {
			t.Errorf("queued after redeliver-failed: %q", queued)
		}
		if n := auditRows(t, env, "webhook.redelivered", h.ID); n != 2 {
			t.Errorf("webhook.redelivered audit entries after redeliver-failed: %d, want 2", n)
		}
		r = api.do("POST", "/api/v1/webhooks/"+h.ID+"/deliveries/redeliver-failed?since="+time.Now().UTC().Format(time.DateOnly), nil)
		if r.Status != 202 {
			t.Errorf("redeliver-failed since a date: %d %s", r.Status, r.Body)
		}
	})
}

// Rotation returns a new secret once; during the overlap a delivery
// carries signatures by both, each verifying.
func TestWebhooksAPIRotate(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithConfig(privateOutbound))
		a := env.Org("acme")
		_, key := createKey(t, env, a, nil, store.ScopeWebhooksManage)
		api := hookAPI{t, env, key}
		rc := newReceiver(t)
		h := decodeJSON[apiHook](t, api.do("POST", "/api/v1/webhooks", map[string]any{"name": "Records", "url": rc.URL + "/in",
			"events": []string{"credential.issued"}}))
		r := api.do("POST", "/api/v1/webhooks/"+h.ID+"/rotate", `{"overlapHours": 2}`)
		rot := decodeJSON[struct {
			Secret  string
			Webhook apiHook
		}](t, r)
		if r.Status != 200 || !strings.HasPrefix(rot.Secret, "whsec_") || rot.Secret == h.Secret || rot.Webhook.PreviousSecretUntil == nil ||
			rot.Webhook.PreviousSecretUntil.Sub(time.Now()) > 2*time.Hour || rot.Webhook.PreviousSecretUntil.Sub(time.Now()) < 110*time.Minute {
			t.Fatalf("rotate: %d %s", r.Status, r.Body)
		}
		if strings.Contains(api.do("GET", "/api/v1/webhooks/"+h.ID, nil).Body, rot.Secret) {
			t.Error("the new secret is readable after the rotation")
		}
		if n := auditRows(t, env, "webhook.secret_rotated", h.ID); n != 1 {
			t.Errorf("webhook.secret_rotated audit entries: %d", n)
		}
		if r := api.do("POST", "/api/v1/webhooks/"+h.ID+"/test", nil); r.Status != 200 {
			t.Fatalf("test: %d %s", r.Status, r.Body)
		}
		got := rc.received()
		if len(got) != 1 || len(strings.Fields(got[0].header.Get("webhook-signature"))) != 2 {
			t.Fatalf("deliveries after rotation: %+v", got)
		}
		for _, s := range []string{h.Secret, rot.Secret} {
			k, _ := webhook.ParseSecret(s)
			if err := (webhook.Verifier{Keys: [][]byte{k}}).Verify(got[0].header, got[0].body); err != nil {
				t.Errorf("signature with %s…: %v", s[:10], err)
			}
		}
		// No body: the default overlap.
		if r := api.do("POST", "/api/v1/webhooks/"+h.ID+"/rotate", nil); r.Status != 200 {
			t.Errorf("rotate without a body: %d %s", r.Status, r.Body)
		}
	})
}

// The list pages newest first with the cursor it gives.
func TestWebhooksAPIListPages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		_, key := createKey(t, env, a, nil, store.ScopeWebhooksManage)
		api := hookAPI{t, env, key}
		var made []string
		for i := range 3 {
			r := api.do("POST", "/api/v1/webhooks", map[string]any{"name": fmt.Sprintf("Hook %d", i), "url": "https://hooks.example.com/" + fmt.Sprint(i),
				"events": []string{"credential.issued"}})
			if r.Status != 201 {
				t.Fatalf("create %d: %d %s", i, r.Status, r.Body)
			}
			made = append(made, decodeJSON[apiHook](t, r).ID)
		}
		type page struct {
			Webhooks []apiHook
			Next     *string
		}
		first := decodeJSON[page](t, api.do("GET", "/api/v1/webhooks?limit=2", nil))
		if len(first.Webhooks) != 2 || first.Next == nil || first.Webhooks[0].ID != made[2] || first.Webhooks[1].ID != made[1] {
			t.Fatalf("first page: %+v", first)
		}
		second := decodeJSON[page](t, api.do("GET", "/api/v1/webhooks?limit=2&cursor="+url.QueryEscape(*first.Next), nil))
		if len(second.Webhooks) != 1 || second.Next != nil || second.Webhooks[0].ID != made[0] {
			t.Errorf("second page: %+v", second)
		}
		if all := decodeJSON[page](t, api.do("GET", "/api/v1/webhooks", nil)); len(all.Webhooks) != 3 || all.Next != nil {
			t.Errorf("one page of the default size: %+v", all)
		}
		// At webhook.MaxWebhooks a new one is refused, 409, saying why.
		for i := 3; i < webhook.MaxWebhooks; i++ {
			if r := api.do("POST", "/api/v1/webhooks", map[string]any{"name": fmt.Sprintf("Hook %d", i), "url": "https://hooks.example.com/x",
				"events": []string{"member.joined"}}); r.Status != 201 {
				t.Fatalf("create %d: %d %s", i, r.Status, r.Body)
			}
		}
		r := api.do("POST", "/api/v1/webhooks", map[string]any{"name": "One too many", "url": "https://hooks.example.com/x", "events": []string{"member.joined"}})
		if r.Status != 409 || !strings.Contains(r.Body, "at most 20 webhooks") {
			t.Errorf("webhook %d: %d %s", webhook.MaxWebhooks+1, r.Status, r.Body)
		}
	})
}
