package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// The events docs page as a visitor reads it: reached from the footer, at
// a phone's and a laptop's width nothing sticks out (the code blocks and
// field tables scroll inside themselves), an example body opens with one
// click, and axe finds nothing serious.
func TestBrowserEventsDocs(t *testing.T) {
	_, base := webtest.Served(t, store.SQLite)
	tab := browsertest.Tab(t)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.CSS(`[data-testid="footer-events-docs"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="events-docs"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="event-credential.issued"] summary`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the example body of credential.issued to show",
		`document.querySelector('[data-testid="event-credential.issued"] details').open && `+
			`document.querySelector('[data-testid="event-credential.issued"] pre').offsetHeight > 100`)
	look(t, tab, "events-docs")
	browsertest.Axe(t, tab, "events-docs")
}
