package vc

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
)

func TestCanonicalizeRFC8785(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"§3.2.2 example",
			`{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
			`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`},
		{"§3.2.3 sorting",
			`{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`,
			"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\"," +
				"\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"},
		{"nested and empty", `{ "b": [ {}, [], {"z":1,"a":{"y":"","x":[ ]}} ], "a": "" }`,
			`{"a":"","b":[{},[],{"a":{"x":[],"y":""},"z":1}]}`},
		{"scalars", ` "x" `, `"x"`},
		{"control characters", `"\u0000\u0001\u001f\b\f\n\r\t\u007f\u2028\u00e9"`,
			"\"\\u0000\\u0001\\u001f\\b\\f\\n\\r\\t\u007f\u2028é\""},
		{"html is not escaped", `"<a href=\"/x?y&z\">"`, `"<a href=\"/x?y&z\">"`},
		{"negative zero", `[-0, -0.0, 0e10]`, `[0,0,0]`},
		{"integers", `[1, -1, 100, 1e2, 12345678901234567890]`, `[1,-1,100,100,12345678901234567000]`},
	}
	for _, c := range cases {
		got, err := Canonicalize([]byte(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("%s:\n got %s, %v\nwant %s", c.name, got, err, c.want)
		}
	}
}

// RFC 8785 Appendix B: IEEE 754 bit patterns and their serialization.
func TestNumberSerialization(t *testing.T) {
	cases := []struct {
		bits uint64
		want string
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"},
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	}
	for _, c := range cases {
		f := math.Float64frombits(c.bits)
		got, err := CanonicalizeValue(f)
		if err != nil || string(got) != c.want {
			t.Errorf("%#016x: got %s, %v; want %s", c.bits, got, err, c.want)
		}
		// The same value parsed from its JSON text.
		got, err = Canonicalize([]byte(c.want))
		if err != nil || string(got) != c.want {
			t.Errorf("%s re-parsed: got %s, %v", c.want, got, err)
		}
	}
	more := map[float64]string{
		1e21: "1e+21", 1e20: "100000000000000000000", 1.5e-7: "1.5e-7", 1e-6: "0.000001",
		123e-20: "1.23e-18", 0.1: "0.1", -1.25: "-1.25", 5: "5", 1234.5678: "1234.5678",
	}
	for f, want := range more {
		if got := formatES(f); got != want {
			t.Errorf("formatES(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestCanonicalizeErrors(t *testing.T) {
	for _, in := range []string{
		``, `{`, `{"a":1,}`, `[1 2]`, `{"a":1}{}`, `{"a":1} x`, `nul`, `01`, `{"a":1,"a":2}`,
		`{"x":{"b":1,"b":1}}`, `1e400`, `-1e309`, `"\ud800"x`,
	} {
		if got, err := Canonicalize([]byte(in)); !errors.Is(err, ErrJCS) {
			t.Errorf("Canonicalize(%q) = %s, %v; want ErrJCS", in, got, err)
		}
	}
	for _, v := range []any{math.NaN(), math.Inf(1), math.Inf(-1), []any{struct{}{}}, "\xff", map[string]any{"\xff": 1}} {
		if got, err := CanonicalizeValue(v); !errors.Is(err, ErrJCS) {
			t.Errorf("CanonicalizeValue(%#v) = %s, %v; want ErrJCS", v, got, err)
		}
	}
	if got, err := CanonicalizeValue(map[string]any{"n": json.Number("NaN")}); err == nil {
		t.Errorf("json.Number NaN accepted: %s", got)
	}
}

// FuzzCanonicalize checks that canonical output is valid JSON, canonical
// itself, and means the same as the input.
func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{`{"b":[1,2.5e-7,"x\u0001"],"a":null}`, `[1e21,-0,0.000001]`, `"\ud83d\ude00"`, `{"\ufb33":1,"\ud83d\ude00":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Canonicalize(in)
		if err != nil {
			return
		}
		if !json.Valid(c) {
			t.Fatalf("invalid JSON %q from %q", c, in)
		}
		c2, err := Canonicalize(c)
		if err != nil || string(c2) != string(c) {
			t.Fatalf("not idempotent: %q -> %q, %v", c, c2, err)
		}
		var a, b any
		if json.Unmarshal(in, &a) == nil && json.Unmarshal(c, &b) == nil && !reflect.DeepEqual(a, b) {
			t.Fatalf("meaning changed: %q -> %q", in, c)
		}
	})
}
