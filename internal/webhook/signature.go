// Package webhook delivers an organization's events to its HTTP endpoints,
// signed as the Standard Webhooks specification says
// (https://www.standardwebhooks.com/): the headers webhook-id,
// webhook-timestamp and webhook-signature, where a signature is
// "v1,<base64 HMAC-SHA256 of id.timestamp.body>" with the endpoint's secret
// or "v1a,<base64 Ed25519 signature>" with the organization's issuer key,
// several of them space-separated (during a secret rotation both the old
// and the new secret sign).
package webhook

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretContext and PreviousSecretContext are the sealing contexts of
// webhooks.secret_key and webhooks.previous_secret_key.
const (
	SecretContext         = "webhooks.secret_key"          // #nosec G101 -- a column's name, bound as AAD, not a secret
	PreviousSecretContext = "webhooks.previous_secret_key" // #nosec G101 -- a column's name, bound as AAD, not a secret
)

// secretPrefix marks a symmetric secret, as the specification's libraries
// print and accept it.
const secretPrefix = "whsec_"

// secretBytes is the size of a secret TrustCred generates: 256 bits, within
// the specification's 24 to 64 bytes.
const secretBytes = 32

// NewSecret returns a fresh endpoint secret as shown to the organization
// once: "whsec_" and the base64 of 32 random bytes.
func NewSecret() string {
	key := make([]byte, secretBytes)
	rand.Read(key) // never fails (crypto/rand)
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

// ParseSecret returns the key bytes of a "whsec_…" secret (the prefix is
// optional, as in the specification's libraries).
func ParseSecret(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, secretPrefix))
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, errors.New("webhook: a secret is whsec_ and the base64 of 24 to 64 bytes")
	}
	return key, nil
}

// signed is the content both signature schemes sign: id.timestamp.body.
func signed(id string, ts time.Time, body []byte) []byte {
	b := make([]byte, 0, len(id)+len(body)+22)
	b = append(b, id...)
	b = append(b, '.')
	b = strconv.AppendInt(b, ts.Unix(), 10)
	b = append(b, '.')
	return append(b, body...)
}

// Sign is the "v1" signature of a message with a symmetric key.
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(signed(id, ts, body))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignEd25519 is the "v1a" signature of a message with an Ed25519 key.
func SignEd25519(key ed25519.PrivateKey, id string, ts time.Time, body []byte) string {
	return "v1a," + base64.StdEncoding.EncodeToString(ed25519.Sign(key, signed(id, ts, body)))
}

// Headers sets the three headers of a delivery: its id (the same on every
// attempt: the receiver's idempotency key), the time of this attempt, and
// the signatures, space-separated.
func Headers(h http.Header, id string, ts time.Time, signatures ...string) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, strings.Join(signatures, " "))
}

// Tolerance is how far a receiver lets a delivery's timestamp be from its
// clock, as the specification's libraries do.
const Tolerance = 5 * time.Minute

// Errors of Verify.
var (
	ErrMissingHeaders = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	ErrTimestamp      = errors.New("webhook: timestamp too old or too new")
	ErrSignature      = errors.New("webhook: no matching signature")
)

// Verifier checks deliveries as a receiver does: with symmetric keys (v1)
// and Ed25519 public keys (v1a); one matching signature is enough.
type Verifier struct {
	Keys       [][]byte
	PublicKeys []ed25519.PublicKey
	Now        func() time.Time // time.Now when nil
}

// Verify checks a delivery's headers and body. TrustCred's tests use it as
// the receiving end; it is also what a receiver written in Go would do.
func (v Verifier) Verify(h http.Header, body []byte) error {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if d := now().Unix() - sec; d > int64(Tolerance/time.Second) || d < -int64(Tolerance/time.Second) || sec < 0 {
		return ErrTimestamp
	}
	ts := time.Unix(sec, 0)
	msg := signed(id, ts, body)
	for _, sig := range strings.Fields(sigs) {
		version, value, ok := strings.Cut(sig, ",")
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			continue
		}
		switch version {
		case "v1":
			for _, k := range v.Keys {
				m := hmac.New(sha256.New, k)
				m.Write(msg)
				if subtle.ConstantTimeCompare(m.Sum(nil), raw) == 1 {
					return nil
				}
			}
		case "v1a":
			for _, k := range v.PublicKeys {
				if len(raw) == ed25519.SignatureSize && ed25519.Verify(k, msg, raw) {
					return nil
				}
			}
		}
	}
	return ErrSignature
}
