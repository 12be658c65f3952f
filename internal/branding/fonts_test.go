package branding

import (
	"strings"
	"testing"

	"github.com/trustcred/trustcred/static"
)

// Every font the sanitizer accepts is embedded (both weights, its licence), and the
// stylesheet of a look with a display font declares it and sets it on the headings.
func TestDisplayFontsEmbedded(t *testing.T) {
	if len(displayFonts) != len(Fonts) {
		t.Fatalf("%d fonts described, %d accepted", len(displayFonts), len(Fonts))
	}
	for _, name := range Fonts {
		f, ok := displayFonts[name]
		if !ok {
			t.Errorf("%s has no files", name)
			continue
		}
		for _, w := range fontWeights {
			a, ok := static.Lookup("fonts/" + f.dir + "/" + w + ".woff2")
			if !ok || a.ContentType != "font/woff2" || !strings.HasPrefix(string(a.Body), "wOF2") {
				t.Errorf("%s %s: not an embedded woff2 (%v, %q)", name, w, ok, a.ContentType)
			}
		}
		if l, ok := static.Lookup("fonts/" + f.dir + "/LICENSE"); !ok || !strings.Contains(string(l.Body), "License") {
			t.Errorf("%s: no licence beside its files", name)
		}
		faces := FontFaces(name)
		if strings.Count(faces, "@font-face") != 2 || !strings.Contains(faces, `font-family: "`+name+`"`) ||
			!strings.Contains(faces, static.Path("fonts/"+f.dir+"/700.woff2")) {
			t.Errorf("%s: faces %s", name, faces)
		}
		css := Style("tc-brand-x", Palette{Font: name})
		if !strings.Contains(css, `.tc-brand-x h1, .tc-brand-x h2, .tc-brand-x h3, .tc-brand-x .tc-header { font-family: "`+name+`", `) ||
			strings.ContainsAny(css, `<\`) {
			t.Errorf("%s: style %s", name, css)
		}
	}
	if FontStack("Comic Sans MS") != "" || FontFaces("Comic Sans MS") != "" || strings.Contains(Style("s", Palette{Font: "Comic Sans MS"}), "font") {
		t.Error("a font outside the set is written")
	}
	if got := FontStack("Merriweather"); got != `"Merriweather", Georgia, "Times New Roman", serif` {
		t.Errorf("stack %s", got)
	}
}
