package password

import (
	_ "embed"
	"errors"
	"strings"
	"sync"
	"unicode/utf8"
)

// The length limits. MaxBytes is bcrypt's: it reads only the first 72
// bytes, so a longer password would be silently cut, and Hash refuses it.
const (
	MinLength = 12 // characters (runes)
	MaxBytes  = 72 // bytes of UTF-8
)

// Policy errors. Their text is meant to follow "Password " on a form, shown
// as it is.
var (
	ErrTooShort = errors.New("must be at least 12 characters")
	ErrTooLong  = errors.New("must be at most 72 characters (fewer with accented letters, non-Latin scripts or emoji)")
	ErrIsEmail  = errors.New("must not be your email address")
	ErrCommon   = errors.New("is too common; choose a less predictable password")
)

//go:embed common.txt
var commonTxt string

// common is the set of common passwords, lower case, read once on first use.
var common = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, strings.Count(commonTxt, "\n"))
	for line := range strings.Lines(commonTxt) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[strings.ToLower(line)] = struct{}{}
	}
	return set
})

// Validate checks a new password pw for the account with this email against
// the policy: 12 characters at least, 72 bytes at most, not the email address
// or its local part, and not in the list of common passwords (common.txt),
// ignoring case. It returns nil or one of ErrTooShort, ErrTooLong, ErrIsEmail
// and ErrCommon.
func Validate(pw, email string) error {
	if utf8.RuneCountInString(pw) < MinLength {
		return ErrTooShort
	}
	if len(pw) > MaxBytes {
		return ErrTooLong
	}
	email = strings.TrimSpace(email)
	local := email
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		local = email[:i]
	}
	if strings.EqualFold(pw, email) || strings.EqualFold(pw, local) {
		return ErrIsEmail
	}
	if _, ok := common()[strings.ToLower(pw)]; ok {
		return ErrCommon
	}
	return nil
}
