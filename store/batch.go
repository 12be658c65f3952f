package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/secret"
)

// BatchStatus is issuance_batches.status.
type BatchStatus string

const (
	BatchValidated BatchStatus = "validated" // rows checked, waiting for the user to issue
	BatchQueued    BatchStatus = "queued"
	BatchRunning   BatchStatus = "running"
	BatchCompleted BatchStatus = "completed"
	BatchCancelled BatchStatus = "cancelled"
)

// Valid reports whether s is one of the values the database accepts.
func (s BatchStatus) Valid() bool {
	switch s {
	case BatchValidated, BatchQueued, BatchRunning, BatchCompleted, BatchCancelled:
		return true
	}
	return false
}

// IssuanceBatch is one bulk issuance from a CSV file.
type IssuanceBatch struct {
	ID             string
	OrganizationID string
	TemplateID     *string
	CreatedBy      *string
	Filename       *string
	Status         BatchStatus                           `gorm:"default:validated" validate:"required,oneof=validated queued running completed cancelled"`
	ColumnMapping  datatypes.JSONType[map[string]string] // schema field (or recipient_name, recipient_address) → CSV header
	TotalRows      int
	InvalidRows    int
	IssuedCount    int
	FailedCount    int
	SendEmail      bool
	StartedAt      *time.Time
	CompletedAt    *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// The ZIP of the batch's certificate PDFs (store/batch_zip.go).
	ZipStatus      *ZipStatus `validate:"omitnil,oneof=queued running ready failed"`
	ZipTotal       int
	ZipDone        int
	ZipFailed      int
	ZipErrors      ZipErrors
	ZipError       *string
	ZipKey         *string
	ZipFingerprint *string
	ZipRequestedAt *time.Time
	ZipCompletedAt *time.Time

	Template *CredentialTemplate `gorm:"foreignKey:TemplateID" validate:"-"`
}

func (IssuanceBatch) TableName() string { return "issuance_batches" }

func (b *IssuanceBatch) BeforeCreate(*gorm.DB) error { return newID(&b.ID) }

// BatchRowStatus is issuance_batch_rows.status.
type BatchRowStatus string

const (
	RowPending BatchRowStatus = "pending"
	RowInvalid BatchRowStatus = "invalid"
	RowIssued  BatchRowStatus = "issued"
	RowFailed  BatchRowStatus = "failed"
)

// Valid reports whether s is one of the values the database accepts.
func (s BatchRowStatus) Valid() bool {
	switch s {
	case RowPending, RowInvalid, RowIssued, RowFailed:
		return true
	}
	return false
}

// IssuanceBatchRow is one CSV row of a batch; its data (the row's values
// by column) is sealed.
type IssuanceBatchRow struct {
	ID            string
	BatchID       string
	RowNumber     int // 1-based, the header excluded
	DataEncrypted secret.Sealed
	Status        BatchRowStatus `gorm:"default:pending" validate:"required,oneof=pending invalid issued failed"`
	Error         *string
	CredentialID  *string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (IssuanceBatchRow) TableName() string { return "issuance_batch_rows" }

func (r *IssuanceBatchRow) BeforeCreate(*gorm.DB) error { return newID(&r.ID) }

// ErrBatchState is returned for a change the batch's status does not allow
// (remapping a batch that is issuing, issuing one without valid rows…);
// the *BatchStateError says why, for the page to show.
var ErrBatchState = errors.New("batch status does not allow this")

// BatchStateError is a refused change of a batch.
type BatchStateError struct{ Msg string }

func (e *BatchStateError) Error() string { return e.Msg }
func (e *BatchStateError) Is(target error) bool {
	return target == ErrBatchState
}

// DataRefused reports whether the database refused a statement for the
// data it was given, so that the same data would be refused again: on
// PostgreSQL a data exception (class 22: a byte sequence invalid in UTF-8,
// a NUL, a value too long…), a NOT NULL or CHECK violation, or a value too
// large for an index (54000); on SQLite a CHECK or NOT NULL violation, a
// value too big or a type mismatch. Not a unique or foreign key violation
// (a concurrent writer may cause them, and a retry sees the new state),
// nor anything about the connection or the transaction. The bulk job
// fails the row for these instead of retrying the batch.
func DataRefused(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "22") || pe.Code == "23502" || pe.Code == "23514" || pe.Code == "54000"
	}
	if errors.Is(err, gorm.ErrCheckConstraintViolated) {
		return true
	}
	var se interface{ Code() int } // SQLite's (glebarez/go-sqlite) *Error, extended result codes
	if errors.As(err, &se) {
		switch se.Code() {
		case 18, 20, 275, 1299: // SQLITE_TOOBIG, SQLITE_MISMATCH, SQLITE_CONSTRAINT_CHECK, SQLITE_CONSTRAINT_NOTNULL
			return true
		}
	}
	return false
}

