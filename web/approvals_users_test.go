package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// joinThroughThePage invites email as role (by inviter) and accepts the
// invitation on its page: the new member's signed-in client and their id.
func joinThroughThePage(t *testing.T, env *webtest.Env, org *store.Organization, inviter *store.User, email string, role store.Role) (*webtest.Client, string) {
	t.Helper()
	token := "an-invitation-token-for-" + email
	m, err := env.DB.Scoped(org.ID).InviteMember(context.Background(), email, role,
		store.EmailLink{TokenHash: auth.HashToken(token), ExpiresAt: time.Now().Add(time.Hour)}, store.Actor{UserID: &inviter.ID})
	if err != nil {
		t.Fatal(err)
	}
	c := env.Client()
	const pw = "a new and quite unusual passphrase"
	if r := c.Post("/invitations/"+token, url.Values{"name": {"Nora Newcomer"}, "password": {pw}, "confirm": {pw}}); r.Status != 303 {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	return c, m.ID
}

// Under a user_registration workflow a person who accepts an invitation
// signs in to the "awaits approval" page and nothing else, whatever their
// role; a reviewer finds them in the inbox (type user), reads who they
// are, the inviter cannot approve them, the reviewer's approval opens
// their pages. approval.requested carries the person.
func TestUserRegistrationThroughThePages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		adminUser := env.User(store.RoleAdmin, org)
		admin, reviewer := env.Client(), env.Client()
		admin.Login(adminUser)
		reviewer.Login(env.User(store.RoleReviewer, org))
		if _, err := env.DB.Scoped(org.ID).CreateApprovalWorkflow(context.Background(), store.WorkflowChange{Name: "New members",
			Type: store.WorkflowUserRegistration, Steps: []store.WorkflowStep{{Name: "Registrar", ApproverRoles: []store.Role{store.RoleAdmin, store.RoleReviewer}, RequiredApprovals: 1}},
			Active: true}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		// Every role is held at the waiting page: the dashboard and a few
		// organization routes (their own role's and others').
		var newcomer *webtest.Client
		var newcomerID string
		for _, role := range []store.Role{store.RoleAdmin, store.RoleIssuer, store.RoleReviewer, store.RoleVerifier} {
			c, id := joinThroughThePage(t, env, org, adminUser, string(role)+"@join.example", role)
			for _, p := range []string{"/", "/credentials", "/approvals", "/members", "/schemas", "/settings/approvals"} {
				r := c.Get(p)
				if r.Status != 403 || !r.Has("membership-pending") || !strings.Contains(r.Body, "Your membership of "+org.Name+" awaits approval") ||
					r.Has("nav-approvals") {
					t.Fatalf("%s waiting, GET %s: %d %s", role, p, r.Status, r.Body)
				}
			}
			if role == store.RoleIssuer {
				newcomer, newcomerID = c, id
			}
		}
		asked := eventsOf(env, events.ApprovalRequested)
		var people []string
		for _, e := range asked {
			var body events.ApprovalAsked
			if err := json.Unmarshal(e.Data, &body); err != nil {
				t.Fatal(err)
			}
			if body.ResourceType == "user" && body.Person != nil {
				people = append(people, body.Person.Email+" "+body.Person.Role+" "+body.Person.Name)
			}
		}
		if len(people) != 4 || !strings.Contains(strings.Join(people, ","), "issuer@join.example issuer Nora Newcomer") {
			t.Fatalf("approval.requested for people: %v", people)
		}
		if r := reviewer.Get("/approvals?type=user"); r.Status != 200 || strings.Count(r.Body, `data-testid="resource-approval-row"`) != 4 ||
			!strings.Contains(r.Body, "Invited by") || r.Has("approvals-results") {
			t.Fatalf("inbox of members: %d %s", r.Status, r.Body)
		}
		if r := admin.Get("/members"); r.Status != 200 || strings.Count(r.Body, `data-testid="status-awaiting-approval"`) != 4 {
			t.Fatalf("members page: %d", r.Status)
		}
		req, err := env.DB.Scoped(org.ID).ResourceApprovalFor(context.Background(), store.KindUser, newcomerID)
		if err != nil {
			t.Fatal(err)
		}
		path := "/approvals/resources/" + req.ID
		show := reviewer.Get(path)
		if show.Status != 200 || !show.Has("resource-person") || !strings.Contains(show.Body, "issuer@join.example") || show.Has("resource-schema") ||
			!show.Has("approve") {
			t.Fatalf("detail: %d %s", show.Status, show.Body)
		}
		if r := admin.Get(path); r.Status != 200 || !strings.Contains(r.Body, "You invited this person") {
			t.Fatalf("the inviter's view: %d", r.Status)
		}
		if r := admin.Htmx("POST", path+"/approve", url.Values{}); r.Status != 409 {
			t.Fatalf("the inviter approving: %d %s", r.Status, r.Body)
		}
		r := reviewer.Htmx("POST", path+"/approve", url.Values{})
		if r.Status != 200 || !strings.Contains(r.Body, "the membership is open") {
			t.Fatalf("approval: %d %s", r.Status, r.Body)
		}
		if r := newcomer.Get("/"); r.Status != 200 || r.Has("membership-pending") {
			t.Fatalf("dashboard after approval: %d", r.Status)
		}
		if r := newcomer.Get("/credentials"); r.Status != 200 {
			t.Fatalf("credentials after approval: %d", r.Status)
		}
	})
}
