package issuance

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/notify"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/store"
)

// ContextTrustCred is TrustCred's own JSON-LD context: the
// TrustCredCredential type and the TrustCredSubject type, under which the
// schema fields a credential carries are issuer-dependent terms.
const ContextTrustCred = vc.ContextTrustCred

// dataContext binds sealed credential documents to their column.
const dataContext = "credentials.encrypted_data"

// Errors of issuance a form or an API client can act on.
var (
	ErrCryptosuite = errors.New("unsupported cryptosuite: use eddsa-rdfc-2022 or eddsa-jcs-2022")
	ErrIssuer      = errors.New("the credential names another issuer")
	ErrCredential  = errors.New("invalid credential")
	// ErrDataHash: a stored credential's document no longer matches the
	// hash stored beside it (changed or damaged in the database).
	ErrDataHash = errors.New("the stored credential does not match its data hash")
)

// Request is one credential to issue from a template.
type Request struct {
	Template         *store.CredentialTemplate // with its Schema loaded
	RecipientName    string
	RecipientAddress string         // email or DID
	Data             map[string]any // the schema's fields, typed (credschema.Coerce)
	ValidFrom        time.Time      // zero: now
	ExpiresAt        *time.Time     // nil: the template's validity period, if any
	// Document, if set, is a credential an API client wrote: it is issued
	// instead of one built from Template (its recipient is its subject's).
	Document *DocumentRequest
	// Email, if set, is the queue the recipient's credential_email job is
	// enqueued in, inside the transaction that stores the credential: the
	// credential and its email commit together or not at all.
	Email jobs.Enqueuer
	// BatchID is the bulk batch the request is a row of, for its
	// credential.issued event.
	BatchID string
}

// Issued is a credential just issued: its row and its signed document.
type Issued struct {
	Credential *store.Credential
	Document   map[string]any
	JSON       []byte
}

// NewPublicID returns a short, unguessable public id: 128 random bits in
// lower-case base32 (26 characters).
func NewPublicID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// CredentialURL is a credential's id: its public page.
func (is *Issuer) CredentialURL(publicID string) string {
	return strings.TrimRight(is.BaseURL, "/") + "/v/" + publicID
}

// StatusListURL is the public URL of a status list credential.
func (is *Issuer) StatusListURL(listID string) string {
	return strings.TrimRight(is.BaseURL, "/") + "/status-lists/" + listID
}

// Cryptosuite is the template's cryptosuite (eddsa-rdfc-2022 by default).
func Cryptosuite(t *store.CredentialTemplate) string {
	if cs := t.TemplateData.Data().Cryptosuite; cs != "" {
		return cs
	}
	return vc.CryptosuiteRDFC
}

// Document builds the unsigned credential of a request for an issuer DID:
// what Preview shows and Issue signs (Issue adds credentialStatus).
func (is *Issuer) Document(org *store.Organization, issuerDID, publicID string, r Request) (map[string]any, error) {
	t := r.Template
	td := t.TemplateData.Data()
	from := r.ValidFrom
	if from.IsZero() {
		from = time.Now()
	}
	doc := map[string]any{
		"id":        is.CredentialURL(publicID),
		"issuer":    map[string]any{"id": issuerDID, "name": org.Name},
		"validFrom": from.UTC().Format(time.RFC3339),
		"name":      t.Name,
	}
	if td.Display.Title != "" {
		doc["name"] = td.Display.Title
	}
	switch {
	case td.Display.Description != "":
		doc["description"] = td.Display.Description
	case t.Description != nil && *t.Description != "":
		doc["description"] = *t.Description
	}
	if exp := expiry(r, td, from); exp != nil {
		doc["validUntil"] = exp.UTC().Format(time.RFC3339)
	}
	subject := Data(t, r.Data)
	if strings.HasPrefix(r.RecipientAddress, "did:") {
		subject["id"] = r.RecipientAddress
	}
	if r.RecipientName != "" {
		subject["name"] = r.RecipientName
	}
	if td.Kind == store.TemplateBadge {
		doc["@context"] = []any{vc.ContextCredentialsV2, vc.ContextOpenBadgesV3, ContextTrustCred}
		doc["type"] = []any{"VerifiableCredential", "OpenBadgeCredential"}
		subject["type"] = []any{"AchievementSubject", vc.TypeTrustCredSubject}
		subject["achievement"] = achievement(is, t, td)
		if !strings.HasPrefix(r.RecipientAddress, "did:") {
			subject["identifier"] = []any{emailIdentity(r.RecipientAddress, publicID)}
		}
	} else {
		doc["@context"] = []any{vc.ContextCredentialsV2, ContextTrustCred}
		doc["type"] = []any{"VerifiableCredential", vc.TypeTrustCredCredential}
		subject["type"] = vc.TypeTrustCredSubject
	}
	doc["credentialSubject"] = subject
	return normalize(doc)
}

