package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/apikey"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func newOrg(t *testing.T, db *store.DB, slug string, status store.OrganizationStatus) *store.Organization {
	t.Helper()
	o := &store.Organization{Name: slug, Slug: slug, Type: store.OrganizationCorporate, Status: status, DID: "did:web:x:orgs:" + slug}
	if err := db.CreateOrganization(context.Background(), o, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return o
}

func newKey(t *testing.T, s *store.Scoped, name string, expires *time.Time, scopes ...store.APIScope) (*store.APIKey, string) {
	t.Helper()
	key, visible, hash := apikey.New()
	k := &store.APIKey{Name: name, KeyHash: hash, Prefix: visible, ExpiresAt: expires, Permissions: datatypes.NewJSONSlice(scopes)}
	if err := s.CreateAPIKey(context.Background(), k, store.Actor{IP: "192.0.2.1", UserAgent: "test"}); err != nil {
		t.Fatal(err)
	}
	return k, key
}

func countAuditFor(t *testing.T, db *store.DB, action, resourceID string) int64 {
	t.Helper()
	var n int64
	if err := store.Gorm(db).Model(&store.AuditLog{}).Where("action = ? AND resource_id = ?", action, resourceID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// Keys are created, listed, found by hash and revoked through the
// organization's handle only; another organization's handle sees nothing.
func TestAPIKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		a, b := newOrg(t, db, "a", store.OrganizationActive), newOrg(t, db, "b", store.OrganizationActive)
		sa, sb := db.Scoped(a.ID), db.Scoped(b.ID)
		k, key := newKey(t, sa, "CI", nil, store.ScopeCredentialsIssue, store.ScopeSchemasRead)
		if k.OrganizationID != a.ID || !k.Active || k.Status(now) != store.APIKeyActive {
			t.Fatalf("created key %+v", k)
		}
		if countAuditFor(t, db, "apikey.created", k.ID) != 1 {
			t.Fatal("creation not audited")
		}
		past := now.Add(-time.Hour)
		expired, expiredKey := newKey(t, sa, "Old", &past, store.ScopeCredentialsRead)
		if expired.Status(now) != store.APIKeyExpired {
			t.Fatalf("expired key status %s", expired.Status(now))
		}

		list, err := sa.APIKeys(ctx)
		if err != nil || len(list) != 2 || list[0].ID != expired.ID {
			t.Fatalf("list: %d keys, %v", len(list), err)
		}
		if got, err := sb.APIKeys(ctx); err != nil || len(got) != 0 {
			t.Fatalf("org B lists %d of A's keys (%v)", len(got), err)
		}
		if _, err := sb.APIKey(ctx, k.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("org B reads A's key: %v", err)
		}
		if _, err := sb.RevokeAPIKey(ctx, k.ID, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("org B revokes A's key: %v", err)
		}
		for _, bad := range []string{"", "nope", "1 OR 1=1", strings.ToUpper(k.ID)} {
			if _, err := sa.APIKey(ctx, bad); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("key %q: %v", bad, err)
			}
			if _, err := sa.RevokeAPIKey(ctx, bad, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("revoke %q: %v", bad, err)
			}
		}

		got, org, err := db.ActiveAPIKey(ctx, apikey.Hash(key), now)
		if err != nil || got.ID != k.ID || org.ID != a.ID || !got.Has(store.ScopeSchemasRead) || got.Has(store.ScopeSchemasWrite) {
			t.Fatalf("active key lookup: %v %v", got, err)
		}
		for name, h := range map[string]string{"unknown": apikey.Hash("tcs_unknown"), "expired": apikey.Hash(expiredKey)} {
			if _, _, err := db.ActiveAPIKey(ctx, h, now); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s key: %v", name, err)
			}
		}
		if err := db.TouchAPIKey(ctx, k.ID, now); err != nil {
			t.Fatal(err)
		}
		if got, _ := sa.APIKey(ctx, k.ID); got.LastUsed == nil || got.LastUsed.Sub(now).Abs() > time.Millisecond {
			t.Fatalf("last used %v, want %v", got.LastUsed, now)
		}

		revoked, err := sa.RevokeAPIKey(ctx, k.ID, store.Actor{})
		if err != nil || revoked.Active || revoked.Status(now) != store.APIKeyRevoked {
			t.Fatalf("revoke: %+v %v", revoked, err)
		}
		if _, err := sa.RevokeAPIKey(ctx, k.ID, store.Actor{}); err != nil {
			t.Fatalf("second revoke: %v", err)
		}
		if n := countAuditFor(t, db, "apikey.revoked", k.ID); n != 1 {
			t.Fatalf("revocation audited %d times", n)
		}
		if _, _, err := db.ActiveAPIKey(ctx, apikey.Hash(key), now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoked key still authenticates: %v", err)
		}

		// A key of an organization that is not active does not work.
		c := newOrg(t, db, "c", store.OrganizationSuspended)
		_, ckey := newKey(t, db.Scoped(c.ID), "C", nil, store.ScopeCredentialsRead)
		if _, _, err := db.ActiveAPIKey(ctx, apikey.Hash(ckey), now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("key of a suspended organization: %v", err)
		}
	})
}

func TestCreateAPIKeyValidates(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s := db.Scoped(newOrg(t, db, "a", store.OrganizationActive).ID)
	_, visible, hash := apikey.New()
	for name, k := range map[string]*store.APIKey{
		"no name":   {KeyHash: hash, Prefix: visible},
		"bad scope": {Name: "x", KeyHash: hash, Prefix: visible, Permissions: datatypes.NewJSONSlice([]store.APIScope{"admin"})},
	} {
		var fe store.FieldErrors
		if err := s.CreateAPIKey(context.Background(), k, store.Actor{}); !errors.As(err, &fe) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
