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
