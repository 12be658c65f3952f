package web_test

import (
	"encoding/json"
	"html"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// A credential naming a @context TrustCred does not ship is refused by the
// issue API, the verify API and the /verify page with a plain sentence
// that names the context, not json-gold's "loading remote context failed:
// dereferencing a URL …".
func TestUnknownContextMessage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		const ctx = "https://example.org/ctx"
		plain := `The @context "` + ctx + `" is not supported`
		garbled := func(where, s string) {
			t.Helper()
			for _, bad := range []string{"dereferencing", "loading remote context", "vc: "} {
				if strings.Contains(s, bad) {
					t.Errorf("%s: the message contains %q: %s", where, bad, s)
				}
			}
		}

		// The issue API.
		_, key := createKey(t, env, env.Org("acme"), nil, allScopes...)
		c := degree()
		c["@context"] = []any{vc.ContextCredentialsV2, vc.ContextCredentialsExamples, ctx}
		r := newAPI(t, env).post(key, "/api/v1/credentials/issue", map[string]any{"credential": c})
		wantProblem(t, "issue API", r, 422, "Unknown context", plain+": TrustCred only uses the JSON-LD contexts it ships")
		garbled("issue API", r.Body)

		// The verify API and the /verify page, with a signed credential
		// whose @context was extended afterwards.
		doc := map[string]any{}
		json.Unmarshal(issueOne(t, env, "uni").json, &doc)
		doc["@context"] = append(doc["@context"].([]any), ctx)
		status, out := apiPost(t, env, "/api/v1/credentials/verify", map[string]any{"verifiableCredential": doc})
		errs := toJSON(out["errors"])
		if status != 400 || out["verified"] != false || !strings.Contains(errs, strings.ReplaceAll(plain, `"`, `\"`)) {
			t.Errorf("verify API: %d %s, want %q", status, errs, plain)
		}
		garbled("verify API", errs)
		b, _ := json.Marshal(doc)
		page := postMultipart(t, env, map[string]string{"credential": string(b)}, nil)
		text := html.UnescapeString(page.Body)
		if page.Status != 200 || !strings.Contains(page.Body, `data-verdict="invalid"`) || !strings.Contains(text, plain) {
			t.Errorf("/verify page: %d, want %q", page.Status, plain)
		}
		garbled("/verify page", text)
	})
}
