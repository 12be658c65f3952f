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
	// when it was parked as pending (a workflow requires approval: none
	// exists yet, so today every request is signed).
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
	if r.Document == nil {
		if err := check(r); err != nil {
			return Outcome{}, err
		}
	} else if !signNow(r) {
		return Outcome{}, errParked
	}
	var issued *Issued
	var err error
	if r.Document != nil {
		issued, err = is.issueDocument(ctx, sc, *r.Document, via, actor)
	} else {
		issued, err = is.issue(ctx, sc, r, via, batchRowID, actor)
	}
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Issued: issued, Signed: true}, nil
}

// signNow is the decision point between signing a request now and parking
// it as pending until someone approves it. No approval requirement exists
// yet, so every request is signed; the approvals feature decides here, from
// the organization's workflows for the request's template.
func signNow(Request) bool { return true }
