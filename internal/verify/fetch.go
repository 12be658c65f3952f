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
	"syscall"
	"time"
)

// Errors of outbound fetches, worded for the person verifying.
var (
	ErrBlockedAddress = errors.New("the address is private, loopback or link-local, which TrustCred does not contact")
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

// blocked reports whether a connection to ip must be refused: only global
// unicast addresses are contacted. An IPv4 address embedded in IPv6 (IPv4-
// mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, 6to4 2002:AABB:CCDD::,
// well-known NAT64 64:ff9b::a.b.c.d) is judged as that IPv4 address, which
// is where the packets end up; IPv6 outside 2000::/3 is not global unicast,
// and prefixes that hide an IPv4 address we cannot read back (local-use
// NAT64, Teredo) are refused outright.
func blocked(ip netip.Addr) bool {
	ip = ip.WithZone("")
	if ip.Is6() {
		b := ip.As16()
		switch {
		case ip.Is4In6():
			ip = ip.Unmap()
		case nat64.Contains(ip), [12]byte(b[:12]) == [12]byte{}: // ::a.b.c.d (and :: and ::1)
			ip = netip.AddrFrom4([4]byte(b[12:]))
		case sixToFour.Contains(ip):
			ip = netip.AddrFrom4([4]byte(b[2:6]))
		case !globalUnicast6.Contains(ip):
			return true
		}
	}
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return true
	}
	for _, p := range notGlobal {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

var (
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	// notGlobal are the ranges of IANA's special-purpose registries that are
	// not globally reachable, beyond what IsGlobalUnicast and IsPrivate
	// already exclude (loopback, link-local, multicast, unspecified,
	// broadcast, RFC 1918, fc00::/7).
	notGlobal = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
		netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("192.0.2.0/24"),    // documentation (TEST-NET-1)
		netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast (deprecated)
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("198.51.100.0/24"), // documentation (TEST-NET-2)
		netip.MustParsePrefix("203.0.113.0/24"),  // documentation (TEST-NET-3)
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and 255.255.255.255
		netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments: Teredo, benchmarking, ORCHID
		netip.MustParsePrefix("2001:db8::/32"),   // documentation
		netip.MustParsePrefix("3fff::/20"),       // documentation
	}
)

func (f *Fetcher) init() {
	f.once.Do(func() {
		dialer := &net.Dialer{Timeout: f.timeout(), Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrBlockedAddress, address)
			}
			if !f.AllowPrivate && blocked(ap.Addr()) {
				return fmt.Errorf("%w (%s)", ErrBlockedAddress, ap.Addr())
			}
			return nil
		}}
		transport := &http.Transport{
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   f.timeout(),
			ResponseHeaderTimeout: f.timeout(),
			MaxIdleConns:          16,
			IdleConnTimeout:       30 * time.Second,
			Proxy:                 nil, // an environment proxy would bypass the address check
		}
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
