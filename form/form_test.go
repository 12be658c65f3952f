package form

import (
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/store"
)

// Every list words its day filter's errors the same: a day that is not
// yyyy-mm-dd, and a "to" day before the "from" day.
func TestParseDays(t *testing.T) {
	for _, tc := range []struct {
		from, to         string
		wantFrom, wantTo string // the error under each, "" for none
		end              string // the End of the range, "" when open
	}{
		{"", "", "", "", ""},
		{"2026-01-05", "2026-01-31", "", "", "2026-02-01"},
		{"2026-01-31", "2026-01-31", "", "", "2026-02-01"},
		{"31/01/2026", "", "Enter a date as yyyy-mm-dd", "", ""},
		{"", "2026-02-30", "", "Enter a date as yyyy-mm-dd", ""},
		{"2026-02-01", "2026-01-31", "", "on or after the “From” day", "2026-02-01"},
		{" 2026-01-05 ", "", "", "", ""},
	} {
		errs := map[string]string{}
		d := ParseDays(errs, tc.from, tc.to)
		for field, want := range map[string]string{"from": tc.wantFrom, "to": tc.wantTo} {
			if got := errs[field]; want == "" && got != "" || !strings.Contains(got, want) {
				t.Errorf("%q–%q: error under %s %q, want %q", tc.from, tc.to, field, got, want)
			}
		}
		if got := d.End(); tc.end == "" && !got.IsZero() || tc.end != "" && got.Format(time.DateOnly) != tc.end {
			t.Errorf("%q–%q: ends %v, want %s", tc.from, tc.to, got, tc.end)
		}
	}
}

func TestParseCursor(t *testing.T) {
	errs := map[string]string{}
	if c := ParseCursor(errs, ""); c != nil || len(errs) > 0 {
		t.Errorf("first page: %v %v", c, errs)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	good := (&store.Cursor{At: at, ID: "0190a0b4-0000-7000-8000-000000000000"}).String()
	if c := ParseCursor(errs, good); c == nil || !c.At.Equal(at) || len(errs) > 0 {
		t.Errorf("a cursor this server wrote: %v %v", c, errs)
	}
	if c := ParseCursor(errs, "not-a-cursor"); c != nil || errs[""] != BadPageLink {
		t.Errorf("an edited cursor: %v %v", c, errs)
	}
}

func TestLinkAndSummary(t *testing.T) {
	if got := Link("/audit", map[string]string{"to": "2026-01-31", "actor": "", "from": "2026-01-01"}); got != "/audit?from=2026-01-01&to=2026-01-31" {
		t.Errorf("Link: %s", got)
	}
	if got := Link("/audit", map[string]string{"actor": ""}); got != "/audit" {
		t.Errorf("Link without a filter: %s", got)
	}
	errs := map[string]string{"to": "B.", "": "A.", "from": "B.", "other": "C."}
	if got := Summary(errs, "from", "to"); got != "A. B." {
		t.Errorf("Summary: %q", got)
	}
	if Filtered("", "") || !Filtered("", "x") {
		t.Error("Filtered")
	}
}
