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
