package web_test

import (
	"context"
	"net/url"
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
