package web

import (
	"net"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// clientAddress makes c.IP() the client's address behind trusted reverse
// proxies, for everything after it (rate limits, request and verification
// logs, sessions, audit). A request that comes from a trusted proxy is
// read right to left through its X-Forwarded-For: the client is the
// nearest address that is not itself a trusted proxy (addresses to the
// left of it were written by whoever sent the request and prove nothing).
// Any other request keeps its connection's address, and X-Forwarded-For is
// ignored. With no trusted proxies this is a no-op.
func clientAddress(trusted []netip.Prefix) fiber.Handler {
	if len(trusted) == 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return func(c *fiber.Ctx) error {
		ctx := c.Context()
		// The connection's own address: an override set for the previous
		// request on this keep-alive connection must not carry over.
		var peer net.Addr
		if conn := ctx.Conn(); conn != nil {
			peer = conn.RemoteAddr()
		}
		ctx.SetRemoteAddr(peer)
		addr, ok := netipAddr(peer)
		if !ok || !isTrusted(addr) {
			return c.Next()
		}
		client := addr
		hops := ctx.Request.Header.PeekAll(fiber.HeaderXForwardedFor)
	walk:
		for i := len(hops) - 1; i >= 0; i-- {
			list := strings.Split(string(hops[i]), ",")
			for j := len(list) - 1; j >= 0; j-- {
				hop, err := parseHop(list[j])
				if err != nil {
					break walk // unreadable: keep the nearest address read so far
				}
				client = hop
				if !isTrusted(hop) {
					break walk
				}
			}
		}
		if client != addr {
			ctx.SetRemoteAddr(&net.TCPAddr{IP: client.AsSlice()})
		}
		return c.Next()
	}
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port or in brackets.
func parseHop(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), nil
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	return a.Unmap(), err
}

func netipAddr(a net.Addr) (netip.Addr, bool) {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	addr, ok := netip.AddrFromSlice(tcp.IP)
	return addr.Unmap(), ok
}
