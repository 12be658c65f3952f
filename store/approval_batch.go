package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"gorm.io/gorm"
)

// A bulk batch as one approval request (issue 17, 00037). The batch job
// stores the valid rows of a batch whose schema requires approval as
// pending credentials (StoreParkedCredentials); when no row is left it
// opens ONE request for the batch (OpenBatchApproval, in the transaction
// that completes the batch): its credential_id is the batch's first
// pending credential, batch_id the batch, sample_rows row numbers drawn
// at random (crypto/rand) that every reviewer of the request reads. The
// decision follows every rule of DecideApproval; an approval is refused
// (ErrSampleNotViewed) to a person who has not opened the sample in the
// current round (ViewBatchSample records it). A rejection rejects every
// pending credential of the batch; after the final approval the signing
// job activates them a chunk at a time (ActivateBatchCredentials: once
// each, under the request's lock).

// DefaultBatchSample is how many rows are sampled when no workflow sets
// its bulk_sample_size (at most the batch's rows).
const DefaultBatchSample = 10

// ErrSampleNotViewed refuses the approval of a batch by a person who has
// not opened its sample in this round.
var ErrSampleNotViewed = errors.New("open the sample of this batch's rows before approving it: TrustCred picked them for you to check")

// SampleView is one person's opening of a batch request's sample.
type SampleView struct {
	UserID string    `json:"user_id"`
	Round  int       `json:"round"`
	At     time.Time `json:"at"`
}

func (r *ApprovalRequest) BeforeSave(*gorm.DB) error {
	emptyIfNil(&r.SampleRows)
	emptyIfNil(&r.SampleViews)
	return nil
}

// SampleViewedBy reports whether the person opened the sample of a batch
// request in its current round (true for a single credential's request:
// there is no sample).
func (r *ApprovalRequest) SampleViewedBy(userID string) bool { return r.sampleViewedBy(userID) }

func (r *ApprovalRequest) sampleViewedBy(userID string) bool {
	if r.BatchID == nil {
		return true
	}
	return slices.ContainsFunc(r.SampleViews, func(v SampleView) bool { return v.UserID == userID && v.Round == r.Round })
}

// batchRowCredential is a batch row and its credential.
type batchRowCredential struct {
	RowNumber    int
	CredentialID string
}

// OpenBatchApproval opens the approval request of one of the
// organization's batches whose rows were stored pending: one request for
// all of them, its sample drawn (the credential_issuance workflow's
// bulk_sample_size, else DefaultBatchSample, at most the rows), the first
// step's approvers told, approval.requested audited on the batch. Nil,
// nil when the batch has no pending credential (nothing waits). Joined to
// the handle's transaction (the batch's completion).
func (s *Scoped) OpenBatchApproval(ctx context.Context, batchID string, requesterID *string, actor Actor) (*ApprovalRequest, error) {
	if !validUUID(batchID) {
		return nil, ErrNotFound
	}
	var req *ApprovalRequest
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		var b IssuanceBatch
		if err := s.tenant(tx, &b).First(&b, "id = ?", batchID).Error; err != nil {
			return notFound(err)
		}
		var rows []batchRowCredential
		if err := s.batchCredentials(tx, batchID).Where("credentials.status = ?", CredentialPending).
			Select("issuance_batch_rows.row_number, issuance_batch_rows.credential_id").
			Order("issuance_batch_rows.row_number").Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		var first Credential
		if err := s.tenant(tx, &first).First(&first, "id = ?", rows[0].CredentialID).Error; err != nil {
			return err
		}
		size := DefaultBatchSample
		wf, err := s.issuanceWorkflow(tx, first.SchemaID)
		if err != nil {
			return err
		}
		if wf != nil && wf.BulkSampleSize > 0 {
			size = wf.BulkSampleSize
		}
		sample, err := drawSample(rows, size)
		if err != nil {
			return err
		}
		req = &ApprovalRequest{OrganizationID: s.orgID, CredentialID: first.ID, SchemaID: first.SchemaID, TemplateID: first.TemplateID, RequesterID: requesterID,
			Status: RequestPending, Round: 1, CurrentStep: 1, BatchID: &b.ID, SampleRows: sample}
		name := "Pasted rows"
		if b.Filename != nil && *b.Filename != "" {
			name = *b.Filename
		}
		_, err = s.openRequest(tx, req, fmt.Sprintf("A bulk batch of %d credentials (%s) waits for your approval.", len(rows), name), actor,
			"issuance_batch", b.ID, AuditDetails{
				Summary: fmt.Sprintf("Bulk batch %s of %d credentials waits for approval (sample of %d rows)", name, len(rows), len(sample)),
				Extra:   map[string]string{"via": string(ViaSystem), "request": ""},
			})
		return err
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// drawSample picks min(size, len(rows)) row numbers uniformly at random
// (crypto/rand, a partial Fisher–Yates shuffle), in ascending order.
func drawSample(rows []batchRowCredential, size int) ([]int, error) {
	nums := make([]int, len(rows))
	for i, r := range rows {
		nums[i] = r.RowNumber
	}
	k := min(size, len(nums))
	for i := range k {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(len(nums)-i)))
		if err != nil {
			return nil, err
		}
		p := i + int(j.Int64())
		nums[i], nums[p] = nums[p], nums[i]
	}
	out := slices.Clone(nums[:k])
	slices.Sort(out)
	return out, nil
}

