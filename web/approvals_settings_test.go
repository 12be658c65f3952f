package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// approvalSchema creates a schema of org through the store, as the schema
// page does.
func approvalSchema(t testing.TB, env *webtest.Env, org *store.Organization, name string) *store.CredentialSchema {
	t.Helper()
	cs, err := env.DB.Scoped(org.ID).CreateSchema(context.Background(), store.SchemaChange{Name: name, Version: "1.0",
		Definition: json.RawMessage(`{"type": "object"}`), Fields: []store.SchemaField{{Name: "degree", Label: "Degree", Type: store.SchemaFieldText}}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func ruleForm(schemaID, required string, roles ...string) url.Values {
	return url.Values{"schema_id": {schemaID}, "rule_name": {"Registrar"}, "required": {required}, "roles": roles, "active": {"on"}}
}

// workflowForm is the workflow form with one step per entry of steps
// (its approvals required, of reviewers).
func workflowForm(name, id string, steps ...string) url.Values {
	f := url.Values{"name": {name}, "type": {"credential_issuance"}, "workflow_id": {id}, "step_count": {strconv.Itoa(len(steps))},
		"escalation_timeout": {"24"}, "bulk_sample": {"0"}, "active": {"on"}}
	for i, n := range steps {
		p := "step_" + strconv.Itoa(i) + "_"
		f.Set(p+"required", n)
		f.Set(p+"roles", "reviewer")
		f.Set(p+"name", "Step named "+strconv.Itoa(i))
	}
	return f
}

func memberOf(t testing.TB, env *webtest.Env, org *store.Organization, role store.Role) *store.Member {
	t.Helper()
	ms, err := env.DB.Scoped(org.ID).Members(context.Background(), store.MemberFilter{Role: role})
	if err != nil || len(ms) == 0 {
		t.Fatalf("no %s in %s: %v", role, org.Slug, err)
	}
	return &ms[0]
}

// Every approval settings route for every role: org admins only; another
// organization's admin gets 404 for organization A's rules, workflows and
// delegations. The delegation page is every approver's own.
func TestApprovalSettingsRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		a, b := env.Org("acme"), env.Org("bolt")
		clients := env.RoleClients(a, b)
		csA := approvalSchema(t, env, a, "Degree")
		approvalSchema(t, env, b, "Badge")
		sa := env.DB.Scoped(a.ID)
		reviewers := []store.Role{store.RoleReviewer}
		rule, err := sa.CreateRequirement(ctx, store.RequirementChange{SchemaID: csA.ID, RequiredSignatures: 1, ApproverRoles: reviewers, Active: true}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		flow, err := sa.CreateApprovalWorkflow(ctx, store.WorkflowChange{Name: "Degrees", Type: store.WorkflowSchemaCreation,
			Steps: []store.WorkflowStep{{ApproverRoles: reviewers, RequiredApprovals: 1}}, Active: true}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		adminA, reviewerA := memberOf(t, env, a, store.RoleAdmin), memberOf(t, env, a, store.RoleReviewer)
		del, err := sa.CreateDelegation(ctx, adminA.ID, reviewerA.ID, time.Now(), time.Now().Add(48*time.Hour), time.Now(), store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		ruleURL, flowURL := "/settings/approvals/rules/"+rule.ID, "/settings/approvals/workflows/"+flow.ID
		approvers := func(own, other int) map[string]int {
			return map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: own, webtest.AsIssuer: 403, webtest.AsReviewer: own,
				webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303, webtest.AsOtherAdmin: other}
		}
		delDelete := approvers(303, 404)
		delDelete[webtest.AsReviewer] = 404 // the admin's delegation, not theirs
		edit := workflowForm("Degrees", flow.ID, "1", "1")
		edit.Set("op", "add")
		// Organization B has no reviewer: its admin approves; A's update
		// stays a schema workflow (A's admin makes the issuance one).
		create := workflowForm("Schema review", "", "1")
		create.Set("step_0_roles", "admin")
		update := workflowForm("Degrees 2", flow.ID, "1")
		update.Set("type", "schema_creation")
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/settings/approvals", Want: webtest.AdminOnly(200, 200)},
			{Method: "POST", Path: "/settings/approvals/policy", Form: url.Values{"step_up": {"password"}, "four_eyes_revocation": {"on"}}, Want: webtest.AdminOnly(303, 303)},
			{Method: "GET", Path: "/settings/approvals/rules/new", Want: webtest.AdminOnly(200, 200)},
			// B's admin cannot name A's schema: the form says so.
			{Method: "POST", Path: "/settings/approvals/rules", Form: ruleForm(csA.ID, "1", "reviewer"), Want: webtest.AdminOnly(303, 422)},
			{Method: "GET", Path: ruleURL, Want: webtest.AdminOnly(200, 404)},
			{Method: "POST", Path: ruleURL, Form: ruleForm(csA.ID, "1", "admin"), Want: webtest.AdminOnly(303, 404)},
			{Method: "POST", Path: ruleURL + "/deactivate", Want: webtest.AdminOnly(303, 404)},
			{Method: "POST", Path: ruleURL + "/activate", Want: webtest.AdminOnly(303, 404)},
			{Method: "GET", Path: "/settings/approvals/rules/not-an-id", Want: webtest.AdminOnly(404, 404)},
			{Method: "GET", Path: "/settings/approvals/workflows/new", Want: webtest.AdminOnly(200, 200)},
			{Method: "POST", Path: "/settings/approvals/workflows/editor", Form: workflowForm("New", "", "1"), Want: webtest.AdminOnly(400, 400)},
			{Method: "POST", Path: "/settings/approvals/workflows/editor", Form: edit, Want: webtest.AdminOnly(200, 404)},
			{Method: "POST", Path: "/settings/approvals/workflows", Form: create, Want: webtest.AdminOnly(303, 303)},
			{Method: "GET", Path: flowURL, Want: webtest.AdminOnly(200, 404)},
			{Method: "POST", Path: flowURL, Form: update, Want: webtest.AdminOnly(303, 404)},
			{Method: "POST", Path: flowURL + "/deactivate", Want: webtest.AdminOnly(303, 404)},
			{Method: "POST", Path: flowURL + "/activate", Want: webtest.AdminOnly(303, 404)},
			{Method: "GET", Path: "/settings/approvals/workflows/not-an-id", Want: webtest.AdminOnly(404, 404)},
			{Method: "GET", Path: "/account/delegation", Want: approvers(200, 200)},
			{Method: "POST", Path: "/account/delegation", Form: url.Values{"delegate_id": {""}, "starts_at": {"2026-01-01T00:00"}, "ends_at": {"2026-01-02T00:00"}},
				Want: approvers(422, 422)},
			{Method: "POST", Path: "/account/delegation/" + del.ID + "/delete", Want: delDelete},
			{Method: "POST", Path: ruleURL + "/delete", Want: webtest.AdminOnly(303, 404)},
			{Method: "POST", Path: flowURL + "/delete", Want: webtest.AdminOnly(303, 404)},
		})
		// B's admin changed nothing of A's; A's admin deleted A's rule and
		// workflow; B's policy is B's.
		if _, err := sa.Requirement(ctx, rule.ID); err != store.ErrNotFound {
			t.Errorf("A's rule after its admin deleted it: %v", err)
		}
		if _, err := sa.ApprovalWorkflow(ctx, flow.ID); err != store.ErrNotFound {
			t.Errorf("A's workflow after its admin deleted it: %v", err)
		}
		if ws, _ := env.DB.Scoped(b.ID).ApprovalWorkflows(ctx); len(ws) != 1 || ws[0].WorkflowName != "Schema review" {
			t.Errorf("B's workflows: %+v", ws)
		}
		if p, _ := env.DB.Scoped(b.ID).ApprovalPolicy(ctx); !p.FourEyesRevocation || p.StepUp != store.StepUpPassword {
			t.Errorf("B's policy: %+v", p)
		}
		// The sidebar: admins see Approval rules, the other roles do not.
		for who, want := range map[string]bool{webtest.AsAdmin: true, webtest.AsIssuer: false, webtest.AsReviewer: false,
			webtest.AsVerifier: false, webtest.AsRecipient: false} {
			if got := clients[who].Get("/").Has("nav-approval-settings"); got != want {
				t.Errorf("%s: Approval rules in the sidebar %v, want %v", who, got, want)
			}
		}
	})
}

