package issuance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/notify"
	"github.com/trustcred/trustcred/store"
)

// SubmitChunk is how many requests SubmitBatch signs and stores at a
// time: one reservation of status entries, one transaction.
const SubmitChunk = 500

// ErrInternal is a request's error when signing it panicked (a bug that
// its data triggers): that request fails, the others go on. The error
// carries the panic and its stack, for the log.
var ErrInternal = errors.New("issuance: internal error")

// SubmitBatch is Submit for many requests built from templates (a bulk
// CSV batch, seeding): each request gets exactly Submit's checks
// (CheckRecipient, CheckData through the compiled-schema cache, an expiry
// in the past), and an error of its own in errs
// when it is refused (FieldErrors, *DataError, ErrCredential, a signing
// error, store.ErrRowDone when its batch row was issued by another run).
// The work is done SubmitChunk requests at a time: the chunk's status
// entries are reserved at once, the credentials are signed and sealed on
// every core with no transaction open, then stored in ONE transaction with
// multi-row INSERTs that also marks their batch rows issued (rowIDs, nil
// or one per request: at most once, under the rows' locks) and enqueues
// the recipients' emails (through the first request's Email queue: the
// requests of one call share it) with one InsertMany, and their
// credential.issued events (through is.Events) with another. A crash at any point
// loses nothing (the rows stay pending) and duplicates nothing (entries
// reserved for a chunk that is not stored stay unused). err is for what is
// not a request's own (the database is down…): the chunks before it are
// stored, the rest not. A request whose schema requires approval is not
// signed: with its batch row it is stored pending (parkChunk: the batch
// becomes one approval request when it completes), without one it is
// refused with ErrBulkApproval.
func (is *Issuer) SubmitBatch(ctx context.Context, sc *store.Scoped, reqs []Request, via store.StatusChannel, rowIDs []string, actor store.Actor) (out []Outcome, errs []error, err error) {
	if rowIDs != nil && len(rowIDs) != len(reqs) {
		return nil, nil, fmt.Errorf("issuance: %d batch rows for %d requests", len(rowIDs), len(reqs))
	}
	out, errs = make([]Outcome, len(reqs)), make([]error, len(reqs))
	for start := 0; start < len(reqs); start += SubmitChunk {
		end := min(start+SubmitChunk, len(reqs))
		var rows []string
		if rowIDs != nil {
			rows = rowIDs[start:end]
		}
		if err := is.submitChunk(ctx, sc, reqs[start:end], via, rows, actor, out[start:end], errs[start:end]); err != nil {
			return out, errs, err
		}
	}
	return out, errs, nil
}

