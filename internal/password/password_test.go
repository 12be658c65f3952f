package password

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashAndCheck(t *testing.T) {
	h, err := Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(h)); err != nil || cost < 12 {
		t.Fatalf("bcrypt cost %d (%v), want at least 12", cost, err)
	}
	if err := Check(h, "correct horse battery staple"); err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if err := Check(h, "correct horse battery stapl"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong password: %v, want ErrMismatch", err)
	}
	if err := Check("not a hash", "x"); err == nil || errors.Is(err, ErrMismatch) {
		t.Fatalf("malformed hash: %v", err)
	}
}

func TestRandom(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		p := Random(16)
		if len(p) != 16 || strings.Trim(p, alphabet) != "" {
			t.Fatalf("bad password %q", p)
		}
		if seen[p] {
			t.Fatalf("repeated password %q", p)
		}
		seen[p] = true
	}
}

// BenchmarkHash measures one bcrypt hash at Cost, which is also what a login
// costs (Check does the same work): go test -bench Hash ./internal/password/
func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
