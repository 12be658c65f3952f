package vc_test

import (
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/interoptest"
	"github.com/trustcred/trustcred/internal/vc"
)

const statusListURL = "https://trustcred.example/orgs/acme/status/1"

// credential is a TrustCred certificate credential issued by did.
func credential(did string, statusIndex int) map[string]any {
	c := map[string]any{
		"@context":  []any{vc.ContextCredentialsV2, vc.ContextTrustCred},
		"id":        "https://trustcred.example/v/7Hq2xK9pLm",
		"type":      []any{"VerifiableCredential", vc.TypeTrustCredCredential},
		"name":      "Certificate of Completion",
		"issuer":    did,
		"validFrom": "2025-01-15T09:30:00Z",
		"credentialSubject": map[string]any{
			"type":   vc.TypeTrustCredSubject,
			"name":   "Ada Lovelace",
			"course": "Analytical Engines 101",
			"hours":  json.Number("40"),
			"grade":  "A",
		},
	}
	if statusIndex >= 0 {
		c["credentialStatus"] = map[string]any{
			"id":                   statusListURL + "#" + itoa(statusIndex),
			"type":                 "BitstringStatusListEntry",
			"statusPurpose":        "revocation",
			"statusListIndex":      itoa(statusIndex),
			"statusListCredential": statusListURL,
		}
	}
	return c
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// roundTrip gives the document as it would be read back from JSON.
func roundTrip(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vc.ParseJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

// TestInteropIndependentVerifier has what internal/vc signs checked by the
// Digital Bazaar verifier of ../shared/interop: both cryptosuites verify,
// a changed subject value or proofValue does not, and the status list's bit
// order is the one the JS library reads.
func TestInteropIndependentVerifier(t *testing.T) {
	interoptest.Dir(t) // skip early (or fail on CI) without node
	pub, priv, _ := ed25519.GenerateKey(nil)
	did, _ := vc.DIDKey(pub)
	vm, _ := vc.DIDKeyMethod(pub)
	opts := vc.ProofOptions{VerificationMethod: vm, Created: time.Now()}

	sign := map[string]func(map[string]any, vc.ProofOptions, ed25519.PrivateKey) (map[string]any, error){
		vc.CryptosuiteRDFC: vc.SignRDFC,
		vc.CryptosuiteJCS:  vc.SignJCS,
	}
	var docs []any
	var names []string
	add := func(name string, d map[string]any) { names = append(names, name); docs = append(docs, d) }
	for _, suite := range []string{vc.CryptosuiteRDFC, vc.CryptosuiteJCS} {
		signed, err := sign[suite](credential(did, -1), opts, priv)
		if err != nil {
			t.Fatalf("%s: %v", suite, err)
		}
		add(suite, signed)

		tampered := roundTrip(t, signed)
		tampered["credentialSubject"].(map[string]any)["grade"] = "A+"
		add(suite+" tampered subject", tampered)

		badSig := roundTrip(t, signed)
		proof := badSig["proof"].(map[string]any)
		other, _ := vc.MultibaseDecode(proof["proofValue"].(string))
		other[10] ^= 1
		proof["proofValue"] = vc.MultibaseEncode(other)
		add(suite+" tampered proofValue", badSig)
	}

	// Revocation: a signed status list with bit 94567 set, and credentials
	// pointing at that bit and at its neighbour.
	bits := make([]byte, vc.StatusListSize/8)
	vc.SetBit(bits, 94567, true)
	encoded, err := vc.EncodeStatusList(bits)
	if err != nil {
		t.Fatal(err)
	}
	list, err := vc.SignRDFC(map[string]any{
		"@context":  []any{vc.ContextCredentialsV2},
		"id":        statusListURL,
		"type":      []any{"VerifiableCredential", "BitstringStatusListCredential"},
		"issuer":    did,
		"validFrom": "2025-01-01T00:00:00Z",
		"credentialSubject": map[string]any{
			"id":            statusListURL + "#list",
			"type":          "BitstringStatusList",
			"statusPurpose": "revocation",
			"encodedList":   encoded,
		},
	}, opts, priv)
	if err != nil {
		t.Fatal(err)
	}
	listFile := filepath.Join(t.TempDir(), "status-list.json")
	b, _ := json.Marshal(list)
	if err := os.WriteFile(listFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{94567, 94566} {
		signed, err := vc.SignRDFC(credential(did, i), opts, priv)
		if err != nil {
			t.Fatal(err)
		}
		add("status "+itoa(i), signed)
	}

	results := interoptest.VerifyJSON(t, docs, "--doc", statusListURL+"="+listFile)
	for i, r := range results {
		name := names[i]
		t.Logf("%s: verified=%v revoked=%v errors=%q", name, r.Verified, r.Revoked, r.Errors)
		wantOK := name == vc.CryptosuiteRDFC || name == vc.CryptosuiteJCS || name == "status 94566"
		if r.Verified != wantOK {
			t.Errorf("%s: verified = %v, want %v; errors %q", name, r.Verified, wantOK, r.Errors)
		}
		if !wantOK && len(r.Errors) == 0 {
			t.Errorf("%s: refused without a reason", name)
		}
		if strings.HasPrefix(name, "status") {
			if len(r.Status) != 1 || r.Status[0].Index != strings.TrimPrefix(name, "status ") {
				t.Errorf("%s: status entries %+v", name, r.Status)
			}
			if r.Revoked != (name == "status 94567") {
				t.Errorf("%s: revoked = %v; errors %q", name, r.Revoked, r.Errors)
			}
		}
	}
}
