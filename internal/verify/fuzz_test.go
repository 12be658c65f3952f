package verify_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/verify"
)

// fuzzFixture is a did:key issuer with status lists served by the
// verifier's StatusList hook (status/revocation: nothing set;
// status/suspension and status/revocation-set: index 7 set), a valid
// credential and a signed presentation of it.
type fuzzFixture struct {
	v            *verify.Verifier
	credential   []byte
	presentation []byte
	opts         verify.PresentationOptions
	sign         func(tb testing.TB, doc map[string]any) map[string]any
	listFetches  atomic.Int32 // status lists asked of the StatusList hook
}

// statusEntry is a BitstringStatusListEntry of the fixture's list name.
func statusEntry(list, purpose, index string) map[string]any {
	u := "https://issuer.example/status/" + list
	return map[string]any{"id": u + "#" + index, "type": "BitstringStatusListEntry", "statusPurpose": purpose,
		"statusListIndex": index, "statusListCredential": u}
}

func newFuzzFixture(tb testing.TB) *fuzzFixture {
	tb.Helper()
	seed := func(b byte) ed25519.PrivateKey {
		return ed25519.NewKeyFromSeed([]byte(strings.Repeat(string(b), ed25519.SeedSize)))
	}
	issuerKey, holderKey := seed('i'), seed('h')
	issuer, _ := vc.DIDKey(issuerKey.Public().(ed25519.PublicKey))
	holder, _ := vc.DIDKey(holderKey.Public().(ed25519.PublicKey))
	vm := func(did string) string { return did + "#" + strings.TrimPrefix(did, "did:key:") }
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	lists := map[string][]byte{}
	for _, l := range []struct {
		name, purpose string
		set           int
	}{{"revocation", "revocation", -1}, {"suspension", "suspension", 7}, {"revocation-set", "revocation", 7}} {
		bits := make([]byte, 16*1024)
		if l.set >= 0 {
			bits[l.set/8] |= 0x80 >> (l.set % 8)
		}
		encoded, err := vc.EncodeStatusList(bits)
		if err != nil {
			tb.Fatal(err)
		}
		u := "https://issuer.example/status/" + l.name
		doc, err := vc.SignRDFC(map[string]any{
			"@context": []any{vc.ContextCredentialsV2}, "id": u, "issuer": issuer, "validFrom": "2026-01-01T00:00:00Z",
			"type": []any{"VerifiableCredential", "BitstringStatusListCredential"},
			"credentialSubject": map[string]any{"id": u + "#list", "type": "BitstringStatusList",
				"statusPurpose": l.purpose, "encodedList": encoded},
		}, vc.ProofOptions{Created: created, VerificationMethod: vm(issuer)}, issuerKey)
		if err != nil {
			tb.Fatal(err)
		}
		lists[u], _ = json.Marshal(doc)
	}
	sign := func(tb testing.TB, doc map[string]any) map[string]any {
		tb.Helper()
		doc["issuer"] = issuer
		signed, err := vc.SignRDFC(doc, vc.ProofOptions{Created: created, VerificationMethod: vm(issuer)}, issuerKey)
		if err != nil {
			tb.Fatal(err)
		}
		return signed
	}
	cred := sign(tb, map[string]any{
		"@context":          []any{vc.ContextCredentialsV2, vc.ContextTrustCred},
		"id":                "https://issuer.example/credentials/1",
		"type":              []any{"VerifiableCredential", "TrustCredCredential"},
		"name":              "BSc Physics",
		"validFrom":         "2026-01-01T00:00:00Z",
		"validUntil":        "2036-01-01T00:00:00Z",
		"credentialSubject": map[string]any{"type": "TrustCredSubject", "name": "Ada", "degree": "Physics"},
		"credentialStatus":  []any{statusEntry("revocation", "revocation", "3"), statusEntry("suspension", "suspension", "3")},
	})
	opts := verify.PresentationOptions{Challenge: "c-1", Domain: "verifier.example"}
	vp, err := vc.SignJCS(map[string]any{
		"@context": []any{vc.ContextCredentialsV2}, "type": []any{"VerifiablePresentation"},
		"holder": holder, "verifiableCredential": []any{cred},
	}, vc.ProofOptions{Created: created, VerificationMethod: vm(holder), ProofPurpose: "authentication",
		Challenge: opts.Challenge, Domain: opts.Domain}, holderKey)
	if err != nil {
		tb.Fatal(err)
	}
	fx := &fuzzFixture{opts: opts, sign: sign}
	fx.v = &verify.Verifier{
		StatusList: func(_ context.Context, url string) ([]byte, bool, error) {
			fx.listFetches.Add(1)
			b, ok := lists[url]
			return b, ok, nil
		},
		Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) },
	}
	fx.credential, _ = json.Marshal(cred)
	fx.presentation, _ = json.Marshal(vp)
	// The seeds are what they claim: a valid credential, a valid presentation.
	if r := fx.v.Credential(context.Background(), cred); !r.Verified {
		tb.Fatalf("seed credential: %v", r.Errors())
	}
	if r := fx.v.Presentation(context.Background(), vp, opts); !r.Verified {
		tb.Fatalf("seed presentation: %v", r.Errors())
	}
	return fx
}