// Done reports whether the batch has ended (completed or cancelled).
func (b *IssuanceBatch) Done() bool { return b.Status == BatchCompleted || b.Status == BatchCancelled }

// ValidRows is the number of rows that passed the checks.
func (b *IssuanceBatch) ValidRows() int { return b.TotalRows - b.InvalidRows }

// IssuableTemplates are the organization's active templates whose schema
// is active, by name, each with its schema: what bulk issuance offers.
func (s *Scoped) IssuableTemplates(ctx context.Context) ([]CredentialTemplate, error) {
	var ts []CredentialTemplate
	err := s.q(ctx, &CredentialTemplate{}).Joins("Schema").
		Where("credential_templates.active AND \"Schema\".active").
		Order("lower(credential_templates.name), credential_templates.id").Find(&ts).Error
	return ts, err
}

// IssuableTemplate is one of IssuableTemplates by id, with its schema.
func (s *Scoped) IssuableTemplate(ctx context.Context, id string) (*CredentialTemplate, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var t CredentialTemplate
	err := s.q(ctx, &t).Joins("Schema").
		Where("credential_templates.active AND \"Schema\".active").
		First(&t, "credential_templates.id = ?", id).Error
	return &t, notFound(err)
}

// CreateBatch stores a checked batch and all its rows in one transaction:
// rows with an Error are invalid, the others pending. The batch gets the
// organization, status validated, the creator and its counts; the template
// must be one of the organization's. Audited as batch.created.
func (s *Scoped) CreateBatch(ctx context.Context, b *IssuanceBatch, rows []IssuanceBatchRow, actor Actor) error {
	if b.TemplateID == nil {
		return fmt.Errorf("store: a batch needs a template")
	}
	b.OrganizationID, b.Status, b.CreatedBy = s.orgID, BatchValidated, actor.UserID
	if b.ColumnMapping.Data() == nil {
		b.ColumnMapping = datatypes.NewJSONType(map[string]string{})
	}
	b.TotalRows, b.InvalidRows, b.IssuedCount, b.FailedCount = len(rows), 0, 0, 0
	for i := range rows {
		if rows[i].Error != nil {
			rows[i].Status = RowInvalid
			b.InvalidRows++
		} else {
			rows[i].Status = RowPending
		}
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := s.tenant(tx, &CredentialTemplate{}).Where("id = ?", *b.TemplateID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		if err := Validate(b); err != nil {
			return err
		}
		if err := tx.Create(b).Error; err != nil {
			return err
		}
		for i := range rows {
			rows[i].BatchID = b.ID
		}
		if len(rows) > 0 {
			if err := tx.CreateInBatches(rows, 500).Error; err != nil {
				return err
			}
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "batch.created", "issuance_batch", b.ID, AuditDetails{
			Summary: fmt.Sprintf("Uploaded %d rows for bulk issuance (%d invalid)", b.TotalRows, b.InvalidRows),
		})
	})
}

// Batches are the organization's batches, newest first, with their template.
func (s *Scoped) Batches(ctx context.Context, limit int) ([]IssuanceBatch, error) {
	var bs []IssuanceBatch
	err := s.q(ctx, &IssuanceBatch{}).Preload("Template").
		Order("created_at DESC, id DESC").Limit(limit).Find(&bs).Error
	return bs, err
}

// Batch is one of the organization's batches, with its template and schema.
func (s *Scoped) Batch(ctx context.Context, id string) (*IssuanceBatch, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var b IssuanceBatch
	err := s.q(ctx, &b).Preload("Template.Schema").First(&b, "id = ?", id).Error
	return &b, notFound(err)
}

// BatchRow is a batch row with the credential it issued, if any.
type BatchRow struct {
	IssuanceBatchRow
	PublicID         *string // the credential's
	RecipientAddress *string // the credential's
}

// BatchRows are all rows of one of the organization's batches, by number.
// issuance_batch_rows has no organization column: the rows are scoped
// through their batch, which batchID checks first.
func (s *Scoped) BatchRows(ctx context.Context, batchID string) ([]BatchRow, error) {
	if _, err := s.batchID(ctx, s.db, batchID); err != nil {
		return nil, err
	}
	var rows []BatchRow
	err := s.db.WithContext(ctx).Table("issuance_batch_rows AS r").
		Select("r.*, c.public_id, c.recipient_address").
		Joins("LEFT JOIN credentials c ON c.id = r.credential_id").
		Where("r.batch_id = ?", batchID).Order("r.row_number").Scan(&rows).Error
	return rows, err
}

