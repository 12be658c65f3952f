package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// StatusChannel is credential_status_changes.via.
type StatusChannel string

// Valid reports whether c is one of the values the database accepts.
func (c StatusChannel) Valid() bool { return c == ViaWeb || c == ViaAPI || c == ViaSystem }

const (
	ViaWeb    StatusChannel = "web"
	ViaAPI    StatusChannel = "api"
	ViaSystem StatusChannel = "system"
)

// CredentialStatusChange is one entry of a credential's status history.
type CredentialStatusChange struct {
	ID             string
	CredentialID   string
	OrganizationID string
	FromStatus     CredentialStatus `validate:"required,oneof=draft pending active rejected suspended revoked expired"`
	ToStatus       CredentialStatus `validate:"required,oneof=draft pending active rejected suspended revoked expired"`
	Reason         *string
	ActorUserID    *string
	Via            StatusChannel `validate:"required,oneof=web api system"`
	CreatedAt      time.Time

	Actor *User `gorm:"foreignKey:ActorUserID" validate:"-"`
}

func (CredentialStatusChange) TableName() string { return "credential_status_changes" }

func (c *CredentialStatusChange) BeforeCreate(*gorm.DB) error { return newID(&c.ID) }

// Issue is what StoreIssuedCredential needs besides the signed credential.
type Issue struct {
	IssuerDID  string        // the organization's DID the credential is issued under
	Via        StatusChannel // web, api or system (bulk)
	BatchRowID string        // set for a bulk row: issued at most once
	// Revocation and Suspension are the credential's status entries, from
	// ReserveCredentialStatus.
	Revocation, Suspension StatusEntry
}

// ErrRowDone is returned for a batch row that was already issued or
// failed: a retried job skips it.
var ErrRowDone = errors.New("store: batch row already processed")

// ReserveCredentialStatus is the first step of issuing one credential: it
// reserves a revocation and a suspension status entry for issuerDID in a
// short transaction of its own (the newest list's row is locked only that
// long; a lost race to start a new list is retried). The caller then signs
// with no transaction open and stores the credential with
// StoreIssuedCredential. Entries reserved for a credential that is then not
// stored stay unused: a list may have gaps, never a shared index. For a
// batch row that is not pending (issued by an earlier run) it gives
// ErrRowDone before reserving anything.
func (s *Scoped) ReserveCredentialStatus(ctx context.Context, issuerDID, batchRowID string) (rev, sus StatusEntry, err error) {
	if batchRowID != "" {
		if _, err := s.pendingRow(s.db.WithContext(ctx), batchRowID); err != nil {
			return rev, sus, err
		}
	}
	r, u, err := s.ReserveCredentialStatuses(ctx, issuerDID, 1)
	if err != nil {
		return rev, sus, err
	}
	return r[0], u[0], nil
}

// ReserveCredentialStatuses is ReserveCredentialStatus for n credentials at
// once (a bulk chunk): n revocation and n suspension entries in one short
// transaction, retried when it lost the race to start a new list.
func (s *Scoped) ReserveCredentialStatuses(ctx context.Context, issuerDID string, n int) (rev, sus []StatusEntry, err error) {
	for attempt := 0; attempt < 3; attempt++ {
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var err error
			if rev, err = s.reserveStatus(tx, PurposeRevocation, issuerDID, n); err != nil {
				return err
			}
			sus, err = s.reserveStatus(tx, PurposeSuspension, issuerDID, n)
			return err
		})
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			break // a lost race to start a new list is retried
		}
	}
	return rev, sus, err
}

