package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/trustcred/trustcred/internal/did"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/store"
)

// Local answers, from the database, what a verifier would otherwise fetch
// from this server: its organizations' did:web documents and status lists,
// and the schema of the credentials it issued. Only "not found" means no;
// any other failure of the database (or of reading the keys) is
// ErrUnavailable: the check could not be made.
type Local struct {
	DB     *store.DB        // organizations and credential records
	Issuer *issuance.Issuer // DID documents and status lists as served

	didsOnce sync.Once
	dids     *lru.Cache[string, localDID] // by slug

	refsOnce sync.Once
	refs     *lru.Cache[string, cachedRef] // by public id
}

// cachedRef is a credential's ref as read at a time. A credential's row,
// issuer and schema do not change after issuance (its status is not part
// of the ref), so a ref is kept for refMaxAge: only a credential deleted
// with its organization is still found during that time.
type cachedRef struct {
	ref store.CredentialRef
	at  time.Time
}

// refMaxAge and maxRefs bound the refs Local keeps (a ref holds its
// schema's definition, a few KB).
const (
	refMaxAge = 10 * time.Minute
	maxRefs   = 4096
)

func (l *Local) refCache() *lru.Cache[string, cachedRef] {
	l.refsOnce.Do(func() { l.refs, _ = lru.New[string, cachedRef](maxRefs) })
	return l.refs
}

// localDID is a DID document built under a stamp: it is served while a
// fresh read of the stamp is the same. Shared, never modified.
type localDID struct {
	stamp store.IssuerDIDStamp
	doc   map[string]any
}

// maxLocalDIDs bounds the DID documents Local keeps (a few KB each).
const maxLocalDIDs = 1024

func (l *Local) didCache() *lru.Cache[string, localDID] {
	l.didsOnce.Do(func() { l.dids, _ = lru.New[string, localDID](maxLocalDIDs) })
	return l.dids
}

// NewVerifier is the verifier this server uses: its own DIDs, status lists
// and schemas locally, everything else through fetcher (nil: no network).
func NewVerifier(db *store.DB, is *issuance.Issuer, fetcher *Fetcher) *Verifier {
	return (&Local{DB: db, Issuer: is}).verifier(fetcher)
}

func (l *Local) verifier(fetcher *Fetcher) *Verifier {
	return &Verifier{Resolver: Resolver{Fetcher: fetcher, Local: l.DID}, StatusList: l.StatusList, Schema: l.Schema}
}

func (l *Local) base() string { return strings.TrimRight(l.Issuer.BaseURL, "/") }