// Data is a request's credential data: the template's defaults (typed by
// the schema's fields) overridden by the request's values.
func Data(t *store.CredentialTemplate, data map[string]any) map[string]any {
	out := map[string]any{}
	if t.Schema != nil {
		defaults, _ := credschema.Coerce(t.Schema.Fields, t.TemplateData.Data().Defaults)
		maps.Copy(out, defaults)
	}
	maps.Copy(out, data)
	return out
}

// DataError lists what is wrong with a request's data, by schema field
// ("" for the data as a whole), in words a form can show next to a field.
type DataError struct{ Fields map[string]string }

func (e *DataError) Error() string {
	return fmt.Sprintf("the credential data does not match its schema (%d fields)", len(e.Fields))
}

func (e *DataError) Unwrap() error { return ErrCredential }

// CheckData validates a request's data (with the template's defaults)
// against the template schema's JSON Schema: nil, or a *DataError.
func CheckData(t *store.CredentialTemplate, data map[string]any) error {
	if t.Schema == nil {
		return fmt.Errorf("%w: the template has no schema", ErrCredential)
	}
	schema, err := Schema(t.Schema)
	if err != nil {
		return fmt.Errorf("%w: the template's schema is not usable: %w", ErrCredential, err)
	}
	if errs := schema.Validate(Data(t, data)); len(errs) > 0 {
		return &DataError{Fields: errs}
	}
	return nil
}

// Schema is a credential schema's compiled JSON Schema, through the cache
// (CompiledSchema); one stored without its JSON Schema is checked against
// the one its fields make.
func Schema(s *store.CredentialSchema) (*credschema.Schema, error) {
	def := json.RawMessage(s.SchemaDefinition)
	if d := strings.TrimSpace(string(def)); d == "" || d == "{}" || d == "null" {
		var err error
		if def, err = credschema.Build(s.Name, s.Fields); err != nil {
			return nil, err
		}
	}
	return CompiledSchema(def)
}

// schemas caches compiled JSON Schemas by their text: compiling is far
// slower than validating, and a bulk batch checks every row against one.
var schemas, _ = lru.New[string, *credschema.Schema](256)

// CompiledSchema is credschema.Compile of def, cached by its SHA-256 (for
// issuance checks and the verifier's schema check alike).
func CompiledSchema(def json.RawMessage) (*credschema.Schema, error) {
	sum := sha256.Sum256(def)
	key := string(sum[:])
	if s, ok := schemas.Get(key); ok {
		return s, nil
	}
	s, err := credschema.Compile(def)
	if err != nil {
		return nil, err
	}
	schemas.Add(key, s)
	return s, nil
}

func expiry(r Request, td store.TemplateData, from time.Time) *time.Time {
	if r.ExpiresAt != nil {
		return r.ExpiresAt
	}
	if td.ValidityDays > 0 {
		t := from.AddDate(0, 0, td.ValidityDays)
		return &t
	}
	return nil
}

// achievement is the Open Badges 3.0 achievement of a badge template.
func achievement(is *Issuer, t *store.CredentialTemplate, td store.TemplateData) map[string]any {
	a := map[string]any{
		"id":   strings.TrimRight(is.BaseURL, "/") + "/achievements/" + t.ID,
		"type": []any{"Achievement"},
		"name": t.Name,
	}
	desc, criteria := "", ""
	if t.Description != nil {
		desc = *t.Description
	}
	if td.Achievement != nil {
		if td.Achievement.Name != "" {
			a["name"] = td.Achievement.Name
		}
		if td.Achievement.Description != "" {
			desc = td.Achievement.Description
		}
		criteria = td.Achievement.Criteria
		if td.Achievement.ImageURL != "" {
			a["image"] = map[string]any{"id": td.Achievement.ImageURL, "type": "Image"}
		}
		if al := alignment(td.Achievement.Alignment); len(al) > 0 {
			a["alignment"] = al
		}
	}
	if desc == "" {
		desc = td.Display.Description
	}
	if criteria == "" {
		criteria = td.Display.Criteria
	}
	if _, ok := a["image"]; !ok && td.Display.ImageURL != "" {
		a["image"] = map[string]any{"id": td.Display.ImageURL, "type": "Image"}
	}
	if desc == "" {
		desc = fmt.Sprint(a["name"])
	}
	if criteria == "" {
		criteria = desc
	}
	a["description"] = desc
	a["criteria"] = map[string]any{"narrative": criteria}
	return a
}

