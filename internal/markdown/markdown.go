// Package markdown renders the Markdown people write for others to read
// (marketplace reviews) to HTML that is safe to show: goldmark (CommonMark,
// raw HTML left out) and then bluemonday's UGC policy, so that a script,
// an event handler attribute or a javascript: link never reaches the page
// whatever the Markdown parser lets through.
package markdown

import (
	"bytes"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
)

var (
	md = goldmark.New() // without html.WithUnsafe: raw HTML becomes a comment
	// policy is an allowlist in the spirit of bluemonday's UGC policy
	// without its images (which would load from anywhere, a tracker in a
	// review): paragraphs, emphasis, lists, quotes, code, headings,
	// links with http, https or mailto only, rel="nofollow noopener",
	// opening in a new tab.
	policy = func() *bluemonday.Policy {
		p := bluemonday.NewPolicy()
		p.AllowElements("p", "br", "hr", "strong", "em", "b", "i", "del", "code", "pre", "blockquote",
			"ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6")
		p.AllowAttrs("href").OnElements("a")
		p.AllowURLSchemes("http", "https", "mailto")
		p.RequireParseableURLs(true)
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		return p
	}()
)

// HTML is src rendered and sanitized. Markdown that fails to render (it
// does not, but goldmark's API can fail on a writer) is shown as
// escaped text.
func HTML(src string) string {
	var b bytes.Buffer
	if err := md.Convert([]byte(src), &b); err != nil {
		return bluemonday.StrictPolicy().Sanitize(src)
	}
	return policy.Sanitize(b.String())
}
