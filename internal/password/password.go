// Package password hashes and checks account passwords with bcrypt.
package password

import (
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// Cost is the bcrypt work factor: about a quarter of a second per hash on a
// current server core, which is what makes offline guessing expensive.
const Cost = 12

// ErrMismatch is returned by Check for a wrong password.
var ErrMismatch = errors.New("password does not match")

// Hash returns the bcrypt hash of pw.
func Hash(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), Cost)
	if err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	return string(h), nil
}

// Check reports whether pw matches hash: nil, ErrMismatch, or another error
// for a malformed hash.
func Check(hash, pw string) error {
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
	if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		return ErrMismatch
	}
	return err
}

// alphabet leaves out characters that are easily confused (0/O, 1/l/I).
const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// Random returns a random password of n characters (n ≥ 12 gives well over
// 64 bits of entropy), for generated accounts.
func Random(n int) string {
	const chars = alphabet
	b := make([]byte, n)
	buf := make([]byte, 1)
	for i := 0; i < n; {
		_, _ = rand.Read(buf)
		// Reject bytes that would bias the choice.
		if int(buf[0]) >= 256-256%len(chars) {
			continue
		}
		b[i] = chars[int(buf[0])%len(chars)]
		i++
	}
	return string(b)
}
