package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
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