// The rule form: each refusal next to its field (422), with what was typed
// kept and nothing written; a valid rule is listed.
func TestApprovalRuleForm(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))
		env.User(store.RoleReviewer, a)
		cs := approvalSchema(t, env, a, "Degree")
		for _, c := range []struct {
			name, field, says string
			form              url.Values
		}{
			{"too few reviewers", "required", "2 approvals are required but only 1 person holds the reviewer role.", ruleForm(cs.ID, "2", "reviewer")},
			{"nobody", "roles", "Choose at least one role or person who can approve.", ruleForm(cs.ID, "1")},
			{"not a number", "required", "Enter a whole number", ruleForm(cs.ID, "two", "reviewer")},
			{"no schema", "schema_id", "Choose a credential schema.", ruleForm("", "1", "reviewer")},
			{"control character", "rule_name", "control character", func() url.Values {
				f := ruleForm(cs.ID, "1", "reviewer")
				f.Set("rule_name", "Reg\x07istrar")
				return f
			}()},
		} {
			r := cl.Htmx("POST", "/settings/approvals/rules", c.form)
			if r.Status != 422 || !r.Has("error-"+c.field) || !strings.Contains(r.Body, c.says) {
				t.Errorf("%s: %d, error on %s with %q?\n%.600s", c.name, r.Status, c.field, c.says, r.Body)
			}
			if !r.Has("form-error") || strings.Contains(r.Body, "<html") {
				t.Errorf("%s: no summary, or a whole page for htmx", c.name)
			}
		}
		if rs, _ := env.DB.Scoped(a.ID).Requirements(context.Background()); len(rs) != 0 {
			t.Fatalf("refused forms wrote %d rules", len(rs))
		}
		if r := cl.Post("/settings/approvals/rules", ruleForm(cs.ID, "2", "reviewer", "admin")); r.Status != 303 {
			t.Fatalf("valid rule: %d %.400s", r.Status, r.Body)
		}
		page := cl.Get("/settings/approvals")
		if !page.Has("rules-table") || !strings.Contains(page.Body, "2 of reviewers or admins") || page.Has("rules-empty") {
			t.Errorf("list after saving: %.2000s", page.Body)
		}
	})
}

