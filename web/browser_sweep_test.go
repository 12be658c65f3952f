package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webhook"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// What the width sweep does not open, and why: partials that htmx swaps
// into a page, downloads, redirects, and pages that need a token or a
// state the demo does not have.
var sweepSkips = map[string]string{
	"/notifications/count":                   "htmx partial",
	"/notifications/latest":                  "htmx partial",
	"/notifications/:id/open":                "redirect to the notification's page",
	"/credentials/bulk/:id/progress":         "htmx partial",
	"/credentials/bulk/template.csv":         "download",
	"/credentials/bulk/:id/results.csv":      "download",
	"/credentials/bulk/:id/zip":              "htmx partial",
	"/credentials/bulk/:id/certificates.zip": "download",
	"/credentials/:id/credential.json":       "download",
	"/credentials/:id/certificate.pdf":       "download",
	"/schemas/:id/schema.json":               "download",
	"/account/mfa/qr.png":                    "image",
	"/brand/:org/:file":                      "an organization's stylesheet or script, not a page",
	"/brand-assets/:org/:name":               "an organization's image (favicon, image library), not a page",
	"/admin/organizations/:id":               "htmx partial: one row of the console",
	"/credentials/bulk/:id":                  "no batch in the demo data",
	"/credentials/bulk/:id/review":           "no batch in the demo data",
	"/approvals/:id/sample":                  "no batch waiting for approval in the demo data (TestBrowserBatchApproval opens it)",
	"/admin/organizations/:id/suspend":       "",
	"/admin/organizations/:id/revoke":        "",
	"/credentials/:id/revoke":                "",
	"/credentials/:id/suspend":               "",
	"/credentials/:id/unsuspend":             "",
}

// What the width sweep does not open signed out, and why: documents,
// images and partials, and pages that need a token or a state the demo
// does not have.
var publicSkips = map[string]string{
	"/healthz":               "not a page",
	"/readyz":                "not a page",
	"/status":                "JSON",
	"/static/*":              "files",
	"/orgs/:slug/logo":       "image",
	"/orgs/:slug/did.json":   "JSON",
	"/status-lists/:id":      "JSON",
	"/ns/credentials/v1":     "JSON-LD context",
	"/v/:id/credential.json": "JSON",
	"/v/:id/qr.:format":      "image",
	"/v/:id/certificate.pdf": "PDF",
	"/register/slug":         "htmx partial: the address check",
	"/setup":                 "only before the first account: the demo has accounts (redirects to /login)",
	"/login/mfa":             "needs a sign-in half done (TestBrowserMFALoginAndSessionRevoke opens it)",
	"/password/reset/:token": "needs a token mailed to a person",
	"/invitations/:token":    "needs a token mailed to a person (TestBrowserMembersAndInvitation opens one)",
	"/confirm-email/:token":  "needs a token mailed to a person",
}

