package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// An org admin opens the approval settings from the sidebar, starts a
// workflow, adds steps with the step editor (the new step's name field
// takes the focus), moves the last one up, removes one, saves with an
// empty step and gets the error next to it with everything typed still
// there, fixes it and saves: the workflow is stored with its steps in the
// order shown.
func TestBrowserApprovalWorkflowStepEditor(t *testing.T) {
	tab := browsertest.Tab(t)
	env, base := webtest.Served(t, store.SQLite)
	org := env.Org("acme")
	admin := env.User(store.RoleAdmin, org)
	for range 3 {
		env.User(store.RoleReviewer, org)
	}
	cs := approvalSchema(t, env, org, "Bachelor of Science")
	if _, err := env.DB.Scoped(org.ID).CreateRequirement(context.Background(), store.RequirementChange{SchemaID: cs.ID, RuleName: "Registrar's office",
		RequiredSignatures: 2, ApproverRoles: []store.Role{store.RoleReviewer, store.RoleAdmin}, Active: true}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	q := func(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), webtest.Password),
		chromedp.Click(q("login-submit")),
		chromedp.WaitVisible(q("dashboard")),
		chromedp.Click(chromedp.CSS(`[data-testid="nav-approval-settings"]:not([hidden])`), chromedp.NodeVisible),
		chromedp.WaitVisible(q("approval-settings-page")),
		chromedp.WaitVisible(q("workflows-empty")),
	); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "approval-settings")
	browsertest.Axe(t, tab, "approval-settings")

	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`[data-testid="workflows-empty"] [data-testid="empty-action"]`)),
		chromedp.WaitVisible(q("workflow-form")),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Degree issuance"),
		chromedp.SendKeys(chromedp.CSS(`#f-step_0_name`), "Registrar"),
		chromedp.SetValue(chromedp.CSS(`#f-step_0_required`), "2"),
		chromedp.Click(q("step-add")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "step 2 added, its name focused", `document.activeElement && document.activeElement.id === "f-step_1_name"`)
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.CSS(`#f-step_1_name`), "Dean"),
		chromedp.Click(chromedp.CSS(`input[name="step_1_roles"][value="admin"]`)),
		chromedp.Click(q("step-add")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "step 3 added, its name focused", `document.activeElement && document.activeElement.id === "f-step_2_name"`)
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS(`#f-step_2_name`), "Provost")); err != nil {
		t.Fatal(err)
	}
	// What was typed survived both additions.
	names := `[...document.querySelectorAll('input[name$="_name"][name^="step_"]')].map(e => e.value).join(",")`
	browsertest.Wait(t, tab, "three steps as typed", names+` === "Registrar,Dean,Provost" && document.getElementById("f-name").value === "Degree issuance"`+
		` && document.getElementById("f-step_0_required").value === "2" && document.querySelector('input[name="step_1_roles"][value="admin"]').checked`)
	lookTop(t, tab, "workflow-three-steps")

	// Provost moves up above the Dean; the focus stays on its Move up button.
	if err := chromedp.Do(tab, clickTestID("step-2-up")); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "Provost moved up", names+` === "Registrar,Provost,Dean" && document.activeElement.id === "step-1-up"`+
		` && document.querySelector('input[name="step_2_roles"][value="admin"]').checked`)
	// Remove the Dean (now last).
	if err := chromedp.Do(tab, clickTestID("step-2-remove")); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "Dean removed", names+` === "Registrar,Provost" && document.querySelector('input[name="step_count"]').value === "2"`)

	// Provost's step has nobody who can approve: refused next to it, with
	// everything typed kept.
	if err := chromedp.Do(tab, clickTestID("workflow-save")); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "empty step refused", `!!document.querySelector('[data-testid="error-step_1_roles"]') && !!document.querySelector('[data-testid="form-error"]')`)
	browsertest.Wait(t, tab, "input kept after the refusal", names+` === "Registrar,Provost" && document.getElementById("f-name").value === "Degree issuance"`+
		` && document.getElementById("f-step_0_required").value === "2"`)
	lookTop(t, tab, "workflow-refused")
	browsertest.Axe(t, tab, "workflow-refused")

	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`input[name="step_1_roles"][value="reviewer"]`)),
		clickTestID("workflow-save"),
		chromedp.WaitVisible(q("workflows-table")),
	); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "approval-settings-saved")
	ws, err := env.DB.Scoped(org.ID).ApprovalWorkflows(context.Background())
	if err != nil || len(ws) != 1 {
		t.Fatalf("workflows: %v %+v", err, ws)
	}
	w := ws[0]
	if w.WorkflowName != "Degree issuance" || len(w.Steps) != 2 || w.Steps[0].Name != "Registrar" || w.Steps[0].RequiredApprovals != 2 ||
		w.Steps[1].Name != "Provost" || len(w.Steps[1].ApproverRoles) != 1 || w.Steps[1].ApproverRoles[0] != store.RoleReviewer || !w.Active {
		t.Fatalf("saved %+v", w)
	}
}

