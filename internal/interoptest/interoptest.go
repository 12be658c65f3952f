// Package interoptest runs the independent verifier of ../shared/interop
// (Digital Bazaar's JavaScript VC libraries, see its README.md) on
// credentials from Go tests: what TrustCred signs must verify there too.
//
// The verifier needs Node.js and its npm packages. Verify installs them once
// (npm ci, under a lock so that parallel test binaries do not race) and
// skips the test when node or npm is missing, except on CI (CI=true) where
// that fails the test. It also skips in -short mode outside CI.
package interoptest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/vc"
)

// EnvDir names the environment variable that overrides where the harness
// is (the folder holding verify.mjs).
const EnvDir = "TRUSTCRED_INTEROP_DIR"

// Result is the independent verifier's verdict on one file: its JSON output
// ({"verified", "errors", "checks"}) with the status list outcome pulled out.
type Result struct {
	File     string   // the file as given to Verify
	Verified bool     // "verified"; node exited 0
	Errors   []string // "errors": every reason it is not verified
	// Revoked and Suspended report a BitstringStatusListEntry whose bit is
	// set in its status list (the verifier then also lists an error).
	Revoked   bool
	Suspended bool
	Status    []StatusEntry   // checks.status.entries; nil when status was not checked
	Checks    json.RawMessage // "checks" as printed: structure, proofs, safe mode, loads
}

// StatusEntry is one checked credentialStatus entry.
type StatusEntry struct {
	Purpose              string `json:"statusPurpose"`
	Index                string `json:"-"`
	StatusListCredential string `json:"statusListCredential"`
	BitSet               bool   `json:"bitSet"`
}

// Verify runs `node verify.mjs FILE --compact args...` on each file (the
// verifier takes one input at a time) and returns the verdicts in the
// order of files. args are verify.mjs options, e.g. "--resolve-base",
// "http://127.0.0.1:PORT", "--map", "https://host/=http://127.0.0.1:PORT/",
// "--doc", "URL=FILE", "--now", "2025-01-01T00:00:00Z"; the README lists
// them. The TrustCred context (vc.ContextTrustCred), which the verifier
// does not bundle, is always served with --doc. A run that is neither a
// verdict nor a refusal (usage error, exit status 2, output that is not
// the verifier's JSON) fails the test.
func Verify(t testing.TB, files []string, args ...string) []Result {
	t.Helper()
	dir := harness(t)
	ctxFile := filepath.Join(t.TempDir(), "trustcred-v1.jsonld")
	doc, err := vc.ContextDocument(vc.ContextTrustCred)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ctxFile, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	args = append([]string{"--compact", "--doc", vc.ContextTrustCred + "=" + ctxFile}, args...)

	results := make([]Result, len(files))
	errs := make([]error, len(files))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i], errs[i] = run(dir, f, args)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return results
}

// VerifyJSON writes each document (a value encoding/json can marshal) to a
// file and verifies it like Verify; Result.File is "doc0.json", "doc1.json"...
func VerifyJSON(t testing.TB, docs []any, args ...string) []Result {
	t.Helper()
	dir := t.TempDir()
	files := make([]string, len(docs))
	for i, d := range docs {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = filepath.Join(dir, fmt.Sprintf("doc%d.json", i))
		if err := os.WriteFile(files[i], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	results := Verify(t, files, args...)
	for i := range results {
		results[i].File = filepath.Base(files[i])
	}
	return results
}

func run(dir, file string, args []string) (Result, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{"verify.mjs", abs}, args...)...) // #nosec G204 -- test harness: node runs our own verify.mjs on the test's files
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 1) {
		return Result{}, fmt.Errorf("interoptest: node verify.mjs %s: %w\nstdout: %s\nstderr: %s", file, err, stdout.Bytes(), stderr.Bytes())
	}
	r, perr := parse(stdout.Bytes())
	if perr != nil {
		return Result{}, fmt.Errorf("interoptest: %s: %w\nstderr: %s", file, perr, stderr.Bytes())
	}
	if r.Verified != (err == nil) {
		return Result{}, fmt.Errorf("interoptest: %s: verified=%v but exit status %v", file, r.Verified, err)
	}
	r.File = file
	return r, nil
}

