package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/form"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// schemaWorkflow makes org's schema_creation workflow active: one step of
// n approvals of these roles.
func schemaWorkflow(t *testing.T, env *webtest.Env, org *store.Organization, n int, roles ...store.Role) {
	t.Helper()
	if _, err := env.DB.Scoped(org.ID).CreateApprovalWorkflow(context.Background(), store.WorkflowChange{Name: "New schemas",
		Type: store.WorkflowSchemaCreation, Steps: []store.WorkflowStep{{Name: "Registrar", ApproverRoles: roles, RequiredApprovals: n}},
		Active: true}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
}

// waitingSchema is a schema made (by nobody in particular) under org's
// workflow, and its request's id.
func waitingSchema(t *testing.T, env *webtest.Env, org *store.Organization, name string) (*store.CredentialSchema, string) {
	t.Helper()
	ctx := context.Background()
	sc := env.DB.Scoped(org.ID)
	cs, err := sc.CreateSchema(ctx, store.SchemaChange{Name: name, Version: "1.0", Definition: json.RawMessage(`{"type":"object"}`),
		Fields: []store.SchemaField{{Name: "course", Label: "Course title", Type: store.SchemaFieldText, Required: true}}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	req, err := sc.ResourceApprovalFor(ctx, store.KindSchema, cs.ID)
	if err != nil {
		t.Fatal(err)
	}
	return cs, req.ID
}

// The schema approval routes for every role: admins and reviewers open
// and decide (approvals.decide), issuers, verifiers and recipients do
// not, the platform operator has no organization, org B's admin gets 404
// for A's request. Only reviewers are in the step: the admin's approval is
// refused (409), the reviewer's makes the schema active.
func TestSchemaApprovalRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		clients := env.RoleClients(a, b)
		schemaWorkflow(t, env, a, 1, store.RoleReviewer)
		cs, reqID := waitingSchema(t, env, a, "Short course")
		deciders := func(admin, reviewer, other int) map[string]int {
			return map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: admin, webtest.AsIssuer: 403, webtest.AsReviewer: reviewer,
				webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303, webtest.AsOtherAdmin: other}
		}
		htmx := func(admin, reviewer, other int) map[string]int {
			m := deciders(admin, reviewer, other)
			m[webtest.AsAnonymous] = 204 // HX-Redirect to sign in
			return m
		}
		path := "/approvals/resources/" + reqID
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/approvals?type=schema", Want: deciders(200, 200, 200)},
			{Method: "GET", Path: path, Want: deciders(200, 200, 404)},
			{Method: "GET", Path: "/approvals/resources/" + uuid.NewString(), Want: deciders(404, 404, 404)},
			{Method: "POST", Path: path + "/reject", Htmx: true, Form: url.Values{"note": {" "}}, Want: htmx(422, 422, 404)},
			{Method: "POST", Path: "/approvals/resources/" + uuid.NewString() + "/approve", Htmx: true, Want: htmx(404, 404, 404)},
			{Method: "POST", Path: path + "/approve", Htmx: true, Want: htmx(409, 200, 404)},
		})
		got, err := env.DB.Scoped(a.ID).Schema(context.Background(), cs.ID)
		if err != nil || got.ApprovalStatus != store.SchemaApproved || !got.Active {
			t.Fatalf("after the table: %+v %v", got, err)
		}
	})
}