// batchCredentials is the join of a batch's rows with their credentials,
// the organization's only.
func (s *Scoped) batchCredentials(tx *gorm.DB, batchID string) *gorm.DB {
	return tx.Table("issuance_batch_rows").Joins("JOIN credentials ON credentials.id = issuance_batch_rows.credential_id").
		Where("issuance_batch_rows.batch_id = ? AND credentials.issuer_id = ?", batchID, s.orgID)
}

// ViewBatchSample records that the person opened the sample of one of the
// organization's batch requests in its current round (once; nothing when
// the request is no longer pending) and returns the request. ErrNotFound
// for another organization's request or a single credential's.
func (s *Scoped) ViewBatchSample(ctx context.Context, requestID, userID string) (*ApprovalRequest, error) {
	var req *ApprovalRequest
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		var err error
		if req, err = s.lockedRequest(tx, requestID); err != nil {
			return err
		}
		if req.BatchID == nil {
			return ErrNotFound
		}
		if req.Status != RequestPending || req.sampleViewedBy(userID) {
			return nil
		}
		req.SampleViews = append(req.SampleViews, SampleView{UserID: userID, Round: req.Round, At: time.Now().UTC()})
		return s.tenant(tx, &ApprovalRequest{}).Where("id = ?", req.ID).Update("sample_views", req.SampleViews).Error
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// SampledRow is one row of a batch request's sample and its credential.
type SampledRow struct {
	RowNumber  int
	Credential Credential
}

// BatchSample is the sample of a batch request (req, read through the
// organization): its rows in order with their credentials.
func (s *Scoped) BatchSample(ctx context.Context, req *ApprovalRequest) ([]SampledRow, error) {
	if req.BatchID == nil || len(req.SampleRows) == 0 {
		return nil, nil
	}
	var rows []batchRowCredential
	if err := s.batchCredentials(s.db.WithContext(ctx), *req.BatchID).Where("issuance_batch_rows.row_number IN ?", []int(req.SampleRows)).
		Select("issuance_batch_rows.row_number, issuance_batch_rows.credential_id").
		Order("issuance_batch_rows.row_number").Scan(&rows).Error; err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.CredentialID
	}
	creds, err := s.CredentialsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Credential, len(creds))
	for _, c := range creds {
		byID[c.ID] = c
	}
	out := make([]SampledRow, 0, len(rows))
	for _, r := range rows {
		if c, ok := byID[r.CredentialID]; ok {
			out = append(out, SampledRow{RowNumber: r.RowNumber, Credential: c})
		}
	}
	return out, nil
}

// rejectBatch rejects every pending credential of a rejected batch
// request, each with its status change.
func (s *Scoped) rejectBatch(tx *gorm.DB, req *ApprovalRequest, note string, act Actor) error {
	var ids []string
	if err := s.batchCredentials(tx, *req.BatchID).Where("credentials.status = ?", CredentialPending).
		Pluck("credentials.id", &ids).Error; err != nil {
		return err
	}
	now := time.Now().UTC()
	changes := make([]CredentialStatusChange, 0, len(ids))
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		if err := s.tenant(tx, &Credential{}).Where("id IN ? AND status = ?", part, CredentialPending).
			Updates(map[string]any{"status": CredentialRejected, "updated_at": now}).Error; err != nil {
			return err
		}
		for _, id := range part {
			changes = append(changes, CredentialStatusChange{CredentialID: id, OrganizationID: s.orgID, FromStatus: CredentialPending,
				ToStatus: CredentialRejected, Reason: &note, ActorUserID: act.UserID, Via: ViaWeb})
		}
	}
	if len(changes) == 0 {
		return ErrApprovalNotPending
	}
	return tx.CreateInBatches(changes, 500).Error
}

// PendingBatchCredentials are up to limit pending credentials of one of
// the organization's batch requests (by id): what the signing job signs
// next.
func (s *Scoped) PendingBatchCredentials(ctx context.Context, req *ApprovalRequest, limit int) ([]Credential, error) {
	if req.BatchID == nil {
		return nil, ErrNotFound
	}
	var ids []string
	if err := s.batchCredentials(s.db.WithContext(ctx), *req.BatchID).Where("credentials.status = ?", CredentialPending).
		Order("credentials.id").Limit(limit).Pluck("credentials.id", &ids).Error; err != nil {
		return nil, err
	}
	creds, err := s.CredentialsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	// Read again: a concurrent run may have signed some since (their
	// status and signed data were read together, in one row).
	return slices.DeleteFunc(creds, func(c Credential) bool { return c.Status != CredentialPending }), nil
}

