package auth

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/apikey"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// The guard on its own, on both databases: every way a key can be wrong,
// a missing scope, and the once-a-minute record of use.
func TestAPIKeyGuard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		keys, err := secret.NewKeyring(secret.Key{Raw: secret.GenerateKey()})
		if err != nil {
			t.Fatal(err)
		}
		m := New(db, keys, Config{Idle: time.Hour, Lifetime: time.Hour}, storetest.Logger(t))
		now := time.Now().UTC()
		m.now = func() time.Time { return now }

		org := func(slug string, status store.OrganizationStatus) *store.Organization {
			o := &store.Organization{Name: slug, Slug: slug, Type: store.OrganizationCorporate, Status: status, DID: "did:web:x:orgs:" + slug}
			if err := db.CreateOrganization(ctx, o, store.Actor{}); err != nil {
				t.Fatal(err)
			}
			return o
		}
		newKey := func(o *store.Organization, expires *time.Time, scopes ...store.APIScope) (*store.APIKey, string) {
			key, visible, hash := apikey.New()
			k := &store.APIKey{Name: "k", KeyHash: hash, Prefix: visible, ExpiresAt: expires, Permissions: datatypes.NewJSONSlice(scopes)}
			if err := db.Scoped(o.ID).CreateAPIKey(ctx, k, store.Actor{}); err != nil {
				t.Fatal(err)
			}
			return k, key
		}
		a, suspended := org("a", store.OrganizationActive), org("s", store.OrganizationSuspended)
		k, good := newKey(a, nil, store.ScopeCredentialsRead)
		past := now.Add(-time.Second)
		_, expired := newKey(a, &past)
		rk, revoked := newKey(a, nil)
		if _, err := db.Scoped(a.ID).RevokeAPIKey(ctx, rk.ID, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		_, ofSuspended := newKey(suspended, nil)
		unknown, _, _ := apikey.New()

		app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
			var p *render.Problem
			if !errors.As(err, &p) {
				return c.Status(500).SendString(err.Error())
			}
			return c.Status(p.Status).SendString(p.Title)
		}})
		app.Use(m.Load()) // a session cookie would be ignored anyway
		app.Get("/any", m.APIKey(), func(c *fiber.Ctx) error { return c.SendString(API(c).Org.ID + " " + API(c).Scope.OrganizationID()) })
		app.Get("/read", m.APIKey(store.ScopeCredentialsRead), func(c *fiber.Ctx) error { return c.SendString("read") })
		app.Get("/issue", m.APIKey(store.ScopeCredentialsRead, store.ScopeCredentialsIssue), func(c *fiber.Ctx) error { return c.SendString("issue") })

		cases := []struct {
			name, path, auth string
			status           int
			challenge        string
		}{
			{"good key", "/any", "Bearer " + good, 200, ""},
			{"scheme in any case", "/any", "bearer  " + good, 200, ""},
			{"scope held", "/read", "Bearer " + good, 200, ""},
			{"missing", "/any", "", 401, `Bearer realm="TrustCred API"`},
			{"other scheme", "/any", "Basic " + good, 401, `error="invalid_token"`},
			{"no key", "/any", "Bearer", 401, `error="invalid_token"`},
			{"malformed", "/any", "Bearer tcs_short", 401, `error="invalid_token"`},
			{"unknown", "/any", "Bearer " + unknown, 401, `error="invalid_token"`},
			{"expired", "/any", "Bearer " + expired, 401, `error="invalid_token"`},
			{"revoked", "/any", "Bearer " + revoked, 401, `error="invalid_token"`},
			{"organization suspended", "/any", "Bearer " + ofSuspended, 401, `error="invalid_token"`},
			{"scope missing", "/issue", "Bearer " + good, 403, `error="insufficient_scope", scope="credentials:issue"`},
		}
		for _, tc := range cases {
			req := httptest.NewRequest("GET", tc.path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			res, err := app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.status {
				t.Errorf("%s: %d, want %d", tc.name, res.StatusCode, tc.status)
			}
			if got := res.Header.Get("WWW-Authenticate"); !strings.Contains(got, tc.challenge) || (tc.challenge == "") != (got == "") {
				t.Errorf("%s: WWW-Authenticate %q, want %q", tc.name, got, tc.challenge)
			}
			if res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: Cache-Control %q", tc.name, res.Header.Get("Cache-Control"))
			}
		}

		// Use is recorded, then not again within the minute, then again.
		lastUsed := func() time.Time {
			got, err := db.Scoped(a.ID).APIKey(ctx, k.ID)
			if err != nil || got.LastUsed == nil {
				t.Fatalf("last used not recorded (%v)", err)
			}
			return *got.LastUsed
		}
		first := lastUsed()
		if first.Sub(now).Abs() > time.Millisecond {
			t.Fatalf("last used %v, want %v", first, now)
		}
		get := func() {
			req := httptest.NewRequest("GET", "/any", nil)
			req.Header.Set("Authorization", "Bearer "+good)
			if res, err := app.Test(req, -1); err != nil || res.StatusCode != 200 {
				t.Fatalf("request failed: %v", err)
			}
		}
		now = now.Add(30 * time.Second)
		get()
		if !lastUsed().Equal(first) {
			t.Fatal("last used written twice within a minute")
		}
		now = now.Add(31 * time.Second)
		get()
		if got := lastUsed(); got.Sub(now).Abs() > time.Millisecond {
			t.Fatalf("last used %v after a minute, want %v", got, now)
		}
	})
}
