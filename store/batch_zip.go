package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ZipStatus is issuance_batches.zip_status: where the ZIP of a batch's
// certificate PDFs is (nil: never asked for, or cleaned up).
type ZipStatus string

const (
	ZipQueued  ZipStatus = "queued"
	ZipRunning ZipStatus = "running"
	ZipReady   ZipStatus = "ready"
	ZipFailed  ZipStatus = "failed"
)

// ZipRowError is a row whose PDF could not be made.
type ZipRowError struct {
	Row       int    `json:"row"`
	Recipient string `json:"recipient"`
	Reason    string `json:"reason"`
}

// ZipErrors is issuance_batches.zip_errors, a JSON array (never null).
type ZipErrors []ZipRowError

// GormDataType: a JSON column.
func (ZipErrors) GormDataType() string { return "json" }

// Value is the JSON array ("[]" when empty).
func (z ZipErrors) Value() (driver.Value, error) {
	if len(z) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal([]ZipRowError(z))
	return string(b), err
}

// Scan reads the JSON array.
func (z *ZipErrors) Scan(v any) error {
	var b []byte
	switch x := v.(type) {
	case nil:
		*z = nil
		return nil
	case []byte:
		b = x
	case string:
		b = []byte(x)
	default:
		return fmt.Errorf("store: zip_errors: unexpected %T", v)
	}
	return json.Unmarshal(b, (*[]ZipRowError)(z))
}

// ZipState is the ZIP's status ("" for none).
func (b *IssuanceBatch) ZipState() ZipStatus {
	if b.ZipStatus == nil {
		return ""
	}
	return *b.ZipStatus
}

// ZipBusy reports whether the ZIP is queued or being made.
func (b *IssuanceBatch) ZipBusy() bool {
	return b.ZipState() == ZipQueued || b.ZipState() == ZipRunning
}

// QueueBatchZip asks for the ZIP of a finished batch's PDFs, to be
// stored at key: it is queued (progress reset, "batch.zip_requested"
// audited) and reports true with the previous ZIP's key (nil: none), which
// the caller deletes; unless one is already queued or running, or a ready
// one was made from the same fingerprint (false: nothing changes).
// ErrBatchState while the batch is still being issued or when it issued
// nothing.
func (s *Scoped) QueueBatchZip(ctx context.Context, id, fingerprint, key string, actor Actor) (b *IssuanceBatch, old *string, queued bool, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if b, err = s.lockBatch(tx, id); err != nil {
			return err
		}
		switch {
		case !b.Done():
			return &BatchStateError{Msg: "the PDFs can be prepared once the batch has finished"}
		case b.IssuedCount == 0:
			return &BatchStateError{Msg: "no credential was issued in this batch, so there are no PDFs to prepare"}
		case b.ZipBusy():
			return nil
		case b.ZipState() == ZipReady && b.ZipFingerprint != nil && *b.ZipFingerprint == fingerprint:
			return nil
		}
		now := time.Now().UTC()
		st := ZipQueued
		old = b.ZipKey
		// The total until the job counts the issued rows itself.
		b.ZipStatus, b.ZipTotal, b.ZipDone, b.ZipFailed, b.ZipErrors, b.ZipError, b.ZipRequestedAt = &st, b.IssuedCount, 0, 0, nil, nil, &now
		b.ZipKey, b.ZipFingerprint, b.ZipCompletedAt = &key, nil, nil
		if err := s.tenant(tx, &IssuanceBatch{}).Where("id = ?", b.ID).Updates(map[string]any{"zip_status": st, "zip_total": b.IssuedCount,
			"zip_done": 0, "zip_failed": 0, "zip_errors": ZipErrors(nil), "zip_error": nil, "zip_requested_at": now,
			"zip_key": key, "zip_fingerprint": nil, "zip_completed_at": nil}).Error; err != nil {
			return err
		}
		queued = true
		return audit(tx, s.actor(actor), "batch.zip_requested", "issuance_batch", b.ID, AuditDetails{
			Summary: fmt.Sprintf("Asked for the ZIP of the batch's %d certificate PDFs", b.IssuedCount),
		})
	})
	return b, old, queued, err
}

// StartBatchZip marks a queued (or, run again, running) ZIP running with
// its progress at zero and total the batch's issued rows, and returns the
// batch; a batch whose ZIP is in any other state is returned as it is.
func (s *Scoped) StartBatchZip(ctx context.Context, id string) (*IssuanceBatch, error) {
	var b *IssuanceBatch
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if b, err = s.lockBatch(tx, id); err != nil || !b.ZipBusy() {
			return err
		}
		var n int64
		if err := tx.Model(&IssuanceBatchRow{}).Where("batch_id = ? AND status = ? AND credential_id IS NOT NULL", b.ID, RowIssued).
			Count(&n).Error; err != nil {
			return err
		}
		st := ZipRunning
		b.ZipStatus, b.ZipTotal, b.ZipDone, b.ZipFailed, b.ZipErrors = &st, int(n), 0, 0, nil
		return s.tenant(tx, &IssuanceBatch{}).Where("id = ?", b.ID).Updates(map[string]any{"zip_status": st, "zip_total": n,
			"zip_done": 0, "zip_failed": 0, "zip_errors": ZipErrors(nil)}).Error
	})
	return b, err
}

