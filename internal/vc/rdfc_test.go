package vc

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestVectorEdDSARDFC2022 reproduces every intermediate value of the W3C
// vc-di-eddsa eddsa-rdfc-2022 test vectors.
func TestVectorEdDSARDFC2022(t *testing.T) {
	const dir = "eddsa-rdfc-2022/"
	_, priv := vectorKeys(t)
	doc := vectorObject(t, "unsigned.json")

	// The N-Quads vectors end in a newline that vector() trims.
	canonDoc, err := CanonicalizeRDFC(doc)
	if want := vector(t, dir+"canonDocDataInt.txt") + "\n"; err != nil || string(canonDoc) != want {
		t.Fatalf("canonical document\n got %s, %v\nwant %s", canonDoc, err, want)
	}
	proofConfig := vectorObject(t, dir+"proofConfigDataInt.json")
	canonProof, err := CanonicalizeRDFC(proofConfig)
	if want := vector(t, dir+"proofCanonDataInt.txt") + "\n"; err != nil || string(canonProof) != want {
		t.Fatalf("canonical proof config\n got %s, %v\nwant %s", canonProof, err, want)
	}
	ph, dh := sha256.Sum256(canonProof), sha256.Sum256(canonDoc)
	if got := hex.EncodeToString(ph[:]); got != vector(t, dir+"proofHashDataInt.txt") {
		t.Errorf("proof hash %s", got)
	}
	if got := hex.EncodeToString(dh[:]); got != vector(t, dir+"docHashDataInt.txt") {
		t.Errorf("document hash %s", got)
	}
	combined, err := hashDataRDFC(proofConfig, doc)
	if got := hex.EncodeToString(combined); err != nil || got != vector(t, dir+"combinedHashDataInt.txt") {
		t.Errorf("combined hash %s, %v", got, err)
	}
	sig := ed25519.Sign(priv, combined)
	if got := hex.EncodeToString(sig); got != vector(t, dir+"sigHexDataInt.txt") {
		t.Errorf("signature %s", got)
	}
	if got := MultibaseEncode(sig); got != vector(t, dir+"sigBTC58DataInt.txt") {
		t.Errorf("proofValue %s", got)
	}

	signed, err := SignRDFC(doc, vectorOptions(), priv)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["proof"]; ok {
		t.Error("SignRDFC modified its input")
	}
	want := vectorObject(t, dir+"signedDataInt.json")
	g, _ := CanonicalizeValue(signed)
	w, _ := CanonicalizeValue(want)
	if string(g) != string(w) {
		t.Errorf("signed document\n got %s\nwant %s", g, w)
	}
}

