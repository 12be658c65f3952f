package vc

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/vc/internal/ld"
)

// FuzzParseJSON: any input is parsed or refused with ErrJCS, never a panic;
// what parses canonicalizes (or is refused with ErrJCS), and canonical
// text parses back to the same canonical text.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `[1e400]`, `{"x":"\ud800"}`, `"\u0000"`, `{} {}`, `-0.0`, `[[[[[]]]]]`, ``} {
		f.Add([]byte(s))
	}
	f.Add([]byte(vector(f, "eddsa-jcs-2022/signedJCS.json")))
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := ParseJSON(in)
		if err != nil {
			if !errors.Is(err, ErrJCS) {
				t.Fatalf("ParseJSON(%q): error %v is not ErrJCS", in, err)
			}
			return
		}
		c, err := CanonicalizeValue(v)
		if err != nil {
			if !errors.Is(err, ErrJCS) {
				t.Fatalf("CanonicalizeValue: error %v is not ErrJCS", err)
			}
			return
		}
		v2, err := ParseJSON(c)
		if err != nil {
			t.Fatalf("canonical form %q does not parse: %v", c, err)
		}
		if c2, err := CanonicalizeValue(v2); err != nil || !bytes.Equal(c, c2) {
			t.Fatalf("canonical form not stable: %q -> %q, %v", c, c2, err)
		}
	})
}

// covered returns the hashData of a secured document under cs, as verify
// computes it: what its signature covers.
func covered(doc map[string]any, cs suite) ([]byte, error) {
	unsecured := maps.Clone(doc)
	delete(unsecured, "proof")
	config := maps.Clone(doc["proof"].(map[string]any))
	delete(config, "proofValue")
	if dc, ok := unsecured["@context"]; ok && cs.implicitContext {
		if _, has := config["@context"]; !has {
			config["@context"] = dc
		}
	}
	return cs.hashData(config, unsecured)
}

// fuzzVerify checks that verify never panics on arbitrary JSON and accepts
// only documents whose signed content (hashData) is the seed's: without the
// private key no other content can carry a valid signature. (For RDFC the
// JSON may differ, e.g. in the order of "type" values, with the same RDF.)
func fuzzVerify(f *testing.F, signedFile string, cs suite, verify func(context.Context, map[string]any, KeyResolver, VerifyOptions) error) {
	signed := vector(f, signedFile)
	f.Add([]byte(signed))
	f.Add([]byte(`{"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","verificationMethod":"did:key:z6Mk","proofValue":"z1"}}`))
	f.Add([]byte(`{"proof":[{}],"@context":{"@vocab":"x:"}}`))
	f.Add([]byte(`{"@context":[{"@version":1.1,"a":{"@id":"@type"}}],"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-rdfc-2022"}}`))
	seed, err := ParseJSON([]byte(signed))
	if err != nil {
		f.Fatal(err)
	}
	want, err := covered(seed.(map[string]any), cs)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := ParseJSON(in)
		if err != nil {
			return
		}
		doc, ok := v.(map[string]any)
		if !ok {
			return
		}
		if err := verify(context.Background(), doc, DIDKeyResolver, VerifyOptions{}); err == nil {
			if got, err := covered(doc, cs); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("verified a document whose signed content is not the seed's (%v):\n%s", err, in)
			}
		}
	})
}

func FuzzVerifyJCS(f *testing.F) {
	fuzzVerify(f, "eddsa-jcs-2022/signedJCS.json", suiteJCS, VerifyJCS)
}

func FuzzVerifyRDFC(f *testing.F) {
	fuzzVerify(f, "eddsa-rdfc-2022/signedDataInt.json", suiteRDFC, VerifyRDFC)
}