// Every public page signed out, then every staff page, opened by every role that may open it, with the demo
// data, at 390, 820, 1280 and 1920 px: none scrolls sideways. The page
// list is the route table's GET routes behind a session guard; a new one
// fails the test until it is listed here or skipped with a reason.
func TestBrowserWidthSweep(t *testing.T) {
	env, base, accounts := demoServed(t)
	orgID := scalar[string](t, env, "SELECT id FROM organizations WHERE slug = ?", "northfield")
	one := func(q string, args ...any) string { t.Helper(); return scalar[string](t, env, q, args...) }
	credID := one("SELECT id FROM credentials WHERE issuer_id = ? AND status = 'active' LIMIT 1", orgID)
	suspendedID := one("SELECT id FROM credentials WHERE issuer_id = ? AND status = 'suspended' LIMIT 1", orgID)
	ids := map[string]string{
		"/credentials/:id":                 credID,
		"/credentials/:id/revoke":          credID,
		"/credentials/:id/suspend":         credID,
		"/credentials/:id/unsuspend":       suspendedID,
		"/schemas/:id":                     one("SELECT id FROM credential_schemas WHERE organization_id = ? LIMIT 1", orgID),
		"/schemas/:id/edit":                one("SELECT id FROM credential_schemas WHERE organization_id = ? LIMIT 1", orgID),
		"/templates/:id/edit":              one("SELECT id FROM credential_templates WHERE organization_id = ? LIMIT 1", orgID),
		"/templates/:id/publish":           one("SELECT id FROM credential_templates WHERE organization_id = ? LIMIT 1", orgID),
		"/marketplace/:id":                 one("SELECT template_id FROM marketplace_listings WHERE organization_id = ? ORDER BY rating_count DESC LIMIT 1", orgID), // one with reviews
		"/admin/organizations/:id/suspend": orgID,
		"/admin/organizations/:id/revoke":  orgID,
	}
	ids["/templates/:id/update"] = sweepTemplateUpdate(t, env, orgID)
	ids["/settings/fields/:id"] = one("SELECT id FROM custom_fields WHERE organization_id = ? LIMIT 1", orgID)
	hookID, deliveryID := sweepWebhook(t, env, orgID)
	ids["/settings/webhooks/:id"], ids["/settings/webhooks/:id/deliveries"] = hookID, hookID
	// The demo's degree rule and its issuance workflow.
	ids["/settings/approvals/rules/:id"] = one("SELECT multisig_requirements.id FROM multisig_requirements JOIN credential_schemas ON credential_schemas.id = multisig_requirements.schema_id WHERE credential_schemas.organization_id = ? LIMIT 1", orgID)
	ids["/settings/designs/:id"] = one("SELECT id FROM custom_credential_templates WHERE organization_id = ? LIMIT 1", orgID)
	ids["/approvals/:id"] = one("SELECT id FROM approval_requests WHERE organization_id = ? AND status = 'pending' LIMIT 1", orgID)
	ids["/approvals/resources/:id"] = sweepSchemaApproval(t, env, orgID)
	ids["/settings/approvals/workflows/:id"] = one("SELECT id FROM approval_workflows WHERE organization_id = ? AND workflow_type = 'credential_issuance' LIMIT 1", orgID)
	// Two ids: the whole path.
	ids["/settings/webhooks/:id/deliveries/:deliveryId"] = "/settings/webhooks/" + hookID + "/deliveries/" + deliveryID
	// The sweep leaves out what a role cannot open: the demo's admin must
	// open these, or they would be left out unnoticed.
	admin := env.Client()
	admin.Get("/login")
	admin.Post("/login", url.Values{"email": {"admin@northfield.edu"}, "password": {accounts["admin@northfield.edu"].Password}})
	for _, p := range []string{"/settings/webhooks/" + hookID, "/settings/webhooks/" + hookID + "/deliveries", ids["/settings/webhooks/:id/deliveries/:deliveryId"]} {
		if r := admin.Get(p); r.Status != 200 {
			t.Errorf("the demo admin gets %d for %s", r.Status, p)
		}
	}
	// The staff pages: GET routes registered after the session middleware,
	// less the public ones anyone opens signed out.
	public := []string{"/", "/setup", "/login", "/login/mfa", "/password/forgot", "/password/reset/:token",
		"/invitations/:token", "/register", "/register/slug", "/confirm-email/:token", "/orgs/:slug"}
	var pages []string
	for _, r := range env.App.GetRoutes(true) {
		if r.Method != "GET" || slices.Contains(public, r.Path) || !staffPath(r.Path) {
			continue
		}
		if why, ok := sweepSkips[r.Path]; ok && why != "" {
			continue
		}
		p := r.Path
		if strings.Contains(p, ":") {
			id, ok := ids[p]
			if !ok {
				t.Errorf("GET %s: a staff page the width sweep does not open: give it an id or a reason in sweepSkips", p)
				continue
			}
			if strings.HasPrefix(id, "/") {
				p = id
			} else {
				p = regexp.MustCompile(`:[a-z]+`).ReplaceAllString(p, id)
			}
		}
		pages = append(pages, p)
	}
	pages = append([]string{"/"}, pages...) // the dashboard, or a role's home
	pages = append(pages, "/verify")        // public, in the staff shell when signed in

	tab := browsertest.Tab(t)
	// The public pages, signed out, first: the tab has no session yet.
	slug := one("SELECT slug FROM organizations WHERE id = ?", orgID)
	revokedID := one("SELECT public_id FROM credentials WHERE issuer_id = ? AND status = 'revoked' LIMIT 1", orgID)
	publicIDs := map[string]string{"/v/:id": one("SELECT public_id FROM credentials WHERE id = ?", credID), "/orgs/:slug": slug}
	var open []string
	for _, r := range env.App.GetRoutes(true) {
		if r.Method != "GET" || (staffPath(r.Path) && !slices.Contains(public, r.Path)) || slices.Contains(open, r.Path) {
			continue
		}
		if _, ok := publicSkips[r.Path]; ok || strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		p := r.Path
		if strings.Contains(p, ":") {
			id, ok := publicIDs[p]
			if !ok {
				t.Errorf("GET %s: a public page the width sweep does not open: give it an id or a reason in publicSkips", p)
				continue
			}
			p = regexp.MustCompile(`:[a-z]+`).ReplaceAllString(p, id)
		}
		open = append(open, p)
	}
	open = append(open, "/v/"+revokedID) // a revoked credential's verdict
	for _, p := range open {
		if err := chromedp.Do(tab, chromedp.Navigate(base+p)); err != nil {
			t.Fatalf("signed out: GET %s: %v", p, err)
		}
		sweepLook(t, tab, "sweep-public"+strings.ReplaceAll(p, "/", "_"))
	}

	for _, email := range []string{"operator@trustcred.example", "admin@northfield.edu", "issuer@northfield.edu",
		"reviewer@northfield.edu", "hr@acme-hiring.example", "sam.student@northfield.edu"} {
		a := accounts[email]
		// Which pages this role may open: asked of the server first, so
		// that the browser only looks at pages, not at refusals.
		cl := env.Client()
		cl.Get("/login")
		if r := cl.Post("/login", url.Values{"email": {a.Email}, "password": {a.Password}}); r.Status != 303 {
			t.Fatalf("sign in as %s: %d", email, r.Status)
		}
		signIn(t, tab, base, a)
		for _, p := range pages {
			if r := cl.Get(p); r.Status != 200 {
				continue
			}
			if err := chromedp.Do(tab, chromedp.Navigate(base+p)); err != nil {
				t.Fatalf("%s: GET %s: %v", a.Role, p, err)
			}
			sweepLook(t, tab, "sweep-"+string(a.Role)+strings.ReplaceAll(p, "/", "_"))
		}
	}
}

