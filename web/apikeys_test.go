package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/apikey"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Every route of API keys and the audit trail, for every role.
func TestAPIKeysAndAuditRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		keyA, _ := createKey(t, env, a, nil, store.ScopeCredentialsRead)
		clients := env.RoleClients(a, b)
		create := url.Values{"name": {"CI"}, "scopes": {"credentials:read"}, "expiry": {"never"}}
		only := func(m map[string]int) map[string]int {
			out := map[string]int{webtest.AsSuperAdmin: 404, webtest.AsIssuer: 403, webtest.AsReviewer: 403, webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303}
			for k, v := range m {
				out[k] = v
			}
			return out
		}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/api-keys", Want: only(map[string]int{webtest.AsAdmin: 200, webtest.AsOtherAdmin: 200})},
			{Method: "POST", Path: "/api-keys", Form: create, Want: only(map[string]int{webtest.AsAdmin: 201, webtest.AsOtherAdmin: 201})},
			{Method: "POST", Path: "/api-keys/" + keyA.ID + "/revoke", Htmx: true,
				Want: only(map[string]int{webtest.AsAdmin: 200, webtest.AsOtherAdmin: 404, webtest.AsAnonymous: 204})},
			{Method: "POST", Path: "/api-keys/not-an-id/revoke", Htmx: true,
				Want: only(map[string]int{webtest.AsAdmin: 404, webtest.AsOtherAdmin: 404, webtest.AsAnonymous: 204})},
			{Method: "GET", Path: "/audit", Want: only(map[string]int{webtest.AsAdmin: 200, webtest.AsOtherAdmin: 200})},
			{Method: "GET", Path: "/admin/audit", Want: map[string]int{webtest.AsSuperAdmin: 200, webtest.AsAdmin: 403, webtest.AsIssuer: 403, webtest.AsReviewer: 403,
				webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303, webtest.AsOtherAdmin: 403}},
			// The API takes no session: signed in or not, no key is 401.
			{Method: "GET", Path: "/api/v1/organization", Want: map[string]int{webtest.AsSuperAdmin: 401, webtest.AsAdmin: 401, webtest.AsIssuer: 401, webtest.AsReviewer: 401,
				webtest.AsVerifier: 401, webtest.AsRecipient: 401, webtest.AsAnonymous: 401, webtest.AsOtherAdmin: 401}},
		})
		// Org B's admin saw only org B's keys.
		if r := clients[webtest.AsOtherAdmin].Get("/api-keys"); strings.Contains(r.Body, keyA.ID) || strings.Contains(r.Body, keyA.Prefix) {
			t.Error("org B's admin sees org A's key")
		}
		var created []store.APIKey
		for _, o := range []*store.Organization{a, b} {
			keys, err := env.DB.Scoped(o.ID).APIKeys(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			created = append(created, keys...)
		}
		if len(created) != 3 { // keyA, and one created by each admin in their own organization
			t.Errorf("%d keys exist, want 3", len(created))
		}
	})
}

var secretKey = regexp.MustCompile(`tcs_[a-z2-7]{38}`)