// StoreIssuedCredential stores a signed credential (status active, in the
// entries in.Revocation and in.Suspension), its first status change and the
// audit entry, and, for a batch row, marks the row issued with the
// credential's id (ErrRowDone, under the row's lock, if another run did) —
// all of that or none of it. On a handle from InTx it joins that
// transaction, so that what the caller adds there (the recipient's email
// job) commits with it.
func (s *Scoped) StoreIssuedCredential(ctx context.Context, in Issue, c *Credential, actor Actor) error {
	c.IssuerID, c.Status = s.orgID, CredentialActive
	rev, sus := in.Revocation, in.Suspension
	c.StatusListID, c.StatusListIndex = &rev.ListID, &rev.Index
	c.SuspensionListID, c.SuspensionListIndex = &sus.ListID, &sus.Index
	if c.IssuedAt == nil {
		now := time.Now().UTC()
		c.IssuedAt = &now
	}
	if err := Validate(c); err != nil {
		return err
	}
	return s.joinTx(ctx, func(tx *gorm.DB) error {
		var row *IssuanceBatchRow
		if in.BatchRowID != "" {
			var err error
			if row, err = s.pendingRow(lockRow(tx, s.dial), in.BatchRowID); err != nil {
				return err
			}
		}
		if err := s.ownRefs(tx, []*Credential{c}); err != nil {
			return err
		}
		if err := tx.Create(c).Error; err != nil {
			return err
		}
		if err := tx.Create(&CredentialStatusChange{CredentialID: c.ID, OrganizationID: s.orgID, FromStatus: CredentialDraft,
			ToStatus: CredentialActive, ActorUserID: actor.UserID, Via: in.Via}).Error; err != nil {
			return err
		}
		if row != nil {
			if err := tx.Model(&IssuanceBatchRow{}).Where("id = ?", row.ID).
				Updates(map[string]any{"status": RowIssued, "credential_id": c.ID, "error": nil}).Error; err != nil {
				return err
			}
			if err := s.tenant(tx, &IssuanceBatch{}).Where("id = ?", row.BatchID).
				Update("issued_count", gorm.Expr("issued_count + 1")).Error; err != nil {
				return err
			}
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "credential.issued", "credential", c.ID, AuditDetails{
			Summary: fmt.Sprintf("Issued credential %s to %s", c.PublicID, c.RecipientAddress),
			Extra:   map[string]string{"via": string(in.Via)},
		})
	})
}

// joinTx runs fn in the handle's transaction when it is InTx's (no
// savepoint: the caller's transaction commits or rolls back the lot), or in
// a transaction of its own.
func (s *Scoped) joinTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if _, ok := s.db.Statement.ConnPool.(*sql.Tx); ok {
		return fn(s.db.WithContext(ctx))
	}
	return s.db.WithContext(ctx).Transaction(fn)
}

// ownRefs is ErrNotFound unless every schema, template, status list and
// signing key the credentials reference is the organization's. The ids
// come from the caller's signing step; the foreign keys alone would let a
// credential of this organization sit in another's status list (its
// revocation would flip the other's bit) or show another's template name.
func (s *Scoped) ownRefs(tx *gorm.DB, creds []*Credential) error {
	schemas, templates, lists, keys := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	add := func(set map[string]bool, id *string) {
		if id != nil {
			set[*id] = true
		}
	}
	for _, c := range creds {
		add(schemas, &c.SchemaID)
		add(templates, c.TemplateID)
		add(lists, c.StatusListID)
		add(lists, c.SuspensionListID)
		add(keys, c.SigningKeyID)
	}
	for _, r := range []struct {
		m   tenantTable
		ids map[string]bool
	}{{&CredentialSchema{}, schemas}, {&CredentialTemplate{}, templates}, {&StatusList{}, lists}, {&SigningKey{}, keys}} {
		if len(r.ids) == 0 {
			continue
		}
		ids := make([]string, 0, len(r.ids))
		for id := range r.ids {
			if !validUUID(id) {
				return ErrNotFound
			}
			ids = append(ids, id)
		}
		var n int64
		if err := s.tenant(tx, r.m).Where("id IN ?", ids).Count(&n).Error; err != nil {
			return err
		}
		if n != int64(len(ids)) {
			return ErrNotFound
		}
	}
	return s.usableSchemas(tx, schemas)
}

