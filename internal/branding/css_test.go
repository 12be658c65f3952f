package branding

import (
	"regexp"
	"strings"
	"testing"
)

var testOpts = CSSOptions{Scope: "tc-brand-org1", AssetPrefix: "/orgs/acme/assets/"}

func TestSanitizeAccepts(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"colour", "h1 { color: #1A2B3C }", ".tc-brand-org1 h1 { color: #1a2b3c; }\n"},
		{"list and combinators", ".card > .title, #hero a:hover { color: rgb(10, 20, 30); font-weight: 700 }",
			".tc-brand-org1 .card > .title, .tc-brand-org1 #hero a:hover { color: rgb(10, 20, 30); font-weight: 700; }\n"},
		{"compound", "a.btn[data-kind=\"primary\"]:focus-visible { outline: 2px solid #ff0 }",
			".tc-brand-org1 a.btn[data-kind=\"primary\"]:focus-visible { outline: 2px solid #ff0; }\n"},
		{"attribute presence", "[hidden] { margin: 0 }", ".tc-brand-org1 [hidden] { margin: 0; }\n"},
		{"fonts", `body { font-family: "Source Serif 4", Merriweather, serif; font-size: 1.125rem; line-height: 1.5 }`,
			`.tc-brand-org1 body { font-family: "Source Serif 4", merriweather, serif; font-size: 1.125rem; line-height: 1.5; }` + "\n"},
		{"own asset", `.hero { background: #fff url("/orgs/acme/assets/bg.png") no-repeat; background-size: cover }`,
			`.tc-brand-org1 .hero { background: #fff url("/orgs/acme/assets/bg.png") no-repeat; background-size: cover; }` + "\n"},
		{"own asset unquoted", `.hero { background-image: url(/orgs/acme/assets/a-b_c.webp) }`,
			`.tc-brand-org1 .hero { background-image: url("/orgs/acme/assets/a-b_c.webp"); }` + "\n"},
		{"gradient", `.band { background: linear-gradient(90deg, #123456 0%, rgba(0, 0, 0, 0.5) 100%) }`,
			`.tc-brand-org1 .band { background: linear-gradient(90deg, #123456 0%, rgba(0, 0, 0, 0.5) 100%); }` + "\n"},
		{"media", "@media (max-width: 40rem) { h1 { font-size: 1.5rem } }",
			"@media (max-width: 40rem) {\n  .tc-brand-org1 h1 { font-size: 1.5rem; }\n}\n"},
		{"comments dropped", "/* brand */ h1 { /* x */ color: red /* y */ }", ".tc-brand-org1 h1 { color: red; }\n"},
		{"important and shorthand", ".c { border-radius: 4px / 8px; margin: 0 auto !important }",
			".tc-brand-org1 .c { border-radius: 4px / 8px; margin: 0 auto !important; }\n"},
		{"empty", "", ""},
		{"already scoped", ".tc-brand-org1 h1, .tc-brand-org1 > .x, .tc-brand-org1:hover { color: red }",
			".tc-brand-org1 h1, .tc-brand-org1 > .x, .tc-brand-org1:hover { color: red; }\n"},
		{"scope root itself", ".tc-brand-org1 { background-color: #fafafa }", ".tc-brand-org1 { background-color: #fafafa; }\n"},
		{"look-alike scope", ".tc-brand-org12 h1 { color: red }", ".tc-brand-org1 .tc-brand-org12 h1 { color: red; }\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Sanitize(tc.in, testOpts)
			if len(got.Problems) > 0 {
				t.Fatalf("problems: %v", got.Problems)
			}
			assertSafe(t, got.CSS, testOpts)
			if got.CSS != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got.CSS, tc.want)
			}
		})
	}
}

