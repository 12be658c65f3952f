package text

import (
	"encoding/binary"
	"errors"
	"testing"
	"unicode/utf16"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		rule Rule
		want error
		at   int
		msg  string
	}{
		{"plain", "Université de Montréal", SingleLine, nil, 0, ""},
		{"empty", "", Name, nil, 0, ""},
		{"emoji with variation selector", "Café ☕️", Name, nil, 0, ""},
		{"right-to-left script", "جامعة القاهرة", Name, nil, 0, ""},
		{"NUL", "Acme\x00", SingleLine, ErrControl, 4, "contains a control character, which is not allowed"},
		{"NUL in multi-line", "a\nb\x00", MultiLine, ErrControl, 3, ""},
		{"escape", "red\x1b[31m", MultiLine, ErrControl, 3, ""},
		{"DEL", "a\x7f", SingleLine, ErrControl, 1, ""},
		{"C1", "a\u0085", MultiLine, ErrControl, 1, ""},
		{"vertical tab", "a\vb", MultiLine, ErrControl, 1, ""},
		{"newline in a line", "a\nb", SingleLine, ErrLineBreak, 1, "contains a line break or tab, which is not allowed here"},
		{"tab in a line", "a\tb", SingleLine, ErrLineBreak, 1, ""},
		{"line separator in a line", "a\u2028b", SingleLine, ErrLineBreak, 1, ""},
		{"newline, CR and tab in a text", "a\r\n\tb\u2029", MultiLine, nil, 0, ""},
		{"invalid UTF-8", "ab\xff", MultiLine, ErrInvalidUTF8, 2, "is not valid UTF-8 text"},
		{"truncated UTF-8", "é"[:1], SingleLine, ErrInvalidUTF8, 0, ""},
		{"right-to-left override in a name", "Acme\u202Egnp.exe", Name, ErrFormat, 4,
			"contains an invisible formatting character (U+202E), which is not allowed"},
		{"isolate in a name", "a\u2066b", Name, ErrFormat, 1, ""},
		{"zero-width space in a name", "Ali\u200Bce", Name, ErrFormat, 3, ""},
		{"byte order mark in a name", "\uFEFFAcme", Name, ErrFormat, 0, ""},
		{"override outside names", "a\u202Eb", MultiLine, nil, 0, ""},
		{"multi-line name", "a\nb", Name | MultiLine, nil, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.in, tc.rule)
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("Check(%q) = %v, want %v", tc.in, err, tc.want)
			}
			if err == nil {
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Offset != tc.at {
				t.Errorf("Check(%q) = %#v, want the offset %d", tc.in, err, tc.at)
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("message %q, want %q", err.Error(), tc.msg)
			}
		})
	}
}

