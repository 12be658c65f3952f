package customdomain

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trustcred/trustcred/store"
)

// KeyContext is the internal/secret context of an uploaded certificate's
// private key.
const KeyContext = "custom-domain-tls-key"

// MaxPEM bounds each uploaded PEM text (a chain of a few certificates is a
// few kilobytes).
const MaxPEM = 64 << 10

// The refusals of ParseCertificate: ErrCertificate* concern the certificate
// field, ErrKey* the key field.
var (
	ErrCertificateMissing  = errors.New("no certificate")
	ErrCertificateTooLarge = errors.New("certificate too large")
	ErrCertificateBadPEM   = errors.New("certificate is not PEM")
	ErrCertificateChain    = errors.New("certificate chain out of order")
	ErrCertificateDomain   = errors.New("certificate does not cover the domain")
	ErrCertificateExpired  = errors.New("certificate expired")
	ErrCertificateNotYet   = errors.New("certificate not yet valid")
	ErrKeyMissing          = errors.New("no private key")
	ErrKeyBadPEM           = errors.New("private key is not PEM")
	ErrKeyEncrypted        = errors.New("private key is encrypted")
	ErrKeyUnsupported      = errors.New("private key type not supported")
	ErrKeyMismatch         = errors.New("private key does not match the certificate")
)

// ChainCert is one certificate of an uploaded chain, as the page shows it.
type ChainCert struct {
	Subject   string
	Issuer    string
	NotBefore time.Time
	NotAfter  time.Time
	Names     []string // the leaf's DNS names
}

// Certificate is a checked upload: the chain (leaf first), the key's PEM
// and the chain's PEM as it will be stored (certificates only, re-encoded).
type Certificate struct {
	Chain    []ChainCert
	ChainPEM string
	KeyPEM   []byte
	NotAfter time.Time
}

// ParseCertificate checks an uploaded certificate chain and key for domain
// at now: PEM certificates, leaf first, each signed by the next; the key
// (PKCS #8, PKCS #1 or SEC 1, unencrypted) matches the leaf; the leaf
// covers domain (its DNS names, a wildcard for one label) and is valid at
// now. The first problem is returned as one of the Err* values above.
func ParseCertificate(certPEM, keyPEM []byte, domain string, now time.Time) (*Certificate, error) {
	certs, err := parseChain(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	leaf := certs[0]
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(leaf.PublicKey) {
		return nil, ErrKeyMismatch
	}
	if err := leaf.VerifyHostname(domain); err != nil {
		return nil, ErrCertificateDomain
	}
	if now.After(leaf.NotAfter) {
		return nil, ErrCertificateExpired
	}
	if now.Before(leaf.NotBefore) {
		return nil, ErrCertificateNotYet
	}
	c := &Certificate{KeyPEM: bytes.TrimSpace(keyPEM), NotAfter: leaf.NotAfter.UTC()}
	var out strings.Builder
	for _, x := range certs {
		c.Chain = append(c.Chain, summary(x))
		_ = pem.Encode(&out, &pem.Block{Type: "CERTIFICATE", Bytes: x.Raw})
	}
	c.ChainPEM = out.String()
	return c, nil
}

// ParseChain reads a stored chain back for the page (no checks but PEM).
func ParseChain(b []byte) ([]ChainCert, error) {
	certs, err := parseChain(b)
	if err != nil {
		return nil, err
	}
	out := make([]ChainCert, 0, len(certs))
	for _, x := range certs {
		out = append(out, summary(x))
	}
	return out, nil
}

func summary(x *x509.Certificate) ChainCert {
	return ChainCert{Subject: x.Subject.String(), Issuer: x.Issuer.String(),
		NotBefore: x.NotBefore.UTC(), NotAfter: x.NotAfter.UTC(), Names: x.DNSNames}
}

func parseChain(b []byte) ([]*x509.Certificate, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, ErrCertificateMissing
	}
	if len(b) > MaxPEM {
		return nil, ErrCertificateTooLarge
	}
	var certs []*x509.Certificate
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue // a key or parameters pasted along: not part of the chain
		}
		x, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, ErrCertificateBadPEM
		}
		certs = append(certs, x)
	}
	if len(certs) == 0 {
		return nil, ErrCertificateBadPEM
	}
	for i := 0; i+1 < len(certs); i++ {
		if certs[i].CheckSignatureFrom(certs[i+1]) != nil {
			return nil, ErrCertificateChain
		}
	}
	return certs, nil
}

func parseKey(b []byte) (crypto.Signer, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, ErrKeyMissing
	}
	if len(b) > MaxPEM {
		return nil, ErrKeyBadPEM
	}
	var blk *pem.Block
	for rest := b; ; {
		blk, rest = pem.Decode(rest)
		if blk == nil || strings.HasSuffix(blk.Type, "PRIVATE KEY") {
			break
		}
	}
	if blk == nil {
		return nil, ErrKeyBadPEM
	}
	if blk.Type == "ENCRYPTED PRIVATE KEY" || blk.Headers["Proc-Type"] != "" {
		return nil, ErrKeyEncrypted
	}
	var key any
	var err error
	switch blk.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(blk.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	}
	if err != nil {
		return nil, ErrKeyBadPEM
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, ErrKeyUnsupported
	}
	return s, nil
}

// Seal checks an upload (ParseCertificate) and seals its key for the store.
func (s *Service) Seal(c *Certificate) (store.DomainCertificate, error) {
	sealed, err := s.Keys.Seal(c.KeyPEM, KeyContext)
	if err != nil {
		return store.DomainCertificate{}, fmt.Errorf("customdomain: seal key: %w", err)
	}
	return store.DomainCertificate{ChainPEM: c.ChainPEM, Key: sealed, NotAfter: c.NotAfter}, nil
}

// KeyPair opens a stored certificate into what a TLS server presents.
func (s *Service) KeyPair(d *store.CustomDomain) (*tls.Certificate, error) {
	if !d.HasCertificate() {
		return nil, store.ErrNotFound
	}
	key, err := s.Keys.Open(d.TLSKey, KeyContext)
	if err != nil {
		return nil, fmt.Errorf("customdomain: open key of %s: %w", d.Domain, err)
	}
	pair, err := tls.X509KeyPair([]byte(*d.TLSCertificate), key)
	if err != nil {
		return nil, fmt.Errorf("customdomain: key pair of %s: %w", d.Domain, err)
	}
	return &pair, nil
}
