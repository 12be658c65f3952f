package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// requireApprovals puts an active requirement of n reviewers' approvals
// on the schema.
func requireApprovals(t testing.TB, env *webtest.Env, schemaID string, n int) {
	t.Helper()
	q := storetest.Rebind(env.DB.Dialect(), "INSERT INTO multisig_requirements (id, schema_id, required_signatures, approver_roles, active, created_at) VALUES (?, ?, ?, ?, ?, ?)")
	if _, err := env.DB.SQL().Exec(q, uuid.NewString(), schemaID, n, `["reviewer"]`, true, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
}

// An API call whose schema requires approval answers 202 with the pending
// credential's id and status; until its reviewers approve it, the API and
// the public page say it is pending and give none of its data; once
// approved and signed, the page verifies it and shows its approvals.
func TestAPIIssueUnderApproval(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithoutAdmin())
		org, tpl := orgWithTemplate(t, env, "acme")
		requireApprovals(t, env, tpl.SchemaID, 2)
		_, key := createKey(t, env, org, nil, allScopes...)
		reviewers := []*store.User{env.User(store.RoleReviewer, org), env.User(store.RoleReviewer, org)}
		a := newAPI(t, env)
		r := a.post(key, "/api/v1/credentials/issue", map[string]any{"credential": degree(), "options": map[string]any{"templateId": tpl.ID}})
		var body struct{ ID, Status, Message string }
		if r.Status != 202 || json.Unmarshal([]byte(r.Body), &body) != nil || body.Status != "pending" || body.ID == "" ||
			strings.Contains(r.Body, "verifiableCredential") {
			t.Fatalf("issue under approval: %d %s", r.Status, r.Body)
		}
		if loc := r.Header.Get("Location"); loc != "/api/v1/credentials/"+body.ID {
			t.Errorf("Location %q", loc)
		}
		if got := a.get(key, "/api/v1/credentials/"+body.ID); got.Status != 200 || !strings.Contains(got.Body, `"status":"pending"`) ||
			strings.Contains(got.Body, "Ada Lovelace") {
			t.Errorf("API read of a pending credential: %d %s", got.Status, got.Body)
		}
		page := env.Client().Get("/v/" + body.ID)
		if page.Status != 200 || !page.Has("awaiting-page") || strings.Contains(page.Body, "Ada Lovelace") || !strings.Contains(page.Body, "Awaiting approval") {
			t.Fatalf("public page of a pending credential: %d\n%s", page.Status, page.Body)
		}
		if js := env.Client().Get("/v/" + body.ID + "/credential.json"); js.Status != 404 {
			t.Errorf("pending credential's JSON: %d", js.Status)
		}

		ctx := context.Background()
		sc := env.DB.Scoped(org.ID)
		cred, err := sc.CredentialByPublicID(ctx, body.ID)
		if err != nil {
			t.Fatal(err)
		}
		req, err := sc.ApprovalRequestFor(ctx, cred.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range reviewers {
			if _, err := env.Services.Approvals.Approve(ctx, sc, req.ID, u.ID, store.Actor{UserID: &u.ID}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := env.Services.Approvals.Sign(ctx, org.ID, req.ID); err != nil {
			t.Fatal(err)
		}
		page = env.Client().Get("/v/" + body.ID)
		if page.Status != 200 || !page.Has("credential-page") || !strings.Contains(page.Body, `data-verdict="valid"`) ||
			!strings.Contains(page.Body, "Approved by 2 of 2 eligible reviewers") || strings.Count(page.Body, `data-testid="approval"`) != 2 {
			t.Fatalf("public page of the approved credential: %d\n%s", page.Status, page.Body)
		}
		if got := a.get(key, "/api/v1/credentials/"+body.ID); got.Status != 200 || !strings.Contains(got.Body, "TrustCredApproval") {
			t.Errorf("API read of the approved credential: %d %s", got.Status, got.Body)
		}
	})
}

// pendingDegree issues a degree of org A under a 2-of-reviewers
// requirement, as the setup (no requester): its request's id.
func pendingDegree(t *testing.T, env *webtest.Env, org *store.Organization, tpl *store.CredentialTemplate, name string) string {
	t.Helper()
	cr := issueDegree(t, env, org, tpl, name, strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.org")
	if cr.Status != store.CredentialPending {
		t.Fatalf("credential %s, want pending", cr.Status)
	}
	req, err := env.DB.Scoped(org.ID).ApprovalRequestFor(context.Background(), cr.ID)
	if err != nil {
		t.Fatal(err)
	}
	return req.ID
}

// Every approvals route for every role: reviewers and admins open the
// inbox (approvals.decide), issuers, verifiers and recipients do not, the
// platform operator has no organization, and org B's admin gets 404 for
// org A's requests. Here only reviewers are eligible: an admin's approval
// is refused (409 for htmx), a reviewer's counts.
func TestApprovalsRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		tpl := degreeTemplate(t, env, a)
		requireApprovals(t, env, tpl.SchemaID, 2)
		reqID := pendingDegree(t, env, a, tpl, "Ada Lovelace")
		clients := env.RoleClients(a, b)
		deciders := func(admin, reviewer, other int) map[string]int {
			return map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: admin, webtest.AsIssuer: 403, webtest.AsReviewer: reviewer,
				webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303, webtest.AsOtherAdmin: other}
		}
		htmx := func(admin, reviewer, other int) map[string]int {
			m := deciders(admin, reviewer, other)
			m[webtest.AsAnonymous] = 204 // HX-Redirect to sign in
			return m
		}
		path := "/approvals/" + reqID
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/approvals", Want: deciders(200, 200, 200)},
			{Method: "GET", Path: "/approvals/count", Want: deciders(200, 200, 200)},
			{Method: "GET", Path: path, Want: deciders(200, 200, 404)},
			{Method: "GET", Path: "/approvals/" + uuid.NewString(), Want: deciders(404, 404, 404)},
			{Method: "POST", Path: path + "/reject", Htmx: true, Form: url.Values{"note": {" "}}, Want: htmx(422, 422, 404)},
			{Method: "POST", Path: path + "/approve", Htmx: true, Want: htmx(409, 200, 404)},
			{Method: "POST", Path: "/approvals/approve", Htmx: true, Form: url.Values{"id": {reqID}}, Want: htmx(200, 200, 200)},
		})
		ds, err := env.DB.Scoped(a.ID).ApprovalDecisions(context.Background(), reqID)
		if err != nil || len(ds) != 1 || ds[0].ApprovalStatus != store.ApprovalApproved {
			t.Fatalf("decisions after the table: %+v %v", ds, err)
		}
	})
}

