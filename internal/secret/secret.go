// Package secret encrypts secrets at rest (signing keys, webhook secrets,
// LDAP/ERP credentials, TOTP secrets, TLS keys) with AES-256-GCM under a
// master key held in a [Keyring].
//
// A sealed value is self-describing:
//
//	0x01 | len(keyID) | keyID | 12-byte nonce | GCM ciphertext and 16-byte tag
//
// The version byte, key id length and key id, followed by the caller's
// context string (for example "webhooks.secret_key"), are the GCM additional
// data, so a value copied into another column, or relabelled with another
// key id, fails to open.
//
// Nonces are random, so a single key must not seal more than 2^32 values;
// rotate the primary key long before that.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeySize is the length in bytes of a master key (AES-256).
const KeySize = 32

const (
	version    byte = 0x01
	maxIDLen        = 32
	nonceSize       = 12
	tagSize         = 16
	minOverall      = 2 + 1 + nonceSize + tagSize // header with a 1-byte id, empty plaintext
)

// Sentinel errors. Returned errors wrap one of these; test with [errors.Is].
var (
	// ErrUnknownKey means the value was sealed under a key id the keyring lacks.
	ErrUnknownKey = errors.New("secret: sealed under an unknown key")
	// ErrDecrypt means authentication failed: wrong key, wrong context or
	// tampered data. GCM cannot tell these apart, by design.
	ErrDecrypt = errors.New("secret: decryption failed (wrong key, wrong context or tampered data)")
	// ErrMalformed means the value is not a sealed value of a known version.
	ErrMalformed = errors.New("secret: malformed sealed value")
	// ErrNoContext means an empty context string was given to Seal, Open or Rotate.
	ErrNoContext = errors.New("secret: context must not be empty")
	// ErrInvalidKey means a master key or key id could not be used.
	ErrInvalidKey = errors.New("secret: invalid master key")
	// ErrInsecureKeyFile means the master key file is readable or writable by
	// group or others.
	ErrInsecureKeyFile = errors.New("secret: master key file permissions are too open")
)

// Key is one master key and its id. An empty ID is replaced by [KeyID] of Raw.
type Key struct {
	ID  string
	Raw []byte
}

// KeyID returns the default id of a raw key: the first 8 hex characters of
// its SHA-256 digest.
func KeyID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:4])
}

// GenerateKey returns a new random master key of [KeySize] bytes.
func GenerateKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k) // never returns an error; crashes the program if the OS RNG fails
	return k
}

type keyEntry struct {
	id   string
	aead cipher.AEAD
	prk  []byte // HKDF pseudo-random key for Derive
}

// Keyring holds one or more master keys. The primary key seals; every key
// opens. A Keyring is immutable and safe for concurrent use.
type Keyring struct {
	primary *keyEntry
	byID    map[string]*keyEntry
	ordered []*keyEntry // primary first
}

// NewKeyring builds a keyring from keys; the first is primary. Each key must
// be [KeySize] bytes, and ids must be unique, 1–32 characters of
// [A-Za-z0-9._-]. The raw key bytes are not retained.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no keys", ErrInvalidKey)
	}
	kr := &Keyring{byID: make(map[string]*keyEntry, len(keys))}
	for i, k := range keys {
		if len(k.Raw) != KeySize {
			return nil, fmt.Errorf("%w: key %d is %d bytes, want %d", ErrInvalidKey, i+1, len(k.Raw), KeySize)
		}
		id := k.ID
		if id == "" {
			id = KeyID(k.Raw)
		}
		if !validID(id) {
			return nil, fmt.Errorf("%w: key %d has an invalid id (1-%d characters of A-Z a-z 0-9 . _ -)", ErrInvalidKey, i+1, maxIDLen)
		}
		if _, dup := kr.byID[id]; dup {
			return nil, fmt.Errorf("%w: duplicate key id %q", ErrInvalidKey, id)
		}
		block, err := aes.NewCipher(k.Raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
		}
		prk, err := hkdf.Extract(sha256.New, k.Raw, []byte("trustcred derive v1"))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
		}
		e := &keyEntry{id: id, aead: aead, prk: prk}
		kr.byID[id] = e
		kr.ordered = append(kr.ordered, e)
		if i == 0 {
			kr.primary = e
		}
	}
	return kr, nil
}

