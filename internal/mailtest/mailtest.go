// Package mailtest runs a real SMTP server for tests: one mailpit
// (github.com/axllent/mailpit) per test binary, on free loopback ports,
// started by the first Start and stopped by Main. StartWith gives a second
// (or third) one that requires STARTTLS or implicit TLS, with a self-signed
// certificate.
//
//	func TestMain(m *testing.M) { os.Exit(mailtest.Main(m)) }
//
//	func TestX(t *testing.T) {
//		srv := mailtest.Start(t)
//		to := mailtest.Address(t) // unique per test: the server is shared
//		mailer, _ := mail.NewSMTP(srv.SMTPURL())
//		… mailer.Send(ctx, mail.Message{To: to, …})
//		got := srv.WaitFor(t, to, 10*time.Second)
//	}
//
// The mailpit executable is MAILPIT if set, else mailpit on PATH or in the
// Go bin directory; if there is none, the first Start installs it with
// `go install github.com/axllent/mailpit@v1.33.1` (about a minute). When it
// cannot be installed or started the test is skipped with the reason,
// except under CI=true, where it fails. In -short mode the tests skip.
//
// Without Main the server still stops with the test binary (on Linux the
// kernel signals it when its parent dies), but its temporary directory stays.
package mailtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Module is what Start installs when no mailpit is found.
const Module = "github.com/axllent/mailpit@v1.33.1"

// From is the sender in SMTPURL.
const From = "TrustCred Test <noreply@trustcred.test>"

// Security is how a Server's SMTP port is protected.
type Security int

const (
	// Plain SMTP, no STARTTLS offered (the default of Start).
	Plain Security = iota
	// STARTTLS offered and required, with a self-signed certificate.
	STARTTLS
	// TLS from the first byte (smtps), with a self-signed certificate.
	TLS
)

// Server is a shared mailpit.
type Server struct {
	security Security
	smtpAddr string // host:port
	apiURL   string // http://host:port
	cmd      *exec.Cmd
	exited   chan struct{}
	dir      string
}

// Msg is a message as mailpit received it.
type Msg struct {
	ID       string // mailpit's database id
	From     string // address only
	FromName string
	To       []string // addresses only
	Subject  string
	Text     string
	HTML     string
	Username string // the SMTP AUTH user name, if the client authenticated
}

// instance is the lazily started server of one Security.
type instance struct {
	once    sync.Once
	srv     *Server
	missing string // why there is no server
}

var shared [3]instance // by Security

// Runner runs a package's tests: a *testing.M, or another helper's Main
// wrapped in RunFunc, so that per-binary services can be chained:
//
//	os.Exit(mailtest.Main(mailtest.RunFunc(func() int { return browsertest.Main(m) })))
type Runner interface{ Run() int }

// RunFunc adapts a function to Runner.
type RunFunc func() int

// Run calls f.
func (f RunFunc) Run() int { return f() }

// Main runs the tests and then stops the shared servers that started.
func Main(m Runner) int {
	defer func() {
		for i := range shared {
			if shared[i].srv != nil {
				shared[i].srv.stop()
			}
		}
	}()
	return m.Run()
}

// Start returns the shared plain-SMTP server, starting it on first use.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Plain)
}

// StartWith returns the shared server of the given security, starting it
// on first use: one mailpit per Security and test binary.
func StartWith(t testing.TB, sec Security) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped in -short mode: needs mailpit")
	}
	if sec < Plain || sec > TLS {
		t.Fatalf("mailtest: unknown security %d", sec)
	}
	in := &shared[sec]
	in.once.Do(func() {
		in.srv, in.missing = start(sec)
	})
	if in.srv == nil {
		require(t, in.missing)
	}
	return in.srv
}

// SMTPURL is the server's URL in the form mail.NewSMTP takes, with From
// as the sender: smtp://, smtp+starttls:// or smtps:// by the server's
// Security, the last two with insecure_skip_verify=true for the self-signed
// certificate. mailpit accepts any user name and password, or none.
func (s *Server) SMTPURL() string {
	q := url.Values{"from": {From}}
	scheme := "smtp"
	switch s.security {
	case STARTTLS:
		scheme = "smtp+starttls"
		q.Set("insecure_skip_verify", "true")
	case TLS:
		scheme = "smtps"
		q.Set("insecure_skip_verify", "true")
	}
	return scheme + "://" + s.smtpAddr + "?" + q.Encode()
}