// The inbox through HTTP: the reviewer's count and list, the detail with
// the credential as it will be signed, approve via htmx (the panel says
// more approvals are needed), the second reviewer's approval finishes it,
// a third person is told it is no longer pending; a rejection needs a
// note; "Approve selected" approves several at once.
func TestApprovalsInbox(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		tpl := degreeTemplate(t, env, org)
		requireApprovals(t, env, tpl.SchemaID, 2)
		first := pendingDegree(t, env, org, tpl, "Ada Lovelace")
		second := pendingDegree(t, env, org, tpl, "Grace Hopper")
		third := pendingDegree(t, env, org, tpl, "Alan Turing")
		var rev []*webtest.Client
		for range 3 {
			cl := env.Client()
			cl.Login(env.User(store.RoleReviewer, org))
			rev = append(rev, cl)
		}
		if r := rev[0].Get("/approvals/count"); r.Status != 200 || !strings.Contains(r.Body, ">3<") {
			t.Fatalf("count: %d %s", r.Status, r.Body)
		}
		list := rev[0].Get("/approvals")
		if list.Status != 200 || strings.Count(list.Body, `data-testid="approval-row"`) != 3 ||
			strings.Index(list.Body, "Ada Lovelace") > strings.Index(list.Body, "Alan Turing") {
			t.Fatalf("inbox: %d\n%s", list.Status, list.Body)
		}
		if r := rev[0].Get("/approvals?schema=nope"); r.Status != 422 || !strings.Contains(r.Body, "Choose a schema from the list.") {
			t.Errorf("bad schema filter: %d", r.Status)
		}
		show := rev[0].Get("/approvals/" + first)
		if show.Status != 200 || !show.Has("credential-human") || !strings.Contains(show.Body, "Chemistry") || !show.Has("approve") {
			t.Fatalf("detail: %d\n%s", show.Status, show.Body)
		}
		r := rev[0].Htmx("POST", "/approvals/"+first+"/approve", url.Values{})
		if r.Status != 200 || !strings.Contains(r.Body, "More approvals are needed") || r.Header.Get("HX-Trigger") != "approvals-changed" {
			t.Fatalf("first approval: %d %s", r.Status, r.Body)
		}
		if r = rev[0].Htmx("POST", "/approvals/"+first+"/approve", url.Values{}); r.Status != 409 || !strings.Contains(r.Body, "already decided") {
			t.Errorf("approving twice: %d %s", r.Status, r.Body)
		}
		if r = rev[1].Htmx("POST", "/approvals/"+first+"/approve", url.Values{}); r.Status != 200 || !strings.Contains(r.Body, "last approval") {
			t.Fatalf("second approval: %d %s", r.Status, r.Body)
		}
		if r = rev[2].Htmx("POST", "/approvals/"+first+"/approve", url.Values{}); r.Status != 409 || !strings.Contains(r.Body, "no longer pending") {
			t.Errorf("approving a decided request: %d %s", r.Status, r.Body)
		}
		if r = rev[0].Htmx("POST", "/approvals/"+second+"/reject", url.Values{"note": {""}}); r.Status != 422 || !r.Has("note-error") {
			t.Errorf("rejecting without a note: %d %s", r.Status, r.Body)
		}
		if r = rev[0].Htmx("POST", "/approvals/"+second+"/reject", url.Values{"note": {"Wrong year"}}); r.Status != 200 || !strings.Contains(r.Body, "Rejected") {
			t.Errorf("rejection: %d %s", r.Status, r.Body)
		}
		r = rev[2].Htmx("POST", "/approvals/approve", url.Values{"id": {third, second}})
		if r.Status != 200 || !strings.Contains(r.Body, "1 credential approved.") || !strings.Contains(r.Body, "no longer pending") {
			t.Errorf("approve selected: %d %s", r.Status, r.Body)
		}
		if r := rev[2].Get("/approvals"); strings.Count(r.Body, `data-testid="approval-row"`) != 1 {
			t.Errorf("inbox after: %s", r.Body)
		}
		// The staff credential page says where its approval stands and links
		// the request for those who may decide.
		req, err := env.DB.Scoped(org.ID).ApprovalRequest(context.Background(), second)
		if err != nil {
			t.Fatal(err)
		}
		if r := rev[0].Get("/credentials/" + req.CredentialID); r.Status != 200 || !r.Has("credential-approval-link") ||
			!strings.Contains(r.Body, "Rejected by a reviewer") {
			t.Errorf("credential page of a rejected request: %d", r.Status)
		}
	})
}