func TestVerifyRDFC(t *testing.T) {
	ctx := context.Background()
	_, priv := vectorKeys(t)
	signed := func() map[string]any { return vectorObject(t, "eddsa-rdfc-2022/signedDataInt.json") }
	proof := func(d map[string]any) map[string]any { return d["proof"].(map[string]any) }
	withCtx := func() map[string]any {
		d := signed()
		proof(d)["@context"] = d["@context"]
		return d
	}

	// The vector's proof has no @context of its own: the proof options are
	// canonicalized with the document's, as vc-di-eddsa specifies. The same
	// proof with the document's @context spelled out verifies too.
	if err := VerifyRDFC(ctx, signed(), DIDKeyResolver, VerifyOptions{}); err != nil {
		t.Fatalf("signedDataInt.json: %v", err)
	}
	if err := VerifyRDFC(ctx, withCtx(), DIDKeyResolver, VerifyOptions{}); err != nil {
		t.Fatalf("signedDataInt.json with proof @context: %v", err)
	}
	pub2, priv2, _ := ed25519.GenerateKey(nil)
	vm2, _ := DIDKeyMethod(pub2)
	fresh, err := SignRDFC(vectorObject(t, "unsigned.json"), ProofOptions{VerificationMethod: vm2, Created: time.Now()}, priv2)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyRDFC(ctx, fresh, DIDKeyResolver, VerifyOptions{}); err != nil {
		t.Fatalf("fresh signature: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(d map[string]any)
		want   error
	}{
		{"tampered subject", func(d map[string]any) {
			d["credentialSubject"].(map[string]any)["alumniOf"] = "The School of Forgeries"
		}, ErrInvalidProof},
		{"tampered issuer", func(d map[string]any) { d["issuer"] = "https://vc.example/issuers/666" }, ErrInvalidProof},
		{"tampered created", func(d map[string]any) { proof(d)["created"] = "2024-01-01T00:00:00Z" }, ErrInvalidProof},
		{"jcs cryptosuite", func(d map[string]any) { proof(d)["cryptosuite"] = CryptosuiteJCS }, ErrProof},
		{"proof @context differs", func(d map[string]any) { proof(d)["@context"] = []any{ContextCredentialsV2} }, ErrProofContext},
		{"undefined term added", func(d map[string]any) {
			d["@context"] = []any{ContextCredentialsV2}
			proof(d)["@context"] = d["@context"]
			d["type"] = []any{"VerifiableCredential"}
			d["favoriteColor"] = "blue"
		}, ErrUndefinedTerm},
	}
	for _, c := range cases {
		d := withCtx()
		c.mutate(d)
		if err := VerifyRDFC(ctx, d, DIDKeyResolver, VerifyOptions{}); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}

	// Sign refuses the other cryptosuite and documents JSON-LD would alter.
	doc := vectorObject(t, "unsigned.json")
	if _, err := SignRDFC(doc, ProofOptions{VerificationMethod: vm2, Cryptosuite: CryptosuiteJCS}, priv); !errors.Is(err, ErrProofOptions) {
		t.Errorf("SignRDFC eddsa-jcs-2022: err = %v", err)
	}
	if _, err := SignRDFC(signed(), vectorOptions(), priv); !errors.Is(err, ErrProofSet) {
		t.Errorf("SignRDFC of a signed document: err = %v", err)
	}
}

// noNetwork makes any HTTP request through the default transport fail the
// test for the duration of the calling test.
func noNetwork(t *testing.T) {
	orig := http.DefaultTransport
	http.DefaultTransport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("network access: %s", r.URL)
		return nil, errors.New("no network in tests")
	})
	t.Cleanup(func() { http.DefaultTransport = orig })
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCanonicalizeRDFCRefuses(t *testing.T) {
	noNetwork(t)
	_, priv := vectorKeys(t)
	base := func() map[string]any {
		d := vectorObject(t, "unsigned.json")
		d["@context"] = []any{ContextCredentialsV2}
		d["type"] = []any{"VerifiableCredential"}
		d["credentialSubject"] = map[string]any{"id": "did:example:abcdefgh"}
		return d
	}
	if _, err := CanonicalizeRDFC(base()); err != nil {
		t.Fatalf("VC v2 document without examples context: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(d map[string]any)
		want   error
		term   string
	}{
		{"undefined top-level property", func(d map[string]any) { d["favoriteColor"] = "blue" }, ErrUndefinedTerm, "favoriteColor"},
		{"undefined nested property", func(d map[string]any) {
			d["credentialSubject"].(map[string]any)["alumniOf"] = "The School of Examples"
		}, ErrUndefinedTerm, "alumniOf"},
		{"undefined type", func(d map[string]any) { d["type"] = []any{"VerifiableCredential", "AlumniCredential"} }, ErrUndefinedTerm, "AlumniCredential"},
		{"keyword-like key", func(d map[string]any) {
			d["credentialSubject"].(map[string]any)["@alumniOf"] = "x"
		}, ErrUndefinedTerm, "@alumniOf"},
		{"undefined property of a typed node", func(d map[string]any) {
			d["credentialSchema"] = map[string]any{"id": "https://vc.example/schema", "type": "JsonSchema", "version": "1"}
		}, ErrUndefinedTerm, "version"},
		{"relative type IRI", func(d map[string]any) { d["type"] = []any{"VerifiableCredential", "./Alumni"} }, ErrUndefinedTerm, "./Alumni"},
		{"remote unknown context", func(d map[string]any) {
			d["@context"] = []any{ContextCredentialsV2, "https://example.com/contexts/alumni/v1"}
		}, ErrUnknownContext, "https://example.com/contexts/alumni/v1"},
		{"VC v1 context", func(d map[string]any) { d["@context"] = "https://www.w3.org/2018/credentials/v1" }, ErrUnknownContext, "credentials/v1"},
		{"relative context", func(d map[string]any) { d["@context"] = []any{ContextCredentialsV2, "ctx.jsonld"} }, ErrUnknownContext, "ctx.jsonld"},
	}
	for _, c := range cases {
		d := base()
		c.mutate(d)
		_, err := CanonicalizeRDFC(d)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.term) {
			t.Errorf("%s: err = %v, want %v naming %q", c.name, err, c.want, c.term)
		}
		if _, err := SignRDFC(d, vectorOptions(), priv); !errors.Is(err, c.want) {
			t.Errorf("SignRDFC %s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// With the examples context, whose @vocab defines every term, the same
	// properties are fine.
	d := base()
	d["@context"] = []any{ContextCredentialsV2, ContextCredentialsExamples}
	d["favoriteColor"] = "blue"
	if _, err := CanonicalizeRDFC(d); err != nil {
		t.Errorf("examples context: %v", err)
	}
}

func BenchmarkSignRDFC(b *testing.B) {
	_, priv := vectorKeys(b)
	doc := vectorObject(b, "unsigned.json")
	opts := vectorOptions()
	for b.Loop() {
		if _, err := SignRDFC(doc, opts, priv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRDFC(b *testing.B) {
	doc := vectorObject(b, "eddsa-rdfc-2022/signedDataInt.json")
	ctx := context.Background()
	for b.Loop() {
		if err := VerifyRDFC(ctx, doc, DIDKeyResolver, VerifyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyRDFCDistinctProofs is BenchmarkVerifyRDFC over 2,048
// credentials whose proofs differ (each its own created second), verified
// in turn: twice the proof configurations proofConfigs keeps, so that no
// verification finds its proof configuration's hash remembered.
func BenchmarkVerifyRDFCDistinctProofs(b *testing.B) {
	_, priv := vectorKeys(b)
	doc := vectorObject(b, "unsigned.json")
	docs := make([]map[string]any, 2*maxProofConfigs)
	for i := range docs {
		opts := vectorOptions()
		opts.Created = opts.Created.Add(time.Duration(i) * time.Second)
		s, err := SignRDFC(doc, opts, priv)
		if err != nil {
			b.Fatal(err)
		}
		docs[i] = s
	}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if err := VerifyRDFC(ctx, docs[i%len(docs)], DIDKeyResolver, VerifyOptions{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// TestProofConfigHash: the remembered hash of a proof configuration is the
// hash of its canonical form, the first time and the next; configurations
// that differ in any value, in the order of their contexts or in the form
// of @context have different keys; one that is not only strings is not
// remembered.
func TestProofConfigHash(t *testing.T) {
	opts := vectorOptions()
	base := func() map[string]any {
		p, err := opts.proof(CryptosuiteRDFC)
		if err != nil {
			t.Fatal(err)
		}
		p["@context"] = []any{ContextCredentialsV2}
		return p
	}
	configs := []map[string]any{base(), base(), base(), base(), base(), base()}
	configs[1]["created"] = "2023-02-24T23:36:39Z"
	configs[2]["@context"] = ContextCredentialsV2
	configs[3]["@context"] = []any{ContextCredentialsV2, ContextCredentialsExamples}
	configs[4]["@context"] = []any{ContextCredentialsExamples, ContextCredentialsV2}
	configs[5]["proofPurpose"] = "authentication"
	keys := map[string]int{}
	for i, c := range configs {
		want, err := CanonicalizeRDFC(c)
		if err != nil {
			t.Fatalf("config %d: %v", i, err)
		}
		for range 2 {
			got, err := proofConfigHash(c)
			if err != nil || got != sha256.Sum256(want) {
				t.Fatalf("config %d: hash %x, %v; want %x", i, got, err, sha256.Sum256(want))
			}
		}
		k, ok := proofConfigKey(c)
		if !ok {
			t.Fatalf("config %d has no key", i)
		}
		if j, seen := keys[k]; seen {
			t.Errorf("configs %d and %d have the same key %q", j, i, k)
		}
		keys[k] = i
	}
	odd := base()
	odd["created"] = map[string]any{"@value": "2023-02-24T23:36:38Z"}
	if k, ok := proofConfigKey(odd); ok {
		t.Errorf("a configuration with an object has key %q", k)
	}
}

// TestCanonicalHash: the hash signing uses is the hash of the canonical
// form CanonicalizeRDFC returns, for the W3C vector and TrustCred's
// credentials.
func TestCanonicalHash(t *testing.T) {
	for _, name := range []string{"unsigned.json", "trustcred/diploma.json", "trustcred/badge.json"} {
		doc := vectorObject(t, name)
		c, err := CanonicalizeRDFC(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := canonicalHash(doc); err != nil || got != sha256.Sum256(c) {
			t.Errorf("%s: canonicalHash %x, %v; want %x", name, got, err, sha256.Sum256(c))
		}
	}
}

// BenchmarkVerifyRDFCParallel verifies on every GOMAXPROCS goroutine at
// once: the shared active contexts and IRI verdicts are read-mostly, so
// throughput should scale with cores (compare ns/op with -cpu 1,2).
func BenchmarkVerifyRDFCParallel(b *testing.B) {
	doc := vectorObject(b, "eddsa-rdfc-2022/signedDataInt.json")
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := VerifyRDFC(ctx, doc, DIDKeyResolver, VerifyOptions{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestCanonicalizeRDFCConcurrent checks that the shared, decoded contexts
// survive concurrent use (run with -race).
func TestCanonicalizeRDFCConcurrent(t *testing.T) {
	want := vector(t, "eddsa-rdfc-2022/canonDocDataInt.txt") + "\n"
	errs := make(chan error, 8)
	for range 8 {
		doc := vectorObject(t, "unsigned.json")
		go func() {
			for range 5 {
				got, err := CanonicalizeRDFC(doc)
				if err == nil && string(got) != want {
					err = errors.New("canonical form differs:\n" + string(got))
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// openBadge is an Open Badges 3.0 credential using only terms its contexts
// define.
func openBadge() map[string]any {
	return map[string]any{
		"@context": []any{ContextCredentialsV2, ContextOpenBadgesV3},
		"id":       "urn:uuid:4f2a5c1e-8a1b-4c3d-9e0f-1a2b3c4d5e6f",
		"type":     []any{"VerifiableCredential", "OpenBadgeCredential"},
		"name":     "Example badge",
		"issuer": map[string]any{
			"id":   "did:example:issuer",
			"type": []any{"Profile"},
			"name": "Example Issuer",
		},
		"validFrom": "2024-01-01T00:00:00Z",
		"credentialSubject": map[string]any{
			"id":   "did:example:learner",
			"type": []any{"AchievementSubject"},
			"achievement": map[string]any{
				"id":          "https://example.com/achievements/1",
				"type":        []any{"Achievement"},
				"name":        "Example achievement",
				"description": "Awarded for testing.",
				"criteria":    map[string]any{"narrative": "Pass the tests."},
			},
		},
	}
}

// An Open Badges 3.0 credential signs and verifies with the embedded OBv3
// context.
func TestRDFOpenBadge(t *testing.T) {
	noNetwork(t)
	pub, priv, _ := ed25519.GenerateKey(nil)
	vm, _ := DIDKeyMethod(pub)
	doc := openBadge()
	s, err := SignRDFC(doc, ProofOptions{VerificationMethod: vm}, priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyRDFC(context.Background(), s, DIDKeyResolver, VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	doc["credentialSubject"].(map[string]any)["achievement"].(map[string]any)["level"] = "gold"
	if _, err := SignRDFC(doc, ProofOptions{VerificationMethod: vm}, priv); !errors.Is(err, ErrUndefinedTerm) || !strings.Contains(err.Error(), "level") {
		t.Errorf("undefined OBv3 term: err = %v", err)
	}
}

// BenchmarkSignRDFCTrustCred signs credentials as TrustCred's issuance
// builds them (testdata/trustcred): the cost of signing one bulk row.
func BenchmarkSignRDFCTrustCred(b *testing.B) {
	_, priv := vectorKeys(b)
	opts := vectorOptions()
	for _, name := range []string{"diploma", "badge"} {
		doc := vectorObject(b, "trustcred/"+name+".json")
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := SignRDFC(doc, opts, priv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
