package handlers

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	view "github.com/trustcred/trustcred/views/approvals"
	bulkview "github.com/trustcred/trustcred/views/bulk"
	"github.com/trustcred/trustcred/views/verification"
)

// batchOf is a batch request's batch as its page shows it: the file, the
// credentials the decision applies to, the sample and whether this
// person opened it in this round (approving is refused until they have).
func batchOf(c *fiber.Ctx, req *store.ApprovalRequest) (*view.Batch, error) {
	id := auth.Current(c)
	ctx, sc := c.UserContext(), id.Scope
	b, err := sc.Batch(ctx, *req.BatchID)
	if err != nil {
		return nil, err
	}
	st, err := sc.BatchApprovalOf(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	out := &view.Batch{RequestID: req.ID, BatchID: b.ID, Name: "Pasted rows", Rows: st.Pending + st.Signed + st.Rejected,
		Sample: len(req.SampleRows), Viewed: req.SampleViewedBy(id.User.ID), FirstRow: 1}
	if b.Filename != nil && *b.Filename != "" {
		out.Name = *b.Filename
	}
	if row, err := sc.BatchRowOf(ctx, b.ID, req.CredentialID); err == nil {
		out.FirstRow = row
	}
	return out, nil
}

// Sample renders GET /approvals/:id/sample: the rows of a batch request
// TrustCred picked at random, each as the credential it will be signed
// as. Opening it is recorded (store.Scoped.ViewBatchSample): the store
// refuses this person's approval of the batch until they have. 404 for a
// single credential's request or another organization's.
func (h *Approvals) Sample(c *fiber.Ctx) error {
	id := auth.Current(c)
	ctx, sc := c.UserContext(), id.Scope
	seen, err := sc.ViewBatchSample(ctx, c.Params("id"), id.User.ID)
	if err != nil {
		return err
	}
	req, err := sc.ApprovalRequest(ctx, seen.ID)
	if err != nil {
		return err
	}
	b, err := batchOf(c, req)
	if err != nil {
		return err
	}
	schema, err := sc.Schema(ctx, req.SchemaID)
	if err != nil {
		return err
	}
	rows, err := sc.BatchSample(ctx, req)
	if err != nil {
		return err
	}
	m := view.SamplePage{Batch: *b, Requester: "an API key"}
	if req.Requester != nil {
		m.Requester = memberName(req.Requester)
	}
	for _, r := range rows {
		v := view.SampleRow{Number: r.RowNumber}
		if v.Human, err = h.preview(c, &r.Credential, schema); err != nil {
			return err
		}
		v.Human.Nested = true
		m.Rows = append(m.Rows, v)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	render.SetTitle(c, "Sample of a bulk batch")
	return render.Page(c, fiber.StatusOK, view.SampleView(m))
}

// preview is a request's credential exactly as it will be signed (the
// approvals are added as its evidence then): the same preview as the
// issue form's; a title saying its status once it is no longer pending.
func (h *Approvals) preview(c *fiber.Ctx, cred *store.Credential, schema *store.CredentialSchema) (verification.Human, error) {
	if cred.Status != store.CredentialPending {
		return verification.Human{Title: "This credential is " + string(cred.Status)}, nil
	}
	doc, err := h.Svc.Issuer.PendingDocument(cred)
	if err != nil {
		return verification.Human{}, err
	}
	v := humanCredential(doc, schema.Fields)
	v.IssuerName = auth.Current(c).Org.Name
	v.IssuedAt = "When the approvals are complete"
	if cred.RecipientName != nil {
		v.RecipientName = *cred.RecipientName
	}
	return v, nil
}

// batchApproval adds a batch's approval request, when it has one, to its
// progress: waiting, signing (the page polls), signed or rejected.
func batchApproval(c *fiber.Ctx, b *store.IssuanceBatch, p *bulkview.Progress) error {
	id := auth.Current(c)
	st, err := id.Scope.BatchApprovalOf(c.UserContext(), b.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	p.Approval = &bulkview.Approval{RequestID: st.Request.ID, Status: string(st.Request.Status), Pending: st.Pending, Signed: st.Signed,
		Rejected: st.Rejected, Sample: len(st.Request.SampleRows), CanReview: authz.Can(id.User.Role, authz.ApprovalsDecide)}
	return nil
}

// batchLabel is how the inbox names a batch's request: its file and the
// credentials it holds.
func batchLabel(e store.InboxEntry) string {
	name, n := "Pasted rows", 0
	if e.BatchName != nil && *e.BatchName != "" {
		name = *e.BatchName
	}
	if e.BatchCount != nil {
		n = *e.BatchCount
	}
	return fmt.Sprintf("Bulk batch %s (%d credentials)", name, n)
}
