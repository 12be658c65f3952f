package issuance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/trustcred/trustcred/store"
)

// IssueMany signs and stores many credentials of one template at once,
// for seeding (load tests, large demos): status entries are reserved in
// one go, documents are signed on every core and inserted in batches.
// It checks each request with Submit's rules (CheckRecipient, CheckData)
// and signs them all (no approval seam: seeding only). Unlike Submit it
// writes one audit entry for the lot and is not idempotent; bulk issuance
// from CSV uses Submit per row.
func (is *Issuer) IssueMany(ctx context.Context, sc *store.Scoped, reqs []Request, actor store.Actor) ([]*store.Credential, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	tpl := reqs[0].Template
	for _, r := range reqs {
		if r.Template != tpl {
			return nil, bad("IssueMany takes requests of one template")
		}
		if fe := CheckRecipient(r.RecipientName, r.RecipientAddress); fe != nil {
			return nil, fe
		}
		if err := CheckData(r.Template, r.Data); err != nil {
			return nil, err
		}
	}
	org, s, err := is.prepare(ctx, sc, Cryptosuite(tpl), actor)
	if err != nil {
		return nil, err
	}
	rev, err := sc.ReserveStatusEntries(ctx, store.PurposeRevocation, s.issuerDID, len(reqs))
	if err != nil {
		return nil, err
	}
	sus, err := sc.ReserveStatusEntries(ctx, store.PurposeSuspension, s.issuerDID, len(reqs))
	if err != nil {
		return nil, err
	}
	out := make([]*store.Credential, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				out[i], errs[i] = is.signOne(org, s, reqs[i], rev[i], sus[i])
			}
		})
	}
	for i := range reqs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := sc.InsertIssuedCredentials(ctx, out, actor); err != nil {
		return nil, err
	}
	return out, nil
}

func (is *Issuer) signOne(org *store.Organization, s *signer, r Request, rev, sus store.StatusEntry) (*store.Credential, error) {
	publicID := NewPublicID()
	doc, err := is.Document(org, s.issuerDID, publicID, r)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
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
		ProofType: &suite, SigningKeyID: &keyID, IssuedAt: &now,
		StatusListID: &rev.ListID, StatusListIndex: &rev.Index, SuspensionListID: &sus.ListID, SuspensionListIndex: &sus.Index}
	if name := strings.TrimSpace(r.RecipientName); name != "" {
		c.RecipientName = &name
	}
	if v, ok := doc["validUntil"].(string); ok {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			c.ExpiresAt = &t
		}
	}
	return c, nil
}
