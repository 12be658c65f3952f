package text

import "bytes"

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
		case zeros[0] == units && zeros[1] == units && zeros[3] < units:
			return "UTF-32BE"
		case zeros[3] == units && zeros[2] == units && zeros[0] < units:
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