// alignment is an achievement's Open Badges 3.0 alignment: one Alignment
// per target, with only the properties the template gives.
func alignment(targets []store.Alignment) []any {
	out := make([]any, 0, len(targets))
	for _, t := range targets {
		m := map[string]any{"type": []any{"Alignment"}, "targetName": t.TargetName}
		for k, v := range map[string]string{"targetUrl": t.TargetURL, "targetFramework": t.TargetFramework,
			"targetCode": t.TargetCode, "targetDescription": t.TargetDescription} {
			if v != "" {
				m[k] = v
			}
		}
		out = append(out, m)
	}
	return out
}

// emailIdentity is an Open Badges IdentityObject for a recipient's email,
// salted and hashed so that the public credential does not show it.
func emailIdentity(email, salt string) map[string]any {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email)) + salt))
	return map[string]any{
		"type":         "IdentityObject",
		"identityHash": "sha256$" + hex.EncodeToString(sum[:]),
		"identityType": "emailAddress",
		"hashed":       true,
		"salt":         salt,
	}
}

// normalize round-trips a document through JSON so that its values are the
// ones internal/vc works with (json.Number, []any, map[string]any). A
// document made only of the values plainJSON knows is copied into that form
// directly, with the same result (TestNormalizeAsJSON); any other goes
// through encoding/json.
func normalize(doc map[string]any) (map[string]any, error) {
	if m, ok := plainJSON(doc); ok && m != nil {
		return m.(map[string]any), nil
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	v, err := vc.ParseJSON(b)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, vc.ErrDocumentFormat
	}
	return m, nil
}

// plainJSON is vc.ParseJSON(json.Marshal(v)) for a value made of nil,
// strings and object keys of valid UTF-8, booleans, float64, int, int64,
// maps, []any and []string; ok is false for anything else (a string that
// JSON would change, another type), which the caller sends through JSON.
// Numbers are written by encoding/json itself, so they read back the same.
func plainJSON(v any) (out any, ok bool) {
	switch t := v.(type) {
	case nil:
		return nil, true
	case string:
		return t, utf8.ValidString(t)
	case bool:
		return t, true
	case float64:
		b, err := json.Marshal(t)
		return json.Number(b), err == nil
	case int:
		return json.Number(strconv.Itoa(t)), true
	case int64:
		return json.Number(strconv.FormatInt(t, 10)), true
	case map[string]any:
		if t == nil {
			return nil, true
		}
		m := make(map[string]any, len(t))
		for k, e := range t {
			if !utf8.ValidString(k) {
				return nil, false
			}
			if m[k], ok = plainJSON(e); !ok {
				return nil, false
			}
		}
		return m, true
	case []any:
		if t == nil {
			return nil, true
		}
		l := make([]any, len(t))
		for i, e := range t {
			if l[i], ok = plainJSON(e); !ok {
				return nil, false
			}
		}
		return l, true
	case []string:
		if t == nil {
			return nil, true
		}
		l := make([]any, len(t))
		for i, e := range t {
			if !utf8.ValidString(e) {
				return nil, false
			}
			l[i] = e
		}
		return l, true
	default:
		return nil, false
	}
}

// statusEntries are a credential's BitstringStatusListEntry values.
func (is *Issuer) statusEntries(rev, sus store.StatusEntry) []any {
	entry := func(e store.StatusEntry) map[string]any {
		u := is.StatusListURL(e.ListID)
		idx := strconv.Itoa(e.Index)
		return map[string]any{
			"id":                   u + "#" + idx,
			"type":                 "BitstringStatusListEntry",
			"statusPurpose":        string(e.Purpose),
			"statusListIndex":      idx,
			"statusListCredential": u,
		}
	}
	return []any{entry(rev), entry(sus)}
}

// signer holds what signing needs, prepared before the transaction.
type signer struct {
	issuerDID string
	key       *store.SigningKey
	priv      []byte
	suite     string
}