// Known CSS attacks and escapes: each is refused, with the line it is on, and nothing of
// it reaches the output. The good rule around it is kept.
func TestSanitizeRefusesAttacks(t *testing.T) {
	for _, tc := range []struct{ name, bad, reason string }{
		{"import", `@import url("https://evil.test/x.css");`, "@import"},
		{"import string", `@import "https://evil.test/x.css";`, "@import"},
		{"close style", `h2 { color: red } </style><script>alert(1)</script>`, `"<"`},
		{"close style in string", `h2 { font-family: "</style><script>alert(1)</script>" }`, `"<"`},
		{"close style in comment", `/* </style><script>alert(1)</script> */`, `"<"`},
		{"cdo", `<!-- h2 { color: red } -->`, `"<"`},
		{"expression", `h2 { width: expression(alert(1)) }`, "not allowed"},
		{"expression in color", `h2 { color: expression(alert(1)) }`, "never allowed"},
		{"behavior", `h2 { behavior: url(/orgs/acme/assets/x.htc) }`, "behavior"},
		{"moz binding", `h2 { -moz-binding: url("/orgs/acme/assets/x.xml#xss") }`, "never allowed"},
		{"javascript url", `h2 { background: url("javascript:alert(1)") }`, "uploaded assets"},
		{"javascript url unquoted", `h2 { background-image: url(javascript:alert(1)) }`, "not valid"},
		{"other host", `h2 { background: url(https://evil.test/track.png) }`, "uploaded assets"},
		{"protocol relative", `h2 { background: url(//evil.test/orgs/acme/assets/a.png) }`, "uploaded assets"},
		{"dot dot", `h2 { background: url(/orgs/acme/assets/../../other/a.png) }`, "uploaded assets"},
		{"data url", `h2 { background: url(data:image/svg+xml;base64,PHN2Zz4=) }`, "uploaded assets"},
		{"url elsewhere", `h2 { list-style: url(/orgs/acme/assets/a.png) }`, "list-style"},
		{"escaped expression", `h2 { width: e\78 pression(alert(1)) }`, "backslash"},
		{"escaped url", `h2 { background: \75 rl(javascript:alert(1)) }`, "backslash"},
		{"escaped import", `@\69 mport "x.css";`, "backslash"},
		{"escaped in selector", `.a\3c script { color: red }`, "backslash"},
		{"comment splits keyword", `h2 { width: ex/**/pression(alert(1)) }`, "not allowed"},
		{"position fixed overlay", `.x { position: fixed; top: 0; left: 0 }`, `"position"`},
		{"hide content", `.status { display: none }`, `"display"`},
		{"generated content", `h2::before { content: "Verified" }`, "pseudo"},
		{"font face", `@font-face { font-family: X; src: url(https://evil.test/f.woff) }`, "@font-face"},
		{"keyframes", `@keyframes spin { from { color: red } }`, "@keyframes"},
		{"nested media", `@media screen { @media print { h2 { color: red } } }`, "nested"},
		{"unknown font", `h2 { font-family: Comic Sans MS }`, "available fonts"},
		{"custom property", `h2 { --x: url(javascript:alert(1)) }`, "custom properties"},
		{"var", `h2 { color: var(--x) }`, "var()"},
		{"on attribute", `[onclick] { color: red }`, "onclick"},
		{"nested rule", `.a { color: red; .b { color: blue } }`, "nested"},
		{"functional pseudo", `.a:not(.b) { color: red }`, "pseudo-class"},
		{"pseudo element", `.a::after { color: red }`, "pseudo-class"},
		{"sibling combinator", `.a + .b { color: red }`, "selector"},
		{"attr substring", `[href*="x"] { color: red }`, "attribute"},
		{"huge number unit", `h2 { margin: 1q }`, "unit"},
		{"page", `@page { margin: 0 }`, "@page"},
		{"unicode fullwidth", `h2 { color: ｅｘｐｒｅｓｓｉｏｎ(1) }`, "not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ".ok { color: #111111 }\n\n" + tc.bad + "\n.ok2 { color: #222222 }\n"
			got := Sanitize(in, testOpts)
			if len(got.Problems) == 0 {
				t.Fatalf("accepted; output %q", got.CSS)
			}
			p := got.Problems[0]
			if p.Line != 3 {
				t.Errorf("problem on line %d, want 3: %v", p.Line, p)
			}
			if !strings.Contains(p.Reason, tc.reason) {
				t.Errorf("reason %q does not mention %q", p.Reason, tc.reason)
			}
			if !strings.Contains(got.CSS, ".tc-brand-org1 .ok { color: #111111; }") {
				t.Errorf("the good rule before was lost: %q", got.CSS)
			}
			if tc.name != "close style" && tc.name != "cdo" && !strings.Contains(got.CSS, ".tc-brand-org1 .ok2 { color: #222222; }") {
				t.Errorf("the good rule after was lost: %q", got.CSS)
			}
			assertSafe(t, got.CSS, testOpts)
		})
	}
}

