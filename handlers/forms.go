package handlers

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustcred/trustcred/internal/password"
)

// Checks shared by the forms that ask for a person's name or a new
// password (setup, registration, invitations, password reset and change),
// so that every one of them refuses the same things with the same words.

// checkPersonName puts what is wrong with a person's name, if anything,
// under field.
func checkPersonName(errs map[string]string, field, name string) {
	switch {
	case name == "":
		errs[field] = "Enter your name."
	case utf8.RuneCountInString(name) > 200:
		errs[field] = "Use at most 200 characters."
	case !printable(name):
		errs[field] = "Use letters, digits, spaces and punctuation only."
	}
}

// checkNewPassword puts what is wrong with a new password (the policy of
// internal/password, for this email) under "password", or a confirmation
// that differs under "confirm".
func checkNewPassword(errs map[string]string, pw, confirm, email string) {
	if err := password.Validate(pw, email); err != nil {
		errs["password"] = "Password " + err.Error() + "."
	} else if pw != confirm {
		errs["confirm"] = "The two passwords differ."
	}
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}
