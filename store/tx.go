package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// newID fills *id with a UUIDv7 unless the caller already chose one. UUIDv7 ids sort by
// creation time, which keeps B-tree inserts local on both dialects.
func newID(id *string) error {
	if *id != "" {
		return nil
	}
	u, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("store: new id: %w", err)
	}
	*id = u.String()
	return nil
}

// emptyIfNil makes a nil JSON array column store [] rather than null: the migrations
// require every JSON array column to hold an array.
func emptyIfNil[T any](s *datatypes.JSONSlice[T]) {
	if *s == nil {
		*s = datatypes.JSONSlice[T]{}
	}
}

// inTx runs fn in a transaction.
func (db *DB) inTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return db.gorm.WithContext(ctx).Transaction(fn)
}

// lockPlatform serializes platform-wide check-then-insert steps on
// PostgreSQL for the rest of the transaction (SQLite's immediate
// transactions already do).
func lockPlatform(tx *gorm.DB, d Dialect) error {
	if d != Postgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", seedLockID).Error
}

// notFound maps GORM's not-found error to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// lockRow locks the rows a query reads for the rest of the transaction on
// PostgreSQL (SQLite's immediate transactions already serialize writers).
func lockRow(tx *gorm.DB, d Dialect) *gorm.DB {
	if d == Postgres {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// ValidID reports whether s is an id the store could have made (validUUID), for a
// handler that builds a handle from an id in a public URL (/brand/<org id>/…).
func ValidID(s string) bool { return validUUID(s) }

// validUUID reports whether id is the canonical lower-case UUID that newID
// makes: the one id check of the store. Lookups check it first, so that an
// id in any other spelling is a plain not-found on both dialects (PostgreSQL
// would match an upper-case or braced id, fail on one it cannot read as a
// UUID, and SQLite would find neither); such an id can only come from a
// mistyped or forged URL.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
				return false
			}
		}
	}
	return true
}
