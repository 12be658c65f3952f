package dnsverify_test

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/trustcred/trustcred/internal/dnstest"
	"github.com/trustcred/trustcred/internal/dnsverify"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func TestRecord(t *testing.T) {
	r := dnsverify.Record("org-1", secret)
	if !regexp.MustCompile(`^trustcred-verify=[a-z2-7]{32}$`).MatchString(r) {
		t.Fatalf("Record = %q", r)
	}
	// Pinned: published records must stay valid across releases.
	if want := "trustcred-verify=fz2iwy5bk7erworagit6exhon3xzsl63"; r != want {
		t.Fatalf("Record = %q, want %q", r, want)
	}
	if dnsverify.Record("org-1", secret) != r {
		t.Fatal("not deterministic")
	}
	if dnsverify.Record("org-2", secret) == r {
		t.Fatal("same record for two organizations")
	}
	if dnsverify.Record("org-1", []byte("another secret of 32 bytes......")) == r {
		t.Fatal("same record for two secrets")
	}
	for _, short := range [][]byte{nil, []byte("short")} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Record with a %d-byte secret did not panic", len(short))
				}
			}()
			dnsverify.Record("org-1", short)
		}()
	}
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"example.com":     "_trustcred.example.com",
		"Example.COM.":    "_trustcred.example.com",
		"sub.example.org": "_trustcred.sub.example.org",
	} {
		if got := dnsverify.Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDomain(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	longest := strings.Repeat(label63+".", 3) + strings.Repeat("b", dnsverify.MaxDomainLength-3*64-4) + ".com"
	for in, want := range map[string]string{
		"example.com":       "example.com",
		"EXAMPLE.Com.":      "example.com",
		"a.b.c.example.org": "a.b.c.example.org",
		"xn--mnchen-3ya.de": "xn--mnchen-3ya.de",
		"1password.com":     "1password.com",
		"a--b.co":           "a--b.co",
		"x.y":               "x.y",
		label63 + ".com":    label63 + ".com",
		longest:             longest,
		"123.example.com":   "123.example.com",
		"example.xn--p1ai":  "example.xn--p1ai",
	} {
		got, err := dnsverify.ParseDomain(in)
		if err != nil || got != want {
			t.Errorf("ParseDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if len(longest) != dnsverify.MaxDomainLength {
		t.Fatalf("longest is %d characters", len(longest))
	}
	for _, in := range []string{
		"", ".", "com", "localhost", "example", ".com", "example..com", "example.com..",
		"-a.com", "a-.com", "a.-com", "a_b.com", "_trustcred.example.com", "exa mple.com",
		" example.com", "example.com ", "münchen.de", "例え.jp", "1.2.3.4", "example.123",
		"a.com/x", "http://a.com", "https://example.com/", "*.example.com", "@.com",
		"user@example.com", "example.com:443", "[::1]", "::1", "a\x00.com", "a\n.com",
		strings.Repeat("a", 64) + ".com",
		longest + "x", "x" + longest,
	} {
		if got, err := dnsverify.ParseDomain(in); !errors.Is(err, dnsverify.ErrInvalidDomain) {
			t.Errorf("ParseDomain(%q) = %q, %v; want ErrInvalidDomain", in, got, err)
		}
	}
}

func TestVerify(t *testing.T) {
	s := dnstest.Start(t)
	v := dnsverify.New(s.Addr(), 2*time.Second)
	want := dnsverify.Record("org-1", secret)
	other := dnsverify.Record("org-2", secret)
	half := len(want) / 2

	s.SetTXT("_trustcred.single.test", want)
	s.SetTXTStrings("_trustcred.split.test", []string{want[:half], want[half:]})
	s.SetTXTStrings("_trustcred.split3.test", []string{"trustcred-", "verify=", want[len(dnsverify.Prefix):]})
	s.SetTXT("_trustcred.among.test", "v=spf1 -all", strings.Repeat("x", 600), other, want, "google-site-verification=abc")
	s.SetTXT("_trustcred.pasted.test", `  "`+strings.ToUpper(want)+`" `)
	s.SetTXT("_trustcred.other.test", other)
	s.SetTXT("_trustcred.several.test", "v=spf1 -all", other)
	s.SetTXT("_trustcred.prefix.test", want+"x", "x"+want, want[:len(want)-1])
	s.SetTXTStrings("_trustcred.separate.test", []string{want[:half]}, []string{want[half:]}) // two records, not one
	s.SetTXT("_trustcred.empty.test", "")
	s.SetTXT("_trustcred.nodata.test")
	s.SetTXT("single.test", "wrong name, no label") // the bare domain does not count
	s.SetTXT("_trustcred.sub.deep.test", want)

	for _, tc := range []struct {
		domain string
		want   error
	}{
		{"single.test", nil},
		{"SINGLE.test.", nil},
		{"split.test", nil},
		{"split3.test", nil},
		{"among.test", nil},
		{"pasted.test", nil},
		{"sub.deep.test", nil},
		{"other.test", dnsverify.ErrMismatch},
		{"several.test", dnsverify.ErrMismatch},
		{"prefix.test", dnsverify.ErrMismatch},
		{"separate.test", dnsverify.ErrMismatch},
		{"empty.test", dnsverify.ErrMismatch},
		{"nodata.test", dnsverify.ErrNotFound},
		{"absent.test", dnsverify.ErrNotFound},
		{"deep.test", dnsverify.ErrNotFound},
		{"not a domain", dnsverify.ErrInvalidDomain},
	} {
		err := v.Verify(context.Background(), tc.domain, want)
		if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
			t.Errorf("Verify(%q) = %v, want %v", tc.domain, err, tc.want)
		}
	}

	err := v.Verify(context.Background(), "absent.test", want)
	if err.Error() != "no TXT record found at _trustcred.absent.test" {
		t.Errorf("message %q", err)
	}
	if err := v.Verify(context.Background(), "single.test", ""); err == nil {
		t.Error("an empty expected value was accepted")
	}
}

// Invalid domains are refused before any query.
func TestVerifyInvalidDomain(t *testing.T) {
	s := dnstest.Start(t)
	v := dnsverify.New(s.Addr(), time.Second)
	for _, d := range []string{"", "localhost", "1.2.3.4", "http://example.com", "a_b.example.com", "münchen.de"} {
		if err := v.Verify(context.Background(), d, "x"); !errors.Is(err, dnsverify.ErrInvalidDomain) {
			t.Errorf("Verify(%q) = %v", d, err)
		}
	}
	if n := s.Queries("udp") + s.Queries("tcp"); n != 0 {
		t.Fatalf("%d queries sent", n)
	}
}

// A UDP answer too large for the client comes truncated; the record is then
// read over TCP.
func TestVerifyTCPFallback(t *testing.T) {
	s := dnstest.Start(t)
	v := dnsverify.New(s.Addr(), 2*time.Second)
	want := dnsverify.Record("org-1", secret)
	values := []string{}
	for range 10 {
		values = append(values, strings.Repeat("filler ", 60)) // 420 bytes each
	}
	s.SetTXT("_trustcred.big.test", append(values, want)...)
	if err := v.Verify(context.Background(), "big.test", want); err != nil {
		t.Fatal(err)
	}
	if s.Queries("udp") == 0 || s.Queries("tcp") == 0 {
		t.Fatalf("udp %d, tcp %d queries", s.Queries("udp"), s.Queries("tcp"))
	}
}

func TestVerifyServerFailure(t *testing.T) {
	s := dnstest.Start(t)
	v := dnsverify.New(s.Addr(), 2*time.Second)
	s.SetRcode("_trustcred.broken.test", dns.RcodeServerFailure)
	err := v.Verify(context.Background(), "broken.test", "x")
	if err == nil || errors.Is(err, dnsverify.ErrNotFound) || errors.Is(err, dnsverify.ErrMismatch) {
		t.Fatalf("Verify against SERVFAIL = %v", err)
	}
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) {
		t.Fatalf("not a *net.DNSError: %v", err)
	}
}

// freeUDPAddr returns an address where nothing listens.
func freeUDPAddr(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

// blackHole returns the address of a UDP socket that reads queries and
// never answers.
func blackHole(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	return pc.LocalAddr().String()
}

func TestVerifyNothingListening(t *testing.T) {
	v := dnsverify.New(freeUDPAddr(t), 500*time.Millisecond)
	start := time.Now()
	err := v.Verify(context.Background(), "example.com", "x")
	if err == nil || errors.Is(err, dnsverify.ErrNotFound) || errors.Is(err, dnsverify.ErrMismatch) {
		t.Fatalf("Verify = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
	t.Log(err)
}

func TestVerifyTimeout(t *testing.T) {
	v := dnsverify.New(blackHole(t), 300*time.Millisecond)
	start := time.Now()
	err := v.Verify(context.Background(), "example.com", "x")
	d := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Verify = %v, want context.DeadlineExceeded", err)
	}
	if d < 250*time.Millisecond || d > 2*time.Second {
		t.Fatalf("took %v for a 300ms timeout", d)
	}
	t.Log(err)
}

func TestVerifyCancel(t *testing.T) {
	v := dnsverify.New(blackHole(t), time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err := v.Verify(ctx, "example.com", "x")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v after cancellation", d)
	}
	t.Log(err)

	// Already cancelled: no wait at all.
	start = time.Now()
	if err := v.Verify(ctx, "example.com", "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify with a cancelled context = %v", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("took %v", d)
	}
}

func TestNewAddress(t *testing.T) {
	// An address without a port means port 53; the system resolver needs
	// no address. Neither is queried here: ParseDomain refuses first.
	for _, addr := range []string{"", "127.0.0.1", "::1", "[::1]", "127.0.0.1:5353"} {
		v := dnsverify.New(addr, 0)
		if err := v.Verify(context.Background(), "invalid", "x"); !errors.Is(err, dnsverify.ErrInvalidDomain) {
			t.Errorf("New(%q): %v", addr, err)
		}
	}
}
