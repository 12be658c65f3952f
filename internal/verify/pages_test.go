package verify_test

import (
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/verify"
)

// The page cache is bounded by the pages' bytes plus their bookkeeping,
// so that TRUSTCRED_PAGE_CACHE_MB bounds its memory whatever the pages
// weigh; with no budget it keeps nothing.
func TestPagesBoundedByBytes(t *testing.T) {
	s := verify.Stamp{Status: "active"}
	now := time.Now()
	page := func(n int) *verify.Page {
		return &verify.Page{HTML: make([]byte, n), Report: []byte(`{"verified":true}`), Verdict: "valid",
			CredentialID: "c", OrganizationID: "o"}
	}
	pages := verify.NewPages(3 * 8 << 10)
	pages.Put("a", s, page(8<<10), nil, nil)
	pages.Put("b", s, page(8<<10), nil, nil)
	if pages.Len() != 2 || pages.Weight() <= 2*8<<10 {
		t.Fatalf("%d pages weighing %d; want 2 weighing more than their HTML", pages.Len(), pages.Weight())
	}
	pages.Put("c", s, page(8<<10), nil, nil) // with the bookkeeping, three do not fit
	if _, ok := pages.Get("a", s, now); ok {
		t.Error("the least recently used page was kept over the budget")
	}
	if got, ok := pages.Get("c", s, now); !ok || got.Verdict != "valid" {
		t.Error("the newest page was not kept")
	}

	none := verify.NewPages(0)
	none.Put("a", s, page(10), nil, nil)
	if _, ok := none.Get("a", s, now); ok || none.Len() != 0 {
		t.Error("a page kept with no budget")
	}
}
