package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

// render renders c (with children, when given) to a string.
func render(t *testing.T, c templ.Component, children ...templ.Component) string {
	t.Helper()
	ctx := context.Background()
	if len(children) > 0 {
		ctx = templ.WithChildren(ctx, templ.Join(children...))
	}
	var b strings.Builder
	if err := c.Render(ctx, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// has fails the test unless html contains every fragment, in order.
func has(t *testing.T, html string, fragments ...string) {
	t.Helper()
	rest := html
	for _, f := range fragments {
		i := strings.Index(rest, f)
		if i < 0 {
			t.Fatalf("missing %q (in order) in:\n%s", f, html)
		}
		rest = rest[i+len(f):]
	}
}

func hasNot(t *testing.T, html string, fragments ...string) {
	t.Helper()
	for _, f := range fragments {
		if strings.Contains(html, f) {
			t.Fatalf("unexpected %q in:\n%s", f, html)
		}
	}
}

func text(s string) templ.Component { return templ.Raw(s) }
