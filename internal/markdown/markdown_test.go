package markdown

import (
	"regexp"
	"strings"
	"testing"
)

func TestHTMLFormats(t *testing.T) {
	got := HTML("Clear **fields**, *easy*.\n\n- one\n- two\n\n[docs](https://example.com/docs)")
	for _, want := range []string{"<strong>fields</strong>", "<em>easy</em>", "<li>one</li>", `href="https://example.com/docs"`, `rel="nofollow noopener"`} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}

// Every way to run script the review's author could try: none survives.
func TestHTMLNeverRunsScript(t *testing.T) {
	attacks := []string{
		"<script>alert(1)</script>",
		"hello <script src=https://evil.example/x.js></script>",
		`<img src=x onerror="alert(1)">`,
		`<a href="javascript:alert(1)">click</a>`,
		"[click](javascript:alert(1))",
		"[click](JaVaScRiPt:alert(1))",
		"[click](  javascript:alert(1))",
		"[click](jav&#x09;ascript:alert(1))",
		"[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
		"![x](javascript:alert(1))",
		`![x](https://example.com/a.png "title" onerror=alert(1))`,
		"<svg onload=alert(1)>",
		"<iframe src=https://evil.example></iframe>",
		`<div style="background:url(javascript:alert(1))">x</div>`,
		"<a href=https://example.com onclick=alert(1)>x</a>",
		"[x](vbscript:msgbox(1))",
		"<details open ontoggle=alert(1)>",
	}
	for _, a := range attacks {
		got := strings.ToLower(HTML(a))
		for _, bad := range []string{"<script", "javascript:", "vbscript:", "data:text", "<iframe", "<svg", "<img", "style="} {
			if strings.Contains(got, bad) {
				t.Errorf("%q renders %q, which contains %q", a, got, bad)
			}
		}
		// An event handler may stay as text, never as an attribute.
		if handler.MatchString(got) {
			t.Errorf("%q renders %q, an element with an event handler", a, got)
		}
	}
}

var handler = regexp.MustCompile(`<[^>]*\son[a-z]+\s*=`)
