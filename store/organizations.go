package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// ErrSlugTaken is returned when another organization has the slug (or DID).
var ErrSlugTaken = errors.New("an organization with this address already exists")

// CreateOrganization creates an organization (platform-wide operation:
// registration, operator tools) and audits it.
func (db *DB) CreateOrganization(ctx context.Context, o *Organization, actor Actor) error {
	return db.inTx(ctx, func(tx *gorm.DB) error {
		err := tx.Create(o).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return ErrSlugTaken
		}
		if err != nil {
			return err
		}
		actor.OrganizationID = &o.ID
		return audit(tx, actor, "organization.created", "organization", o.ID,
			AuditDetails{Summary: fmt.Sprintf("Created %s (%s)", o.Name, o.Slug)})
	})
}
