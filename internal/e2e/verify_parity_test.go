package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/interoptest"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// TrustCred's verifier and the independent one (Digital Bazaar's, in
// ../shared/interop) reach the same verdict on the same documents: our
// credentials valid, tampered, re-signed with a wrong key or another
// issuer's key, expired, revoked, suspended, pointing at a status list of
// another issuer, and using an undefined term.
func TestVerifierAgreesWithIndependentVerifier(t *testing.T) {
	interoptest.Dir(t)
	const base = "https://trustcred.test"
	env := webtest.New(t, store.SQLite, webtest.WithConfig(func(c *config.Config) { c.BaseURL = base }))
	ctx := context.Background()
	org := env.Org("uni")
	sc := env.DB.Scoped(org.ID)
	fields := []store.SchemaField{{Name: "degree", Label: "Degree", Type: store.SchemaFieldText, Required: true}}
	def, err := credschema.Build("Degree", fields)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := sc.CreateSchema(ctx, store.SchemaChange{Name: "Degree", Version: "1", Fields: fields, Definition: def}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	templates := map[string]*store.CredentialTemplate{}
	for _, suite := range []string{vc.CryptosuiteRDFC, vc.CryptosuiteJCS} {
		tpl, err := sc.CreateTemplate(ctx, store.TemplateChange{Name: "BSc " + suite, SchemaID: cs.ID,
			Data: store.TemplateData{Kind: store.TemplateDiploma, Cryptosuite: suite}}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if templates[suite], err = sc.Template(ctx, tpl.ID); err != nil {
			t.Fatal(err)
		}
	}
	is := &issuance.Issuer{DB: env.DB, Keys: env.Keys, BaseURL: base}
	issue := func(suite string) (map[string]any, *store.Credential) {
		out, err := is.Submit(ctx, sc, issuance.Request{Template: templates[suite], RecipientName: "Ada", RecipientAddress: "ada@example.org",
			Data: map[string]any{"degree": "Physics"}}, store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		return parse(t, out.JSON), out.Credential
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	other, _ := vc.DIDKey(pub)
	otherVM := other + "#" + strings.TrimPrefix(other, "did:key:")
	resign := func(doc map[string]any, vm string, jcs bool) map[string]any {
		d := parse(t, mustJSON(doc))
		delete(d, "proof")
		var out map[string]any
		var err error
		if jcs {
			out, err = vc.SignJCS(d, vc.ProofOptions{VerificationMethod: vm}, priv)
		} else {
			out, err = vc.SignRDFC(d, vc.ProofOptions{VerificationMethod: vm}, priv)
		}
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	valid, _ := issue(vc.CryptosuiteRDFC)
	validJCS, _ := issue(vc.CryptosuiteJCS)
	tampered := parse(t, mustJSON(valid))
	tampered["credentialSubject"].(map[string]any)["degree"] = "Chemistry"
	badProof := parse(t, mustJSON(valid))
	pv := badProof["proof"].(map[string]any)["proofValue"].(string)
	badProof["proof"].(map[string]any)["proofValue"] = pv[:10] + strings.Repeat("1", 10) + pv[20:]
	// Signed with another key that claims to be the issuer's.
	wrongKey := resign(valid, valid["proof"].(map[string]any)["verificationMethod"].(string), false)
	// Signed, validly, by another issuer's key while naming ours.
	otherIssuerKey := resign(valid, otherVM, false)
	revoked, revokedRow := issue(vc.CryptosuiteRDFC)
	suspended, suspendedRow := issue(vc.CryptosuiteJCS)
	// Another issuer's credential pointing at our status list.
	foreignStatus := parse(t, mustJSON(valid))
	foreignStatus["issuer"] = other
	foreignStatus = resign(foreignStatus, otherVM, false)
	// Expired: another issuer's credential with validUntil in the past.
	expired := map[string]any{"@context": []any{vc.ContextCredentialsV2, vc.ContextCredentialsExamples},
		"type": []any{"VerifiableCredential"}, "issuer": other, "validFrom": "2020-01-01T00:00:00Z", "validUntil": "2021-01-01T00:00:00Z",
		"credentialSubject": map[string]any{"id": "did:example:ada", "alumniOf": "Example University"}}
	expired = resign(expired, otherVM, false)
	// An undefined term, signed with JCS (which signs JSON as it is).
	undefined := map[string]any{"@context": []any{vc.ContextCredentialsV2}, "type": []any{"VerifiableCredential"}, "issuer": other,
		"credentialSubject": map[string]any{"id": "did:example:ada", "favouriteColour": "blue"}}
	undefined = resign(undefined, otherVM, true)
	otherValid := resign(map[string]any{"@context": []any{vc.ContextCredentialsV2, vc.ContextCredentialsExamples},
		"type": []any{"VerifiableCredential"}, "issuer": other, "validFrom": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
		"credentialSubject": map[string]any{"id": "did:example:ada", "alumniOf": "Example University"}}, otherVM, true)

	// A poison graph: our signed credential with a subject of eight
	// identical blank nodes that all know each other (canonicalizing it
	// would take json-gold seconds; rdf-canonize refuses it: "Maximum deep
	// iterations exceeded").
	poison := parse(t, mustJSON(valid))
	poison["credentialSubject"] = webtest.PoisonSubject(8)

	if _, err := sc.ChangeCredentialStatus(ctx, revokedRow.ID, store.ActionRevoke, "error", store.ViaWeb, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.ChangeCredentialStatus(ctx, suspendedRow.ID, store.ActionSuspend, "", store.ViaWeb, store.Actor{}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		doc  map[string]any
		want bool
	}{
		{"valid eddsa-rdfc-2022", valid, true},
		{"valid eddsa-jcs-2022", validJCS, true},
		{"another issuer's valid did:key credential", otherValid, true},
		{"tampered subject", tampered, false},
		{"tampered proof value", badProof, false},
		{"wrong key", wrongKey, false},
		{"another issuer's key", otherIssuerKey, false},
		{"expired", expired, false},
		{"revoked", revoked, false},
		{"suspended", suspended, false},
		{"status list of another issuer", foreignStatus, false},
		{"undefined term", undefined, false},
		{"poison graph", poison, false},
	}
	srv := env.Serve()
	docs := make([]any, len(cases))
	for i, c := range cases {
		docs[i] = c.doc
	}
	theirs := interoptest.VerifyJSON(t, docs, "--resolve-base", srv, "--map", base+"/="+srv+"/")
	for i, c := range cases {
		ours := verifyAPI(t, srv, c.doc)
		if ours != c.want || theirs[i].Verified != c.want {
			t.Errorf("%s: TrustCred says %v, the independent verifier %v (%v); want %v", c.name, ours, theirs[i].Verified, theirs[i].Errors, c.want)
		}
	}
	if !theirs[8].Revoked || !theirs[9].Suspended {
		t.Errorf("independent verifier: revoked %v, suspended %v", theirs[8].Revoked, theirs[9].Suspended)
	}
}

func verifyAPI(t *testing.T, srv string, doc map[string]any) bool {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"verifiableCredential": doc})
	res, err := http.Post(srv+"/api/v1/credentials/verify", "application/json", bytes.NewReader(b))
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
	return out.Verified
}

func parse(t *testing.T, b []byte) map[string]any {
	t.Helper()
	v, err := vc.ParseJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
