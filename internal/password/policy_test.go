package password

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidate(t *testing.T) {
	const email = "alice.wonderland@example.com"
	for _, tc := range []struct {
		name, pw string
		want     error
	}{
		{"empty", "", ErrTooShort},
		{"11 characters", "kx7-vp2-qmz", ErrTooShort},
		{"12 characters", "kx7-vp2-qmz4", nil},
		{"11 runes of 2 bytes is still short", strings.Repeat("é", 11), ErrTooShort},
		{"12 runes of 2 bytes", "ñandú-kx7éçø", nil},
		{"72 bytes", strings.Repeat("kx7vp2qmz4", 7) + "ab", nil},
		{"73 bytes", strings.Repeat("kx7vp2qmz4", 7) + "abc", ErrTooLong},
		{"25 runes of 3 bytes (75 bytes)", strings.Repeat("日", 25), ErrTooLong},
		{"128 characters", strings.Repeat("kx7vp2qmz4", 13)[:128], ErrTooLong},
		{"the email", email, ErrIsEmail},
		{"the email in capitals", "ALICE.WONDERLAND@EXAMPLE.COM", ErrIsEmail},
		{"the local part", "alice.wonderland", ErrIsEmail},
		{"the local part, other case", "Alice.Wonderland", ErrIsEmail},
		{"the email inside a longer password", email + "!", nil},
		{"common", "password1234", ErrCommon},
		{"common, other case", "PassWord1234", ErrCommon},
		{"digit run", "123456789012", ErrCommon},
		{"keyboard walk", "qwertyuiopas", ErrCommon},
		{"keyboard walk 2", "1qaz2wsx3edc", ErrCommon},
		{"season and year", "Summer2024!!", ErrCommon},
		{"month and year", "September2025", ErrCommon},
		{"word, year, bang", "Welcome2024!", ErrCommon},
		{"phrase", "iloveyouforever", ErrCommon},
		{"famous passphrase", "CorrectHorseBatteryStaple", ErrCommon},
		{"the site's name", "trustcred123", ErrCommon},
		{"passphrase", "tangerine otter wakes at dusk", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Validate(tc.pw, email); !errors.Is(err, tc.want) {
				t.Fatalf("Validate(%q) = %v, want %v", tc.pw, err, tc.want)
			}
		})
	}
}

func TestValidateEmailShapes(t *testing.T) {
	// The whole address when the local part is too short to matter; an
	// "email" without @ (and with spaces around it) compared whole; no email.
	if err := Validate("bob@example.org", "bob@example.org"); !errors.Is(err, ErrIsEmail) {
		t.Fatalf("short email: %v", err)
	}
	if err := Validate("administrator9", " administrator9 "); !errors.Is(err, ErrIsEmail) {
		t.Fatalf("email with spaces, no @: %v", err)
	}
	if err := Validate("kx7-vp2-qmz4", ""); err != nil {
		t.Fatalf("no email: %v", err)
	}
}

// Every accepted password can be hashed: the policy and bcrypt agree.
func TestValidateThenHash(t *testing.T) {
	pw := strings.Repeat("kx7vp2qmz4", 7) + "ab"
	if err := Validate(pw, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := Hash(pw); err != nil {
		t.Fatalf("72 bytes: %v", err)
	}
	if _, err := Hash(pw + "c"); err == nil {
		t.Fatal("Hash accepted 73 bytes")
	}
}

func TestCommonList(t *testing.T) {
	set := common()
	if len(set) < 1000 || len(set) > 10000 {
		t.Fatalf("%d common passwords, want 1000-10000", len(set))
	}
	seen := map[string]bool{}
	for line := range strings.Lines(commonTxt) {
		line = strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(line, "#") {
			continue
		}
		if utf8.RuneCountInString(line) < MinLength || len(line) > MaxBytes {
			t.Errorf("%q: outside the length limits, so never consulted", line)
		}
		if line != strings.ToLower(line) || line != strings.TrimSpace(line) {
			t.Errorf("%q: not lower case and trimmed", line)
		}
		if seen[line] {
			t.Errorf("%q: listed twice", line)
		}
		seen[line] = true
	}
}

func TestRandomPassesPolicy(t *testing.T) {
	for range 20 {
		if pw := Random(16); Validate(pw, "x@example.com") != nil {
			t.Fatalf("Random(16) = %q: %v", pw, Validate(pw, "x@example.com"))
		}
	}
}