// The full key appears once, on the page that creates it; the list, the
// database and the audit log hold only its prefix and hash; it works on
// the API; revoked from the list with htmx, it stops working at once.
func TestAPIKeyLifecycle(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		admin := env.User(store.RoleAdmin, a)
		cl := env.Client()
		cl.Login(admin)

		r := cl.Get("/api-keys")
		if r.Status != 200 || !r.Has("apikeys-page") || !r.Has("apikeys-empty") || !r.Has("apikey-form") {
			t.Fatalf("empty list: %d", r.Status)
		}
		for _, s := range store.APIScopes() {
			if !strings.Contains(r.Body, `value="`+string(s)+`"`) {
				t.Errorf("no checkbox for scope %s", s)
			}
		}
		date := time.Now().UTC().AddDate(0, 0, 10).Format(time.DateOnly)
		r = cl.Post("/api-keys", url.Values{"name": {"Student records"}, "scopes": {"credentials:read", "credentials:issue"},
			"expiry": {"date"}, "date": {date}})
		if r.Status != 201 || !r.Has("apikey-created") || !r.Has("apikey-once-warning") || !r.Has("apikey-secret") {
			t.Fatalf("create: %d\n%.500s", r.Status, r.Body)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("the page with the key has Cache-Control %q", cc)
		}
		key := secretKey.FindString(r.Body)
		if key == "" || !apikey.WellFormed(key) {
			t.Fatalf("no key on the page:\n%.2000s", r.Body)
		}
		keys, err := env.DB.Scoped(a.ID).APIKeys(context.Background())
		if err != nil || len(keys) != 1 {
			t.Fatalf("%d keys (%v)", len(keys), err)
		}
		k := keys[0]
		if k.KeyHash != apikey.Hash(key) || !strings.HasPrefix(key, k.Prefix) || k.ExpiresAt == nil ||
			k.ExpiresAt.UTC().Format(time.DateOnly) != date || len(k.Permissions) != 2 {
			t.Fatalf("stored key %+v", k)
		}
		// Never shown again, nor stored.
		r = cl.Get("/api-keys")
		if secretKey.MatchString(r.Body) || !strings.Contains(r.Body, k.Prefix) || !r.Has("apikey-"+k.ID) {
			t.Fatal("the list shows the full key, or not the key's prefix")
		}
		secretPart := key[len(k.Prefix):]
		for _, q := range []string{"SELECT name || prefix || key_hash FROM api_keys", "SELECT CAST(details AS TEXT) FROM audit_logs"} {
			rows, err := env.DB.SQL().Query(q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(s, secretPart) {
					t.Fatalf("the key is stored: %s", s)
				}
			}
			rows.Close()
		}
		var created int
		if err := env.DB.SQL().QueryRow(storetest.Rebind(d, "SELECT count(*) FROM audit_logs WHERE action = 'apikey.created' AND resource_id = ? AND user_id = ?"), k.ID, admin.ID).Scan(&created); err != nil || created != 1 {
			t.Fatalf("creation audited %d times (%v)", created, err)
		}

		// It works on the API; the list then shows when it was used.
		api := env.Client()
		bearer := map[string]string{"Authorization": "Bearer " + key}
		r = api.Do("GET", "/api/v1/organization", nil, bearer)
		var who struct {
			Organization struct{ Slug string }
			Scopes       []string
		}
		if r.Status != 200 || json.Unmarshal([]byte(r.Body), &who) != nil || who.Organization.Slug != "acme" || len(who.Scopes) != 2 {
			t.Fatalf("API with the new key: %d %s", r.Status, r.Body)
		}
		if r := cl.Get("/api-keys"); strings.Contains(between(r.Body, `data-testid="apikey-last-used"`, "</td>"), "Never") {
			t.Error("last use not shown after the key was used")
		}

		// Revoked with htmx: the row comes back, revoked, without the button.
		r = cl.Htmx("POST", "/api-keys/"+k.ID+"/revoke", nil)
		if r.Status != 200 || !r.Has("apikey-"+k.ID) || r.Has("apikey-revoke") || strings.Contains(r.Body, "<html") ||
			!strings.Contains(between(r.Body, `data-testid="apikey-status"`, "</td>"), "Revoked") {
			t.Fatalf("htmx revoke: %d\n%s", r.Status, r.Body)
		}
		if r := api.Do("GET", "/api/v1/organization", nil, bearer); r.Status != 401 {
			t.Fatalf("revoked key: %d", r.Status)
		}
		var revoked int
		if err := env.DB.SQL().QueryRow(storetest.Rebind(d, "SELECT count(*) FROM audit_logs WHERE action = 'apikey.revoked' AND resource_id = ?"), k.ID).Scan(&revoked); err != nil || revoked != 1 {
			t.Fatalf("revocation audited %d times (%v)", revoked, err)
		}
		// Without htmx the same form redirects back with a message.
		other, _ := createKey(t, env, a, nil, store.ScopeCredentialsRead)
		r = cl.Post("/api-keys/"+other.ID+"/revoke", nil)
		if r.Status != 303 || r.Location() != "/api-keys" {
			t.Fatalf("plain revoke: %d → %q", r.Status, r.Location())
		}
		if r := cl.Get("/api-keys"); !r.Has("flash-success") {
			t.Error("no confirmation after a plain revoke")
		}
	})
}

func TestAPIKeyFormValidation(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	a := env.Org("acme")
	cl := env.Client()
	cl.Login(env.User(store.RoleAdmin, a))
	good := url.Values{"name": {"CI"}, "scopes": {"credentials:issue"}, "expiry": {"30"}}
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	cases := []struct {
		name  string
		edit  func(url.Values)
		field string
	}{
		{"no name", func(v url.Values) { v.Set("name", "  ") }, "name"},
		{"long name", func(v url.Values) { v.Set("name", strings.Repeat("é", 101)) }, "name"},
		{"no scope", func(v url.Values) { v.Del("scopes") }, "scopes"},
		{"unknown scope", func(v url.Values) { v["scopes"] = []string{"credentials:issue", "admin"} }, "scopes"},
		{"unknown expiry", func(v url.Values) { v.Set("expiry", "7") }, "expiry"},
		{"date missing", func(v url.Values) { v.Set("expiry", "date") }, "date"},
		{"date malformed", func(v url.Values) { v.Set("expiry", "date"); v.Set("date", "31/12/2030") }, "date"},
		{"date past", func(v url.Values) { v.Set("expiry", "date"); v.Set("date", yesterday) }, "date"},
	}
	for _, tc := range cases {
		form := url.Values{}
		for k, v := range good {
			form[k] = append([]string(nil), v...)
		}
		tc.edit(form)
		r := cl.Post("/api-keys", form)
		if r.Status != 422 || !r.Has("error-"+tc.field) || secretKey.MatchString(r.Body) {
			t.Errorf("%s: %d, error shown for %s: %v", tc.name, r.Status, tc.field, r.Has("error-"+tc.field))
		}
	}
	if keys, _ := env.DB.Scoped(a.ID).APIKeys(context.Background()); len(keys) != 0 {
		t.Fatalf("refused forms created %d keys", len(keys))
	}
	// A long but valid name, scopes listed twice, 365 days.
	form := url.Values{"name": {strings.Repeat("é", 100)}, "scopes": {"credentials:revoke", "credentials:revoke"}, "expiry": {"365"}}
	if r := cl.Post("/api-keys", form); r.Status != 201 {
		t.Fatalf("valid form: %d", r.Status)
	}
	keys, _ := env.DB.Scoped(a.ID).APIKeys(context.Background())
	if len(keys) != 1 || len(keys[0].Permissions) != 1 || keys[0].ExpiresAt == nil ||
		keys[0].ExpiresAt.Sub(time.Now().AddDate(0, 0, 365)).Abs() > time.Minute {
		t.Fatalf("stored %+v", keys)
	}
}

// between returns the text after the first from up to the next to.
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}
