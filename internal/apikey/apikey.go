// Package apikey makes organization API keys and the hashes they are stored
// as. A key is shown once; the database keeps only its SHA-256 (the key has
// 190 bits of entropy, so a fast hash is safe) and a short visible prefix.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Prefix starts every TrustCred API key, so that secret scanners and people
// recognise one.
const Prefix = "tcs_"

// New returns a new random key, the prefix shown in key lists, and the hash
// to store.
func New() (key, visible, hash string) {
	key = Prefix + strings.ToLower(rand.Text()) // 26 base32 characters: 130 bits
	key += strings.ToLower(rand.Text()[:12])    // and 60 more
	return key, key[:len(Prefix)+8], Hash(key)
}

// Hash is what the database stores for key.
func Hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Len is the length of every key.
const Len = len(Prefix) + 38

// WellFormed reports whether key looks like a key New makes: the prefix,
// then lower-case base32. It says nothing about whether the key exists.
func WellFormed(key string) bool {
	if len(key) != Len || !strings.HasPrefix(key, Prefix) {
		return false
	}
	for _, r := range key[len(Prefix):] {
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}