func TestEncoding(t *testing.T) {
	doc := `{"credential": {"name": "Zoë"}}`
	u16 := utf16.Encode([]rune(doc))
	le16, be16 := make([]byte, 2*len(u16)), make([]byte, 2*len(u16))
	for i, u := range u16 {
		binary.LittleEndian.PutUint16(le16[2*i:], u)
		binary.BigEndian.PutUint16(be16[2*i:], u)
	}
	var le32, be32 []byte
	for _, r := range doc {
		le32 = binary.LittleEndian.AppendUint32(le32, uint32(r))
		be32 = binary.BigEndian.AppendUint32(be32, uint32(r))
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"UTF-8", []byte(doc), ""},
		{"UTF-8 with a byte order mark", append([]byte("\xEF\xBB\xBF"), doc...), ""},
		{"UTF-8 with a NUL", []byte(`{"credential": {"name": "Zo\x00ë", "description": "a longer text that goes on"}}`), ""},
		{"a NUL alone", []byte{0}, ""},
		{"empty", nil, ""},
		{"UTF-16LE", le16, "UTF-16LE"},
		{"UTF-16BE", be16, "UTF-16BE"},
		{"UTF-16LE with a byte order mark", append([]byte{0xFF, 0xFE}, le16...), "UTF-16LE"},
		{"UTF-16BE with a byte order mark", append([]byte{0xFE, 0xFF}, be16...), "UTF-16BE"},
		{"UTF-32LE", le32, "UTF-32LE"},
		{"UTF-32BE", be32, "UTF-32BE"},
		{"UTF-32LE with a byte order mark", append([]byte{0xFF, 0xFE, 0, 0}, le32...), "UTF-32LE"},
		{"one UTF-16LE character", []byte("{\x00"), "UTF-16LE"},
	} {
		if got := Encoding(tc.in); got != tc.want {
			t.Errorf("%s: Encoding = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// ToUTF8 converts what Encoding recognises, drops byte order marks, and
// refuses bytes that are not valid in the encoding they look like.
func TestToUTF8(t *testing.T) {
	u16 := func(order binary.AppendByteOrder, s string) []byte {
		var b []byte
		for _, u := range utf16.Encode([]rune(s)) {
			b = order.AppendUint16(b, u)
		}
		return b
	}
	u32 := func(order binary.AppendByteOrder, s string) []byte {
		var b []byte
		for _, r := range s {
			b = order.AppendUint32(b, uint32(r))
		}
		return b
	}
	const s = "name,email\nZoë 😀,zoe@example.org\n"
	for _, tc := range []struct {
		name, enc string
		in        []byte
	}{
		{"UTF-8", "", []byte(s)},
		{"UTF-8 with a byte order mark", "", []byte("\xEF\xBB\xBF" + s)},
		{"UTF-16LE with a byte order mark", "UTF-16LE", u16(binary.LittleEndian, "\ufeff"+s)},
		{"UTF-16BE without one", "UTF-16BE", u16(binary.BigEndian, s)},
		{"UTF-32LE with a byte order mark", "UTF-32LE", u32(binary.LittleEndian, "\ufeff"+s)},
		{"UTF-32BE without one", "UTF-32BE", u32(binary.BigEndian, s)},
	} {
		out, enc, err := ToUTF8(tc.in)
		if err != nil || enc != tc.enc || string(out) != s {
			t.Errorf("%s: %q, %q, %v", tc.name, out, enc, err)
		}
	}
	for name, in := range map[string][]byte{
		"odd length":          append(u16(binary.LittleEndian, "\ufeffname"), 'x'),
		"lone surrogate":      append(u16(binary.BigEndian, "\ufeffab"), 0xDC, 0x00),
		"reversed pair":       append(u16(binary.BigEndian, "\ufeffab"), 0xDC, 0x00, 0xD8, 0x00),
		"code point > 10FFFF": append([]byte{0xFF, 0xFE, 0, 0}, 0, 0, 0x11, 0),
	} {
		if _, enc, err := ToUTF8(in); !errors.Is(err, ErrEncoding) || enc == "" {
			t.Errorf("%s: %q, %v, want ErrEncoding", name, enc, err)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	s := "Université de Montréal, Faculté des arts et des sciences — Département d’informatique"
	b.ReportAllocs()
	for b.Loop() {
		if Check(s, Name) != nil {
			b.Fatal("refused")
		}
	}
}

func TestCheckJSON(t *testing.T) {
	names := func(name string) Rule {
		if name == "name" {
			return Name
		}
		return MultiLine
	}
	for _, tc := range []struct {
		name    string
		doc     any
		pointer string
		member  bool
		want    error
	}{
		{"clean", map[string]any{"credentialSubject": map[string]any{"name": "Zoë", "description": "two\nlines"}, "n": 1.0, "ok": true, "x": nil}, "", false, nil},
		{"NUL in a nested value", map[string]any{"credentialSubject": map[string]any{"name": "Zo\x00ë"}}, "/credentialSubject/name", false, ErrControl},
		{"override in a name", map[string]any{"credentialSubject": map[string]any{"name": "a\u202Eb"}}, "/credentialSubject/name", false, ErrFormat},
		{"override elsewhere", map[string]any{"credentialSubject": map[string]any{"note": "a\u202Eb"}}, "", false, nil},
		{"in an array", map[string]any{"type": []any{"VerifiableCredential", "x\x01"}}, "/type/1", false, ErrControl},
		{"in a member name", map[string]any{"credentialSubject": map[string]any{"a\x00": "b"}}, "/credentialSubject", true, ErrControl},
		{"pointer escapes", map[string]any{"a/b~c": "\x00"}, "/a~1b~0c", false, ErrControl},
		{"the first in key order", map[string]any{"b": "\x00", "a": "\x01"}, "/a", false, ErrControl},
		{"top-level string", "\x00", "", false, ErrControl},
	} {
		p, m, err := CheckJSON(tc.doc, names)
		if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) || p != tc.pointer || m != tc.member {
			t.Errorf("%s: CheckJSON = %q, %v, %v; want %q, %v, %v", tc.name, p, m, err, tc.pointer, tc.member, tc.want)
		}
	}
}

// BenchmarkCheckJSON walks an issue request of a few hundred strings that
// passes, the common case.
func BenchmarkCheckJSON(b *testing.B) {
	subject := map[string]any{"id": "did:example:ebfeb1f712ebc6f1c276e12ec21", "name": "Ada Lovelace"}
	var courses []any
	for i := range 100 {
		courses = append(courses, map[string]any{"type": "Course", "name": "Course " + string(rune('A'+i%26)),
			"description": "Two lines\nof text", "credits": 5.0})
	}
	subject["courses"] = courses
	doc := map[string]any{"credential": map[string]any{
		"@context":          []any{"https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"},
		"type":              []any{"VerifiableCredential", "ExampleDegreeCredential"},
		"credentialSubject": subject,
	}}
	rule := func(name string) Rule {
		if name == "name" {
			return Name
		}
		return MultiLine
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := CheckJSON(doc, rule); err != nil {
			b.Fatal(err)
		}
	}
}
