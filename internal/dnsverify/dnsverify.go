// Package dnsverify proves that an organization controls a domain: it
// publishes a TXT record that only TrustCred can compute, and Verify looks it
// up.
//
// The record is
//
//	_trustcred.<domain>.  TXT  "trustcred-verify=<32 base32 characters>"
//
// where the value is Record(orgID, secret). It is derived, not random, so it
// can be shown at any time without being stored, and it does not change when
// the organization retries or changes domain. Changing the secret changes
// every organization's record.
package dnsverify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Prefix starts every record value.
const Prefix = "trustcred-verify="

// Label is the first label of the name the record is published at.
const Label = "_trustcred"

// MaxDomainLength is the longest domain accepted: 253 (the longest DNS name)
// less the length of Label and its dot, so that the record's name fits.
const MaxDomainLength = 253 - len(Label) - 1

// DefaultTimeout bounds a Verify when New is given no timeout.
const DefaultTimeout = 10 * time.Second

// Errors returned by Verify and ParseDomain; the first two come wrapped
// with the name looked up ("no TXT record found at _trustcred.example.com").
var (
	ErrNotFound      = errors.New("no TXT record found")
	ErrMismatch      = errors.New("no TXT record has the expected value")
	ErrInvalidDomain = errors.New("not a valid domain name: use a name such as example.com, without https:// or a path")
)

// macContext separates these MACs from any other use of the same secret.
const macContext = "trustcred dns verification v1\x00"

// Record returns the TXT value the organization orgID must publish:
// Prefix and the lower-case base32 of the first 20 bytes of
// HMAC-SHA256(secret, context || orgID). The secret is a server key of at
// least 16 bytes (Record panics otherwise: a short or empty secret would
// make records anyone can compute).
func Record(orgID string, secret []byte) string {
	if len(secret) < 16 {
		panic("dnsverify: secret shorter than 16 bytes")
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(macContext))
	mac.Write([]byte(orgID))
	sum := mac.Sum(nil)
	return Prefix + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:20]))
}

// Name returns the name the record is published at: "_trustcred." and the
// domain, lower case, without a trailing dot.
func Name(domain string) string {
	return Label + "." + strings.ToLower(strings.TrimSuffix(domain, "."))
}

// ParseDomain checks a domain name as a person types it and returns it in
// canonical form (lower case, no trailing dot), or ErrInvalidDomain. A
// valid name has at least two labels, at most MaxDomainLength characters,
// labels of 1 to 63 letters, digits and hyphens that neither start nor end
// with a hyphen, and a last label that is not all digits (so no IP
// address). Internationalised names must be given in their xn-- form.
func ParseDomain(domain string) (string, error) {
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	if d == "" || len(d) > MaxDomainLength {
		return "", ErrInvalidDomain
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", ErrInvalidDomain
	}
	for _, l := range labels {
		if len(l) < 1 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", ErrInvalidDomain
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return "", ErrInvalidDomain
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", ErrInvalidDomain
	}
	return d, nil
}

// Verifier looks verification records up. It is safe for concurrent use.
type Verifier struct {
	resolver *net.Resolver
	addr     string // the server, or "" for the system's
	timeout  time.Duration
}

// New returns a Verifier that asks the DNS server at resolverAddr
// ("host:port"; port 53 when omitted), or the system's resolvers (those of
// /etc/resolv.conf on Unix) when resolverAddr is "". Each Verify takes at
// most timeout (DefaultTimeout when timeout ≤ 0). Queries go over UDP, and
// over TCP when an answer is truncated.
//
// The answer is whatever the resolver says, cached or not: a resolver that
// cached "no record" before the organization published it may answer so
// until the negative TTL ends.
func New(resolverAddr string, timeout time.Duration) *Verifier {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if resolverAddr != "" {
		if _, _, err := net.SplitHostPort(resolverAddr); err != nil {
			resolverAddr = net.JoinHostPort(strings.Trim(resolverAddr, "[]"), "53")
		}
	}
	var d net.Dialer
	r := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			if resolverAddr != "" {
				address = resolverAddr
			}
			c, err := d.DialContext(ctx, network, address)
			if err != nil {
				return nil, err
			}
			// Go's resolver honours the context's deadline but not its
			// cancellation: closing the connection ends a pending read.
			context.AfterFunc(ctx, func() { _ = c.Close() })
			return c, nil
		},
	}
	return &Verifier{resolver: r, addr: resolverAddr, timeout: timeout}
}

// Verify looks up the TXT records at Name(domain) and returns nil when one
// of them is want. Several character-strings of one record are joined
// first, and surrounding spaces, a pair of double quotes (pasted into a DNS
// provider's form with the value) and case are ignored. Otherwise it returns
// ErrInvalidDomain, ErrNotFound (no such name, or no TXT record there),
// ErrMismatch (TXT records, none right), or the lookup's error (timeouts,
// server failures, cancellation; errors.Is finds context errors).
func (v *Verifier) Verify(ctx context.Context, domain, want string) error {
	d, err := ParseDomain(domain)
	if err != nil {
		return err
	}
	if want == "" {
		return errors.New("dnsverify: empty expected value")
	}
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	name := Name(d)
	values, err := v.resolver.LookupTXT(ctx, name+".") // rooted: no search domains
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			if dnsErr.IsNotFound {
				return fmt.Errorf("%w at %s", ErrNotFound, name)
			}
			if v.addr != "" {
				dnsErr.Server = v.addr // not the resolv.conf server it names
			}
		}
		return fmt.Errorf("dnsverify: looking up %s: %w", name, err)
	}
	if len(values) == 0 {
		return fmt.Errorf("%w at %s", ErrNotFound, name)
	}
	for _, got := range values {
		if matches(got, want) {
			return nil
		}
	}
	return fmt.Errorf("%w at %s", ErrMismatch, name)
}

func matches(got, want string) bool {
	got = strings.TrimSpace(got)
	if len(got) >= 2 && got[0] == '"' && got[len(got)-1] == '"' {
		got = strings.TrimSpace(got[1 : len(got)-1])
	}
	return strings.EqualFold(got, strings.TrimSpace(want))
}
