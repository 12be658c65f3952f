package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

type apiApprovals struct {
	Approvals []struct {
		ID, Status string
		Credential struct {
			PublicID, Status string
			Recipient        struct{ Address string }
		}
		RequestedBy *struct{ ID, Email string }
	}
	Next *string
}

// The approvals API (credentials:read): A's key lists A's pending
// requests oldest first in cursor pages and reads one with its rules and
// decisions; a key without credentials:read is 403, B's key sees none of
// A's requests (404 for one), a bad cursor or limit is 400; decided
// requests leave the list but can still be read. There is no route that
// decides: a key is not a person.
func TestApprovalsAPI(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		tpl := degreeTemplate(t, env, a)
		requireApprovals(t, env, tpl.SchemaID, 2)
		ids := []string{
			pendingDegree(t, env, a, tpl, "Ada Lovelace"),
			pendingDegree(t, env, a, tpl, "Grace Hopper"),
			pendingDegree(t, env, a, tpl, "Alan Turing"),
		}
		_, keyA := createKey(t, env, a, nil, store.ScopeCredentialsRead)
		_, issueOnly := createKey(t, env, a, nil, store.ScopeCredentialsIssue)
		_, keyB := createKey(t, env, b, nil, store.ScopeCredentialsRead, store.ScopeCredentialsIssue, store.ScopeCredentialsRevoke)
		cl := newAPI(t, env)

		list := func(key, query string) apiApprovals {
			t.Helper()
			r := cl.get(key, "/api/v1/approvals"+query)
			var out apiApprovals
			if r.Status != 200 || json.Unmarshal([]byte(r.Body), &out) != nil {
				t.Fatalf("list%s: %d %s", query, r.Status, r.Body)
			}
			return out
		}
		p1 := list(keyA, "?limit=2")
		if len(p1.Approvals) != 2 || p1.Next == nil || p1.Approvals[0].ID != ids[0] || p1.Approvals[1].ID != ids[1] ||
			p1.Approvals[0].Status != "pending" || p1.Approvals[0].Credential.Status != "pending" || p1.Approvals[0].Credential.PublicID == "" ||
			p1.Approvals[0].Credential.Recipient.Address != "ada.lovelace@example.org" {
			t.Fatalf("first page %+v", p1)
		}
		p2 := list(keyA, "?limit=2&cursor="+url.QueryEscape(*p1.Next))
		if len(p2.Approvals) != 1 || p2.Approvals[0].ID != ids[2] || p2.Next != nil {
			t.Fatalf("second page %+v", p2)
		}
		if got := list(keyB, ""); len(got.Approvals) != 0 {
			t.Fatalf("B's key lists A's requests: %+v", got)
		}
		wantProblem(t, "issue-only key lists", cl.get(issueOnly, "/api/v1/approvals"), 403, "Scope missing", "credentials:read")
		wantProblem(t, "issue-only key reads", cl.get(issueOnly, "/api/v1/approvals/"+ids[0]), 403, "Scope missing", "credentials:read")
		if r := cl.get("", "/api/v1/approvals"); r.Status != 401 {
			t.Errorf("no key: %d", r.Status)
		}
		wantProblem(t, "bad cursor", cl.get(keyA, "/api/v1/approvals?cursor=nope"), 400, "Invalid cursor", "previous page")
		wantProblem(t, "bad limit", cl.get(keyA, "/api/v1/approvals?limit=0"), 400, "Invalid limit", "1 to 100")
		wantProblem(t, "B reads A's request", cl.get(keyB, "/api/v1/approvals/"+ids[0]), 404, "Approval request not found", "")
		wantProblem(t, "unknown id", cl.get(keyA, "/api/v1/approvals/"+uuid.NewString()), 404, "Approval request not found", "")
		wantProblem(t, "malformed id", cl.get(keyA, "/api/v1/approvals/not-a-uuid"), 404, "Approval request not found", "")

		// One approval and one rejection: the first stays pending with its
		// decision, the second leaves the list and reads as rejected.
		ctx := context.Background()
		sc := env.DB.Scoped(a.ID)
		rev := env.User(store.RoleReviewer, a)
		if _, err := env.Services.Approvals.Approve(ctx, sc, ids[0], rev.ID, store.Actor{UserID: &rev.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Services.Approvals.Reject(ctx, sc, ids[1], rev.ID, "Wrong year", store.Actor{UserID: &rev.ID}); err != nil {
			t.Fatal(err)
		}
		r := cl.get(keyA, "/api/v1/approvals/"+ids[0])
		var one struct {
			Status string
			Rules  []struct {
				Required, Approvals int
				Roles               []string
				Met                 bool
			}
			Decisions []struct {
				Approver       struct{ ID, Name string }
				Role, Decision string
				Current        bool
			}
		}
		if r.Status != 200 || json.Unmarshal([]byte(r.Body), &one) != nil || one.Status != "pending" || len(one.Rules) != 1 ||
			one.Rules[0].Required != 2 || one.Rules[0].Approvals != 1 || one.Rules[0].Met || len(one.Decisions) != 1 ||
			one.Decisions[0].Approver.ID != rev.ID || one.Decisions[0].Decision != "approved" || one.Decisions[0].Role != "reviewer" ||
			!one.Decisions[0].Current {
			t.Fatalf("one request: %d %s", r.Status, r.Body)
		}
		if r := cl.get(keyA, "/api/v1/approvals/"+ids[1]); r.Status != 200 || !strings.Contains(r.Body, `"status":"rejected"`) ||
			!strings.Contains(r.Body, "Wrong year") {
			t.Fatalf("rejected request: %d %s", r.Status, r.Body)
		}
		if got := list(keyA, ""); len(got.Approvals) != 2 || got.Approvals[0].ID != ids[0] || got.Approvals[1].ID != ids[2] {
			t.Fatalf("list after the rejection: %+v", got)
		}
		// No deciding through the API.
		for _, path := range []string{"/api/v1/approvals/" + ids[0], "/api/v1/approvals/" + ids[0] + "/decisions"} {
			if r := cl.post(keyA, path, map[string]any{"decision": "approved"}); r.Status != 404 && r.Status != 405 {
				t.Errorf("POST %s: %d", path, r.Status)
			}
		}
	})
}
