package store

import (
	"fmt"

	"github.com/google/uuid"
	"gorm.io/datatypes"
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

// validID reports whether id has the canonical UUID form of the ids newID
// makes. Lookups check it first: on PostgreSQL a malformed id in a UUID
// column is an error, and it can only come from a mistyped or forged URL,
// which must be a plain not-found.
func validID(id string) bool {
	_, err := uuid.Parse(id)
	return len(id) == 36 && err == nil
}
