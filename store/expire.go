package store

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// ExpireCredentials marks active credentials whose expiry has passed as
// expired (platform-wide), at most batch at a time, each with its status
// history entry, and returns how many it marked. Suspended credentials
// keep their status until reinstated; revoked ones stay revoked.
func (db *DB) ExpireCredentials(ctx context.Context, now time.Time, batch int) (int, error) {
	var n int
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var due []Credential
		if err := lockRow(tx, db.dialect).Select("id", "issuer_id").
			Where("status = ? AND expires_at IS NOT NULL AND expires_at <= ?", CredentialActive, now.UTC()).
			Order("expires_at").Limit(batch).Find(&due).Error; err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		ids := make([]string, len(due))
		changes := make([]CredentialStatusChange, len(due))
		for i, c := range due {
			ids[i] = c.ID
			changes[i] = CredentialStatusChange{CredentialID: c.ID, OrganizationID: c.IssuerID, FromStatus: CredentialActive,
				ToStatus: CredentialExpired, Via: ViaSystem}
		}
		res := tx.Model(&Credential{}).Where("id IN ? AND status = ?", ids, CredentialActive).Update("status", CredentialExpired)
		if res.Error != nil {
			return res.Error
		}
		n = int(res.RowsAffected)
		return tx.CreateInBatches(changes, 200).Error
	})
	return n, err
}
