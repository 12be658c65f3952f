package branding

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/css"
)

// CSSOptions says where an organization's CSS applies and which assets it may load.
type CSSOptions struct {
	// Scope is the class of the organization's public-page root (ScopeClass); every
	// selector is put under it.
	Scope string
	// AssetPrefix is the path under which the organization's own uploaded assets are
	// served (e.g. "/orgs/acme/assets/"); url() is accepted only under it. Empty refuses
	// every url().
	AssetPrefix string
	// Assets, when not nil, are the names of the organization's image library
	// (ValidAssetName): url() is then accepted only for AssetPrefix + one of them, and
	// a missing one is refused on its line. Nil accepts any plain path under the prefix
	// (re-sanitizing CSS that was checked against the library when it was saved).
	Assets map[string]bool
}

// assetName is the form of an image library name: it is the last segment of its
// path, /brand-assets/<org id>/<name>, and has no dot, so it never meets a
// favicon's file name (favicon-<hash>-<size>.png).
var assetName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,59}$`)

// ValidAssetName reports whether name may name an image of the library.
func ValidAssetName(name string) bool { return assetName.MatchString(name) }

// ScopeClass is the class the public pages put on an organization's branded root.
func ScopeClass(orgID string) string { return "tc-brand-" + orgID }

// Problem is one refused part of the custom CSS, for a person.
type Problem struct {
	Line   int
	Reason string
}

func (p Problem) String() string { return fmt.Sprintf("line %d: %s", p.Line, p.Reason) }

// SanitizedCSS is what Sanitize kept (re-serialized from the parsed tokens, never the
// input text) and what it refused.
type SanitizedCSS struct {
	CSS      string
	Problems []Problem
}

// MaxCSSBytes bounds the custom CSS an organization may save.
const MaxCSSBytes = 64 << 10

// Fonts is the display-font set an organization may name in font-family, besides the
// generic families. (The font picker and the PDF renderer embed the same set.)
var Fonts = []string{"Inter", "Source Sans 3", "Source Serif 4", "Merriweather", "Playfair Display", "Roboto Slab"}

var genericFonts = map[string]bool{"serif": true, "sans-serif": true, "monospace": true, "system-ui": true, "ui-serif": true, "ui-sans-serif": true, "cursive": false}

// allowedProperties are the properties custom CSS may set: colours, backgrounds, fonts
// and text, spacing, borders and radius, shadows. Nothing that moves an element out of
// its place (position, z-index, transform), hides it (display, visibility, opacity) or
// generates content (content, cursor images).
var allowedProperties = setOf(
	"color", "background", "background-color", "background-image", "background-position",
	"background-size", "background-repeat",
	"font", "font-family", "font-size", "font-weight", "font-style", "font-variant", "line-height",
	"letter-spacing", "word-spacing", "text-align", "text-decoration", "text-decoration-color",
	"text-decoration-thickness", "text-underline-offset", "text-transform", "text-shadow", "text-indent",
	"margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
	"padding", "padding-top", "padding-right", "padding-bottom", "padding-left", "gap",
	"border", "border-top", "border-right", "border-bottom", "border-left",
	"border-color", "border-top-color", "border-right-color", "border-bottom-color", "border-left-color",
	"border-width", "border-style", "border-radius", "border-top-left-radius", "border-top-right-radius",
	"border-bottom-left-radius", "border-bottom-right-radius",
	"outline", "outline-color", "outline-style", "outline-width", "outline-offset",
	"box-shadow", "accent-color", "caret-color", "max-width", "min-height",
)

var urlProperties = setOf("background", "background-image")

var allowedFunctions = setOf("rgb", "rgba", "hsl", "hsla", "linear-gradient", "radial-gradient")

var allowedPseudo = setOf("hover", "focus", "focus-visible", "focus-within", "active", "visited", "link",
	"first-child", "last-child", "first-of-type", "last-of-type", "only-child", "empty")

var allowedUnits = setOf("px", "em", "rem", "%", "vh", "vw", "vmin", "vmax", "ch", "ex", "pt", "deg", "s", "ms", "fr")

var mediaWords = setOf("screen", "print", "all", "and", "not", "only")
var mediaFeatures = setOf("min-width", "max-width", "min-height", "max-height", "orientation",
	"prefers-color-scheme", "prefers-reduced-motion", "prefers-contrast", "hover")

// forbiddenWords may not appear inside any identifier, string or path, whatever their
// case: they are the old script hooks (IE expression and behavior, Firefox XBL
// bindings), script URLs and imports.
var forbiddenWords = []string{"expression", "behavior", "behaviour", "binding", "javascript", "vbscript", "import", "data:"}

var (
	identRE  = regexp.MustCompile(`^-?[A-Za-z_][A-Za-z0-9_-]*$`)
	numberRE = regexp.MustCompile(`^[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)`)
	colourRE = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$`)
	attrRE   = regexp.MustCompile(`^[A-Za-z0-9 _./-]{0,200}$`)
	fontRE   = regexp.MustCompile(`^[A-Za-z0-9 -]{1,100}$`)
	pathRE   = regexp.MustCompile(`^[A-Za-z0-9._~/-]{1,500}$`)
	scopeRE  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,100}$`)
)

func setOf(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

func forbidden(s string) string {
	l := strings.ToLower(s)
	for _, w := range forbiddenWords {
		if strings.Contains(l, w) {
			return w
		}
	}
	return ""
}

// refusal is a reason a rule is left out, at an offset of the input.
type refusal struct {
	off    int
	reason string
}

func refuse(off int, format string, a ...any) *refusal {
	return &refusal{off: off, reason: fmt.Sprintf(format, a...)}
}

// rule is a qualified rule being read.
type rule struct {
	start     int
	selectors []string
	decls     []string
	bad       *refusal
}

// Sanitize keeps the rules of src whose every part is on the allowlist and reports
// each refused rule with its line. What it returns is built from the parsed tokens:
// selectors are re-serialized under "." + o.Scope, values from validated tokens, so no
// comment, escape or "<" of the input survives.
func Sanitize(src string, o CSSOptions) SanitizedCSS {
	if !scopeRE.MatchString(o.Scope) {
		panic("branding: bad CSS scope " + o.Scope)
	}
	s := &sanitizer{src: src, o: o}
	if len(src) > MaxCSSBytes {
		s.problem(0, fmt.Sprintf("custom CSS is longer than %d KB", MaxCSSBytes>>10))
		return s.result()
	}
	if !utf8.ValidString(src) || strings.ContainsRune(src, 0) {
		s.problem(0, "custom CSS must be plain UTF-8 text without NUL characters")
		return s.result()
	}
	s.run()
	return s.result()
}

type sanitizer struct {
	src      string
	o        CSSOptions
	out      strings.Builder
	problems []Problem
}

func (s *sanitizer) result() SanitizedCSS {
	return SanitizedCSS{CSS: s.out.String(), Problems: s.problems}
}

func (s *sanitizer) line(off int) int {
	off = min(max(off, 0), len(s.src))
	return strings.Count(s.src[:off], "\n") + 1
}

func (s *sanitizer) problem(off int, reason string) {
	if len(s.problems) < 200 {
		s.problems = append(s.problems, Problem{Line: s.line(off), Reason: reason})
	}
}

// skipSpace moves off past whitespace and comments, to where the next grammar starts.
func (s *sanitizer) skipSpace(off int) int {
	for off < len(s.src) {
		switch {
		case strings.ContainsRune(" \t\r\n\f", rune(s.src[off])):
			off++
		case strings.HasPrefix(s.src[off:], "/*"):
			end := strings.Index(s.src[off+2:], "*/")
			if end < 0 {
				return len(s.src)
			}
			off += end + 4
		default:
			return off
		}
	}
	return off
}

// rawCheck refuses a span of the input holding "<" (which could close the <style>
// element, even inside a comment or string) or a backslash escape (which can spell a
// forbidden word in pieces).
func (s *sanitizer) rawCheck(from, to int) *refusal {
	from, to = min(max(from, 0), len(s.src)), min(max(to, 0), len(s.src))
	if from >= to {
		return nil
	}
	span := s.src[from:to]
	if i := strings.IndexByte(span, '<'); i >= 0 {
		return refuse(from+i, `"<" is not allowed anywhere in custom CSS (it could close the style element)`)
	}
	if i := strings.IndexByte(span, '\\'); i >= 0 {
		return refuse(from+i, `backslash escapes are not allowed (they can hide forbidden words)`)
	}
	return nil
}

func (s *sanitizer) run() {
	p := css.NewParser(parse.NewInputString(s.src), false)
	var (
		cur      *rule    // the qualified rule being read
		media    string   // the @media prelude when inside one
		mediaBuf []string // serialized rules inside the current @media
		inMedia  bool     // inside a kept @media block
		skip     int      // depth of a refused block being skipped
		steps    = 0
	)
	for {
		steps++
		if steps > 4*len(s.src)+100 {
			s.problem(len(s.src), "custom CSS could not be read to the end")
			return
		}
		prev := p.Offset()
		gt, _, data := p.Next()
		start := s.skipSpace(prev)
		end := p.Offset()
		if gt == css.ErrorGrammar && p.Err() == io.EOF {
			if r := s.rawCheck(prev, len(s.src)); r != nil && skip == 0 {
				s.problem(r.off, r.reason)
			}
			if cur != nil || inMedia || skip > 0 {
				s.problem(len(s.src), "a block is not closed with }")
			}
			return
		}
		// The raw text this grammar was read from, with the comments and whitespace
		// before it: a "<" or a backslash there refuses whatever it belongs to.
		raw := s.rawCheck(prev, end)
		if skip > 0 {
			switch gt {
			case css.BeginAtRuleGrammar, css.BeginRulesetGrammar:
				skip++
			case css.EndAtRuleGrammar, css.EndRulesetGrammar:
				skip--
			}
			continue
		}
		if raw != nil && cur != nil {
			if cur.bad == nil {
				cur.bad = raw
			}
			if gt != css.EndRulesetGrammar && gt != css.BeginRulesetGrammar {
				continue
			}
		}
		switch gt {
		case css.CommentGrammar:
			if raw != nil {
				s.problem(raw.off, raw.reason)
			}
		case css.ErrorGrammar:
			if cur != nil {
				if cur.bad == nil {
					if strings.HasPrefix(s.src[start:min(max(start, end), len(s.src))], "--") {
						cur.bad = refuse(start, "custom properties (--name) are not allowed")
					} else {
						cur.bad = refuse(start, "this declaration is not valid CSS")
					}
				}
				continue
			}
			if raw != nil {
				s.problem(raw.off, raw.reason)
			} else {
				s.problem(start, "this is not valid CSS")
			}
		case css.AtRuleGrammar:
			if raw != nil {
				s.problem(raw.off, raw.reason)
			} else {
				s.problem(start, atRuleReason(string(data)))
			}
		case css.BeginAtRuleGrammar:
			name := strings.ToLower(string(data))
			if raw != nil {
				s.problem(raw.off, raw.reason+" (the whole block was left out)")
				skip = 1
				continue
			}
			if name != "@media" || inMedia || cur != nil {
				if cur != nil {
					if cur.bad == nil {
						cur.bad = refuse(start, "at-rules cannot be nested in a rule")
					}
				} else if name == "@media" {
					s.problem(start, "@media cannot be nested")
				} else {
					s.problem(start, atRuleReason(name))
				}
				skip = 1
				continue
			}
			q, r := s.mediaQuery(p.Values(), start)
			if r != nil {
				s.problem(r.off, r.reason+" (the whole @media block was left out)")
				skip = 1
				continue
			}
			inMedia, media, mediaBuf = true, q, nil
		case css.EndAtRuleGrammar:
			if inMedia {
				if len(mediaBuf) > 0 {
					s.out.WriteString("@media " + media + " {\n")
					for _, r := range mediaBuf {
						s.out.WriteString("  " + r)
					}
					s.out.WriteString("}\n")
				}
				inMedia = false
			}
		case css.BeginRulesetGrammar:
			if cur != nil { // nested rule
				if cur.bad == nil {
					cur.bad = refuse(start, "nested rules are not allowed")
				}
				skip = 1
				continue
			}
			cur = &rule{start: start, bad: raw}
			if sels, r := s.selectors(p.Values(), start); raw == nil {
				cur.selectors, cur.bad = sels, r
			}
		case css.DeclarationGrammar, css.CustomPropertyGrammar:
			if cur == nil {
				s.problem(start, "a declaration outside any rule")
				continue
			}
			if cur.bad != nil {
				continue
			}
			if gt == css.CustomPropertyGrammar {
				cur.bad = refuse(start, "custom properties (--name) are not allowed")
				continue
			}
			d, r := s.declaration(string(data), p.Values(), start)
			if r != nil {
				cur.bad = r
				continue
			}
			cur.decls = append(cur.decls, d)
		case css.EndRulesetGrammar:
			if cur == nil {
				continue
			}
			if cur.bad != nil {
				s.problem(cur.bad.off, fmt.Sprintf("%s; the rule starting on line %d was left out", cur.bad.reason, s.line(cur.start)))
			} else if len(cur.decls) > 0 {
				text := strings.Join(cur.selectors, ", ") + " { " + strings.Join(cur.decls, "; ") + "; }\n"
				if inMedia {
					mediaBuf = append(mediaBuf, text)
				} else {
					s.out.WriteString(text)
				}
			}
			cur = nil
		case css.TokenGrammar:
			// At the top level: the HTML comment markers <!-- and -->.
			if raw != nil {
				s.problem(raw.off, raw.reason)
			} else {
				s.problem(start, "HTML comment markers are not allowed in CSS")
			}
		}
	}
}

func atRuleReason(name string) string {
	switch strings.ToLower(name) {
	case "@import":
		return "@import is not allowed: custom CSS cannot load other stylesheets"
	case "@font-face":
		return "@font-face is not allowed: choose a display font from the list instead"
	case "@charset":
		return "@charset is not needed (custom CSS is always UTF-8)"
	}
	return fmt.Sprintf("the at-rule %s is not allowed (only @media is)", truncate(name))
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// selectors validates a rule's selector list and returns each selector under the scope.
// Allowed: type, universal, class, id, attribute presence or equality, the pseudo-classes
// of allowedPseudo, joined by descendant (space) or child (>) combinators.
func (s *sanitizer) selectors(toks []css.Token, off int) ([]string, *refusal) {
	var (
		out      []string
		b        strings.Builder // the current complex selector
		compound int             // parts in the current compound selector
		pendingC string          // combinator waiting for the next compound
	)
	scope := "." + s.o.Scope + " "
	add := func(part string, typ bool) *refusal {
		if typ && compound > 0 {
			return refuse(off, "a type selector must come first in its compound")
		}
		if compound == 0 && b.Len() > 0 {
			b.WriteString(pendingC)
		}
		pendingC = ""
		b.WriteString(part)
		compound++
		return nil
	}
	finish := func() *refusal {
		if b.Len() == 0 || pendingC == " > " {
			return refuse(off, "empty selector")
		}
		sel := b.String()
		if root := "." + s.o.Scope; sel == root || strings.HasPrefix(sel, root) && strings.ContainsRune(" :.[#", rune(sel[len(root)])) {
			// Already under the scope (what Sanitize returned, saved and edited again),
			// or the root itself: kept as it is.
			out = append(out, sel)
		} else {
			out = append(out, scope+sel)
		}
		b.Reset()
		compound, pendingC = 0, ""
		return nil
	}
	name := func(s string) *refusal {
		if !identRE.MatchString(s) || strings.HasPrefix(s, "--") {
			return refuse(off, "%q is not a plain name", truncate(s))
		}
		if w := forbidden(s); w != "" {
			return refuse(off, "the word %q is not allowed", w)
		}
		return nil
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		d := string(t.Data)
		var r *refusal
		switch {
		case t.TokenType == css.WhitespaceToken:
			if compound > 0 && pendingC == "" {
				pendingC, compound = " ", 0
			}
		case t.TokenType == css.CommaToken:
			r = finish()
		case t.TokenType == css.DelimToken && d == ">":
			if b.Len() == 0 {
				return nil, refuse(off, "a selector cannot start with >")
			}
			pendingC, compound = " > ", 0
		case t.TokenType == css.DelimToken && d == "*":
			r = add("*", true)
		case t.TokenType == css.IdentToken:
			if r = name(d); r == nil {
				r = add(strings.ToLower(d), true)
			}
		case t.TokenType == css.DelimToken && d == ".":
			if i+1 >= len(toks) || toks[i+1].TokenType != css.IdentToken {
				return nil, refuse(off, "a class selector needs a name after the dot")
			}
			i++
			if r = name(string(toks[i].Data)); r == nil {
				r = add("."+string(toks[i].Data), false)
			}
		case t.TokenType == css.HashToken:
			if r = name(d[1:]); r == nil {
				r = add(d, false)
			}
		case t.TokenType == css.ColonToken:
			if i+1 >= len(toks) || toks[i+1].TokenType != css.IdentToken {
				return nil, refuse(off, "only the pseudo-classes %s are allowed", strings.Join(sortedKeys(allowedPseudo), ", "))
			}
			i++
			p := strings.ToLower(string(toks[i].Data))
			if !allowedPseudo[p] {
				return nil, refuse(off, "the pseudo-class :%s is not allowed", truncate(p))
			}
			r = add(":"+p, false)
		case t.TokenType == css.LeftBracketToken:
			part, n, rr := s.attribute(toks[i:], off)
			if rr != nil {
				return nil, rr
			}
			i += n - 1
			r = add(part, false)
		default:
			return nil, refuse(off, "%q is not allowed in a selector", truncate(d))
		}
		if r != nil {
			return nil, r
		}
	}
	if r := finish(); r != nil {
		return nil, r
	}
	return out, nil
}

// attribute reads [name] or [name="value"] from toks (toks[0] is "[") and returns it
// re-serialized and the number of tokens used.
func (s *sanitizer) attribute(toks []css.Token, off int) (string, int, *refusal) {
	var parts []css.Token
	n := 1
	for ; n < len(toks) && toks[n].TokenType != css.RightBracketToken; n++ {
		if toks[n].TokenType != css.WhitespaceToken {
			parts = append(parts, toks[n])
		}
	}
	if n == len(toks) {
		return "", 0, refuse(off, "an attribute selector is not closed with ]")
	}
	bad := refuse(off, `only attribute selectors like [name] or [name="value"] are allowed`)
	if len(parts) == 0 || parts[0].TokenType != css.IdentToken {
		return "", 0, bad
	}
	attr := strings.ToLower(string(parts[0].Data))
	if !identRE.MatchString(attr) || strings.HasPrefix(attr, "on") || forbidden(attr) != "" {
		return "", 0, refuse(off, "the attribute %q cannot be selected on", truncate(attr))
	}
	switch {
	case len(parts) == 1:
		return "[" + attr + "]", n + 1, nil
	case len(parts) == 3 && parts[1].TokenType == css.DelimToken && string(parts[1].Data) == "=":
		var v string
		switch parts[2].TokenType {
		case css.IdentToken:
			v = string(parts[2].Data)
		case css.StringToken:
			v = unquote(string(parts[2].Data))
		default:
			return "", 0, bad
		}
		if !attrRE.MatchString(v) || forbidden(v) != "" {
			return "", 0, refuse(off, "the attribute value %q has characters or words that are not allowed", truncate(v))
		}
		return "[" + attr + `="` + v + `"]`, n + 1, nil
	}
	return "", 0, bad
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// declaration validates one property and its value and returns it re-serialized.
func (s *sanitizer) declaration(prop string, toks []css.Token, off int) (string, *refusal) {
	prop = strings.ToLower(prop)
	if !allowedProperties[prop] {
		if w := forbidden(prop); w != "" || prop == "-moz-binding" {
			return "", refuse(off, "the property %q can run code and is never allowed", truncate(prop))
		}
		return "", refuse(off, "the property %q is not allowed (colours, backgrounds, fonts, text, spacing, borders and shadows are)", truncate(prop))
	}
	if len(toks) == 0 {
		return "", refuse(off, "%s has no value", prop)
	}
	v, r := s.value(prop, toks, off, 0)
	if r != nil {
		return "", r
	}
	return prop + ": " + v, nil
}

// value re-serializes a value, token by token; depth counts open functions.
func (s *sanitizer) value(prop string, toks []css.Token, off, depth int) (string, *refusal) {
	var b strings.Builder
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		d := string(t.Data)
		switch t.TokenType {
		case css.WhitespaceToken:
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
		case css.CommaToken:
			b.WriteString(", ")
		case css.DelimToken:
			switch {
			case d == "/":
				b.WriteString(" / ")
			case d == "!" && depth == 0 && i+1 < len(toks) && strings.EqualFold(string(toks[i+1].Data), "important") && i+2 == len(toks):
				b.WriteString(" !important")
				i++
			default:
				return "", refuse(off, "%q is not allowed in a value", truncate(d))
			}
		case css.IdentToken:
			if !identRE.MatchString(d) {
				return "", refuse(off, "%q is not a plain word", truncate(d))
			}
			if w := forbidden(d); w != "" {
				return "", refuse(off, "the word %q is not allowed", w)
			}
			if prop == "font-family" && !genericFonts[strings.ToLower(d)] && !knownFont(d) {
				return "", refuse(off, "the font %q is not one of the available fonts (%s)", truncate(d), strings.Join(Fonts, ", "))
			}
			b.WriteString(strings.ToLower(d))
		case css.StringToken:
			v := unquote(d)
			if prop != "font-family" && prop != "font" {
				return "", refuse(off, "text in quotes is only allowed for font names")
			}
			if !fontRE.MatchString(v) || !knownFont(v) {
				return "", refuse(off, "the font %q is not one of the available fonts (%s)", truncate(v), strings.Join(Fonts, ", "))
			}
			b.WriteString(`"` + v + `"`)
		case css.NumberToken, css.PercentageToken, css.DimensionToken:
			num := numberRE.FindString(d)
			if num == "" || (t.TokenType == css.NumberToken && num != d) || !allowedUnits[strings.ToLower(d[len(num):])] && num != d {
				return "", refuse(off, "%q is not an allowed number or unit", truncate(d))
			}
			b.WriteString(num + strings.ToLower(d[len(num):]))
		case css.HashToken:
			if !colourRE.MatchString(d) {
				return "", refuse(off, "%q is not a colour like #1a2b3c", truncate(d))
			}
			b.WriteString(strings.ToLower(d))
		case css.URLToken:
			u, r := s.url(prop, urlInner(d), off)
			if r != nil {
				return "", r
			}
			b.WriteString(u)
		case css.FunctionToken:
			fn := strings.ToLower(strings.TrimSuffix(d, "("))
			end := closing(toks, i)
			if end < 0 {
				return "", refuse(off, "%s( is not closed", truncate(fn))
			}
			if fn == "url" {
				if end != i+2 || toks[i+1].TokenType != css.StringToken {
					return "", refuse(off, `write url("…") with one quoted path`)
				}
				u, r := s.url(prop, unquote(string(toks[i+1].Data)), off)
				if r != nil {
					return "", r
				}
				b.WriteString(u)
				i = end
				continue
			}
			if !allowedFunctions[fn] || depth > 2 {
				if w := forbidden(fn); w != "" {
					return "", refuse(off, "%s() can run code and is never allowed", truncate(fn))
				}
				return "", refuse(off, "the function %s() is not allowed (rgb, hsl and gradients are)", truncate(fn))
			}
			inner, r := s.value(prop, toks[i+1:end], off, depth+1)
			if r != nil {
				return "", r
			}
			b.WriteString(fn + "(" + inner + ")")
			i = end
		default:
			return "", refuse(off, "%q is not allowed in a value", truncate(d))
		}
	}
	return strings.TrimSpace(b.String()), nil
}

// closing returns the index of the ")" closing the function token at toks[i].
func closing(toks []css.Token, i int) int {
	level := 0
	for j := i; j < len(toks); j++ {
		switch toks[j].TokenType {
		case css.FunctionToken, css.LeftParenthesisToken:
			level++
		case css.RightParenthesisToken:
			level--
			if level == 0 {
				return j
			}
		}
	}
	return -1
}

func urlInner(d string) string {
	d = d[strings.IndexByte(d, '(')+1:]
	d = strings.TrimSuffix(d, ")")
	return unquote(strings.TrimSpace(d))
}

// url accepts only a plain path under the organization's asset prefix.
func (s *sanitizer) url(prop, u string, off int) (string, *refusal) {
	if !urlProperties[prop] {
		return "", refuse(off, "url() is only allowed in background and background-image")
	}
	if s.o.AssetPrefix == "" || !strings.HasPrefix(u, s.o.AssetPrefix) || !pathRE.MatchString(u) ||
		strings.Contains(u, "..") || strings.Contains(u, "//") || forbidden(u) != "" {
		return "", refuse(off, "url() may only point at your organization's uploaded assets (%s…)", s.o.AssetPrefix)
	}
	if name := strings.TrimPrefix(u, s.o.AssetPrefix); s.o.Assets != nil && !s.o.Assets[name] {
		return "", refuse(off, "there is no image %q in your image library: upload it first", truncate(name))
	}
	return `url("` + u + `")`, nil
}

func knownFont(name string) bool {
	for _, f := range Fonts {
		if strings.EqualFold(f, name) {
			return true
		}
	}
	return false
}

// mediaQuery validates an @media prelude: media types, and/not/only, and features of
// mediaFeatures with a number, dimension or word value.
func (s *sanitizer) mediaQuery(toks []css.Token, off int) (string, *refusal) {
	var b strings.Builder
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		d := string(t.Data)
		switch t.TokenType {
		case css.WhitespaceToken:
			b.WriteByte(' ')
		case css.CommaToken:
			b.WriteString(", ")
		case css.IdentToken:
			if !mediaWords[strings.ToLower(d)] {
				return "", refuse(off, "%q is not an allowed media type", truncate(d))
			}
			b.WriteString(strings.ToLower(d))
		case css.LeftParenthesisToken:
			var parts []css.Token
			j := i + 1
			for ; j < len(toks) && toks[j].TokenType != css.RightParenthesisToken; j++ {
				if toks[j].TokenType != css.WhitespaceToken {
					parts = append(parts, toks[j])
				}
			}
			if j == len(toks) || len(parts) == 0 || parts[0].TokenType != css.IdentToken || !mediaFeatures[strings.ToLower(string(parts[0].Data))] {
				return "", refuse(off, "only media features like (max-width: 40rem) are allowed")
			}
			feat := strings.ToLower(string(parts[0].Data))
			if len(parts) == 1 {
				b.WriteString("(" + feat + ")")
			} else {
				if len(parts) != 3 || parts[1].TokenType != css.ColonToken {
					return "", refuse(off, "only media features like (max-width: 40rem) are allowed")
				}
				v, r := s.value("media", parts[2:], off, 0)
				if r != nil {
					return "", r
				}
				b.WriteString("(" + feat + ": " + v + ")")
			}
			i = j
		default:
			return "", refuse(off, "%q is not allowed in a media query", truncate(d))
		}
	}
	q := strings.TrimSpace(b.String())
	if q == "" {
		return "", refuse(off, "@media needs a query")
	}
	return q, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
