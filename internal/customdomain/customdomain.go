// Package customdomain is the door to organizations' custom domains: the
// rules of a claim (a valid name, not TrustCred's own host), the DNS check
// that proves it (the TXT record of internal/dnsverify, the same value as
// the profile's domain verification) and the periodic re-check.
//
// Serving a verified domain is web's host routing; TLS for the domains is
// an uploaded certificate (cert.go: checked, its key sealed; expiry
// warnings in expiry.go) or ACME on demand (tls.go), only for verified
// domains.
package customdomain

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/trustcred/trustcred/internal/dnsverify"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/store"
)

// ErrOwnHost is returned by Parse for TrustCred's own host or a name under it.
var ErrOwnHost = errors.New("this is TrustCred's own address")

// Service checks and records custom domains. It is safe for concurrent use.
type Service struct {
	DB      *store.DB
	DNS     *dnsverify.Verifier
	Key     []byte          // the key of the TXT values (dnsverify.Record)
	Keys    *secret.Keyring // seals uploaded certificates' keys
	BaseURL string          // TrustCred's public URL: its host can never be claimed
	Log     *slog.Logger
	Now     func() time.Time // nil: time.Now
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// OwnHost is TrustCred's host name (lower case, without port): the target
// of the CNAME an organization creates.
func (s *Service) OwnHost() string { return HostOf(s.BaseURL) }

// HostOf is the host name of a base URL: lower case, without port or
// trailing dot ("" when it does not parse).
func HostOf(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
}

// Parse checks a domain as an admin typed it and returns its canonical
// form: dnsverify.ErrInvalidDomain for a malformed name, ErrOwnHost for
// TrustCred's host or any name under it.
func (s *Service) Parse(input string) (string, error) {
	d, err := dnsverify.ParseDomain(strings.TrimSpace(input))
	if err != nil {
		return "", err
	}
	if own := s.OwnHost(); own != "" && (d == own || strings.HasSuffix(d, "."+own)) {
		return "", ErrOwnHost
	}
	return d, nil
}

// Record is the TXT value the organization publishes at dnsverify.Name.
func (s *Service) Record(orgID string) string { return dnsverify.Record(orgID, s.Key) }

// Check looks the organization's TXT record up for domain and records the
// result (store.RecordCustomDomainCheck): the domain as it is afterwards.
// A failed lookup is not an error: it is the domain's LastError, in words.
func (s *Service) Check(ctx context.Context, scope *store.Scoped, domain string, actor store.Actor) (*store.CustomDomain, error) {
	err := s.DNS.Verify(ctx, domain, s.Record(scope.OrganizationID()))
	c := store.DomainCheck{At: s.now(), OK: err == nil}
	if err != nil {
		if s.Log != nil {
			s.Log.Info("custom domain check failed", "organization_id", scope.OrganizationID(), "domain", domain, "error", err)
		}
		c.Error = Explain(err, domain)
		c.Gone = errors.Is(err, dnsverify.ErrNotFound) || errors.Is(err, dnsverify.ErrMismatch)
	}
	return scope.RecordCustomDomainCheck(ctx, domain, c, actor)
}

// Explain says why a check failed, without internals.
func Explain(err error, domain string) string {
	name := dnsverify.Name(domain)
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, dnsverify.ErrNotFound):
		return "No TXT record was found at " + name + ". Publish the record shown here and check again; new DNS records can take a while to appear."
	case errors.Is(err, dnsverify.ErrMismatch):
		return "There is a TXT record at " + name + ", but none has the value shown here. Check that you copied the whole value, then check again."
	case errors.Is(err, dnsverify.ErrInvalidDomain):
		return "This is not a valid domain name. Remove it and enter it again."
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &dnsErr) && dnsErr.IsTimeout:
		return "The DNS lookup of " + name + " did not finish in time. Check again in a few minutes."
	}
	return "The DNS lookup of " + name + " failed: the DNS server returned an error. Check again in a few minutes."
}
