package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/issuance"
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

// eventsOf are the published events of these types, oldest first.
func eventsOf(env *webtest.Env, types ...events.Type) []events.Event {
	var out []events.Event
	for _, e := range env.PublishedEvents() {
		if slices.Contains(types, e.Type) {
			out = append(out, e)
		}
	}
	return out
}

// The app's issuer publishes credential.issued; the credential page's
// status actions publish theirs, a refused one none; public views of the
// credential's page publish credential.verified once in the window, off
// the request path (with the verification logs).
func TestCredentialChangesPublishTheirEvents(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		tpl := degreeTemplate(t, env, a)
		out, err := env.Services.Issuer.Submit(context.Background(), env.DB.Scoped(a.ID), issuance.Request{Template: tpl, RecipientName: "Ada",
			RecipientAddress: "ada@example.org", Data: map[string]any{"degree": "Chemistry", "awarded": "2024-06-30", "grade": "first", "honours": true}},
			store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		cr := out.Credential
		cl := env.Client()
		cl.Login(env.User(store.RoleIssuer, a))
		base := "/credentials/" + cr.ID
		for _, step := range []struct {
			action string
			form   url.Values
			status int
		}{
			{"suspend", url.Values{"reason": {"Audit"}}, 200},
			{"suspend", url.Values{}, 422},
			{"unsuspend", url.Values{}, 200},
			{"revoke", url.Values{"reason": {"Issued in error"}}, 200},
			{"revoke", url.Values{"reason": {"Again"}}, 422},
		} {
			if r := cl.Htmx("POST", base+"/"+step.action, step.form); r.Status != step.status {
				t.Fatalf("%s: %d, want %d", step.action, r.Status, step.status)
			}
		}
		// Another organization's admin cannot change it: 404, no event.
		other := env.Client()
		other.Login(env.User(store.RoleAdmin, env.Org("beta")))
		if r := other.Htmx("POST", base+"/suspend", url.Values{}); r.Status != 404 {
			t.Errorf("beta's admin: %d", r.Status)
		}
		got := eventsOf(env, events.CredentialIssued, events.CredentialSuspended, events.CredentialUnsuspended, events.CredentialRevoked)
		want := []events.Type{events.CredentialIssued, events.CredentialSuspended, events.CredentialUnsuspended, events.CredentialRevoked}
		if len(got) != len(want) {
			t.Fatalf("published %d credential events, want %d: %+v", len(got), len(want), got)
		}
		for i, e := range got {
			var p struct {
				Credential events.Credential `json:"credential"`
				Via        string            `json:"via"`
			}
			if err := json.Unmarshal(e.Data, &p); err != nil || e.Type != want[i] || e.OrganizationID != a.ID || p.Credential.ID != cr.ID || p.Via != "web" {
				t.Errorf("event %d: %s %s (%v), want %s", i, e.Type, e.Data, err, want[i])
			}
		}
		var revoked events.StatusChanged
		if err := json.Unmarshal(got[3].Data, &revoked); err != nil || revoked.Reason != "Issued in error" || revoked.PreviousStatus != "active" || revoked.Credential.Status != "revoked" {
			t.Errorf("credential.revoked %s (%v)", got[3].Data, err)
		}

		// Three views of the public page: one event, once the logs are written.
		visitor := env.Client()
		for range 3 {
			if r := visitor.Get("/v/" + cr.PublicID); r.Status != 200 {
				t.Fatalf("public page: %d", r.Status)
			}
		}
		if err := env.VerificationLogs.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		verified := eventsOf(env, events.CredentialVerified)
		if len(verified) != 1 {
			t.Fatalf("%d credential.verified events for 3 views, want 1", len(verified))
		}
		var v events.Verified
		if err := json.Unmarshal(verified[0].Data, &v); err != nil || v.Credential.ID != cr.ID || v.Verdict != "revoked" || v.Count != 1 ||
			v.Credential.VerifyURL != env.Config.BaseURL+"/v/"+cr.PublicID || verified[0].OrganizationID != a.ID {
			t.Errorf("credential.verified %s (%v)", verified[0].Data, err)
		}
	})
}

