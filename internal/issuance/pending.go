package issuance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/store"
)

// Issuing under an approval requirement (issue 17): Submit parks a
// request whose schema has an active multi-signature requirement. The
// credential is stored pending: its unsigned document (its id, issuer,
// subject, dates: what the reviewers read and what will be signed) sealed
// in encrypted_data, the cryptosuite it will be signed with in
// proof_type, no status list entry, no proof. approval.requested is
// published with it. When the request is approved, the approval job calls
// SignApproved, which signs that very document (with the approvals as its
// evidence) and makes the credential active.

// ErrBulkApproval refuses a request of SubmitBatch without a batch row
// (seeding) whose schema requires approval: only a bulk batch's rows wait
// together, as one request for the batch (park_batch.go).
var ErrBulkApproval = fmt.Errorf("%w: this credential's schema requires approval before it is signed: issue it through a bulk batch or one by one", ErrCredential)

// needsApproval reports whether credentials of the schema wait for
// approval: it has an active multi-signature requirement, or an active
// credential_issuance workflow applies to it.
func needsApproval(ctx context.Context, sc *store.Scoped, schemaID string) ([]store.MultisigRequirement, bool, error) {
	reqs, err := sc.ApprovalRequirements(ctx, schemaID)
	if err != nil || len(reqs) > 0 {
		return reqs, len(reqs) > 0, err
	}
	_, err = sc.IssuanceWorkflow(ctx, schemaID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	return nil, err == nil, err
}

// parkTemplate stores a checked template request as a pending credential.
func (is *Issuer) parkTemplate(ctx context.Context, sc *store.Scoped, r Request, rules []store.MultisigRequirement, via store.StatusChannel, actor store.Actor) (*Issued, error) {
	org, issuerDID, err := is.parkingIssuer(ctx, sc)
	if err != nil {
		return nil, err
	}
	doc, row, err := is.pendingRow(org, issuerDID, r)
	if err != nil {
		return nil, err
	}
	return is.park(ctx, sc, doc, row, Cryptosuite(r.Template), rules, via, actor)
}

// parkingIssuer is the organization (active: ErrOrganizationInactive
// otherwise) and the DID a pending credential names as its issuer until
// it is signed.
func (is *Issuer) parkingIssuer(ctx context.Context, sc *store.Scoped) (*store.Organization, string, error) {
	org, err := sc.Organization(ctx)
	if err != nil {
		return nil, "", err
	}
	if org.Status != store.OrganizationActive {
		return nil, "", ErrOrganizationInactive
	}
	issuerDID := org.DID
	if org.DIDMethod != store.DIDKey {
		if issuerDID, err = is.webDID(ctx, sc, org); err != nil {
			return nil, "", err
		}
	}
	return org, issuerDID, nil
}

// pendingRow is a template request's unsigned document and the row that
// will store it pending (its public id, recipient, expiry).
func (is *Issuer) pendingRow(org *store.Organization, issuerDID string, r Request) (map[string]any, *store.Credential, error) {
	publicID := NewPublicID()
	doc, err := is.Document(org, issuerDID, publicID, r)
	if err != nil {
		return nil, nil, err
	}
	var expires *time.Time
	if v, ok := doc["validUntil"].(string); ok {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			expires = &t
		}
	}
	tplID := r.Template.ID
	row := &store.Credential{PublicID: publicID, SchemaID: r.Template.SchemaID, TemplateID: &tplID,
		RecipientAddress: strings.TrimSpace(r.RecipientAddress), ExpiresAt: expires}
	if name := strings.TrimSpace(r.RecipientName); name != "" {
		row.RecipientName = &name
	}
	return doc, row, nil
}

// park seals doc (unsigned) into row, stores it pending with its approval
// request and publishes approval.requested, in one transaction. The
// document is canonicalized first: an undefined term is refused now, not
// when the reviewers have approved it.
func (is *Issuer) park(ctx context.Context, sc *store.Scoped, doc map[string]any, row *store.Credential, suite string, rules []store.MultisigRequirement, via store.StatusChannel, actor store.Actor) (*Issued, error) {
	b, err := is.sealPending(doc, row, suite)
	if err != nil {
		return nil, err
	}
	err = sc.InTx(ctx, func(tx *store.Scoped) error {
		req, err := tx.StorePendingCredential(ctx, store.Pending{Via: via, RequesterID: actor.UserID}, row, actor)
		if err != nil {
			return err
		}
		if is.Events == nil {
			return nil
		}
		asked := events.ApprovalAsked{RequestID: req.ID, ResourceType: "credential", Credential: events.CredentialOf(row, is.CredentialURL(row.PublicID)), Via: string(via)}
		if actor.UserID != nil {
			asked.RequestedBy = *actor.UserID
		}
		asked.Required = events.RulesOf(rules)
		e, err := events.New(row.IssuerID, events.ApprovalRequested, req.CreatedAt, asked)
		if err != nil {
			return err
		}
		return events.Publish(ctx, tx, is.Events, e)
	})
	if err != nil {
		return nil, err
	}
	return &Issued{Credential: row, Document: doc, JSON: b}, nil
}

