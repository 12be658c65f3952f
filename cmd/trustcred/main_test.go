package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/apikey"
	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/demo"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// With TRUSTCRED_TEST_RUN_MAIN=1 the test binary is the trustcred command,
// so the tests can run the real main, signals and all, without a build.
func TestMain(m *testing.M) {
	if os.Getenv("TRUSTCRED_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// command runs trustcred with args in a fresh process.
func command(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "TRUSTCRED_TEST_RUN_MAIN=1")
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// A fresh data directory and no other configuration: the server creates its
// SQLite database, migrates it, seeds the demo (--demo), becomes ready, and
// on SIGTERM finishes and exits 0.
func TestServeOnEmbeddedDefaultAndStopOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	addr, debugAddr, tlsAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	cmd := command(t, nil, "serve", "--addr", addr, "--data-dir", filepath.Join(dir, "data"), "--demo", "--debug-addr", debugAddr, "--tls-addr", tlsAddr)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-done
		}
	})

	waitReady(t, "http://"+addr+"/readyz", done, &logs)
	res, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("home page: %d", res.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "trustcred.db")); err != nil {
		t.Fatalf("embedded database not created: %v", err)
	}
	// Runtime profiles on the debug address only, never on the application's.
	for url, want := range map[string]int{"http://" + debugAddr + "/debug/pprof/cmdline": 200, "http://" + addr + "/debug/pprof/cmdline": 404} {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("%s: %d, want %d", url, res.StatusCode, want)
		}
		if want == 200 && !strings.Contains(string(body), "serve") {
			t.Errorf("%s: not the process's command line: %q", url, body)
		}
	}

	// The custom domains' TLS listener answers, and has no certificate for
	// a name that is not a verified custom domain.
	if c, err := tls.Dial("tcp", tlsAddr, &tls.Config{ServerName: "unknown.example"}); err == nil {
		c.Close()
		t.Error("a TLS handshake for an unknown name succeeded")
	} else if errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("no TLS listener: %v", err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30s after SIGTERM\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "Demo data seeded") {
		t.Errorf("serve --demo on an empty database did not seed:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "web server stopped") {
		t.Errorf("no orderly shutdown in the log:\n%s", logs.String())
	}
}

func waitReady(t *testing.T, url string, done <-chan error, logs *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("server exited early: %v\n%s", err, logs.String())
		default:
		}
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("not ready within 30s\n%s", logs.String())
}

func runCmd(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestMigrateCommands(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := map[string]string{"TRUSTCRED_DATA_DIR": t.TempDir(), "TRUSTCRED_LOG_LEVEL": "warn"}
			wantBefore := "job queue schema: version 0 of" // a fresh SQLite file
			if d == store.Postgres {
				db := storetest.Open(t, store.Postgres) // a fresh, already migrated database
				env["TRUSTCRED_DATABASE_URL"] = databaseURL(t, db)
				wantBefore = "database: up to date"
			}
			code, out, errs := runCmd(t, env, "migrate", "status")
			if code != 0 || !strings.Contains(out, wantBefore) {
				t.Fatalf("status before up: %d %q %q", code, out, errs)
			}
			if code, _, errs = runCmd(t, env, "migrate", "up"); code != 0 {
				t.Fatalf("up: %d %s", code, errs)
			}
			code, out, _ = runCmd(t, env, "migrate", "status")
			if code != 0 || !strings.Contains(out, "database: up to date") {
				t.Fatalf("status after up: %d %q", code, out)
			}
			if code, _, errs = runCmd(t, env, "migrate", "down", "--to", "0"); code != 0 {
				t.Fatalf("down --to 0: %d %s", code, errs)
			}
			if code, _, errs = runCmd(t, env, "migrate", "down"); code != 0 {
				t.Fatalf("down: %d %s", code, errs)
			}
		})
	}
}

