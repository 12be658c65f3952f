package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// batchUnderApproval uploads bulkFile (3 valid rows) for a template whose
// schema requires 2 reviewers' approvals, issues it as the uploader and
// runs the bulk job: the batch's one request.
func batchUnderApproval(t *testing.T, env *webtest.Env, org *store.Organization, uploader *webtest.Client) (batchID string, req *store.ApprovalRequest) {
	t.Helper()
	tplID := bulkTemplate(t, env, org)
	var schemaID string
	if err := env.DB.SQL().QueryRow(storetest.Rebind(env.DB.Dialect(), "SELECT schema_id FROM credential_templates WHERE id = ?"), tplID).Scan(&schemaID); err != nil {
		t.Fatal(err)
	}
	// Its own name: the organization may also have degreeTemplate's "Degree".
	if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), "UPDATE credential_schemas SET name = ? WHERE id = ?"), "Bulk degree", schemaID); err != nil {
		t.Fatal(err)
	}
	requireApprovals(t, env, schemaID, 2)
	batchID = upload(t, uploader, tplID, bulkFile)
	if r := uploader.Post("/credentials/bulk/"+batchID+"/issue", url.Values{}); r.Status != 303 {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	runBatch(t, env, org, batchID)
	st, err := env.DB.Scoped(org.ID).BatchApprovalOf(context.Background(), batchID)
	if err != nil || st.Pending != 3 || st.Request.Status != store.RequestPending {
		t.Fatalf("batch approval %+v %v", st, err)
	}
	return batchID, st.Request
}

// The sample route for every role: reviewers and admins open it (and it
// is recorded), issuers, verifiers and recipients do not, org B's admin
// gets 404, a single credential's request has no sample (404); an
// approval before the sample is refused (409 with the sentence), after
// it counts.
func TestApprovalsBatchRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		clients := env.RoleClients(a, b)
		_, req := batchUnderApproval(t, env, a, clients[webtest.AsIssuer])
		tpl := degreeTemplate(t, env, a)
		requireApprovals(t, env, tpl.SchemaID, 2)
		single := pendingDegree(t, env, a, tpl, "Ada Lovelace")

		reviewer := clients[webtest.AsReviewer]
		if inbox := reviewer.Get("/approvals"); inbox.Status != 200 || !strings.Contains(inbox.Body, "Bulk batch pasted rows (3 credentials)") {
			t.Fatalf("inbox: %d\n%.3000s", inbox.Status, inbox.Body)
		}
		if r := reviewer.Htmx("POST", "/approvals/"+req.ID+"/approve", url.Values{}); r.Status != 409 || !strings.Contains(r.Body, "Open the sample") {
			t.Fatalf("approval before the sample: %d %s", r.Status, r.Body)
		}
		page := reviewer.Get("/approvals/" + req.ID)
		if page.Status != 200 || !page.Has("batch-panel") || !page.Has("sample-needed") || !strings.Contains(page.Body, "3 credentials") {
			t.Fatalf("batch request page: %d\n%.2000s", page.Status, page.Body)
		}
		deciders := func(admin, reviewer, other int) map[string]int {
			return map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: admin, webtest.AsIssuer: 403, webtest.AsReviewer: reviewer,
				webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303, webtest.AsOtherAdmin: other}
		}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/approvals/" + req.ID + "/sample", Want: deciders(200, 200, 404)},
			{Method: "GET", Path: "/approvals/" + single + "/sample", Want: deciders(404, 404, 404)},
			{Method: "GET", Path: "/approvals/" + uuid.NewString() + "/sample", Want: deciders(404, 404, 404)},
		})
		sample := reviewer.Get("/approvals/" + req.ID + "/sample")
		if sample.Status != 200 || strings.Count(sample.Body, `data-testid="sample-row"`) != 3 || !strings.Contains(sample.Body, "Ada Lovelace") ||
			!strings.Contains(sample.Body, "Eve") || strings.Contains(sample.Body, "not-an-email") {
			t.Fatalf("sample page: %d\n%.3000s", sample.Status, sample.Body)
		}
		if page := reviewer.Get("/approvals/" + req.ID); !page.Has("sample-opened") {
			t.Fatal("the request page does not say the sample was opened")
		}
		if r := reviewer.Htmx("POST", "/approvals/"+req.ID+"/approve", url.Values{}); r.Status != 200 || !strings.Contains(r.Body, "More approvals are needed") {
			t.Fatalf("approval after the sample: %d %s", r.Status, r.Body)
		}
		// The admin is not eligible here (reviewers only), even after opening the sample.
		if r := clients[webtest.AsAdmin].Htmx("POST", "/approvals/"+req.ID+"/approve", url.Values{}); r.Status != 409 {
			t.Fatalf("admin's approval: %d", r.Status)
		}
		// Org B's admin cannot mark A's sample viewed nor decide.
		if r := clients[webtest.AsOtherAdmin].Htmx("POST", "/approvals/"+req.ID+"/approve", url.Values{}); r.Status != 404 {
			t.Fatalf("other organization's approval: %d", r.Status)
		}
	})
}