// SMTPAddr is the SMTP server's host:port.
func (s *Server) SMTPAddr() string { return s.smtpAddr }

// APIURL is the base URL of mailpit's web UI and REST API.
func (s *Server) APIURL() string { return s.apiURL }

// Address returns a recipient address unique to this test (and run), so
// that tests sharing the server see only their own messages.
func Address(t testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, t.Name())
	if len(name) > 40 {
		name = name[:40]
	}
	return name + "-" + hex.EncodeToString(b[:]) + "@trustcred.test"
}

// Messages returns the messages received so far with to among their
// recipients, oldest first.
func (s *Server) Messages(t testing.TB, to string) []Msg {
	t.Helper()
	msgs, err := s.messages(to)
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	return msgs
}

// WaitFor polls until a message to `to` has arrived and returns the newest
// one; it fails the test after timeout.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) Msg {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs, err := s.messages(to)
		if err != nil {
			t.Fatalf("mailtest: %v", err)
		}
		if len(msgs) > 0 {
			return msgs[len(msgs)-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailtest: no message to %s within %v", to, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type address struct {
	Name    string
	Address string
}

func (s *Server) messages(to string) ([]Msg, error) {
	// mailpit's to: search is a substring match; the exact filter is ours.
	var list struct {
		Messages []struct {
			ID string
			To []address
		} `json:"messages"`
	}
	q := url.Values{"query": {"to:" + to}, "limit": {"1000"}}
	if err := s.get("/api/v1/search?"+q.Encode(), &list); err != nil {
		return nil, err
	}
	var msgs []Msg
	for _, summary := range slices.Backward(list.Messages) { // the API lists newest first
		if !slices.ContainsFunc(summary.To, func(a address) bool { return strings.EqualFold(a.Address, to) }) {
			continue
		}
		var full struct {
			ID       string
			From     *address
			To       []address
			Subject  string
			Text     string
			HTML     string
			Username string
		}
		if err := s.get("/api/v1/message/"+url.PathEscape(summary.ID), &full); err != nil {
			return nil, err
		}
		m := Msg{ID: full.ID, Subject: full.Subject, Text: full.Text, HTML: full.HTML, Username: full.Username}
		if full.From != nil {
			m.From, m.FromName = full.From.Address, full.From.Name
		}
		for _, a := range full.To {
			m.To = append(m.To, a.Address)
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

func (s *Server) get(path string, v any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.apiURL+path, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("mailpit API: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var body bytes.Buffer
		_, _ = body.ReadFrom(res.Body)
		return fmt.Errorf("mailpit API: GET %s: %s: %s", path, res.Status, strings.TrimSpace(body.String()))
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		return fmt.Errorf("mailpit API: GET %s: %w", path, err)
	}
	return nil
}

// start finds or installs mailpit and starts it; on failure it returns why.
func start(sec Security) (*Server, string) {
	binary.once.Do(func() { binary.path, binary.why = executable() })
	bin, why := binary.path, binary.why
	if bin == "" {
		return nil, why
	}
	var lastErr error
	for range 3 { // a free port may be taken between probing and binding
		srv, err := run(bin, sec)
		if err == nil {
			return srv, ""
		}
		lastErr = err
	}
	return nil, fmt.Sprintf("mailpit (%s) did not start: %v", bin, lastErr)
}

// binary is the mailpit executable, found or installed once.
var binary struct {
	once      sync.Once
	path, why string
}

// executable finds mailpit, installing it with go install if needed.
func executable() (path, why string) {
	if p := os.Getenv("MAILPIT"); p != "" {
		return p, ""
	}
	if p := lookup(); p != "" {
		return p, ""
	}
	gocmd, err := exec.LookPath("go")
	if err != nil {
		return "", "mailpit not installed and no go command to install it (go install " + Module + ")"
	}
	// go test runs packages in parallel: let one test binary install while
	// the others wait, then find what it installed.
	unlock := lockInstall()
	defer unlock()
	if p := lookup(); p != "" {
		return p, ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gocmd, "install", Module) // #nosec G204 -- test harness: go install of the pinned mailpit module
	// The project's toolchain, and none of the caller's build flags.
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=go1.27.3", "GOFLAGS=")
	cmd.Dir = os.TempDir() // outside any module, whatever the test's directory
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Sprintf("go install %s: %v: %s", Module, err, tail(out))
	}
	if p := lookup(); p != "" {
		return p, ""
	}
	return "", "go install " + Module + " succeeded but mailpit is not in PATH, GOBIN or GOPATH/bin"
}

// lookup finds mailpit on PATH or where go install puts it.
func lookup() string {
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	var dirs []string
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(string(out), "\n") // GOBIN's line may be empty
		if strings.TrimSpace(lines[0]) != "" {
			dirs = append(dirs, strings.TrimSpace(lines[0]))
		}
		if len(lines) > 1 {
			for _, p := range filepath.SplitList(strings.TrimSpace(lines[1])) {
				dirs = append(dirs, filepath.Join(p, "bin"))
			}
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "mailpit")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

func run(bin string, sec Security) (*Server, error) {
	smtpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "trustcred-mailpit-")
	if err != nil {
		return nil, err
	}
	s := &Server{
		security: sec,
		smtpAddr: net.JoinHostPort("127.0.0.1", smtpPort),
		apiURL:   "http://" + net.JoinHostPort("127.0.0.1", httpPort),
		exited:   make(chan struct{}),
		dir:      dir,
	}
	logPath := filepath.Join(dir, "mailpit.log")
	args := []string{
		"--smtp", s.smtpAddr,
		"--listen", net.JoinHostPort("127.0.0.1", httpPort),
		"--database", filepath.Join(dir, "mailpit.db"),
		"--log-file", logPath,
		"--max", "0", // never prune: tests look up their messages until the end
		"--disable-version-check", // no network here
		"--smtp-disable-rdns",
		"--smtp-auth-accept-any", // any credentials, or none
	}
	const selfSigned = "sans:127.0.0.1,localhost" // mailpit generates the pair
	switch sec {
	case Plain:
		args = append(args, "--smtp-auth-allow-insecure") // credentials over plain SMTP
	case STARTTLS:
		args = append(args, "--smtp-tls-cert", selfSigned, "--smtp-tls-key", selfSigned, "--smtp-require-starttls")
	case TLS:
		args = append(args, "--smtp-tls-cert", selfSigned, "--smtp-tls-key", selfSigned, "--smtp-require-tls")
	}
	s.cmd = exec.Command(bin, args...) // #nosec G204 -- test harness: the mailpit binary installed above, our own arguments
	// MP_* variables configure mailpit too; only the flags above apply.
	// Its temporary files (the self-signed pair) go to dir, removed by stop.
	s.cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "MP_") || strings.HasPrefix(kv, "TMPDIR=")
	})
	s.cmd.Env = append(s.cmd.Env, "TMPDIR="+dir)
	s.cmd.Dir = dir
	setParentDeathSignal(s.cmd)
	if err := s.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(30 * time.Second); err != nil {
		log, _ := os.ReadFile(logPath) // #nosec G304 -- test harness: the log file this helper created
		s.stop()
		return nil, fmt.Errorf("%w; log: %s", err, tail(log))
	}
	return s, nil
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("exited: %v", s.cmd.ProcessState)
		default:
		}
		ready := false
		if res, err := client.Get(s.apiURL + "/readyz"); err == nil {
			_ = res.Body.Close()
			ready = res.StatusCode == http.StatusOK
		}
		if ready {
			if conn, err := net.DialTimeout("tcp", s.smtpAddr, time.Second); err == nil { // SMTP is up too
				_ = conn.Close()
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready within %v", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Server) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	_ = os.RemoveAll(s.dir)
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

func require(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("required service missing under CI: %s", why)
	}
	t.Skipf("skipped: %s", why)
}
