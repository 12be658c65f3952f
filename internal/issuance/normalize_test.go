package issuance_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/trustcred/trustcred/internal/issuance"
)

// TestNormalizeAsJSON: a document copied into internal/vc's form without
// JSON is what the round trip through JSON makes of it, numbers, nested
// values, nils and strings JSON would change included; what JSON refuses is
// refused.
func TestNormalizeAsJSON(t *testing.T) {
	docs := []map[string]any{
		{"a": "x", "b": true, "c": nil, "d": 1.5, "e": 3, "f": int64(-7)},
		{"n": []any{1e21, 1e20, 1e-7, 0.000001, -0.0, 123456789.125, math.MaxInt64, float64(1 << 53)}},
		{"s": []string{"a", "<&>", "\u2028"}, "nil list": []any(nil), "nil map": map[string]any(nil), "nil strings": []string(nil)},
		{"nested": map[string]any{"x": []any{map[string]any{"y": "z", "n": 2.5}}}},
		{"bad utf8": "a\xffb"},
		{"\xfe": "key"},
		{"list": []string{"ok", "\xff"}},
		{"other": struct{ A int }{A: 1}, "int32": int32(5)},
		{"empty": map[string]any{}, "empty list": []any{}, "": ""},
	}
	for i, d := range docs {
		want, wantErr := issuance.NormalizeByJSON(d)
		got, err := issuance.Normalize(d)
		if (err != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("doc %d: %#v, %v; want %#v, %v", i, got, err, want, wantErr)
		}
	}
	if _, err := issuance.Normalize(map[string]any{"nan": math.NaN()}); err == nil {
		t.Error("NaN normalized")
	}
}
