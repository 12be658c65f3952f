package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// A request under a two-step workflow, opened by a reviewer who stands in
// for an absent colleague: the page lists the steps with where the request
// waits and the step's deadline, offers to decide for the colleague, and
// approving for them completes step 1 without a reload (the steps card
// moves on, the history says "acting for"). Looked at 390 and 1280 px
// before and after; axe on the page.
func TestBrowserApprovalSteps(t *testing.T) {
	tab := browsertest.Tab(t)
	env, base := webtest.Served(t, store.SQLite)
	org := env.Org("acme")
	tpl := degreeTemplate(t, env, org)
	admin := env.User(store.RoleAdmin, org)
	away, stand := env.User(store.RoleReviewer, org), env.User(store.RoleReviewer, org)
	ctx := context.Background()
	sc := env.DB.Scoped(org.ID)
	if _, err := sc.CreateApprovalWorkflow(ctx, store.WorkflowChange{Name: "Degree issuance", Type: store.WorkflowCredentialIssuance,
		SchemaID: tpl.SchemaID, EscalationEnabled: true, EscalationTimeoutHours: 24, Active: true, Steps: []store.WorkflowStep{
			{Name: "Registrar's office", ApproverRoles: []store.Role{store.RoleReviewer}, RequiredApprovals: 1, DeadlineHours: 48},
			{Name: "Dean's office", ApproverRoles: []store.Role{store.RoleAdmin}, RequiredApprovals: 1}}}, store.Actor{UserID: &admin.ID}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := sc.CreateDelegation(ctx, away.ID, stand.ID, now.Add(-time.Minute), now.Add(7*24*time.Hour), now.Add(-2*time.Minute),
		store.Actor{UserID: &away.ID}); err != nil {
		t.Fatal(err)
	}
	reqID := pendingDegree(t, env, org, tpl, "Grace Hopper")
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`#f-email`), stand.Email),
		chromedp.SendKeys(css(`#f-password`), webtest.Password),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		chromedp.Navigate(base+"/approvals/"+reqID),
		chromedp.WaitVisible(css(`[data-testid="steps"]`)),
	); err != nil {
		t.Fatal(err)
	}
	steps, err := chromedp.Run(tab, chromedp.Text(css(`[data-testid="steps"]`)))
	if err != nil || !strings.Contains(steps, "Registrar's office") || !strings.Contains(steps, "Waiting here") ||
		!strings.Contains(steps, "Dean's office") || !strings.Contains(steps, "Deadline") {
		t.Fatalf("steps %q (%v)", steps, err)
	}
	lookTop(t, tab, "approval-steps")
	browsertest.Axe(t, tab, "approval-steps")
	if err := chromedp.Do(tab,
		chromedp.SetValue(css(`[data-testid="acting-for"]`), away.ID),
		chromedp.Click(css(`[data-testid="approve"]`)),
		chromedp.Poll[chromedp.Void](`!!document.querySelector('[data-testid="decision-message"]') && `+settled),
	); err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(tab, chromedp.Text(css(`[data-testid="decision-message"]`)))
	if err != nil || !strings.Contains(msg, "Step 1 is complete") {
		t.Fatalf("decision message %q (%v)", msg, err)
	}
	ds, err := sc.ApprovalDecisions(ctx, reqID)
	if err != nil || len(ds) != 1 || ds[0].ActingForID == nil || *ds[0].ActingForID != away.ID {
		t.Fatalf("decisions %+v (%v)", ds, err)
	}
	history, err := chromedp.Run(tab, chromedp.Text(css(`#history-card`)))
	if err != nil || !strings.Contains(history, "acting for") {
		t.Fatalf("history %q (%v)", history, err)
	}
	done, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="step"][data-state="done"]').length`))
	if err != nil || done != 1 {
		t.Fatalf("%d steps done (%v)", done, err)
	}
	lookTop(t, tab, "approval-steps-after")
}
