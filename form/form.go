// Package form holds what the list and form pages share below the
// handlers: the "from"/"to" day filters with one wording for their errors,
// the page cursors of keyset-paginated lists and the links that carry a
// filter, and the one-line summary of a filter's errors that an htmx
// request gets (it swaps only the results, not the fields).
package form

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/trustcred/trustcred/store"
)

// The day filters' errors, the same on every list.
const (
	// BadPageLink is the error of a page cursor that is not one this
	// server wrote (edited, truncated, or from another list).
	BadPageLink = "This page link is not valid. Start again from the newest entries."
	dayOrder    = "Choose a “To” day on or after the “From” day."
)

// badDay is the error of a day that is not yyyy-mm-dd, with an example.
func badDay(now time.Time) string {
	return "Enter a date as yyyy-mm-dd, such as " + now.UTC().Format(time.DateOnly) + "."
}

// Days is a filter's range of whole UTC days; a zero bound is open.
type Days struct {
	From time.Time // the first day, at midnight UTC
	To   time.Time // the last day (inclusive), at midnight UTC
}

// End is the instant just after the last day (midnight of the day after
// To), for queries that compare created_at < End; zero when open.
func (d Days) End() time.Time {
	if d.To.IsZero() {
		return time.Time{}
	}
	return d.To.AddDate(0, 0, 1)
}

// ParseDays reads the "from" and "to" fields of a list filter (yyyy-mm-dd,
// as <input type="date"> sends them) and puts what is wrong under "from"
// or "to" in errs, in the same words on every list.
func ParseDays(errs map[string]string, from, to string) Days {
	var d Days
	day := func(field, v string) time.Time {
		if v = strings.TrimSpace(v); v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			errs[field] = badDay(time.Now())
			return time.Time{}
		}
		return t
	}
	d.From, d.To = day("from", from), day("to", to)
	if !d.From.IsZero() && !d.To.IsZero() && d.To.Before(d.From) {
		errs["to"] = dayOrder
	}
	return d
}

// ParseCursor reads a page cursor from the query ("" is the first page)
// and puts BadPageLink under "" in errs when it is not valid.
func ParseCursor(errs map[string]string, v string) *store.Cursor {
	if v == "" {
		return nil
	}
	c, err := store.ParseCursor(v)
	if err != nil || !c.Timed() {
		errs[""] = BadPageLink
		return nil
	}
	return c
}

// Link is path with the parameters that are not empty, in a stable order
// (url.Values encodes sorted by key): the address of a filtered list, or
// of one of its pages when a cursor is among them.
func Link(path string, params map[string]string) string {
	q := url.Values{}
	for k, v := range params {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// Summary is every message of errs in the order of fields (the message
// under "" first when there is one), joined as one paragraph: an htmx
// request swaps only a list's results, so the results say what is wrong
// with the filter above them.
func Summary(errs map[string]string, fields ...string) string {
	var msgs []string
	for _, k := range append([]string{""}, fields...) {
		if m := errs[k]; m != "" && !slices.Contains(msgs, m) {
			msgs = append(msgs, m)
		}
	}
	return strings.Join(msgs, " ")
}

// Filtered reports whether a list has a filter applied: any of its
// parameters is set. A list shows its filter form only when it has
// something to filter or a filter is applied; a new organization sees the
// empty state and its call to action instead.
func Filtered(params ...string) bool {
	for _, p := range params {
		if p != "" {
			return true
		}
	}
	return false
}
