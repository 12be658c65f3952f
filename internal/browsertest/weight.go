package browsertest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Transfer is one response of a page load, as the network carried it.
type Transfer struct {
	URL   string
	Type  network.ResourceType // Document, Stylesheet, Script, Image, Fetch, XHR…
	Bytes int64                // on the wire: headers and the body as encoded (Chrome's encodedDataLength)
}

// ColdLoad opens url in tab with the browser cache disabled, as on a first
// visit, and returns every response that the load and its subresources
// brought, once all have finished. The cache stays disabled in that tab.
func ColdLoad(t *testing.T, tab context.Context, url string) []Transfer {
	t.Helper()
	var (
		mu       sync.Mutex
		on       bool
		started  = map[network.RequestID]*Transfer{}
		finished = map[network.RequestID]bool{}
	)
	if err := chromedp.Listen(tab, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		if !on {
			return
		}
		switch e := ev.(type) {
		case *network.EventResponseReceived:
			if strings.HasPrefix(e.Response.URL, "data:") {
				return
			}
			started[e.RequestID] = &Transfer{URL: e.Response.URL, Type: e.Type}
		case *network.EventLoadingFinished:
			if tr, ok := started[e.RequestID]; ok {
				tr.Bytes = int64(e.EncodedDataLength)
				finished[e.RequestID] = true
			}
		}
	}); err != nil {
		t.Fatalf("cold load of %s: %v", url, err)
	}
	mu.Lock()
	on = true
	mu.Unlock()
	defer func() { mu.Lock(); on = false; mu.Unlock() }()
	if err := chromedp.Do(tab,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
			return err
		}),
		chromedp.Navigate(url),
	); err != nil {
		t.Fatalf("cold load of %s: %v", url, err)
	}
	Wait(t, tab, "the page "+url+" to finish loading", `document.readyState === "complete"`)
	// The load event follows the subresources; their loadingFinished
	// events may still be on their way.
	for {
		mu.Lock()
		done := len(finished) == len(started) && len(started) > 0
		var out []Transfer
		if done {
			for id, tr := range started {
				if finished[id] {
					out = append(out, *tr)
				}
			}
		}
		mu.Unlock()
		if done {
			return out
		}
		select {
		case <-tab.Done():
			t.Fatalf("cold load of %s: %d of %d responses finished before the deadline", url, len(finished), len(started))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Weight sums the bytes of the transfers of the given types.
func Weight(transfers []Transfer, types ...network.ResourceType) (total int64, list string) {
	var b strings.Builder
	for _, tr := range transfers {
		for _, ty := range types {
			if tr.Type == ty {
				total += tr.Bytes
				fmt.Fprintf(&b, "\n  %6d B  %-10s %s", tr.Bytes, tr.Type, tr.URL)
			}
		}
	}
	return total, b.String()
}