func validID(id string) bool {
	if len(id) == 0 || len(id) > maxIDLen {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// PrimaryID returns the id of the key that Seal uses.
func (k *Keyring) PrimaryID() string { return k.primary.id }

// Seal encrypts plaintext under the primary key, bound to context (for
// example "webhooks.secret_key"), which must be non-empty and must be given
// again to Open. It is the only intended way to construct a [Sealed].
func (k *Keyring) Seal(plaintext []byte, context string) (Sealed, error) {
	if context == "" {
		return nil, ErrNoContext
	}
	hdr := header(k.primary.id)
	out := make([]byte, len(hdr), len(hdr)+nonceSize+len(plaintext)+tagSize)
	copy(out, hdr)
	return k.primary.aead.Seal(out, nil, plaintext, aad(hdr, context)), nil // #nosec G407 -- the AEAD is cipher.NewGCMWithRandomNonce: it draws the nonce itself and takes nil
}

// Open decrypts s, which must have been sealed with the same context by a
// key in the keyring. Errors wrap [ErrMalformed], [ErrUnknownKey],
// [ErrDecrypt] or [ErrNoContext].
func (k *Keyring) Open(s Sealed, context string) ([]byte, error) {
	if context == "" {
		return nil, ErrNoContext
	}
	id, body, err := parse(s)
	if err != nil {
		return nil, err
	}
	e, ok := k.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, id)
	}
	pt, err := e.aead.Open(nil, nil, body, aad(s[:len(s)-len(body)], context))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// NeedsRotation reports whether s is well-formed and was sealed under a key
// other than the primary one (including a key the keyring does not hold).
func (k *Keyring) NeedsRotation(s Sealed) bool {
	id, _, err := parse(s)
	return err == nil && id != k.primary.id
}

// Rotate opens s and, if it was sealed under a non-primary key, reseals it
// under the primary key. A value already under the primary key is verified
// and returned unchanged.
func (k *Keyring) Rotate(s Sealed, context string) (Sealed, error) {
	pt, err := k.Open(s, context)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	if !k.NeedsRotation(s) {
		return s, nil
	}
	return k.Seal(pt, context)
}

// header returns version | len(id) | id.
func header(id string) []byte {
	h := make([]byte, 0, 2+len(id))
	h = append(h, version, byte(len(id))) // #nosec G115 -- validID keeps ids at most maxIDLen (32) bytes
	return append(h, id...)
}

// aad returns the GCM additional data: the self-delimiting header followed
// by the context.
func aad(hdr []byte, context string) []byte {
	a := make([]byte, 0, len(hdr)+len(context))
	a = append(a, hdr...)
	return append(a, context...)
}

// parse splits s into its key id and nonce|ciphertext|tag body.
func parse(s Sealed) (id string, body []byte, err error) {
	if len(s) == 0 {
		return "", nil, fmt.Errorf("%w: empty", ErrMalformed)
	}
	if s[0] != version {
		return "", nil, fmt.Errorf("%w: unsupported version %d", ErrMalformed, s[0])
	}
	if len(s) < minOverall {
		return "", nil, fmt.Errorf("%w: too short", ErrMalformed)
	}
	n := int(s[1])
	if n == 0 || n > maxIDLen || len(s) < 2+n+nonceSize+tagSize {
		return "", nil, fmt.Errorf("%w: bad key id length", ErrMalformed)
	}
	id = string(s[2 : 2+n])
	if !validID(id) {
		return "", nil, fmt.Errorf("%w: bad key id", ErrMalformed)
	}
	return id, s[2+n:], nil
}

// Derive returns a 32-byte key for one purpose (for example
// "cookie-hmac"), derived with HKDF-SHA256 from each master key, primary
// first: use the first to sign or encrypt, all to verify, so that rotating
// the master key does not invalidate what older keys protected.
func (k *Keyring) Derive(purpose string) [][]byte {
	out := make([][]byte, 0, len(k.ordered))
	for _, e := range k.ordered {
		key, err := hkdf.Expand(sha256.New, e.prk, purpose, KeySize)
		if err != nil {
			panic("secret: hkdf: " + err.Error()) // only for lengths far beyond KeySize
		}
		out = append(out, key)
	}
	return out
}
