// Package verify checks W3C Verifiable Credentials and Presentations,
// TrustCred's and anyone else's: the Data Integrity proof (eddsa-rdfc-2022
// or eddsa-jcs-2022), that the signing key belongs to the issuer (did:key
// locally, did:web through a guarded fetch), the Bitstring Status List
// entries (revocation, suspension), the validity dates and, for
// TrustCred's own credentials, the schema. Every check comes back with a
// plain-language reason; nothing here panics or returns a Go error for
// bad input.
//
// A check fails when what it reads says no (a signature that does not
// match, a key the DID document does not list, a 404 or a malformed
// document); it is unknown ("could not check") when what it needs could
// not be read right now: TrustCred's own database failing, or a network
// error, a timeout or a 5xx/429 answer fetching a foreign DID document or
// status list. An unknown check's reason is a fixed sentence; the error
// behind it is kept for the log (Result.Cause), never shown.
package verify

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/trustcred/trustcred/internal/vc"
)

// Check names, in the order they are reported.
const (
	CheckFormat     = "format"
	CheckSignature  = "signature"
	CheckIssuer     = "issuer"
	CheckRevocation = "revocation"
	CheckSuspension = "suspension"
	CheckValidity   = "validity"
	CheckSchema     = "schema"
)

// Verdicts.
const (
	Valid     = "valid"
	Revoked   = "revoked"
	Suspended = "suspended"
	Expired   = "expired"
	Invalid   = "invalid"
	// Unavailable: the outcome depends on a check that could not be made
	// right now (see the package comment); try again later.
	Unavailable = "unavailable"
)

// ErrUnavailable marks an error of something a check needed that could not
// be read right now (this server's database, a foreign server's network
// or 5xx answer), as opposed to something read that says no.
var ErrUnavailable = errors.New("verify: could not be checked right now")

// unavailable reports whether err means "could not check" rather than
// "checked, and it fails": ErrUnavailable, or the verification's deadline.
func unavailable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// The fixed reasons of checks that could not be made: the cause is logged,
// never shown.
const (
	msgKeyUnavailable    = "Not checked: the signing key could not be retrieved right now."
	msgIssuerUnavailable = "Could not be checked right now: the signer's DID document could not be retrieved. Try again in a moment."
	msgStatusUnavailable = "Could not be checked right now: the issuer's status list could not be retrieved. Try again in a moment."
	msgSchemaUnavailable = "Could not be checked right now: TrustCred's record of this credential could not be read. Try again in a moment."
	msgNoSignature       = "Not checked: the signature could not be checked right now."
)

// Check is one step of a verification.
type Check struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Skipped bool   `json:"skipped,omitempty"` // not applicable (no status entry, not our schema)
	// Unknown: could not be checked right now (not Passed, not failed);
	// Detail is then a fixed sentence and cause the error behind it.
	Unknown bool   `json:"unknown,omitempty"`
	Detail  string `json:"detail"`

	cause error
}

// unknownCheck is a check that could not be made, with its fixed reason.
func unknownCheck(name, detail string, cause error) Check {
	return Check{Name: name, Unknown: true, Detail: detail, cause: cause}
}

// Result is the outcome of verifying one credential.
type Result struct {
	Verified bool           `json:"verified"`
	Verdict  string         `json:"verdict"`
	Checks   []Check        `json:"checks"`
	Warnings []string       `json:"warnings,omitempty"`
	Issuer   string         `json:"issuer,omitempty"`
	Document map[string]any `json:"-"`

	revoked, suspended bool // the status lists say so (not merely "could not be checked")
}

// Check returns the named check, if it ran.
func (r *Result) Check(name string) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// Cause is the error behind the first check that could not be made (nil
// when every check could): for the log, never for the person verifying.
func (r *Result) Cause() error {
	for _, c := range r.Checks {
		if c.Unknown && c.cause != nil {
			return c.cause
		}
	}
	return nil
}