// PendingBatchRows are up to limit pending rows of a batch numbered after
// the given row number, in order: the bulk job's next chunk. Scoped
// through the batch, like BatchRows.
func (s *Scoped) PendingBatchRows(ctx context.Context, batchID string, after, limit int) ([]IssuanceBatchRow, error) {
	if _, err := s.batchID(ctx, s.db, batchID); err != nil {
		return nil, err
	}
	var rows []IssuanceBatchRow
	err := s.db.WithContext(ctx).Where("batch_id = ? AND status = ? AND row_number > ?", batchID, RowPending, after).
		Order("row_number").Limit(limit).Find(&rows).Error
	return rows, err
}

// batchID checks that a batch is the organization's.
func (s *Scoped) batchID(ctx context.Context, db *gorm.DB, id string) (string, error) {
	if !validUUID(id) {
		return "", ErrNotFound
	}
	var n int64
	if err := s.tenant(db.WithContext(ctx), &IssuanceBatch{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return "", err
	}
	if n == 0 {
		return "", ErrNotFound
	}
	return id, nil
}

// lockBatch reads one of the organization's batches, locked for the
// transaction on PostgreSQL (SQLite's immediate transactions are serial).
func (s *Scoped) lockBatch(tx *gorm.DB, id string) (*IssuanceBatch, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var b IssuanceBatch
	err := s.tenant(lockRow(tx, s.dial), &b).First(&b, "id = ?", id).Error
	return &b, notFound(err)
}

// RowCheck is the outcome of checking one row again: nil Error for a valid
// row.
type RowCheck struct {
	ID    string
	Error *string
}

// RemapBatch stores a new column mapping of a batch still being reviewed
// and the rows' new outcomes (valid → pending, else invalid with the
// error), in one transaction. ErrBatchState once the batch was queued.
func (s *Scoped) RemapBatch(ctx context.Context, id string, mapping map[string]string, checks []RowCheck, actor Actor) (*IssuanceBatch, error) {
	if mapping == nil {
		mapping = map[string]string{}
	}
	var b *IssuanceBatch
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if b, err = s.lockBatch(tx, id); err != nil {
			return err
		}
		if b.Status != BatchValidated {
			return &BatchStateError{Msg: fmt.Sprintf("the batch is %s; its columns can no longer be changed", b.Status)}
		}
		invalid := 0
		for _, c := range checks {
			st := RowPending
			if c.Error != nil {
				st, invalid = RowInvalid, invalid+1
			}
			// Batch rows are scoped through b, read above through the organization.
			res := tx.Model(&IssuanceBatchRow{}).Where("id = ? AND batch_id = ? AND status IN ?", c.ID, b.ID, []BatchRowStatus{RowPending, RowInvalid}).
				Updates(map[string]any{"status": st, "error": c.Error})
			if res.Error != nil {
				return res.Error
			}
		}
		b.ColumnMapping, b.InvalidRows = datatypes.NewJSONType(mapping), invalid
		if err := s.tenant(tx, &IssuanceBatch{}).Where("id = ?", b.ID).
			Updates(map[string]any{"column_mapping": b.ColumnMapping, "invalid_rows": invalid}).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "batch.remapped", "issuance_batch", b.ID, AuditDetails{
			Summary: fmt.Sprintf("Changed the column mapping of a bulk issuance: %d of %d rows invalid", invalid, b.TotalRows),
		})
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// QueueBatch starts the issuance of a reviewed batch's valid rows:
// validated → queued, with send_email. On a handle from InTx it joins that
// transaction, so that the bulk_issue job the door (bulk.Queue) enqueues
// there (SQLTx) commits with the status or not at all. ErrBatchState if
// the batch is not waiting for review or has no valid row.
func (s *Scoped) QueueBatch(ctx context.Context, id string, sendEmail bool, actor Actor) (*IssuanceBatch, error) {
	var b *IssuanceBatch
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		var err error
		if b, err = s.lockBatch(tx, id); err != nil {
			return err
		}
		if b.Status != BatchValidated {
			return &BatchStateError{Msg: fmt.Sprintf("the batch is already %s", b.Status)}
		}
		var pending int64
		if err := tx.Model(&IssuanceBatchRow{}).Where("batch_id = ? AND status = ?", b.ID, RowPending).Count(&pending).Error; err != nil {
			return err
		}
		if pending == 0 {
			return &BatchStateError{Msg: "the batch has no valid rows to issue"}
		}
		b.Status, b.SendEmail = BatchQueued, sendEmail
		if err := s.tenant(tx, &IssuanceBatch{}).Where("id = ?", b.ID).
			Updates(map[string]any{"status": BatchQueued, "send_email": sendEmail}).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "batch.queued", "issuance_batch", b.ID, AuditDetails{
			Summary: fmt.Sprintf("Started issuing %d credentials in bulk", pending),
			Extra:   map[string]string{"send_email": fmt.Sprint(sendEmail)},
		})
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// StartBatch marks a queued batch running (started_at the first time) and
// returns it with its template and schema; a batch in any other status is
// returned as it is.
func (s *Scoped) StartBatch(ctx context.Context, id string) (*IssuanceBatch, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		b, err := s.lockBatch(tx, id)
		if err != nil || b.Status != BatchQueued {
			return err
		}
		now := time.Now().UTC()
		updates := map[string]any{"status": BatchRunning}
		if b.StartedAt == nil {
			updates["started_at"] = now
		}
		return s.tenant(tx, &IssuanceBatch{}).Where("id = ?", b.ID).Updates(updates).Error
	})
	if err != nil {
		return nil, err
	}
	return s.Batch(ctx, id)
}