// The step editor keeps everything typed through add, move and remove,
// and a refused save comes back with the steps as typed and the error
// next to the step's field.
func TestApprovalWorkflowStepEditor(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))
		env.User(store.RoleReviewer, a)
		env.User(store.RoleReviewer, a)
		f := workflowForm("Degrees", "", "1", "2")
		f.Set("step_0_name", "Registrar")
		f.Set("step_1_name", "Dean")
		f.Set("step_1_deadline", "48")
		f.Set("op", "down:0")
		r := cl.Htmx("POST", "/settings/approvals/workflows/editor", f)
		if r.Status != 200 || !r.Has("workflow-form") || strings.Contains(r.Body, "<html") {
			t.Fatalf("move: %d %.300s", r.Status, r.Body)
		}
		// Dean (48 h) is step 1 now, Registrar step 2, and the focus stays on
		// the moved step.
		if i, j := strings.Index(r.Body, `value="Dean"`), strings.Index(r.Body, `value="Registrar"`); i < 0 || j < 0 || i > j {
			t.Errorf("order after moving step 1 down: Dean at %d, Registrar at %d", i, j)
		}
		if !strings.Contains(r.Body, `name="step_0_deadline" type="number" value="48"`) && !strings.Contains(r.Body, `value="48"`) {
			t.Errorf("deadline lost")
		}
		f.Set("op", "add")
		if r = cl.Htmx("POST", "/settings/approvals/workflows/editor", f); !r.Has("step-2") || !strings.Contains(r.Body, `name="step_count" value="3"`) {
			t.Errorf("add: %.300s", r.Body)
		}
		f.Set("op", "remove:0")
		if r = cl.Htmx("POST", "/settings/approvals/workflows/editor", f); r.Has("step-1") || strings.Contains(r.Body, `value="Registrar"`) || !strings.Contains(r.Body, `value="Dean"`) {
			t.Errorf("remove: %.300s", r.Body)
		}
		// Without htmx the editor answers the whole page.
		if r = cl.Post("/settings/approvals/workflows/editor", f); r.Status != 200 || !r.Has("workflow-page") {
			t.Errorf("editor without htmx: %d", r.Status)
		}
		// Save with 3 of 2 reviewers in step 2: refused next to that step's field, input kept.
		f.Del("op")
		f.Set("step_1_required", "3")
		r = cl.Htmx("POST", "/settings/approvals/workflows", f)
		if r.Status != 422 || !r.Has("error-step_1_required") || !strings.Contains(r.Body, "3 approvals are required but only 2 people hold the reviewer role.") ||
			!strings.Contains(r.Body, `value="Dean"`) {
			t.Fatalf("refused save: %d %.1500s", r.Status, r.Body)
		}
		// An empty step is refused.
		f.Set("step_1_required", "1")
		f.Del("step_1_roles")
		if r = cl.Htmx("POST", "/settings/approvals/workflows", f); r.Status != 422 || !r.Has("error-step_1_roles") {
			t.Fatalf("empty step: %d", r.Status)
		}
		f.Set("step_1_roles", "reviewer")
		if r = cl.Post("/settings/approvals/workflows", f); r.Status != 303 {
			t.Fatalf("save: %d %.1500s", r.Status, r.Body)
		}
		// Saved as posted (this client does not read the editor's answers
		// back into its form, a browser does: see the browser test).
		ws, _ := env.DB.Scoped(a.ID).ApprovalWorkflows(context.Background())
		if len(ws) != 1 || len(ws[0].Steps) != 2 || ws[0].Steps[1].Name != "Dean" || ws[0].Steps[1].DeadlineHours != 48 || ws[0].Steps[0].DeadlineHours != 0 {
			t.Fatalf("saved: %+v", ws)
		}
	})
}

