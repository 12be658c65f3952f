package vc

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The W3C vc-di-eddsa test vector key pair (testdata/keyPair.json).
const (
	vectorPub    = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
	vectorSecret = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
)

// vector returns a W3C vc-di-eddsa test vector file without its trailing
// newlines.
func vector(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(string(b), "\r\n")
}

func vectorObject(t testing.TB, name string) map[string]any {
	t.Helper()
	v, err := ParseJSON([]byte(vector(t, name)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v.(map[string]any)
}

func vectorKeys(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	var kp struct{ PublicKeyMultibase, PrivateKeyMultibase string }
	if err := json.Unmarshal([]byte(vector(t, "keyPair.json")), &kp); err != nil {
		t.Fatal(err)
	}
	pub, err := DecodePublicKey(kp.PublicKeyMultibase)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := DecodeSecretKey(kp.PrivateKeyMultibase)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func vectorOptions() ProofOptions {
	return ProofOptions{
		Created:            time.Date(2023, 2, 24, 23, 36, 38, 0, time.UTC),
		VerificationMethod: "did:key:" + vectorPub + "#" + vectorPub,
	}
}

func TestVectorKeys(t *testing.T) {
	pub, priv := vectorKeys(t)
	if !priv.Public().(ed25519.PublicKey).Equal(pub) {
		t.Fatal("secretKeyMultibase does not derive publicKeyMultibase")
	}
	if s, _ := EncodePublicKey(pub); s != vectorPub {
		t.Errorf("EncodePublicKey = %s", s)
	}
	if s, _ := EncodeSecretKey(priv); s != vectorSecret {
		t.Errorf("EncodeSecretKey = %s", s)
	}
}

// TestVectorEdDSAJCS2022 reproduces every intermediate value of the W3C
// vc-di-eddsa eddsa-jcs-2022 test vectors.
func TestVectorEdDSAJCS2022(t *testing.T) {
	const dir = "eddsa-jcs-2022/"
	_, priv := vectorKeys(t)
	doc := vectorObject(t, "unsigned.json")

	proofConfig := vectorObject(t, dir+"proofConfigJCS.json")
	canonProof, err := CanonicalizeValue(proofConfig)
	if err != nil || string(canonProof) != vector(t, dir+"proofCanonJCS.txt") {
		t.Fatalf("canonical proof config\n got %s, %v\nwant %s", canonProof, err, vector(t, dir+"proofCanonJCS.txt"))
	}
	canonDoc, err := CanonicalizeValue(doc)
	if err != nil || string(canonDoc) != vector(t, dir+"canonDocJCS.txt") {
		t.Fatalf("canonical document\n got %s, %v\nwant %s", canonDoc, err, vector(t, dir+"canonDocJCS.txt"))
	}
	ph, dh := sha256.Sum256(canonProof), sha256.Sum256(canonDoc)
	if got := hex.EncodeToString(ph[:]); got != vector(t, dir+"proofHashJCS.txt") {
		t.Errorf("proof hash %s", got)
	}
	if got := hex.EncodeToString(dh[:]); got != vector(t, dir+"docHashJCS.txt") {
		t.Errorf("document hash %s", got)
	}
	combined, err := hashDataJCS(proofConfig, doc)
	if got := hex.EncodeToString(combined); err != nil || got != vector(t, dir+"combinedHashJCS.txt") {
		t.Errorf("combined hash %s, %v", got, err)
	}
	sig := ed25519.Sign(priv, combined)
	if got := hex.EncodeToString(sig); got != vector(t, dir+"sigHexJCS.txt") {
		t.Errorf("signature %s", got)
	}
	if got := MultibaseEncode(sig); got != vector(t, dir+"sigBTC58JCS.txt") {
		t.Errorf("proofValue %s", got)
	}

	// The whole of SignJCS against signedJCS.json.
	signed, err := SignJCS(doc, vectorOptions(), priv)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["proof"]; ok {
		t.Error("SignJCS modified its input")
	}
	want := vectorObject(t, dir+"signedJCS.json")
	gotProof, _ := CanonicalizeValue(signed["proof"])
	wantProof, _ := CanonicalizeValue(want["proof"])
	if string(gotProof) != string(wantProof) {
		t.Errorf("proof\n got %s\nwant %s", gotProof, wantProof)
	}
	gotDoc, _ := CanonicalizeValue(signed)
	wantDoc, _ := CanonicalizeValue(want)
	if string(gotDoc) != string(wantDoc) {
		t.Errorf("signed document\n got %s\nwant %s", gotDoc, wantDoc)
	}
}

func TestVerifyJCS(t *testing.T) {
	ctx := context.Background()
	_, priv := vectorKeys(t)
	signed := func() map[string]any { return vectorObject(t, "eddsa-jcs-2022/signedJCS.json") }
	proof := func(d map[string]any) map[string]any { return d["proof"].(map[string]any) }

	if err := VerifyJCS(ctx, signed(), DIDKeyResolver, VerifyOptions{}); err != nil {
		t.Fatalf("signedJCS.json: %v", err)
	}
	// A fresh signature with a fresh key verifies too.
	pub2, priv2, _ := ed25519.GenerateKey(nil)
	vm2, _ := DIDKeyMethod(pub2)
	fresh, err := SignJCS(vectorObject(t, "unsigned.json"), ProofOptions{VerificationMethod: vm2, Created: time.Now()}, priv2)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyJCS(ctx, fresh, DIDKeyResolver, VerifyOptions{}); err != nil {
		t.Fatalf("fresh signature: %v", err)
	}

	otherKey := func(context.Context, string) (ed25519.PublicKey, error) { return pub2, nil }
	cases := []struct {
		name    string
		mutate  func(d map[string]any)
		resolve KeyResolver
		opts    VerifyOptions
		want    error
	}{
		{"tampered subject", func(d map[string]any) {
			d["credentialSubject"].(map[string]any)["alumniOf"] = "The School of Forgeries"
		}, nil, VerifyOptions{}, ErrInvalidProof},
		{"added claim", func(d map[string]any) { d["extra"] = true }, nil, VerifyOptions{}, ErrInvalidProof},
		{"tampered created", func(d map[string]any) { proof(d)["created"] = "2024-01-01T00:00:00Z" }, nil, VerifyOptions{}, ErrInvalidProof},
		{"tampered proofValue", func(d map[string]any) {
			pv := []byte(proof(d)["proofValue"].(string))
			pv[10] = map[bool]byte{true: 'A', false: 'B'}[pv[10] != 'A']
			proof(d)["proofValue"] = string(pv)
		}, nil, VerifyOptions{}, nil}, // ErrInvalidProof or ErrProof (length), checked below
		{"wrong key", nil, otherKey, VerifyOptions{}, ErrInvalidProof},
		{"wrong purpose expected", nil, nil, VerifyOptions{ProofPurpose: "authentication"}, ErrProofPurpose},
		{"purpose changed", func(d map[string]any) { proof(d)["proofPurpose"] = "authentication" }, nil, VerifyOptions{ProofPurpose: "authentication"}, ErrInvalidProof},
		{"no proof", func(d map[string]any) { delete(d, "proof") }, nil, VerifyOptions{}, ErrNoProof},
		{"proof set", func(d map[string]any) { d["proof"] = []any{d["proof"]} }, nil, VerifyOptions{}, ErrProofSet},
		{"wrong type", func(d map[string]any) { proof(d)["type"] = "Ed25519Signature2020" }, nil, VerifyOptions{}, ErrProof},
		{"wrong cryptosuite", func(d map[string]any) { proof(d)["cryptosuite"] = "eddsa-rdfc-2022" }, nil, VerifyOptions{}, ErrProof},
		{"no proofValue", func(d map[string]any) { delete(proof(d), "proofValue") }, nil, VerifyOptions{}, ErrProof},
		{"proofValue not multibase", func(d map[string]any) { proof(d)["proofValue"] = "u" + proof(d)["proofValue"].(string)[1:] }, nil, VerifyOptions{}, ErrProof},
		{"short proofValue", func(d map[string]any) { proof(d)["proofValue"] = MultibaseEncode(make([]byte, 63)) }, nil, VerifyOptions{}, ErrProof},
		{"created not a dateTime", func(d map[string]any) { proof(d)["created"] = "yesterday" }, nil, VerifyOptions{}, ErrProof},
		{"expires not a string", func(d map[string]any) { proof(d)["expires"] = true }, nil, VerifyOptions{}, ErrProof},
		{"no verificationMethod", func(d map[string]any) { delete(proof(d), "verificationMethod") }, nil, VerifyOptions{}, ErrProof},
		{"unresolvable method", func(d map[string]any) { proof(d)["verificationMethod"] = "did:web:example.org#key-1" }, nil, VerifyOptions{}, ErrKeyResolution},
		{"proof @context differs", func(d map[string]any) { proof(d)["@context"] = []any{"https://www.w3.org/ns/credentials/v2"} }, nil, VerifyOptions{}, ErrProofContext},
		{"proof @context missing", func(d map[string]any) { delete(proof(d), "@context") }, nil, VerifyOptions{}, ErrProofContext},
		{"document @context changed", func(d map[string]any) { d["@context"] = []any{"https://www.w3.org/ns/credentials/v2"} }, nil, VerifyOptions{}, ErrProofContext},
	}
	for _, c := range cases {
		d := signed()
		if c.mutate != nil {
			c.mutate(d)
		}
		resolve := c.resolve
		if resolve == nil {
			resolve = DIDKeyResolver
		}
		err := VerifyJCS(ctx, d, resolve, c.opts)
		switch {
		case err == nil:
			t.Errorf("%s: verified", c.name)
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}

	// Sign refuses bad options and already secured documents.
	doc := vectorObject(t, "unsigned.json")
	for name, o := range map[string]ProofOptions{
		"no method":         {},
		"other cryptosuite": {VerificationMethod: "did:key:x#x", Cryptosuite: "eddsa-rdfc-2022"},
		"other type":        {VerificationMethod: "did:key:x#x", Type: "Ed25519Signature2020"},
	} {
		if _, err := SignJCS(doc, o, priv); !errors.Is(err, ErrProofOptions) {
			t.Errorf("SignJCS %s: err = %v", name, err)
		}
	}
	if _, err := SignJCS(signed(), vectorOptions(), priv); !errors.Is(err, ErrProofSet) {
		t.Errorf("SignJCS of a signed document: err = %v", err)
	}
	if _, err := SignJCS(doc, vectorOptions(), priv[:32]); !errors.Is(err, ErrProofOptions) {
		t.Errorf("SignJCS with a seed: err = %v", err)
	}
	// A document without @context gets a proof without one, and verifies.
	bare := maps.Clone(doc)
	delete(bare, "@context")
	s, err := SignJCS(bare, vectorOptions(), priv)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := proof(s)["@context"]; ok {
		t.Error("proof has an @context the document lacks")
	}
	if err := VerifyJCS(ctx, s, DIDKeyResolver, VerifyOptions{}); err != nil {
		t.Errorf("document without @context: %v", err)
	}
}

func BenchmarkSignJCS(b *testing.B) {
	_, priv := vectorKeys(b)
	doc := vectorObject(b, "unsigned.json")
	opts := vectorOptions()
	for b.Loop() {
		if _, err := SignJCS(doc, opts, priv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyJCS(b *testing.B) {
	doc := vectorObject(b, "eddsa-jcs-2022/signedJCS.json")
	ctx := context.Background()
	for b.Loop() {
		if err := VerifyJCS(ctx, doc, DIDKeyResolver, VerifyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