// DID resolves this server's did:web:{host}:orgs:{slug}, and
// did:web:<custom domain> of an organization issuing under its verified
// custom domain (both from the database: no round trip to ourselves).
func (l *Local) DID(ctx context.Context, id string) (map[string]any, bool, error) {
	if host, ok := strings.CutPrefix(id, "did:web:"); ok && host != "" && !strings.ContainsAny(host, ":%") {
		if doc, ok, err := l.domainDID(ctx, host); ok {
			return doc, true, err
		}
	}
	prefix, err := did.Web(l.base(), "orgs")
	if err != nil {
		return nil, false, nil
	}
	slug, ok := strings.CutPrefix(id, prefix+":")
	if !ok || slug == "" || strings.Contains(slug, ":") {
		return nil, false, nil
	}
	// One query says whether the document built last time still holds:
	// the organization's status and its keys, as they are now.
	stamp, err := l.DB.IssuerDIDStampFresh(ctx, slug, issuance.StatusStampMaxAge)
	if errors.Is(err, store.ErrNotFound) || (err == nil && stamp.Status == store.OrganizationRevoked) {
		return nil, true, fmt.Errorf("%s is not an issuer on this server", id)
	}
	if err != nil {
		return nil, true, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if d, ok := l.didCache().Get(slug); ok && d.stamp == stamp {
		return d.doc, true, nil
	}
	org, err := l.DB.OrganizationBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) || (err == nil && org.Status == store.OrganizationRevoked) {
		return nil, true, fmt.Errorf("%s is not an issuer on this server", id)
	}
	if err != nil {
		return nil, true, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	doc, err := l.Issuer.DIDDocument(ctx, org)
	if err != nil {
		return nil, true, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if org.ID == stamp.OrganizationID {
		// Read after the stamp: never older than it. A change in between
		// changes the next stamp, which builds the document again.
		l.didCache().Add(strings.Clone(slug), localDID{stamp: stamp, doc: doc})
	}
	return doc, true, nil
}

// domainDID is the document of did:web:<host> when host is a verified
// custom domain whose organization issues, or has issued, under it
// (store.DB.DomainIssuer); ok is false for any other host (then resolved
// over the network like any did:web).
func (l *Local) domainDID(ctx context.Context, host string) (map[string]any, bool, error) {
	orgID, err := l.DB.DomainIssuer(ctx, host)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	org, err := l.DB.OrganizationByID(ctx, orgID)
	if err == nil && org.Status == store.OrganizationRevoked {
		return nil, true, fmt.Errorf("did:web:%s is not an issuer on this server", host)
	}
	if err != nil {
		return nil, true, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	doc, err := l.Issuer.DomainDIDDocument(ctx, org, host)
	if err != nil {
		return nil, true, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return doc, true, nil
}

// StatusList serves this server's status list credentials.
func (l *Local) StatusList(ctx context.Context, url string) ([]byte, bool, error) {
	id, ok := strings.CutPrefix(url, l.base()+"/status-lists/")
	if !ok {
		return nil, false, nil
	}
	sl, err := l.Issuer.StatusListCredential(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, true, fmt.Errorf("no such status list on this server")
	}
	if err != nil {
		return nil, true, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return sl.JSON, true, nil
}

// PublicID is the public id of a credential this server issued, from its
// id ({base}/v/{public_id}); "" for anyone else's.
func (l *Local) PublicID(doc map[string]any) string {
	id, _ := doc["id"].(string)
	pid, ok := strings.CutPrefix(id, l.base()+"/v/")
	if !ok || pid == "" || strings.ContainsAny(pid, "/?#") {
		return ""
	}
	return pid
}

// notFields are credentialSubject properties TrustCred writes that are not
// schema fields.
var notFields = map[string]bool{"id": true, "type": true, "name": true, "achievement": true, "identifier": true}

// Schema checks the subject of one of this server's credentials against
// the schema it was issued under; nil for anyone else's credential.
func (l *Local) Schema(ctx context.Context, doc map[string]any) *Check {
	pid := l.PublicID(doc)
	if pid == "" {
		return nil
	}
	ref, err := l.credentialRef(ctx, pid)
	if errors.Is(err, store.ErrNotFound) {
		return &Check{Detail: "TrustCred has no record of this credential."}
	}
	if err != nil {
		c := unknownCheck(CheckSchema, msgSchemaUnavailable, fmt.Errorf("%w: %w", ErrUnavailable, err))
		return &c
	}
	if ref.Schema == nil {
		return &Check{Passed: true, Skipped: true, Detail: "The credential has no schema."}
	}
	schema, err := issuance.CompiledSchema(ref.Schema.Definition)
	if err != nil {
		return &Check{Passed: true, Skipped: true, Detail: "The credential's schema could not be read."}
	}
	subj, _ := doc["credentialSubject"].(map[string]any)
	data := map[string]any{}
	for k, v := range subj {
		if !notFields[k] {
			data[k] = v
		}
	}
	if errs := schema.Validate(data); len(errs) > 0 {
		var parts []string
		for k, m := range errs {
			if k == "" {
				parts = append(parts, m)
			} else {
				parts = append(parts, k+" "+m)
			}
		}
		return &Check{Detail: fmt.Sprintf("The data does not match the schema %q: %s.", ref.Schema.Name, strings.Join(parts, "; "))}
	}
	return &Check{Passed: true, Detail: fmt.Sprintf("The data matches the schema %q version %s.", ref.Schema.Name, ref.Schema.Version)}
}

// refsKey is the context key of a request's refs.
type refsKey struct{}

// refs are the credential refs one verification request read, by public
// id: the schema check and the log entry of the same credential read its
// ref once.
type refs struct {
	mu sync.Mutex
	m  map[string]refRead
}

type refRead struct {
	ref store.CredentialRef
	err error
}

// withRefs returns ctx with a place to keep the refs read under it.
func withRefs(ctx context.Context) context.Context {
	return context.WithValue(ctx, refsKey{}, &refs{m: map[string]refRead{}})
}

// credentialRef reads the ref of one of our credentials, once per request
// made withRefs (a failure to read it is not kept).
func (l *Local) credentialRef(ctx context.Context, pid string) (store.CredentialRef, error) {
	rs, _ := ctx.Value(refsKey{}).(*refs)
	if rs != nil {
		rs.mu.Lock()
		r, ok := rs.m[pid]
		rs.mu.Unlock()
		if ok {
			return r.ref, r.err
		}
	}
	if e, ok := l.refCache().Get(pid); ok && time.Since(e.at) < refMaxAge {
		return e.ref, nil
	}
	ref, err := l.DB.CredentialRef(ctx, pid)
	if err == nil {
		l.refCache().Add(strings.Clone(pid), cachedRef{ref: ref, at: time.Now()})
	}
	if rs != nil && (err == nil || errors.Is(err, store.ErrNotFound)) {
		rs.mu.Lock()
		rs.m[pid] = refRead{ref, err}
		rs.mu.Unlock()
	}
	return ref, err
}
