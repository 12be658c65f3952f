package slug

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// dbCheck is the database's CHECK on organizations.slug.
var dbCheck = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func TestFrom(t *testing.T) {
	long := strings.Repeat("abcdefghi ", 10) // 9-letter words: hyphens at 9, 19, …, 59
	for _, tc := range []struct{ name, want string }{
		{"Université de Montréal", "universite-de-montreal"},
		{"  --ACME  Corp!! ", "acme-corp"},
		{"東京大学", ""},
		{"", ""},
		{"!!! ---", ""},
		{"X", "x"},
		{"ACME", "acme"},
		{"Acme_Corp.io", "acme-corp-io"},
		{"AT&T", "at-t"},
		{"O'Reilly Media", "oreilly-media"},
		{"O’Reilly", "oreilly"},
		{"Col·legi d'Advocats", "collegi-dadvocats"},
		{"Straße & Söhne", "strasse-sohne"},
		{"Ærø Øresund Þórshöfn", "aero-oresund-thorshofn"},
		{"Łódź Łukasz Œuvre", "lodz-lukasz-oeuvre"},
		{"Dvořák Škoda Żabka Ğ İstanbul", "dvorak-skoda-zabka-g-istanbul"},
		{"Điện Biên ĦĸŊŧı", "dien-bien-hkngti"},
		{"Ĳssel Ŀlibre", "ijssel-llibre"},
		{"Café\u0301 déjà vu", "cafe-deja-vu"}, // combining accent too
		{"ＡＣＭＥ ２０２５", "acme-2025"},             // full-width
		{"ﬁnance", "finance"},                  // ligature
		{"Tokyo 東京 University", "tokyo-university"},
		{"Ελληνικά Acme", "acme"},
		{"a\tb\nc", "a-b-c"},
		{"100% Fun", "100-fun"},
		// 63 at most, cut at the last hyphen before the limit.
		{long, "abcdefghi-abcdefghi-abcdefghi-abcdefghi-abcdefghi-abcdefghi"},
		// The limit falls just before a hyphen: no word is cut.
		{strings.Repeat("a", 63) + " b", strings.Repeat("a", 63)},
		// One long word: cut hard.
		{strings.Repeat("z", 80), strings.Repeat("z", 63)},
		// A hyphen too early to keep: cut hard rather than leave "ab".
		{"ab " + strings.Repeat("z", 80), "ab-" + strings.Repeat("z", 60)},
	} {
		got := From(tc.name)
		if got != tc.want {
			t.Errorf("From(%q) = %q, want %q", tc.name, got, tc.want)
			continue
		}
		if got != "" && !dbCheck.MatchString(got) {
			t.Errorf("From(%q) = %q fails the database CHECK", tc.name, got)
		}
		if len(got) > MaxLength {
			t.Errorf("From(%q) has %d characters", tc.name, len(got))
		}
	}
}

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want error
	}{
		{"acme", nil},
		{"acme-corp", nil},
		{"a1b", nil},
		{"123", nil},
		{"universite-de-montreal", nil},
		{strings.Repeat("a", 63), nil},
		{strings.Repeat("a", 64), ErrInvalid},
		{"", ErrInvalid},
		{"ab", ErrInvalid},
		{"a-", ErrInvalid},
		{"-ab", ErrInvalid},
		{"ab-", ErrInvalid},
		{"a--b", ErrInvalid},
		{"Acme", ErrInvalid},
		{"acme corp", ErrInvalid},
		{"acme_corp", ErrInvalid},
		{"acme.corp", ErrInvalid},
		{" acme", ErrInvalid},
		{"café", ErrInvalid},
		{"acme\n", ErrInvalid},
		{"аcme", ErrInvalid}, // Cyrillic а
		{"admin", ErrReserved},
		{"api", ErrReserved},
		{"static", ErrReserved},
		{"login", ErrReserved},
		{"logout", ErrReserved},
		{"register", ErrReserved},
		{"setup", ErrReserved},
		{"settings", ErrReserved},
		{"orgs", ErrReserved},
		{"verify", ErrReserved},
		{"www", ErrReserved},
		{"new", ErrReserved},
		{"edit", ErrReserved},
		{"v", ErrInvalid}, // reserved too, but too short first
		{"admins", nil},
	} {
		err := Valid(tc.s)
		if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
			t.Errorf("Valid(%q) = %v, want %v", tc.s, err, tc.want)
		}
		if err == nil && !dbCheck.MatchString(tc.s) {
			t.Errorf("Valid(%q) accepts what the database refuses", tc.s)
		}
	}
}

// Whatever From returns is either "" or passes the database CHECK; Valid
// agrees with the CHECK on every string From makes of MinLength or more.
func FuzzFrom(f *testing.F) {
	for _, s := range []string{"Université de Montréal", "  --ACME  Corp!! ", "東京大学", "a-b", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		s := From(name)
		if s == "" {
			return
		}
		if !dbCheck.MatchString(s) || len(s) > MaxLength {
			t.Fatalf("From(%q) = %q", name, s)
		}
		if err := Valid(s); len(s) >= MinLength && errors.Is(err, ErrInvalid) {
			t.Fatalf("Valid(From(%q)) = %v", name, err)
		}
		if From(s) != s {
			t.Fatalf("From is not idempotent on %q", s)
		}
	})
}
