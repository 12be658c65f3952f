package vc

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/vc/internal/ld"
)

// jsonGoldRDFC canonicalizes doc with json-gold alone: no cached contexts,
// json-gold's own RDF conversion.
func jsonGoldRDFC(t *testing.T, doc any) string {
	t.Helper()
	opts := jsonLDOptions()
	opts.Algorithm = ld.AlgorithmURDNA2015
	opts.Format = "application/n-quads"
	out, err := ld.NewJsonLdProcessor().Normalize(doc, opts)
	if err != nil {
		t.Fatalf("json-gold: %v", err)
	}
	return out.(string)
}

func mustParse(t *testing.T, s string) any {
	t.Helper()
	v, err := ParseJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestToRDFMatchesJSONGold checks that CanonicalizeRDFC (cached active
// contexts, one safe-mode expansion, toRDF) gives json-gold's canonical form
// on documents that exercise every kind of RDF term: lists, numbers,
// booleans, language strings, typed literals, blank nodes, named graphs,
// @json objects, scoped contexts.
func TestToRDFMatchesJSONGold(t *testing.T) {
	const inline = `{"@vocab": "https://example.org/vocab#", "xsd": "http://www.w3.org/2001/XMLSchema#",
		"items": {"@container": "@list"}, "payload": {"@type": "@json"},
		"ratio": {"@type": "xsd:double"}, "day": {"@type": "xsd:date"},
		"link": {"@type": "@id"}, "label": {"@language": "fr"}}`
	docs := map[string]any{
		"vector unsigned":     vectorObject(t, "unsigned.json"),
		"vector signed rdfc":  vectorObject(t, "eddsa-rdfc-2022/signedDataInt.json"),
		"vector proof config": vectorObject(t, "eddsa-rdfc-2022/proofConfigDataInt.json"),
		"signed with proof @context": func() any {
			d := vectorObject(t, "eddsa-rdfc-2022/signedDataInt.json")
			d["proof"].(map[string]any)["@context"] = d["@context"]
			return d
		}(),
		"open badge": openBadge(),
		"trustcred":  trustCredCredential(),
		"literals and lists": mustParse(t, `{
			"@context": [`+"\""+ContextCredentialsV2+"\""+`, `+inline+`],
			"id": "urn:uuid:0f3c1a2e-1111-4222-8333-944445555666",
			"type": ["VerifiableCredential", "Thing"],
			"issuer": "did:example:issuer",
			"credentialSubject": {
				"count": 3, "big": 12345678901234, "ratio": 2, "pi": 3.14159, "tiny": 1.5e-7,
				"yes": true, "no": false, "day": "2024-02-29",
				"label": "bonjour", "text": {"@value": "hello", "@language": "en-GB"},
				"items": ["a", 1, {"name": "nested"}, ["x", "y"], []],
				"link": "https://example.org/things/1",
				"payload": {"b": [1, 2.5, "z"], "a": null},
				"anon": {"name": "blank node", "knows": {"name": "another"}}
			},
			"evidence": [{"id": "https://example.org/e/1", "type": "Evidence"}, {"type": "Evidence", "name": "second"}]
		}`),
		"named graph": mustParse(t, `{
			"@context": {"@vocab": "https://example.org/vocab#"},
			"@id": "https://example.org/g",
			"@graph": [{"@id": "https://example.org/a", "p": "1"}, {"p": {"q": 2}}]
		}`),
	}
	for name, doc := range docs {
		got, err := CanonicalizeRDFC(doc)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if want := jsonGoldRDFC(t, doc); string(got) != want {
			t.Errorf("%s: canonical forms differ\n got %s\nwant %s", name, got, want)
		}
		again, err := CanonicalizeRDFC(doc) // from the cached active context
		if err != nil || string(again) != string(got) {
			t.Errorf("%s: second canonicalization differs: %v\n%s", name, err, again)
		}
	}
}

// What json-gold leaves out of the RDF without a word is refused.
func TestCanonicalizeRDFCDroppedStatements(t *testing.T) {
	cases := map[string]string{
		"relative subject id": `{"@context": {"@vocab": "https://example.org/#"}, "@id": "alice", "name": "Alice"}`,
		"relative object id": `{"@context": {"@vocab": "https://example.org/#", "knows": {"@type": "@id"}},
			"@id": "https://example.org/alice", "knows": "bob"}`,
		"nested relative id": `{"@context": ["` + ContextCredentialsV2 + `", "` + ContextCredentialsExamples + `"],
			"type": ["VerifiableCredential"], "issuer": "did:example:1",
			"credentialSubject": {"id": "student-42", "alumniOf": "Example U"}}`,
		"invalid http IRI": `{"@context": {"@vocab": "https://example.org/#"}, "@id": "https://exa mple.org/x", "name": "x"}`,
	}
	for name, s := range cases {
		doc := mustParse(t, s)
		got, err := CanonicalizeRDFC(doc)
		if !errors.Is(err, ErrDroppedStatement) || !errors.Is(err, ErrJSONLD) {
			t.Errorf("%s: %s, %v; want ErrDroppedStatement", name, got, err)
		}
	}
	// json-gold alone would have signed the credential without its subject.
	if nq := jsonGoldRDFC(t, mustParse(t, cases["nested relative id"])); strings.Contains(nq, "Example U") {
		t.Errorf("json-gold kept the subject; the test no longer shows the trap:\n%s", nq)
	}
}

// graphOf is a JSON-LD document of n blank nodes, each linked to the given
// others by schema:knows.
func graphOf(n int, links func(i, j int) bool) map[string]any {
	var nodes []any
	for i := 0; i < n; i++ {
		var knows []any
		for j := 0; j < n; j++ {
			if j != i && links(i, j) {
				knows = append(knows, map[string]any{"@id": fmt.Sprintf("_:b%d", j)})
			}
		}
		node := map[string]any{"@id": fmt.Sprintf("_:b%d", i), "@type": "https://schema.org/Person"}
		if len(knows) > 0 {
			node["https://schema.org/knows"] = knows
		}
		nodes = append(nodes, node)
	}
	return map[string]any{"@graph": nodes}
}

// named gives each node of a graphOf document its own name.
func named(doc map[string]any) map[string]any {
	for i, n := range doc["@graph"].([]any) {
		n.(map[string]any)["https://schema.org/name"] = fmt.Sprintf("Person %d", i)
	}
	return doc
}

// A poison graph (identical, mutually linked blank nodes) would take
// RDFC-1.0 exponential time: 7 of them took json-gold 1.4 s, 10 would take
// minutes. Canonicalization stops at its work bound (workBound); alike
// blank nodes that are not linked, or few enough, or linked in a ring, are
// canonicalized.
func TestCanonicalizeRDFCRefusesPoisonGraphs(t *testing.T) {
	all := func(i, j int) bool { return true }
	for _, n := range []int{6, 8, 30} {
		if _, err := CanonicalizeRDFC(graphOf(n, all)); !errors.Is(err, ErrTooAmbiguous) || !errors.Is(err, ErrJSONLD) {
			t.Errorf("%d identical, mutually linked blank nodes: %v, want ErrTooAmbiguous", n, err)
		}
	}
	for name, doc := range map[string]map[string]any{
		"4 linked":             graphOf(4, all),
		"5 linked":             graphOf(5, all),
		"a ring of 12":         graphOf(12, func(i, j int) bool { return j == (i+1)%12 }),
		"50 not linked":        graphOf(50, func(i, j int) bool { return false }),
		"a chain of 200 named": named(graphOf(200, func(i, j int) bool { return j == i+1 })),
	} {
		got, err := CanonicalizeRDFC(doc)
		if err != nil || len(got) == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A context json-gold's processing once panicked on (found by
// FuzzSignVerifyRDFC) is an error, for signing and for verifying.
func TestMalformedContextIsAnError(t *testing.T) {
	noNetwork(t)
	for _, container := range []string{`{}`, `[{}]`, `[1]`} {
		doc, err := ParseJSON([]byte(`{"@context":{"@vocab":"urn:x:","t":{"@container":` + container + `}}, "t": "v"}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := CanonicalizeRDFC(doc); !errors.Is(err, ErrJSONLD) {
			t.Errorf("@container %s: %v, want ErrJSONLD", container, err)
		}
	}
}

// A value with control characters canonicalizes as RDFC-1.0 (and
// rdf-canonize) writes it: \b \f by name, others as upper-case \uXXXX.
func TestControlCharactersInCanonicalNQuads(t *testing.T) {
	noNetwork(t)
	doc := trustCredCredential()
	doc["credentialSubject"].(map[string]any)["grade"] = "A\b\f\x01\x7f\"\\"
	nq, err := CanonicalizeRDFC(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"A\b\f\u0001\u007F\"\\"`; !strings.Contains(string(nq), want) {
		t.Errorf("canonical form lacks %s:\n%s", want, nq)
	}
}
