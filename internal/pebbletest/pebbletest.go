// Package pebbletest runs Let's Encrypt's Pebble, a real ACME server, for
// tests. Pebble is built from the Go module proxy in its own module
// (scripts/pebble, pinned there: github.com/letsencrypt/pebble/v2 v2.10.3),
// so it never enters the server's module graph. It validates challenges
// against the DNS server given (a loopback name from internal/dnstest).
//
// Outside CI a test skips when Pebble cannot be built (no module proxy);
// under CI=true it fails.
package pebbletest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Pebble is a running Pebble.
type Pebble struct {
	Directory string // the ACME directory URL
	RootCA    string // PEM file of the CA Pebble's own HTTPS certificate chains to (for the ACME client)
	mgmt      string
	client    *http.Client
}

var (
	buildOnce sync.Once
	binary    string
	moduleDir string
	buildErr  error
)

// build builds Pebble once per test binary.
func build(t testing.TB) {
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		dir := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "pebble")
		out, err := os.MkdirTemp("", "pebbletest")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(out, "pebble")
		cmd := exec.Command("go", "build", "-o", binary, "github.com/letsencrypt/pebble/v2/cmd/pebble") // #nosec G204 -- builds the pinned Pebble into the test's temporary folder
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build pebble: %v\n%s", err, b)
			return
		}
		cmd = exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/letsencrypt/pebble/v2")
		cmd.Dir = dir
		b, err := cmd.Output()
		if err != nil {
			buildErr = fmt.Errorf("go list pebble: %v", err)
			return
		}
		moduleDir = strings.TrimSpace(string(b))
	})
	if buildErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pebble: %v", buildErr)
		}
		t.Skipf("pebble cannot be built here (needs the Go module proxy): %v", buildErr)
	}
}

// Start runs Pebble until the test ends. It resolves names through dns
// (host:port) and validates tls-alpn-01 on tlsPort (and http-01 on a port
// nobody listens on).
func Start(t testing.TB, dns string, tlsPort int) *Pebble {
	t.Helper()
	build(t)
	dir := t.TempDir()
	listen, mgmt := freeAddr(t), freeAddr(t)
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress": listen, "managementListenAddress": mgmt,
		"certificate": filepath.Join(moduleDir, "test/certs/localhost/cert.pem"),
		"privateKey":  filepath.Join(moduleDir, "test/certs/localhost/key.pem"),
		"httpPort":    1, "tlsPort": tlsPort, "ocspResponderURL": "", "externalAccountBindingRequired": false,
		"keyAlgorithm": "ecdsa",
		"profiles":     map[string]any{"default": map[string]any{"description": "default", "validityPeriod": 7776000}},
	}}
	b, _ := json.Marshal(cfg)
	conf := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(conf, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "-config", conf, "-dnsserver", dns, "-strict=false") // #nosec G204 -- the Pebble binary built just above
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	logs := &strings.Builder{}
	var mu sync.Mutex
	cmd.Stdout, cmd.Stderr = lockedWriter{&mu, logs}, lockedWriter{&mu, logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			mu.Lock()
			t.Logf("pebble's log:\n%s", logs.String())
			mu.Unlock()
		}
	})
	minica, err := os.ReadFile(filepath.Join(moduleDir, "test/certs/pebble.minica.pem")) // #nosec G304 -- Pebble's own test root in its module folder
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(minica)
	p := &Pebble{Directory: "https://" + listen + "/dir", RootCA: filepath.Join(moduleDir, "test/certs/pebble.minica.pem"), mgmt: mgmt,
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := p.client.Get(p.Directory)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble did not start: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Roots is the pool of the root Pebble signs the certificates it issues with.
func (p *Pebble) Roots(t testing.TB) *x509.CertPool {
	t.Helper()
	resp, err := p.client.Get("https://" + p.mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("pebble's root: %s", b)
	}
	return pool
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
