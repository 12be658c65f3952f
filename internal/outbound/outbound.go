// Package outbound is how TrustCred reaches servers that others name: the
// DID documents and status lists of verification, and organizations'
// webhook endpoints. Only global unicast addresses are contacted unless the
// operator allows private ones (checked on the address actually dialled,
// so DNS rebinding does not get around it), and no environment proxy is
// used (it would bypass the check).
package outbound

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrBlockedAddress is a connection refused because of where it leads.
var ErrBlockedAddress = errors.New("the address is private, loopback or link-local, which TrustCred does not contact")

// Blocked reports whether a connection to ip must be refused: only global
// unicast addresses are contacted. An IPv4 address embedded in IPv6 (IPv4-
// mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, 6to4 2002:AABB:CCDD::,
// well-known NAT64 64:ff9b::a.b.c.d) is judged as that IPv4 address, which
// is where the packets end up; IPv6 outside 2000::/3 is not global unicast,
// and prefixes that hide an IPv4 address we cannot read back (local-use
// NAT64, Teredo) are refused outright.
func Blocked(ip netip.Addr) bool {
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

// Dialer dials only addresses that are not Blocked (any address when
// allowPrivate), within timeout. The check runs in the dialer's Control
// hook, after name resolution and before connecting.
func Dialer(timeout time.Duration, allowPrivate bool) *net.Dialer {
	return &net.Dialer{Timeout: timeout, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrBlockedAddress, address)
		}
		if !allowPrivate && Blocked(ap.Addr()) {
			return fmt.Errorf("%w (%s)", ErrBlockedAddress, ap.Addr())
		}
		return nil
	}}
}

// Transport is an HTTP transport through Dialer, without any proxy, with
// timeout for the TLS handshake and for the response headers.
func Transport(timeout time.Duration, allowPrivate bool) *http.Transport {
	return &http.Transport{
		DialContext:           Dialer(timeout, allowPrivate).DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          16,
		IdleConnTimeout:       30 * time.Second,
		Proxy:                 nil, // an environment proxy would bypass the address check
	}
}
