package store

import "context"

// InsertVerificationLogs writes a batch of verification log rows in one
// transaction (platform-wide: public verifications are logged too).
func (db *DB) InsertVerificationLogs(ctx context.Context, logs []VerificationLog) error {
	if len(logs) == 0 {
		return nil
	}
	return db.gorm.WithContext(ctx).CreateInBatches(logs, 500).Error
}

// PublicCredential is a credential by its public id, platform-wide (the
// public verification page), with its schema, template and issuer.
func (db *DB) PublicCredential(ctx context.Context, publicID string) (*Credential, error) {
	var c Credential
	err := db.gorm.WithContext(ctx).Preload("Schema").Preload("Template").Preload("Issuer").
		First(&c, "public_id = ?", publicID).Error
	return &c, notFound(err)
}

// StatusListVersions are the current versions of a credential's
// revocation and suspension lists (0 when it has none): what a cached
// verification of it depends on.
func (db *DB) StatusListVersions(ctx context.Context, c *Credential) (revocation, suspension int, err error) {
	var ids []string
	for _, id := range []*string{c.StatusListID, c.SuspensionListID} {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	if len(ids) == 0 {
		return 0, 0, nil
	}
	var rows []StatusList
	if err := db.gorm.WithContext(ctx).Select("id", "version").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return 0, 0, err
	}
	for _, l := range rows {
		if c.StatusListID != nil && l.ID == *c.StatusListID {
			revocation = l.Version
		}
		if c.SuspensionListID != nil && l.ID == *c.SuspensionListID {
			suspension = l.Version
		}
	}
	return revocation, suspension, nil
}
