package vc

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// The proof type and cryptosuite of W3C vc-di-eddsa that this package
// implements.
const (
	ProofType        = "DataIntegrityProof"
	CryptosuiteJCS   = "eddsa-jcs-2022"
	CryptosuiteRDFC  = "eddsa-rdfc-2022"
	PurposeAssertion = "assertionMethod"
)

// Errors of proof creation and verification.
var (
	ErrProofOptions   = errors.New("vc: invalid proof options")
	ErrNoProof        = errors.New("vc: document has no proof")
	ErrProofSet       = errors.New("vc: proof sets are not supported")
	ErrProof          = errors.New("vc: malformed proof")
	ErrProofPurpose   = errors.New("vc: unexpected proof purpose")
	ErrProofContext   = errors.New("vc: proof @context differs from the document's")
	ErrKeyResolution  = errors.New("vc: verification method not resolved")
	ErrInvalidProof   = errors.New("vc: invalid signature")
	ErrDocumentFormat = errors.New("vc: document is not a JSON object")
)

// ProofOptions are the options of a new proof. Type and Cryptosuite default
// to DataIntegrityProof and the cryptosuite of the signing function
// (eddsa-jcs-2022 for SignJCS, eddsa-rdfc-2022 for SignRDFC), ProofPurpose to assertionMethod;
// Created, when set, is written as an XML Schema dateTime in UTC with second
// precision.
type ProofOptions struct {
	Type               string
	Cryptosuite        string
	Created            time.Time
	Expires            time.Time
	VerificationMethod string
	ProofPurpose       string
	Challenge          string
	Domain             string
}

func (o ProofOptions) proof(suite string) (map[string]any, error) {
	p := map[string]any{
		"type":               o.Type,
		"cryptosuite":        o.Cryptosuite,
		"verificationMethod": o.VerificationMethod,
		"proofPurpose":       o.ProofPurpose,
	}
	if o.Type == "" {
		p["type"] = ProofType
	}
	if o.Cryptosuite == "" {
		p["cryptosuite"] = suite
	}
	if o.ProofPurpose == "" {
		p["proofPurpose"] = PurposeAssertion
	}
	if p["type"] != ProofType || p["cryptosuite"] != suite {
		return nil, fmt.Errorf("%w: type %v, cryptosuite %v", ErrProofOptions, p["type"], p["cryptosuite"])
	}
	if o.VerificationMethod == "" {
		return nil, fmt.Errorf("%w: no verificationMethod", ErrProofOptions)
	}
	if !o.Created.IsZero() {
		p["created"] = o.Created.UTC().Format(time.RFC3339)
	}
	if !o.Expires.IsZero() {
		p["expires"] = o.Expires.UTC().Format(time.RFC3339)
	}
	if o.Challenge != "" {
		p["challenge"] = o.Challenge
	}
	if o.Domain != "" {
		p["domain"] = o.Domain
	}
	return p, nil
}

// SignJCS adds an eddsa-jcs-2022 DataIntegrityProof to the unsecured
// document doc (a decoded JSON object, see ParseJSON) and returns the secured
// document; doc itself is not modified. A document that already has a proof
// is refused (proof sets and chains are not supported).
func SignJCS(doc map[string]any, opts ProofOptions, priv ed25519.PrivateKey) (map[string]any, error) {
	return sign(doc, opts, priv, suiteJCS)
}

// hashFunc computes the hashData of a cryptosuite from the proof
// configuration and the unsecured document.
type hashFunc func(proofConfig, unsecured map[string]any) ([]byte, error)

// suite describes a cryptosuite. With implicitContext the proof is
// canonicalized with the document's @context but written without one (as
// the eddsa-rdfc-2022 vectors are), and a proof without @context verifies
// against the document's.
type suite struct {
	name            string
	hashData        hashFunc
	implicitContext bool
}

var (
	suiteJCS  = suite{name: CryptosuiteJCS, hashData: hashDataJCS}
	suiteRDFC = suite{name: CryptosuiteRDFC, hashData: hashDataRDFC, implicitContext: true}
)

func sign(doc map[string]any, opts ProofOptions, priv ed25519.PrivateKey, cs suite) (map[string]any, error) {
	if _, ok := doc["proof"]; ok {
		return nil, ErrProofSet
	}
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: private key is %d bytes", ErrProofOptions, len(priv))
	}
	proof, err := opts.proof(cs.name)
	if err != nil {
		return nil, err
	}
	if ctx, ok := doc["@context"]; ok {
		proof["@context"] = ctx
	}
	hash, err := cs.hashData(proof, doc)
	if err != nil {
		return nil, err
	}
	if cs.implicitContext {
		delete(proof, "@context")
	}
	proof["proofValue"] = MultibaseEncode(ed25519.Sign(priv, hash))
	secured := maps.Clone(doc)
	secured["proof"] = proof
	return secured, nil
}

