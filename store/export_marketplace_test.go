package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
)

// MarketplaceSQL is the catalogue's query for f (its category filter the
// given tree) after cur, as the store runs it: for the plan tests.
// counted: the trending order reads adoptions_30d.
func MarketplaceSQL(db *DB, f MarketplaceFilter, categories []string, cur *Cursor, counted bool) string {
	q := db.gorm.ToSQL(func(tx *gorm.DB) *gorm.DB {
		m := marketplaceQuery{f: f, sort: f.sort(), terms: searchTerms(f.Query), categories: categories, after: cur,
			limit: DefaultMarketplacePage + 1, windowEnd: time.Now().UTC().Truncate(time.Second), counted: counted}
		q, err := db.CrossOrg().marketplaceSQL(tx.WithContext(context.Background()), m)
		if err != nil {
			panic(err)
		}
		var rows []MarketplaceEntry
		return q.Find(&rows)
	})
	if db.dialect == SQLite {
		// ToSQL writes SQLite's string values in double quotes, which SQLite
		// reads as names; the query itself quotes no name.
		q = strings.ReplaceAll(q, `"`, "'")
	}
	return q
}

// SetSearchBounds sets below how many matches a search ranks them all and
// how many listings a tier's walk reads, until the test ends.
func SetSearchBounds(t interface{ Cleanup(func()) }, few, walk int) {
	oldFew, oldWalk := marketSearchFew, marketSearchWalk
	marketSearchFew, marketSearchWalk = few, walk
	t.Cleanup(func() { marketSearchFew, marketSearchWalk = oldFew, oldWalk })
}
