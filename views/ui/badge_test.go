package ui

import (
	"strings"
	"testing"
)

// One status is one colour on every page: a revoked credential, a
// revoked organization and a revoked API key look alike.
func TestBadgeOneColourPerStatus(t *testing.T) {
	for status, want := range map[string]string{"active": "bg-green-50", "completed": "bg-green-50", "suspended": "bg-amber-50",
		"pending": "bg-amber-50", "revoked": "bg-red-50", "deactivated": "bg-slate-100", "cancelled": "bg-slate-100", "something-new": "bg-slate-100"} {
		html := render(t, Badge(BadgeProps{Label: strings.ToUpper(status), Status: status, TestID: "status-" + status}))
		has(t, html, `<span class="`, want, `data-testid="status-`+status+`"`, `data-status="`+status+`"`, strings.ToUpper(status)+`</span>`)
	}
	has(t, render(t, Badge(BadgeProps{Label: "Public", Tone: ToneInfo})), `bg-sky-50`, `>Public</span>`)
}
