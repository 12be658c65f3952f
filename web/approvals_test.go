package web_test

import (
	"context"
	"encoding/json"
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
