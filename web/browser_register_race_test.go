package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// The URL-name check with its answers out of order, in a real browser: a
// check for the URL name made from the organization's name is held back
// (a slow network, a busy server) while the person types a URL name by
// hand, which is already taken; the held answer (the name's URL name,
// "available") arrives last. It must not replace what was typed nor say
// that a taken URL name is free: the name's and the URL name's checks
// share the form's queue, so the newer check cancels the older one. The
// test waits on conditions only: every request htmx started has ended
// (answered or cancelled) and the page has settled.
func TestBrowserRegistrationSlugAnswersOutOfOrder(t *testing.T) {
	env, backend := webtest.Served(t, store.SQLite)
	env.Org("acme") // the URL name the person will type
	target, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var (
		once    sync.Once
		held    sync.WaitGroup
		arrived = make(chan struct{})
		release = make(chan struct{})
	)
	// The checks the name triggers are held until released; the check of
	// the URL name typed by hand goes straight through.
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/register/slug" && r.URL.Query().Get("slug") != "acme" {
			held.Add(1)
			defer held.Done()
			once.Do(func() { close(arrived) })
			<-release
			proxy.ServeHTTP(w, r)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	tab := browsertest.Tab(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	if err := chromedp.Do(tab,
		chromedp.Navigate(front.URL+"/register"),
		chromedp.WaitVisible(css(`[data-testid="register-form"]`)),
		chromedp.Evaluate[chromedp.Void](`window.sent = 0; window.ended = 0;
			document.body.addEventListener('htmx:beforeSend', () => window.sent++);
			document.body.addEventListener('htmx:afterRequest', () => window.ended++)`),
		chromedp.SendKeys(css(`#f-name`), "Northfield College"),
	); err != nil {
		t.Fatal(err)
	}
	<-arrived // the name's check is on its way, and held
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#f-slug').value = ''`),
		chromedp.SendKeys(css(`#f-slug`), "acme"),
	); err != nil {
		t.Fatal(err)
	}
	// (Not "settled": a check still in flight, the held one, would be the
	// race itself; the last wait and the assertion say so.)
	browsertest.Wait(t, tab, "the hand-typed URL name acme to be answered: taken",
		`document.querySelector('[data-testid="slug-status"]').dataset.slug === 'acme' && `+
			`!!document.querySelector('[data-testid="error-slug"]') && `+
			`!document.querySelector('#f-slug.htmx-request, .htmx-swapping, .htmx-settling')`)
	close(release)
	held.Wait() // the held answers have gone out (to requests the browser may have cancelled)
	browsertest.Wait(t, tab, "every check htmx started to have ended, and the page to have settled",
		`window.sent > 0 && window.sent === window.ended && `+settled)
	type state struct {
		Value     string `json:"value"`
		Checked   string `json:"checked"`
		Available bool   `json:"available"`
		Taken     bool   `json:"taken"`
	}
	got, err := chromedp.Run(tab, chromedp.Evaluate[state](`({
		value: document.querySelector('#f-slug').value,
		checked: document.querySelector('[data-testid="slug-status"]').dataset.slug,
		available: !!document.querySelector('[data-testid="slug-available"]'),
		taken: !!document.querySelector('[data-testid="error-slug"]'),
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if got != (state{Value: "acme", Checked: "acme", Taken: true}) {
		t.Errorf("after the late answer: %+v, want the typed URL name acme, still said to be taken", got)
	}
}