// Errors are the details of the failed checks.
func (r *Result) Errors() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.Passed && !c.Skipped {
			out = append(out, c.Detail)
		}
	}
	return out
}

// LocalStatusList serves this server's own status list credentials
// without a network round trip; ok is false for other URLs.
type LocalStatusList func(ctx context.Context, url string) (body []byte, ok bool, err error)

// SchemaCheck checks a credential's data against its schema when the
// credential is one this server issued; nil means "not ours" (skipped).
type SchemaCheck func(ctx context.Context, doc map[string]any) *Check

// Verifier verifies credentials and presentations. The zero value checks
// did:key credentials only; set Resolver.Fetcher to reach did:web and
// remote status lists.
type Verifier struct {
	Resolver   Resolver
	StatusList LocalStatusList
	Schema     SchemaCheck
	Now        func() time.Time
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Credential verifies a credential (a decoded JSON object, see
// vc.ParseJSON).
func (v *Verifier) Credential(ctx context.Context, doc map[string]any) *Result {
	return v.credential(ctx, doc, true)
}

func (v *Verifier) credential(ctx context.Context, doc map[string]any, withStatus bool) *Result {
	r := &Result{Document: doc}
	issuer, err := shape(doc)
	r.Issuer = issuer
	if err != nil {
		r.Checks = append(r.Checks, Check{Name: CheckFormat, Detail: err.Error()})
		r.Checks = append(r.Checks, Check{Name: CheckSignature, Detail: "Not checked: the document is not a Verifiable Credential."})
		return r.finish()
	}
	r.Checks = append(r.Checks, Check{Name: CheckFormat, Passed: true, Detail: "A W3C Verifiable Credential (data model 2.0)."})
	sig, iss := v.proof(ctx, doc, issuer, vc.PurposeAssertion)
	r.Checks = append(r.Checks, sig, iss)
	if withStatus && (sig.Unknown || iss.Unknown) {
		r.Checks = append(r.Checks,
			Check{Name: CheckRevocation, Skipped: true, Detail: "Not checked: the credential's signature could not be checked right now."},
			Check{Name: CheckSuspension, Skipped: true, Detail: "Not checked: the credential's signature could not be checked right now."})
	} else if withStatus && (!sig.Passed || !iss.Passed) {
		// Whatever the lists say, the credential is invalid; a forged
		// document does not get to make this server fetch them.
		r.Checks = append(r.Checks,
			Check{Name: CheckRevocation, Skipped: true, Detail: "Not checked: the credential's signature or issuer is not valid."},
			Check{Name: CheckSuspension, Skipped: true, Detail: "Not checked: the credential's signature or issuer is not valid."})
	} else if withStatus {
		rev, sus := v.status(ctx, doc, issuer)
		r.Checks = append(r.Checks, rev, sus)
		r.revoked = !rev.Passed && rev.Detail == msgRevoked
		r.suspended = !sus.Passed && sus.Detail == msgSuspended
	}
	r.Checks = append(r.Checks, v.validity(doc))
	if v.Schema != nil {
		if c := v.Schema(ctx, doc); c != nil {
			c.Name = CheckSchema
			r.Checks = append(r.Checks, *c)
		}
	}
	return r.finish()
}

func (r *Result) finish() *Result {
	failed := func(name string) bool {
		c, ok := r.Check(name)
		return ok && !c.Passed && !c.Skipped && !c.Unknown
	}
	unknown := func(names ...string) bool {
		for _, c := range r.Checks {
			if c.Unknown && (len(names) == 0 || slices.Contains(names, c.Name)) {
				return true
			}
		}
		return false
	}
	// A definite "no" decides; "could not check" decides only when nothing
	// checked says no, and an unchecked signature makes the rest moot.
	switch {
	case failed(CheckFormat), failed(CheckSignature), failed(CheckIssuer):
		r.Verdict = Invalid
	case unknown(CheckSignature, CheckIssuer):
		r.Verdict = Unavailable
	case failed(CheckSchema):
		r.Verdict = Invalid
	case r.revoked:
		r.Verdict = Revoked
	case r.suspended:
		r.Verdict = Suspended
	case failed(CheckRevocation), failed(CheckSuspension):
		r.Verdict = Invalid // the status could not be checked
	case failed(CheckValidity):
		c, _ := r.Check(CheckValidity)
		if strings.HasPrefix(c.Detail, "Expired") {
			r.Verdict = Expired
		} else {
			r.Verdict = Invalid
		}
	case unknown():
		r.Verdict = Unavailable
	default:
		r.Verdict = Valid
	}
	r.Verified = r.Verdict == Valid
	return r
}

// shape checks the VC 2.0 structure and returns the issuer's id.
func shape(doc map[string]any) (string, error) {
	ctxs, ok := doc["@context"].([]any)
	if !ok || len(ctxs) == 0 || ctxs[0] != vc.ContextCredentialsV2 {
		if s, isStr := doc["@context"].(string); isStr && s == vc.ContextCredentialsV2 {
			ctxs = []any{s}
		} else {
			return "", errors.New("Not a W3C Verifiable Credential 2.0: its first @context must be " + vc.ContextCredentialsV2 + ".")
		}
	}
	if !hasType(doc["type"], "VerifiableCredential") {
		return "", errors.New("Not a Verifiable Credential: its type does not include VerifiableCredential.")
	}
	if _, ok := doc["credentialSubject"]; !ok {
		return "", errors.New("The credential has no credentialSubject.")
	}
	issuer := issuerID(doc["issuer"])
	if issuer == "" {
		return "", errors.New("The credential names no issuer.")
	}
	return issuer, nil
}

func hasType(t any, want string) bool {
	switch v := t.(type) {
	case string:
		return v == want
	case []any:
		return slices.Contains(v, any(want))
	}
	return false
}

func issuerID(v any) string {
	switch i := v.(type) {
	case string:
		return i
	case map[string]any:
		s, _ := i["id"].(string)
		return s
	}
	return ""
}

// proof checks the document's proof: the signature and that its key is
// the issuer's (holder's, for a presentation) for purpose.
func (v *Verifier) proof(ctx context.Context, doc map[string]any, signer, purpose string) (sig, iss Check) {
	sig, iss = Check{Name: CheckSignature}, Check{Name: CheckIssuer}
	p, ok := doc["proof"].(map[string]any)
	if !ok {
		if _, isSet := doc["proof"].([]any); isSet {
			sig.Detail = "The document has several proofs; TrustCred verifies documents with one."
		} else {
			sig.Detail = "The document is not signed: it has no proof."
		}
		iss.Detail = "Not checked: there is no signature."
		return sig, iss
	}
	suite, _ := p["cryptosuite"].(string)
	vm, _ := p["verificationMethod"].(string)
	var controller string
	var resolveErr error
	resolve := func(ctx context.Context, id string) (ed25519.PublicKey, error) {
		pub, did, err := v.Resolver.Key(ctx, id, purpose)
		controller, resolveErr = did, err
		return pub, err
	}
	var err error
	opts := vc.VerifyOptions{ProofPurpose: purpose}
	switch suite {
	case vc.CryptosuiteRDFC:
		err = vc.VerifyRDFC(ctx, doc, resolve, opts)
	case vc.CryptosuiteJCS:
		// JCS signs the JSON as it is; the document must still be valid
		// JSON-LD, as every verifier will read it so.
		if _, cerr := vc.CanonicalizeRDFC(without(doc, "proof")); cerr != nil {
			err = cerr
		} else {
			err = vc.VerifyJCS(ctx, doc, resolve, opts)
		}
	default:
		sig.Detail = fmt.Sprintf("The proof uses %q, which TrustCred does not verify (eddsa-rdfc-2022 and eddsa-jcs-2022 are supported).", suite)
		iss.Detail = "Not checked: the signature could not be checked."
		return sig, iss
	}
	switch {
	case resolveErr != nil && unavailable(resolveErr):
		return unknownCheck(CheckSignature, msgKeyUnavailable, resolveErr), unknownCheck(CheckIssuer, msgIssuerUnavailable, resolveErr)
	case err != nil && unavailable(err):
		// The verification's deadline ran out while canonicalizing.
		return unknownCheck(CheckSignature, msgNoSignature, err), unknownCheck(CheckIssuer, msgNoSignature, err)
	case resolveErr != nil:
		sig.Detail = "Not checked: the signing key could not be found."
		iss.Detail = "The signing key does not belong to the issuer: " + plain(resolveErr)
		return sig, iss
	case err != nil:
		sig.Detail = signatureProblem(err)
		iss.Detail = "Not checked: the signature is not valid."
		if controller != "" && controller == signer {
			iss.Passed, iss.Detail = true, "The signing key "+vm+" is listed in "+signer+"'s DID document."
		}
		return sig, iss
	}
	sig.Passed, sig.Detail = true, fmt.Sprintf("The %s signature is valid: the document has not been changed since it was signed.", suite)
	if controller != signer {
		iss.Detail = fmt.Sprintf("The credential was signed with a key of %s, not of its issuer %s.", controller, signer)
		return sig, iss
	}
	iss.Passed, iss.Detail = true, fmt.Sprintf("The signing key is %s's, as its DID document says.", signer)
	return sig, iss
}

func without(doc map[string]any, key string) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != key {
			out[k] = v
		}
	}
	return out
}