// VerifyOptions constrain what VerifyJCS and VerifyRDFC accept. ProofPurpose defaults to
// assertionMethod.
type VerifyOptions struct {
	ProofPurpose string
}

// VerifyJCS verifies the eddsa-jcs-2022 DataIntegrityProof of a secured
// document, resolving its verificationMethod with resolve. It returns nil
// only for a valid signature over exactly this document and proof.
func VerifyJCS(ctx context.Context, doc map[string]any, resolve KeyResolver, opts VerifyOptions) error {
	return verify(ctx, doc, resolve, opts, suiteJCS)
}

func verify(ctx context.Context, doc map[string]any, resolve KeyResolver, opts VerifyOptions, cs suite) error {
	raw, ok := doc["proof"]
	if !ok {
		return ErrNoProof
	}
	proof, ok := raw.(map[string]any)
	if !ok {
		if _, isSet := raw.([]any); isSet {
			return ErrProofSet
		}
		return fmt.Errorf("%w: proof is %T", ErrProof, raw)
	}
	if proof["type"] != ProofType || proof["cryptosuite"] != cs.name {
		return fmt.Errorf("%w: type %v, cryptosuite %v", ErrProof, proof["type"], proof["cryptosuite"])
	}
	purpose := opts.ProofPurpose
	if purpose == "" {
		purpose = PurposeAssertion
	}
	if proof["proofPurpose"] != purpose {
		return fmt.Errorf("%w: %v, want %s", ErrProofPurpose, proof["proofPurpose"], purpose)
	}
	for _, k := range []string{"created", "expires"} {
		if v, ok := proof[k]; ok {
			if ts, isStr := v.(string); !isStr || !validDateTime(ts) {
				return fmt.Errorf("%w: %s %v is not a dateTime", ErrProof, k, v)
			}
		}
	}
	vm, ok := proof["verificationMethod"].(string)
	if !ok || vm == "" {
		return fmt.Errorf("%w: no verificationMethod", ErrProof)
	}
	pv, ok := proof["proofValue"].(string)
	if !ok {
		return fmt.Errorf("%w: no proofValue", ErrProof)
	}
	sig, err := MultibaseDecode(pv)
	if err != nil {
		return fmt.Errorf("%w: proofValue: %w", ErrProof, err)
	}
	if len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: proofValue is %d bytes", ErrProof, len(sig))
	}
	unsecured := maps.Clone(doc)
	delete(unsecured, "proof")
	config := maps.Clone(proof)
	delete(config, "proofValue")
	pc, hasPC := config["@context"]
	dc, hasDC := unsecured["@context"]
	implicit := cs.implicitContext && !hasPC && hasDC
	if implicit {
		// The document's own @context: the same value, nothing to compare.
		config["@context"], pc, hasPC = dc, dc, true
	}
	if hasPC != hasDC || (hasPC && !implicit && !sameContext(pc, dc)) {
		return ErrProofContext
	}
	pub, err := resolve(ctx, vm)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrKeyResolution, vm, err)
	}
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: %s: key is %d bytes", ErrKeyResolution, vm, len(pub))
	}
	hash, err := cs.hashData(config, unsecured)
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, hash, sig) {
		return ErrInvalidProof
	}
	return nil
}

// validDateTime reports whether s is an XML Schema dateTimeStamp as Data
// Integrity uses it (RFC 3339, with a time zone).
func validDateTime(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// sameContext reports whether two @context values have the same canonical
// JSON form.
func sameContext(a, b any) bool {
	ca, err := CanonicalizeValue(a)
	if err != nil {
		return false
	}
	cb, err := CanonicalizeValue(b)
	return err == nil && slices.Equal(ca, cb)
}

// hashDataJCS is the eddsa-jcs-2022 hashing step:
// SHA-256(JCS(proofConfig)) || SHA-256(JCS(unsecuredDocument)).
func hashDataJCS(proofConfig, unsecured map[string]any) ([]byte, error) {
	cp, err := CanonicalizeValue(proofConfig)
	if err != nil {
		return nil, fmt.Errorf("proof config: %w", err)
	}
	cd, err := CanonicalizeValue(unsecured)
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	ph := sha256.Sum256(cp)
	dh := sha256.Sum256(cd)
	return append(ph[:], dh[:]...), nil
}