// sweepLook is browsertest.Look at AllWidths and at 1024 px (where the
// sidebar appears and leaves the page the least room): any element that
// sticks out at any width fails, and names itself, and so do interactive
// elements drawn over one another.
func sweepLook(t *testing.T, tab context.Context, name string) {
	t.Helper()
	for _, w := range sweepWidths {
		if err := chromedp.Do(tab, chromedp.EmulateViewport(int64(w), 900)); err != nil {
			t.Fatalf("%s at %d px: %v", name, w, err)
		}
		browsertest.Wait(t, tab, name+" laid out at "+strconv.Itoa(w)+" px", `document.readyState === "complete"`)
		overflow, culprit, err := browsertest.Sideways(tab)
		switch {
		case err != nil:
			t.Fatalf("%s at %d px: %v", name, w, err)
		case overflow > 0:
			t.Errorf("%s at %d px scrolls sideways by %d px: %s", name, w, overflow, culprit)
		}
		over, err := browsertest.Overlapping(tab)
		if err != nil {
			t.Fatalf("%s at %d px: %v", name, w, err)
		}
		for _, o := range over {
			t.Errorf("%s at %d px: %s", name, w, o)
		}
	}
}

var sweepWidths = []int{390, 820, 1024, 1280, 1920}

// staffPath reports whether a route is a page behind the session: not the
// API, the static files, the public verification pages or the protocol's
// documents.
func staffPath(p string) bool {
	for _, prefix := range []string{"/api/", "/static/", "/v/", "/verify", "/status", "/healthz", "/readyz", "/ns/", "/orgs/", "/status-lists/"} {
		if strings.HasPrefix(p, prefix) {
			return false
		}
	}
	return true
}

