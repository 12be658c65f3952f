package vc

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// trustCredCredential is a credential as TrustCred issues one for a
// certificate template: the schema's fields (course, grade, hours,
// completedOn) are credentialSubject properties.
func trustCredCredential() map[string]any {
	return map[string]any{
		"@context":  []any{ContextCredentialsV2, ContextTrustCred},
		"id":        "https://trustcred.example/v/7Hq2xK9pLm",
		"type":      []any{"VerifiableCredential", TypeTrustCredCredential},
		"name":      "Certificate of Completion",
		"issuer":    "did:web:trustcred.example:orgs:acme",
		"validFrom": "2025-01-15T09:30:00Z",
		"credentialSubject": map[string]any{
			"type":        TypeTrustCredSubject,
			"name":        "Ada Lovelace",
			"email":       "ada@example.com",
			"course":      "Analytical Engines 101",
			"grade":       "A",
			"hours":       json.Number("40"),
			"completedOn": "2025-01-10",
		},
	}
}

func TestTrustCredContext(t *testing.T) {
	noNetwork(t)
	nq, err := CanonicalizeRDFC(trustCredCredential())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://trustcred.org/ns/credentials#TrustCredCredential>`,
		`<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://trustcred.org/ns/credentials#TrustCredSubject>`,
		`<https://schema.org/name> "Ada Lovelace"`,
		`<https://schema.org/email> "ada@example.com"`,
		`<https://www.w3.org/ns/credentials/issuer-dependent#course> "Analytical Engines 101"`,
		`<https://www.w3.org/ns/credentials/issuer-dependent#hours> "40"^^<http://www.w3.org/2001/XMLSchema#integer>`,
		`<https://schema.org/name> "Certificate of Completion"`,
	} {
		if !strings.Contains(string(nq), want) {
			t.Errorf("canonical form lacks %s\n%s", want, nq)
		}
	}

	pub, priv, _ := ed25519.GenerateKey(nil)
	vm, _ := DIDKeyMethod(pub)
	for _, sign := range []func(map[string]any, ProofOptions, ed25519.PrivateKey) (map[string]any, error){SignRDFC, SignJCS} {
		s, err := sign(trustCredCredential(), ProofOptions{VerificationMethod: vm}, priv)
		if err != nil {
			t.Fatal(err)
		}
		verify := VerifyRDFC
		if s["proof"].(map[string]any)["cryptosuite"] == CryptosuiteJCS {
			verify = VerifyJCS
		}
		if err := verify(context.Background(), s, DIDKeyResolver, VerifyOptions{}); err != nil {
			t.Errorf("%v: %v", s["proof"].(map[string]any)["cryptosuite"], err)
		}
		s["credentialSubject"].(map[string]any)["grade"] = "A+"
		if err := verify(context.Background(), s, DIDKeyResolver, VerifyOptions{}); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("%v: tampered field: err = %v", s["proof"].(map[string]any)["cryptosuite"], err)
		}
	}
}

// What ErrUndefinedTerm catches once the TrustCred context is there: the VC
// v2 context has no @vocab (the published file dropped it; the
// "undefined-terms" context that had it is not served), so only a
// TrustCredSubject node accepts arbitrary properties.
func TestTrustCredUndefinedTerms(t *testing.T) {
	noNetwork(t)
	subject := func(d map[string]any) map[string]any { return d["credentialSubject"].(map[string]any) }
	cases := []struct {
		name   string
		mutate func(d map[string]any)
		want   error
		term   string
	}{
		{"subject without TrustCredSubject type", func(d map[string]any) { delete(subject(d), "type") }, ErrUndefinedTerm, "course"},
		{"VC v2 alone", func(d map[string]any) {
			d["@context"] = []any{ContextCredentialsV2}
			d["type"] = []any{"VerifiableCredential"}
			delete(subject(d), "type")
		}, ErrUndefinedTerm, "course"},
		{"typo at the top level", func(d map[string]any) { d["validUntill"] = "2030-01-01T00:00:00Z" }, ErrUndefinedTerm, "validUntill"},
		{"unknown property of the issuer", func(d map[string]any) {
			d["issuer"] = map[string]any{"id": "did:web:trustcred.example:orgs:acme", "logo": "x"}
		}, ErrUndefinedTerm, "logo"},
		{"relative credential type", func(d map[string]any) {
			d["type"] = []any{"VerifiableCredential", TypeTrustCredCredential, "./Certificate"}
		}, ErrUndefinedTerm, "./Certificate"},
		{"relative subject id", func(d map[string]any) { subject(d)["id"] = "ada" }, ErrDroppedStatement, `"ada"`},
		{"redefining a protected TrustCred term", func(d map[string]any) {
			d["@context"] = []any{ContextCredentialsV2, ContextTrustCred,
				map[string]any{"TrustCredSubject": "https://evil.example/Subject"}}
		}, ErrJSONLD, "protected"},
	}
	for _, c := range cases {
		d := trustCredCredential()
		c.mutate(d)
		_, err := CanonicalizeRDFC(d)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.term) {
			t.Errorf("%s: err = %v, want %v naming %q", c.name, err, c.want, c.term)
		}
	}

	// Inside the subject, @vocab applies to nested objects and to type
	// values too: they become issuer-dependent IRIs, not relative ones.
	d := trustCredCredential()
	subject(d)["address"] = map[string]any{"type": "PostalAddress", "city": "London"}
	nq, err := CanonicalizeRDFC(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<https://www.w3.org/ns/credentials/issuer-dependent#city> "London"`,
		`<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://www.w3.org/ns/credentials/issuer-dependent#PostalAddress>`,
	} {
		if !strings.Contains(string(nq), want) {
			t.Errorf("canonical form lacks %s\n%s", want, nq)
		}
	}
}

func TestContextDocument(t *testing.T) {
	b, err := ContextDocument(ContextTrustCred)
	if err != nil || !strings.Contains(string(b), `"TrustCredSubject"`) {
		t.Errorf("ContextDocument(ContextTrustCred) = %.40s…, %v", b, err)
	}
	if _, err := ContextDocument("https://example.com/ctx"); !errors.Is(err, ErrUnknownContext) {
		t.Errorf("unknown context: err = %v", err)
	}
}
