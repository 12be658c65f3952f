// Package slug derives and checks the URL names of organizations
// ("/orgs/universite-de-montreal").
//
// From proposes a slug from a display name; Valid is the rule the database
// enforces (CHECK slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$') plus a length range and a
// few names reserved for routes.
package slug

import (
	"errors"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The length range Valid accepts. MaxLength is also a DNS label's limit, so
// a slug can become a subdomain.
const (
	MinLength = 3
	MaxLength = 63
)

// Errors returned by Valid. Their text is meant to follow the field's label
// on a form ("URL name must be…"), shown as it is.
var (
	ErrInvalid  = errors.New("must be 3 to 63 characters: lower-case letters a to z, digits and single hyphens, not starting or ending with a hyphen")
	ErrReserved = errors.New("is reserved; choose another")
)

// reserved are slugs that would collide with routes or mislead users.
var reserved = map[string]bool{
	"admin": true, "api": true, "static": true, "login": true, "logout": true,
	"register": true, "setup": true, "settings": true, "orgs": true, "v": true,
	"verify": true, "www": true, "new": true, "edit": true,
}

// folds spells the Latin letters that compatibility decomposition leaves
// whole (Latin-1 and Latin Extended-A); their upper-case forms are lowered
// before the lookup.
var folds = map[rune]string{
	'æ': "ae", 'ð': "d", 'ø': "o", 'þ': "th", 'ß': "ss",
	'đ': "d", 'ħ': "h", 'ı': "i", 'ĸ': "k", 'ł': "l", 'ŋ': "ng", 'œ': "oe", 'ŧ': "t",
}

// dropped are characters removed without a separator, so that "O'Reilly"
// gives "oreilly" and Catalan "col·legi" gives "collegi".
var dropped = map[rune]bool{
	'\'': true, '’': true, 'ʼ': true, '·': true,
}

// From returns a slug for an organization name: accents folded to ASCII
// (compatibility decomposition, so "ＡＣＭＥ" and "ﬁ" fold too), lower case,
// every run of other characters one hyphen, no hyphen at either end, and at
// most MaxLength characters, cut at a hyphen when that keeps at least
// MinLength. It returns "" when the name has no usable character
// ("東京大学"), and may return fewer than MinLength characters ("X" → "x"):
// pass the result to Valid before using it.
func From(name string) string {
	var b strings.Builder
	pending := false // a hyphen is owed before the next letter or digit
	for _, r := range norm.NFKD.String(name) {
		if unicode.Is(unicode.Mn, r) || dropped[r] {
			continue
		}
		r = unicode.ToLower(r)
		s, ok := folds[r]
		if !ok {
			if !('a' <= r && r <= 'z' || '0' <= r && r <= '9') {
				pending = true
				continue
			}
			s = string(r)
		}
		if pending && b.Len() > 0 {
			b.WriteByte('-')
		}
		pending = false
		b.WriteString(s)
	}
	s := b.String()
	if len(s) > MaxLength {
		cut := s[:MaxLength]
		if s[MaxLength] != '-' { // the cut falls inside a word
			if i := strings.LastIndexByte(cut, '-'); i >= MinLength {
				cut = cut[:i]
			}
		}
		s = strings.TrimRight(cut, "-")
	}
	return s
}

// Valid reports whether s may be used as a slug: nil, ErrInvalid or
// ErrReserved. It does not change s; callers trim or lower nothing.
func Valid(s string) error {
	if len(s) < MinLength || len(s) > MaxLength {
		return ErrInvalid
	}
	prev := byte('-') // no leading hyphen
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && prev != '-':
		default:
			return ErrInvalid
		}
		prev = c
	}
	if prev == '-' {
		return ErrInvalid
	}
	if reserved[s] {
		return ErrReserved
	}
	return nil
}