// FuzzIsURL: the fast IRI check gives json-gold's verdict (ld.IsURL) on
// every http(s) string, whatever its authority and path.
func FuzzIsURL(f *testing.F) {
	for _, s := range []string{
		"https://example.org/v/abc", "http://127.0.0.1:8080/status-lists/x#12", "https://example.org/a b", "https://example.org/%zz",
		"https://user:pw@example.org/x", "https://a/b@example.org/", "https://[::1]:80/x", "https://[fe80::1%25en0]/x",
		"https://.example.org/x", "https://example..org/x", "https://-bad-.org/x", "https://example.org:99999/x",
		"https://example.org?q=1", "https://example.org#f", "https://example.org\t/x", "https://exa mple.org/x",
		"https://例え.テスト/パス", "https:///x", "http://", "https://example.org/\u00a0", "https://example.org/x\r",
		"https://256.1.1.1/x", "https://1.2.3.4/x", "https://example.org./x", "https://ex_ample.org/x", "https://" + strings.Repeat("a", 2100) + "/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
			s = "https://" + s
		}
		if got, want := isURL(s), ld.IsURL(s); got != want {
			t.Fatalf("isURL(%q) = %v, ld.IsURL says %v", s, got, want)
		}
	})
}

// FuzzIsAbsoluteIri holds ld.IsAbsoluteIri, which decides most IRIs
// without url.Parse, to what it was: a blank node identifier, or what
// url.Parse accepts with a scheme.
func FuzzIsAbsoluteIri(f *testing.F) {
	for _, s := range []string{
		"https://example.org/v/abc", "http://127.0.0.1:8080/x#12", "https://example.org:99999/x", "https://example.org:x/",
		"urn:uuid:4f2a5c1e-8a1b-4c3d-9e0f-1a2b3c4d5e6f", "did:key:z6Mk#z6Mk", "mailto:a@b", "_:b0", "a:b", ":a", "1a:b",
		"https://[::1]:80/x", "https://a[b/", "https://u:p@h/x", "https://u@h:1:2/", "postgres://h1:5432,h2:5432/db",
		"http:", "http://", "ex:a?b#c", "ex:%zz", "ex:a b", "https://example.org/\u00e9", "#a:b", "a?b:c", "https://a@b@c/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		want := strings.HasPrefix(s, "_:") || err == nil && u.IsAbs()
		if got := ld.IsAbsoluteIri(s); got != want {
			t.Fatalf("IsAbsoluteIri(%q) = %v, url.Parse says %v", s, got, want)
		}
	})
}

// FuzzSignVerifyRDFC, seeded with the W3C toRdf suite's inputs and the
// regression presentation: any document SignRDFC accepts verifies, and a
// change to one string value of the signed document is detected unless it
// leaves the canonical RDF unchanged (the signature covers exactly that).
func FuzzSignVerifyRDFC(f *testing.F) {
	inputs, _ := filepath.Glob(toRDFSuiteDir + "toRdf/*-in.jsonld")
	for _, p := range append(inputs, "testdata/interop-regressions/rdfc-vp-embedded-credential.json") {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	vm, _ := DIDKeyMethod(priv.Public().(ed25519.PublicKey))
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := ParseJSON(in)
		if err != nil {
			return
		}
		doc, ok := v.(map[string]any)
		if !ok {
			return
		}
		delete(doc, "proof")
		signed, err := SignRDFC(doc, ProofOptions{VerificationMethod: vm}, priv)
		if err != nil {
			return
		}
		if err := VerifyRDFC(context.Background(), signed, DIDKeyResolver, VerifyOptions{}); err != nil {
			t.Fatalf("signed, then refused: %v\n%s", err, in)
		}
		before, err := CanonicalizeRDFC(doc)
		if err != nil {
			t.Fatalf("signed, but does not canonicalize: %v", err)
		}
		changed, ok := changeOneString(doc).(map[string]any)
		if !ok || reflect.DeepEqual(changed, doc) {
			return
		}
		after, cerr := CanonicalizeRDFC(changed)
		tampered := maps.Clone(changed)
		tampered["proof"] = signed["proof"]
		err = VerifyRDFC(context.Background(), tampered, DIDKeyResolver, VerifyOptions{})
		if err == nil && (cerr != nil || !bytes.Equal(before, after)) {
			t.Fatalf("a change to the data verified:\n%s", in)
		}
	})
}

// changeOneString returns a copy of v with the first string value (in key
// order, outside @context) changed.
func changeOneString(v any) any {
	done := false
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			if !done {
				done = true
				return x + "~"
			}
			return x
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = walk(e)
			}
			return out
		case map[string]any:
			out := make(map[string]any, len(x))
			keys := slices.Sorted(maps.Keys(x))
			for _, k := range keys {
				if k == "@context" {
					out[k] = x[k]
					continue
				}
				out[k] = walk(x[k])
			}
			return out
		}
		return v
	}
	return walk(v)
}
