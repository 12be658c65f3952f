package issuance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/notify"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/store"
)

// errSkip marks the requests onCores leaves alone.
var errSkip = errors.New("issuance: not this request")

// parkChunk stores the requests waiting of a bulk chunk (indexes into
// reqs; their schema requires approval) as pending credentials: each
// unsigned document built and sealed on every core (as a single parked
// credential's: canonicalized first, so that an undefined term fails the
// row now), then all stored in one transaction that marks their batch
// rows issued (store.StoreParkedCredentials: at most once, ErrRowDone for
// a row another run stored). No event yet: the batch's approval.requested
// is published once, when the batch completes and its request opens.
func (is *Issuer) parkChunk(ctx context.Context, sc *store.Scoped, reqs []Request, via store.StatusChannel, rowIDs []string, waiting []int,
	actor store.Actor, out []Outcome, errs []error) error {
	org, issuerDID, err := is.parkingIssuer(ctx, sc)
	if err != nil {
		return err
	}
	issued := make([]*Issued, len(reqs))
	mine := make([]error, len(reqs)) // onCores works the nil ones: only the waiting
	for i := range mine {
		mine[i] = errSkip
	}
	for _, i := range waiting {
		mine[i] = nil
	}
	onCores(len(reqs), mine, func(i int) error {
		doc, row, err := is.pendingRow(org, issuerDID, reqs[i])
		if err != nil {
			return err
		}
		b, err := is.sealPending(doc, row, Cryptosuite(reqs[i].Template))
		if err != nil {
			return err
		}
		issued[i] = &Issued{Credential: row, Document: doc, JSON: b}
		return nil
	})
	var (
		in    []store.Issue
		creds []*store.Credential
		idx   []int
	)
	for _, i := range waiting {
		if errs[i] = mine[i]; errs[i] != nil {
			continue
		}
		in = append(in, store.Issue{Via: via, BatchRowID: rowIDs[i]})
		creds, idx = append(creds, issued[i].Credential), append(idx, i)
	}
	if len(creds) == 0 {
		return nil
	}
	stored, err := sc.StoreParkedCredentials(ctx, in, creds, actor)
	if err != nil {
		return err
	}
	for k, i := range idx {
		if errs[i] = stored[k]; errs[i] == nil {
			out[i] = Outcome{Issued: issued[i]}
		}
	}
	return nil
}

// SignApprovedBatch signs a chunk of an approved batch request's pending
// credentials (creds, read by store.PendingBatchCredentials): each stored
// document, issued now under the organization's current key, with its
// evidence (evidence(c), nil: none), in status entries reserved for the
// chunk at once, signed on every core with no transaction open; then ONE
// transaction activates them (store.ActivateBatchCredentials: each once,
// under the request's lock; one another run activated keeps that run's
// signature), publishes their credential.issued events (with the batch)
// and enqueues their recipients' emails through email (nil: none). It
// returns how many this call activated. A credential that cannot be
// signed fails the chunk (err): it stays pending and the job retries.
func (is *Issuer) SignApprovedBatch(ctx context.Context, sc *store.Scoped, requestID, batchID string, creds []store.Credential,
	evidence func(c *store.Credential) []any, email jobs.Enqueuer) (int, error) {
	if len(creds) == 0 {
		return 0, nil
	}
	signers := map[string]*signer{}
	issuerDID := ""
	for i := range creds {
		suite := pendingSuite(&creds[i])
		if _, ok := signers[suite]; ok {
			continue
		}
		_, s, err := is.prepare(ctx, sc, suite, store.Actor{})
		if err != nil {
			return 0, err
		}
		signers[suite], issuerDID = s, s.issuerDID
	}
	rev, sus, err := sc.ReserveCredentialStatuses(ctx, issuerDID, len(creds))
	if err != nil {
		return 0, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	rows := make([]*store.Credential, len(creds))
	errs := make([]error, len(creds))
	onCores(len(creds), errs, func(i int) error {
		c := &creds[i]
		doc, err := is.PendingDocument(c)
		if err != nil {
			return err
		}
		s := signers[pendingSuite(c)]
		var ev []any
		if evidence != nil {
			ev = evidence(c)
		}
		approvedDocument(doc, s.issuerDID, ev)
		_, b, err := is.sign(s, doc, rev[i], sus[i], now)
		if err != nil {
			return err
		}
		sealed, err := is.Keys.Seal(b, dataContext)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		hash, suite, keyID := hex.EncodeToString(sum[:]), s.suite, s.key.ID
		row := *c
		row.EncryptedData, row.DataHash, row.ProofType, row.SigningKeyID, row.IssuedAt = sealed, &hash, &suite, &keyID, &now
		rows[i] = &row
		return nil
	})
	in := make([]store.Issue, len(creds))
	for i, err := range errs {
		if err != nil {
			return 0, fmt.Errorf("sign credential %s of batch %s: %w", creds[i].PublicID, batchID, err)
		}
		in[i] = store.Issue{IssuerDID: issuerDID, Via: store.ViaSystem, Revocation: rev[i], Suspension: sus[i]}
	}
	n := 0
	err = sc.InTx(ctx, func(tx *store.Scoped) error {
		n = 0
		done, err := tx.ActivateBatchCredentials(ctx, requestID, in, rows, store.Actor{})
		if err != nil {
			return err
		}
		var (
			evs    []events.Event
			emails []river.JobArgs
		)
		for i, err := range done {
			if err != nil {
				continue
			}
			n++
			if email != nil {
				emails = append(emails, notify.CredentialEmail{CredentialID: rows[i].ID, OrganizationID: rows[i].IssuerID})
			}
			if is.Events != nil {
				e, err := is.issuedEvent(rows[i], store.ViaSystem, batchID)
				if err != nil {
					return err
				}
				evs = append(evs, e)
			}
		}
		if len(evs) > 0 {
			if err := events.PublishMany(ctx, tx, is.Events, evs); err != nil {
				return err
			}
		}
		if len(emails) == 0 {
			return nil
		}
		sqlTx, err := tx.SQLTx()
		if err != nil {
			return err
		}
		return jobs.EnqueueMany(ctx, email, sqlTx, emails)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// pendingSuite is the cryptosuite a pending credential is signed with.
func pendingSuite(c *store.Credential) string {
	if c.ProofType != nil && *c.ProofType != "" {
		return *c.ProofType
	}
	return vc.CryptosuiteRDFC
}
