package branding

import (
	"strings"

	"github.com/trustcred/trustcred/static"
)

// A display font of the embedded set (Fonts): its files are
// static/fonts/<dir>/400.woff2 and 700.woff2 (Latin subset, from its
// @fontsource package, licence beside them; scripts/copy-fonts.sh), and
// fallback is the safe stack after it where the font cannot load (emails, old
// clients): same kind of letter, fonts every system has.
type displayFont struct {
	dir, fallback string
}

var displayFonts = map[string]displayFont{
	"Inter":            {"inter", "Arial, Helvetica, sans-serif"},
	"Source Sans 3":    {"source-sans-3", "Arial, Helvetica, sans-serif"},
	"Source Serif 4":   {"source-serif-4", `Georgia, "Times New Roman", serif`},
	"Merriweather":     {"merriweather", `Georgia, "Times New Roman", serif`},
	"Playfair Display": {"playfair-display", `Georgia, "Times New Roman", serif`},
	"Roboto Slab":      {"roboto-slab", `Rockwell, Georgia, "Times New Roman", serif`},
}

// fontWeights are the embedded weights of each display font.
var fontWeights = []string{"400", "700"}

// IsFont reports whether name is one of the display fonts (exactly as Fonts
// spells it).
func IsFont(name string) bool {
	_, ok := displayFonts[name]
	return ok
}

// FontStack is the font-family value that names the display font first, then
// its safe fallback ("" for a name not in Fonts): what the public pages'
// headings and the emails use.
func FontStack(name string) string {
	f, ok := displayFonts[name]
	if !ok {
		return ""
	}
	return `"` + name + `", ` + f.fallback
}

// FontFaces is the @font-face rules of the display font name (its embedded
// files, by their content-hashed static URLs, so browsers cache them for a
// year); "" for a name not in Fonts. Holds no "<" and no backslash.
func FontFaces(name string) string {
	f, ok := displayFonts[name]
	if !ok {
		return ""
	}
	var b strings.Builder
	for _, w := range fontWeights {
		b.WriteString(`@font-face { font-family: "` + name + `"; font-style: normal; font-weight: ` + w +
			`; font-display: swap; src: url("` + static.Path("fonts/"+f.dir+"/"+w+".woff2") + `") format("woff2"); }` + "\n")
	}
	return b.String()
}
