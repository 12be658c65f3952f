package verify

import (
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Stamp is what a cached verification of one of our credentials depends
// on besides time: the credential's and its issuer's status, and the
// versions of its two status lists (bumped on every bit change).
type Stamp struct {
	Status       string
	IssuerStatus string
	Revocation   int
	Suspension   int
}

// Cache keeps verification outcomes of this server's credentials, so that
// viewing a credential's page does not canonicalize and check its
// signature again on every request. An outcome is reused only while the
// credential's Stamp is unchanged and within its validity window.
type Cache struct {
	lru *lru.Cache[string, cachedResult]
}

type cachedResult struct {
	stamp       Stamp
	from, until time.Time // zero: unbounded
	result      *Result
}

// NewCache makes a cache of up to size outcomes (least recently used
// evicted first).
func NewCache(size int) *Cache {
	c, err := lru.New[string, cachedResult](max(size, 1))
	if err != nil {
		panic(err) // only for a size < 1, excluded above
	}
	return &Cache{lru: c}
}

// Get returns the outcome for a credential if it is still current.
func (c *Cache) Get(publicID string, stamp Stamp, now time.Time) (*Result, bool) {
	e, ok := c.lru.Get(publicID)
	if !ok {
		return nil, false
	}
	if e.stamp != stamp || (!e.from.IsZero() && now.Before(e.from)) || (!e.until.IsZero() && !now.Before(e.until)) {
		c.lru.Remove(publicID)
		return nil, false
	}
	return e.result, true
}

// Put keeps an outcome computed for stamp; validFrom and validUntil bound
// when it may be reused (nil: unbounded).
func (c *Cache) Put(publicID string, stamp Stamp, r *Result, validFrom, validUntil *time.Time) {
	e := cachedResult{stamp: stamp, result: r}
	if validFrom != nil {
		e.from = *validFrom
	}
	if validUntil != nil {
		e.until = *validUntil
	}
	c.lru.Add(publicID, e)
}

// Len is the number of cached outcomes.
func (c *Cache) Len() int { return c.lru.Len() }
