package ui

import (
	"strings"
	"testing"
)

// The sidebar is a named navigation landmark of <details> groups (open,
// foldable without script), and marks only the current item.
func TestSidebarNav(t *testing.T) {
	html := render(t, SidebarNav(SidebarNavProps{Label: "Main", TestID: "side", Groups: []SidebarGroup{
		{Label: "Credentials", Items: []SidebarItem{{Label: "Issue", Href: "/credentials/issue", Current: true}, {Label: "Credentials", Href: "/credentials"}}},
		{Label: "Design", Items: []SidebarItem{{Label: "Schemas", Href: "/schemas"}}},
	}}))
	for _, want := range []string{`<nav aria-label="Main" data-testid="side">`, `<details open`, `<summary`, `>Credentials`, `>Design`,
		`<a href="/credentials/issue" aria-current="page"`} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %s in\n%s", want, html)
		}
	}
	if n := strings.Count(html, "aria-current"); n != 1 {
		t.Errorf("%d items marked current, want 1", n)
	}
	if n := strings.Count(html, "<details"); n != 2 {
		t.Errorf("%d groups, want 2", n)
	}
}

// A stat tile is a description list: the label as its term, the value as
// the first description, and the trend (with its arrow hidden from screen
// readers, the words saying it).
func TestStat(t *testing.T) {
	html := render(t, Stat(StatProps{Label: "Issued this month", Value: "12", Href: "/credentials", Detail: "Up from 3", Trend: TrendUp, TestID: "s"}))
	for _, want := range []string{`<dl>`, `<dt`, `<a href="/credentials"`, `>Issued this month</a>`, `data-testid="stat-value">12</dd>`,
		`aria-hidden="true"`, `<span>Up from 3</span>`} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %s in\n%s", want, html)
		}
	}
	if plain := render(t, Stat(StatProps{Label: "Users", Value: "4"})); strings.Contains(plain, "stat-trend") || strings.Contains(plain, "<a ") {
		t.Errorf("a stat without detail or link:\n%s", plain)
	}
}
