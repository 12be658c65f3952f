package browsertest

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The pinned axe-core: axe/package.json and its lock, installed with npm ci
// into the user cache folder (keyed by their hash) on first use.
//
//go:embed axe/package.json axe/package-lock.json
var axeFiles embed.FS

var axeSource = sync.OnceValues(installAxe)

// installAxe runs npm ci for axe/ once per machine and version, under a
// file lock so that test binaries running at once wait for one
// installation, and returns axe.min.js.
func installAxe() (string, error) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", fmt.Errorf("no %s installed (apt-get install nodejs npm): %w", tool, err)
		}
	}
	h := sha256.New()
	files := map[string][]byte{}
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := axeFiles.ReadFile("axe/" + f)
		if err != nil {
			return "", err
		}
		files[f] = b
		h.Write(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	sum := hex.EncodeToString(h.Sum(nil))[:16]
	dir := filepath.Join(cache, "trustcred-axe", sum)
	script := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
	marker := filepath.Join(dir, "node_modules", ".package-lock.json") // npm writes it last
	if _, err := os.Stat(marker); err != nil {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", err
		}
		lock, err := os.OpenFile(filepath.Join(os.TempDir(), "trustcred-axe-"+sum+".lock"), os.O_CREATE|os.O_RDWR, 0o600) // #nosec G304 -- a lock file named by the hash of our own files
		if err != nil {
			return "", err
		}
		defer lock.Close()
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
			return "", fmt.Errorf("lock: %w", err)
		}
		defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // released on close anyway
		if _, err := os.Stat(marker); err != nil {
			for f, b := range files {
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil { // #nosec G703 -- our own package files copied to the user cache
					return "", err
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				return "", fmt.Errorf("npm ci in %s: %w\n%s", dir, err, strings.TrimSpace(string(out)))
			}
		}
	}
	b, err := os.ReadFile(script) // #nosec G304 -- the file npm ci installed from our pinned lock
	return string(b), err
}

// Violation is one axe-core rule that the page breaks.
type Violation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	HelpURL string   `json:"helpUrl"`
	Targets []string `json:"targets"`
}

// Axe runs axe-core (WCAG 2.x A and AA rules and best practices) on the page
// open in tab and fails the test on every serious or critical violation,
// with its rule, impact, the elements and what to do; moderate and minor
// ones are logged. Without node and npm it skips, except under CI=true.
func Axe(t *testing.T, tab context.Context, name string) {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		requireService(t, "axe-core: "+err.Error())
	}
	Wait(t, tab, name+" to finish loading", `document.readyState === "complete"`)
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`typeof window.axe === "object" || (function(){`+src+`
;return true})()`)); err != nil {
		t.Fatalf("axe on %s: injecting axe-core: %v", name, err)
	}
	out, err := chromedp.Run(tab, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(
		r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
			targets: v.nodes.map(n => n.target.join(" ") + "  " + n.html.slice(0, 160))}))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe on %s: %v", name, err)
	}
	var vs []Violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe on %s: %v", name, err)
	}
	for _, v := range vs {
		msg := fmt.Sprintf("axe on %s: %s (%s): %s — %s\n    %s", name, v.ID, v.Impact, v.Help, v.HelpURL, strings.Join(v.Targets, "\n    "))
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Error(msg)
		} else {
			t.Log(msg)
		}
	}
}
