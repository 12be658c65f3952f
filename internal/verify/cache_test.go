package verify_test

import (
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/verify"
)

func TestCacheInvalidation(t *testing.T) {
	c := verify.NewCache[*verify.Result](2)
	now := time.Now()
	until := now.Add(time.Hour)
	s := verify.Stamp{Status: "active", IssuerStatus: "active", Revocation: 3, Suspension: 7, Updated: now}
	r := &verify.Result{Verified: true, Verdict: verify.Valid}
	c.Put("a", s, r, nil, &until)
	if got, ok := c.Get("a", s, now); !ok || got != r {
		t.Fatal("fresh outcome not reused")
	}
	for name, changed := range map[string]verify.Stamp{
		"status":     {Status: "revoked", IssuerStatus: "active", Revocation: 3, Suspension: 7},
		"issuer":     {Status: "active", IssuerStatus: "suspended", Revocation: 3, Suspension: 7},
		"revocation": {Status: "active", IssuerStatus: "active", Revocation: 4, Suspension: 7},
		"suspension": {Status: "active", IssuerStatus: "active", Revocation: 3, Suspension: 8},
	} {
		c.Put("a", s, r, nil, &until)
		if _, ok := c.Get("a", changed, now); ok {
			t.Errorf("outcome reused after the %s changed", name)
		}
	}
	c.Put("a", s, r, nil, &until)
	if _, ok := c.Get("a", s, until); ok {
		t.Error("outcome reused once the credential expired")
	}
	from := now.Add(time.Minute)
	c.Put("b", s, r, &from, nil)
	if _, ok := c.Get("b", s, now); ok {
		t.Error("outcome reused before the credential is valid")
	}
	c.Put("c", s, r, nil, nil)
	c.Put("d", s, r, nil, nil)
	c.Put("e", s, r, nil, nil)
	if c.Len() != 2 {
		t.Errorf("cache holds %d, bound 2", c.Len())
	}
}

func TestWeightedCacheBoundsTheSum(t *testing.T) {
	c := verify.NewWeightedCache[[]byte](10, func(b []byte) int64 { return int64(len(b)) })
	s := verify.Stamp{Status: "active"}
	c.Put("a", s, make([]byte, 4), nil, nil)
	c.Put("b", s, make([]byte, 4), nil, nil)
	if c.Weight() != 8 || c.Len() != 2 {
		t.Fatalf("weight %d, %d entries; want 8, 2", c.Weight(), c.Len())
	}
	c.Get("a", s, time.Now()) // a is now the most recently used
	c.Put("c", s, make([]byte, 4), nil, nil)
	if _, ok := c.Get("b", s, time.Now()); ok {
		t.Error("the least recently used entry was kept over the bound")
	}
	if _, ok := c.Get("a", s, time.Now()); !ok {
		t.Error("a recently used entry was evicted")
	}
	if c.Weight() != 8 {
		t.Errorf("weight %d after eviction, want 8", c.Weight())
	}
	// Replacing an entry counts the new weight only.
	c.Put("a", s, make([]byte, 2), nil, nil)
	if c.Weight() != 6 {
		t.Errorf("weight %d after replacing a, want 6", c.Weight())
	}
	// A stale entry dropped on Get gives its weight back.
	c.Get("c", verify.Stamp{Status: "revoked"}, time.Now())
	if c.Weight() != 2 || c.Len() != 1 {
		t.Errorf("weight %d, %d entries after a stale read; want 2, 1", c.Weight(), c.Len())
	}
	c.Put("huge", s, make([]byte, 11), nil, nil)
	if _, ok := c.Get("huge", s, time.Now()); ok || c.Weight() != 2 {
		t.Errorf("an entry over the whole bound was kept (weight %d)", c.Weight())
	}
}

func TestCheckComplexity(t *testing.T) {
	ok := map[string]any{"a": []any{map[string]any{"b": 1}}}
	if err := verify.CheckComplexity(ok); err != nil {
		t.Fatal(err)
	}
	deep := any("leaf")
	for range verify.MaxDepth + 2 {
		deep = map[string]any{"x": deep}
	}
	if err := verify.CheckComplexity(deep); err != verify.ErrTooComplex {
		t.Fatalf("deep: %v", err)
	}
	wide := make([]any, verify.MaxNodes+1)
	for i := range wide {
		wide[i] = map[string]any{}
	}
	if err := verify.CheckComplexity(map[string]any{"w": wide}); err != verify.ErrTooComplex {
		t.Fatalf("wide: %v", err)
	}
}