func signatureProblem(err error) string {
	switch {
	case errors.Is(err, vc.ErrInvalidProof):
		return "The signature does not match: the document was changed after it was signed, or it was signed with another key."
	case errors.Is(err, vc.ErrUndefinedTerm):
		return "The document uses a term its JSON-LD context does not define, so a signature could not cover it: " + strings.TrimPrefix(err.Error(), "vc: ")
	case errors.Is(err, vc.ErrUnknownContext):
		var uc *vc.UnknownContextError
		if errors.As(err, &uc) {
			return fmt.Sprintf("The @context %q is not supported: TrustCred only uses the JSON-LD contexts it ships and never fetches others, so it cannot check this signature.", uc.URL)
		}
		return "The document names a JSON-LD @context that is not supported: TrustCred only uses the contexts it ships and never fetches others, so it cannot check this signature."
	case errors.Is(err, vc.ErrTooAmbiguous):
		return "The document cannot be canonicalized in reasonable time: too many of its blank nodes (objects without an id) are identical and linked to each other."
	case errors.Is(err, vc.ErrProofPurpose):
		return "The proof was made for another purpose."
	case errors.Is(err, vc.ErrProofContext):
		return "The proof's @context differs from the document's."
	}
	return "The proof is malformed: " + plain(err)
}

