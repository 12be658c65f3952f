package web_test

import (
	"io"
	"net/http"
	"net/netip"
	"testing"

	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// get requests path from the served app with X-Forwarded-For set to xff
// (none when empty) and returns the status.
func getVia(t *testing.T, base, path, xff string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// Behind a trusted proxy the client is the nearest address in
// X-Forwarded-For that the proxies did not add: its own rate limit and its
// own address in the logs; what the client wrote itself proves nothing.
func TestClientAddressBehindTrustedProxy(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		e := webtest.New(t, d, webtest.WithConfig(func(c *config.Config) {
			c.PublicRateLimit = 2
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
		}))
		page := "/v/" + issueOne(t, e, "uni").cred.PublicID
		base := e.Serve() // connections come from 127.0.0.1, a trusted proxy

		// Client A behind two proxies; a spoofed entry to its left is ignored.
		for _, xff := range []string{"203.0.113.9, 10.0.0.5", "198.51.100.77, 203.0.113.9, 10.0.0.5"} {
			if s := getVia(t, base, page, xff); s != 200 {
				t.Fatalf("client A via %q: %d", xff, s)
			}
		}
		if s := getVia(t, base, page, "203.0.113.9"); s != 429 {
			t.Fatalf("client A's third request: %d, want 429", s)
		}
		// Client B has its own budget, also when it claims to be someone else.
		if s := getVia(t, base, page, "203.0.113.9, 198.51.100.7"); s != 200 {
			t.Fatalf("client B: %d", s)
		}
		// Unreadable entries stop the walk at the nearest address read.
		if s := getVia(t, base, page, "not-an-address, 192.0.2.44"); s != 200 {
			t.Fatalf("client C: %d", s)
		}
		for ip, want := range map[string]int{"203.0.113.9": 2, "198.51.100.7": 1, "192.0.2.44": 1} {
			if n := logCount(t, e, "ip_address = '"+ip+"'"); n != want {
				t.Errorf("%d logs from %s, want %d", n, ip, want)
			}
		}
	})
}

// With no trusted proxy, X-Forwarded-For is ignored: every request is its
// connection's address.
func TestClientAddressIgnoresForwardedForByDefault(t *testing.T) {
	e := webtest.New(t, store.SQLite, webtest.WithConfig(func(c *config.Config) { c.PublicRateLimit = 2 }))
	page := "/v/" + issueOne(t, e, "uni").cred.PublicID
	base := e.Serve()
	for i, xff := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
		want := 200
		if i == 2 {
			want = 429
		}
		if s := getVia(t, base, page, xff); s != want {
			t.Fatalf("request %d claiming %s: %d, want %d", i+1, xff, s, want)
		}
	}
	if n := logCount(t, e, "ip_address = '127.0.0.1'"); n != 2 {
		t.Errorf("%d logs from 127.0.0.1, want 2", n)
	}
}