// The other approval pages as a person sees them: a refused rule (the
// error next to the approvals field), an approver's delegation page, and
// the members page's warning before demoting a reviewer a rule needs,
// confirmed in place.
func TestBrowserApprovalRuleDelegationAndMembersWarning(t *testing.T) {
	tab := browsertest.Tab(t)
	env, base := webtest.Served(t, store.SQLite)
	org := env.Org("acme")
	admin := env.User(store.RoleAdmin, org)
	r1 := env.User(store.RoleReviewer, org)
	env.User(store.RoleReviewer, org)
	approvalSchema(t, env, org, "Bachelor of Science")
	q := func(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), webtest.Password),
		chromedp.Click(q("login-submit")),
		chromedp.WaitVisible(q("dashboard")),
		chromedp.Navigate(base+"/settings/approvals"),
		chromedp.Click(chromedp.CSS(`[data-testid="rules-empty"] [data-testid="empty-action"]`)),
		chromedp.WaitVisible(q("rule-form")),
	); err != nil {
		t.Fatal(err)
	}
	// Pick the schema, ask for 3 of the 2 reviewers.
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("f-schema_id").selectedIndex = 1`),
		chromedp.SendKeys(chromedp.CSS(`#f-rule_name`), "Registrar's office"),
		chromedp.SetValue(chromedp.CSS(`#f-required`), "3"),
		chromedp.Click(q("rule-save")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "too few reviewers refused", `(document.querySelector('[data-testid="error-required"]') || {}).textContent === "3 approvals are required but only 2 people hold the reviewer role."`+
		` && document.getElementById("f-rule_name").value === "Registrar's office"`)
	lookTop(t, tab, "rule-refused")
	browsertest.Axe(t, tab, "rule-refused")
	if err := chromedp.Do(tab,
		chromedp.SetValue(chromedp.CSS(`#f-required`), "2"),
		chromedp.Click(q("rule-save")),
		chromedp.WaitVisible(q("rules-table")),
		chromedp.Navigate(base+"/account/delegation"),
		chromedp.WaitVisible(q("delegation-form")),
	); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "delegation")
	browsertest.Axe(t, tab, "delegation")

	// Demote the first reviewer: the row warns, the role stays until confirmed.
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/members"),
		chromedp.WaitVisible(chromedp.CSS(`#role-`+r1.ID)),
		chromedp.SetValue(chromedp.CSS(`#role-`+r1.ID), "verifier"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("role-`+r1.ID+`").dispatchEvent(new Event("change", {bubbles: true}))`),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the warning in the row", `!!document.querySelector('#member-`+r1.ID+` [data-testid="member-approvers-warning"]')`)
	lookTop(t, tab, "members-approvers-warning")
	browsertest.Axe(t, tab, "members-approvers-warning")
	if m, _ := env.DB.Scoped(org.ID).Member(context.Background(), r1.ID); m.Role != store.RoleReviewer {
		t.Fatalf("role changed before confirmation: %s", m.Role)
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`#member-`+r1.ID+` [data-testid="member-approvers-confirm"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "changed after confirming", `!!document.querySelector('#member-`+r1.ID+` [data-testid="member-notice"]') && !document.querySelector('#member-`+r1.ID+` [data-testid="member-approvers-warning"]')`)
	if m, _ := env.DB.Scoped(org.ID).Member(context.Background(), r1.ID); m.Role != store.RoleVerifier {
		t.Fatalf("role after confirmation: %s", m.Role)
	}
}

// clickTestID clicks the element with that data-testid through the DOM
// rather than at its coordinates: a step editor's swap focuses a button
// (autofocus) and may scroll the page between chromedp's measuring the
// element and its mouse event, which then lands beside it and does nothing
// (the flake where the refusal never came). The button still goes through
// htmx's own click handling.
func clickTestID(id string) chromedp.Action[chromedp.Void] {
	click := chromedp.Evaluate[any](`document.querySelector('[data-testid="` + id + `"]').click()`)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := click(ctx, t)
		return chromedp.Void{}, err
	}
}
