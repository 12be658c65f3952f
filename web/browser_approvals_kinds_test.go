package web_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// An admin makes a new schema while the organization's schema_creation
// workflow (one reviewer) is active: its page says it awaits approval and
// offers no template. A reviewer finds it in the inbox beside the
// credentials, reads its fields on its page and approves it in place; an
// issuer can then make a template of it.
func TestBrowserSchemaApproval(t *testing.T) {
	tab := browsertest.Tab(t)
	env, base := webtest.Served(t, store.SQLite)
	org := env.Org("acme")
	admin, reviewer, issuer := env.User(store.RoleAdmin, org), env.User(store.RoleReviewer, org), env.User(store.RoleIssuer, org)
	schemaWorkflow(t, env, org, 1, store.RoleReviewer)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	q := func(id string) chromedp.CSS { return css(`[data-testid="` + id + `"]`) }
	in := func(name string) chromedp.CSS { return css(`[name="` + name + `"]`) }
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
			chromedp.Click(q("login-submit")),
			chromedp.WaitVisible(q("dashboard")),
		); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	signIn(admin)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/schemas/new"),
		chromedp.WaitVisible(q("schema-builder")),
		chromedp.SendKeys(css(`#f-name`), "Short Course"),
		chromedp.SendKeys(in("f.0.name"), "course"),
		chromedp.SendKeys(in("f.0.label"), "Course title"),
		present(`[data-testid="schema-save"]`),
		chromedp.Click(q("schema-save")),
		chromedp.WaitVisible(q("schema-page")),
	); err != nil {
		t.Fatal(err)
	}
	if s := text(`[data-testid="schema-page"]`); !strings.Contains(s, "Awaiting approval") || !strings.Contains(s, "waits for your organization's reviewers") {
		t.Fatalf("the new schema's page: %q", s)
	}
	if n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="schema-new-template"]').length`)); err != nil || n != 0 {
		t.Fatalf("a waiting schema offers a template: %d %v", n, err)
	}
	browsertest.Look(t, tab, "schema-awaiting-approval")
	cs, err := env.DB.Scoped(org.ID).Schemas(context.Background())
	if err != nil || len(cs) != 1 || cs[0].ApprovalStatus != store.SchemaPendingApproval {
		t.Fatalf("stored schemas %+v %v", cs, err)
	}
	schemaID := cs[0].ID
	// Enough waiting schemas for a second page of the section.
	for i := range store.DefaultInboxPage {
		waitingSchema(t, env, org, fmt.Sprintf("Workshop %02d", i))
	}

	signIn(reviewer)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/approvals"),
		chromedp.WaitVisible(q("resource-approval-row")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Look(t, tab, "schema-approval-inbox")
	browsertest.Axe(t, tab, "schema-approval-inbox")
	// The section's pager swaps the section alone: the newest waiting
	// schema on the second page, and back.
	if err := chromedp.Do(tab,
		chromedp.Click(q("resource-approvals-older")),
		present(`[data-testid="resource-approvals-newest"]`),
	); err != nil {
		t.Fatal(err)
	}
	if s := text(`[data-testid="resource-approvals"]`); !strings.Contains(s, "Workshop 49") || strings.Contains(s, "Short Course") {
		t.Fatalf("the second page of new schemas: %q", s)
	}
	browsertest.Look(t, tab, "schema-approval-inbox-page-2")
	if err := chromedp.Do(tab,
		chromedp.Click(q("resource-approvals-newest")),
		present(`[data-testid="resource-approvals-older"]`),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab,
		chromedp.Click(q("resource-approval-link")),
		chromedp.WaitVisible(q("resource-approval-page")),
	); err != nil {
		t.Fatal(err)
	}
	if s := text(`[data-testid="resource-schema"]`); !strings.Contains(s, "Course title") {
		t.Fatalf("the schema's fields on the approval page: %q", s)
	}
	browsertest.Look(t, tab, "schema-approval-detail")
	browsertest.Axe(t, tab, "schema-approval-detail")
	if err := chromedp.Do(tab,
		present(`[data-testid="approve"]`),
		chromedp.Click(q("approve")),
		present(`[data-testid="decision-message"]`),
	); err != nil {
		t.Fatal(err)
	}
	if s := text(`[data-testid="decision-message"]`); !strings.Contains(s, "the schema is active") {
		t.Fatalf("after approving: %q", s)
	}
	browsertest.Look(t, tab, "schema-approval-decided")

	signIn(issuer)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/schemas/"+schemaID),
		chromedp.Click(q("schema-new-template")),
		chromedp.WaitVisible(q("template-form")),
		chromedp.SendKeys(css(`#f-name`), "Short Course Certificate"),
		chromedp.Click(q("template-save")),
		chromedp.WaitVisible(q("templates-table")),
	); err != nil {
		t.Fatal(err)
	}
	if s := text(`main`); !strings.Contains(s, "Short Course Certificate") {
		t.Fatalf("templates after: %q", s)
	}
}
