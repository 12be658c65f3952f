package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/apikey"
	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/interoptest"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// Proof it is real: credentials issued through the API, with both
// cryptosuites, under did:web and did:key, verify in an independent
// verifier (Digital Bazaar's libraries in ../shared/interop) that resolves
// the DID document and fetches the status lists from the running server;
// after revocation or suspension through the API the same verifier reports
// them revoked or suspended, and an unsuspended one verifies again.
func TestAPICredentialsVerifyIndependently(t *testing.T) {
	interoptest.Dir(t)                    // skip early without node (fail under CI=true)
	const base = "https://trustcred.test" // the public base URL, mapped to the loopback server
	env := webtest.New(t, store.SQLite, webtest.WithConfig(func(c *config.Config) { c.BaseURL = base }))
	org := env.Org("acme")
	ctx := context.Background()
	key, _, hash := apikey.New()
	if err := env.DB.Scoped(org.ID).CreateAPIKey(ctx, &store.APIKey{Name: "interop", KeyHash: hash, Prefix: key[:8],
		Permissions: datatypes.NewJSONSlice([]store.APIScope{store.ScopeCredentialsIssue, store.ScopeCredentialsRevoke})}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	srv := env.Serve()
	call := func(path string, body any, want int) []byte {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", srv+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			t.Fatalf("POST %s: %d %s", path, res.StatusCode, out)
		}
		return out
	}

	// The credentials a client writes: the VC examples vocabulary, and
	// TrustCred's own context.
	examples := func() map[string]any {
		return map[string]any{
			"@context": []any{vc.ContextCredentialsV2, vc.ContextCredentialsExamples},
			"type":     []any{"VerifiableCredential", "ExampleDegreeCredential"},
			"credentialSubject": map[string]any{"id": "did:example:ebfeb1f712ebc6f1c276e12ec21", "name": "Ada Lovelace",
				"degree": map[string]any{"type": "ExampleBachelorDegree", "name": "Bachelor of Science and Arts"}},
			"validUntil": "2099-01-01T00:00:00Z",
		}
	}
	trustcred := func() map[string]any {
		return map[string]any{
			"@context": []any{vc.ContextCredentialsV2, vc.ContextTrustCred},
			"type":     []any{"VerifiableCredential", "TrustCredCredential"},
			"credentialSubject": map[string]any{"id": "did:example:c276e12ec21ebfeb1f712ebc6f1", "type": "TrustCredSubject",
				"name": "Grace Hopper", "course": "Compilers", "grade": 1.0},
		}
	}
	dir := t.TempDir()
	type cred struct {
		name, file, publicID string
	}
	var creds []cred
	issue := func(name string, credential map[string]any, suite string) {
		t.Helper()
		out := call("/api/v1/credentials/issue", map[string]any{"credential": credential, "options": map[string]any{"cryptosuite": suite}}, 201)
		var r struct{ VerifiableCredential map[string]any }
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, name+".json")
		if err := os.WriteFile(f, out, 0o600); err != nil { // the VC-API response, as a client gets it
			t.Fatal(err)
		}
		creds = append(creds, cred{name, f, strings.TrimPrefix(r.VerifiableCredential["id"].(string), base+"/v/")})
	}
	issue("web-rdfc-examples", examples(), vc.CryptosuiteRDFC)
	issue("web-jcs-examples", examples(), vc.CryptosuiteJCS)
	issue("web-rdfc-trustcred", trustcred(), vc.CryptosuiteRDFC)
	issue("web-jcs-trustcred", trustcred(), vc.CryptosuiteJCS)
	is := &issuance.Issuer{DB: env.DB, Keys: env.Keys, BaseURL: base}
	if err := is.SetDIDMethod(ctx, env.DB.Scoped(org.ID), store.DIDKey, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	issue("key-rdfc-examples", examples(), vc.CryptosuiteRDFC)
	issue("key-jcs-trustcred", trustcred(), vc.CryptosuiteJCS)

	// The TrustCred context as this server publishes it (the verifier does
	// not bundle it).
	res, err := http.Get(srv + "/ns/credentials/v1")
	if err != nil {
		t.Fatal(err)
	}
	ctxDoc, _ := io.ReadAll(res.Body)
	res.Body.Close()
	ctxFile := filepath.Join(dir, "trustcred-v1.jsonld")
	if err := os.WriteFile(ctxFile, ctxDoc, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--resolve-base", srv, "--map", base + "/=" + srv + "/", "--doc", vc.ContextTrustCred + "=" + ctxFile}
	files := func() []string {
		var fs []string
		for _, c := range creds {
			fs = append(fs, c.file)
		}
		return fs
	}

	for i, v := range interoptest.Verify(t, files(), args...) {
		if !v.Verified || v.Revoked || v.Suspended {
			t.Errorf("%s does not verify: %v", creds[i].name, v.Errors)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	setStatus := func(c cred, purpose string, set bool) {
		t.Helper()
		call("/api/v1/credentials/status", map[string]any{"credentialId": base + "/v/" + c.publicID, "status": set,
			"credentialStatus": map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": purpose}}, 200)
	}
	// Revoke one of each DID method, suspend one of each, suspend and
	// unsuspend another.
	revoked := map[string]bool{"web-rdfc-examples": true, "key-jcs-trustcred": true}
	suspended := map[string]bool{"web-jcs-trustcred": true, "key-rdfc-examples": true}
	for _, c := range creds {
		switch {
		case revoked[c.name]:
			setStatus(c, "revocation", true)
		case suspended[c.name]:
			setStatus(c, "suspension", true)
		case c.name == "web-jcs-examples":
			setStatus(c, "suspension", true)
			setStatus(c, "suspension", false)
		}
	}
	for i, v := range interoptest.Verify(t, files(), args...) {
		name := creds[i].name
		want := fmt.Sprintf("verified %v, revoked %v, suspended %v", !revoked[name] && !suspended[name], revoked[name], suspended[name])
		if got := fmt.Sprintf("verified %v, revoked %v, suspended %v", v.Verified, v.Revoked, v.Suspended); got != want {
			t.Errorf("%s: %s, want %s (%v)", name, got, want, v.Errors)
		}
	}
}