func (is *Issuer) prepare(ctx context.Context, sc *store.Scoped, suite string, actor store.Actor) (*store.Organization, *signer, error) {
	if suite == "" {
		suite = vc.CryptosuiteRDFC
	}
	if suite != vc.CryptosuiteRDFC && suite != vc.CryptosuiteJCS {
		return nil, nil, ErrCryptosuite
	}
	org, err := sc.Organization(ctx)
	if err != nil {
		return nil, nil, err
	}
	if org.Status != store.OrganizationActive {
		return nil, nil, ErrOrganizationInactive
	}
	k, err := is.EnsureKey(ctx, sc, actor)
	if err != nil {
		return nil, nil, err
	}
	priv, err := is.privateKey(k)
	if err != nil {
		return nil, nil, err
	}
	var issuerDID string
	switch org.DIDMethod {
	case store.DIDKey:
		// the DID follows the active key; re-read after EnsureKey made one
		if org, err = sc.Organization(ctx); err != nil {
			return nil, nil, err
		}
		issuerDID = org.DID
	default:
		// did:web is where this server publishes the DID document: derived
		// from the base URL (or the verified custom domain the organization
		// chose), so that a credential always names a DID this server resolves.
		if issuerDID, err = is.webDID(ctx, sc, org); err != nil {
			return nil, nil, err
		}
	}
	return org, &signer{issuerDID: issuerDID, key: k, priv: priv, suite: suite}, nil
}

// sign adds credentialStatus and the proof to an unsigned document, one
// already in internal/vc's form (normalize: every caller's document comes
// from Document or a checked API document). The status entries are made of
// strings, already in that form, so the document is not made again
// through JSON (that was a tenth of a bulk row's CPU).
func (is *Issuer) sign(s *signer, doc map[string]any, rev, sus store.StatusEntry, now time.Time) (map[string]any, []byte, error) {
	doc = maps.Clone(doc)
	doc["credentialStatus"] = is.statusEntries(rev, sus)
	var err error
	opts := vc.ProofOptions{Created: now, VerificationMethod: verificationMethod(s.issuerDID, s.key)}
	var signed map[string]any
	switch s.suite {
	case vc.CryptosuiteJCS:
		// JCS signs the JSON as it is, but verifiers still expand it as
		// JSON-LD: refuse what they would refuse.
		if _, err := vc.CanonicalizeRDFC(doc); err != nil {
			return nil, nil, err
		}
		signed, err = vc.SignJCS(doc, opts, s.priv)
	default:
		signed, err = vc.SignRDFC(doc, opts, s.priv)
	}
	if err != nil {
		return nil, nil, err
	}
	b, err := json.Marshal(signed)
	if err != nil {
		return nil, nil, err
	}
	return signed, b, nil
}

// PreviewID stands for the public id in a preview: the real one is drawn
// when the credential is signed.
const PreviewID = "preview"

// Preview is the credential a request would issue, without status entries
// and proof (they are made when it is signed); its id ends in PreviewID.
func (is *Issuer) Preview(ctx context.Context, sc *store.Scoped, r Request) (map[string]any, error) {
	org, err := sc.Organization(ctx)
	if err != nil {
		return nil, err
	}
	issuerDID := org.DID
	if org.DIDMethod != store.DIDKey {
		if issuerDID, err = is.webDID(ctx, sc, org); err != nil {
			return nil, err
		}
	}
	return is.Document(org, issuerDID, PreviewID, r)
}

// issue signs and stores one credential from a template that Submit
// checked (check).
func (is *Issuer) issue(ctx context.Context, sc *store.Scoped, r Request, via store.StatusChannel, batchRowID string, actor store.Actor) (*Issued, error) {
	org, s, err := is.prepare(ctx, sc, Cryptosuite(r.Template), actor)
	if err != nil {
		return nil, err
	}
	publicID := NewPublicID()
	doc, err := is.Document(org, s.issuerDID, publicID, r)
	if err != nil {
		return nil, err
	}
	// A document TrustCred built from a checked schema: undefined terms are
	// refused when it is signed (the allocated indexes then stay unused), so
	// it is not canonicalized twice. IssueDocument, for client-written
	// documents, checks before allocating.
	var expires *time.Time
	if v, ok := doc["validUntil"].(string); ok {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			expires = &t
		}
	}
	tplID := r.Template.ID
	name := strings.TrimSpace(r.RecipientName)
	var recipientName *string
	if name != "" {
		recipientName = &name
	}
	return is.store(ctx, sc, s, doc, store.Issue{IssuerDID: s.issuerDID, Via: via, BatchRowID: batchRowID}, &store.Credential{
		PublicID: publicID, SchemaID: r.Template.SchemaID, TemplateID: &tplID,
		RecipientAddress: strings.TrimSpace(r.RecipientAddress), RecipientName: recipientName, ExpiresAt: expires,
	}, r.Email, r.BatchID, actor)
}