// A request under a two-step workflow through HTTP: the inbox shows its
// step and filters by step and template (a bad choice is 422 with the
// message), the detail lists the steps and where the request is, the
// step's last approval says it moved on, a reviewer cannot decide at the
// admins' step, the admin's approval ends it.
func TestApprovalsWorkflowSteps(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		tpl := degreeTemplate(t, env, org)
		admin := env.User(store.RoleAdmin, org)
		reviewer, otherReviewer := env.User(store.RoleReviewer, org), env.User(store.RoleReviewer, org)
		_, err := env.DB.Scoped(org.ID).CreateApprovalWorkflow(context.Background(), store.WorkflowChange{Name: "Degree issuance",
			Type: store.WorkflowCredentialIssuance, SchemaID: tpl.SchemaID, EscalationTimeoutHours: 24, Active: true, Steps: []store.WorkflowStep{
				{Name: "Registrar", ApproverRoles: []store.Role{store.RoleReviewer}, RequiredApprovals: 1, DeadlineHours: 48},
				{Name: "Dean's office", ApproverRoles: []store.Role{store.RoleAdmin}, RequiredApprovals: 1}}}, store.Actor{UserID: &admin.ID})
		if err != nil {
			t.Fatal(err)
		}
		first := pendingDegree(t, env, org, tpl, "Ada Lovelace")
		second := pendingDegree(t, env, org, tpl, "Grace Hopper")
		rev := env.Client()
		rev.Login(reviewer)
		adm := env.Client()
		adm.Login(admin)
		show := rev.Get("/approvals/" + first)
		if show.Status != 200 || strings.Count(show.Body, `data-testid="step"`) != 2 || !strings.Contains(show.Body, `data-state="current"`) ||
			!strings.Contains(show.Body, "Dean&#39;s office") || !strings.Contains(show.Body, "Waiting here") {
			t.Fatalf("detail: %d\n%s", show.Status, show.Body)
		}
		r := rev.Htmx("POST", "/approvals/"+first+"/approve", url.Values{})
		if r.Status != 200 || !strings.Contains(r.Body, "Step 1 is complete: the request moves on to step 2") {
			t.Fatalf("step 1's approval: %d %s", r.Status, r.Body)
		}
		if r := rev.Htmx("POST", "/approvals/"+second+"/approve", url.Values{}); r.Status != 200 {
			t.Fatalf("second request's step 1: %d", r.Status)
		}
		third := pendingDegree(t, env, org, tpl, "Alan Turing")
		list := adm.Get("/approvals?step=2")
		if list.Status != 200 || strings.Count(list.Body, `data-testid="approval-row"`) != 2 || strings.Contains(list.Body, third) {
			t.Fatalf("step 2 filter: %d\n%s", list.Status, list.Body)
		}
		if list := adm.Get("/approvals?step=1&template=" + tpl.ID); strings.Count(list.Body, `data-testid="approval-row"`) != 1 || !strings.Contains(list.Body, third) {
			t.Errorf("step 1 and template filter: %s", list.Body)
		}
		if r := adm.Get("/approvals?step=9"); r.Status != 422 || !strings.Contains(r.Body, "Choose a step from the list.") {
			t.Errorf("bad step: %d", r.Status)
		}
		if r := adm.Get("/approvals?template=" + uuid.NewString()); r.Status != 422 || !strings.Contains(r.Body, "Choose a template from the list.") {
			t.Errorf("bad template: %d", r.Status)
		}
		other := env.Client()
		other.Login(otherReviewer)
		if r := other.Htmx("POST", "/approvals/"+first+"/approve", url.Values{}); r.Status != 409 {
			t.Errorf("a reviewer at the admins' step: %d %s", r.Status, r.Body)
		}
		if r := adm.Htmx("POST", "/approvals/"+first+"/approve", url.Values{}); r.Status != 200 || !strings.Contains(r.Body, "last approval") {
			t.Errorf("the dean's approval: %d %s", r.Status, r.Body)
		}
		if show := adm.Get("/approvals/" + first); strings.Count(show.Body, `data-state="done"`) != 2 || !strings.Contains(show.Body, "at step 2 “Dean&#39;s office”") {
			t.Errorf("detail after: %s", show.Body)
		}
	})
}