func databaseURL(t *testing.T, db *store.DB) string {
	t.Helper()
	var name string
	if err := db.SQL().QueryRow("SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return strings.Replace(storetest.PostgresURL(), "/postgres?", "/"+name+"?", 1)
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"migrate"}, 2, "want up, down"},
		{[]string{"migrate", "sideways"}, 2, "unknown migrate command"},
		{[]string{"migrate", "down", "--to", "x"}, 2, "--to"},
		{[]string{"serve", "--log-format", "xml"}, 2, "log-format"},
		{[]string{"serve", "--no-such-flag"}, 2, "no-such-flag"},
		{[]string{"serve", "--demo", "yes"}, 2, `unexpected argument "yes"`},
	}
	for _, tc := range cases {
		code, _, errs := runCmd(t, map[string]string{"TRUSTCRED_DATA_DIR": t.TempDir()}, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
	code, out, _ := runCmd(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "trustcred ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, _ = runCmd(t, nil, "serve", "-h"); code != 0 {
		t.Errorf("serve -h: exit %d", code)
	}
}

// Logs are structured: with TRUSTCRED_LOG_FORMAT=json every line parses.
func TestJSONLogs(t *testing.T) {
	addr := freeAddr(t)
	cmd := command(t, []string{"TRUSTCRED_LOG_FORMAT=json", "TRUSTCRED_ADDR=" + addr, "TRUSTCRED_DATA_DIR=" + t.TempDir()}, "serve")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	waitReady(t, "http://"+addr+"/readyz", done, &logs)
	_ = cmd.Process.Signal(syscall.SIGINT)
	if err := <-done; err != nil {
		t.Fatalf("exit after SIGINT: %v", err)
	}
	sc := bufio.NewScanner(&logs)
	lines := 0
	for sc.Scan() {
		lines++
		if l := sc.Text(); !strings.HasPrefix(l, "{") || !strings.Contains(l, `"msg":`) {
			t.Errorf("not a JSON log line: %s", l)
		}
	}
	if lines == 0 {
		t.Fatal("no log lines")
	}
}

// "trustcred demo" seeds once, prints the passwords, and refuses a second time.
func TestDemoCommand(t *testing.T) {
	env := map[string]string{"TRUSTCRED_DATA_DIR": t.TempDir(), "TRUSTCRED_LOG_LEVEL": "warn"}
	code, out, errs := runCmd(t, env, "demo")
	if code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errs)
	}
	for _, want := range []string{"Demo data seeded", "super_admin", "admin@northfield.edu", "API key for northfield", "tcs_"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(env["TRUSTCRED_DATA_DIR"], "master.key")); err != nil {
		t.Errorf("no master key generated: %v", err)
	}
	code, _, errs = runCmd(t, env, "demo")
	if code != 1 || !strings.Contains(errs, "already has data") {
		t.Fatalf("second demo: exit %d, stderr %q", code, errs)
	}
}