// sweepWebhook gives the demo organization a webhook with a long URL and
// one failed attempt with long values (the demo data has none), so that the
// sweep opens the webhook's pages; it returns their ids.
func sweepWebhook(t *testing.T, env *webtest.Env, orgID string) (string, string) {
	t.Helper()
	ctx := context.Background()
	sc := env.DB.Scoped(orgID)
	h, _, err := env.Services.Webhooks.Create(ctx, sc, webhook.Settings{Name: "Student information system (registrar's office)",
		URL:    "https://sis.northfield.example.edu/integrations/trustcred/webhooks/receive-events-" + strings.Repeat("x", 80),
		Events: []string{"credential.issued", "credential.revoked", "member.joined"}, Active: true}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	status, ms, msg := 500, 1234, "HTTP 500: "+strings.Repeat("upstream-connect-error-", 10)
	answer := `{"error":"` + strings.Repeat("a-long-unbroken-token-", 40) + `"}`
	d := &store.WebhookDelivery{WebhookID: h.ID, EventType: "credential.issued", EventID: "evt_01a00000-0000-7000-8000-000000000001",
		Cause: store.CauseEvent, CreatedAt: time.Now(), ResponseStatus: &status, ResponseBody: &answer, DeliveryTimeMs: &ms, ErrorMessage: &msg,
		Payload: datatypes.NewJSONType(store.WebhookPayload{Type: "credential.issued", Version: 1, Timestamp: time.Now(),
			Data: json.RawMessage(`{"credential":{"verify_url":"https://northfield.example.edu/v/` + strings.Repeat("0123456789", 12) + `"}}`)}),
		RequestHeaders: datatypes.NewJSONType(map[string]string{"Webhook-Signature": "v1," + strings.Repeat("A", 44) + " v1," + strings.Repeat("B", 44)})}
	if _, err := sc.RecordWebhookAttempt(ctx, d); err != nil {
		t.Fatal(err)
	}
	return h.ID, d.ID
}

// sweepSchemaApproval has the demo organization's reviewers approve new
// schemas (a schema_creation workflow) and makes one with a long name and
// many fields wait (the demo data has none): its request's id.
func sweepSchemaApproval(t *testing.T, env *webtest.Env, orgID string) string {
	t.Helper()
	ctx := context.Background()
	sc := env.DB.Scoped(orgID)
	if _, err := sc.CreateApprovalWorkflow(ctx, store.WorkflowChange{Name: "New schemas", Type: store.WorkflowSchemaCreation,
		Steps: []store.WorkflowStep{{Name: "Registrar's office review of new credential schemas", ApproverRoles: []store.Role{store.RoleReviewer},
			RequiredApprovals: 1}}, Active: true}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	var fields []store.SchemaField
	for _, n := range []string{"programme", "specialisation", "honours_classification", "thesis_title", "graduation_date"} {
		fields = append(fields, store.SchemaField{Name: n, Label: strings.ReplaceAll(n, "_", " "), Type: store.SchemaFieldText, Required: true,
			Description: "As printed on the " + strings.Repeat("official ", 8) + "transcript"})
	}
	cs, err := sc.CreateSchema(ctx, store.SchemaChange{Name: "Postgraduate research degree with industrial placement", Version: "2026.1",
		Fields: fields, Definition: json.RawMessage(`{}`)}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	req, err := sc.ResourceApprovalFor(ctx, store.KindSchema, cs.ID)
	if err != nil {
		t.Fatal(err)
	}
	return req.ID
}

// sweepTemplateUpdate has the demo organization adopt another
// organization's listed template whose publisher then lists a new version
// (the demo data has no adoption): the copy's update page has a diff.
func sweepTemplateUpdate(t *testing.T, env *webtest.Env, orgID string) string {
	t.Helper()
	ctx := context.Background()
	var src struct{ TemplateID, OrganizationID string }
	if err := env.DB.SQL().QueryRow("SELECT template_id, organization_id FROM marketplace_listings WHERE organization_id <> ? LIMIT 1", orgID).
		Scan(&src.TemplateID, &src.OrganizationID); err != nil {
		t.Fatal(err)
	}
	cp, err := env.DB.Scoped(orgID).AdoptTemplate(ctx, src.TemplateID, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	sp := env.DB.Scoped(src.OrganizationID)
	tpl, err := sp.Template(ctx, src.TemplateID)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err = sp.UpdateTemplate(ctx, tpl.ID, store.TemplateChange{Name: tpl.Name, SchemaID: tpl.SchemaID, Data: tpl.TemplateData.Data(),
		Description: "Awarded on completion of the course and its assessed practical work, with the hours and the assessor's name (" + strings.Repeat("long-", 30) + ")."}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.PublishTemplate(ctx, tpl.ID, tpl.Version, store.Publication{CategoryID: *tpl.CategoryID, Licence: store.LicenceCCBY,
		Summary: "A new version for the sweep"}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return cp.ID
}