// ActivateBatchCredentials is ActivatePendingCredential for a chunk of a
// batch request's credentials, signed (in: their status entries), in one
// transaction under the request's lock: each that is still pending
// becomes active with its status change and its credential.issued audit
// entry; errs[i] is ErrApprovalNotPending for one that no longer is (an
// earlier or concurrent run activated it: its signature is dropped).
// ErrApprovalNotPending for the lot when the request is not approved;
// ErrNotFound when it is not the organization's, not a batch's, or a
// credential is not the batch's. Joined to the handle's transaction.
func (s *Scoped) ActivateBatchCredentials(ctx context.Context, requestID string, in []Issue, creds []*Credential, actor Actor) ([]error, error) {
	if len(in) != len(creds) {
		return nil, fmt.Errorf("store: %d issues for %d credentials", len(in), len(creds))
	}
	errs := make([]error, len(creds))
	actor.OrganizationID = &s.orgID
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		req, err := s.lockedRequest(tx, requestID)
		if err != nil {
			return err
		}
		if req.BatchID == nil {
			return ErrNotFound
		}
		if req.Status != RequestApproved {
			return ErrApprovalNotPending
		}
		if err := s.ownRefs(tx, creds); err != nil {
			return err
		}
		now := time.Now().UTC()
		var changes []CredentialStatusChange
		var audits []AuditLog
		ofBatch := "id IN (SELECT credential_id FROM issuance_batch_rows WHERE batch_id = ?)"
		for i, c := range creds {
			rev, sus := in[i].Revocation, in[i].Suspension
			if c.IssuedAt == nil {
				c.IssuedAt = &now
			}
			res := s.tenant(tx, &Credential{}).Where("id = ? AND status = ? AND "+ofBatch, c.ID, CredentialPending, *req.BatchID).Updates(map[string]any{
				"status": CredentialActive, "encrypted_data": c.EncryptedData, "data_hash": c.DataHash, "proof_type": c.ProofType,
				"signing_key_id": c.SigningKeyID, "issued_at": c.IssuedAt, "status_list_id": rev.ListID, "status_list_index": rev.Index,
				"suspension_list_id": sus.ListID, "suspension_list_index": sus.Index, "updated_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				errs[i] = ErrApprovalNotPending
				continue
			}
			c.Status = CredentialActive
			c.StatusListID, c.StatusListIndex = &rev.ListID, &rev.Index
			c.SuspensionListID, c.SuspensionListIndex = &sus.ListID, &sus.Index
			changes = append(changes, CredentialStatusChange{CredentialID: c.ID, OrganizationID: s.orgID, FromStatus: CredentialPending,
				ToStatus: CredentialActive, ActorUserID: actor.UserID, Via: ViaSystem})
			audits = append(audits, auditEntry(actor, "credential.issued", "credential", c.ID, AuditDetails{
				Summary: fmt.Sprintf("Issued credential %s to %s after its batch's approvals", c.PublicID, c.RecipientAddress),
				Extra:   map[string]string{"via": string(ViaSystem), "request": req.ID, "batch": *req.BatchID}}))
		}
		if len(changes) == 0 {
			return nil
		}
		if err := tx.CreateInBatches(changes, 500).Error; err != nil {
			return err
		}
		return tx.CreateInBatches(audits, 500).Error
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// BatchApproval is a batch's approval request and where its credentials
// are: waiting, signed, rejected.
type BatchApproval struct {
	Request                   *ApprovalRequest
	Pending, Signed, Rejected int
}

// Done reports whether nothing of the batch waits any more: rejected, or
// approved and every credential signed.
func (b *BatchApproval) Done() bool {
	return b.Request.Status != RequestPending && b.Request.Status != RequestApproved || b.Pending == 0
}

// BatchApprovalOf is the approval of one of the organization's batches
// (ErrNotFound when it needed none).
func (s *Scoped) BatchApprovalOf(ctx context.Context, batchID string) (*BatchApproval, error) {
	if !validUUID(batchID) {
		return nil, ErrNotFound
	}
	var req ApprovalRequest
	if err := s.q(ctx, &req).Preload("Requester").First(&req, "batch_id = ?", batchID).Error; err != nil {
		return nil, notFound(err)
	}
	var counts []struct {
		Status CredentialStatus
		N      int
	}
	if err := s.batchCredentials(s.db.WithContext(ctx), batchID).Select("credentials.status AS status, count(*) AS n").
		Group("credentials.status").Scan(&counts).Error; err != nil {
		return nil, err
	}
	out := &BatchApproval{Request: &req}
	for _, c := range counts {
		switch c.Status {
		case CredentialPending:
			out.Pending = c.N
		case CredentialRejected:
			out.Rejected = c.N
		default:
			out.Signed += c.N
		}
	}
	return out, nil
}

// BatchRowOf is the row number of one of a batch's credentials.
func (s *Scoped) BatchRowOf(ctx context.Context, batchID, credentialID string) (int, error) {
	if !validUUID(batchID) || !validUUID(credentialID) {
		return 0, ErrNotFound
	}
	var n []int
	err := s.batchCredentials(s.db.WithContext(ctx), batchID).Where("issuance_batch_rows.credential_id = ?", credentialID).
		Pluck("issuance_batch_rows.row_number", &n).Error
	if err == nil && len(n) == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	return n[0], nil
}
