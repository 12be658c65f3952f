package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// passwordSession signs u in (no second factor) in a fresh session.
func passwordSession(t *testing.T, tab context.Context, base string, u *store.User) {
	t.Helper()
	if err := chromedp.Do(tab,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
			return err
		}),
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#f-email`, u.Email),
		chromedp.SendKeys(`#f-password`, webtest.Password),
		chromedp.Click(testID("login-submit")),
		chromedp.WaitVisible(testID("dashboard")),
	); err != nil {
		t.Fatalf("sign in %s: %v", u.Email, err)
	}
}

// An issuer uploads a CSV for a template whose schema needs 2 reviewers'
// approvals and issues it: the batch page says it waits for approval.
// Reviewer A opens the batch's request (the batch, its rows, "open the
// sample first"), opens the sample TrustCred picked (each row as the
// credential it will be signed as) and approves the whole batch; reviewer
// B does the same: the last approval. The signing job (run here
// directly: the test app's queue works no jobs) signs every row and the
// batch page says so. Each page is looked at 390 and 1280 px wide and
// checked with axe.
func TestBrowserBatchApproval(t *testing.T) {
	tab := browsertest.Tab(t)
	env, base := webtest.Served(t, store.SQLite)
	org := env.Org("acme")
	tplID := bulkTemplate(t, env, org)
	var schemaID string
	if err := env.DB.SQL().QueryRow(storetest.Rebind(env.DB.Dialect(), "SELECT schema_id FROM credential_templates WHERE id = ?"), tplID).Scan(&schemaID); err != nil {
		t.Fatal(err)
	}
	requireApprovals(t, env, schemaID, 2)
	issuer := env.User(store.RoleIssuer, org)
	reviewers := []*store.User{env.User(store.RoleReviewer, org), env.User(store.RoleReviewer, org), env.User(store.RoleReviewer, org)}

	passwordSession(t, tab, base, issuer)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/credentials/bulk/new"),
		chromedp.WaitVisible(testID("bulk-upload-form")),
		chromedp.SetValue(`#f-template`, tplID),
		chromedp.SetValue(`#f-text`, bulkFile),
		chromedp.Click(testID("bulk-upload")),
		chromedp.WaitVisible(testID("bulk-review-page")),
		chromedp.Click(testID("bulk-issue")),
		chromedp.WaitVisible(testID("bulk-show-page")),
	); err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(tab, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatal(err)
	}
	batchID := loc[strings.LastIndex(loc, "/")+1:]
	runBatch(t, env, org, batchID)
	if err := chromedp.Do(tab, chromedp.Reload(), chromedp.WaitVisible(`[data-testid="bulk-approval"][data-status="pending"]`)); err != nil {
		t.Fatal(err)
	}
	lookTop(t, tab, "batch-approval-waiting")
	browsertest.Axe(t, tab, "batch-approval-waiting")
	st, err := env.DB.Scoped(org.ID).BatchApprovalOf(context.Background(), batchID)
	if err != nil {
		t.Fatal(err)
	}
	reqID := st.Request.ID

	for i, u := range reviewers[:2] {
		passwordSession(t, tab, base, u)
		if err := chromedp.Do(tab,
			chromedp.Navigate(base+"/approvals"),
			chromedp.WaitVisible(testID("approval-row")),
			chromedp.Navigate(base+"/approvals/"+reqID),
			chromedp.WaitVisible(testID("batch-panel")),
			chromedp.WaitVisible(testID("sample-needed")),
		); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			lookTop(t, tab, "batch-approval-request")
			browsertest.Axe(t, tab, "batch-approval-request")
		}
		if err := chromedp.Do(tab,
			chromedp.Click(testID("open-sample")),
			chromedp.WaitVisible(testID("sample-page")),
		); err != nil {
			t.Fatal(err)
		}
		body, err := chromedp.Run(tab, chromedp.Text(`main`))
		if err != nil || strings.Count(body, "Row ") < 3 || !strings.Contains(body, "Ada Lovelace") || !strings.Contains(body, "Cleo") {
			t.Fatalf("sample page: %q (%v)", body, err)
		}
		if i == 0 {
			lookTop(t, tab, "batch-approval-sample")
			browsertest.Axe(t, tab, "batch-approval-sample")
		}
		want := "More approvals are needed"
		if i == 1 {
			want = "last approval"
		}
		if err := chromedp.Do(tab,
			chromedp.Click(testID("back-to-decision")),
			chromedp.WaitVisible(testID("sample-opened")),
			chromedp.Click(testID("approve")),
			chromedp.Poll[chromedp.Void](`(document.querySelector('[data-testid="decision-message"]')?.textContent || '').includes(`+"`"+want+"`"+`) && `+settled),
		); err != nil {
			t.Fatalf("reviewer %d approves: %v", i, err)
		}
		if i == 1 {
			lookTop(t, tab, "batch-approval-decided")
		}
	}
	if done, n, err := env.Services.Approvals.SignBatch(context.Background(), org.ID, reqID, 100, 0); err != nil || !done || n != 3 {
		t.Fatalf("sign: %v %d %v", done, n, err)
	}
	passwordSession(t, tab, base, issuer)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/credentials/bulk/"+batchID),
		chromedp.WaitVisible(`[data-testid="bulk-approval"][data-status="approved"]`),
	); err != nil {
		t.Fatal(err)
	}
	signed, err := chromedp.Run(tab, chromedp.Text(testID("bulk-signed")))
	if err != nil || !strings.Contains(signed, "3 of 3 signed") {
		t.Fatalf("batch page after signing: %q (%v)", signed, err)
	}
	lookTop(t, tab, "batch-approval-signed")
	browsertest.Axe(t, tab, "batch-approval-signed")
}
