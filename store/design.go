package store

import (
	"context"
	"database/sql"
	"errors"
)

// DesignDocument is the design_data of one of the organization's active
// certificate designs, as stored (internal/design reads it): nil when the
// design is gone or inactive, so that the caller falls back to the
// default design.
func (s *Scoped) DesignDocument(ctx context.Context, id string) ([]byte, error) {
	if !validUUID(id) {
		return nil, nil
	}
	var raw []byte
	err := s.q(ctx, &CustomCredentialTemplate{}).Select("design_data").
		Where("id = ? AND is_active", id).Row().Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return raw, err
}
