package ui

import (
	"strings"
	"testing"
)

// A screen reader announces a table by its name, each cell by its column
// header and its row's header.
func TestTableHeadersAndName(t *testing.T) {
	html := render(t, Table(TableProps{ID: "t", TestID: "things", Label: "Credentials",
		Columns: []Column{{Label: "Recipient"}, {Label: "Status"}, {Label: "Actions", SROnly: true}}}),
		RowHeader(), text("<td>x</td>"))
	has(t, html, `<table`, `id="t"`, `data-testid="things"`, `aria-label="Credentials"`,
		`<th scope="col" class="px-4 py-3">Recipient</th>`, `<th scope="col" class="px-4 py-3">Status</th>`,
		`<th scope="col" class="px-4 py-3"><span class="sr-only">Actions</span></th>`, `<tbody`, `<th scope="row"`, `</tbody>`)

	captioned := render(t, Table(TableProps{Caption: "Recent verifications", Label: "ignored", Columns: []Column{{Label: "When"}}}))
	has(t, captioned, `<table`, `<caption`, `Recent verifications</caption>`, `<thead`)
	hasNot(t, captioned, `aria-label`)
}

// With nothing to show, the table gives way to its empty state.
func TestTableEmptyState(t *testing.T) {
	html := render(t, Table(TableProps{Columns: []Column{{Label: "Recipient"}},
		Empty: &EmptyStateProps{Title: "No credentials yet", Text: "Issue one.", Action: "Issue a credential", Href: "/credentials/issue", TestID: "credentials-empty"}}))
	has(t, html, `data-testid="credentials-empty"`, `<h2`, `No credentials yet`, `href="/credentials/issue"`, `Issue a credential`)
	hasNot(t, html, `<table`, `<th`)
}

// A sortable column's heading is a link that keeps the filters in its
// URL; the column the list is sorted by says so to screen readers
// (aria-sort) and shows the direction.
func TestTableSortableColumns(t *testing.T) {
	html := render(t, Table(TableProps{Label: "Organizations", Columns: []Column{
		{Label: "Name", Href: "/admin/organizations?q=uni&sort=name&dir=desc", Sort: "ascending", Target: "#orgs-results", TestID: "sort-name"},
		{Label: "Created", Href: "/admin/organizations?q=uni&sort=created&dir=asc", TestID: "sort-created"},
		{Label: "Members", Right: true}}}))
	has(t, html, `<th scope="col" class="px-4 py-3" aria-sort="ascending"><a href="/admin/organizations?q=uni&amp;sort=name&amp;dir=desc"`,
		`hx-get="/admin/organizations?q=uni&amp;sort=name&amp;dir=desc"`, `hx-target="#orgs-results"`, `hx-push-url="true"`,
		`data-testid="sort-name"`, `<span aria-hidden="true">▲</span>`, `data-testid="sort-created"`,
		`<th scope="col" class="px-4 py-3 text-right">Members</th>`)
	if n := strings.Count(html, "aria-sort"); n != 1 {
		t.Errorf("%d columns marked sorted, want 1", n)
	}
}
