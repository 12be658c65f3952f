package vc

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/trustcred/trustcred/internal/vc/internal/ld"
)

// URLs of the JSON-LD contexts the offline document loader serves.
const (
	ContextCredentialsV2       = "https://www.w3.org/ns/credentials/v2"
	ContextDataIntegrityV2     = "https://w3id.org/security/data-integrity/v2"
	ContextMultikeyV1          = "https://w3id.org/security/multikey/v1"
	ContextCredentialsExamples = "https://www.w3.org/ns/credentials/examples/v2"
	ContextBitstringStatusList = "https://www.w3.org/ns/credentials/status/v1"
	ContextOpenBadgesV3        = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
	ContextTrustCred           = "https://trustcred.org/ns/credentials/v1"
)

// Terms of the TrustCred context (ContextTrustCred, contexts/trustcred-v1.jsonld),
// the organization-independent context of the credentials TrustCred issues
// that are not Open Badges:
//
//   - TrustCredCredential, a credential type (beside VerifiableCredential);
//
//   - TrustCredSubject, the type of their credentialSubject, whose
//     type-scoped context maps every property the context does not define to
//     https://www.w3.org/ns/credentials/issuer-dependent#<name> (@vocab,
//     propagated to nested objects). A credential schema's fields are written
//     as credentialSubject properties under their own names; "name" (the
//     recipient) and "description" keep their VC v2 meaning (schema.org),
//     "email" is https://schema.org/email, "id" and "type" are keywords.
//
//   - TrustCredApproval, the type of an evidence entry recording one
//     approval of the credential (issue 17), whose type-scoped context
//     defines approver, approverRole, approvedAt, approvalStep,
//     requiredApprovals and eligibleApprovers.
//
//   - TrustCredBatchSample, the evidence entry of a bulk batch's credential
//     recording the sample of rows its reviewers read (batchSize,
//     sampleSize, sampledRows).
//
// Outside a TrustCredSubject node nothing is added: the VC v2 context has no
// @vocab, so an undefined property anywhere else is refused with
// ErrUndefinedTerm.
const (
	TypeTrustCredCredential = "TrustCredCredential"
	TypeTrustCredSubject    = "TrustCredSubject"
	TypeTrustCredApproval   = "TrustCredApproval"
	// TypeTrustCredBatchSample is the evidence entry of a credential of a
	// bulk batch approved as one request: the random sample of rows its
	// reviewers read (batchSize, sampleSize, sampledRows).
	TypeTrustCredBatchSample = "TrustCredBatchSample"
)

// ErrUnknownContext is returned for a context URL the offline document loader
// does not serve. Nothing is ever fetched from the network.
var ErrUnknownContext = errors.New("vc: JSON-LD context not available offline")

// UnknownContextError names the context URL refused with ErrUnknownContext,
// so that a caller can say which one (errors.As), whatever JSON-LD wraps
// around it.
type UnknownContextError struct{ URL string }

func (e *UnknownContextError) Error() string { return fmt.Sprintf("%s: %q", ErrUnknownContext, e.URL) }

// Is makes errors.Is(err, ErrUnknownContext) hold.
func (e *UnknownContextError) Is(target error) bool { return target == ErrUnknownContext }

//go:embed contexts/*.jsonld
var contextFiles embed.FS

var contextFileNames = map[string]string{
	ContextCredentialsV2:       "credentials-v2.jsonld",
	ContextDataIntegrityV2:     "data-integrity-v2.jsonld",
	ContextMultikeyV1:          "multikey-v1.jsonld",
	ContextCredentialsExamples: "credentials-examples-v2.jsonld",
	ContextBitstringStatusList: "bitstring-status-list-v1.jsonld",
	ContextOpenBadgesV3:        "open-badges-v3.0.3.jsonld",
	ContextTrustCred:           "trustcred-v1.jsonld",
}

// parsedContexts decodes every embedded context once.
var parsedContexts = sync.OnceValues(func() (map[string]any, error) {
	m := make(map[string]any, len(contextFileNames))
	for url, name := range contextFileNames {
		b, err := contextFiles.ReadFile("contexts/" + name)
		if err != nil {
			return nil, err
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("vc: embedded context %s: %w", name, err)
		}
		m[url] = v
	}
	return m, nil
})

// ContextDocument returns the embedded JSON-LD context document served for
// url (a Context* constant), for example to hand it to another verifier.
func ContextDocument(url string) ([]byte, error) {
	name, ok := contextFileNames[url]
	if !ok {
		return nil, &UnknownContextError{URL: url}
	}
	return contextFiles.ReadFile("contexts/" + name)
}

// OfflineLoader is a json-gold document loader that serves the embedded
// contexts and refuses every other URL with ErrUnknownContext. The decoded
// documents are shared between calls and must not be modified.
type OfflineLoader struct{}

var _ ld.DocumentLoader = OfflineLoader{}

// LoadDocument implements ld.DocumentLoader.
func (OfflineLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	ctxs, err := parsedContexts()
	if err != nil {
		return nil, err
	}
	doc, ok := ctxs[u]
	if !ok {
		return nil, &UnknownContextError{URL: u}
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}
