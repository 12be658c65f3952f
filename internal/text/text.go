// Package text holds the rules every text input passes, whatever brings it
// (form field, multipart field, JSON string of an API document, store
// model): valid UTF-8, no control characters (a multi-line text may hold
// tab, CR and LF), and in names shown to others no invisible formatting
// characters (Unicode category Cf: bidirectional overrides and isolates,
// zero-width spaces and joiners, the byte order mark…).
//
// Errors are worded to follow the field's name on a form or in a message
// ("The recipient's name contains…") and are shown as they are.
package text

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Rule says what a text may hold beyond printable characters.
type Rule uint8

const (
	// MultiLine allows tab, CR and LF (descriptions, pasted documents).
	// The zero Rule is a single line: no control character at all.
	MultiLine Rule = 1 << iota
	// Name refuses Unicode format characters (Cf) too, so that a name
	// shown to others cannot reorder or hide what it says.
	Name
)

// SingleLine is the zero Rule, named for the call sites.
const SingleLine Rule = 0

// The reasons Check refuses a text; an *Error wraps one of them.
var (
	ErrInvalidUTF8 = errors.New("is not valid UTF-8 text")
	ErrControl     = errors.New("contains a control character, which is not allowed")
	ErrLineBreak   = errors.New("contains a line break or tab, which is not allowed here")
	ErrFormat      = errors.New("contains an invisible formatting character, which is not allowed")
)

// Error is what Check found and where: Offset is the byte offset of the
// refused character (or of the first invalid byte).
type Error struct {
	Err    error
	Rune   rune
	Offset int
}

// Error names the character for the invisible ones a user cannot see in
// what they typed: "contains an invisible formatting character (U+202E), which is not allowed".
func (e *Error) Error() string {
	if errors.Is(e.Err, ErrFormat) {
		return fmt.Sprintf("contains an invisible formatting character (%U), which is not allowed", e.Rune)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Check returns nil when s passes rule, or an *Error for the first
// character that does not.
func Check(s string, rule Rule) error {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f { // printable ASCII: the common case, without decoding
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return &Error{Err: ErrInvalidUTF8, Rune: r, Offset: i}
		case r == '\t' || r == '\n' || r == '\r':
			if rule&MultiLine == 0 {
				return &Error{Err: ErrLineBreak, Rune: r, Offset: i}
			}
		case r == '\u2028' || r == '\u2029': // line and paragraph separators
			if rule&MultiLine == 0 {
				return &Error{Err: ErrLineBreak, Rune: r, Offset: i}
			}
		case unicode.IsControl(r): // C0, DEL and C1
			return &Error{Err: ErrControl, Rune: r, Offset: i}
		case rule&Name != 0 && unicode.Is(unicode.Cf, r):
			return &Error{Err: ErrFormat, Rune: r, Offset: i}
		}
		i += size
	}
	return nil
}