// A new schema through HTTP under a one-step workflow: the admin's form
// saves it as waiting (the list says "Awaiting approval", no template can
// use it: the template form says why), the reviewer finds it in the inbox
// (and alone under the type filter; a bad type is 422), its page shows
// its fields, a rejection needs a note, the approval makes it active and
// a template can use it.
func TestSchemaApprovalThroughThePages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		admin, reviewer := env.Client(), env.Client()
		admin.Login(env.User(store.RoleAdmin, org))
		reviewer.Login(env.User(store.RoleReviewer, org))
		schemaWorkflow(t, env, org, 1, store.RoleReviewer)
		cs, reqID := waitingSchema(t, env, org, "Short course")
		if r := admin.Get("/schemas"); r.Status != 200 || !r.Has("schema-awaiting-approval") {
			t.Fatalf("schema list: %d %s", r.Status, r.Body)
		}
		if r := admin.Get("/schemas/" + cs.ID); r.Status != 200 || !r.Has("schema-approval-note") || r.Has("schema-new-template") || r.Has("schema-edit") {
			t.Fatalf("schema page: %d %s", r.Status, r.Body)
		}
		if r := admin.Post("/templates", url.Values{"name": {"Course"}, "schema_id": {cs.ID}, "kind": {"certificate"},
			"cryptosuite": {"eddsa-rdfc-2022"}}); r.Status != 422 || !strings.Contains(r.Body, "awaits approval") {
			t.Fatalf("a template of the waiting schema: %d", r.Status)
		}
		list := reviewer.Get("/approvals")
		if list.Status != 200 || !list.Has("resource-approval-row") || !strings.Contains(list.Body, "Short course") {
			t.Fatalf("inbox: %d %s", list.Status, list.Body)
		}
		if r := reviewer.Get("/approvals?type=credential"); r.Status != 200 || r.Has("resource-approval-row") {
			t.Errorf("credentials only: %d", r.Status)
		}
		if r := reviewer.Get("/approvals?type=schema"); r.Status != 200 || !r.Has("resource-approval-row") || r.Has("approvals-results") {
			t.Errorf("schemas only: %d", r.Status)
		}
		if r := reviewer.Get("/approvals?type=nope"); r.Status != 422 || !strings.Contains(r.Body, "Choose a type from the list.") {
			t.Errorf("bad type: %d", r.Status)
		}
		show := reviewer.Get("/approvals/resources/" + reqID)
		if show.Status != 200 || !show.Has("schema-field") || !strings.Contains(show.Body, "Course title") || !show.Has("approve") ||
			strings.Contains(show.Body, `"type":"object"`) {
			t.Fatalf("detail: %d %s", show.Status, show.Body)
		}
		if r := reviewer.Htmx("POST", "/approvals/resources/"+reqID+"/reject", url.Values{"note": {""}}); r.Status != 422 || !r.Has("note-error") {
			t.Errorf("rejecting without a note: %d %s", r.Status, r.Body)
		}
		r := reviewer.Htmx("POST", "/approvals/resources/"+reqID+"/approve", url.Values{})
		if r.Status != 200 || !strings.Contains(r.Body, "the schema is active") || r.Header.Get("HX-Trigger") != "approvals-changed" {
			t.Fatalf("approval: %d %s", r.Status, r.Body)
		}
		if r := reviewer.Htmx("POST", "/approvals/resources/"+reqID+"/approve", url.Values{}); r.Status != 409 || !strings.Contains(r.Body, "no longer pending") {
			t.Errorf("approving again: %d %s", r.Status, r.Body)
		}
		if r := admin.Get("/schemas/" + cs.ID); r.Status != 200 || r.Has("schema-approval-note") || !r.Has("schema-new-template") {
			t.Errorf("schema page after: %d", r.Status)
		}
	})
}

// pagerLink is the address of the pager link with this test id in r.
func pagerLink(t *testing.T, r *webtest.Response, id string) string {
	t.Helper()
	m := regexp.MustCompile(`href="([^"]+)"[^>]*data-testid="` + id + `"`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no %s link in %s", id, r.Body)
	}
	return html.UnescapeString(m[1])
}

// The inbox's schema section pages like the credential list: the 50
// oldest first, a "Newer →" link to the rest (whose htmx request answers
// the section alone, with a link back), and a page link that is not one
// is a 422 with the page's message, not a 500.
func TestSchemaInboxPages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		reviewer := env.Client()
		reviewer.Login(env.User(store.RoleReviewer, org))
		schemaWorkflow(t, env, org, 1, store.RoleReviewer)
		for i := range store.DefaultInboxPage + 5 {
			waitingSchema(t, env, org, fmt.Sprintf("Course %02d", i))
		}
		rows := func(r *webtest.Response) int { return strings.Count(r.Body, `data-testid="resource-approval-row"`) }
		first := reviewer.Get("/approvals?type=schema")
		if first.Status != 200 || rows(first) != store.DefaultInboxPage || !strings.Contains(first.Body, "“Course 00”") ||
			strings.Contains(first.Body, "“Course 50”") || first.Has("resource-approvals-newest") {
			t.Fatalf("first page: %d, %d rows", first.Status, rows(first))
		}
		next := pagerLink(t, first, "resource-approvals-older")
		if !strings.Contains(next, "type=schema") || !strings.Contains(next, "schemas_after=") {
			t.Fatalf("next page link %q", next)
		}
		part := reviewer.Do("GET", next, nil, map[string]string{"HX-Request": "true", "HX-Target": "resource-approvals"})
		if part.Status != 200 || rows(part) != 5 || !strings.Contains(part.Body, "“Course 54”") || strings.Contains(part.Body, "“Course 49”") ||
			part.Has("approvals-page") || part.Has("resource-approvals-older") {
			t.Fatalf("second page over htmx: %d, %d rows %s", part.Status, rows(part), part.Body)
		}
		if back := pagerLink(t, part, "resource-approvals-newest"); strings.Contains(back, "schemas_after") || !strings.Contains(back, "type=schema") {
			t.Errorf("link back %q", back)
		}
		if full := reviewer.Get(next); full.Status != 200 || rows(full) != 5 || !full.Has("approvals-page") {
			t.Errorf("second page: %d, %d rows", full.Status, rows(full))
		}
		if r := reviewer.Get("/approvals?schemas_after=not-a-cursor"); r.Status != 422 || !strings.Contains(r.Body, html.EscapeString(form.BadPageLink)) {
			t.Errorf("a bad page link: %d", r.Status)
		}
	})
}
