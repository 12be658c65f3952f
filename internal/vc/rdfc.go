package vc

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/trustcred/trustcred/internal/vc/internal/ld"
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

// safeOptions are the options of every safe-mode expansion and of the
// shared contexts of sharedRoot (json-gold reads SafeMode from the active
// context's options). Shared between goroutines, never modified.
var safeOptions = func() *ld.JsonLdOptions {
	o := jsonLDOptions()
	o.SafeMode = true
	return o
}()

// normalizeOptions are the options of RDFC-1.0 on an expanded document.
var normalizeOptions = func() *ld.JsonLdOptions {
	o := jsonLDOptions()
	o.Algorithm = ld.AlgorithmURDNA2015
	o.Format = "application/n-quads"
	return o
}()

// sharedRoot is the empty active context of every safe-mode expansion of
// a document whose @context is made of embedded context URLs. It is shared
// (ld.Context.Share): the active context made of such an @context, and every
// context derived from it by a scoped context while expanding, is processed
// once and remembered (internal/ld bounds how many). The embedded contexts
// are fixed at build time, which sharing requires. Processing the VC v2
// context and the proof's and subjects' type-scoped contexts was most of the
// cost of a canonicalization.
var sharedRoot = ld.NewContext(nil, safeOptions).Share()

// activeContext returns the shared active context for a document's @context
// value; ok is false when the value is not a list of embedded context URLs
// or its processing failed (the caller then processes the document as a
// whole, which reports the error).
func activeContext(local any) (ctx *ld.Context, ok bool) {
	var urls []any
	switch v := local.(type) {
	case string:
		urls = []any{v}
	case []any:
		urls = v
	default:
		return nil, false
	}
	if len(urls) == 0 {
		return nil, false
	}
	for _, u := range urls {
		s, isStr := u.(string)
		if !isStr {
			return nil, false
		}
		if _, known := contextFileNames[s]; !known {
			return nil, false
		}
	}
	ctx, err := sharedRoot.Parse(local)
	if err != nil {
		return nil, false
	}
	return ctx, true
}

// expandSafe is json-gold's Expand with opts (in safe mode), with the
// document's shared active context (activeContext) when opts are safeOptions
// and the @context is made of embedded URLs.
func expandSafe(doc any, opts *ld.JsonLdOptions) ([]any, error) {
	m, isMap := doc.(map[string]any)
	if !isMap || opts != safeOptions {
		return ld.NewJsonLdProcessor().Expand(doc, opts)
	}
	local, hasCtx := m["@context"]
	active, cached := activeContext(local)
	if !hasCtx || !cached {
		return ld.NewJsonLdProcessor().Expand(doc, safeOptions)
	}
	body := make(map[string]any, len(m)-1)
	for k, v := range m {
		if k != "@context" {
			body[k] = v
		}
	}
	return expandFrom(active, body, safeOptions)
}

// expandFrom is json-gold's expansion of a document without a top-level
// @context (body) in the active context active.
func expandFrom(active *ld.Context, body any, opts *ld.JsonLdOptions) ([]any, error) {
	expanded, err := ld.NewJsonLdApi().Expand(active, "", body, opts, false, nil)
	if err != nil {
		return nil, err
	}
	// The last step of the expansion algorithm, as JsonLdProcessor.Expand
	// does it: an object that is only @graph becomes its contents, and the
	// result is an array.
	switch e := expanded.(type) {
	case nil:
		return []any{}, nil
	case []any:
		return e, nil
	case map[string]any:
		if len(e) == 0 {
			return []any{}, nil
		}
		if g, ok := e["@graph"]; ok && len(e) == 1 {
			if gl, isList := g.([]any); isList {
				return gl, nil
			}
			return []any{g}, nil
		}
		return []any{e}, nil
	default:
		return []any{e}, nil
	}
}

// CanonicalizeRDFC returns the RDF Dataset Canonicalization (RDFC-1.0, also
// known as URDNA2015) of a JSON-LD document (a decoded JSON value, see
// ParseJSON) as N-Quads. Contexts are loaded only from the embedded set
// (OfflineLoader); any other context URL fails with ErrUnknownContext. A
// property or @type the context does not define, which JSON-LD expansion
// would drop or leave as a relative IRI, fails with ErrUndefinedTerm.
//
// A document that would convert to RDF only by dropping statements (a
// relative "id", an IRI json-gold rejects) fails with ErrDroppedStatement.
//
// The active context made of a document's @context is processed once and
// reused (see activeContext); the document is expanded once, in safe mode,
// and that expansion is what is converted to RDF (toRDF) and canonicalized.
func CanonicalizeRDFC(doc any) ([]byte, error) {
	dataset, err := rdfDataset(doc, safeOptions)
	if err != nil {
		return nil, err
	}
	return canonicalize(dataset)
}

// canonicalize is RDFC-1.0 on an RDF dataset, refused (ErrTooAmbiguous)
// when it needs more work than workBound allows.
func canonicalize(dataset *ld.RDFDataset) ([]byte, error) {
	na, err := normalized(dataset)
	if err != nil {
		return nil, err
	}
	return na.AppendNQuads(nil), nil
}

func normalized(dataset *ld.RDFDataset) (*ld.NormalisationAlgorithm, error) {
	na := ld.NewNormalisationAlgorithm(ld.AlgorithmURDNA2015)
	if err := na.NormalizeBounded(dataset, workBound); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJSONLD, ErrTooAmbiguous)
	}
	return na, nil
}

// canonicalHash is sha256.Sum256(CanonicalizeRDFC(doc)), without joining
// the canonical lines first.
func canonicalHash(doc any) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	dataset, err := rdfDataset(doc, safeOptions)
	if err != nil {
		return sum, err
	}
	na, err := normalized(dataset)
	if err != nil {
		return sum, err
	}
	h := sha256.New()
	na.HashNQuads(h)
	h.Sum(sum[:0])
	return sum, nil
}

