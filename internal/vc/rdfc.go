package vc

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// ErrUndefinedTerm is returned for a JSON-LD document with a property or
// @type that its @context does not define. JSON-LD processing would silently
// drop such a property, so a signature would not cover it; the document is
// refused instead. The error names the term.
var ErrUndefinedTerm = errors.New("vc: term not defined by the JSON-LD context")

// ErrJSONLD is returned for a document JSON-LD processing rejects.
var ErrJSONLD = errors.New("vc: invalid JSON-LD")

// probeVocab is the @vocab under which undefined terms are expanded to name
// them in an error; it never reaches a canonical form.
const probeVocab = "urn:trustcred:undefined-term:"

func jsonLDOptions() *ld.JsonLdOptions {
	o := ld.NewJsonLdOptions("")
	o.DocumentLoader = OfflineLoader{}
	o.ProcessingMode = ld.JsonLd_1_1
	return o
}

// CanonicalizeRDFC returns the RDF Dataset Canonicalization (RDFC-1.0, also
// known as URDNA2015) of a JSON-LD document (a decoded JSON value, see
// ParseJSON) as N-Quads. Contexts are loaded only from the embedded set
// (OfflineLoader); any other context URL fails with ErrUnknownContext. A
// property or @type the context does not define, which JSON-LD expansion
// would drop or leave as a relative IRI, fails with ErrUndefinedTerm.
func CanonicalizeRDFC(doc any) ([]byte, error) {
	proc := ld.NewJsonLdProcessor()
	opts := jsonLDOptions()
	opts.SafeMode = true
	expanded, err := proc.Expand(doc, opts)
	if err != nil {
		if errors.Is(err, ErrUnknownContext) {
			return nil, err
		}
		var jerr *ld.JsonLdError
		if errors.As(err, &jerr) && jerr.Code == ld.InvalidProperty {
			if term := undefinedTerm(proc, doc); term != "" {
				return nil, fmt.Errorf("%w: %s", ErrUndefinedTerm, term)
			}
			return nil, fmt.Errorf("%w: %w", ErrUndefinedTerm, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrJSONLD, err)
	}
	if t := relativeType(expanded); t != "" {
		return nil, fmt.Errorf("%w: type %s is not an absolute IRI", ErrUndefinedTerm, t)
	}
	nopts := jsonLDOptions()
	nopts.Algorithm = ld.AlgorithmURDNA2015
	nopts.Format = "application/n-quads"
	out, err := proc.Normalize(expanded, nopts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJSONLD, err)
	}
	s, ok := out.(string)
	if !ok {
		return nil, fmt.Errorf("%w: canonicalization returned %T", ErrJSONLD, out)
	}
	return []byte(s), nil
}

// undefinedTerm expands doc again with a probe @vocab beneath its own
// context, so that terms the context does not define expand under the probe
// instead of being dropped, and returns the first such term ("" if none).
func undefinedTerm(proc *ld.JsonLdProcessor, doc any) string {
	opts := jsonLDOptions()
	opts.ExpandContext = map[string]any{"@vocab": probeVocab}
	expanded, err := proc.Expand(doc, opts)
	if err != nil {
		return ""
	}
	var terms []string
	walkExpanded(expanded, func(key string, types []string) {
		if t, ok := strings.CutPrefix(key, probeVocab); ok {
			terms = append(terms, t)
		}
		for _, ty := range types {
			if t, ok := strings.CutPrefix(ty, probeVocab); ok {
				terms = append(terms, t)
			}
		}
	})
	if len(terms) == 0 {
		// Keys of the keyword form (@foo) that are not keywords are dropped
		// whatever the vocabulary.
		walkExpanded(doc, func(key string, _ []string) {
			if strings.HasPrefix(key, "@") && !ld.IsKeyword(key) {
				terms = append(terms, key)
			}
		})
	}
	if len(terms) == 0 {
		return ""
	}
	slices.Sort(terms)
	return strings.Join(slices.Compact(terms), ", ")
}

// relativeType returns the first @type value of an expanded document that
// is not an absolute IRI (or blank node identifier), "" if there is none.
func relativeType(expanded any) string {
	var bad string
	walkExpanded(expanded, func(_ string, types []string) {
		for _, t := range types {
			if bad == "" && !strings.Contains(t, ":") {
				bad = t
			}
		}
	})
	return bad
}

// walkExpanded calls f for every key of every object in a JSON(-LD) value,
// with the string values of the key when it is @type.
func walkExpanded(v any, f func(key string, types []string)) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			walkExpanded(e, f)
		}
	case map[string]any:
		for k, e := range v {
			var types []string
			if k == "@type" {
				switch t := e.(type) {
				case string:
					types = []string{t}
				case []any:
					for _, x := range t {
						if s, ok := x.(string); ok {
							types = append(types, s)
						}
					}
				}
			}
			f(k, types)
			if k != "@value" {
				walkExpanded(e, f)
			}
		}
	}
}

// SignRDFC adds an eddsa-rdfc-2022 DataIntegrityProof to the unsecured
// document doc and returns the secured document; doc itself is not modified.
// It is SignJCS with RDFC-1.0 canonicalization instead of JCS, so the
// document must be valid JSON-LD whose contexts are all available offline.
// The proof is canonicalized with the document's @context but, as in the
// W3C test vectors, written without an @context of its own.
func SignRDFC(doc map[string]any, opts ProofOptions, priv ed25519.PrivateKey) (map[string]any, error) {
	return sign(doc, opts, priv, suiteRDFC)
}

// VerifyRDFC verifies the eddsa-rdfc-2022 DataIntegrityProof of a secured
// document like VerifyJCS does for eddsa-jcs-2022. A proof without @context
// is verified with the document's; one with an @context must have the
// document's.
func VerifyRDFC(ctx context.Context, doc map[string]any, resolve KeyResolver, opts VerifyOptions) error {
	return verify(ctx, doc, resolve, opts, suiteRDFC)
}

// hashDataRDFC is the eddsa-rdfc-2022 hashing step:
// SHA-256(RDFC(proofConfig)) || SHA-256(RDFC(unsecuredDocument)).
func hashDataRDFC(proofConfig, unsecured map[string]any) ([]byte, error) {
	cp, err := CanonicalizeRDFC(proofConfig)
	if err != nil {
		return nil, fmt.Errorf("proof config: %w", err)
	}
	cd, err := CanonicalizeRDFC(unsecured)
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	ph := sha256.Sum256(cp)
	dh := sha256.Sum256(cd)
	return append(ph[:], dh[:]...), nil
}
