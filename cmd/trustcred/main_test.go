package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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
	addr := freeAddr(t)
	cmd := command(t, nil, "serve", "--addr", addr, "--data-dir", filepath.Join(dir, "data"), "--demo")
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
	code = run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
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