func (is *Issuer) submitChunk(ctx context.Context, sc *store.Scoped, reqs []Request, via store.StatusChannel, rowIDs []string, actor store.Actor, out []Outcome, errs []error) error {
	onCores(len(reqs), errs, func(i int) error { return check(reqs[i]) })
	// The signers, one per cryptosuite, prepared before any transaction.
	signers := map[string]*signer{}
	var org *store.Organization
	var valid, waiting []int
	parked := map[string]bool{} // schema → it requires approval
	for i, r := range reqs {
		if errs[i] != nil {
			continue
		}
		park, ok := parked[r.Template.SchemaID]
		if !ok {
			var err error
			if _, park, err = needsApproval(ctx, sc, r.Template.SchemaID); err != nil {
				return err
			}
			parked[r.Template.SchemaID] = park
		}
		switch {
		case park && rowIDs == nil:
			errs[i] = ErrBulkApproval
			continue
		case park:
			waiting = append(waiting, i)
			continue
		}
		suite := Cryptosuite(r.Template)
		if _, ok := signers[suite]; !ok {
			o, s, err := is.prepare(ctx, sc, suite, actor)
			switch {
			case errors.Is(err, ErrCryptosuite):
				errs[i] = err
				continue
			case err != nil:
				return err
			}
			org, signers[suite] = o, s
		}
		valid = append(valid, i)
	}
	if len(waiting) > 0 {
		if err := is.parkChunk(ctx, sc, reqs, via, rowIDs, waiting, actor, out, errs); err != nil {
			return err
		}
	}
	if len(valid) == 0 {
		return nil
	}
	issuerDID := signers[Cryptosuite(reqs[valid[0]].Template)].issuerDID
	rev, sus, err := sc.ReserveCredentialStatuses(ctx, issuerDID, len(valid))
	if err != nil {
		return err
	}
	entry := make(map[int]int, len(valid)) // request → its reserved entries
	for k, i := range valid {
		entry[i] = k
	}
	issued := make([]*Issued, len(reqs))
	onCores(len(reqs), errs, func(i int) error {
		k, ok := entry[i]
		if !ok {
			return errs[i]
		}
		var err error
		issued[i], err = is.signRequest(org, signers[Cryptosuite(reqs[i].Template)], reqs[i], rev[k], sus[k])
		return err
	})
	var (
		in    []store.Issue
		creds []*store.Credential
		idx   []int
	)
	for _, i := range valid {
		if errs[i] != nil {
			continue
		}
		k := entry[i]
		iss := store.Issue{IssuerDID: issuerDID, Via: via, Revocation: rev[k], Suspension: sus[k]}
		if rowIDs != nil {
			iss.BatchRowID = rowIDs[i]
		}
		in, creds, idx = append(in, iss), append(creds, issued[i].Credential), append(idx, i)
	}
	if len(creds) == 0 {
		return nil
	}
	var email jobs.Enqueuer
	for _, r := range reqs {
		if r.Email != nil {
			email = r.Email
			break
		}
	}
	return sc.InTx(ctx, func(tx *store.Scoped) error {
		stored, err := tx.StoreIssuedCredentials(ctx, in, creds, actor)
		if err != nil {
			return err
		}
		var (
			emails []river.JobArgs
			evs    []events.Event
		)
		for k, i := range idx {
			if errs[i] = stored[k]; errs[i] != nil {
				continue
			}
			out[i] = Outcome{Issued: issued[i], Signed: true}
			if reqs[i].Email != nil {
				emails = append(emails, notify.CredentialEmail{CredentialID: creds[k].ID, OrganizationID: creds[k].IssuerID})
			}
			if is.Events != nil {
				e, err := is.issuedEvent(creds[k], via, reqs[i].BatchID)
				if err != nil {
					return err
				}
				evs = append(evs, e)
			}
		}
		if is.Events != nil {
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
		if err := jobs.EnqueueMany(ctx, email, sqlTx, emails); err != nil {
			return fmt.Errorf("enqueue the recipients' emails: %w", err)
		}
		return nil
	})
}

// check is Submit's rule for a request built from a template: a template
// with its schema, the recipient (CheckRecipient), the data (CheckData),
// no expiry in the past, and the decision to sign it now.
func check(r Request) error {
	if r.Document != nil {
		return fmt.Errorf("%w: a client-written document is issued one at a time (Submit)", ErrCredential)
	}
	if r.Template == nil || r.Template.Schema == nil {
		return fmt.Errorf("%w: no template", ErrCredential)
	}
	if fe := CheckRecipient(r.RecipientName, r.RecipientAddress); fe != nil {
		return fe
	}
	if err := CheckData(r.Template, r.Data); err != nil {
		return err
	}
	if r.ExpiresAt != nil && !r.ExpiresAt.After(time.Now()) {
		return fmt.Errorf("%w: the expiry date is in the past", ErrCredential)
	}
	return nil
}

// onCores runs fn(i) for every i whose errs[i] is nil on every core,
// storing its error in errs[i]; a panic in fn is that i's ErrInternal.
func onCores(n int, errs []error, fn func(i int) error) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := range next {
				errs[i] = safe(func() error { return fn(i) })
			}
		})
	}
	for i := range n {
		if errs[i] == nil {
			next <- i
		}
	}
	close(next)
	wg.Wait()
}

func safe(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v\n%s", ErrInternal, p, debug.Stack())
		}
	}()
	return fn()
}

// signRequest builds, signs and seals the credential of a checked request
// in the entries reserved for it: the row SubmitBatch stores.
func (is *Issuer) signRequest(org *store.Organization, s *signer, r Request, rev, sus store.StatusEntry) (*Issued, error) {
	publicID := NewPublicID()
	doc, err := is.Document(org, s.issuerDID, publicID, r)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	// A document TrustCred built from a checked schema: undefined terms are
	// refused when it is signed (the reserved entries then stay unused).
	_, b, err := is.sign(s, doc, rev, sus, now)
	if err != nil {
		return nil, err
	}
	sealed, err := is.Keys.Seal(b, dataContext)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:])
	suite, keyID, tplID := s.suite, s.key.ID, r.Template.ID
	c := &store.Credential{PublicID: publicID, SchemaID: r.Template.SchemaID, TemplateID: &tplID,
		RecipientAddress: strings.TrimSpace(r.RecipientAddress), EncryptedData: sealed, DataHash: &hash,
		ProofType: &suite, SigningKeyID: &keyID, IssuedAt: &now}
	if name := strings.TrimSpace(r.RecipientName); name != "" {
		c.RecipientName = &name
	}
	if v, ok := doc["validUntil"].(string); ok {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			c.ExpiresAt = &t
		}
	}
	return &Issued{Credential: c, JSON: b}, nil
}

// IssueMany signs and stores many credentials at once, for seeding (load
// tests, large demos): every request is checked first with Submit's rules
// (one refused request refuses the lot), then they go through SubmitBatch
// (ViaSystem, no batch rows); it returns the stored credentials.
func (is *Issuer) IssueMany(ctx context.Context, sc *store.Scoped, reqs []Request, actor store.Actor) ([]*store.Credential, error) {
	for _, r := range reqs {
		if err := check(r); err != nil {
			return nil, err
		}
	}
	creds := make([]*store.Credential, 0, len(reqs))
	for start := 0; start < len(reqs); start += SubmitChunk {
		out, errs, err := is.SubmitBatch(ctx, sc, reqs[start:min(start+SubmitChunk, len(reqs))], store.ViaSystem, nil, actor)
		if err != nil {
			return nil, err
		}
		for i, e := range errs {
			if e != nil {
				return nil, e
			}
			creds = append(creds, out[i].Credential)
		}
	}
	return creds, nil
}
