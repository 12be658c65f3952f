// Package vc signs and verifies W3C Verifiable Credentials with Data
// Integrity proofs (the eddsa-jcs-2022 cryptosuite), Ed25519 Multikeys and
// did:key identifiers.
package vc

import (
	"crypto/ed25519"
	"errors"
	"fmt"
)

// Multicodec prefixes (unsigned varints) of the Ed25519 Multikey encodings.
var (
	ed25519PubPrefix  = []byte{0xed, 0x01} // ed25519-pub
	ed25519PrivPrefix = []byte{0x80, 0x26} // ed25519-priv (the 32-byte seed)
)

// Errors of Multikey decoding.
var (
	ErrMultibase = errors.New("vc: not a base58btc multibase value")
	ErrMultikey  = errors.New("vc: not an Ed25519 multikey")
)

// MultibaseEncode returns b as multibase base58btc: 'z' + base58btc(b).
func MultibaseEncode(b []byte) string { return "z" + base58Encode(b) }

// MultibaseDecode decodes a multibase base58btc ('z'-prefixed) value.
func MultibaseDecode(s string) ([]byte, error) {
	if len(s) < 2 || s[0] != 'z' {
		return nil, ErrMultibase
	}
	b, err := base58Decode(s[1:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMultibase, err)
	}
	return b, nil
}

// EncodePublicKey returns the Multikey publicKeyMultibase of an Ed25519
// public key ("z6Mk…").
func EncodePublicKey(pub ed25519.PublicKey) (string, error) {
	if len(pub) != ed25519.PublicKeySize {
		return "", fmt.Errorf("%w: public key is %d bytes", ErrMultikey, len(pub))
	}
	return MultibaseEncode(append(append([]byte{}, ed25519PubPrefix...), pub...)), nil
}

// DecodePublicKey parses a Multikey publicKeyMultibase holding an Ed25519
// public key.
func DecodePublicKey(s string) (ed25519.PublicKey, error) {
	raw, err := decodeMultikey(s, ed25519PubPrefix, ed25519.PublicKeySize)
	if err != nil {
		return nil, err
	}
	return ed25519.PublicKey(raw), nil
}

// EncodeSecretKey returns the Multikey secretKeyMultibase of an Ed25519
// private key: the multicodec ed25519-priv prefix and the 32-byte seed
// ("z3u2…").
func EncodeSecretKey(priv ed25519.PrivateKey) (string, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("%w: private key is %d bytes", ErrMultikey, len(priv))
	}
	return MultibaseEncode(append(append([]byte{}, ed25519PrivPrefix...), priv.Seed()...)), nil
}

// DecodeSecretKey parses a Multikey secretKeyMultibase holding an Ed25519
// seed and returns the full private key.
func DecodeSecretKey(s string) (ed25519.PrivateKey, error) {
	seed, err := decodeMultikey(s, ed25519PrivPrefix, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func decodeMultikey(s string, prefix []byte, size int) ([]byte, error) {
	b, err := MultibaseDecode(s)
	if err != nil {
		return nil, err
	}
	if len(b) != len(prefix)+size {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrMultikey, len(b), len(prefix)+size)
	}
	if b[0] != prefix[0] || b[1] != prefix[1] {
		return nil, fmt.Errorf("%w: multicodec prefix %#x %#x, want %#x %#x", ErrMultikey, b[0], b[1], prefix[0], prefix[1])
	}
	return b[len(prefix):], nil
}