func plain(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "vc: ")
	return s
}

// status checks the credential's BitstringStatusListEntry values.
func (v *Verifier) status(ctx context.Context, doc map[string]any, issuer string) (rev, sus Check) {
	rev = Check{Name: CheckRevocation, Passed: true, Skipped: true, Detail: "The credential has no revocation status."}
	sus = Check{Name: CheckSuspension, Passed: true, Skipped: true, Detail: "The credential has no suspension status."}
	var entries []any
	switch s := doc["credentialStatus"].(type) {
	case nil:
		return rev, sus
	case map[string]any:
		entries = []any{s}
	case []any:
		entries = s
	default:
		rev = Check{Name: CheckRevocation, Detail: "The credential's status is malformed."}
		return rev, sus
	}
	if len(entries) > MaxStatusEntries {
		// Each entry may mean a fetch from the issuer's server: a document
		// is not a way to make this server fetch without end.
		rev = Check{Name: CheckRevocation, Detail: fmt.Sprintf("The credential has %d status entries; at most %d are checked, so its status cannot be known.", len(entries), MaxStatusEntries)}
		return rev, sus
	}
	for _, e := range entries {
		entry, _ := e.(map[string]any)
		purpose, _ := entry["statusPurpose"].(string)
		var c *Check
		switch purpose {
		case "revocation":
			c = &rev
		case "suspension":
			c = &sus
		default:
			continue // other purposes (refresh, message) are not about validity
		}
		if !c.Passed && !c.Unknown {
			continue // an entry of this purpose already failed: it decides
		}
		if entry["type"] != "BitstringStatusListEntry" {
			*c = Check{Name: c.Name, Detail: fmt.Sprintf("The %s status has type %v; only BitstringStatusListEntry is supported.", purpose, entry["type"])}
			continue
		}
		set, err := v.statusBit(ctx, entry, issuer, purpose)
		var next Check
		switch {
		case err != nil && unavailable(err):
			next = unknownCheck(c.Name, msgStatusUnavailable, err)
		case err != nil:
			next = Check{Name: c.Name, Detail: fmt.Sprintf("The %s status could not be checked: %s", purpose, err)}
		case set && purpose == "revocation":
			next = Check{Name: c.Name, Detail: msgRevoked}
		case set:
			next = Check{Name: c.Name, Detail: msgSuspended}
		case purpose == "revocation":
			next = Check{Name: c.Name, Passed: true, Detail: "Not revoked: the issuer's status list says so."}
		default:
			next = Check{Name: c.Name, Passed: true, Detail: "Not suspended: the issuer's status list says so."}
		}
		if c.Unknown && (next.Passed || next.Unknown) {
			continue // an entry that could not be checked stays unknown unless another one fails
		}
		*c = next
	}
	return rev, sus
}