func TestSanitizeMultiLineLines(t *testing.T) {
	in := "h1 {\n  color: red;\n  position: absolute;\n}\n.a {\n color: blue }"
	got := Sanitize(in, testOpts)
	if len(got.Problems) != 1 || got.Problems[0].Line != 3 || !strings.Contains(got.Problems[0].Reason, "line 1 was left out") {
		t.Fatalf("problems = %v", got.Problems)
	}
	if got.CSS != ".tc-brand-org1 .a { color: blue; }\n" {
		t.Errorf("CSS = %q", got.CSS)
	}
}

func TestSanitizeNoAssetPrefixRefusesURL(t *testing.T) {
	got := Sanitize(`.a { background: url("/orgs/acme/assets/a.png") }`, CSSOptions{Scope: "tc-brand-x"})
	if len(got.Problems) != 1 || got.CSS != "" {
		t.Fatalf("got %+v", got)
	}
}

// With the library known, url() names only its images: a missing one is refused on
// its line, an existing one is kept, the rules around the refused one too.
func TestSanitizeURLOnlyForLibraryImages(t *testing.T) {
	o := testOpts
	o.Assets = map[string]bool{"paper": true}
	in := ".a { color: red }\n.b { background: url(\"/orgs/acme/assets/paper\") }\n.c { background-image: url(/orgs/acme/assets/gone) }\n.d { color: blue }"
	got := Sanitize(in, o)
	if len(got.Problems) != 1 || got.Problems[0].Line != 3 || !strings.Contains(got.Problems[0].Reason, `no image "gone" in your image library`) {
		t.Fatalf("problems = %v", got.Problems)
	}
	want := ".tc-brand-org1 .a { color: red; }\n.tc-brand-org1 .b { background: url(\"/orgs/acme/assets/paper\"); }\n.tc-brand-org1 .d { color: blue; }\n"
	if got.CSS != want {
		t.Errorf("CSS = %q\nwant %q", got.CSS, want)
	}
	// An empty library refuses every url(); nil (re-sanitizing saved CSS) accepts the prefix.
	o.Assets = map[string]bool{}
	if got := Sanitize(".b { background: url(\"/orgs/acme/assets/paper\") }", o); len(got.Problems) != 1 {
		t.Errorf("empty library: %+v", got)
	}
	if got := Sanitize(".b { background: url(\"/orgs/acme/assets/paper\") }", testOpts); len(got.Problems) != 0 {
		t.Errorf("nil library: %+v", got)
	}
	for name, want := range map[string]bool{"seal": true, "head-sig_2": true, "Seal": false, "a.png": false, "-x": false, "": false,
		"favicon-0123456789ab-16.png": false, strings.Repeat("a", 61): false} {
		if ValidAssetName(name) != want {
			t.Errorf("ValidAssetName(%q) = %v", name, !want)
		}
	}
}

var (
	urlUseRE = regexp.MustCompile(`(?i)url\(`)
	ruleRE   = regexp.MustCompile(`(?m)^\s*([^{}@]*?)\s*\{`)
)

