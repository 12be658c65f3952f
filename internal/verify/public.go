package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/verifylog"
	"github.com/trustcred/trustcred/store"
)

// Visit is who asked for a verification and how, for its log entry.
type Visit struct {
	Method    store.VerificationMethod
	IP        string
	UserAgent string
	UserID    *string // the signed-in verifier, if any
}

// Service verifies for the public page, the upload form and the API: our
// credentials from the database (cached), anyone's from a document, and
// logs every verification.
type Service struct {
	DB       *store.DB        // our credentials, their stamps and log links
	Issuer   *issuance.Issuer // decrypts our stored credentials
	Verifier *Verifier
	Cache    *Cache[*Viewed]
	// Pages keeps the public pages made from the views (NewPages),
	// checked against the same stamps; NewService keeps none.
	Pages *Cache[*Page]
	Logs  *verifylog.Writer
	Local *Local
	// Timeout bounds one verification of a document someone brought,
	// whatever servers it names make the fetches take; 0: DefaultTimeout.
	Timeout time.Duration
	// Log receives the causes of checks that could not be made (nil:
	// slog's default logger).
	Log *slog.Logger
}

// Logger is Log, or slog's default logger.
func (s *Service) Logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// DefaultTimeout is how long verifying a brought document may take in
// all (each fetch has its own, shorter limit too).
const DefaultTimeout = 20 * time.Second

func (s *Service) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	t := s.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	return context.WithTimeout(ctx, t)
}

// NewService wires the verifier, a cache of size outcomes and the log
// writer for this server; set Pages to keep public pages too.
func NewService(db *store.DB, is *issuance.Issuer, fetcher *Fetcher, logs *verifylog.Writer, size int) *Service {
	l := &Local{DB: db, Issuer: is}
	return &Service{DB: db, Issuer: is, Verifier: l.verifier(fetcher), Cache: NewCache[*Viewed](size),
		Pages: NewPages(0), Logs: logs, Local: l}
}

// Viewed is one of our credentials with its verification.
type Viewed struct {
	Credential *store.Credential // with Issuer, Template and Schema
	Document   map[string]any
	JSON       []byte
	Result     *Result
}

// Credential verifies one of this server's credentials by public id:
// store.ErrNotFound for an unknown id or a revoked issuer. While nothing
// it depends on changes (its Stamp, read with one indexed query) and
// within its validity window, the view — decrypted document and
// verification — is served from the cache; every call is logged.
func (s *Service) Credential(ctx context.Context, publicID string, v Visit) (*Viewed, error) {
	stamp, err := s.Stamp(ctx, publicID)
	if err != nil {
		return nil, err
	}
	return s.CredentialAt(ctx, publicID, stamp, v)
}

// CredentialAt is Credential for a caller that has just read the
// credential's Stamp (with Service.Stamp), so that it is not read twice.
func (s *Service) CredentialAt(ctx context.Context, publicID string, stamp Stamp, v Visit) (*Viewed, error) {
	now := s.Verifier.now()
	if view, hit := s.Cache.Get(publicID, stamp, now); hit {
		s.log(refOf(view.Credential), view.Result, v)
		return view, nil
	}
	c, err := s.DB.PublicCredential(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if c.Issuer == nil || len(c.EncryptedData) == 0 {
		return nil, store.ErrNotFound
	}
	switch c.Status {
	case store.CredentialPending, store.CredentialRejected, store.CredentialDraft:
		// not signed (awaiting approval, or never to be): its stored
		// document is not a credential to show or verify
		return nil, store.ErrNotFound
	}
	b, err := s.Issuer.SignedDocument(c)
	if err != nil {
		return nil, err
	}
	parsed, err := vc.ParseJSON(b)
	doc, ok := parsed.(map[string]any)
	if err != nil || !ok {
		return nil, errors.New("verify: stored credential is not a JSON object")
	}
	view := &Viewed{Credential: c, Document: doc, JSON: b, Result: s.Verifier.Credential(ctx, doc)}
	if view.Result.Verdict == Unavailable {
		// Not cached, not shown: the page is for a verdict.
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, view.Result.Cause())
	}
	from, until := Window(doc)
	s.Cache.Put(publicID, stamp, view, from, until)
	s.log(refOf(c), view.Result, v)
	return view, nil
}