// MaxStatusEntries bounds the credentialStatus entries checked: issuers use
// one or two per purpose; more is refused rather than fetched.
const MaxStatusEntries = 8

const (
	msgRevoked   = "The issuer has revoked this credential."
	msgSuspended = "The issuer has suspended this credential."
)

func (v *Verifier) statusBit(ctx context.Context, entry map[string]any, issuer, purpose string) (bool, error) {
	u, _ := entry["statusListCredential"].(string)
	idxStr, _ := entry["statusListIndex"].(string)
	idx, err := strconv.Atoi(idxStr)
	if u == "" || err != nil || idx < 0 {
		return false, errors.New("its entry has no valid statusListCredential and statusListIndex.")
	}
	var body []byte
	ok := false
	if v.StatusList != nil {
		if body, ok, err = v.StatusList(ctx, u); err != nil {
			if unavailable(err) {
				return false, err
			}
			return false, fmt.Errorf("the status list %s: %s", u, plain(err))
		}
	}
	if !ok {
		if v.Resolver.Fetcher == nil {
			return false, fmt.Errorf("the status list %s is not available here.", u)
		}
		if body, err = v.Resolver.Fetcher.Get(ctx, u); err != nil {
			if unavailable(err) {
				return false, err
			}
			return false, errors.New(plain(err) + ".")
		}
	}
	sl, err := v.checkedList(ctx, u, body)
	if err != nil {
		return false, err
	}
	if sl.until != nil && !v.now().Before(*sl.until) {
		return false, fmt.Errorf("the status list %s has expired.", u)
	}
	if sl.issuer != issuer {
		return false, fmt.Errorf("the status list was issued by %s, not by the credential's issuer.", sl.issuer)
	}
	if sl.purpose != purpose {
		return false, fmt.Errorf("the status list is not a %s list.", purpose)
	}
	if idx >= len(sl.bits)*8 {
		return false, errors.New("the credential's index is outside the status list.")
	}
	return vc.Bit(sl.bits, idx), nil
}

// checkedList is a status list credential whose proof verified.
type checkedList struct {
	issuer, purpose string
	bits            []byte
	until           *time.Time
}

// lists remembers status list credentials already verified, by the
// SHA-256 of their bytes: the same list is checked for every credential
// in it, and its proof is as valid the second time.
var lists, _ = lru.New[[32]byte, *checkedList](64)