// parse reads verify.mjs's output.
func parse(out []byte) (Result, error) {
	var raw struct {
		Verified *bool           `json:"verified"`
		Errors   []string        `json:"errors"`
		Checks   json.RawMessage `json:"checks"`
	}
	if err := json.Unmarshal(out, &raw); err != nil || raw.Verified == nil {
		return Result{}, fmt.Errorf("not the verifier's output (%v): %s", err, out)
	}
	r := Result{Verified: *raw.Verified, Errors: raw.Errors, Checks: raw.Checks}
	var checks struct {
		Status struct {
			Entries []struct {
				StatusEntry
				Index any  `json:"statusListIndex"`
				OK    bool `json:"ok"`
			} `json:"entries"`
		} `json:"status"`
	}
	if len(raw.Checks) > 0 {
		if err := json.Unmarshal(raw.Checks, &checks); err != nil {
			return Result{}, fmt.Errorf("checks: %w: %s", err, out)
		}
	}
	for _, e := range checks.Status.Entries {
		se := e.StatusEntry
		if e.Index != nil {
			se.Index = fmt.Sprint(e.Index)
		}
		r.Status = append(r.Status, se)
		if se.BitSet && se.Purpose == "revocation" {
			r.Revoked = true
		}
		if se.BitSet && se.Purpose == "suspension" {
			r.Suspended = true
		}
	}
	return r, nil
}

// Dir returns the harness folder, with its npm packages installed; see
// Verify for when it skips or fails the test instead.
func Dir(t testing.TB) string {
	t.Helper()
	return harness(t)
}

type installation struct {
	dir string
	err error
}

var (
	installMu sync.Mutex
	installed = map[string]installation{} // by harness folder
)

func harness(t testing.TB) string {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	unavailable := func(format string, a ...any) {
		t.Helper()
		if ci {
			t.Fatalf("interoptest: "+format+" (required on CI)", a...)
		}
		t.Skipf("interoptest: "+format, a...)
	}
	if testing.Short() && !ci {
		t.Skip("interoptest: the independent verifier does not run in -short mode")
	}
	dir, err := locate()
	if err != nil {
		unavailable("%v", err)
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable("%s not found: %v", tool, err)
		}
	}
	installMu.Lock()
	in, done := installed[dir]
	if !done {
		in.dir, in.err = install(dir)
		installed[dir] = in
	}
	installMu.Unlock()
	if in.err != nil {
		t.Fatalf("interoptest: %v", in.err)
	}
	return in.dir
}

// locate finds the folder of verify.mjs: $TRUSTCRED_INTEROP_DIR, or
// shared/interop beside the working directory or one of its parents (the
// repository is a sibling of shared/), or the copy vendored in
// internal/interoptest/harness (a clone anywhere else).
func locate() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		if _, err := os.Stat(filepath.Join(d, "verify.mjs")); err != nil { // #nosec G703 -- test harness: the folder the developer names in TRUSTCRED_INTEROP_DIR
			return "", fmt.Errorf("%s=%s: %w", EnvDir, d, err)
		}
		return filepath.Abs(d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "shared", "interop")
		if _, err := os.Stat(filepath.Join(cand, "verify.mjs")); err == nil {
			return cand, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	// A clone elsewhere: the vendored copy, found from the module root.
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			cand := filepath.Join(d, "internal", "interoptest", "harness")
			if _, err := os.Stat(filepath.Join(cand, "verify.mjs")); err == nil {
				return cand, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no shared/interop/verify.mjs beside %s or its parents, and no vendored harness; set %s", wd, EnvDir)
		}
	}
}

// installedAt is where the harness of dir runs from: dir itself when it is
// writable, otherwise a copy in the user cache directory (keyed by the
// harness files' hash, so a changed harness gets a fresh install).
func installedAt(dir string) string {
	if syscall.Access(dir, 2 /* W_OK */) == nil {
		return dir
	}
	h := sha256.New()
	for _, f := range harnessFiles {
		b, _ := os.ReadFile(filepath.Join(dir, f)) // #nosec G304 -- test harness: our own harness files in the harness folder
		h.Write(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "trustcred-interop", hex.EncodeToString(h.Sum(nil))[:16])
}

var harnessFiles = []string{"package.json", "package-lock.json", "lib.mjs", "verify.mjs"}

// install runs npm ci once for the harness, holding an exclusive file lock
// so that test binaries running in parallel wait for one installation.
// npm writes node_modules/.package-lock.json last, so its presence marks a
// complete installation. It returns the folder to run verify.mjs in.
func install(src string) (string, error) {
	dir := installedAt(src)
	marker := filepath.Join(dir, "node_modules", ".package-lock.json")
	if _, err := os.Stat(marker); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(dir))
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "trustcred-interop-"+hex.EncodeToString(sum[:8])+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(marker); err == nil {
		return dir, nil // another process installed it while we waited
	}
	if dir != src {
		for _, f := range harnessFiles {
			b, err := os.ReadFile(filepath.Join(src, f)) // #nosec G304 -- test harness: our own harness files in the harness folder
			if err != nil {
				return "", err
			}
			if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil { // #nosec G703 -- test harness: our own harness files copied to the user cache
				return "", err
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("npm ci in %s: %w\n%s", dir, err, strings.TrimSpace(string(out)))
	}
	return dir, nil
}
