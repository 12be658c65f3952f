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
// operator tools, tests) and audits it. ErrSlugTaken or ErrNameTaken when
// another organization has the slug or the name.
func (db *DB) CreateOrganization(ctx context.Context, o *Organization, actor Actor) error {
	err := db.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(o).Error; err != nil {
			return err
		}
		actor.OrganizationID = &o.ID
		return audit(tx, actor, "organization.created", "organization", o.ID,
			AuditDetails{Summary: fmt.Sprintf("Created %s (%s)", o.Name, o.Slug)})
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		if cerr := registrationConflicts(db.gorm.WithContext(ctx), o.Slug, o.Name, ""); cerr != nil {
			return cerr
		}
		return ErrSlugTaken
	}
	return err
}
