package verify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/trustcred/trustcred/internal/outbound"
)

// Errors of outbound fetches, worded for the person verifying.
var (
	ErrBlockedAddress = outbound.ErrBlockedAddress
	ErrTooLarge       = errors.New("the response is too large")
	ErrFetch          = errors.New("could not fetch")
)

// Fetcher gets DID documents and status list credentials from other
// servers: HTTPS only (plain HTTP only to a loopback host with a port, and
// only when private addresses are allowed, as test harnesses serve),
// never to private, loopback or link-local addresses unless AllowPrivate
// (checked on the connected address, so DNS rebinding does not get
// around it), with a short timeout, a size limit and a small cache.
type Fetcher struct {
	AllowPrivate bool
	Timeout      time.Duration // whole request; default 5 s
	MaxBytes     int64         // default 1 MiB
	TTL          time.Duration // cache lifetime; default 5 minutes; < 0 disables the cache

	once   sync.Once
	client *http.Client
	mu     sync.Mutex
	cache  map[string]cached
}

type cached struct {
	body    []byte
	expires time.Time
}

const maxCacheEntries = 1024

func (f *Fetcher) init() {
	f.once.Do(func() {
		transport := outbound.Transport(f.timeout(), f.AllowPrivate)
		f.client = &http.Client{Transport: transport, Timeout: f.timeout(),
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= 3 {
					return fmt.Errorf("%w: too many redirects", ErrFetch)
				}
				return f.checkURL(req.URL)
			}}
		f.cache = map[string]cached{}
	})
}

func (f *Fetcher) timeout() time.Duration {
	if f.Timeout > 0 {
		return f.Timeout
	}
	return 5 * time.Second
}

func (f *Fetcher) maxBytes() int64 {
	if f.MaxBytes > 0 {
		return f.MaxBytes
	}
	return 1 << 20
}

// checkURL allows https, and http only to a loopback IP literal with a
// port when private addresses are allowed.
func (f *Fetcher) checkURL(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil && ip.IsLoopback() && u.Port() != "" && f.AllowPrivate {
			return nil
		}
		if u.Hostname() == "localhost" && u.Port() != "" && f.AllowPrivate {
			return nil
		}
	}
	return fmt.Errorf("%w %s: only https URLs are fetched", ErrFetch, u.Redacted())
}

// refused reports whether a failed request is a definite "no" rather than a
// failure to reach the server: our own refusals (scheme, redirects), a
// certificate that does not prove the host, a domain that does not exist.
// Anything else (refused or reset connections, timeouts, temporary DNS
// failures) is ErrUnavailable: the same request may work in a moment.
func refused(err error) bool {
	var cert *tls.CertificateVerificationError
	var dns *net.DNSError
	return errors.Is(err, ErrFetch) || errors.As(err, &cert) || (errors.As(err, &dns) && dns.IsNotFound)
}

// Get fetches a URL's body (JSON documents: DID documents, status list
// credentials), from the cache when it has it. An error that means the
// server could not be reached or answered 5xx, 408 or 429 wraps
// ErrUnavailable (could not check); 4xx, a refused address or URL, a bad
// certificate or an unknown domain do not (the check fails).
func (f *Fetcher) Get(ctx context.Context, rawURL string) ([]byte, error) {
	f.init()
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w %q: not a URL", ErrFetch, rawURL)
	}
	if err := f.checkURL(u); err != nil {
		return nil, err
	}
	key := u.String()
	if f.TTL >= 0 {
		f.mu.Lock()
		c, ok := f.cache[key]
		f.mu.Unlock()
		if ok && time.Now().Before(c.expires) {
			return c.body, nil
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, key, nil)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrFetch, u.Redacted(), err)
	}
	req.Header.Set("Accept", "application/did+json, application/vc+ld+json, application/ld+json, application/json")
	req.Header.Set("User-Agent", "TrustCred-Verifier/1")
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrBlockedAddress) {
			return nil, fmt.Errorf("%w %s: %w", ErrFetch, u.Redacted(), ErrBlockedAddress)
		}
		if refused(err) {
			return nil, fmt.Errorf("%w %s: %w", ErrFetch, u.Redacted(), err)
		}
		return nil, fmt.Errorf("%w %s: %w: %w", ErrFetch, u.Redacted(), ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout {
			return nil, fmt.Errorf("%w %s: %w: HTTP %d", ErrFetch, u.Redacted(), ErrUnavailable, resp.StatusCode)
		}
		return nil, fmt.Errorf("%w %s: HTTP %d", ErrFetch, u.Redacted(), resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes()+1))
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w: %w", ErrFetch, u.Redacted(), ErrUnavailable, err)
	}
	if int64(len(body)) > f.maxBytes() {
		return nil, fmt.Errorf("%w %s: %w", ErrFetch, u.Redacted(), ErrTooLarge)
	}
	if f.TTL >= 0 {
		ttl := f.TTL
		if ttl == 0 {
			ttl = 5 * time.Minute
		}
		f.mu.Lock()
		if len(f.cache) >= maxCacheEntries {
			clear(f.cache) // crude, bounded; entries are cheap to fetch again
		}
		f.cache[key] = cached{body: body, expires: time.Now().Add(ttl)}
		f.mu.Unlock()
	}
	return body, nil
}
