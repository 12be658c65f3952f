// Package dnstest runs a real authoritative DNS server on 127.0.0.1 for
// tests, over UDP and TCP on one free port:
//
//	s := dnstest.Start(t)
//	s.SetTXT("_trustcred.example.com", "trustcred-verify=…")
//	v := dnsverify.New(s.Addr(), time.Second)
//
// It answers every name: TXT records for names given to SetTXT, NXDOMAIN for
// the rest. UDP answers are truncated (TC bit) to the client's buffer size,
// as a real server's are, so that TCP fallback can be tested.
package dnstest

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Server is a running test DNS server.
type Server struct {
	addr string

	mu      sync.Mutex
	names   map[string]entry // lower-case, fully qualified
	queries map[string]int   // by network: "udp", "tcp"
}

type entry struct {
	txt   [][]string // records, each a list of character-strings
	a     []net.IP   // A records (IPv4)
	rcode int
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{names: map[string]entry{}, queries: map[string]int{}}
	pc, l := listen(t)
	s.addr = pc.LocalAddr().String()
	for _, srv := range []*dns.Server{
		{PacketConn: pc, Handler: s},
		{Listener: l, Handler: s},
	} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.ShutdownContext(ctx)
		})
	}
	return s
}

// listen binds UDP and TCP on the same free port of 127.0.0.1.
func listen(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	var err error
	for range 20 {
		var pc net.PacketConn
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			break
		}
		var l net.Listener
		l, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l
		}
		_ = pc.Close() // the TCP port is taken: try another
	}
	t.Fatalf("dnstest: %v", err)
	return nil, nil
}

// Addr is the server's "127.0.0.1:port", for UDP and TCP.
func (s *Server) Addr() string { return s.addr }

// SetTXT replaces the TXT records of name, one record per value. A value
// longer than 255 bytes is split into several character-strings, as DNS
// providers do. With no values the name exists without TXT records (an
// empty NOERROR answer).
func (s *Server) SetTXT(name string, values ...string) {
	records := make([][]string, len(values))
	for i, v := range values {
		records[i] = split(v)
	}
	s.SetTXTStrings(name, records...)
}

// SetTXTStrings replaces the TXT records of name, each given as its
// character-strings (each at most 255 bytes).
func (s *Server) SetTXTStrings(name string, records ...[]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names[key(name)] = entry{txt: records, a: s.names[key(name)].a}
}

// SetA sets the A records of name (keeping its TXT records): a loopback
// name for an ACME server's validation, say.
func (s *Server) SetA(name string, ips ...net.IP) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.names[key(name)]
	e.a = ips
	s.names[key(name)] = e
}

// SetRcode makes the server answer queries for name with rcode, such as
// dns.RcodeServerFailure or dns.RcodeRefused.
func (s *Server) SetRcode(name string, rcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names[key(name)] = entry{rcode: rcode}
}

// Remove makes name unknown again (NXDOMAIN).
func (s *Server) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.names, key(name))
}

// Queries is the number of queries received over network ("udp" or "tcp").
func (s *Server) Queries(network string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[network]
}

// ServeDNS implements dns.Handler.
func (s *Server) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	_, udp := w.RemoteAddr().(*net.UDPAddr)
	network := "tcp"
	if udp {
		network = "udp"
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true

	s.mu.Lock()
	s.queries[network]++
	if len(r.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
	} else if e, ok := s.names[key(r.Question[0].Name)]; !ok {
		m.Rcode = dns.RcodeNameError
	} else if e.rcode != dns.RcodeSuccess {
		m.Rcode = e.rcode
	} else if q := r.Question[0]; q.Qtype == dns.TypeA {
		for _, ip := range e.a {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: ip.To4()})
		}
	} else if q.Qtype == dns.TypeTXT || q.Qtype == dns.TypeANY {
		for _, txt := range e.txt {
			m.Answer = append(m.Answer, &dns.TXT{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
				Txt: escape(txt),
			})
		}
	}
	s.mu.Unlock()

	if opt := r.IsEdns0(); opt != nil {
		m.SetEdns0(opt.UDPSize(), false)
	}
	if udp {
		size := dns.MinMsgSize
		if opt := r.IsEdns0(); opt != nil {
			size = int(opt.UDPSize())
		}
		m.Truncate(size)
	}
	_ = w.WriteMsg(m)
}

func key(name string) string { return strings.ToLower(dns.Fqdn(name)) }

// split cuts v into character-strings of at most 255 bytes.
func split(v string) []string {
	parts := []string{}
	for len(v) > 255 {
		parts = append(parts, v[:255])
		v = v[255:]
	}
	return append(parts, v)
}

// escape writes strings the way miekg/dns holds them in TXT records
// (presentation format: backslash before '"' and '\', \DDD for bytes that
// are not printable ASCII), so that the bytes on the wire are the ones given.
func escape(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		var b strings.Builder
		for j := 0; j < len(s); j++ {
			switch c := s[j]; {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < ' ' || c > '~':
				b.WriteByte('\\')
				b.WriteByte('0' + c/100)
				b.WriteByte('0' + c/10%10)
				b.WriteByte('0' + c%10)
			default:
				b.WriteByte(c)
			}
		}
		out[i] = b.String()
	}
	return out
}
