package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/interoptest"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// An issuer issues a degree whose schema needs 2 of 3 reviewers'
// approvals, in an organization whose approvers confirm with their
// password (step-up): the form says it was submitted for approval and its
// public page says it is awaiting approval, without its data. Reviewer A
// finds it in the inbox (the sidebar counts it and another request),
// reads the credential as it will be signed and approves it in place with
// the password; reviewer B rejects the other request (a note is required:
// told why without one, then with one) and approves this one. The
// approval job signs it (run here directly: the test app's queue works no
// jobs); the public page verifies it and shows its two signed approvals,
// and the independent verifier accepts it.
func TestBrowserApprovals(t *testing.T) {
	tab := browsertest.Tab(t)
	env, base := webtest.Served(t, store.SQLite)
	org := env.Org("acme")
	tpl := degreeTemplate(t, env, org)
	requireApprovals(t, env, tpl.SchemaID, 2)
	if _, err := env.DB.Scoped(org.ID).SaveApprovalPolicy(context.Background(), store.ApprovalPolicy{StepUp: store.StepUpPassword}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	issuer := env.User(store.RoleIssuer, org)
	var reviewers []*store.User
	for range 3 {
		reviewers = append(reviewers, env.User(store.RoleReviewer, org))
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	present := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`!!document.querySelector(` + strconv.Quote(sel) + `) && ` + settled)
	}
	signIn := func(u *store.User) {
		t.Helper()
		if err := chromedp.Do(tab,
			chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(css(`#f-email`), u.Email),
			chromedp.SendKeys(css(`#f-password`), webtest.Password),
			chromedp.Click(css(`[data-testid="login-submit"]`)),
			chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		); err != nil {
			t.Fatal(err)
		}
	}
	signOut := func() {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
			return err
		})); err != nil {
			t.Fatal(err)
		}
	}

	signIn(issuer)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/credentials/issue"),
		chromedp.WaitVisible(css(`[data-testid="issue-form"]`)),
		chromedp.SendKeys(css(`#f-recipient_name`), "Grace Hopper"),
		chromedp.SendKeys(css(`#f-recipient_address`), "grace@example.org"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[name="data.awarded"]').value = '2024-06-30'`),
		chromedp.Click(css(`[data-testid="issue-preview-button"]`)),
		chromedp.WaitVisible(css(`[data-testid="issue-preview-human"]`)),
		chromedp.Click(css(`[data-testid="issue-sign"]`)),
		chromedp.WaitVisible(css(`[data-testid="credential-page"]`)),
		present(`[data-testid="badge-pending"]`),
	); err != nil {
		t.Fatal(err)
	}
	flash, err := chromedp.Run(tab, chromedp.Text(css(`#flash`)))
	if err != nil || !strings.Contains(flash, "Submitted for approval") {
		t.Fatalf("flash %q (%v)", flash, err)
	}
	publicURL, err := chromedp.Run(tab, chromedp.Text(css(`[data-testid="credential-public-url"]`)))
	if err != nil {
		t.Fatal(err)
	}
	publicURL = strings.TrimSpace(publicURL)
	if i := strings.Index(publicURL, "/v/"); i >= 0 {
		publicURL = base + publicURL[i:]
	}
	signOut()
	ctx := context.Background()
	sc := env.DB.Scoped(org.ID)
	publicID := publicURL[strings.LastIndex(publicURL, "/")+1:]
	cred, err := sc.CredentialByPublicID(ctx, publicID)
	if err != nil {
		t.Fatal(err)
	}
	req, err := sc.ApprovalRequestFor(ctx, cred.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Another request, newer: reviewer B rejects it.
	otherReq := pendingDegree(t, env, org, tpl, "Alan Turing")

	// The public page: awaiting approval, none of the data.
	if err := chromedp.Do(tab, chromedp.Navigate(publicURL), chromedp.WaitVisible(css(`[data-testid="awaiting-page"]`))); err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(tab, chromedp.Text(css(`main`)))
	if err != nil || strings.Contains(body, "Grace Hopper") || !strings.Contains(body, "Awaiting approval") {
		t.Fatalf("public page while pending: %q (%v)", body, err)
	}
	lookTop(t, tab, "approvals-public-pending")
	browsertest.Axe(t, tab, "approvals-public-pending")

	// Reviewer A: the sidebar counts it, the inbox lists it, approve.
	signIn(reviewers[0])
	if err := chromedp.Do(tab,
		chromedp.Poll[chromedp.Void](`(document.querySelector('[data-testid="nav-approvals-count"]:not([hidden])')?.textContent || '').trim().startsWith('2')`),
		chromedp.Click(css(`[data-testid="nav-approvals"]:not([hidden])`), chromedp.NodeVisible),
		chromedp.WaitVisible(css(`[data-testid="approval-row"]`)),
	); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "approvals-inbox")
	browsertest.Axe(t, tab, "approvals-inbox")
	if err := chromedp.Do(tab,
		chromedp.Click(css(`[data-testid="approval-link"]`)),
		chromedp.WaitVisible(css(`[data-testid="approval-page"]`)),
	); err != nil {
		t.Fatal(err)
	}
	human, err := chromedp.Run(tab, chromedp.Text(css(`[data-testid="credential-human"]`)))
	if err != nil || !strings.Contains(human, "Grace Hopper") || !strings.Contains(human, "Physics") {
		t.Fatalf("credential as it will be signed: %q (%v)", human, err)
	}
	lookTop(t, tab, "approvals-detail")
	browsertest.Axe(t, tab, "approvals-detail")
	if err := chromedp.Do(tab,
		chromedp.SendKeys(css(`#f-step_up_password`), "not my password"),
		chromedp.Click(css(`[data-testid="approve"]`)),
		present(`[data-testid="error-step_up_password"]`),
	); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "approvals-step-up-refused")
	if err := chromedp.Do(tab,
		chromedp.SetValue(css(`#f-step_up_password`), webtest.Password),
		chromedp.Click(css(`[data-testid="approve"]`)),
		present(`[data-testid="decision-message"]`),
	); err != nil {
		t.Fatal(err)
	}
	msg, _ := chromedp.Run(tab, chromedp.Text(css(`[data-testid="decision-message"]`)))
	if !strings.Contains(msg, "More approvals are needed") {
		t.Fatalf("after the first approval: %q", msg)
	}
	// The request card and the history are brought up to date in place
	// (out of band), not added beside the decision.
	cards, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelectorAll('#request-card').length + '/' + document.querySelectorAll('#history-card').length + ' ' + document.querySelector('[data-testid="rules"]').textContent.trim()`))
	if !strings.HasPrefix(cards, "1/1 ") || !strings.Contains(cards, "1 of 2") {
		t.Errorf("after the decision: request cards/histories %q", cards)
	}
	lookTop(t, tab, "approvals-decided")
	signOut()

	// Reviewer B: rejects the other request (a note is required), then
	// approves this one.
	signIn(reviewers[1])
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/approvals"),
		chromedp.WaitVisible(css(`[data-testid="approval-row"][data-id="`+otherReq+`"] [data-testid="approval-link"]`)),
		chromedp.Click(css(`[data-testid="approval-row"][data-id="`+otherReq+`"] [data-testid="approval-link"]`)),
		chromedp.WaitVisible(css(`[data-testid="reject"]`)),
		chromedp.Click(css(`[data-testid="reject"]`)),
		present(`[data-testid="note-error"]`),
	); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "approvals-note-required")
	if err := chromedp.Do(tab,
		chromedp.SendKeys(css(`#f-note`), "The graduation year is wrong: see the registrar's file."),
		chromedp.Click(css(`[data-testid="reject"]`)),
		present(`[data-testid="decision-message"]`),
	); err != nil {
		t.Fatal(err)
	}
	msg, _ = chromedp.Run(tab, chromedp.Text(css(`[data-testid="decision-message"]`)))
	if !strings.Contains(msg, "Rejected") {
		t.Fatalf("after the rejection: %q", msg)
	}
	history, _ := chromedp.Run(tab, chromedp.Text(css(`main`)))
	if !strings.Contains(history, "The graduation year is wrong") {
		t.Errorf("the rejection's note is not in the history: %q", history)
	}
	lookTop(t, tab, "approvals-rejected")
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/approvals/"+req.ID),
		chromedp.WaitVisible(css(`#f-step_up_password`)),
		chromedp.SendKeys(css(`#f-step_up_password`), webtest.Password),
		chromedp.Click(css(`[data-testid="approve"]`)),
		present(`[data-testid="decision-message"]`),
	); err != nil {
		t.Fatal(err)
	}
	msg, _ = chromedp.Run(tab, chromedp.Text(css(`[data-testid="decision-message"]`)))
	if !strings.Contains(msg, "last approval") {
		t.Fatalf("after the second approval: %q", msg)
	}

	// The signing job.
	page, err := sc.ApprovalInbox(ctx, store.InboxFilter{}, store.InboxPage{})
	if err != nil || len(page.Entries) != 0 {
		t.Fatalf("inbox after approval: %+v %v", page, err)
	}
	if r, err := sc.ApprovalRequest(ctx, otherReq); err != nil || r.Status != store.RequestRejected {
		t.Fatalf("the other request: %+v %v", r, err)
	}
	issued, err := env.Services.Approvals.Sign(ctx, org.ID, req.ID)
	if err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(tab, chromedp.Navigate(publicURL), chromedp.WaitVisible(css(`[data-testid="approvals"]`))); err != nil {
		t.Fatal(err)
	}
	summary, _ := chromedp.Run(tab, chromedp.Text(css(`[data-testid="approvals-summary"]`)))
	verdict, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('[data-testid="verdict"]').dataset.verdict`))
	if verdict != "valid" || !strings.Contains(summary, "Approved by 2 of 3 eligible reviewers") {
		t.Fatalf("verified page: verdict %q, %q", verdict, summary)
	}
	lookTop(t, tab, "approvals-public-signed")
	browsertest.Axe(t, tab, "approvals-public-signed")

	doc, err := vc.ParseJSON(issued.JSON)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range interoptest.VerifyJSON(t, []any{doc}, "--resolve-base", base, "--map", base+"/="+base+"/") {
		if !r.Verified {
			t.Errorf("the independent verifier refuses the approved credential: %v", r.Errors)
		}
	}
}

// Four eyes in the browser: an admin revokes from the credential's page
// and is told it was sent for approval (the credential stays active; the
// page says what waits, with Withdraw); under a password step-up a
// reviewer finds the revocation at the top of the inbox, rejects nothing
// without a note (told why next to it), is refused with a wrong password
// (told next to the field), then approves it in place: the section says
// it is revoked, and the credential's page agrees.
func TestBrowserFourEyes(t *testing.T) {
	tab := browsertest.Tab(t)
	env, base := webtest.Served(t, store.SQLite)
	org := env.Org("acme")
	fourEyes(t, env, org)
	tpl := degreeTemplate(t, env, org)
	c := issueDegree(t, env, org, tpl, "Katherine Johnson", "katherine@example.org")
	admin, reviewer := env.User(store.RoleAdmin, org), env.User(store.RoleReviewer, org)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	present := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`!!document.querySelector(` + strconv.Quote(sel) + `) && ` + settled)
	}
	signIn := func(u *store.User) {
		t.Helper()
		if err := chromedp.Do(tab,
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
				return err
			}),
			chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(css(`#f-email`), u.Email),
			chromedp.SendKeys(css(`#f-password`), webtest.Password),
			chromedp.Click(css(`[data-testid="login-submit"]`)),
			chromedp.WaitVisible(css(`[data-testid="dashboard"]`)),
		); err != nil {
			t.Fatal(err)
		}
	}

	signIn(admin)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/credentials/"+c.ID+"/revoke"),
		chromedp.WaitVisible(css(`#f-reason`)),
		chromedp.SendKeys(css(`#f-reason`), "Issued to the wrong person"),
		chromedp.Click(css(`[data-testid="credential-confirm-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="credential-page"]`)),
	); err != nil {
		t.Fatal(err)
	}
	flash, _ := chromedp.Run(tab, chromedp.Text(css(`#flash`)))
	if !strings.Contains(flash, "Sent for approval") || credentialStatus(t, env, org, c.ID) != store.CredentialActive {
		t.Fatalf("after the revocation request: flash %q, status %s", flash, credentialStatus(t, env, org, c.ID))
	}
	// The requester's credential page says what waits, with Withdraw.
	if err := chromedp.Do(tab, present(`[data-testid="status-change-withdraw"]`)); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "four-eyes-waiting")
	browsertest.Axe(t, tab, "four-eyes-waiting")
	// Approving asks for the password from here on.
	if _, err := env.DB.Scoped(org.ID).SaveApprovalPolicy(context.Background(),
		store.ApprovalPolicy{FourEyesRevocation: true, FourEyesSuspension: true, StepUp: store.StepUpPassword}, store.Actor{}); err != nil {
		t.Fatal(err)
	}

	signIn(reviewer)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/approvals"),
		chromedp.WaitVisible(css(`[data-testid="status-change-row"]`)),
	); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "four-eyes-inbox")
	browsertest.Axe(t, tab, "four-eyes-inbox")
	if err := chromedp.Do(tab,
		chromedp.Click(css(`[data-testid="status-change-reject"]`)),
		present(`[data-testid="status-change-note-error"]`),
	); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "four-eyes-note-required")
	if err := chromedp.Do(tab,
		chromedp.SendKeys(css(`[data-testid="status-change-step-up"]`), "not my password"),
		chromedp.Click(css(`[data-testid="status-change-approve"]`)),
		present(`[data-testid="status-change-step-up-error"]`),
	); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "four-eyes-step-up-refused")
	browsertest.Axe(t, tab, "four-eyes-step-up-refused")
	if err := chromedp.Do(tab,
		chromedp.SendKeys(css(`[data-testid="status-change-step-up"]`), webtest.Password),
		chromedp.Click(css(`[data-testid="status-change-approve"]`)),
		present(`[data-testid="status-change-notice"]`),
	); err != nil {
		t.Fatal(err)
	}
	notice, _ := chromedp.Run(tab, chromedp.Text(css(`[data-testid="status-change-notice"]`)))
	if !strings.Contains(notice, "the credential is revoked") || credentialStatus(t, env, org, c.ID) != store.CredentialRevoked {
		t.Fatalf("after the approval: %q, status %s", notice, credentialStatus(t, env, org, c.ID))
	}
	lookTop(t, tab, "four-eyes-approved")
}
