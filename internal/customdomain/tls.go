package customdomain

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3"

	"github.com/trustcred/trustcred/internal/zapslog"
	"github.com/trustcred/trustcred/store"
)

// ACME configures automatic certificates (certmagic's on-demand issuance):
// CA is the ACME directory URL; Storage the directory certmagic keeps its
// account and certificates in (the data directory's "acme": files, so a
// certificate survives restarts and several servers on one volume share
// it); RootCA an optional PEM file of the CA's root (a private or test CA).
// TLSPort is the TLS listener's port, where the CA's tls-alpn-01
// validation arrives (certmagic then finds it taken and leaves the
// answer to this listener's GetCertificate). Log is the application's
// logger: certmagic's own zap logs (obtaining, renewing, refusals) go to its
// handler at its level (nil: slog.Default()).
type ACME struct {
	CA      string
	Email   string
	RootCA  string
	Storage string
	TLSPort int
	Log     *slog.Logger
}

// TLS picks the certificate of a TLS connection to a custom domain: the
// uploaded certificate of the verified domain asked for (SNI), else, when
// ACME is configured, one issued on demand, only for verified custom
// domains. Unknown names get no certificate (the handshake fails).
type TLS struct {
	s     *Service
	magic *certmagic.Config // nil: no ACME
	cache *certmagic.Cache

	mu    sync.Mutex
	pairs map[string]uploaded // by host
}

type uploaded struct {
	pair *tls.Certificate // nil: no uploaded certificate
	gen  uint64
	at   time.Time
}

// uploadedTTL bounds how long another server's upload or removal takes to
// be seen; this process's own changes are seen at once (the generation).
const uploadedTTL = 30 * time.Second

// NewTLS builds the certificate picker; acme nil (or without CA) means
// uploaded certificates only.
func NewTLS(s *Service, a *ACME) (*TLS, error) {
	t := &TLS{s: s, pairs: map[string]uploaded{}}
	if a == nil || a.CA == "" {
		return t, nil
	}
	var roots *x509.CertPool
	if a.RootCA != "" {
		pemBytes, err := os.ReadFile(a.RootCA)
		if err != nil {
			return nil, fmt.Errorf("customdomain: acme root CA: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("customdomain: acme root CA %s: no PEM certificate", a.RootCA)
		}
	}
	log := a.Log
	if log == nil {
		log = slog.Default()
	}
	zlog := zapslog.New(log.With("component", "certmagic").Handler())
	var cfg *certmagic.Config
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return cfg, nil },
		Logger:           zlog,
	})
	cfg = certmagic.New(cache, certmagic.Config{
		Logger:  zlog,
		Storage: &certmagic.FileStorage{Path: filepath.Clean(a.Storage)},
		OnDemand: &certmagic.OnDemandConfig{DecisionFunc: func(ctx context.Context, name string) error {
			_, err := s.DB.VerifiedDomainOrganization(ctx, strings.ToLower(name))
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%s is not a verified custom domain", name)
			}
			return err
		}},
	})
	iss := certmagic.NewACMEIssuer(cfg, certmagic.ACMEIssuer{
		CA: a.CA, TestCA: a.CA, Email: a.Email, Agreed: true, TrustedRoots: roots, Logger: zlog,
		// The challenge is answered on this TLS listener itself
		// (tls-alpn-01); TrustCred does not own port 80.
		DisableHTTPChallenge: true, AltTLSALPNPort: a.TLSPort,
	})
	cfg.Issuers = []certmagic.Issuer{iss}
	t.magic, t.cache = cfg, cache
	return t, nil
}

// Close stops certmagic's background renewals (nothing without ACME).
func (t *TLS) Close() {
	if t.cache != nil {
		t.cache.Stop()
	}
}

// Config is the tls.Config of the custom domains' listener.
func (t *TLS) Config() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: t.GetCertificate, NextProtos: []string{"http/1.1"}}
	if t.magic != nil {
		c.NextProtos = append(c.NextProtos, acmez.ACMETLS1Protocol)
	}
	return c
}

// GetCertificate is tls.Config.GetCertificate.
func (t *TLS) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	host := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	if host == "" {
		return nil, errors.New("customdomain: no server name")
	}
	challenge := len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == acmez.ACMETLS1Protocol
	if !challenge {
		pair, err := t.uploaded(hello.Context(), host)
		if err != nil {
			return nil, err
		}
		if pair != nil {
			return pair, nil
		}
	}
	if t.magic == nil {
		return nil, fmt.Errorf("customdomain: no certificate for %s", host)
	}
	return t.magic.GetCertificate(hello)
}

// uploaded is the uploaded certificate of host if it is a verified domain
// with one (nil otherwise), cached per host.
func (t *TLS) uploaded(ctx context.Context, host string) (*tls.Certificate, error) {
	gen, now := store.CustomDomainsGeneration(), time.Now()
	t.mu.Lock()
	u, ok := t.pairs[host]
	t.mu.Unlock()
	if ok && u.gen == gen && now.Sub(u.at) < uploadedTTL {
		return u.pair, nil
	}
	d, err := t.s.DB.VerifiedDomainCertificate(ctx, host)
	var pair *tls.Certificate
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		if pair, err = t.s.KeyPair(d); err != nil {
			return nil, err
		}
	}
	t.mu.Lock()
	if len(t.pairs) >= 4096 {
		clear(t.pairs)
	}
	t.pairs[host] = uploaded{pair: pair, gen: gen, at: now}
	t.mu.Unlock()
	return pair, nil
}
