package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Wait polls the JavaScript condition in the page until it is true. When
// the tab's deadline comes first it fails the test saying what it waited
// for, the condition, the page's address and the start of its text: a slow
// machine makes a test slower, not red, and a real failure says why.
func Wait(t *testing.T, tab context.Context, what, condition string) {
	t.Helper()
	poll := tab
	if d, ok := tab.Deadline(); ok {
		// Keep a few seconds of the tab's budget to describe the page.
		var cancel context.CancelFunc
		poll, cancel = context.WithDeadline(tab, d.Add(-min(5*time.Second, time.Until(d)/4)))
		defer cancel()
	}
	start := time.Now()
	var err error
	for {
		if err = chromedp.Do(poll, chromedp.Poll[chromedp.Void](condition)); err == nil {
			return
		}
		if poll.Err() != nil {
			break
		}
		// A navigation ended the evaluation (the page the condition is
		// about may be the next one): ask the new page.
		select {
		case <-poll.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	state, serr := chromedp.Run(tab, chromedp.Evaluate[string](`location.href + "\n" + (document.body ? document.body.innerText : "").slice(0, 600)`))
	if serr != nil {
		state = "(page unreadable: " + serr.Error() + ")"
	}
	t.Fatalf("waited %s for %s: %v\ncondition: %s\npage: %s", time.Since(start).Round(time.Millisecond), what, err, condition, state)
}