// A reviewer away names a delegate: the delegate's request page offers to
// decide for them, the decision is recorded and shown as "acting for";
// deciding for someone who did not delegate is refused with the reason.
func TestApprovalsDelegateActsFor(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		tpl := degreeTemplate(t, env, org)
		requireApprovals(t, env, tpl.SchemaID, 2)
		away, stand, third := env.User(store.RoleReviewer, org), env.User(store.RoleReviewer, org), env.User(store.RoleReviewer, org)
		now := time.Now()
		if _, err := env.DB.Scoped(org.ID).CreateDelegation(context.Background(), away.ID, stand.ID, now.Add(-time.Minute), now.Add(24*time.Hour),
			now.Add(-2*time.Minute), store.Actor{UserID: &away.ID}); err != nil {
			t.Fatal(err)
		}
		reqID := pendingDegree(t, env, org, tpl, "Ada Lovelace")
		cl := env.Client()
		cl.Login(stand)
		show := cl.Get("/approvals/" + reqID)
		if show.Status != 200 || !show.Has("acting-for") || !strings.Contains(show.Body, "(standing in)") {
			t.Fatalf("the delegate's page: %d\n%s", show.Status, show.Body)
		}
		other := env.Client()
		other.Login(third)
		if r := other.Htmx("POST", "/approvals/"+reqID+"/approve", url.Values{"acting_for": {away.ID}}); r.Status != 409 ||
			!strings.Contains(r.Body, "not standing in for this person") {
			t.Errorf("deciding for someone who did not delegate: %d %s", r.Status, r.Body)
		}
		if r := cl.Htmx("POST", "/approvals/"+reqID+"/approve", url.Values{"acting_for": {away.ID}}); r.Status != 200 ||
			!strings.Contains(r.Body, "acting for") {
			t.Fatalf("the delegate's approval: %d %s", r.Status, r.Body)
		}
		ds, err := env.DB.Scoped(org.ID).ApprovalDecisions(context.Background(), reqID)
		if err != nil || len(ds) != 1 || ds[0].ApproverID != stand.ID || ds[0].ActingForID == nil || *ds[0].ActingForID != away.ID {
			t.Fatalf("decisions %+v %v", ds, err)
		}
		absent := env.Client()
		absent.Login(away)
		if r := absent.Htmx("POST", "/approvals/"+reqID+"/approve", url.Values{}); r.Status != 409 || !strings.Contains(r.Body, "already decided") {
			t.Errorf("the absent reviewer approves again: %d %s", r.Status, r.Body)
		}
	})
}