// An approver names a delegate; the form refuses themselves and bad
// ranges next to the field.
func TestDelegationPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		me := env.User(store.RoleReviewer, a)
		other := env.User(store.RoleReviewer, a)
		cl := env.Client()
		cl.Login(me)
		now := time.Now().UTC()
		form := func(delegate string, from, to time.Time) url.Values {
			return url.Values{"delegate_id": {delegate}, "starts_at": {from.Format("2006-01-02T15:04")}, "ends_at": {to.Format("2006-01-02T15:04")}}
		}
		for _, c := range []struct {
			name, field string
			form        url.Values
		}{
			{"self", "delegate_id", form(me.ID, now, now.Add(time.Hour))},
			{"reversed", "ends_at", form(other.ID, now.Add(2*time.Hour), now.Add(time.Hour))},
			{"bad date", "starts_at", url.Values{"delegate_id": {other.ID}, "starts_at": {"tomorrow"}, "ends_at": {"2030-01-01T00:00"}}},
		} {
			if r := cl.Htmx("POST", "/account/delegation", c.form); r.Status != 422 || !r.Has("error-"+c.field) {
				t.Errorf("%s: %d %.500s", c.name, r.Status, r.Body)
			}
		}
		if r := cl.Post("/account/delegation", form(other.ID, now.Add(-time.Minute), now.Add(24*time.Hour))); r.Status != 303 {
			t.Fatalf("valid: %d %.500s", r.Status, r.Body)
		}
		u, err := env.DB.Scoped(a.ID).ActiveDelegate(context.Background(), me.ID, now.Add(time.Hour))
		if err != nil || u == nil || u.ID != other.ID {
			t.Fatalf("active delegate: %v %v", u, err)
		}
		if page := cl.Get("/account/delegation"); !page.Has("delegations-table") || page.Has("delegations-empty") {
			t.Errorf("list: %.600s", page.Body)
		}
		// The account page links to it for approvers only.
		if !cl.Get("/account").Has("account-delegation") {
			t.Error("a reviewer's account page has no delegation link")
		}
		vcl := env.Client()
		vcl.Login(env.User(store.RoleVerifier, a))
		if vcl.Get("/account").Has("account-delegation") {
			t.Error("a verifier's account page links to a delegation page they cannot open")
		}
	})
}

