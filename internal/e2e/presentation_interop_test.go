package e2e

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/interoptest"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// Presentations with an embedded credential, signed with eddsa-rdfc-2022,
// verify the same in TrustCred (POST /api/v1/presentations/verify on a
// running server) and in the independent verifier, whichever signed them:
// Digital Bazaar's libraries (the regression of issue 15, refused with
// "Signature failed" while VC 2.0's @graph container was lost) or
// TrustCred's engine, whose signature over the same wrong canonical form
// the independent verifier refused.
func TestPresentationsAgreeWithIndependentVerifier(t *testing.T) {
	interoptest.Dir(t)
	b, err := os.ReadFile("../vc/testdata/interop-regressions/rdfc-vp-embedded-credential.json")
	if err != nil {
		t.Fatal(err)
	}
	fromWallet := parse(t, b)

	issuerPub, issuerPriv, _ := ed25519.GenerateKey(nil)
	holderPub, holderPriv, _ := ed25519.GenerateKey(nil)
	issuer, _ := vc.DIDKey(issuerPub)
	issuerVM, _ := vc.DIDKeyMethod(issuerPub)
	holder, _ := vc.DIDKey(holderPub)
	holderVM, _ := vc.DIDKeyMethod(holderPub)
	cred, err := vc.SignRDFC(parse(t, mustJSON(map[string]any{
		"@context": []any{vc.ContextCredentialsV2, vc.ContextCredentialsExamples},
		"type":     []any{"VerifiableCredential", "ExampleAlumniCredential"}, "issuer": issuer,
		"validFrom":         time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
		"credentialSubject": map[string]any{"id": "did:example:ada", "alumniOf": map[string]any{"id": "did:example:univ", "name": "Example University"}},
	})), vc.ProofOptions{VerificationMethod: issuerVM}, issuerPriv)
	if err != nil {
		t.Fatal(err)
	}
	fromTrustCred, err := vc.SignRDFC(parse(t, mustJSON(map[string]any{
		"@context": []any{vc.ContextCredentialsV2}, "type": []any{"VerifiablePresentation"},
		"holder": holder, "verifiableCredential": []any{cred},
	})), vc.ProofOptions{VerificationMethod: holderVM, ProofPurpose: "authentication", Challenge: "c-123", Domain: "verifier.example"}, holderPriv)
	if err != nil {
		t.Fatal(err)
	}

	env := webtest.New(t, store.SQLite)
	srv := env.Serve()
	docs := []any{fromWallet, fromTrustCred}
	theirs := interoptest.VerifyJSON(t, docs, "--challenge", "c-123", "--domain", "verifier.example", "--no-status")
	for i, name := range []string{"signed by Digital Bazaar's libraries", "signed by TrustCred"} {
		ours, detail := verifyPresentationAPI(t, srv, docs[i].(map[string]any))
		if !ours || !theirs[i].Verified {
			t.Errorf("%s: TrustCred says %v (%s), the independent verifier %v (%v)", name, ours, detail, theirs[i].Verified, theirs[i].Errors)
		}
	}
}

func verifyPresentationAPI(t *testing.T, srv string, vp map[string]any) (bool, string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"verifiablePresentation": vp,
		"options": map[string]any{"challenge": "c-123", "domain": "verifier.example"}})
	res, err := http.Post(srv+"/api/v1/presentations/verify", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var out struct{ Verified bool }
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("verify API: %d %s", res.StatusCode, body)
	}
	if out.Verified != (res.StatusCode == 200) {
		t.Fatalf("verify API status %d with verified %v", res.StatusCode, out.Verified)
	}
	return out.Verified, strings.TrimSpace(string(body))
}