// Accepting an invitation publishes member.joined in the member's
// organization; the platform console's approval and suspension publish
// organization.approved and .suspended, a reactivation and a refused
// action nothing.
func TestMembersAndLifecyclePublishTheirEvents(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		acme := env.Org("acme")
		const token = "an-invitation-token-for-the-events-test"
		m, err := env.DB.Scoped(acme.ID).InviteMember(ctx, "nia@acme.example", store.RoleIssuer,
			store.EmailLink{TokenHash: auth.HashToken(token), ExpiresAt: time.Now().Add(time.Hour)}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		const pw = "a new and quite unusual passphrase"
		if r := env.Client().Post("/invitations/"+token, url.Values{"name": {"Nia"}, "password": {pw}, "confirm": {pw}}); r.Status != 303 {
			t.Fatalf("accept: %d", r.Status)
		}
		if r := env.Client().Post("/invitations/"+token, url.Values{"name": {"Nia"}, "password": {pw}, "confirm": {pw}}); r.Status != 410 {
			t.Fatalf("accept twice: %d", r.Status)
		}
		joined := eventsOf(env, events.MemberJoined)
		var mj events.Member
		if len(joined) != 1 || json.Unmarshal(joined[0].Data, &mj) != nil || joined[0].OrganizationID != acme.ID ||
			mj.UserID != m.ID || mj.Email != "nia@acme.example" || mj.Role != "issuer" {
			t.Fatalf("member.joined: %+v", joined)
		}

		org := consoleOrg(t, env, "pending-org", store.OrganizationPending)
		op := env.Client()
		op.Login(env.User(store.RoleSuperAdmin, nil))
		p := "/admin/organizations/" + org.ID
		for _, step := range []struct {
			action string
			form   url.Values
			status int
		}{
			{"approve", nil, 200},
			{"approve", nil, 422},
			{"suspend", url.Values{"reason": {"Unpaid invoices"}}, 200},
			{"reactivate", url.Values{"reason": {"Paid"}}, 200},
		} {
			if r := op.Htmx("POST", p+"/"+step.action, step.form); r.Status != step.status {
				t.Fatalf("%s: %d, want %d", step.action, r.Status, step.status)
			}
		}
		got := eventsOf(env, events.OrganizationApproved, events.OrganizationSuspended)
		if len(got) != 2 || got[0].Type != events.OrganizationApproved || got[1].Type != events.OrganizationSuspended {
			t.Fatalf("lifecycle events %+v", got)
		}
		for i, e := range got {
			var o events.Organization
			if err := json.Unmarshal(e.Data, &o); err != nil || e.OrganizationID != org.ID || o.ID != org.ID || o.Slug != "pending-org" || o.At.IsZero() {
				t.Errorf("event %d: %s (%v)", i, e.Data, err)
			}
			if want := []string{"", "Unpaid invoices"}[i]; o.Reason != want {
				t.Errorf("event %d reason %q, want %q", i, o.Reason, want)
			}
		}
	})
}

// Through the API: issuing and a status change publish their events with
// via "api"; a refused change (409) publishes none.
func TestAPIChangesPublishTheirEvents(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		_, key := createKey(t, env, org, nil, allScopes...)
		a := newAPI(t, env)
		x := a.issue(key, degree(), nil)
		suspend := map[string]any{"credentialId": x.publicID, "status": true,
			"credentialStatus": map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}}
		if r := a.post(key, "/api/v1/credentials/status", suspend); r.Status != 200 {
			t.Fatalf("suspend: %d %s", r.Status, r.Body)
		}
		if r := a.post(key, "/api/v1/credentials/status", suspend); r.Status != 409 {
			t.Fatalf("suspend twice: %d", r.Status)
		}
		got := eventsOf(env, events.CredentialIssued, events.CredentialSuspended)
		if len(got) != 2 || got[0].Type != events.CredentialIssued || got[1].Type != events.CredentialSuspended {
			t.Fatalf("events %+v", got)
		}
		var issued events.Issued
		var suspended events.StatusChanged
		if err := json.Unmarshal(got[0].Data, &issued); err != nil || issued.Via != "api" || issued.Credential.PublicID != x.publicID {
			t.Errorf("credential.issued %s (%v)", got[0].Data, err)
		}
		if err := json.Unmarshal(got[1].Data, &suspended); err != nil || suspended.Via != "api" || suspended.Credential.PublicID != x.publicID ||
			suspended.PreviousStatus != "active" || got[1].OrganizationID != org.ID {
			t.Errorf("credential.suspended %s (%v)", got[1].Data, err)
		}
		// Two verifications through the API (a suspended credential: 400
		// with the verdict): one credential.verified.
		for range 2 {
			if status, out := apiPost(t, env, "/api/v1/credentials/verify", map[string]any{"verifiableCredential": x.doc}); status != 400 || out["verdict"] != "suspended" {
				t.Fatalf("verify: %d %v", status, out)
			}
		}
		if err := env.VerificationLogs.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		verified := eventsOf(env, events.CredentialVerified)
		var v events.Verified
		if len(verified) != 1 || json.Unmarshal(verified[0].Data, &v) != nil || v.Channel != "api" || v.Verdict != "suspended" ||
			v.Count != 1 || v.Credential.PublicID != x.publicID {
			t.Errorf("credential.verified after two API verifications: %+v", verified)
		}
	})
}
