package vc

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/piprate/json-gold/ld"
)

// URLs of the JSON-LD contexts the offline document loader serves.
const (
	ContextCredentialsV2       = "https://www.w3.org/ns/credentials/v2"
	ContextDataIntegrityV2     = "https://w3id.org/security/data-integrity/v2"
	ContextMultikeyV1          = "https://w3id.org/security/multikey/v1"
	ContextCredentialsExamples = "https://www.w3.org/ns/credentials/examples/v2"
	ContextBitstringStatusList = "https://www.w3.org/ns/credentials/status/v1"
	ContextOpenBadgesV3        = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
	// ContextTrustCred is TrustCred's own context (contexts/trustcred-v1.jsonld):
	// the TrustCredCredential type and an @vocab under which the fields of an
	// organization's credential schemas are defined terms.
	ContextTrustCred = "https://trustcred.org/ns/credentials/v1"
)

// ErrUnknownContext is returned for a context URL the offline document loader
// does not serve. Nothing is ever fetched from the network.
var ErrUnknownContext = errors.New("vc: JSON-LD context not available offline")

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
		return nil, fmt.Errorf("%w: %q", ErrUnknownContext, u)
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}
