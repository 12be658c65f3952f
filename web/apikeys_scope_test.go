package web_test

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/apikey"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// credentials:verify is not a scope: the verify endpoints are public. The
// form does not offer it and refuses it; a key made when it was offered
// comes out of migration 00015 without it, still authenticates with its
// other scopes, and its row on the keys page shows only those.
func TestNoVerifyScope(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		m, err := env.DB.Migrator(env.Log)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.DownTo(ctx, 14); err != nil {
			t.Fatal(err)
		}
		org := env.Org("acme")
		key, visible, hash := apikey.New()
		if _, err := env.DB.SQL().Exec(storetest.Rebind(d, "INSERT INTO api_keys (id, organization_id, name, key_hash, permissions, active, prefix) VALUES (?, ?, ?, ?, ?, ?, ?)"),
			uuid.NewString(), org.ID, "Old integration", hash, `["credentials:read", "credentials:verify"]`, true, visible); err != nil {
			t.Fatal(err)
		}
		if err := m.Up(ctx); err != nil {
			t.Fatal(err)
		}

		bearer := map[string]string{"Authorization": "Bearer " + key}
		for _, path := range []string{"/api/v1/organization", "/api/v1/credentials"} {
			if r := env.Client().Do("GET", path, nil, bearer); r.Status != 200 {
				t.Errorf("the old key on %s: %d %s", path, r.Status, r.Body)
			}
		}

		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, org))
		r := cl.Get("/api-keys")
		if r.Status != 200 || !strings.Contains(r.Body, "Old integration") || !strings.Contains(r.Body, "credentials:read") {
			t.Fatalf("keys page: %d", r.Status)
		}
		if strings.Contains(r.Body, "credentials:verify") {
			t.Error("the keys page still shows or offers credentials:verify")
		}
		r = cl.Post("/api-keys", url.Values{"name": {"Verifier"}, "scopes": {"credentials:verify"}, "expiry": {"never"}})
		if r.Status != 422 || !strings.Contains(r.Body, "Choose scopes from the list.") {
			t.Errorf("a key with credentials:verify: %d, want 422", r.Status)
		}
	})
}

// The keys form offers exactly the scopes the API checks: each offered
// scope opens at least one /api/v1 route that a key with every other
// offered scope is refused (so no offered scope is for an endpoint that
// does not exist), and a key with every offered scope passes the guard of
// every /api/v1 route that wants a key (so no route needs a scope that
// cannot be given).
func TestOfferedScopesAreTheAPIsScopes(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	org := env.Org("acme")
	cl := env.Client()
	cl.Login(env.User(store.RoleAdmin, org))
	page := cl.Get("/api-keys")
	var offered []store.APIScope
	for _, m := range regexp.MustCompile(`name="scopes" value="([^"]+)"`).FindAllStringSubmatch(page.Body, -1) {
		offered = append(offered, store.APIScope(m[1]))
	}
	if page.Status != 200 || len(offered) == 0 {
		t.Fatalf("keys page: %d, offered %v", page.Status, offered)
	}

	var api []string
	for _, r := range registered(env) {
		if g := routeGuards[r]; g.kind == "apikey" {
			api = append(api, r)
		}
	}
	passes := func(route, key string) bool {
		method, path, _ := strings.Cut(route, " ")
		path = strings.NewReplacer(":publicId", "unknown").Replace(path)
		r := env.Client().Do(method, path, nil, map[string]string{"Authorization": "Bearer " + key})
		return r.Status != 401 && r.Status != 403
	}

	_, every := createKey(t, env, org, nil, offered...)
	for _, route := range api {
		if !passes(route, every) {
			t.Errorf("%s refuses a key with every offered scope %v: it needs a scope the form does not offer", route, offered)
		}
	}
	for _, s := range offered {
		_, only := createKey(t, env, org, nil, s)
		_, others := createKey(t, env, org, nil, slices.DeleteFunc(slices.Clone(offered), func(o store.APIScope) bool { return o == s })...)
		opens := false
		for _, route := range api {
			opens = opens || passes(route, only) && !passes(route, others)
		}
		if !opens {
			t.Errorf("the form offers %s, which no /api/v1 route requires", s)
		}
	}
}

// A key made when templates:read and schemas:write were offered keeps its
// scopes (shown on the keys page) and keeps working with the others; the
// form no longer accepts them.
func TestRetiredScopesKeepTheirKeys(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	org := env.Org("acme")
	_, key := createKey(t, env, org, nil, store.ScopeCredentialsRead, store.ScopeTemplatesRead, store.ScopeSchemasWrite)
	if r := env.Client().Do("GET", "/api/v1/credentials", nil, map[string]string{"Authorization": "Bearer " + key}); r.Status != 200 {
		t.Errorf("the old key on /api/v1/credentials: %d %s", r.Status, r.Body)
	}
	cl := env.Client()
	cl.Login(env.User(store.RoleAdmin, org))
	r := cl.Get("/api-keys")
	if r.Status != 200 || !strings.Contains(r.Body, "templates:read") || !strings.Contains(r.Body, "schemas:write") {
		t.Fatalf("keys page %d does not show the old key's scopes", r.Status)
	}
	if strings.Contains(r.Body, `value="templates:read"`) {
		t.Error("the form still offers templates:read")
	}
	r = cl.Post("/api-keys", url.Values{"name": {"Designer"}, "scopes": {"templates:read"}, "expiry": {"never"}})
	if r.Status != 422 || !strings.Contains(r.Body, "Choose scopes from the list.") {
		t.Errorf("a new key with templates:read: %d, want 422", r.Status)
	}
}