// pendingRow reads one of the organization's batch rows through q (locked
// when q locks), ErrRowDone unless it is pending.
func (s *Scoped) pendingRow(q *gorm.DB, id string) (*IssuanceBatchRow, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var row IssuanceBatchRow
	// issuance_batch_rows has no organization column: scoped through the
	// row's batch.
	err := q.Joins("JOIN issuance_batches ON issuance_batches.id = issuance_batch_rows.batch_id").
		Where(s.owns(&IssuanceBatch{})).First(&row, "issuance_batch_rows.id = ?", id).Error
	if err != nil {
		return nil, notFound(err)
	}
	if row.Status != RowPending {
		return nil, ErrRowDone
	}
	return &row, nil
}

// StatusAction is a change of an issued credential's status.
type StatusAction string

const (
	ActionRevoke    StatusAction = "revoke"    // terminal; needs a reason
	ActionSuspend   StatusAction = "suspend"   // reversible
	ActionUnsuspend StatusAction = "unsuspend" // back to active
)

// auditStatusActions are the audit log's names of the status changes
// (migration 00017 mends the "credential.suspendd" that "+d" once wrote).
var auditStatusActions = map[StatusAction]string{ActionRevoke: "credential.revoked",
	ActionSuspend: "credential.suspended", ActionUnsuspend: "credential.unsuspended"}

// ErrStatusChange is returned for a status change the credential's current
// status does not allow (revoking a revoked credential, unsuspending an
// active one…); the message says why.
var ErrStatusChange = errors.New("status change not allowed")

// StatusChangeError says which change was refused and why.
type StatusChangeError struct {
	Action StatusAction
	Status CredentialStatus
}

func (e *StatusChangeError) Error() string {
	switch {
	case e.Status == CredentialRevoked:
		return "the credential is revoked; revocation is permanent"
	case e.Action == ActionUnsuspend:
		return fmt.Sprintf("the credential is %s, not suspended", e.Status)
	case e.Action == ActionSuspend && e.Status == CredentialSuspended:
		return "the credential is already suspended"
	}
	return fmt.Sprintf("a %s credential cannot be %sd", e.Status, e.Action)
}

func (e *StatusChangeError) Is(target error) bool { return target == ErrStatusChange }

