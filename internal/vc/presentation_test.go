package vc

import (
	"context"
	"os"
	"strings"
	"testing"
)

// regressionPresentation is a Verifiable Presentation holding one embedded
// credential, both signed with eddsa-rdfc-2022 by Digital Bazaar's
// libraries (the stack most wallets use), challenge "c-123", domain
// "verifier.example"; ../shared/interop accepts it.
func regressionPresentation(t testing.TB) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/interop-regressions/rdfc-vp-embedded-credential.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

// In VC 2.0 verifiableCredential is a @graph container: the embedded
// credential is a named graph whose name is a blank node, and the
// presentation points at that blank node, not at the credential's id.
func TestPresentationEmbeddedCredentialIsANamedGraph(t *testing.T) {
	noNetwork(t)
	vp := regressionPresentation(t)
	if err := VerifyRDFC(context.Background(), vp, DIDKeyResolver, VerifyOptions{ProofPurpose: "authentication"}); err != nil {
		t.Fatalf("the presentation's proof: %v", err)
	}
	cred := vp["verifiableCredential"].([]any)[0].(map[string]any)
	if err := VerifyRDFC(context.Background(), cred, DIDKeyResolver, VerifyOptions{}); err != nil {
		t.Fatalf("the embedded credential's proof: %v", err)
	}

	unsecured := make(map[string]any)
	for k, v := range vp {
		if k != "proof" {
			unsecured[k] = v
		}
	}
	nq, err := CanonicalizeRDFC(unsecured)
	if err != nil {
		t.Fatal(err)
	}
	// The presentation's verifiableCredential object is the blank node
	// that names the graph holding the credential's statements.
	var link, graph string
	for _, line := range strings.Split(strings.TrimSpace(string(nq)), "\n") {
		f := strings.Fields(line)
		switch {
		case f[1] == "<https://www.w3.org/2018/credentials#verifiableCredential>":
			link = f[2]
		case f[0] == "<urn:uuid:89e13a5c-30ca-40e7-82c0-7a64b820af1e>" && f[1] == "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>":
			graph = f[len(f)-2] // the graph name, or the object in the default graph
		}
	}
	if !strings.HasPrefix(link, "_:") || graph != link {
		t.Errorf("the embedded credential is not in the named graph %s the presentation points to (its statements are in %s):\n%s", link, graph, nq)
	}
}

// An inline context with "@version": 1.1, decoded as every document is
// (numbers as json.Number), is JSON-LD 1.1 and is not refused.
func TestInlineContextVersion(t *testing.T) {
	noNetwork(t)
	doc, err := ParseJSON([]byte(`{
		"@context": ["https://www.w3.org/ns/credentials/v2", {"@version": 1.1, "shoeSize": "https://example.org/vocab#shoeSize"}],
		"type": ["VerifiableCredential"],
		"issuer": "did:example:issuer",
		"credentialSubject": {"id": "did:example:subject", "shoeSize": 42}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	nq, err := CanonicalizeRDFC(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<did:example:subject> <https://example.org/vocab#shoeSize> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .`; !strings.Contains(string(nq), want) {
		t.Errorf("canonical form lacks %s:\n%s", want, nq)
	}
}
