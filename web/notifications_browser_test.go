package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// A notification created in the store shows in the bell's count at the
// next poll; the dropdown lists it, and "Mark all read" there brings the
// count back to zero, all without a page load.
func TestBrowserNotificationBell(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	u := env.User(store.RoleIssuer, env.Org("acme"))
	base := env.Serve()

	label := `document.querySelector('#notification-bell').getAttribute('aria-label')`
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#f-email`, u.Email),
		chromedp.SendKeys(`#f-password`, webtest.Password),
		chromedp.Click(testID("login-submit")),
		chromedp.WaitVisible(testID("dashboard")),
		chromedp.WaitVisible(`#notification-bell`),
	); err != nil {
		t.Fatal(err)
	}
	// The bell asks for its count on load.
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](label+` === 'Notifications: none unread' && !document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping, .htmx-request')`)); err != nil {
		t.Fatalf("the bell did not load its count: %v", err)
	}
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.samePage = true`)); err != nil {
		t.Fatal(err)
	}

	for _, title := range []string{"Organization approved", "Welcome aboard"} {
		if _, err := env.DB.Notify(context.Background(), []string{u.ID}, store.Notification{Type: store.NotifySystemAlert, Title: title, Message: "Hello."}); err != nil {
			t.Fatal(err)
		}
	}
	// The next poll (not waiting 30 s: the event the bell also listens to).
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`htmx.trigger(document.body, 'notifications-changed'), true`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](label+` === 'Notifications: 2 unread' && document.querySelector('[data-testid="notification-count"]').innerText === '2'`)); err != nil {
		t.Fatalf("the bell did not show 2 unread: %v", err)
	}

	// Open the dropdown: the latest load into it.
	if err := chromedp.Do(tab,
		chromedp.Click(`#notification-bell`),
		chromedp.WaitVisible(testID("notification-latest-item")),
	); err != nil {
		t.Fatal(err)
	}
	n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="notification-latest-item"]').length`))
	if err != nil || n != 2 {
		t.Fatalf("dropdown items: %d %v", n, err)
	}

	// Mark all read: the dropdown and the bell refresh in place. (The
	// dropdown's buttons get their htmx behaviour when its swap settles; a
	// click before that would submit the form the plain way.)
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](`!document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping, .htmx-request')`)); err != nil {
		t.Fatalf("the dropdown did not settle: %v", err)
	}
	if err := chromedp.Do(tab, chromedp.Click(testID("notification-read-all"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](label+` === 'Notifications: none unread' && !document.querySelector('[data-testid="notification-count"]')`+
		` && !document.querySelector('[data-testid="notification-read-all"]') && window.samePage === true`)); err != nil {
		t.Fatalf("the count did not go to zero in place: %v", err)
	}
	if unread, err := env.DB.Account(u.ID).UnreadNotifications(context.Background()); err != nil || unread != 0 {
		t.Fatalf("unread in the database: %d %v", unread, err)
	}

	// The list page, as a person looks at it: the two, then an empty
	// filter that says how to get them back.
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/notifications"), chromedp.WaitVisible(testID("notifications-table"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Look(t, tab, "notifications")
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/notifications?unread=1"), chromedp.WaitVisible(testID("notifications-empty")),
		chromedp.WaitVisible(testID("empty-action"))); err != nil {
		t.Fatalf("the empty filter has no way back: %v", err)
	}
	browsertest.Look(t, tab, "notifications-empty")
}