// ChangeCredentialStatus revokes, suspends or unsuspends one of the
// organization's credentials: in one transaction it flips the credential's
// bit in the status list (bumping the list's version so that its signed
// credential is regenerated), updates the credential's status,
// revoked_at and revocation_reason, and writes the status history and the
// audit log. ErrNotFound for another organization's credential;
// *StatusChangeError (ErrStatusChange) for a change its status does not
// allow. A reason is required to revoke.
func (s *Scoped) ChangeCredentialStatus(ctx context.Context, id string, action StatusAction, reason string, via StatusChannel, actor Actor) (*Credential, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	if action == ActionRevoke && reason == "" {
		return nil, fmt.Errorf("%w: a reason is required to revoke", ErrStatusChange)
	}
	var c Credential
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.tenant(lockRow(tx, s.dial), &c).First(&c, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		from := c.Status
		var to CredentialStatus
		switch {
		case action == ActionRevoke && (from == CredentialActive || from == CredentialSuspended || from == CredentialExpired):
			to = CredentialRevoked
		case action == ActionSuspend && from == CredentialActive:
			to = CredentialSuspended
		case action == ActionUnsuspend && from == CredentialSuspended:
			to = CredentialActive
		default:
			return &StatusChangeError{Action: action, Status: from}
		}
		switch action {
		case ActionRevoke:
			if c.StatusListID == nil || c.StatusListIndex == nil {
				return fmt.Errorf("%w: the credential has no revocation entry", ErrStatusChange)
			}
			if err := setStatusBit(tx, s.dial, *c.StatusListID, *c.StatusListIndex, true); err != nil {
				return err
			}
		case ActionSuspend, ActionUnsuspend:
			if c.SuspensionListID == nil || c.SuspensionListIndex == nil {
				return fmt.Errorf("%w: the credential has no suspension entry", ErrStatusChange)
			}
			if err := setStatusBit(tx, s.dial, *c.SuspensionListID, *c.SuspensionListIndex, action == ActionSuspend); err != nil {
				return err
			}
		}
		updates := map[string]any{"status": to}
		var why *string
		if reason != "" {
			why = &reason
		}
		if to == CredentialRevoked {
			now := time.Now().UTC()
			updates["revoked_at"], updates["revocation_reason"] = now, reason
			c.RevokedAt, c.RevocationReason = &now, why
		}
		if err := s.tenant(tx, &Credential{}).Where("id = ?", c.ID).Updates(updates).Error; err != nil {
			return err
		}
		c.Status, c.PreviousStatus = to, string(from)
		if err := tx.Create(&CredentialStatusChange{CredentialID: c.ID, OrganizationID: s.orgID, FromStatus: from,
			ToStatus: to, Reason: why, ActorUserID: actor.UserID, Via: via}).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, auditStatusActions[action], "credential", c.ID, AuditDetails{
			Summary: fmt.Sprintf("%s credential %s", map[StatusAction]string{ActionRevoke: "Revoked",
				ActionSuspend: "Suspended", ActionUnsuspend: "Unsuspended"}[action], c.PublicID),
			Reason:  reason,
			Changes: []FieldChange{{Field: "status", From: string(from), To: string(to)}},
		})
	})
	statusGen.Add(1) // committed (or not): stamps read meanwhile are dropped
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// Credential is one of the organization's credentials by id.
func (s *Scoped) Credential(ctx context.Context, id string) (*Credential, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var c Credential
	err := s.q(ctx, &c).Preload("Template").Preload("Schema").First(&c, "id = ?", id).Error
	return &c, notFound(err)
}

// CredentialByPublicID is one of the organization's credentials by its
// public id.
func (s *Scoped) CredentialByPublicID(ctx context.Context, publicID string) (*Credential, error) {
	var c Credential
	err := s.q(ctx, &c).Preload("Template").Preload("Schema").First(&c, "public_id = ?", publicID).Error
	return &c, notFound(err)
}

// CredentialsByID are the organization's credentials among ids (others'
// and unknown ids are left out), without their documents' relations.
func (s *Scoped) CredentialsByID(ctx context.Context, ids []string) ([]Credential, error) {
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if validUUID(id) {
			valid = append(valid, id)
		}
	}
	var cs []Credential
	if len(valid) == 0 {
		return cs, nil
	}
	err := s.q(ctx, &Credential{}).Where("id IN ?", valid).Find(&cs).Error
	return cs, err
}

// CredentialStatusHistory is a credential's status changes, oldest first.
func (s *Scoped) CredentialStatusHistory(ctx context.Context, credentialID string) ([]CredentialStatusChange, error) {
	var h []CredentialStatusChange
	err := s.q(ctx, &CredentialStatusChange{}).Where("credential_id = ?", credentialID).
		Preload("Actor").Order("created_at, id").Find(&h).Error
	return h, err
}

// sqlTxOf is the database/sql transaction under a GORM transaction, for
// work that must commit with it but is done outside GORM (River's
// InsertTx enqueues jobs in it).
func sqlTxOf(tx *gorm.DB) (*sql.Tx, error) {
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return nil, errors.New("store: not in a database/sql transaction")
	}
	return sqlTx, nil
}

