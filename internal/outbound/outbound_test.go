package outbound

import (
	"net/netip"
	"testing"
)

// Only global unicast addresses are contacted; an IPv4 address hidden in
// an IPv6 one is judged as the IPv4 address it reaches.
func TestBlockedAddresses(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		blocked bool
	}{
		// IPv4
		{"93.184.215.14", false},
		{"8.8.8.8", false},
		{"127.0.0.1", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true},
		{"100.64.0.1", true},
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"192.0.0.8", true},
		{"192.0.2.1", true},
		{"192.88.99.1", true},
		{"198.18.0.1", true},
		{"198.51.100.1", true},
		{"203.0.113.1", true},
		{"224.0.0.1", true},
		{"239.255.255.250", true},
		{"240.0.0.1", true},
		{"255.255.255.255", true},
		// IPv6
		{"2606:4700:4700::1111", false},
		{"2a00:1450:4001:82b::200e", false},
		{"::", true},
		{"::1", true},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"fec0::1", true},
		{"ff02::1", true},
		{"100::1", true},
		{"2001:db8::1", true},
		{"3fff::1", true},
		{"2001::1", true},    // Teredo
		{"2001:2::1", true},  // benchmarking
		{"2001:20::1", true}, // ORCHIDv2
		{"5f00::1", true},    // SRv6
		{"4000::1", true},    // outside 2000::/3
		// IPv4 embedded in IPv6
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.1", true},
		{"::ffff:8.8.8.8", false},
		{"::127.0.0.1", true},
		{"::10.0.0.1", true},
		{"::169.254.169.254", true},
		{"::8.8.8.8", false},
		{"64:ff9b::127.0.0.1", true},
		{"64:ff9b::192.168.0.1", true},
		{"64:ff9b::8.8.8.8", false},
		{"64:ff9b:1::8.8.8.8", true}, // local-use NAT64: the IPv4 address cannot be read back
		{"64:ff9b:1::7f00:1", true},
		{"2002:7f00:1::", true},      // 6to4 of 127.0.0.1
		{"2002:a00:1::1", true},      // 6to4 of 10.0.0.1
		{"2002:a9fe:a9fe::1", true},  // 6to4 of 169.254.169.254
		{"2002:808:808::1", false},   // 6to4 of 8.8.8.8
		{"::ffff:0:127.0.0.1", true}, // IPv4-translated
	} {
		if got := Blocked(netip.MustParseAddr(tc.addr)); got != tc.blocked {
			t.Errorf("Blocked(%s) = %v, want %v", tc.addr, got, tc.blocked)
		}
	}
}
