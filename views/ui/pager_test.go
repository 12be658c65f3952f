package ui

import "testing"

// The pager's links are real links (they work without JavaScript) that
// htmx turns into a swap of the results, pushing the URL.
func TestPagerLinks(t *testing.T) {
	html := render(t, Pager(PagerProps{Newer: "/audit", Older: "/audit?before=abc", Target: "#audit-results", TestID: "audit"}))
	has(t, html, `<nav`, `aria-label="Pages"`,
		`<a href="/audit"`, `hx-get="/audit"`, `hx-target="#audit-results"`, `hx-push-url="true"`, `data-testid="audit-newest"`, `← Newest</a>`,
		`<a href="/audit?before=abc"`, `rel="next"`, `data-testid="audit-older"`, `Older →</a>`)

	first := render(t, Pager(PagerProps{Older: "/x?before=1", Target: "#r", TestID: "x"}))
	has(t, first, `data-testid="x-older"`)
	hasNot(t, first, `x-newest`)

	if only := render(t, Pager(PagerProps{Target: "#r", TestID: "x"})); only != "" {
		t.Errorf("a single page has a pager: %s", only)
	}
}