var verdicts = map[string]bool{verify.Valid: true, verify.Revoked: true, verify.Suspended: true, verify.Expired: true, verify.Invalid: true}

// checkResult holds what any result must: one known verdict, verified
// exactly when valid, a reason for every failed check, and nothing failed
// or unsigned in a valid one.
func checkResult(t *testing.T, r *verify.Result) {
	t.Helper()
	if !verdicts[r.Verdict] || r.Verified != (r.Verdict == verify.Valid) {
		t.Fatalf("verdict %q with verified %v", r.Verdict, r.Verified)
	}
	for _, c := range r.Checks {
		if !c.Passed && c.Detail == "" {
			t.Fatalf("check %s failed without a reason", c.Name)
		}
		if r.Verified && !c.Passed {
			t.Fatalf("valid with check %s failed: %s", c.Name, c.Detail)
		}
	}
	if c, ok := r.Check(verify.CheckSignature); r.Verified && (!ok || !c.Passed || c.Skipped) {
		t.Fatalf("valid without a passed signature check: %+v", c)
	}
}

// FuzzVerifyDocument: whatever JSON is brought to /verify or the verify
// API, as a credential or a presentation, the verifier answers with a
// well-formed result and never panics. Seeds: a valid credential with both
// status entries and a signed presentation of it.
func FuzzVerifyDocument(f *testing.F) {
	fx := newFuzzFixture(f)
	f.Add(fx.credential)
	f.Add(fx.presentation)
	f.Add([]byte(strings.Replace(string(fx.credential), `"statusListIndex":"3"`, `"statusListIndex":"7"`, 1)))
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiablePresentation","verifiableCredential":{"issuer":{"id":"did:key:z6Mk"}}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := vc.ParseJSON(in)
		doc, ok := v.(map[string]any)
		if err != nil || !ok || verify.CheckComplexity(doc) != nil {
			return // refused before verification, as the handlers do
		}
		ctx := context.Background()
		checkResult(t, fx.v.Credential(ctx, doc))
		pr := fx.v.Presentation(ctx, doc, fx.opts)
		for _, c := range pr.Credentials {
			checkResult(t, c)
			if pr.Verified && !c.Verified {
				t.Fatal("a verified presentation holds a credential that is not")
			}
		}
		for _, c := range pr.Checks {
			if !c.Passed && c.Detail == "" {
				t.Fatalf("presentation check %s failed without a reason", c.Name)
			}
		}
	})
}

// A credential may carry several entries of one purpose: one that says
// revoked decides, whatever its place; a credential with more entries than
// any issuer needs is refused without fetching them.
func TestStatusEntriesFailureSticks(t *testing.T) {
	fx := newFuzzFixture(t)
	ctx := context.Background()
	doc := func(entries ...any) map[string]any {
		return fx.sign(t, map[string]any{
			"@context": []any{vc.ContextCredentialsV2, vc.ContextTrustCred}, "type": []any{"VerifiableCredential", "TrustCredCredential"},
			"validFrom": "2026-01-01T00:00:00Z", "credentialSubject": map[string]any{"type": "TrustCredSubject", "name": "Ada"},
			"credentialStatus": entries,
		})
	}
	clean, set := statusEntry("revocation", "revocation", "7"), statusEntry("revocation-set", "revocation", "7")
	for name, entries := range map[string][]any{"revoked first": {set, clean}, "revoked last": {clean, set}} {
		if r := fx.v.Credential(ctx, doc(entries...)); r.Verdict != verify.Revoked {
			t.Errorf("%s: %s %v", name, r.Verdict, r.Errors())
		}
	}
	if r := fx.v.Credential(ctx, doc(clean, statusEntry("suspension", "suspension", "3"))); !r.Verified {
		t.Errorf("clean entries: %s %v", r.Verdict, r.Errors())
	}
	// A forged copy is invalid whatever its lists say, and they are not
	// fetched for it.
	forged := doc(set, clean)
	forged["name"] = "Forged"
	before := fx.listFetches.Load()
	r := fx.v.Credential(ctx, forged)
	if c, _ := r.Check(verify.CheckRevocation); r.Verdict != verify.Invalid || !c.Skipped || fx.listFetches.Load() != before {
		t.Errorf("forged: %s, revocation %+v, %d lists fetched", r.Verdict, c, fx.listFetches.Load()-before)
	}
	many := make([]any, verify.MaxStatusEntries+1)
	for i := range many {
		many[i] = statusEntry("revocation", "revocation", fmt.Sprint(i))
	}
	r = fx.v.Credential(ctx, doc(many...))
	if c, _ := r.Check(verify.CheckRevocation); r.Verified || c.Passed || !strings.Contains(c.Detail, "status entries") {
		t.Errorf("%d entries: %s %+v", len(many), r.Verdict, c)
	}
}
