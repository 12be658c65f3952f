package vc

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
)

// ErrDIDKey is returned for an identifier that is not an Ed25519 did:key.
var ErrDIDKey = errors.New("vc: not an Ed25519 did:key")

// DIDKey returns the did:key identifier of an Ed25519 public key
// ("did:key:z6Mk…").
func DIDKey(pub ed25519.PublicKey) (string, error) {
	mk, err := EncodePublicKey(pub)
	if err != nil {
		return "", err
	}
	return "did:key:" + mk, nil
}

// DIDKeyMethod returns the verification method id of an Ed25519 did:key:
// "did:key:z6Mk…#z6Mk…".
func DIDKeyMethod(pub ed25519.PublicKey) (string, error) {
	mk, err := EncodePublicKey(pub)
	if err != nil {
		return "", err
	}
	return "did:key:" + mk + "#" + mk, nil
}

// DIDDocument is the part of a DID document the did:key method produces.
type DIDDocument struct {
	Context            []string             `json:"@context"`
	ID                 string               `json:"id"`
	VerificationMethod []VerificationMethod `json:"verificationMethod"`
	Authentication     []string             `json:"authentication"`
	AssertionMethod    []string             `json:"assertionMethod"`
}

// VerificationMethod is a Multikey verification method.
type VerificationMethod struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	Controller         string `json:"controller"`
	PublicKeyMultibase string `json:"publicKeyMultibase"`
}

// ResolveDIDKey returns the DID document of an Ed25519 did:key, with its
// single Multikey verification method for authentication and assertion. A
// DID URL with a fragment is accepted when the fragment is the key itself.
func ResolveDIDKey(did string) (*DIDDocument, error) {
	mk, ok := strings.CutPrefix(did, "did:key:")
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrDIDKey, did)
	}
	if base, frag, found := strings.Cut(mk, "#"); found {
		if frag != base {
			return nil, fmt.Errorf("%w: fragment %q", ErrDIDKey, frag)
		}
		mk = base
	}
	if _, err := DecodePublicKey(mk); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDIDKey, err)
	}
	id := "did:key:" + mk
	vm := id + "#" + mk
	return &DIDDocument{
		Context: []string{"https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"},
		ID:      id,
		VerificationMethod: []VerificationMethod{{
			ID: vm, Type: "Multikey", Controller: id, PublicKeyMultibase: mk,
		}},
		Authentication:  []string{vm},
		AssertionMethod: []string{vm},
	}, nil
}

// KeyResolver returns the Ed25519 public key of a verification method id.
type KeyResolver func(ctx context.Context, vmID string) (ed25519.PublicKey, error)

// DIDKeyResolver resolves did:key verification method ids
// ("did:key:z6Mk…#z6Mk…"); it is a KeyResolver that needs no network.
func DIDKeyResolver(_ context.Context, vmID string) (ed25519.PublicKey, error) {
	if !strings.Contains(vmID, "#") {
		return nil, fmt.Errorf("%w: %q has no fragment", ErrDIDKey, vmID)
	}
	doc, err := ResolveDIDKey(vmID)
	if err != nil {
		return nil, err
	}
	return DecodePublicKey(doc.VerificationMethod[0].PublicKeyMultibase)
}
