package branding

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func mustHex(t *testing.T, s string) RGB {
	t.Helper()
	c, err := ParseHex(s)
	if err != nil {
		t.Fatalf("ParseHex(%q): %v", s, err)
	}
	return c
}

// Ratios published by WebAIM's contrast checker and the WCAG understanding documents.
func TestContrastKnownRatios(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{"#000000", "#ffffff", 21},
		{"#ffffff", "#ffffff", 1},
		{"#777777", "#ffffff", 4.48},
		{"#767676", "#ffffff", 4.54},
		{"#595959", "#ffffff", 7.00},
		{"#808080", "#ffffff", 3.95},
		{"#ff0000", "#ffffff", 4.00},
		{"#0000ff", "#ffffff", 8.59},
		{"#008000", "#ffffff", 5.14},
		{"#FFFFFF", "#0000FF", 8.59}, // order and case do not matter
	} {
		got := Contrast(mustHex(t, tc.a), mustHex(t, tc.b))
		if math.Abs(got-tc.want) > 0.005 {
			t.Errorf("Contrast(%s, %s) = %.4f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
	// Exactness: #777777 is 4.478, so it fails 4.5 although it "rounds" to 4.48.
	if v := Check(Secondary, mustHex(t, "#777777")); v.Pass {
		t.Error("#777777 passes normal text on white")
	}
	if got := Ratio(4.4999); got != "4.49:1" {
		t.Errorf("Ratio(4.4999) = %s", got)
	}
}

func TestParseHex(t *testing.T) {
	for _, bad := range []string{"", "red", "#fff", "#12345g", "#1234567", "123456", "#12 456", "#ÿÿÿÿÿ"} {
		if _, err := ParseHex(bad); err == nil {
			t.Errorf("ParseHex(%q) accepted", bad)
		}
	}
	if got := mustHex(t, "#1A2b3C").Hex(); got != "#1a2b3c" {
		t.Errorf("Hex = %s", got)
	}
}

func TestCheckVerdicts(t *testing.T) {
	for _, tc := range []struct {
		role    Role
		colour  string
		pass    bool
		suggest string // "" to skip the exact value
	}{
		{Primary, "#1d4ed8", true, "#1d4ed8"}, // blue-700: 6.70:1 under white text
		{Primary, "#60a5fa", false, ""},       // blue-400 is too light for white text
		{Secondary, "#777777", false, ""},
		{Secondary, "#767676", false, ""}, // 4.54 on white but 4.35 on the card
		{Secondary, "#111827", true, "#111827"},
		{Accent, "#8f8f8f", true, "#8f8f8f"}, // 3.28 on white, 3.14 on the card
		{Accent, "#949494", false, ""},       // 3.03 on white but 2.90 on the card
		{Accent, "#ffcc00", false, ""},
	} {
		v := Check(tc.role, mustHex(t, tc.colour))
		if v.Pass != tc.pass {
			t.Errorf("%s %s: pass = %v, want %v (%s)", tc.role, tc.colour, v.Pass, tc.pass, v.Summary())
		}
		if tc.suggest != "" && v.Suggestion.Hex() != tc.suggest {
			t.Errorf("%s %s: suggestion %s, want %s", tc.role, tc.colour, v.Suggestion.Hex(), tc.suggest)
		}
		if !v.Pass && v.Summary() == "" {
			t.Errorf("%s %s: no summary", tc.role, tc.colour)
		}
	}
}

// The nearest grey that passes 4.5:1 on white is the well-known #767676.
func TestNearestGreyOnWhite(t *testing.T) {
	got := Nearest(mustHex(t, "#777777"), []Use{{Against: White, Min: AANormalText}})
	if got.Hex() != "#767676" {
		t.Errorf("Nearest(#777777) = %s, want #767676", got.Hex())
	}
	// From the dark side: #909090 on black needs to get lighter? No: on white it darkens.
	got = Nearest(mustHex(t, "#aaaaaa"), []Use{{Against: White, Min: AANonText}})
	if got.Hex() != "#949494" && got.Hex() != "#959595" {
		t.Errorf("Nearest(#aaaaaa, 3:1) = %s, want #949494 or #959595 (3.03 and 2.98... whichever passes)", got.Hex())
	}
	if Contrast(got, White) < 3 {
		t.Errorf("Nearest(#aaaaaa, 3:1) = %s fails", got.Hex())
	}
	// Against a dark background the suggestion gets lighter.
	navy := RGB{0x10, 0x18, 0x30}
	got = Nearest(RGB{0x30, 0x40, 0x80}, []Use{{Against: navy, Min: AANormalText}})
	if got.Luminance() <= (RGB{0x30, 0x40, 0x80}).Luminance() {
		t.Errorf("on navy the suggestion %s is not lighter", got.Hex())
	}
}

// Properties over random colours: the suggestion always passes every use, it is the
// input itself when the input passes, and it keeps the hue of a clearly coloured input.
func TestSuggestionProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 2026))
	for i := range 3000 {
		c := RGB{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256))}
		role := Roles[i%len(Roles)]
		v := Check(role, c)
		if !passes(v.Suggestion, Uses[role]) {
			t.Fatalf("%s %s: suggestion %s does not pass", role, c.Hex(), v.Suggestion.Hex())
		}
		if v.Pass != passes(c, Uses[role]) {
			t.Fatalf("%s %s: verdict disagrees with its results", role, c.Hex())
		}
		if v.Pass && v.Suggestion != c {
			t.Fatalf("%s %s passes but suggestion is %s", role, c.Hex(), v.Suggestion.Hex())
		}
		if v.Pass {
			continue
		}
		_, ch0, h0 := toOKLCH(c)
		_, ch1, h1 := toOKLCH(v.Suggestion)
		if ch0 > 0.08 && ch1 > 0.04 {
			d := math.Abs(math.Remainder(h1-h0, 2*math.Pi))
			if d > 0.12 {
				t.Fatalf("%s %s → %s: hue moved by %.3f rad", role, c.Hex(), v.Suggestion.Hex(), d)
			}
		}
		// Nothing halfway in lightness (same hue and chroma), on either side, passes.
		l0, _, _ := toOKLCH(c)
		l1, _, _ := toOKLCH(v.Suggestion)
		if math.Abs(l1-l0) > 0.02 {
			for _, half := range []float64{l0 + (l1-l0)/2, l0 - (l1-l0)/2} {
				if half < 0 || half > 1 {
					continue
				}
				if closer := fromOKLCH(half, ch0, h0); passes(closer, Uses[role]) {
					t.Fatalf("%s %s → %s, but %s is closer and passes", role, c.Hex(), v.Suggestion.Hex(), closer.Hex())
				}
			}
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	c := RGB{0x60, 0xa5, 0xfa}
	for b.Loop() {
		Check(Primary, c)
	}
}

// The public pages' stylesheet uses each colour only as Uses says, a failing one as its
// nearest passing colour, and writes nothing for a colour not chosen.
func TestStyleAppliesCheckedColours(t *testing.T) {
	css := Style("tc-brand-x", Palette{Primary: "#60a5fa", Accent: "#0f766e"})
	want := Check(Primary, RGB{0x60, 0xa5, 0xfa}).Suggestion.Hex()
	for _, s := range []string{".tc-brand-x .tc-header { background: " + want + "; color: #ffffff; }",
		".tc-brand-x .tc-button { background: " + want + "; color: #ffffff; }", ".tc-brand-x .tc-card { border-color: #0f766e; }"} {
		if !strings.Contains(css, s) {
			t.Errorf("lacks %q:\n%s", s, css)
		}
	}
	if strings.Contains(css, "#60a5fa") || strings.Contains(css, " a, ") || strings.ContainsAny(css, "<\\") {
		t.Errorf("style:\n%s", css)
	}
	// No colour chosen: only the header band, in TrustCred's primary.
	if got := Style("tc-brand-x", Palette{}); got != ".tc-brand-x .tc-header { background: #1d4ed8; color: #ffffff; }\n" {
		t.Errorf("empty palette: %q", got)
	}
}
