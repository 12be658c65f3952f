package mfa

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// RecoveryCodes is how many recovery codes a user is given at a time.
const RecoveryCodes = 10

// recoveryBytes is the randomness in one code: 80 bits, 16 base32 characters.
const recoveryBytes = 10

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewRecoveryCodes returns n random single-use codes to show the user once,
// formatted "xxxx-xxxx-xxxx-xxxx" (lower-case base32: letters and 2-7, so no
// 0/O or 1/l to confuse), and the hashes to store, in the same order.
func NewRecoveryCodes(n int) (codes []string, hashes []string) {
	codes = make([]string, n)
	hashes = make([]string, n)
	b := make([]byte, recoveryBytes)
	for i := range n {
		_, _ = rand.Read(b) // never fails (crypto/rand crashes the program instead)
		s := strings.ToLower(recoveryEncoding.EncodeToString(b))
		codes[i] = s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		hashes[i] = HashRecoveryCode(codes[i])
	}
	return codes, hashes
}

// HashRecoveryCode returns the hex SHA-256 of a recovery code as the user
// typed it, after normalising it: case, spaces and dashes do not matter, so
// "ABCD EFGH IJKL MNOP" and "abcdefghijklmnop" hash like
// "abcd-efgh-ijkl-mnop". Look the result up among the stored hashes and
// delete it when used.
//
// A fast unsalted hash is safe here, unlike for passwords: each code carries
// 80 random bits, so guessing one from its hash costs about 2^80 hashes
// whatever the hash speed, and a salt adds nothing against that.
func HashRecoveryCode(input string) string {
	norm := strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t' || r == '\n' || r == '\r':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, input)
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:])
}
