package issuance

import (
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/trustcred/trustcred/internal/text"
	"github.com/trustcred/trustcred/store"
)

// The recipient's fields, as keys of FieldErrors.
const (
	FieldRecipientName    = "recipient_name"
	FieldRecipientAddress = "recipient_address"
)

// Limits of a recipient's fields.
const (
	MaxRecipientName = 200 // characters
	MaxEmail         = 254 // bytes, RFC 5321's path limit
	MaxDID           = 500 // bytes, the column's limit
)

// Problem is what is wrong with one field of a request. Each caller words
// it for its own context (a form field, a CSV cell, a JSON member).
type Problem string

const (
	Missing    Problem = "missing"     // required and empty
	TooLong    Problem = "too long"    // over the field's limit
	Characters Problem = "characters"  // a control or invisible formatting character (text.Check)
	NotAddress Problem = "not address" // neither an email address nor a DID
	NotDID     Problem = "not did"     // starts with did: but is not a DID
)

// FieldErrors is what is wrong with a request, by field
// (FieldRecipientName, FieldRecipientAddress). It wraps ErrCredential.
type FieldErrors map[string]Problem

func (fe FieldErrors) Error() string {
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + string(fe[k])
	}
	return "invalid recipient: " + strings.Join(parts, "; ")
}

func (FieldErrors) Unwrap() error { return ErrCredential }

// IsDID says whether a recipient address is meant as a DID.
func IsDID(address string) bool { return strings.HasPrefix(address, "did:") }

// CheckRecipient is the one rule for a credential's recipient, whoever asks
// (form, CSV row, API document): the address is an email address (at most
// MaxEmail bytes, one address without a display name, a domain with a dot)
// or a DID (did:method:id, at most MaxDID bytes); the name is required
// unless the address is a DID (a DID names its holder; an email alone does
// not say whom the credential is about; with no address at all, only the
// address is reported), at most MaxRecipientName
// characters, and passes text.Name. Both are trimmed by the caller. nil
// when both pass.
func CheckRecipient(name, address string) FieldErrors {
	fe := FieldErrors{}
	switch {
	case address == "":
		fe[FieldRecipientAddress] = Missing
	case IsDID(address):
		if len(address) > MaxDID {
			fe[FieldRecipientAddress] = TooLong
		} else if !store.ValidDID(address) {
			fe[FieldRecipientAddress] = NotDID
		}
	case len(address) > MaxEmail:
		fe[FieldRecipientAddress] = TooLong
	case !ValidEmail(address):
		fe[FieldRecipientAddress] = NotAddress
	}
	switch {
	case name == "":
		if address != "" && !IsDID(address) {
			fe[FieldRecipientName] = Missing
		}
	case utf8.RuneCountInString(name) > MaxRecipientName:
		fe[FieldRecipientName] = TooLong
	case text.Check(name, text.SingleLine|text.Name) != nil:
		fe[FieldRecipientName] = Characters
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// ValidEmail is a bare email address (no display name, no comments) whose
// domain has a dot, at most MaxEmail bytes.
func ValidEmail(s string) bool {
	if len(s) > MaxEmail {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	_, domain, _ := strings.Cut(s, "@")
	return strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".")
}