// FailBatchRow marks a pending row failed with the reason and counts it in
// its batch's failed_count; a row that is no longer pending is left alone
// (ErrRowDone).
func (s *Scoped) FailBatchRow(ctx context.Context, batchID, rowID, reason string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := s.batchID(ctx, tx, batchID); err != nil {
			return err
		}
		res := tx.Model(&IssuanceBatchRow{}).Where("id = ? AND batch_id = ? AND status = ?", rowID, batchID, RowPending).
			Updates(map[string]any{"status": RowFailed, "error": reason})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrRowDone
		}
		return s.tenant(tx, &IssuanceBatch{}).Where("id = ?", batchID).Update("failed_count", gorm.Expr("failed_count + 1")).Error
	})
}

// CompleteBatch marks a running batch completed when none of its rows is
// pending any more; it reports whether the batch is now completed. then
// (nil: nothing) runs in the same transaction, under the batch's lock, only
// when this call is the one that completes it, with the batch as completed:
// what must commit with the completion exactly once (its event) goes there.
func (s *Scoped) CompleteBatch(ctx context.Context, id string, then func(tx *Scoped, b *IssuanceBatch) error) (bool, error) {
	done := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		b, err := s.lockBatch(tx, id)
		if err != nil {
			return err
		}
		if b.Status == BatchCompleted {
			done = true
			return nil
		}
		if b.Status != BatchRunning {
			return nil
		}
		var pending int64
		if err := tx.Model(&IssuanceBatchRow{}).Where("batch_id = ? AND status = ?", b.ID, RowPending).Count(&pending).Error; err != nil {
			return err
		}
		if pending > 0 {
			return nil
		}
		now := time.Now().UTC()
		if err := s.tenant(tx, &IssuanceBatch{}).Where("id = ?", b.ID).
			Updates(map[string]any{"status": BatchCompleted, "completed_at": now}).Error; err != nil {
			return err
		}
		done = true
		if err := audit(tx, Actor{OrganizationID: &s.orgID}, "batch.completed", "issuance_batch", b.ID, AuditDetails{
			Summary: fmt.Sprintf("Bulk issuance finished: %d issued, %d failed", b.IssuedCount, b.FailedCount),
		}); err != nil {
			return err
		}
		if then == nil {
			return nil
		}
		b.Status, b.CompletedAt = BatchCompleted, &now
		return then(&Scoped{db: tx, orgID: s.orgID, dial: s.dial}, b)
	})
	return done, err
}

// CancelBatch stops a batch that is being reviewed, queued or running: its
// pending rows stay pending and are not issued. ErrBatchState once it has
// ended.
func (s *Scoped) CancelBatch(ctx context.Context, id string, actor Actor) (*IssuanceBatch, error) {
	var b *IssuanceBatch
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if b, err = s.lockBatch(tx, id); err != nil {
			return err
		}
		if b.Done() {
			return &BatchStateError{Msg: fmt.Sprintf("the batch is already %s", b.Status)}
		}
		b.Status = BatchCancelled
		if err := s.tenant(tx, &IssuanceBatch{}).Where("id = ?", b.ID).Updates(map[string]any{"status": BatchCancelled}).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "batch.cancelled", "issuance_batch", b.ID, AuditDetails{
			Summary: fmt.Sprintf("Cancelled a bulk issuance after %d of %d rows", b.IssuedCount, b.TotalRows),
		})
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// CredentialEmailAllowed reports whether a credential may be emailed to an
// address: not when a user with that email has turned email off for
// credential_issued in their notification preferences.
func (db *DB) CredentialEmailAllowed(ctx context.Context, email string) (bool, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Table("notification_preferences AS p").
		Joins("JOIN users u ON u.id = p.user_id").
		Where("u.email = ? AND p.notification_type = ? AND NOT p.email_enabled", NormalizeEmail(email), NotifyCredentialIssued).
		Count(&n).Error
	return n == 0, err
}
