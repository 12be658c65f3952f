package verify

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/trustcred/trustcred/store"
)

// Stamp is what a cached view of one of our credentials depends on
// besides time: the credential's and its issuer's status and last change,
// and the versions of its two status lists (bumped on every bit change).
// It is read with one indexed query (store.DB.CredentialStamp).
type Stamp = store.CredentialStamp

// Cache keeps views of this server's credentials (the decrypted document
// and its verification), so that viewing a credential's page does not
// decrypt, parse, canonicalize and check its signature again on every
// request. A view is reused only while the credential's Stamp is
// unchanged and within its validity window.
type Cache[T any] struct {
	lru *lru.Cache[string, cacheEntry[T]]

	// Bounded by weight (NewWeightedCache): the sum of the entries'
	// weights stays at most maxWeight.
	weight    func(T) int64
	maxWeight int64
	total     atomic.Int64
	put       sync.Mutex // orders Put's remove-then-add against other Puts
}

type cacheEntry[T any] struct {
	stamp       Stamp
	from, until time.Time // zero: unbounded
	value       T
}

// NewCache makes a cache of up to size outcomes (least recently used
// evicted first).
func NewCache[T any](size int) *Cache[T] {
	c, err := lru.New[string, cacheEntry[T]](max(size, 1))
	if err != nil {
		panic(err) // only for a size < 1, excluded above
	}
	return &Cache[T]{lru: c}
}

// NewWeightedCache makes a cache bounded by the sum of weight over its
// entries (bytes, say), at most maxWeight, least recently used evicted
// first; an entry heavier than maxWeight is not kept.
func NewWeightedCache[T any](maxWeight int64, weight func(T) int64) *Cache[T] {
	c := &Cache[T]{weight: weight, maxWeight: maxWeight}
	// The count bound only keeps the LRU's own bookkeeping finite; the
	// weight is the bound that matters.
	l, err := lru.NewWithEvict[string, cacheEntry[T]](1<<24, func(_ string, e cacheEntry[T]) {
		c.total.Add(-weight(e.value))
	})
	if err != nil {
		panic(err)
	}
	c.lru = l
	return c
}

// Get returns the outcome for a credential if it is still current.
func (c *Cache[T]) Get(publicID string, stamp Stamp, now time.Time) (T, bool) {
	var zero T
	e, ok := c.lru.Get(publicID)
	if !ok {
		return zero, false
	}
	if e.stamp != stamp || (!e.from.IsZero() && now.Before(e.from)) || (!e.until.IsZero() && !now.Before(e.until)) {
		c.lru.Remove(publicID)
		return zero, false
	}
	return e.value, true
}

// Last returns the outcome cached for a credential whatever its stamp, if
// now is within its validity window: for when the stamp cannot be read
// (the database is down), the last verdict known. It does not remove or
// reorder entries.
func (c *Cache[T]) Last(publicID string, now time.Time) (T, bool) {
	var zero T
	e, ok := c.lru.Peek(publicID)
	if !ok || (!e.from.IsZero() && now.Before(e.from)) || (!e.until.IsZero() && !now.Before(e.until)) {
		return zero, false
	}
	return e.value, true
}

// Put keeps an outcome computed for stamp; validFrom and validUntil bound
// when it may be reused (nil: unbounded).
func (c *Cache[T]) Put(publicID string, stamp Stamp, v T, validFrom, validUntil *time.Time) {
	// The key outlives the call: a copy, in case the caller's string points
	// into a buffer it reuses (Fiber's route parameters do).
	publicID = strings.Clone(publicID)
	e := cacheEntry[T]{stamp: stamp, value: v}
	if validFrom != nil {
		e.from = *validFrom
	}
	if validUntil != nil {
		e.until = *validUntil
	}
	if c.weight == nil {
		c.lru.Add(publicID, e)
		return
	}
	w := c.weight(v)
	if w > c.maxWeight {
		return
	}
	c.put.Lock()
	defer c.put.Unlock()
	// Remove first: replacing an entry in place would not report the old
	// one's weight to the eviction callback.
	c.lru.Remove(publicID)
	c.total.Add(w)
	c.lru.Add(publicID, e)
	for c.total.Load() > c.maxWeight {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			break
		}
	}
}

// Weight is the sum of the cached entries' weights (0 for a cache bounded
// by count).
func (c *Cache[T]) Weight() int64 { return c.total.Load() }

// Len is the number of cached outcomes.
func (c *Cache[T]) Len() int { return c.lru.Len() }