// StoreIssuedCredentials is StoreIssuedCredential for many credentials
// in one transaction (a bulk chunk): multi-row INSERTs of the credentials,
// their first status changes and their audit entries, and the batch rows
// marked issued with one UPDATE. It gives, per credential, nil when it was
// stored, ErrRowDone when its batch row is no longer pending (another run
// issued it: its credential is not stored, its reserved entries stay
// unused), or the validation error of the credential's own data; the
// others are stored all together or, on an error, none (ErrNotFound when
// a batch row or a referenced schema, template, list or key is not the
// organization's). On a handle from InTx it joins that
// transaction (the recipients' email jobs commit with it).
func (s *Scoped) StoreIssuedCredentials(ctx context.Context, in []Issue, creds []*Credential, actor Actor) ([]error, error) {
	return s.storeCredentials(ctx, in, creds, false, actor)
}

// StoreParkedCredentials is StoreIssuedCredentials for the rows of a bulk
// batch whose schema requires approval: the credentials are stored
// pending (their unsigned documents sealed by the caller; no status list
// entry, proof or issued_at), each with its draft → pending change and
// audit entry, their batch rows marked issued with them. The batch
// becomes one approval request when it completes (OpenBatchApproval).
func (s *Scoped) StoreParkedCredentials(ctx context.Context, in []Issue, creds []*Credential, actor Actor) ([]error, error) {
	return s.storeCredentials(ctx, in, creds, true, actor)
}