// IssuedRow is a batch row and the credential it issued.
type IssuedRow struct {
	RowNumber    int
	CredentialID string
}

// IssuedBatchRows are a batch's issued rows by number (scoped through the
// batch, like BatchRows).
func (s *Scoped) IssuedBatchRows(ctx context.Context, batchID string) ([]IssuedRow, error) {
	if _, err := s.batchID(ctx, s.db, batchID); err != nil {
		return nil, err
	}
	var rows []IssuedRow
	err := s.db.WithContext(ctx).Model(&IssuanceBatchRow{}).Select("row_number", "credential_id").
		Where("batch_id = ? AND status = ? AND credential_id IS NOT NULL", batchID, RowIssued).Order("row_number").Scan(&rows).Error
	return rows, err
}

// BatchZipProgress records how many rows the running ZIP has handled and
// how many of them failed.
func (s *Scoped) BatchZipProgress(ctx context.Context, id string, done, failed int) error {
	_, err := s.updateZip(ctx, id, []ZipStatus{ZipRunning}, "", map[string]any{"zip_done": done, "zip_failed": failed})
	return err
}

// FinishBatchZip marks the running ZIP stored at key ready, made from
// fingerprint, with the rows that failed. It reports false when the ZIP
// is no longer that one (asked for again, cleaned up): the caller deletes
// the blob it wrote.
func (s *Scoped) FinishBatchZip(ctx context.Context, id, key, fingerprint string, done int, errs ZipErrors) (bool, error) {
	return s.updateZip(ctx, id, []ZipStatus{ZipRunning}, key, map[string]any{"zip_status": ZipReady, "zip_done": done,
		"zip_failed": len(errs), "zip_errors": errs, "zip_fingerprint": fingerprint, "zip_completed_at": time.Now().UTC()})
}

// FailBatchZip marks the ZIP failed with the reason (the job gave up).
func (s *Scoped) FailBatchZip(ctx context.Context, id, reason string) error {
	_, err := s.updateZip(ctx, id, []ZipStatus{ZipQueued, ZipRunning}, "", map[string]any{"zip_status": ZipFailed, "zip_error": reason,
		"zip_completed_at": time.Now().UTC()})
	return err
}

// updateZip updates the ZIP columns of one of the organization's batches
// whose ZIP is in one of the states (and at key, unless ""); it reports
// whether it did. ErrNotFound for another organization's batch.
func (s *Scoped) updateZip(ctx context.Context, id string, states []ZipStatus, key string, updates map[string]any) (bool, error) {
	if !validUUID(id) {
		return false, ErrNotFound
	}
	q := s.tenant(s.db.WithContext(ctx), &IssuanceBatch{}).Where("id = ? AND zip_status IN ?", id, states)
	if key != "" {
		q = q.Where("zip_key = ?", key)
	}
	res := q.Updates(updates)
	if res.Error != nil {
		return false, res.Error
	}
	if res.RowsAffected == 0 {
		if _, err := s.batchID(ctx, s.db, id); err != nil {
			return false, err
		}
	}
	return res.RowsAffected > 0, nil
}

// ExpiredZip is a stored ZIP past its retention.
type ExpiredZip struct {
	ID, OrganizationID, ZipKey string
}

// ExpiredBatchZips are up to limit ZIPs (of every organization) made
// before the cutoff: the retention job's work.
func (db *DB) ExpiredBatchZips(ctx context.Context, before time.Time, limit int) ([]ExpiredZip, error) {
	var out []ExpiredZip
	err := db.gorm.WithContext(ctx).Model(&IssuanceBatch{}).Select("id", "organization_id", "zip_key").
		Where("zip_status IN ? AND zip_completed_at < ? AND zip_key IS NOT NULL", []ZipStatus{ZipReady, ZipFailed}, before.UTC()).
		Order("zip_completed_at").Limit(limit).Scan(&out).Error
	return out, err
}

// ForgetBatchZip clears an expired ZIP's columns unless it was asked for
// again meanwhile (another key); it reports whether it did, and then the
// caller deletes the blob, which nothing names any more.
func (db *DB) ForgetBatchZip(ctx context.Context, z ExpiredZip, before time.Time) (bool, error) {
	res := db.gorm.WithContext(ctx).Model(&IssuanceBatch{}).
		Where("id = ? AND organization_id = ? AND zip_key = ? AND zip_status IN ? AND zip_completed_at < ?",
			z.ID, z.OrganizationID, z.ZipKey, []ZipStatus{ZipReady, ZipFailed}, before.UTC()).
		Updates(map[string]any{"zip_status": nil, "zip_total": 0, "zip_done": 0, "zip_failed": 0, "zip_errors": ZipErrors(nil),
			"zip_error": nil, "zip_key": nil, "zip_fingerprint": nil, "zip_completed_at": nil})
	return res.RowsAffected > 0, res.Error
}
