package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// The withdrawal route for every role: the people who may revoke
// (admins, issuers) reach it and are told only the requester withdraws
// (409: an API key asked here); reviewers, verifiers and recipients are
// refused, the platform operator has no organization, org B's admin gets
// 404 for A's credential, as does an unknown credential. The request
// still waits afterwards.
func TestFourEyesWithdrawRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		fourEyes(t, env, a)
		tpl := degreeTemplate(t, env, a)
		c := issueDegree(t, env, a, tpl, "Ada Lovelace", "ada@example.org")
		if _, err := env.DB.Scoped(a.ID).RequestStatusChange(context.Background(), c.ID, store.ActionRevoke, "Issued in error", store.ViaAPI, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		clients := env.RoleClients(a, b)
		want := func(allowed, other int) map[string]int {
			return map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: allowed, webtest.AsIssuer: allowed, webtest.AsReviewer: 403,
				webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 204, webtest.AsOtherAdmin: other}
		}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "POST", Path: "/credentials/" + c.ID + "/status-change/withdraw", Htmx: true, Want: want(409, 404)},
			{Method: "POST", Path: "/credentials/" + uuid.NewString() + "/status-change/withdraw", Htmx: true, Want: want(404, 404)},
		})
		if w, err := env.DB.Scoped(a.ID).WaitingStatusChange(context.Background(), c.ID); err != nil || w == nil {
			t.Fatalf("the request no longer waits: %+v %v", w, err)
		}
	})
}

// An issuer's revocation waits: the credential's page says so with a
// Withdraw button for them (not for the admin), the reviewer's navigation
// counts it; withdrawn, nothing waits and the count drops. Under a
// password step-up the reviewer's approval asks for the password in the
// request's card (422 with the sentence next to it without it or with a
// wrong one), then revokes; the issuer is told.
func TestFourEyesWithdrawalAndStepUp(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		fourEyes(t, env, org)
		tpl := degreeTemplate(t, env, org)
		c := issueDegree(t, env, org, tpl, "Ada Lovelace", "ada@example.org")
		issuer, admin, reviewer := env.Client(), env.Client(), env.Client()
		issuerUser := env.User(store.RoleIssuer, org)
		issuer.Login(issuerUser)
		admin.Login(env.User(store.RoleAdmin, org))
		reviewer.Login(env.User(store.RoleReviewer, org))
		page := "/credentials/" + c.ID
		if r := issuer.Htmx("POST", page+"/revoke", url.Values{"reason": {"Issued in error"}}); r.Status != 200 || !r.Has("status-waiting") {
			t.Fatalf("revocation under four eyes: %d %s", r.Status, r.Body)
		}
		if r := issuer.Get(page); !r.Has("status-waiting") || !r.Has("status-change-withdraw") || !strings.Contains(r.Body, "A revocation waits") {
			t.Fatalf("the issuer's credential page:\n%s", r.Body)
		}
		if r := admin.Get(page); !r.Has("status-waiting") || r.Has("status-change-withdraw") {
			t.Fatalf("the admin's credential page offers the issuer's withdrawal:\n%s", r.Body)
		}
		if r := reviewer.Htmx("GET", "/approvals/count", nil); !strings.Contains(r.Body, ">1<") {
			t.Errorf("the reviewer's count: %s", r.Body)
		}
		r := issuer.Htmx("POST", page+"/status-change/withdraw", nil)
		if r.Status != 200 || !strings.Contains(r.Body, "Withdrawn") || r.Has("status-waiting") || credentialStatus(t, env, org, c.ID) != store.CredentialActive {
			t.Fatalf("withdrawal: %d %s", r.Status, r.Body)
		}
		if r := issuer.Htmx("POST", page+"/status-change/withdraw", nil); r.Status != 409 || !strings.Contains(r.Body, "Nothing waits") {
			t.Errorf("a second withdrawal: %d %s", r.Status, r.Body)
		}
		if r := reviewer.Htmx("GET", "/approvals/count", nil); strings.Contains(r.Body, ">1<") {
			t.Errorf("the reviewer's count after the withdrawal: %s", r.Body)
		}
		if r := reviewer.Get("/approvals"); r.Has("status-change-row") {
			t.Errorf("the withdrawn request is still in the inbox")
		}

		// Step-up by password on the approval.
		if _, err := env.DB.Scoped(org.ID).SaveApprovalPolicy(context.Background(),
			store.ApprovalPolicy{FourEyesRevocation: true, FourEyesSuspension: true, StepUp: store.StepUpPassword}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if r := issuer.Htmx("POST", page+"/revoke", url.Values{"reason": {"Issued in error"}}); r.Status != 200 {
			t.Fatalf("second revocation: %d", r.Status)
		}
		waiting, err := env.DB.Scoped(org.ID).WaitingStatusChange(context.Background(), c.ID)
		if err != nil || waiting == nil {
			t.Fatalf("waiting: %+v %v", waiting, err)
		}
		if r := reviewer.Get("/approvals"); !r.Has("status-change-step-up") {
			t.Fatalf("the card does not ask for the password:\n%s", r.Body)
		}
		path := "/approvals/status-changes/" + waiting.ID + "/approve"
		for _, pw := range []string{"", "not it"} {
			r := reviewer.Htmx("POST", path, url.Values{"step_up_password": {pw}})
			if r.Status != 422 || !r.Has("status-change-step-up-error") || credentialStatus(t, env, org, c.ID) != store.CredentialActive {
				t.Fatalf("approval with password %q: %d %s", pw, r.Status, r.Body)
			}
		}
		r = reviewer.Htmx("POST", path, url.Values{"step_up_password": {webtest.Password}})
		if r.Status != 200 || !strings.Contains(r.Body, "the credential is revoked") || credentialStatus(t, env, org, c.ID) != store.CredentialRevoked {
			t.Fatalf("approval with the password: %d %s", r.Status, r.Body)
		}
		told, err := env.DB.Account(issuerUser.ID).Notifications(context.Background(), store.NotificationFilter{Limit: 10})
		if err != nil || len(told.Notifications) != 1 || told.Notifications[0].Title != "Your revocation was approved" {
			t.Errorf("the issuer is not told of the approval: %+v %v", told, err)
		}
	})
}
