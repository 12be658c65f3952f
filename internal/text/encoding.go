package text

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding names the encoding of b when it is UTF-16 or UTF-32 rather than
// UTF-8: "UTF-16LE", "UTF-16BE", "UTF-32LE" or "UTF-32BE", from a byte
// order mark or, without one, from where the zero bytes of its first
// characters fall (the rule of RFC 4627 §3, widened to the first 256
// bytes: text that is mostly ASCII, such as JSON, CSV or a form, has a
// zero byte beside each character in UTF-16 and three in UTF-32). It
// returns "" for UTF-8, with or without a byte order mark, and for
// anything that shows no sign of another encoding.
//
// Callers refuse such input with a message naming the encoding: UTF-8 text
// never holds a zero byte, so without this check it would be refused as
// "contains a control character", which does not tell the sender what to do.
func Encoding(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0, 0}):
		return "UTF-32LE"
	case bytes.HasPrefix(b, []byte{0, 0, 0xFE, 0xFF}):
		return "UTF-32BE"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return "UTF-16LE"
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return "UTF-16BE"
	}
	n := min(len(b), 256) &^ 1
	if n == 0 || bytes.IndexByte(b[:n], 0) < 0 {
		return ""
	}
	var zeros [4]int // zero bytes at offsets 0, 1, 2, 3 (mod 4)
	for i, c := range b[:n] {
		if c == 0 {
			zeros[i%4]++
		}
	}
	if units := n / 4; units > 0 {
		switch {
		// Every unit's top byte is zero, and every unit a code point (a
		// character beyond the BMP, such as an emoji, has a second byte).
		case zeros[0] == units && zeros[3] < units && codePoints(b[:units*4], binary.BigEndian):
			return "UTF-32BE"
		case zeros[3] == units && zeros[0] < units && codePoints(b[:units*4], binary.LittleEndian):
			return "UTF-32LE"
		}
	}
	even, odd, pairs := zeros[0]+zeros[2], zeros[1]+zeros[3], n/2
	switch {
	case 2*odd >= pairs && even*8 < odd:
		return "UTF-16LE"
	case 2*even >= pairs && odd*8 < even:
		return "UTF-16BE"
	}
	return ""
}

// codePoints reports whether every 4-byte unit of b is a Unicode code
// point (not a surrogate, at most U+10FFFF) in the given byte order.
func codePoints(b []byte, order binary.ByteOrder) bool {
	for i := 0; i+4 <= len(b); i += 4 {
		if !utf8.ValidRune(rune(order.Uint32(b[i:]))) { // #nosec G115 -- above MaxInt32 it wraps negative, which ValidRune refuses
			return false
		}
	}
	return true
}

// ErrEncoding is ToUTF8's refusal: the bytes look like UTF-16 or UTF-32
// (Encoding names which) but are not valid in it.
var ErrEncoding = errors.New("is not valid in the encoding it appears to be in")

// ToUTF8 returns b as UTF-8: without a UTF-8 byte order mark, and
// converted when Encoding recognises UTF-16 or UTF-32 (with or without a
// byte order mark, which is dropped). It returns the encoding it converted
// from ("" when b was taken as UTF-8, which it does not validate) and
// ErrEncoding, wrapped with that name, when the bytes are not valid in it
// (an odd length, a lone surrogate, a code point out of range). For input
// a person may fairly send in another encoding, such as a spreadsheet's
// "Unicode text" export; documents and forms are refused instead.
func ToUTF8(b []byte) ([]byte, string, error) {
	enc := Encoding(b)
	if enc == "" {
		return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), "", nil
	}
	unit, order := 2, binary.ByteOrder(binary.LittleEndian)
	if strings.HasPrefix(enc, "UTF-32") {
		unit = 4
	}
	if strings.HasSuffix(enc, "BE") {
		order = binary.BigEndian
	}
	bad := fmt.Errorf("%w: %s", ErrEncoding, enc)
	if len(b)%unit != 0 {
		return nil, enc, bad
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i += unit {
		var r rune
		switch {
		case unit == 4:
			r = rune(order.Uint32(b[i:])) // #nosec G115 -- checked by utf8.ValidRune below (a wrapped value is negative)
		case utf16.IsSurrogate(rune(order.Uint16(b[i:]))):
			if i+4 > len(b) {
				return nil, enc, bad
			}
			if r = utf16.DecodeRune(rune(order.Uint16(b[i:])), rune(order.Uint16(b[i+2:]))); r == utf8.RuneError {
				return nil, enc, bad // a lone or reversed surrogate
			}
			i += 2
		default:
			r = rune(order.Uint16(b[i:]))
		}
		if !utf8.ValidRune(r) {
			return nil, enc, bad
		}
		if i == 0 && r == '\ufeff' { // the byte order mark
			continue
		}
		out = utf8.AppendRune(out, r)
	}
	return out, enc, nil
}
