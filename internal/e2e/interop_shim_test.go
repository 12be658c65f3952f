package e2e

// A stand-in for internal/interoptest (being added on the vc performance
// branch), with the same contract: verify(t, files, args...) runs
// `node verify.mjs FILE --compact args...` from ../shared/interop on each
// file and returns the verdicts; it skips without node/npm, except under
// CI=true, where that fails. Once internal/interoptest is on main, replace
// verify with interoptest.Verify and delete this file.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

type verdict struct {
	File      string
	Verified  bool
	Errors    []string
	Revoked   bool
	Suspended bool
}

var (
	harnessOnce sync.Once
	harnessDir  string
	harnessErr  error
)

func harness(t *testing.T) string {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	unavailable := func(msg string, err error) {
		t.Helper()
		if ci {
			t.Fatalf("interop verifier: %s: %v (required on CI)", msg, err)
		}
		t.Skipf("interop verifier: %s: %v", msg, err)
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(tool+" not found", err)
		}
	}
	harnessOnce.Do(func() {
		dir := os.Getenv("TRUSTCRED_INTEROP_DIR")
		if dir == "" {
			wd, _ := os.Getwd()
			for d := wd; ; d = filepath.Dir(d) {
				if _, err := os.Stat(filepath.Join(d, "shared", "interop", "verify.mjs")); err == nil {
					dir = filepath.Join(d, "shared", "interop")
					break
				}
				if filepath.Dir(d) == d {
					harnessErr = errors.New("no shared/interop/verify.mjs beside the repository; set TRUSTCRED_INTEROP_DIR")
					return
				}
			}
		}
		harnessDir = dir
		if _, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			harnessErr = errors.New("npm ci: " + err.Error() + "\n" + string(out))
		}
	})
	if harnessErr != nil {
		unavailable("harness", harnessErr)
	}
	return harnessDir
}

func verify(t *testing.T, files []string, args ...string) []verdict {
	t.Helper()
	dir := harness(t)
	out := make([]verdict, len(files))
	var wg sync.WaitGroup
	errs := make([]error, len(files))
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command("node", append([]string{"verify.mjs", f, "--compact"}, args...)...)
			cmd.Dir = dir
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 1) {
				errs[i] = errors.New(f + ": " + err.Error() + ": " + stdout.String() + stderr.String())
				return
			}
			var raw struct {
				Verified bool
				Errors   []string
				Checks   struct {
					Status struct {
						Entries []struct {
							StatusPurpose string
							BitSet        bool
						}
					}
				}
			}
			if err := json.Unmarshal(stdout.Bytes(), &raw); err != nil {
				errs[i] = errors.New(f + ": not the verifier's output: " + stdout.String() + stderr.String())
				return
			}
			v := verdict{File: f, Verified: raw.Verified, Errors: raw.Errors}
			for _, e := range raw.Checks.Status.Entries {
				v.Revoked = v.Revoked || e.BitSet && e.StatusPurpose == "revocation"
				v.Suspended = v.Suspended || e.BitSet && e.StatusPurpose == "suspension"
			}
			out[i] = v
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return out
}
