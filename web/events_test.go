package web_test

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// Creating and revoking an API key and deactivating a member publish their
// events, once, in the organization; a change that changes nothing (a
// second revoke, a second deactivation) and a refused one publish none.
func TestChangesPublishTheirEvents(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("alpha"), env.Org("beta")
		admin := env.Client()
		admin.Login(env.User(store.RoleAdmin, a))
		if r := admin.Post("/api-keys", url.Values{"name": {"CRM"}, "scopes": {"credentials:read"}, "expiry": {"never"}}); r.Status != 201 {
			t.Fatalf("create: %d", r.Status)
		}
		keys, _ := env.DB.Scoped(a.ID).APIKeys(t.Context())
		for range 2 {
			if r := admin.Htmx("POST", "/api-keys/"+keys[0].ID+"/revoke", url.Values{}); r.Status != 200 {
				t.Fatalf("revoke: %d", r.Status)
			}
		}
		target := env.User(store.RoleVerifier, a)
		for range 2 {
			admin.Post("/members/"+target.ID+"/deactivate", url.Values{})
		}
		// Beta's admin cannot touch alpha's key: 404, no event.
		other := env.Client()
		other.Login(env.User(store.RoleAdmin, b))
		if r := other.Htmx("POST", "/api-keys/"+keys[0].ID+"/revoke", url.Values{}); r.Status != 404 {
			t.Errorf("beta's admin: %d", r.Status)
		}

		got := env.PublishedEvents()
		want := []events.Type{events.APIKeyCreated, events.APIKeyRevoked, events.MemberRemoved}
		if len(got) != len(want) {
			t.Fatalf("published %d events, want %d: %+v", len(got), len(want), got)
		}
		for i, e := range got {
			if e.Type != want[i] || e.OrganizationID != a.ID || e.Version != 1 {
				t.Errorf("event %d: %s in %s, want %s in alpha", i, e.Type, e.OrganizationID, want[i])
			}
		}
		var k events.APIKey
		if err := json.Unmarshal(got[1].Data, &k); err != nil || k.ID != keys[0].ID || k.Name != "CRM" || len(k.Scopes) != 1 {
			t.Errorf("api_key.revoked data %s (%v)", got[1].Data, err)
		}
		var m events.Member
		if err := json.Unmarshal(got[2].Data, &m); err != nil || m.UserID != target.ID || m.Email != target.Email || m.Role != "verifier" {
			t.Errorf("member.removed data %s (%v)", got[2].Data, err)
		}
	})
}
