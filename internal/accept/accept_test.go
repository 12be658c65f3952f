package accept

import "testing"

func TestEncoding(t *testing.T) {
	for _, tc := range []struct {
		header, coding string
		want           bool
	}{
		{"gzip, deflate, br", "gzip", true},
		{"gzip, deflate, br", "br", true},
		{"GZIP", "gzip", true},
		{"deflate", "gzip", false},
		{"", "gzip", false},
		{"gzip;q=0", "gzip", false},
		{"gzip; q=0.000", "gzip", false},
		{"gzip;q=0.5", "gzip", true},
		{"*", "gzip", true},
		{"*;q=0", "gzip", false},
		{"br, *;q=0", "gzip", false},
		{"gzip;q=0, *", "gzip", false}, // its own entry wins over the wildcard
		{"gzip;q=nonsense", "gzip", false},
		{"x-gzip", "gzip", false},
	} {
		if got := Encoding(tc.header, tc.coding); got != tc.want {
			t.Errorf("Encoding(%q, %q) = %v, want %v", tc.header, tc.coding, got, tc.want)
		}
	}
}

func TestPick(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"gzip;q=1, br;q=0.5", "gzip"},
		{"br;q=0, gzip", "gzip"},
		{"identity", ""},
		{"", ""},
		{"*", "br"},
	} {
		if got := Pick(tc.header, "br", "gzip"); got != tc.want {
			t.Errorf("Pick(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}
