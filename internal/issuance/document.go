package issuance

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/store"
)

// DocumentRequest is a credential an API client wrote itself (VC-API
// /credentials/issue): TrustCred checks it, names the organization as
// issuer, gives it its id and status entries, and signs it.
type DocumentRequest struct {
	Credential  map[string]any // decoded with vc.ParseJSON
	Cryptosuite string         // "" for eddsa-rdfc-2022
	SchemaID    string         // the schema the credential is filed under
	TemplateID  string         // optional
}

// CredentialError is a problem with a client's credential, worded for it.
type CredentialError struct{ Msg string }

func (e *CredentialError) Error() string { return e.Msg }

func (e *CredentialError) Unwrap() error { return ErrCredential }

func bad(format string, args ...any) error {
	return &CredentialError{Msg: fmt.Sprintf(format, args...)}
}

// issueDocument signs and stores a credential an API client wrote. The
// document must be a VC Data Model 2.0 credential (first @context the v2
// context, type including VerifiableCredential, a credentialSubject) without
// proof. Its issuer, if given, must be the organization's DID
// (ErrIssuer otherwise); it gets the organization's DID when it has none.
// id and credentialStatus are TrustCred's to assign and are replaced;
// validFrom defaults to now. Terms its contexts do not define are refused
// (vc.ErrUndefinedTerm), as are contexts not available offline.
func (is *Issuer) issueDocument(ctx context.Context, sc *store.Scoped, r DocumentRequest, via store.StatusChannel, actor store.Actor, park []store.MultisigRequirement) (*Issued, error) {
	doc := maps.Clone(r.Credential)
	if err := checkShape(doc); err != nil {
		return nil, err
	}
	org, s, err := is.prepare(ctx, sc, r.Cryptosuite, actor)
	if err != nil {
		return nil, err
	}
	switch iss := doc["issuer"].(type) {
	case nil:
		doc["issuer"] = s.issuerDID
	case string:
		if iss != s.issuerDID && iss != org.DID {
			return nil, fmt.Errorf("%w: %s is not %s", ErrIssuer, iss, s.issuerDID)
		}
		doc["issuer"] = s.issuerDID
	case map[string]any:
		id, _ := iss["id"].(string)
		if id != s.issuerDID && id != org.DID {
			return nil, fmt.Errorf("%w: %q is not %s", ErrIssuer, id, s.issuerDID)
		}
		iss = maps.Clone(iss)
		iss["id"] = s.issuerDID
		doc["issuer"] = iss
	default:
		return nil, bad("issuer must be a DID or an object with an id")
	}
	publicID := NewPublicID()
	doc["id"] = is.CredentialURL(publicID)
	delete(doc, "credentialStatus")
	if _, ok := doc["validFrom"]; !ok {
		doc["validFrom"] = time.Now().UTC().Format(time.RFC3339)
	}
	var from time.Time
	if v, ok := doc["validFrom"].(string); ok {
		if from, err = time.Parse(time.RFC3339, v); err != nil {
			return nil, bad("validFrom must be an XML Schema dateTime with a time zone, like 2026-01-31T12:00:00Z")
		}
	}
	var expires *time.Time
	if v, ok := doc["validUntil"]; ok {
		str, _ := v.(string)
		t, err := time.Parse(time.RFC3339, str)
		if err != nil {
			return nil, bad("validUntil must be an XML Schema dateTime with a time zone, like 2030-01-31T12:00:00Z")
		}
		if !t.After(from) {
			return nil, bad("validUntil must be after validFrom")
		}
		expires = &t
	}
	if doc, err = normalize(doc); err != nil {
		return nil, err
	}
	if _, err := vc.CanonicalizeRDFC(doc); err != nil {
		return nil, err
	}
	recipient, name := subjectRecipient(doc["credentialSubject"])
	if recipient == "" {
		return nil, bad("credentialSubject must name its recipient: an id that is a DID, or an email")
	}
	if fe := CheckRecipient(name, recipient); fe != nil {
		return nil, fe
	}
	row := &store.Credential{PublicID: publicID, SchemaID: r.SchemaID, RecipientAddress: recipient, ExpiresAt: expires}
	if name != "" {
		row.RecipientName = &name
	}
	if r.TemplateID != "" {
		row.TemplateID = &r.TemplateID
	}
	if len(park) > 0 {
		return is.park(ctx, sc, doc, row, s.suite, park, via, actor)
	}
	return is.store(ctx, sc, s, doc, store.Issue{IssuerDID: s.issuerDID, Via: via}, row, nil, "", actor)
}

func checkShape(doc map[string]any) error {
	ctxs, ok := doc["@context"].([]any)
	if !ok || len(ctxs) == 0 || ctxs[0] != vc.ContextCredentialsV2 {
		return bad("@context must be an array whose first item is %s", vc.ContextCredentialsV2)
	}
	switch t := doc["type"].(type) {
	case string:
		if t != "VerifiableCredential" {
			return bad("type must include VerifiableCredential")
		}
	case []any:
		if !slices.Contains(t, any("VerifiableCredential")) {
			return bad("type must include VerifiableCredential")
		}
	default:
		return bad("type must include VerifiableCredential")
	}
	switch cs := doc["credentialSubject"].(type) {
	case map[string]any:
		if len(cs) == 0 {
			return bad("credentialSubject must not be empty")
		}
	case []any:
		if len(cs) == 0 {
			return bad("credentialSubject must not be empty")
		}
	default:
		return bad("credentialSubject is required (an object)")
	}
	if _, ok := doc["proof"]; ok {
		return bad("the credential already has a proof")
	}
	return nil
}

// subjectRecipient is the recipient a client's credential names: the
// subject's id (a DID or other IRI) and name, if any.
func subjectRecipient(v any) (address, name string) {
	subj, ok := v.(map[string]any)
	if !ok {
		if list, ok := v.([]any); ok && len(list) > 0 {
			subj, _ = list[0].(map[string]any)
		}
	}
	if subj == nil {
		return "", ""
	}
	id, _ := subj["id"].(string)
	name, _ = subj["name"].(string)
	if email, ok := subj["email"].(string); ok && id == "" {
		id = email
	}
	if !strings.HasPrefix(id, "did:") && !strings.Contains(id, "@") {
		id = ""
	}
	return id, name
}