func (s *Scoped) storeCredentials(ctx context.Context, in []Issue, creds []*Credential, parked bool, actor Actor) ([]error, error) {
	if len(in) != len(creds) {
		return nil, fmt.Errorf("store: %d issues for %d credentials", len(in), len(creds))
	}
	errs := make([]error, len(creds))
	now := time.Now().UTC()
	to, action, summary := CredentialActive, "credential.issued", "Issued credential %s to %s"
	if parked {
		to, action, summary = CredentialPending, "credential.pending", "Stored credential %s to %s: it waits for its batch's approval"
	}
	for i, c := range creds {
		c.IssuerID, c.Status = s.orgID, to
		if parked {
			c.StatusListID, c.StatusListIndex, c.SuspensionListID, c.SuspensionListIndex = nil, nil, nil, nil
			c.SigningKeyID, c.IssuedAt = nil, nil
		} else {
			rev, sus := in[i].Revocation, in[i].Suspension
			c.StatusListID, c.StatusListIndex = &rev.ListID, &rev.Index
			c.SuspensionListID, c.SuspensionListIndex = &sus.ListID, &sus.Index
			if c.IssuedAt == nil {
				c.IssuedAt = &now
			}
		}
		if !in[i].Via.Valid() {
			errs[i] = fmt.Errorf("store: unknown channel %q", in[i].Via)
		} else if in[i].BatchRowID != "" && !validUUID(in[i].BatchRowID) {
			return nil, ErrNotFound
		} else {
			errs[i] = Validate(c)
		}
	}
	actor.OrganizationID = &s.orgID
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		if err := s.pendingRows(tx, in, errs); err != nil {
			return err
		}
		var keep []*Credential
		var changes []CredentialStatusChange
		var audits []AuditLog
		var issuedRows []rowIssued
		for i, c := range creds {
			if errs[i] != nil {
				continue
			}
			if err := newID(&c.ID); err != nil {
				return err
			}
			keep = append(keep, c)
			changes = append(changes, CredentialStatusChange{CredentialID: c.ID, OrganizationID: s.orgID, FromStatus: CredentialDraft,
				ToStatus: to, ActorUserID: actor.UserID, Via: in[i].Via})
			audits = append(audits, auditEntry(actor, action, "credential", c.ID, AuditDetails{
				Summary: fmt.Sprintf(summary, c.PublicID, c.RecipientAddress),
				Extra:   map[string]string{"via": string(in[i].Via)},
			}))
			if in[i].BatchRowID != "" {
				issuedRows = append(issuedRows, rowIssued{row: in[i].BatchRowID, credential: c.ID})
			}
		}
		if len(keep) == 0 {
			return nil
		}
		if err := s.ownRefs(tx, keep); err != nil {
			return err
		}
		const rows = 500 // parameters per INSERT stay far under both databases' limits
		if err := tx.CreateInBatches(keep, rows).Error; err != nil {
			return err
		}
		if err := tx.CreateInBatches(changes, rows).Error; err != nil {
			return err
		}
		if err := tx.CreateInBatches(audits, rows).Error; err != nil {
			return fmt.Errorf("store: audit credential.issued: %w", err)
		}
		return s.markRowsIssued(tx, issuedRows)
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// rowIssued is a batch row and the credential it issued.
type rowIssued struct{ row, credential string }

// pendingRows locks the batch rows of in that are still pending (ordered
// by id, so that concurrent runs lock in the same order) and sets errs for
// the others: ErrRowDone for a row no longer pending; ErrNotFound when one
// is not the organization's.
func (s *Scoped) pendingRows(tx *gorm.DB, in []Issue, errs []error) error {
	var ids []string
	for i := range in {
		if errs[i] == nil && in[i].BatchRowID != "" {
			ids = append(ids, in[i].BatchRowID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	// issuance_batch_rows has no organization column: scoped through the
	// rows' batch.
	var all []IssuanceBatchRow
	if err := lockRow(tx, s.dial).Joins("JOIN issuance_batches ON issuance_batches.id = issuance_batch_rows.batch_id").
		Where(s.owns(&IssuanceBatch{})).Where("issuance_batch_rows.id IN ?", ids).
		Order("issuance_batch_rows.id").Find(&all).Error; err != nil {
		return err
	}
	status := make(map[string]BatchRowStatus, len(all))
	for _, r := range all {
		status[r.ID] = r.Status
	}
	for i := range in {
		if errs[i] != nil || in[i].BatchRowID == "" {
			continue
		}
		switch st, ok := status[in[i].BatchRowID]; {
		case !ok:
			return ErrNotFound // another organization's row: the lot is refused
		case st != RowPending:
			errs[i] = ErrRowDone
		default:
			status[in[i].BatchRowID] = RowIssued // the same row twice in one call: once
		}
	}
	return nil
}

// markRowsIssued marks batch rows issued with their credentials, in one
// UPDATE per 500 rows, and adds them to their batches' issued_count.
func (s *Scoped) markRowsIssued(tx *gorm.DB, rows []rowIssued) error {
	if len(rows) == 0 {
		return nil
	}
	param := "?"
	if s.dial == Postgres {
		param = "CAST(? AS uuid)"
	}
	const chunk = 500
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		values := make([]string, len(part))
		args := make([]any, 0, 2*len(part)+2)
		for i, r := range part {
			values[i] = "(" + param + ", " + param + ")"
			args = append(args, r.row, r.credential)
		}
		args = append(args, RowIssued, RowPending)
		// The rows were read through the organization's batches and are
		// locked (pendingRows).
		if err := tx.Exec("WITH v(row_id, credential_id) AS (VALUES "+strings.Join(values, ", ")+") "+
			"UPDATE issuance_batch_rows SET status = ?, credential_id = v.credential_id, error = NULL "+
			"FROM v WHERE issuance_batch_rows.id = v.row_id AND issuance_batch_rows.status = ?", args...).Error; err != nil {
			return err
		}
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.row
	}
	var counts []struct {
		BatchID string
		N       int
	}
	if err := tx.Model(&IssuanceBatchRow{}).Select("batch_id, count(*) AS n").Where("id IN ?", ids).
		Group("batch_id").Scan(&counts).Error; err != nil {
		return err
	}
	for _, c := range counts {
		if err := s.tenant(tx, &IssuanceBatch{}).Where("id = ?", c.BatchID).
			Update("issued_count", gorm.Expr("issued_count + ?", c.N)).Error; err != nil {
			return err
		}
	}
	return nil
}