// The whole batch through HTTP: two reviewers open the sample and
// approve, the batch page shows the signing, the signing job signs every
// row, each verifies on its public page; the batch page says all signed.
func TestApprovalsBatchApproveAndSign(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		issuer := env.Client()
		issuer.Login(env.User(store.RoleIssuer, a))
		batchID, req := batchUnderApproval(t, env, a, issuer)
		if page := issuer.Get("/credentials/bulk/" + batchID); page.Status != 200 || !strings.Contains(page.Body, `data-status="pending"`) ||
			!strings.Contains(page.Body, "Waiting for approval") {
			t.Fatalf("batch page while waiting: %d\n%.3000s", page.Status, page.Body)
		}
		for i := range 2 {
			r := env.Client()
			r.Login(env.User(store.RoleReviewer, a))
			if s := r.Get("/approvals/" + req.ID + "/sample"); s.Status != 200 {
				t.Fatalf("sample: %d", s.Status)
			}
			if got := r.Htmx("POST", "/approvals/"+req.ID+"/approve", url.Values{}); got.Status != 200 || (i == 1) != strings.Contains(got.Body, "last approval") {
				t.Fatalf("approval %d: %d %s", i, got.Status, got.Body)
			}
		}
		page := issuer.Get("/credentials/bulk/" + batchID + "/progress")
		if page.Status != 200 || !strings.Contains(page.Body, `data-status="approved"`) || !strings.Contains(page.Body, "0 of 3 signed") ||
			!strings.Contains(page.Body, "hx-trigger") {
			t.Fatalf("progress after the approvals: %d\n%s", page.Status, page.Body)
		}
		ctx := context.Background()
		if done, n, err := env.Services.Approvals.SignBatch(ctx, a.ID, req.ID, 100, 0); err != nil || !done || n != 3 {
			t.Fatalf("sign: %v %d %v", done, n, err)
		}
		page = issuer.Get("/credentials/bulk/" + batchID + "/progress")
		if !strings.Contains(page.Body, "3 of 3 signed") || strings.Contains(page.Body, "hx-trigger") {
			t.Fatalf("progress after signing:\n%s", page.Body)
		}
		var publicIDs []string
		rows, err := env.DB.SQL().Query(storetest.Rebind(d, "SELECT c.public_id FROM issuance_batch_rows r JOIN credentials c ON c.id = r.credential_id WHERE r.batch_id = ? AND c.status = 'active'"), batchID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var p string
			_ = rows.Scan(&p)
			publicIDs = append(publicIDs, p)
		}
		rows.Close()
		if len(publicIDs) != 3 {
			t.Fatalf("%d active credentials", len(publicIDs))
		}
		v := env.Client().Get("/v/" + publicIDs[0])
		if v.Status != 200 || !strings.Contains(v.Body, `data-verdict="valid"`) || !strings.Contains(v.Body, "Approved by 2 of") {
			t.Fatalf("public page of a batch credential: %d\n%.3000s", v.Status, v.Body)
		}
	})
}
