package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/apikey"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Migration 00015 takes credentials:verify out of the keys that held it
// (the verify endpoints are public, so it allowed nothing), keeps their
// other scopes in order, and leaves the other keys alone; the keys still
// validate, so a later save does not fail.
func TestMigrationRemovesVerifyScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m, err := db.Migrator(storetest.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.DownTo(ctx, 14); err != nil {
			t.Fatal(err)
		}
		org := newOrg(t, db, "acme", store.OrganizationActive)
		keys := map[string]struct{ before, after []string }{
			"mixed":     {[]string{"credentials:read", "credentials:verify", "schemas:write"}, []string{"credentials:read", "schemas:write"}},
			"only":      {[]string{"credentials:verify"}, []string{}},
			"untouched": {[]string{"credentials:issue", "templates:read"}, []string{"credentials:issue", "templates:read"}},
		}
		for name, k := range keys {
			_, visible, hash := apikey.New()
			perms, _ := json.Marshal(k.before)
			if err := store.Gorm(db).Exec("INSERT INTO api_keys (id, organization_id, name, key_hash, permissions, active, prefix) VALUES (?, ?, ?, ?, ?, ?, ?)",
				uuid.NewString(), org.ID, name, hash, string(perms), true, visible).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Up(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := db.Scoped(org.ID).APIKeys(ctx)
		if err != nil || len(got) != len(keys) {
			t.Fatalf("%d keys, %v", len(got), err)
		}
		for _, k := range got {
			var scopes []string
			for _, s := range k.Permissions {
				scopes = append(scopes, string(s))
			}
			if want := keys[k.Name].after; !slices.Equal(scopes, want) && !(len(scopes) == 0 && len(want) == 0) {
				t.Errorf("%s: scopes %q, want %q", k.Name, scopes, want)
			}
			if err := store.Validate(&k); err != nil {
				t.Errorf("%s: %v", k.Name, err)
			}
		}
		var raw string
		if err := store.Gorm(db).Raw("SELECT permissions FROM api_keys WHERE name = ?", "only").Scan(&raw).Error; err != nil || raw != "[]" {
			t.Errorf("a key that held only the verify scope: permissions %q %v, want []", raw, err)
		}
	})
}