// serve --demo on a database that has data seeds nothing and says so where
// the passwords would have been, with the way to get the demo.
func TestServeDemoOnDataSaysSo(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	keys, err := secret.Load("", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Seed(context.Background(), db, keys, "http://localhost:8080"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cfg := config.Config{DataDir: "/srv/trustcred", BaseURL: "http://localhost:8080"}
	if err := seedDemoIfEmpty(context.Background(), cfg, slog.New(slog.DiscardHandler), db, keys, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Demo data not seeded: the data directory /srv/trustcred already has data") ||
		!strings.Contains(out.String(), "--demo --data-dir ./demo-data") {
		t.Fatalf("output %q", out.String())
	}
}

func runWithStdin(t *testing.T, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// cliEnv is the configuration of a command run against a fresh database of
// dialect d, and a handle on that database to check the effects.
func cliEnv(t *testing.T, d store.Dialect) (map[string]string, *store.DB) {
	t.Helper()
	env := map[string]string{"TRUSTCRED_DATA_DIR": t.TempDir(), "TRUSTCRED_LOG_LEVEL": "debug"}
	if d == store.Postgres {
		db := storetest.Open(t, store.Postgres)
		env["TRUSTCRED_DATABASE_URL"] = databaseURL(t, db)
		return env, db
	}
	db, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(env["TRUSTCRED_DATA_DIR"], "trustcred.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	m, err := db.Migrator(storetest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	return env, db
}

func TestAdminCreate(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			env, db := cliEnv(t, d)
			org := &store.Organization{Name: "Acme", Slug: "acme", Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:acme"}
			if err := db.CreateOrganization(ctx, org, store.Actor{}); err != nil {
				t.Fatal(err)
			}
			const pw = "a long and unusual passphrase"
			code, out, errs := runWithStdin(t, env, pw+"\n", "admin", "create", "--email", "Root@Example.org", "--role", "super_admin", "--password-stdin", "--name", "Root")
			if code != 0 || !strings.Contains(out, "root@example.org, super_admin of the platform") {
				t.Fatalf("super_admin: exit %d\n%s%s", code, out, errs)
			}
			if strings.Contains(out+errs, pw) {
				t.Fatal("the password was printed")
			}
			u, err := db.UserByEmail(ctx, "root@example.org")
			if err != nil || u.Role != store.RoleSuperAdmin || u.OrganizationID != nil || u.PasswordHash == nil ||
				password.Check(*u.PasswordHash, pw) != nil || u.Profile.Data().DisplayName != "Root" {
				t.Fatalf("created %+v (%v)", u, err)
			}
			// An org role in an organization; configuration flags mix with the command's; CRLF line end.
			code, out, errs = runWithStdin(t, env, pw+"\r\n", "admin", "create", "--log-level", "warn", "--email", "issuer@acme.example",
				"--role", "issuer", "--org", "acme", "--password-stdin")
			if code != 0 || !strings.Contains(out, "issuer of Acme (acme)") {
				t.Fatalf("issuer: exit %d\n%s%s", code, out, errs)
			}
			if u, err := db.UserByEmail(ctx, "issuer@acme.example"); err != nil || u.OrganizationID == nil || *u.OrganizationID != org.ID ||
				password.Check(*u.PasswordHash, pw) != nil {
				t.Fatalf("issuer %+v (%v)", u, err)
			}
			var audited int
			if err := db.SQL().QueryRow("SELECT count(*) FROM audit_logs WHERE action = 'user.created'").Scan(&audited); err != nil || audited != 2 {
				t.Errorf("user.created audited %d times (%v)", audited, err)
			}
			// The member added to Acme is heard of: member.joined, once.
			joined := func() []events.Event {
				t.Helper()
				evs, err := events.Pending(ctx, db)
				if err != nil {
					t.Fatal(err)
				}
				return evs
			}
			var m events.Member
			if evs := joined(); len(evs) != 1 || evs[0].Type != events.MemberJoined || evs[0].OrganizationID != org.ID ||
				json.Unmarshal(evs[0].Data, &m) != nil || m.Email != "issuer@acme.example" || m.Role != "issuer" {
				t.Errorf("events after creating a member: %+v", evs)
			}

			for _, tc := range []struct {
				stdin string
				args  []string
				code  int
				want  string
			}{
				{pw, []string{"--role", "admin", "--org", "acme", "--password-stdin"}, 2, "--email is required"},
				{pw, []string{"--email", "a@acme.example", "--org", "acme", "--password-stdin"}, 2, "--role is required"},
				{pw, []string{"--email", "a@acme.example", "--role", "king", "--org", "acme", "--password-stdin"}, 2, `--role "king"`},
				{pw, []string{"--email", "a@acme.example", "--role", "admin", "--password-stdin"}, 2, "--org is required for the role admin"},
				{pw, []string{"--email", "a@acme.example", "--role", "admin", "--org", "acme"}, 2, "--password-stdin is required"},
				{"", []string{"--email", "a@acme.example", "--role", "admin", "--org", "acme", "--password-stdin"}, 2, "no password on standard input"},
				{"short\n", []string{"--email", "a@acme.example", "--role", "admin", "--org", "acme", "--password-stdin"}, 2, "the password must be at least 12 characters"},
				{"password1234\n", []string{"--email", "a@acme.example", "--role", "admin", "--org", "acme", "--password-stdin"}, 2, "too common"},
				{pw, []string{"--email", "not-an-email", "--role", "admin", "--org", "acme", "--password-stdin"}, 2, "email"},
				{pw, []string{"--email", "a@acme.example", "--role", "admin", "--org", "acme", "--password-stdin", "extra"}, 2, `unexpected argument "extra"`},
				{pw, []string{"--email", "a@acme.example", "--role", "admin", "--org", "nowhere", "--password-stdin"}, 1, `no organization has the slug "nowhere"`},
				{pw, []string{"--email", "issuer@acme.example", "--role", "admin", "--org", "acme", "--password-stdin"}, 1, "already exists"},
			} {
				code, _, errs := runWithStdin(t, env, tc.stdin, append([]string{"admin", "create"}, tc.args...)...)
				if code != tc.code || !strings.Contains(errs, tc.want) {
					t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.want)
				}
			}
			if _, err := db.UserByEmail(ctx, "a@acme.example"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a refused command created the user (%v)", err)
			}
			if evs := joined(); len(evs) != 1 {
				t.Errorf("%d events after the refused commands, want the one member.joined", len(evs))
			}
		})
	}
}

func TestAPIKeyCreate(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			env, db := cliEnv(t, d)
			org := &store.Organization{Name: "Acme", Slug: "acme", Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:acme"}
			if err := db.CreateOrganization(ctx, org, store.Actor{}); err != nil {
				t.Fatal(err)
			}
			code, out, errs := runWithStdin(t, env, "", "apikey", "create", "--org", "acme", "--name", "Registrar",
				"--scopes", "credentials:issue, credentials:read,credentials:issue", "--expires", "720h")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			key := strings.TrimSpace(out)
			if !apikey.WellFormed(key) || strings.Count(out, "\n") != 1 {
				t.Fatalf("stdout is not just the key: %q", out)
			}
			if strings.Contains(errs, key) || !strings.Contains(errs, key[:12]+"…") || !strings.Contains(errs, "credentials:issue,credentials:read") {
				t.Fatalf("stderr (debug log included) leaks the key or lacks its prefix:\n%s", errs)
			}
			k, got, err := db.ActiveAPIKey(ctx, apikey.Hash(key), time.Now())
			if err != nil || got.ID != org.ID || k.Name != "Registrar" || len(k.Permissions) != 2 || k.ExpiresAt == nil ||
				k.ExpiresAt.Sub(time.Now().Add(720*time.Hour)).Abs() > time.Minute {
				t.Fatalf("stored key %+v (%v)", k, err)
			}
			var audited int
			if err := db.SQL().QueryRow("SELECT count(*) FROM audit_logs WHERE action = 'apikey.created'").Scan(&audited); err != nil || audited != 1 {
				t.Errorf("apikey.created audited %d times (%v)", audited, err)
			}
			// Without --expires the key never expires.
			code, out, _ = runWithStdin(t, env, "", "apikey", "create", "--org", "acme", "--name", "Forever", "--scopes", "schemas:read")
			if k, _, err := db.ActiveAPIKey(ctx, apikey.Hash(strings.TrimSpace(out)), time.Now().AddDate(50, 0, 0)); code != 0 || err != nil || k.ExpiresAt != nil {
				t.Fatalf("key without --expires: exit %d, %v", code, err)
			}

			for _, tc := range []struct {
				args []string
				code int
				want string
			}{
				{[]string{"--name", "x", "--scopes", "schemas:read"}, 2, "--org is required"},
				{[]string{"--org", "acme", "--scopes", "schemas:read"}, 2, "--name is required"},
				{[]string{"--org", "acme", "--name", strings.Repeat("n", 101), "--scopes", "schemas:read"}, 2, "at most 100"},
				{[]string{"--org", "acme", "--name", "x"}, 2, "--scopes is required"},
				{[]string{"--org", "acme", "--name", "x", "--scopes", "schemas:read,root"}, 2, `unknown scope "root"`},
				{[]string{"--org", "acme", "--name", "x", "--scopes", "schemas:read", "--expires", "30d"}, 2, `--expires "30d"`},
				{[]string{"--org", "acme", "--name", "x", "--scopes", "schemas:read", "--expires", "-1h"}, 2, "--expires"},
				{[]string{"--org", "nowhere", "--name", "x", "--scopes", "schemas:read"}, 1, `no organization has the slug "nowhere"`},
				{nil, 2, "--org is required"},
			} {
				code, out, errs := runWithStdin(t, env, "", append([]string{"apikey", "create"}, tc.args...)...)
				if code != tc.code || !strings.Contains(errs, tc.want) || out != "" {
					t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d and %q", tc.args, code, out, errs, tc.code, tc.want)
				}
			}
			if code, _, errs := runWithStdin(t, env, "", "apikey", "list"); code != 2 || !strings.Contains(errs, "want apikey create") {
				t.Errorf("apikey list: exit %d %q", code, errs)
			}
			if code, _, errs := runWithStdin(t, env, "", "admin"); code != 2 || !strings.Contains(errs, "want admin create") {
				t.Errorf("admin: exit %d %q", code, errs)
			}
		})
	}
}

// Verification logs are batched off the request path; SIGTERM writes the
// queue before the process exits, so every verification is logged.
func TestVerificationLogsSurviveSIGTERM(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	cmd := command(t, []string{"TRUSTCRED_PUBLIC_RATE_LIMIT=0"}, "serve", "--addr", addr, "--data-dir", filepath.Join(dir, "data"), "--demo")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-done
		}
	})
	waitReady(t, "http://"+addr+"/readyz", done, &logs)
	const n = 40
	body := `{"verifiableCredential":{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK","credentialSubject":{"id":"did:example:1"}}}`
	for range n {
		res, err := http.Post("http://"+addr+"/api/v1/credentials/verify", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 {
			t.Fatalf("verify: %d", res.StatusCode)
		}
	}
	// Straight away: the writer's one-second interval has not passed for all of them.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30s after SIGTERM\n%s", logs.String())
	}
	db, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(dir, "data", "trustcred.db"), Logger: storetest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got int
	if err := db.SQL().QueryRow("SELECT count(*) FROM verification_logs WHERE verification_method = 'api'").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Fatalf("%d verification logs after SIGTERM, want %d", got, n)
	}
}
