package branding

import (
	"strings"
)

// Defaults are the colours of a public page whose organization chose none.
var Defaults = map[Role]RGB{
	Primary:   {0x1d, 0x4e, 0xd8}, // blue-700
	Secondary: {0x0f, 0x17, 0x2a}, // slate-900
	Accent:    {0x33, 0x41, 0x55}, // slate-700
}

// Palette is an organization's brand colours as saved (#rrggbb, "" for TrustCred's)
// and its display font (one of Fonts, "" for TrustCred's).
type Palette struct{ Primary, Secondary, Accent, Font string }

func (p Palette) hex(r Role) string {
	switch r {
	case Primary:
		return p.Primary
	case Secondary:
		return p.Secondary
	}
	return p.Accent
}

// Applied is the colour a public page shows for role: the saved colour when it passes
// every one of its Uses, else the nearest that does (a colour saved while failing never
// reaches a page as it is); ok is false when none is saved (or it is not #rrggbb), and
// then the page keeps TrustCred's own colour.
func (p Palette) Applied(role Role) (c RGB, ok bool) {
	c, err := ParseHex(p.hex(role))
	if err != nil {
		return Defaults[role], false
	}
	return Check(role, c).Suggestion, true
}

// Style is the base stylesheet of an organization's branded area (scope, its root
// class): the brand colours applied to the public pages' hooks exactly as Uses says,
// white text on primary (.tc-header, .tc-button), secondary for headings and links,
// accent for the card's border (.tc-card) and focus rings. A colour not saved writes
// no rule (TrustCred's look stays), except the header band, which the branded area
// always has. A display font (Fonts) is declared by its embedded files (FontFaces)
// and set on the headings and the header band. The result holds no "<" and no
// backslash: it may follow sanitized custom CSS in one stylesheet or one <style>.
func Style(scope string, p Palette) string {
	s := "." + scope
	var b strings.Builder
	if stack := FontStack(p.Font); stack != "" {
		b.WriteString(FontFaces(p.Font))
		b.WriteString(s + " h1, " + s + " h2, " + s + " h3, " + s + " .tc-header { font-family: " + stack + "; }\n")
	}
	prim, _ := p.Applied(Primary)
	b.WriteString(s + " .tc-header { background: " + prim.Hex() + "; color: #ffffff; }\n")
	if _, ok := p.Applied(Primary); ok {
		b.WriteString(s + " .tc-button { background: " + prim.Hex() + "; color: #ffffff; }\n")
	}
	if c, ok := p.Applied(Secondary); ok {
		h := c.Hex()
		b.WriteString(s + " h1, " + s + " h2, " + s + " h3 { color: " + h + "; }\n")
		b.WriteString(s + " a, " + s + " a:hover { color: " + h + "; }\n")
	}
	if c, ok := p.Applied(Accent); ok {
		h := c.Hex()
		b.WriteString(s + " .tc-card { border-color: " + h + "; }\n")
		b.WriteString(s + " a:focus-visible, " + s + " .tc-button:focus-visible { outline: 2px solid " + h + "; outline-offset: 2px; }\n")
	}
	return b.String()
}
