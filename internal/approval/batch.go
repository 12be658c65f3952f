package approval

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
)

// A bulk batch approved as one request (store/approval_batch.go): the
// decision follows every rule of a single request's; the final one
// publishes approval.decided once for the batch (its id and count) and
// enqueues SignBatch in its transaction, which signs the batch's
// credentials a chunk at a time, each with the approvals and the sample
// as its evidence. A rejection rejects every row (the store) and
// publishes approval.decided once.

// Defaults of the batch signing job: a chunk is one transaction (a 10,000
// row batch is never one), a run works its budget then snoozes so that
// River runs it again at once, within Timeout (under jobs.RescueAfter, so
// a run of a server that died is retried soon, a live one never).
const (
	signChunk  = 100
	signBudget = 8 * time.Second
	// SignBatchTimeout bounds one run of the batch signing job.
	SignBatchTimeout = 15 * time.Second
)

// batchDecided follows the final decision on a batch request, in its
// transaction: approval.decided for the batch (approved: the signing job
// is enqueued with it; its rows' credential.issued follow as they are
// signed).
func (s *Service) batchDecided(ctx context.Context, tx *store.Scoped, req *store.ApprovalRequest, note string) error {
	decision := "rejected"
	if req.Status == store.RequestApproved {
		decision = "approved"
		if s.Queue != nil {
			sqlTx, err := tx.SQLTx()
			if err != nil {
				return err
			}
			if err := s.Queue.EnqueueTx(ctx, sqlTx, SignBatch{OrganizationID: tx.OrganizationID(), RequestID: req.ID}); err != nil {
				return err
			}
		}
	}
	if s.Issuer.Events == nil {
		return nil
	}
	ref, err := batchRef(ctx, tx, req)
	if err != nil {
		return err
	}
	return s.publishDecided(ctx, tx, req, decision, note, ref)
}

// batchRef is the batch of a request as its events name it.
func batchRef(ctx context.Context, sc *store.Scoped, req *store.ApprovalRequest) (*events.BatchRef, error) {
	b, err := sc.Batch(ctx, *req.BatchID)
	if err != nil {
		return nil, err
	}
	st, err := sc.BatchApprovalOf(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	ref := &events.BatchRef{BatchID: b.ID, Count: st.Pending + st.Signed + st.Rejected, Sample: len(req.SampleRows)}
	if b.Filename != nil {
		ref.FileName = *b.Filename
	}
	return ref, nil
}

// SignBatch is the job the final approval of a batch request enqueues:
// sign the batch's credentials (Service.SignBatch).
type SignBatch struct {
	OrganizationID string `json:"organization_id"`
	RequestID      string `json:"request_id"`
}

func (SignBatch) Kind() string { return "approval_sign_batch" }

// InsertOpts: one signing job per batch request at a time.
func (SignBatch) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// SignBatchWorker works SignBatch jobs.
type SignBatchWorker struct {
	river.WorkerDefaults[SignBatch]
	Service *Service
}

// Timeout bounds one run.
func (w *SignBatchWorker) Timeout(*river.Job[SignBatch]) time.Duration { return SignBatchTimeout }

func (w *SignBatchWorker) Work(ctx context.Context, j *river.Job[SignBatch]) error {
	done, _, err := w.Service.SignBatch(ctx, j.Args.OrganizationID, j.Args.RequestID, signChunk, signBudget)
	switch {
	case errors.Is(err, store.ErrApprovalNotPending), errors.Is(err, store.ErrNotFound):
		return nil // not approved (any more), or the batch is gone
	case err != nil && ctx.Err() != nil:
		return river.JobSnooze(0) // shutting down or timed out: go on without counting an attempt
	case err != nil:
		return err
	case !done:
		return river.JobSnooze(0) // the budget is spent: the next run goes on
	}
	return nil
}

// SignBatch signs the pending credentials of an approved batch request,
// chunk rows at a time (issuance.Issuer.SignApprovedBatch: one
// transaction each, every credential once however many runs overlap),
// until none is left (done) or budget is spent (not done). Each
// credential's evidence is the request's approvals of the final round
// (Evidence) and the sample its reviewers read (SampleEvidence). signed
// is how many this call activated. store.ErrApprovalNotPending when the
// request is not approved.
func (s *Service) SignBatch(ctx context.Context, orgID, requestID string, chunk int, budget time.Duration) (done bool, signed int, err error) {
	sc := s.DB.Scoped(orgID)
	req, err := sc.ApprovalRequest(ctx, requestID)
	if err != nil {
		return false, 0, err
	}
	if req.BatchID == nil {
		return false, 0, store.ErrNotFound
	}
	if req.Status != store.RequestApproved {
		return false, 0, store.ErrApprovalNotPending
	}
	b, err := sc.Batch(ctx, *req.BatchID)
	if err != nil {
		return false, 0, err
	}
	decisions, err := sc.ApprovalDecisions(ctx, req.ID)
	if err != nil {
		return false, 0, err
	}
	tally, err := sc.ApprovalTally(ctx, req.ID)
	if err != nil {
		return false, 0, err
	}
	eligible, err := sc.EligibleApprovers(ctx, req.ID)
	if err != nil {
		return false, 0, err
	}
	ref, err := batchRef(ctx, sc, req)
	if err != nil {
		return false, 0, err
	}
	current := Current(req, decisions)
	evidence := func(c *store.Credential) []any {
		url := s.Issuer.CredentialURL(c.PublicID)
		return append(Evidence(url, current, tally, eligible), SampleEvidence(url, req.SampleRows, ref.Count))
	}
	var email jobs.Enqueuer
	if b.SendEmail {
		if email = s.Emails; email == nil {
			email = jobs.InWork(ctx)
		}
	}
	deadline := time.Now().Add(budget)
	for {
		if err := ctx.Err(); err != nil {
			return false, signed, err
		}
		creds, err := sc.PendingBatchCredentials(ctx, req, chunk)
		if err != nil {
			return false, signed, err
		}
		if len(creds) == 0 {
			return true, signed, nil
		}
		n, err := s.Issuer.SignApprovedBatch(ctx, sc, req.ID, b.ID, creds, evidence, email)
		signed += n
		if err != nil {
			return false, signed, fmt.Errorf("approval: sign batch %s: %w", b.ID, err)
		}
		if budget > 0 && time.Now().After(deadline) {
			return false, signed, nil
		}
	}
}

// SampleEvidence is the signed record of the sample a batch's reviewers
// read before approving it (the TrustCredBatchSample terms of
// vc.ContextTrustCred): how many rows the batch had, how many were
// sampled and which (row numbers, ascending).
func SampleEvidence(credentialURL string, rows []int, batchSize int) map[string]any {
	sampled := make([]any, len(rows))
	for i, r := range rows {
		sampled[i] = number(r)
	}
	return map[string]any{
		"id":          credentialURL + "#batch-sample",
		"type":        []any{"TrustCredBatchSample"},
		"batchSize":   number(batchSize),
		"sampleSize":  number(len(rows)),
		"sampledRows": sampled,
	}
}
