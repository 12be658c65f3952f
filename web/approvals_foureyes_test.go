package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

func fourEyes(t *testing.T, env *webtest.Env, org *store.Organization) {
	t.Helper()
	if _, err := env.DB.Scoped(org.ID).SaveApprovalPolicy(context.Background(),
		store.ApprovalPolicy{FourEyesRevocation: true, FourEyesSuspension: true, StepUp: store.StepUpNone}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
}

func credentialStatus(t *testing.T, env *webtest.Env, org *store.Organization, id string) store.CredentialStatus {
	t.Helper()
	c, err := env.DB.Scoped(org.ID).Credential(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Status
}

// The four-eyes routes for every role: admins and reviewers decide
// (approvals.decide), issuers, verifiers and recipients do not, the
// platform operator has no organization, org B's admin gets 404 for A's
// request. The admin's approval revokes the credential; the reviewer
// after them is told it is no longer pending.
func TestFourEyesRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		fourEyes(t, env, a)
		tpl := degreeTemplate(t, env, a)
		c := issueDegree(t, env, a, tpl, "Ada Lovelace", "ada@example.org")
		r, err := env.DB.Scoped(a.ID).RequestStatusChange(context.Background(), c.ID, store.ActionRevoke, "Issued in error", store.ViaAPI, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		clients := env.RoleClients(a, b)
		htmx := func(admin, reviewer, other int) map[string]int {
			return map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: admin, webtest.AsIssuer: 403, webtest.AsReviewer: reviewer,
				webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 204, webtest.AsOtherAdmin: other}
		}
		path := "/approvals/status-changes/" + r.ID
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "POST", Path: path + "/reject", Htmx: true, Form: url.Values{"note": {" "}}, Want: htmx(422, 422, 404)},
			{Method: "POST", Path: "/approvals/status-changes/" + uuid.NewString() + "/approve", Htmx: true, Want: htmx(404, 404, 404)},
			{Method: "POST", Path: path + "/approve", Htmx: true, Want: htmx(200, 409, 404)},
		})
		if got := credentialStatus(t, env, a, c.ID); got != store.CredentialRevoked {
			t.Fatalf("after the admin's approval: %s", got)
		}
	})
}

// Four eyes through the page and the API: revoking from the credential's
// page sends it for approval (the credential stays active); the requester
// sees it in the inbox but cannot decide; a reviewer must give a note to
// reject, then approves, and the credential is revoked. Through the API a
// suspension answers 202 with the request, a second one 409; a rejection
// leaves the credential active. Without the policy nothing waits.
func TestFourEyesPageAndAPI(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		tpl := degreeTemplate(t, env, org)
		c := issueDegree(t, env, org, tpl, "Ada Lovelace", "ada@example.org")
		admin, reviewer := env.Client(), env.Client()
		admin.Login(env.User(store.RoleAdmin, org))
		reviewer.Login(env.User(store.RoleReviewer, org))

		// Off: a suspension is made at once.
		if r := admin.Post("/credentials/"+c.ID+"/suspend", url.Values{}); r.Status != 303 || credentialStatus(t, env, org, c.ID) != store.CredentialSuspended {
			t.Fatalf("suspension without four eyes: %d", r.Status)
		}
		if r := admin.Post("/credentials/"+c.ID+"/unsuspend", url.Values{}); r.Status != 303 {
			t.Fatalf("unsuspension: %d", r.Status)
		}

		fourEyes(t, env, org)
		r := admin.Htmx("POST", "/credentials/"+c.ID+"/revoke", url.Values{"reason": {"Issued in error"}})
		if r.Status != 200 || !strings.Contains(r.Body, "Sent for approval") || credentialStatus(t, env, org, c.ID) != store.CredentialActive {
			t.Fatalf("revocation under four eyes: %d %s", r.Status, r.Body)
		}
		if r := admin.Htmx("POST", "/credentials/"+c.ID+"/suspend", url.Values{}); r.Status != 422 || !strings.Contains(r.Body, "already waits for approval") {
			t.Errorf("a second request: %d %s", r.Status, r.Body)
		}
		mine := admin.Get("/approvals")
		if !mine.Has("status-change-row") || !strings.Contains(mine.Body, "You asked for it") || mine.Has("status-change-approve") {
			t.Fatalf("the requester's inbox:\n%s", mine.Body)
		}
		waiting, err := env.DB.Scoped(org.ID).StatusChangeRequests(context.Background())
		if err != nil || len(waiting) != 1 {
			t.Fatalf("waiting: %+v %v", waiting, err)
		}
		path := "/approvals/status-changes/" + waiting[0].ID
		if r := admin.Htmx("POST", path+"/approve", url.Values{}); r.Status != 409 || !strings.Contains(r.Body, "You asked for this credential") {
			t.Errorf("the requester approves: %d %s", r.Status, r.Body)
		}
		list := reviewer.Get("/approvals")
		if !list.Has("status-change-approve") || !strings.Contains(list.Body, "Issued in error") || !strings.Contains(list.Body, "Revoke") {
			t.Fatalf("the reviewer's inbox:\n%s", list.Body)
		}
		if r := reviewer.Htmx("POST", path+"/reject", url.Values{"note": {""}}); r.Status != 422 || !r.Has("status-change-note-error") {
			t.Errorf("rejection without a note: %d %s", r.Status, r.Body)
		}
		r = reviewer.Htmx("POST", path+"/approve", url.Values{})
		if r.Status != 200 || !strings.Contains(r.Body, "the credential is revoked") || r.Has("status-change-row") {
			t.Fatalf("approval: %d %s", r.Status, r.Body)
		}
		if got := credentialStatus(t, env, org, c.ID); got != store.CredentialRevoked {
			t.Fatalf("after the approval: %s", got)
		}

		// The API.
		other := issueDegree(t, env, org, tpl, "Grace Hopper", "grace@example.org")
		_, key := createKey(t, env, org, nil, allScopes...)
		a := newAPI(t, env)
		body := map[string]any{"credentialId": other.PublicID, "status": true,
			"credentialStatus": map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}}
		r = a.post(key, "/api/v1/credentials/status", body)
		var out struct{ Status, RequestID string }
		if r.Status != 202 || json.Unmarshal([]byte(r.Body), &out) != nil || out.Status != "pending" || out.RequestID == "" {
			t.Fatalf("API suspension under four eyes: %d %s", r.Status, r.Body)
		}
		wantProblem(t, "a second API request", a.post(key, "/api/v1/credentials/status", body), 409, "Status change refused", "already waits")
		r = reviewer.Htmx("POST", "/approvals/status-changes/"+out.RequestID+"/reject", url.Values{"note": {"The holder appealed"}})
		if r.Status != 200 || !strings.Contains(r.Body, "Rejected") {
			t.Fatalf("rejection: %d %s", r.Status, r.Body)
		}
		if got := credentialStatus(t, env, org, other.ID); got != store.CredentialActive {
			t.Errorf("a rejected suspension changed the credential: %s", got)
		}
		// Without JavaScript: a flash and back to the inbox.
		if r := reviewer.Post("/approvals/status-changes/"+out.RequestID+"/approve", url.Values{}); r.Status != 303 {
			t.Errorf("plain form on a decided request: %d", r.Status)
		}
	})
}