// store signs doc and stores it as row: it reserves the credential's
// status entries (a short transaction of the store's own), builds and signs
// the document with no transaction open, then stores the credential and
// enqueues the recipient's email through email (nil: none) in one
// transaction: the credential and its email job commit together or not at
// all.
func (is *Issuer) store(ctx context.Context, sc *store.Scoped, s *signer, doc map[string]any, in store.Issue, row *store.Credential, email jobs.Enqueuer, batchID string, actor store.Actor) (*Issued, error) {
	c := *row
	signed, b, err := is.signSealed(ctx, sc, s, doc, &in, &c)
	if err != nil {
		return nil, err
	}
	err = is.commitIssued(ctx, sc, &c, in.Via, batchID, email, func(tx *store.Scoped) error {
		return tx.StoreIssuedCredential(ctx, in, &c, actor)
	}, nil)
	if err != nil {
		return nil, err
	}
	return &Issued{Credential: &c, Document: signed, JSON: b}, nil
}

// signSealed reserves the credential's status entries (into in), signs doc
// with s now, and seals the signed bytes into c with their hash, the
// cryptosuite, the key and the issue time: what a stored credential holds,
// whether it is stored now (store) or was waiting for approval
// (SignApproved).
func (is *Issuer) signSealed(ctx context.Context, sc *store.Scoped, s *signer, doc map[string]any, in *store.Issue, c *store.Credential) (map[string]any, []byte, error) {
	var err error
	if in.Revocation, in.Suspension, err = sc.ReserveCredentialStatus(ctx, in.IssuerDID, in.BatchRowID); err != nil {
		return nil, nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	signed, b, err := is.sign(s, doc, in.Revocation, in.Suspension, now)
	if err != nil {
		return nil, nil, err
	}
	sealed, err := is.Keys.Seal(b, dataContext)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:])
	suite, keyID := s.suite, s.key.ID
	c.EncryptedData, c.DataHash = sealed, &hash
	c.ProofType, c.SigningKeyID, c.IssuedAt = &suite, &keyID, &now
	return signed, b, nil
}

// commitIssued is the transaction that makes a signed credential c
// exist: write (the store's call), credential.issued, then (nil: nothing)
// and the recipient's email through email (nil: none), together or not
// at all.
func (is *Issuer) commitIssued(ctx context.Context, sc *store.Scoped, c *store.Credential, via store.StatusChannel, batchID string, email jobs.Enqueuer,
	write, then func(tx *store.Scoped) error) error {
	return sc.InTx(ctx, func(tx *store.Scoped) error {
		if err := write(tx); err != nil {
			return err
		}
		if is.Events != nil {
			e, err := is.issuedEvent(c, via, batchID)
			if err != nil {
				return err
			}
			if err := events.Publish(ctx, tx, is.Events, e); err != nil {
				return err
			}
		}
		if then != nil {
			if err := then(tx); err != nil {
				return err
			}
		}
		if email == nil {
			return nil
		}
		sqlTx, err := tx.SQLTx()
		if err != nil {
			return err
		}
		if err := notify.EnqueueCredentialEmail(ctx, email, sqlTx, c.ID, c.IssuerID); err != nil {
			return fmt.Errorf("enqueue the recipient's email: %w", err)
		}
		return nil
	})
}

// issuedEvent is credential.issued for c, just stored.
func (is *Issuer) issuedEvent(c *store.Credential, via store.StatusChannel, batchID string) (events.Event, error) {
	return events.New(c.IssuerID, events.CredentialIssued, *c.IssuedAt, events.Issued{
		Credential: events.CredentialOf(c, is.CredentialURL(c.PublicID)), Via: string(via), BatchID: batchID})
}

// SignedDocument decrypts a stored credential's signed document, checking
// it against its data_hash.
func (is *Issuer) SignedDocument(c *store.Credential) ([]byte, error) {
	if len(c.EncryptedData) == 0 {
		return nil, fmt.Errorf("%w: credential %s has no document", ErrCredential, c.PublicID)
	}
	b, err := is.Keys.Open(c.EncryptedData, dataContext)
	if err != nil {
		return nil, err
	}
	if c.DataHash != nil {
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != *c.DataHash {
			return nil, fmt.Errorf("issuance: credential %s: %w", c.PublicID, ErrDataHash)
		}
	}
	return b, nil
}
