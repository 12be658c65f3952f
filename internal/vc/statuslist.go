package vc

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

// W3C Bitstring Status List v1.0 (https://www.w3.org/TR/vc-bitstring-status-list/).
const (
	// StatusListSize is the number of entries (bits) of a TrustCred status
	// list: the specification's minimum of 16 KiB, 131,072 entries.
	StatusListSize = 131072
	// minStatusListBytes is the smallest bitstring the specification allows
	// (16 KiB), for lists TrustCred reads as well as writes.
	minStatusListBytes = 16 * 1024
	// maxStatusListBytes bounds what DecodeStatusList decompresses (a few
	// kilobytes of GZIP can expand to gigabytes).
	maxStatusListBytes = 16 << 20
)

// ErrStatusList is returned for an encodedList that is not a multibase
// base64url GZIP bitstring of 16 KiB to 16 MiB.
var ErrStatusList = errors.New("vc: invalid status list")

// EncodeStatusList returns the encodedList of a status list credential for
// the bitstring bits (at least 16 KiB): GZIP-compressed, then multibase
// base64url without padding (prefix "u"), as §3.1 of the specification
// says. Bit i of the list is Bit(bits, i).
func EncodeStatusList(bits []byte) (string, error) {
	if len(bits) < minStatusListBytes {
		return "", fmt.Errorf("%w: %d bytes, the minimum is %d", ErrStatusList, len(bits), minStatusListBytes)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(bits); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// DecodeStatusList returns the bitstring of an encodedList. It refuses a
// value without the "u" multibase prefix, one that is not base64url, not
// GZIP, shorter than 16 KiB once decompressed, or longer than 16 MiB (the
// decompression stops there, so a small compression bomb costs nothing).
func DecodeStatusList(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(s, "u")
	if !ok {
		return nil, fmt.Errorf("%w: no multibase base64url prefix \"u\"", ErrStatusList)
	}
	// Padding is not allowed, but some encoders write it; RawURLEncoding
	// refuses it, as the specification's "no padding" asks.
	compressed, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: base64url: %w", ErrStatusList, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %w", ErrStatusList, err)
	}
	bits, err := io.ReadAll(io.LimitReader(zr, maxStatusListBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %w", ErrStatusList, err)
	}
	if len(bits) > maxStatusListBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes decompressed", ErrStatusList, maxStatusListBytes)
	}
	if len(bits) < minStatusListBytes {
		return nil, fmt.Errorf("%w: %d bytes decompressed, the minimum is %d", ErrStatusList, len(bits), minStatusListBytes)
	}
	return bits, nil
}

// Bit reports whether entry i of a bitstring is set. Entry 0 is the
// left-most bit, the most significant bit of byte 0 (§3.1). An index
// outside the bitstring panics, as indexing a slice does.
func Bit(bits []byte, i int) bool {
	return bits[i/8]&(0x80>>(i%8)) != 0
}

// SetBit sets (v true) or clears entry i of a bitstring, numbered as by Bit.
func SetBit(bits []byte, i int, v bool) {
	if v {
		bits[i/8] |= 0x80 >> (i % 8)
	} else {
		bits[i/8] &^= 0x80 >> (i % 8)
	}
}
