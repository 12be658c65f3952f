package ui

import (
	"strings"
	"testing"

	"github.com/a-h/templ"
)

// The current tab is marked for screen readers, not only by colour.
func TestTabsMarkTheCurrentPage(t *testing.T) {
	html := render(t, Tabs(TabsProps{Label: "Notification filters", Tabs: []Tab{
		{Label: "All", Href: "/notifications", TestID: "tab-all"},
		{Label: "Unread", Href: "/notifications?unread=1", Current: true, Count: "3", TestID: "tab-unread"}}}))
	has(t, html, `<nav aria-label="Notification filters"`, `<a href="/notifications" class=`, `data-testid="tab-all"`,
		`<a href="/notifications?unread=1" aria-current="page"`, `data-testid="tab-unread"`, `Unread`, `3</span>`)
	if n := strings.Count(html, `aria-current`); n != 1 {
		t.Errorf("%d tabs marked current", n)
	}
}

// A destructive action is a plain POST form (no JavaScript needed) that
// htmx confirms first and swaps in place.
func TestConfirmIsAFormThatAsksFirst(t *testing.T) {
	html := render(t, Confirm(ConfirmProps{Action: "/members/7/deactivate", Label: "Deactivate", Question: "Deactivate ann?",
		Danger: true, Target: "closest tr", Swap: "outerHTML", TestID: "member-deactivate"}), templ.Raw(`<input type="hidden" name="csrf_token" value="t">`))
	has(t, html, `<form method="post" action="/members/7/deactivate"`, `hx-post="/members/7/deactivate"`, `hx-target="closest tr"`,
		`hx-swap="outerHTML"`, `hx-confirm="Deactivate ann?"`, `name="csrf_token"`, `<button type="submit"`, `data-testid="member-deactivate"`, `Deactivate</button>`)
}

// The page header is the page's one <h1>, with its actions beside it.
func TestPageHeader(t *testing.T) {
	html := render(t, PageHeader(PageHeaderProps{Title: "Credentials", Description: "Newest first.", TestID: "page-title"}),
		LinkButton(LinkButtonProps{Href: "/credentials/issue", TestID: "issue"}))
	has(t, html, `<h1`, `data-testid="page-title"`, `Credentials</h1>`, `Newest first.`, `<a href="/credentials/issue"`, `data-testid="issue"`)
}

// An empty list says what it will hold and offers the first step.
func TestEmptyStateCallToAction(t *testing.T) {
	html := render(t, EmptyState(EmptyStateProps{Title: "No schemas yet", Text: "A schema lists the fields.", Action: "New schema", Href: "/schemas/new", TestID: "schemas-empty"}))
	has(t, html, `data-testid="schemas-empty"`, `<h2`, `No schemas yet</h2>`, `A schema lists the fields.`, `<a href="/schemas/new"`, `data-testid="empty-action"`, `New schema</a>`)
	hasNot(t, render(t, EmptyState(EmptyStateProps{Title: "Nothing"})), `<a `)
}

// The branded area carries the organization's scope class only when it has a look.
func TestBrandedArea(t *testing.T) {
	html := render(t, Branded(BrandedProps{Scope: "tc-brand-42", Class: "space-y-6"}), templ.Raw(`<p>inside</p>`))
	has(t, html, `class="space-y-6 tc-brand-42"`, `data-testid="branded-area"`, `<p>inside</p>`)
	hasNot(t, render(t, Branded(BrandedProps{Class: "space-y-6"}), templ.Raw(`<p>inside</p>`)), `tc-brand`, `branded-area`)
}
