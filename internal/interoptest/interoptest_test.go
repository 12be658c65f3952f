package interoptest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParse(t *testing.T) {
	out := `{"verified":false,"errors":["status: credential is revoked (index 7)"],"checks":{"kind":"credential",` +
		`"status":{"present":true,"checked":true,"entries":[` +
		`{"statusPurpose":"revocation","statusListIndex":"7","statusListCredential":"https://x/1","bitSet":true,"ok":false},` +
		`{"statusPurpose":"suspension","statusListIndex":8,"statusListCredential":"https://x/2","bitSet":false,"ok":true}]}}}`
	r, err := parse([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if r.Verified || !r.Revoked || r.Suspended || len(r.Errors) != 1 || len(r.Status) != 2 ||
		r.Status[0].Index != "7" || r.Status[1].Index != "8" || r.Status[1].StatusListCredential != "https://x/2" {
		t.Errorf("parse = %+v", r)
	}
	if _, err := parse([]byte("usage: node verify.mjs")); err == nil {
		t.Error("non-JSON output accepted")
	}
	if _, err := parse([]byte(`{"errors":[]}`)); err == nil {
		t.Error("output without verified accepted")
	}
}

func TestLocate(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvDir, dir)
	if _, err := locate(); err == nil {
		t.Error("a folder without verify.mjs accepted")
	}
	os.WriteFile(filepath.Join(dir, "verify.mjs"), nil, 0o600)
	if got, err := locate(); err != nil || got != dir {
		t.Errorf("locate = %q, %v", got, err)
	}
	// Without the variable: shared/interop beside the repository when it is
	// there, otherwise the vendored copy.
	t.Setenv(EnvDir, "")
	got, err := locate()
	if err != nil {
		t.Fatal(err)
	}
	beside := filepath.Base(got) == "interop" && filepath.Base(filepath.Dir(got)) == "shared"
	vendored := filepath.Base(got) == "harness" && filepath.Base(filepath.Dir(got)) == "interoptest"
	if !beside && !vendored {
		t.Errorf("locate = %q", got)
	}
	// The vendored copy is the harness itself, file for file.
	for _, f := range harnessFiles {
		if _, err := os.Stat(filepath.Join("harness", f)); err != nil {
			t.Errorf("vendored harness lacks %s: %v", f, err)
		}
	}
}
