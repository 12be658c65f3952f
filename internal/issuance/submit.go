package issuance

import (
	"context"

	"github.com/trustcred/trustcred/store"
)

// Outcome is what Submit did with a request: the credential, signed (its
// document in Issued) or parked as pending.
type Outcome struct {
	*Issued
	// Signed is true when the credential was signed and is active; false
	// when it was parked as pending: its schema has an active approval
	// requirement, and it is signed when its reviewers approve it.
	Signed bool
}

// Submit is the one door through which a credential comes to exist,
// whoever asks: the issue form, a bulk CSV row, the API. It checks the
// recipient (CheckRecipient: FieldErrors the caller words for its context)
// and the data against the template's schema (CheckData, compiled through
// the cache), decides whether the credential is signed now or parked as
// pending, and signs and stores it. r.Document, when set, is a credential
// the API client wrote (its recipient is its credentialSubject's); else
// the credential is built from r.Template. via says where the request came
// from; batchRowID, for bulk issuance, makes the row's issuance happen at
// most once (store.ErrRowDone when it already did). The credential's
// credential.issued event is published through is.Events in the
// transaction that stores it.
func (is *Issuer) Submit(ctx context.Context, sc *store.Scoped, r Request, via store.StatusChannel, batchRowID string, actor store.Actor) (Outcome, error) {
	schemaID := ""
	if r.Document == nil {
		if err := check(r); err != nil {
			return Outcome{}, err
		}
		schemaID = r.Template.SchemaID
	} else {
		schemaID = r.Document.SchemaID
	}
	// signNow: a schema with an active approval requirement parks the
	// request as a pending credential (pending.go).
	rules, park, err := needsApproval(ctx, sc, schemaID)
	if err != nil {
		return Outcome{}, err
	}
	if park && batchRowID != "" {
		// A batch row waits with its batch (SubmitBatch), never alone.
		return Outcome{}, ErrBulkApproval
	}
	var issued *Issued
	switch {
	case r.Document != nil:
		issued, err = is.issueDocument(ctx, sc, *r.Document, via, actor, rules)
	case park:
		issued, err = is.parkTemplate(ctx, sc, r, rules, via, actor)
	default:
		issued, err = is.issue(ctx, sc, r, via, batchRowID, actor)
	}
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Issued: issued, Signed: !park}, nil
}