// assertSafe is the sanitizer's contract, checked on whatever it returns.
func assertSafe(t *testing.T, out string, o CSSOptions) {
	t.Helper()
	lower := strings.ToLower(out)
	for _, bad := range []string{"<", "\\", "@import", "expression", "behavior", "binding", "javascript", "vbscript", "/*", "@font-face", "var("} {
		if strings.Contains(lower, bad) {
			t.Fatalf("output contains %q: %q", bad, out)
		}
	}
	for _, loc := range urlUseRE.FindAllStringIndex(out, -1) {
		rest := out[loc[1]:]
		if o.AssetPrefix == "" || !strings.HasPrefix(rest, `"`+o.AssetPrefix) {
			t.Fatalf("url() outside %q: %q", o.AssetPrefix, out)
		}
	}
	for _, at := range regexp.MustCompile(`@[a-z-]*`).FindAllString(out, -1) {
		if at != "@media" {
			t.Fatalf("at-rule %s in output: %q", at, out)
		}
	}
	depth := 0
	for _, c := range out {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
		}
		if depth < 0 || depth > 2 {
			t.Fatalf("unbalanced braces: %q", out)
		}
	}
	if depth != 0 {
		t.Fatalf("unbalanced braces: %q", out)
	}
	for _, m := range ruleRE.FindAllStringSubmatch(out, -1) {
		for _, sel := range strings.Split(m[1], ",") {
			sel = strings.TrimSpace(sel)
			root := "." + o.Scope
			if sel != root && !(strings.HasPrefix(sel, root) && strings.ContainsRune(" :.[#", rune(sel[len(root)]))) {
				t.Fatalf("selector %q is not under the scope: %q", sel, out)
			}
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		"h1 { color: #1A2B3C }", "@media (max-width: 40rem) { h1 { font-size: 1.5rem } }",
		`.hero { background: #fff url("/orgs/acme/assets/bg.png") no-repeat }`,
		`@import "x.css"; h2 { width: e\78 pression(alert(1)) }`, `h2 { font-family: "</style>" }`,
		`.a { color: red; .b { color: blue } }`, `[data-x="y"] > a:hover, #id .c { border: 1px solid rgb(1,2,3) }`,
		`h2 { background: url(javascript:alert(1)) }`, "h1 {\n color: red;\n position: absolute }", `@media screen { @media print { h2 { color: red } } }`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := Sanitize(in, testOpts)
		assertSafe(t, got.CSS, testOpts)
		for _, p := range got.Problems {
			if p.Line < 1 || p.Line > strings.Count(in, "\n")+1 || p.Reason == "" {
				t.Fatalf("bad problem %+v for %q", p, in)
			}
		}
		// What was accepted is accepted again, unchanged (it is saved sanitized and
		// edited again), and under another organization's scope it is scoped again.
		again := Sanitize(got.CSS, testOpts)
		if len(again.Problems) > 0 || again.CSS != got.CSS {
			t.Fatalf("sanitizing %q again gives %q, %v", got.CSS, again.CSS, again.Problems)
		}
		other := CSSOptions{Scope: "tc-brand-org2", AssetPrefix: testOpts.AssetPrefix}
		assertSafe(t, Sanitize(got.CSS, other).CSS, other)
	})
}

// A typical organization stylesheet (about 2 KB, 20 rules, one @media).
func BenchmarkSanitize(b *testing.B) {
	var sb strings.Builder
	for i := range 18 {
		sb.WriteString(".card-" + strings.Repeat("x", i%5) + " > h2:hover, #hero a { color: #1a2b3c; margin: 0 auto; border: 1px solid rgb(10, 20, 30); font-family: \"Source Serif 4\", serif }\n")
	}
	sb.WriteString("@media (max-width: 40rem) { h1 { font-size: 1.5rem } .hero { background: #fff url(\"/orgs/acme/assets/bg.png\") no-repeat } }\n")
	src := sb.String()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if r := Sanitize(src, testOpts); len(r.Problems) > 0 {
			b.Fatal(r.Problems)
		}
	}
}
