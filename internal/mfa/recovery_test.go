package mfa

import (
	"regexp"
	"strings"
	"testing"
)

func TestNewRecoveryCodes(t *testing.T) {
	codes, hashes := NewRecoveryCodes(RecoveryCodes)
	if len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("%d codes, %d hashes, want 10", len(codes), len(hashes))
	}
	format := regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)
	seen := map[string]bool{}
	for i, c := range codes {
		if !format.MatchString(c) {
			t.Errorf("code %q is not xxxx-xxxx-xxxx-xxxx in lower-case base32", c)
		}
		if seen[c] || seen[hashes[i]] {
			t.Errorf("repeated code or hash %q", c)
		}
		seen[c], seen[hashes[i]] = true, true
		if hashes[i] != HashRecoveryCode(c) {
			t.Errorf("hash %d does not match its code", i)
		}
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(hashes[i]) || strings.Contains(hashes[i], strings.ReplaceAll(c, "-", "")) {
			t.Errorf("hash %q of %q", hashes[i], c)
		}
	}
	// 1000 more codes: all different (80 bits each).
	more, _ := NewRecoveryCodes(1000)
	for _, c := range more {
		if seen[c] {
			t.Fatalf("repeated code %q", c)
		}
		seen[c] = true
	}
	if c, h := NewRecoveryCodes(0); len(c) != 0 || len(h) != 0 {
		t.Fatal("NewRecoveryCodes(0) is not empty")
	}
}

func TestHashRecoveryCode(t *testing.T) {
	want := HashRecoveryCode("abcd-efgh-ijkl-mnop")
	for _, in := range []string{
		"abcd-efgh-ijkl-mnop",
		"ABCD-EFGH-IJKL-MNOP",
		"ABCD EFGH IJKL MNOP",
		"abcdefghijklmnop",
		"  abcd efgh-ijkl mnop\n",
		"AbCd-EfGhIjKl-mNoP",
		"abcd--efgh - ijkl\tmnop",
	} {
		if got := HashRecoveryCode(in); got != want {
			t.Errorf("%q does not hash like abcd-efgh-ijkl-mnop", in)
		}
	}
	for _, in := range []string{"abcd-efgh-ijkl-mnoq", "abcd-efgh-ijkl-mno", "abcd-efgh-ijkl-mnopa", ""} {
		if HashRecoveryCode(in) == want {
			t.Errorf("%q hashes like abcd-efgh-ijkl-mnop", in)
		}
	}
}
