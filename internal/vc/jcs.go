package vc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrJCS is returned for a value the JSON Canonicalization Scheme cannot
// represent: invalid JSON, duplicate keys, NaN or infinite numbers, Go
// values that are not JSON.
var ErrJCS = errors.New("vc: cannot canonicalize")

// Canonicalize returns the RFC 8785 (JCS) canonical form of the JSON text
// data. Duplicate object keys and trailing data are errors.
func Canonicalize(data []byte) ([]byte, error) {
	v, err := ParseJSON(data)
	if err != nil {
		return nil, err
	}
	return CanonicalizeValue(v)
}

// ParseJSON decodes JSON text into map[string]any, []any, string,
// json.Number, bool and nil values, refusing duplicate object keys and
// trailing data. Numbers stay json.Number so that no precision is lost before
// canonicalization.
func ParseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after JSON value", ErrJCS)
	}
	return v, nil
}

func parseValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJCS, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("%w: %w", ErrJCS, err)
				}
				k := kt.(string) // the decoder only yields string keys here
				if _, dup := obj[k]; dup {
					return nil, fmt.Errorf("%w: duplicate key %q", ErrJCS, k)
				}
				if obj[k], err = parseValue(dec); err != nil {
					return nil, err
				}
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, fmt.Errorf("%w: %w", ErrJCS, err)
			}
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				e, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, e)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, fmt.Errorf("%w: %w", ErrJCS, err)
			}
			return arr, nil
		}
		return nil, fmt.Errorf("%w: unexpected %v", ErrJCS, t)
	default:
		return t, nil // string, json.Number, bool, nil
	}
}

// CanonicalizeValue returns the JCS canonical form of a decoded JSON value:
// map[string]any, []any, []string, string, bool, nil, json.Number, float64
// and the Go integer types. Every number is serialized as the IEEE 754 double
// it rounds to, as JSON numbers are.
func CanonicalizeValue(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeCanonical(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeCanonical(buf *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		if t {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case string:
		return writeString(buf, t)
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return fmt.Errorf("%w: number %s: %w", ErrJCS, t, err)
		}
		return writeNumber(buf, f)
	case float64:
		return writeNumber(buf, t)
	case float32:
		return writeNumber(buf, float64(t))
	case int:
		return writeNumber(buf, float64(t))
	case int64:
		return writeNumber(buf, float64(t))
	case int32:
		return writeNumber(buf, float64(t))
	case uint:
		return writeNumber(buf, float64(t))
	case uint64:
		return writeNumber(buf, float64(t))
	case uint32:
		return writeNumber(buf, float64(t))
	case []any:
		buf.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeCanonical(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case []string:
		buf.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeString(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareUTF16)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeString(buf, k); err != nil {
				return err
			}
			buf.WriteByte(':')
			if err := writeCanonical(buf, t[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		return fmt.Errorf("%w: Go value of type %T", ErrJCS, v)
	}
	return nil
}

// compareUTF16 orders strings by their UTF-16 code units, as RFC 8785 §3.2.3
// requires (it differs from byte order for characters above U+FFFF against
// U+E000..U+FFFF).
func compareUTF16(a, b string) int {
	if isASCII(a) && isASCII(b) {
		return strings.Compare(a, b)
	}
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// writeString writes s as a JSON string with only the escapes RFC 8785
// §3.2.2.2 requires: \" \\ \b \f \n \r \t, \u00xx for other control
// characters, everything else literal UTF-8.
func writeString(buf *bytes.Buffer, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: string is not valid UTF-8", ErrJCS)
	}
	buf.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		default:
			if c < 0x20 {
				buf.WriteString(`\u00`)
				buf.WriteByte(hexDigits[c>>4])
				buf.WriteByte(hexDigits[c&0xf])
			} else {
				buf.WriteByte(c)
			}
		}
	}
	buf.WriteByte('"')
	return nil
}

// writeNumber writes f as ECMAScript's Number.prototype.toString does
// (ECMA-262 Number::toString, RFC 8785 §3.2.2.3).
func writeNumber(buf *bytes.Buffer, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("%w: number %v", ErrJCS, f)
	}
	buf.WriteString(formatES(f))
	return nil
}

func formatES(f float64) string {
	if f == 0 {
		return "0" // also -0
	}
	// Shortest round-tripping digits: "-d.ddde±x".
	s := strconv.FormatFloat(f, 'e', -1, 64)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	mant, expStr, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	k := len(digits)
	n := exp + 1 // value = 0.digits × 10^n
	var out string
	switch {
	case k <= n && n <= 21:
		out = digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		out = digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		out = "0." + strings.Repeat("0", -n) + digits
	default:
		e := n - 1
		sign := "+"
		if e < 0 {
			sign = "-"
			e = -e
		}
		out = digits[:1]
		if k > 1 {
			out += "." + digits[1:]
		}
		out += "e" + sign + strconv.Itoa(e)
	}
	if neg {
		return "-" + out
	}
	return out
}
