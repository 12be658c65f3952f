package web_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/certtest"
	"github.com/trustcred/trustcred/internal/customdomain"
	"github.com/trustcred/trustcred/internal/dnstest"
	"github.com/trustcred/trustcred/internal/pebbletest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/web"
)

// serveTLS runs env's app on a TLS listener for custom domains (as serve
// does with TRUSTCRED_TLS_ADDR) and returns its address.
func serveTLS(t *testing.T, env *webtest.Env, ln net.Listener, acme *customdomain.ACME) {
	t.Helper()
	picker, err := customdomain.NewTLS(env.Services.Domains, acme)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(picker.Close)
	go func() { _ = web.ServeTLS(env.App, ln, picker) }()
}

// httpsTo is a client that reaches host (by name: SNI and Host) at addr,
// trusting roots.
func httpsTo(addr string, roots *x509.CertPool) *http.Client {
	return &http.Client{Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
			DisableKeepAlives: true,
		}}
}

func get(t *testing.T, c *http.Client, url string) (int, string, error) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b) + resp.Header.Get("Location"), nil
}

// The TLS listener presents the uploaded certificate of a verified custom
// domain by SNI: a browser trusting its CA reaches the organization's
// public page over HTTPS, not its staff pages; a name that is not a
// verified domain gets no certificate; a removed certificate is gone at once.
func TestCustomDomainTLSUploaded(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env, _ := webtest.Served(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		verifiedDomain(t, env, a, "certs.acme.example")
		if _, err := env.DB.Scoped(b.ID).ClaimCustomDomain(context.Background(), "certs.bolt.example", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		ca := certtest.NewCA(t, "Acme Test Root")
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(ca.PEM)
		for _, o := range []struct {
			org    *store.Organization
			domain string
		}{{a, "certs.acme.example"}, {b, "certs.bolt.example"}} {
			l := ca.Leaf(t, []string{o.domain}, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
			c, err := customdomain.ParseCertificate(l.Chain, l.KeyPEM, o.domain, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			dc, err := env.Services.Domains.Seal(c)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := env.DB.Scoped(o.org.ID).SetCustomDomainCertificate(context.Background(), o.domain, dc, store.Actor{}); err != nil {
				t.Fatal(err)
			}
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		serveTLS(t, env, ln, nil)
		c := httpsTo(ln.Addr().String(), roots)
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		base := "https://certs.acme.example:" + port
		if st, body, err := get(t, c, base+"/"); err != nil || st != 302 || !strings.HasSuffix(body, "/orgs/acme") {
			t.Fatalf("GET /: %d %v %q", st, err, body)
		}
		if st, body, err := get(t, c, base+"/orgs/acme"); err != nil || st != 200 || !strings.Contains(body, "Acme") {
			t.Fatalf("profile over TLS: %d %v", st, err)
		}
		for _, p := range []string{"/login", "/settings/domain", "/orgs/bolt"} {
			if st, _, err := get(t, c, base+p); err != nil || st != 404 {
				t.Errorf("%s over the custom domain: %d %v", p, st, err)
			}
		}
		// Bolt's domain is pending: no certificate, no handshake.
		if _, _, err := get(t, c, "https://certs.bolt.example:"+port+"/"); err == nil {
			t.Error("a pending domain got a certificate")
		}
		if _, _, err := get(t, c, "https://unknown.example:"+port+"/"); err == nil {
			t.Error("an unknown name got a certificate")
		}
		if err := env.DB.Scoped(a.ID).RemoveCustomDomainCertificate(context.Background(), store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := get(t, c, base+"/"); err == nil {
			t.Error("a removed certificate is still presented")
		}
	})
}

// ACME on demand against a real ACME server (Pebble, built from the module
// proxy): the first handshake to a verified custom domain without an
// uploaded certificate gets one issued (Pebble validates tls-alpn-01 on the
// TLS listener, resolving the domain through a test DNS server to
// 127.0.0.1), and the page is served; a pending domain gets none and no
// certificate is requested for it.
func TestCustomDomainACME(t *testing.T) {
	env, _ := webtest.Served(t, store.SQLite)
	a, b := env.Org("acme"), env.Org("bolt")
	verifiedDomain(t, env, a, "certs.acme.example")
	if _, err := env.DB.Scoped(b.ID).ClaimCustomDomain(context.Background(), "certs.bolt.example", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	ns := dnstest.Start(t)
	ns.SetA("certs.acme.example", net.IPv4(127, 0, 0, 1))
	ns.SetA("certs.bolt.example", net.IPv4(127, 0, 0, 1))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	peb := pebbletest.Start(t, ns.Addr(), port)
	storage := t.TempDir()
	serveTLS(t, env, ln, &customdomain.ACME{CA: peb.Directory, RootCA: peb.RootCA, Email: "ops@trustcred.example",
		Storage: storage, TLSPort: port})
	c := httpsTo(ln.Addr().String(), peb.Roots(t))
	base := "https://certs.acme.example:" + strconv.Itoa(port)
	st, body, err := get(t, c, base+"/orgs/acme")
	if err != nil || st != 200 || !strings.Contains(body, "Acme") {
		t.Fatalf("profile over an ACME certificate: %d %v", st, err)
	}
	if _, _, err := get(t, c, "https://certs.bolt.example:"+strconv.Itoa(port)+"/"); err == nil {
		t.Error("a pending domain got a certificate")
	}
	var names []string
	_ = filepath.WalkDir(storage, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".crt") {
			names = append(names, filepath.Base(p))
		}
		return nil
	})
	if len(names) != 1 || names[0] != "certs.acme.example.crt" {
		t.Errorf("certificates stored: %v", names)
	}
}
