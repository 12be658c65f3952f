package dnstest

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func query(t *testing.T, s *Server, network, name string, udpSize uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeTXT)
	if udpSize > 0 {
		m.SetEdns0(udpSize, false)
	}
	c := &dns.Client{Net: network}
	r, _, err := c.Exchange(m, s.Addr())
	if err != nil {
		t.Fatalf("%s query for %s: %v", network, name, err)
	}
	return r
}

func txts(r *dns.Msg) [][]string {
	var out [][]string
	for _, rr := range r.Answer {
		out = append(out, rr.(*dns.TXT).Txt)
	}
	return out
}

func TestServer(t *testing.T) {
	s := Start(t)
	s.SetTXT("_trustcred.example.com", "a=1", `quote " and backslash \`, strings.Repeat("x", 300))
	s.SetTXTStrings("Split.Example.COM.", []string{"ab", "cd"})
	s.SetTXT("nodata.example.com")
	s.SetRcode("broken.example.com", dns.RcodeServerFailure)

	for _, network := range []string{"udp", "tcp"} {
		r := query(t, s, network, "_TRUSTCRED.example.com", 4096)
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative || r.Truncated {
			t.Fatalf("%s: %v", network, r)
		}
		got := txts(r)
		if len(got) != 3 || got[0][0] != "a=1" || got[1][0] != `quote \" and backslash \\` ||
			len(got[2]) != 2 || len(got[2][0]) != 255 || len(got[2][1]) != 45 {
			t.Fatalf("%s: %q", network, got)
		}
	}
	if got := txts(query(t, s, "udp", "split.example.com", 0)); len(got) != 1 || strings.Join(got[0], "|") != "ab|cd" {
		t.Fatalf("split: %q", got)
	}
	if r := query(t, s, "udp", "nodata.example.com", 0); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
		t.Fatalf("nodata: %v", r)
	}
	if r := query(t, s, "udp", "absent.example.com", 0); r.Rcode != dns.RcodeNameError {
		t.Fatalf("absent: %v", r)
	}
	if r := query(t, s, "udp", "broken.example.com", 0); r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("broken: %v", r)
	}
	s.Remove("split.example.com")
	if r := query(t, s, "tcp", "split.example.com", 0); r.Rcode != dns.RcodeNameError {
		t.Fatalf("removed: %v", r)
	}
	if s.Queries("udp") != 5 || s.Queries("tcp") != 2 {
		t.Fatalf("queries: udp %d, tcp %d", s.Queries("udp"), s.Queries("tcp"))
	}
}

// Over UDP the answer is cut to the client's buffer, with the TC bit.
func TestServerTruncates(t *testing.T) {
	s := Start(t)
	values := make([]string, 8)
	for i := range values {
		values[i] = strings.Repeat("v", 200)
	}
	s.SetTXT("big.example.com", values...)
	r := query(t, s, "udp", "big.example.com", 0) // no EDNS: 512 bytes
	if !r.Truncated || len(r.Answer) >= len(values) {
		t.Fatalf("512-byte answer: truncated %v, %d records", r.Truncated, len(r.Answer))
	}
	if r := query(t, s, "udp", "big.example.com", 4096); r.Truncated || len(r.Answer) != len(values) {
		t.Fatalf("4096-byte answer: truncated %v, %d records", r.Truncated, len(r.Answer))
	}
	if r := query(t, s, "tcp", "big.example.com", 0); r.Truncated || len(r.Answer) != len(values) {
		t.Fatalf("tcp answer: truncated %v, %d records", r.Truncated, len(r.Answer))
	}
}