// Stamp is the current stamp of one of our credentials (one indexed
// query): a caller that caches what it built from a view checks it before
// reusing that. store.ErrNotFound for an unknown id or a revoked issuer.
func (s *Service) Stamp(ctx context.Context, publicID string) (Stamp, error) {
	st, err := s.DB.CredentialStamp(ctx, publicID)
	if err == nil && st.IssuerStatus == string(store.OrganizationRevoked) {
		return st, store.ErrNotFound
	}
	return st, err
}

// Now is the verifier's clock.
func (s *Service) Now() time.Time { return s.Verifier.now() }

// Report is a verification result as its log rows store it, encoded once
// (a cached page logs every view with the same bytes).
func Report(r *Result) []byte {
	report := store.VerificationReport{Verified: r.Verified, Errors: r.Errors()}
	for _, ch := range r.Checks {
		report.Checks = append(report.Checks, store.VerificationCheck{Name: ch.Name, Passed: ch.Passed, Detail: ch.Detail})
	}
	b, err := json.Marshal(report)
	if err != nil {
		panic(err) // strings and bools only
	}
	return b
}

// Document verifies a credential someone brought (upload, API) and logs
// it, linked to our credential when it is one of ours.
func (s *Service) Document(ctx context.Context, doc map[string]any, v Visit) *Result {
	ctx = withRefs(ctx) // the schema check's ref is the log entry's
	vctx, cancel := s.deadline(ctx)
	res := s.Verifier.Credential(vctx, doc)
	cancel()
	if res.Verdict == Unavailable {
		s.Logger().WarnContext(ctx, "verification could not be completed", "err", res.Cause())
	}
	s.log(s.ref(ctx, doc), res, v)
	return res
}

// Presentation verifies a presentation and logs each credential in it.
func (s *Service) Presentation(ctx context.Context, doc map[string]any, opts PresentationOptions, v Visit) *PresentationResult {
	ctx = withRefs(ctx)
	vctx, cancel := s.deadline(ctx)
	res := s.Verifier.Presentation(vctx, doc, opts)
	cancel()
	if res.Unavailable {
		s.Logger().WarnContext(ctx, "verification could not be completed", "err", res.Cause())
	}
	for _, cr := range res.Credentials {
		s.log(s.ref(ctx, cr.Document), cr, v)
	}
	return res
}

// Window is a credential's validFrom and validUntil (nil when absent or
// unreadable): when a cached view of it stops holding.
func Window(doc map[string]any) (from, until *time.Time) {
	parse := func(k string) *time.Time {
		str, _ := doc[k].(string)
		t, err := time.Parse(time.RFC3339, str)
		if err != nil {
			return nil
		}
		return &t
	}
	return parse("validFrom"), parse("validUntil")
}

// ref is our credential that a document claims to be (by its id), for
// its log entry; nil for anyone else's or an unknown id.
func (s *Service) ref(ctx context.Context, doc map[string]any) *store.CredentialRef {
	if doc == nil {
		return nil
	}
	pid := s.Local.PublicID(doc)
	if pid == "" {
		return nil
	}
	r, err := s.Local.credentialRef(ctx, pid)
	if err != nil {
		return nil
	}
	return &r
}

func refOf(c *store.Credential) *store.CredentialRef {
	return &store.CredentialRef{ID: c.ID, IssuerID: c.IssuerID}
}

func (s *Service) log(c *store.CredentialRef, r *Result, v Visit) {
	if s.Logs == nil {
		return
	}
	l := s.entry(v)
	l.ResultJSON = Report(r)
	verdict := r.Verdict
	l.Verdict = &verdict
	if c != nil {
		l.CredentialID, l.OrganizationID = &c.ID, &c.IssuerID
	}
	s.Logs.Record(l)
}

// entry is a log row's who and how.
func (s *Service) entry(v Visit) store.VerificationLog {
	l := store.VerificationLog{VerificationMethod: v.Method, VerifierUserID: v.UserID}
	if v.IP != "" {
		l.IPAddress = &v.IP
	}
	if v.UserAgent != "" {
		ua := v.UserAgent
		if len(ua) > 500 {
			ua = ua[:500]
		}
		l.UserAgent = &ua
	}
	return l
}