// sealPending canonicalizes doc (an undefined term is refused now, not
// when the reviewers have approved it) and seals it unsigned into row,
// with its hash and the cryptosuite (default eddsa-rdfc-2022) it will be
// signed with; it returns the document's JSON.
func (is *Issuer) sealPending(doc map[string]any, row *store.Credential, suite string) ([]byte, error) {
	if suite == "" {
		suite = vc.CryptosuiteRDFC
	}
	if suite != vc.CryptosuiteRDFC && suite != vc.CryptosuiteJCS {
		return nil, ErrCryptosuite
	}
	if _, err := vc.CanonicalizeRDFC(doc); err != nil {
		return nil, err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	sealed, err := is.Keys.Seal(b, dataContext)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:])
	row.EncryptedData, row.DataHash, row.ProofType = sealed, &hash, &suite
	return b, nil
}

// approvedDocument sets a pending document's issuer to the DID it is
// signed under now and adds the evidence (nil: none).
func approvedDocument(doc map[string]any, issuerDID string, evidence []any) {
	switch iss := doc["issuer"].(type) {
	case map[string]any:
		iss["id"] = issuerDID
	default:
		doc["issuer"] = issuerDID
	}
	if len(evidence) > 0 {
		doc["evidence"] = evidence
	}
}

// PendingDocument is a pending credential's unsigned document: what its
// reviewers read and what will be signed once they approve.
func (is *Issuer) PendingDocument(c *store.Credential) (map[string]any, error) {
	b, err := is.SignedDocument(c) // the same sealing and hash check
	if err != nil {
		return nil, err
	}
	v, err := vc.ParseJSON(b)
	if err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, vc.ErrDocumentFormat
	}
	return doc, nil
}

// SignApproved signs one of the organization's pending credentials whose
// approval request was approved: its stored document, issued now by the
// organization's current key (the issuer's DID as it is now), with
// evidence (nil: none) added, its status entries reserved; then, in one
// transaction, the credential becomes active
// (store.ActivatePendingCredential: exactly once, store.ErrApprovalNotPending
// when it already was or its request is not approved), credential.issued is
// published, then(tx, c) runs (the approval door publishes
// approval.decided there) and the recipient's email is enqueued through
// email (nil: none).
func (is *Issuer) SignApproved(ctx context.Context, sc *store.Scoped, credentialID string, evidence []any, email jobs.Enqueuer, actor store.Actor,
	then func(tx *store.Scoped, c *store.Credential) error) (*Issued, error) {
	c, err := sc.Credential(ctx, credentialID)
	if err != nil {
		return nil, err
	}
	if c.Status != store.CredentialPending {
		return nil, store.ErrApprovalNotPending
	}
	doc, err := is.PendingDocument(c)
	if err != nil {
		return nil, err
	}
	suite := vc.CryptosuiteRDFC
	if c.ProofType != nil && *c.ProofType != "" {
		suite = *c.ProofType
	}
	_, s, err := is.prepare(ctx, sc, suite, actor)
	if err != nil {
		return nil, err
	}
	approvedDocument(doc, s.issuerDID, evidence)
	in := store.Issue{IssuerDID: s.issuerDID, Via: store.ViaSystem}
	row := &store.Credential{ID: c.ID, SchemaID: c.SchemaID, TemplateID: c.TemplateID}
	signed, b, err := is.signSealed(ctx, sc, s, doc, &in, row)
	if err != nil {
		return nil, err
	}
	err = is.commitIssued(ctx, sc, row, store.ViaSystem, "", email, func(tx *store.Scoped) error {
		return tx.ActivatePendingCredential(ctx, in, row, actor)
	}, func(tx *store.Scoped) error {
		if then != nil {
			return then(tx, row)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Issued{Credential: row, Document: signed, JSON: b}, nil
}
