package web_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/handlers"
	"github.com/trustcred/trustcred/internal/apikey"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// createKey stores a key for org the way the API keys page does and
// returns it with the full key.
func createKey(t *testing.T, env *webtest.Env, org *store.Organization, expires *time.Time, scopes ...store.APIScope) (*store.APIKey, string) {
	t.Helper()
	key, visible, hash := apikey.New()
	k := &store.APIKey{Name: "test key", KeyHash: hash, Prefix: visible, ExpiresAt: expires, Permissions: datatypes.NewJSONSlice(scopes)}
	if err := env.DB.Scoped(org.ID).CreateAPIKey(context.Background(), k, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return k, key
}

type problem struct {
	Type, Title, Detail, Instance string
	Status                        int
}

func TestAPIOrganization(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		_, keyA := createKey(t, env, a, nil, store.ScopeCredentialsRead, store.ScopeSchemasRead)
		_, keyB := createKey(t, env, b, nil)
		past := time.Now().Add(-time.Minute)
		_, expired := createKey(t, env, a, &past, store.ScopeCredentialsRead)
		rk, revoked := createKey(t, env, a, nil)
		if _, err := env.DB.Scoped(a.ID).RevokeAPIKey(context.Background(), rk.ID, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		cl := env.Client()
		bearer := func(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }

		// Each key sees its own organization, and only it.
		for _, tc := range []struct {
			key    string
			org    *store.Organization
			scopes []store.APIScope
		}{{keyA, a, []store.APIScope{store.ScopeCredentialsRead, store.ScopeSchemasRead}}, {keyB, b, []store.APIScope{}}} {
			r := cl.Do("GET", "/api/v1/organization", nil, bearer(tc.key))
			if r.Status != 200 || r.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("GET /api/v1/organization: %d %s\n%s", r.Status, r.Header.Get("Content-Type"), r.Body)
			}
			var got handlers.WhoAmI
			if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
				t.Fatal(err)
			}
			o := got.Organization
			if o.ID != tc.org.ID || o.Slug != tc.org.Slug || o.Name != tc.org.Name || o.DID != tc.org.DID ||
				o.Type != tc.org.Type || o.Status != store.OrganizationActive || len(got.Scopes) != len(tc.scopes) {
				t.Fatalf("key of %s sees %+v", tc.org.Slug, got)
			}
			for i := range tc.scopes {
				if got.Scopes[i] != tc.scopes[i] {
					t.Fatalf("scopes %v, want %v", got.Scopes, tc.scopes)
				}
			}
			if r.Header.Get("Set-Cookie") != "" {
				t.Errorf("the API set a cookie: %s", r.Header.Get("Set-Cookie"))
			}
		}

		// Wrong keys: 401 Problem Details with a Bearer challenge.
		admin := env.User(store.RoleAdmin, a)
		browser := env.Client()
		browser.Login(admin) // a session cookie is no API credential
		for name, r := range map[string]*webtest.Response{
			"no key":         cl.Get("/api/v1/organization"),
			"session cookie": browser.Get("/api/v1/organization"),
			"malformed":      cl.Do("GET", "/api/v1/organization", nil, bearer("not-a-key")),
			"unknown":        cl.Do("GET", "/api/v1/organization", nil, bearer(keyA[:len(keyA)-4]+"aaaa")),
			"expired":        cl.Do("GET", "/api/v1/organization", nil, bearer(expired)),
			"revoked":        cl.Do("GET", "/api/v1/organization", nil, bearer(revoked)),
		} {
			var p problem
			if err := json.Unmarshal([]byte(r.Body), &p); err != nil {
				t.Fatalf("%s: body is not JSON: %v\n%s", name, err, r.Body)
			}
			if r.Status != 401 || p.Status != 401 || p.Title == "" || p.Detail == "" || p.Instance != "/api/v1/organization" ||
				r.Header.Get("Content-Type") != "application/problem+json" || r.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: %d %q %q %+v", name, r.Status, r.Header.Get("Content-Type"), r.Header.Get("WWW-Authenticate"), p)
			}
		}
	})
}