// Demoting or deactivating a member whose role an active rule needs asks
// first, naming the rule; confirming goes ahead.
func TestMembersWarnBeforeRemovingNeededApprovers(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		a := env.Org("acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))
		r1, r2 := env.User(store.RoleReviewer, a), env.User(store.RoleReviewer, a)
		issuer := env.User(store.RoleIssuer, a)
		cs := approvalSchema(t, env, a, "Degree")
		if _, err := env.DB.Scoped(a.ID).CreateRequirement(ctx, store.RequirementChange{SchemaID: cs.ID, RuleName: "Registrar", RequiredSignatures: 2,
			ApproverRoles: []store.Role{store.RoleReviewer}, Active: true}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		role := func(u *store.User) store.Role {
			m, err := env.DB.Scoped(a.ID).Member(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return m.Role
		}
		r := cl.Htmx("POST", "/members/"+r1.ID+"/role", url.Values{"role": {"verifier"}})
		if r.Status != 422 || !r.Has("member-approvers-warning") ||
			!strings.Contains(r.Body, "The approval rule “Registrar” of Degree needs 2 approvals; only 1 person would be left to give them.") {
			t.Fatalf("demotion: %d %.1200s", r.Status, r.Body)
		}
		if role(r1) != store.RoleReviewer {
			t.Fatal("the role changed before the admin confirmed")
		}
		// With a request of the schema waiting, the warning counts it.
		if _, err := env.DB.Scoped(a.ID).StorePendingCredential(ctx, store.Pending{Via: store.ViaWeb, RequesterID: &issuer.ID}, &store.Credential{
			PublicID: uuid.NewString(), SchemaID: cs.ID, RecipientAddress: "grad@example.org", EncryptedData: []byte("sealed"), DataHash: new("h")},
			store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if r := cl.Htmx("POST", "/members/"+r1.ID+"/role", url.Values{"role": {"verifier"}}); r.Status != 422 ||
			!strings.Contains(r.Body, "only 1 person would be left to give them. 1 request waits for it now.") {
			t.Fatalf("demotion while a request waits: %d %.1200s", r.Status, r.Body)
		}
		// A change the rule does not care about goes through at once.
		if r := cl.Htmx("POST", "/members/"+issuer.ID+"/role", url.Values{"role": {"verifier"}}); r.Status != 200 || r.Has("member-approvers-warning") {
			t.Fatalf("unrelated change: %d", r.Status)
		}
		if r := cl.Htmx("POST", "/members/"+r1.ID+"/role", url.Values{"role": {"verifier"}, "confirm_approvers": {"yes"}}); r.Status != 200 || role(r1) != store.RoleVerifier {
			t.Fatalf("confirmed: %d", r.Status)
		}
		r = cl.Htmx("POST", "/members/"+r2.ID+"/deactivate", nil)
		if r.Status != 422 || !strings.Contains(r.Body, "nobody would be left to give them") || !r.Has("member-approvers-confirm") {
			t.Fatalf("deactivation: %d %.800s", r.Status, r.Body)
		}
		// Without JavaScript the warning is a page of its own.
		if r := cl.Post("/members/"+r2.ID+"/deactivate", nil); r.Status != 422 || !r.Has("member-warning-page") {
			t.Fatalf("deactivation without htmx: %d", r.Status)
		}
		if r := cl.Htmx("POST", "/members/"+r2.ID+"/deactivate", url.Values{"confirm_approvers": {"yes"}}); r.Status != 200 || !r.Has("status-deactivated") {
			t.Fatalf("confirmed deactivation: %d", r.Status)
		}
	})
}

// The policy form over htmx: saved in place, a step-up not offered is
// refused next to its select.
func TestApprovalPolicyForm(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))
		r := cl.Htmx("POST", "/settings/approvals/policy", url.Values{"four_eyes_suspension": {"on"}, "step_up": {"totp"}})
		if r.Status != 200 || !r.Has("policy-saved") || strings.Contains(r.Body, "<html") {
			t.Fatalf("save: %d %.400s", r.Status, r.Body)
		}
		p, err := env.DB.Scoped(a.ID).ApprovalPolicy(context.Background())
		if err != nil || p.FourEyesRevocation || !p.FourEyesSuspension || p.StepUp != store.StepUpTOTP {
			t.Fatalf("stored %+v %v", p, err)
		}
		if r := cl.Htmx("POST", "/settings/approvals/policy", url.Values{"step_up": {"sms"}}); r.Status != 422 || !r.Has("error-step_up") {
			t.Fatalf("unknown step-up: %d", r.Status)
		}
		if p2, _ := env.DB.Scoped(a.ID).ApprovalPolicy(context.Background()); p2 != p {
			t.Fatalf("a refused save changed the policy: %+v", p2)
		}
		if page := cl.Get("/settings/approvals"); !strings.Contains(page.Body, `<option value="totp" selected>`) {
			t.Errorf("the page does not show the saved step-up")
		}
	})
}