func (v *Verifier) checkedList(ctx context.Context, u string, body []byte) (*checkedList, error) {
	key := sha256.Sum256(body)
	if sl, ok := lists.Get(key); ok {
		return sl, nil
	}
	parsed, err := vc.ParseJSON(body)
	list, isObj := parsed.(map[string]any)
	if err != nil || !isObj {
		return nil, fmt.Errorf("the status list %s is not a JSON credential.", u)
	}
	lr := v.credential(ctx, list, false)
	if lr.Verdict == Unavailable {
		return nil, fmt.Errorf("%w: the status list %s: %w", ErrUnavailable, u, lr.Cause())
	}
	if !lr.Verified {
		// Not kept: a list whose issuer's key could not be fetched may
		// verify on the next try.
		return nil, fmt.Errorf("the status list %s does not verify (%s).", u, strings.Join(lr.Errors(), " "))
	}
	if !hasType(list["type"], "BitstringStatusListCredential") {
		return nil, errors.New("the status list is not a BitstringStatusListCredential.")
	}
	subj, _ := list["credentialSubject"].(map[string]any)
	purpose, _ := subj["statusPurpose"].(string)
	enc, _ := subj["encodedList"].(string)
	bits, err := vc.DecodeStatusList(enc)
	if err != nil {
		return nil, fmt.Errorf("the status list %s could not be read: %s.", u, strings.TrimPrefix(err.Error(), vc.ErrStatusList.Error()+": "))
	}
	_, until := Window(list)
	sl := &checkedList{issuer: lr.Issuer, purpose: purpose, bits: bits, until: until}
	lists.Add(key, sl)
	return sl, nil
}

// validity checks validFrom and validUntil against now.
func (v *Verifier) validity(doc map[string]any) Check {
	now := v.now()
	c := Check{Name: CheckValidity}
	parse := func(k string) (time.Time, bool, error) {
		raw, ok := doc[k]
		if !ok {
			return time.Time{}, false, nil
		}
		s, _ := raw.(string)
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return time.Time{}, true, fmt.Errorf("Its %s %v is not a date and time.", k, raw)
		}
		return t, true, nil
	}
	from, hasFrom, err1 := parse("validFrom")
	until, hasUntil, err2 := parse("validUntil")
	if err := errors.Join(err1, err2); err != nil {
		c.Detail = err.Error()
		return c
	}
	switch {
	case hasFrom && now.Before(from):
		c.Detail = "Not valid yet: valid from " + from.UTC().Format("2 January 2006 15:04 UTC") + "."
	case hasUntil && !now.Before(until):
		c.Detail = "Expired on " + until.UTC().Format("2 January 2006 15:04 UTC") + "."
	case hasUntil:
		c.Passed, c.Detail = true, "Valid until "+until.UTC().Format("2 January 2006")+"."
	default:
		c.Passed, c.Detail = true, "Valid with no expiry date."
	}
	return c
}

// Limits on a document brought for verification: RDF canonicalization
// (RDFC-1.0) can take time far beyond a document's size when it has many
// blank nodes, and this server verifies documents from anyone.
const (
	MaxNodes = 2000 // JSON objects and arrays
	MaxDepth = 32
)

// ErrTooComplex is returned by CheckComplexity.
var ErrTooComplex = errors.New("the document is too complex to verify")

// CheckComplexity refuses a document with more than MaxNodes objects and
// arrays or nested deeper than MaxDepth, before any canonicalization.
func CheckComplexity(doc any) error {
	nodes := 0
	var walk func(v any, depth int) error
	walk = func(v any, depth int) error {
		switch x := v.(type) {
		case map[string]any:
			nodes++
			if nodes > MaxNodes || depth > MaxDepth {
				return ErrTooComplex
			}
			for _, c := range x {
				if err := walk(c, depth+1); err != nil {
					return err
				}
			}
		case []any:
			nodes++
			if nodes > MaxNodes || depth > MaxDepth {
				return ErrTooComplex
			}
			for _, c := range x {
				if err := walk(c, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(doc, 0)
}
