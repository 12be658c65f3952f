package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"gorm.io/gorm"
)

// IssuerDIDStamp is what an organization's did:web document depends on,
// read in one query: the organization (its id and status; its slug is how
// it was found) and its signing keys (keys are only ever added, so their
// count and newest creation say which are published). A verifier keeps a
// DID document while the stamp it was built under is unchanged.
type IssuerDIDStamp struct {
	OrganizationID string
	Status         OrganizationStatus
	Updated        time.Time
	Keys           int
	NewestKey      string // the newest key's created_at, as the database writes it
}

// IssuerDIDStamp reads the stamp of the organization with this slug
// (platform-wide: DID documents are public); ErrNotFound for none.
func (db *DB) IssuerDIDStamp(ctx context.Context, slug string) (IssuerDIDStamp, error) {
	q := `SELECT o.id, o.status, o.updated_at, COUNT(k.id), MAX(k.created_at)
		FROM organizations o LEFT JOIN signing_keys k ON k.organization_id = o.id
		WHERE o.slug = ? GROUP BY o.id, o.status, o.updated_at`
	if db.dialect == Postgres {
		q = strings.Replace(q, "?", "$1", 1)
	}
	var st IssuerDIDStamp
	var newest sql.NullString
	err := db.sql.QueryRowContext(ctx, q, slug).Scan(&st.OrganizationID, &st.Status, &st.Updated, &st.Keys, &newest)
	if errors.Is(err, sql.ErrNoRows) {
		return st, ErrNotFound
	}
	if err != nil {
		return st, err
	}
	st.Updated, st.NewestKey = st.Updated.UTC(), newest.String
	return st, nil
}

// issuerGen counts the writes this process made to organizations and
// signing keys (in any database it opened), which is what a DID stamp is
// made of: a stamp cached before such a write is not served after it.
// GORM callbacks bump it at the write (every write to those tables goes
// through GORM) and Scoped.InTx again after its commit.
var issuerGen atomic.Uint64

// watchIssuerWrites registers the callbacks that bump issuerGen.
func watchIssuerWrites(g *gorm.DB) error {
	bump := func(tx *gorm.DB) {
		if t := tx.Statement.Table; t == "organizations" || t == "signing_keys" {
			issuerGen.Add(1)
		}
	}
	cb := g.Callback()
	if err := cb.Create().After("gorm:create").Register("trustcred:issuer_gen_create", bump); err != nil {
		return err
	}
	if err := cb.Update().After("gorm:update").Register("trustcred:issuer_gen_update", bump); err != nil {
		return err
	}
	return cb.Delete().After("gorm:delete").Register("trustcred:issuer_gen_delete", bump)
}

type didStampCache struct {
	once sync.Once
	lru  *lru.Cache[string, cachedDIDStamp]
}

type cachedDIDStamp struct {
	stamp IssuerDIDStamp
	gen   uint64
	at    time.Time
}

func (c *didStampCache) cache() *lru.Cache[string, cachedDIDStamp] {
	c.once.Do(func() { c.lru, _ = lru.New[string, cachedDIDStamp](maxCachedListStamps) })
	return c.lru
}

// IssuerDIDStampFresh is IssuerDIDStamp read at most maxAge ago. A change
// of the organization or its keys made by this process is seen at once;
// one made by another process on the same database within maxAge.
func (db *DB) IssuerDIDStampFresh(ctx context.Context, slug string, maxAge time.Duration) (IssuerDIDStamp, error) {
	gen := issuerGen.Load()
	if e, ok := db.didStamps.cache().Get(slug); ok && e.gen == gen && time.Since(e.at) < maxAge {
		return e.stamp, nil
	}
	st, err := db.IssuerDIDStamp(ctx, slug)
	if err == nil {
		db.didStamps.cache().Add(strings.Clone(slug), cachedDIDStamp{stamp: st, gen: gen, at: time.Now()})
	}
	return st, err
}