// rdfDataset is the JSON-LD to RDF conversion of signing and verification:
// one safe-mode expansion of doc with opts (safeOptions, or the W3C suite's
// options in tests), whose undefined terms, relative types and dropped
// statements are errors, converted by toRDF.
//
// json-gold's context processing and expansion assert the types of what
// they read in many places; a panic there on a crafted document (one such
// case, a "@container": {}, was found by FuzzSignVerifyRDFC and is fixed in
// internal/ld) is recovered here as ErrJSONLD, so bad input never takes
// down a verification.
func rdfDataset(doc any, opts *ld.JsonLdOptions) (ds *ld.RDFDataset, err error) {
	defer func() {
		if r := recover(); r != nil {
			ds, err = nil, fmt.Errorf("%w: the document could not be processed", ErrJSONLD)
		}
	}()
	expanded, err := expandSafe(doc, opts)
	if err != nil {
		if errors.Is(err, ErrUnknownContext) {
			return nil, err
		}
		var jerr *ld.JsonLdError
		if errors.As(err, &jerr) && jerr.Code == ld.InvalidProperty {
			if term := undefinedTerm(ld.NewJsonLdProcessor(), doc, opts); term != "" {
				return nil, fmt.Errorf("%w: %s", ErrUndefinedTerm, term)
			}
			return nil, fmt.Errorf("%w: %w", ErrUndefinedTerm, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrJSONLD, err)
	}
	if t := relativeType(expanded); t != "" {
		return nil, fmt.Errorf("%w: type %s is not an absolute IRI", ErrUndefinedTerm, t)
	}
	return toRDF(expanded)
}

// undefinedTerm expands doc again with a probe @vocab beneath its own
// context, so that terms the context does not define expand under the probe
// instead of being dropped, and returns the first such term ("" if none).
func undefinedTerm(proc *ld.JsonLdProcessor, doc any, safe *ld.JsonLdOptions) string {
	opts := jsonLDOptions()
	opts.Base, opts.DocumentLoader = safe.Base, safe.DocumentLoader
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
// It walks the document as walkExpanded does, without a slice per @type.
func relativeType(expanded any) string {
	switch v := expanded.(type) {
	case []any:
		for _, e := range v {
			if t := relativeType(e); t != "" {
				return t
			}
		}
	case map[string]any:
		for k, e := range v {
			if k == "@type" {
				switch t := e.(type) {
				case string:
					if relativeIRI(t) {
						return t
					}
				case []any:
					for _, x := range t {
						if s, ok := x.(string); ok && relativeIRI(s) {
							return s
						}
					}
				}
			}
			if k != "@value" {
				if t := relativeType(e); t != "" {
					return t
				}
			}
		}
	}
	return ""
}

// relativeIRI reports whether a @type value is neither an IRI nor a keyword.
func relativeIRI(t string) bool {
	return !strings.Contains(t, ":") && !ld.IsKeyword(t)
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
	ph, err := proofConfigHash(proofConfig)
	if err != nil {
		return nil, fmt.Errorf("proof config: %w", err)
	}
	dh, err := canonicalHash(unsecured)
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	return append(ph[:], dh[:]...), nil
}

// proofConfigs remembers SHA-256(RDFC(proof configuration)) by the
// configuration's content (proofConfigKey). A proof configuration is
// small but goes through the whole JSON-LD machinery, as much as a
// credential's subject; and the credentials of a bulk batch, signed within
// the same second by the same key, have the same one. At most
// maxProofConfigs are kept; when full, the cache starts again empty.
var proofConfigs struct {
	sync.RWMutex
	m map[string][sha256.Size]byte
}

const maxProofConfigs = 1024

// proofConfigHash is SHA-256(CanonicalizeRDFC(config)), remembered for a
// configuration proofConfigKey can name (only a successful result).
func proofConfigHash(config map[string]any) ([sha256.Size]byte, error) {
	key, cacheable := proofConfigKey(config)
	if cacheable {
		proofConfigs.RLock()
		h, ok := proofConfigs.m[key]
		proofConfigs.RUnlock()
		if ok {
			return h, nil
		}
	}
	h, err := canonicalHash(config)
	if err != nil {
		return h, err
	}
	if cacheable {
		proofConfigs.Lock()
		if proofConfigs.m == nil || len(proofConfigs.m) >= maxProofConfigs {
			proofConfigs.m = make(map[string][sha256.Size]byte)
		}
		proofConfigs.m[key] = h
		proofConfigs.Unlock()
	}
	return h, nil
}

// proofConfigKey names a proof configuration by its whole content, when it
// is made only of string members and an @context that is a string or a
// list of strings (as every proof options makes it): each member name and
// value length-prefixed, in name order, so that two configurations have
// the same key exactly when they are the same JSON value. ok is false for
// any other configuration (it is then canonicalized every time).
func proofConfigKey(config map[string]any) (key string, ok bool) {
	if len(config) > 16 {
		return "", false
	}
	var names [16]string
	n := 0
	for k := range config {
		names[n] = k
		n++
	}
	slices.Sort(names[:n])
	b := make([]byte, 0, 512)
	str := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	for _, k := range names[:n] {
		str(k)
		switch v := config[k].(type) {
		case string:
			b = append(b, 's')
			str(v)
		case []any:
			if k != "@context" {
				return "", false
			}
			b = append(b, 'l')
			b = strconv.AppendInt(b, int64(len(v)), 10)
			b = append(b, ':')
			for _, e := range v {
				s, isStr := e.(string)
				if !isStr {
					return "", false
				}
				str(s)
			}
		default:
			return "", false
		}
	}
	return string(b), true
}
