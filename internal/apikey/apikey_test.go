package apikey

import (
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	k1, v1, h1 := New()
	k2, _, h2 := New()
	if k1 == k2 || h1 == h2 {
		t.Fatal("two keys are equal")
	}
	if !strings.HasPrefix(k1, Prefix) || len(k1) != len(Prefix)+38 {
		t.Fatalf("key %q", k1)
	}
	if !strings.HasPrefix(k1, v1) || len(v1) != len(Prefix)+8 {
		t.Fatalf("visible prefix %q of %q", v1, k1)
	}
	if Hash(k1) != h1 || len(h1) != 64 || strings.Contains(h1, k1) {
		t.Fatalf("hash %q", h1)
	}
}

func TestWellFormed(t *testing.T) {
	k, _, _ := New()
	if !WellFormed(k) {
		t.Fatalf("%q is not well formed", k)
	}
	for _, bad := range []string{"", Prefix, k[:len(k)-1], k + "a", strings.ToUpper(k), "tcx_" + k[4:], k[:10] + "1" + k[11:], k[:10] + "=" + k[11:]} {
		if WellFormed(bad) {
			t.Errorf("%q is well formed", bad)
		}
	}
}
