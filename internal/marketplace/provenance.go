package marketplace

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/store"
)

// Signed provenance. At publishing, the published version is signed by
// the publisher's issuer key: a small JSON document
//
//	{"type": "TrustCredTemplateProvenance", "template": id, "version": n,
//	 "issuer": the publisher's DID, "published": time, "snapshot": {...},
//	 "proof": eddsa-jcs-2022 DataIntegrityProof}
//
// (JCS: no JSON-LD context is needed, and the snapshot's free-form values
// are signed as they are). Adopters keep it with their copy; the copy's
// page verifies it and names the DID that signed it.

// ProvenanceType is the provenance document's type.
const ProvenanceType = "TrustCredTemplateProvenance"

// ErrProvenance is a provenance that does not verify: its signature, or
// the template, version or signer it names.
var ErrProvenance = errors.New("marketplace: the origin signature does not verify")

// Signer is the Publication.Sign of an organization whose issuer key is
// priv, verification method vm (issuance.Issuer.OrganizationKey, read
// before the publishing transaction).
func Signer(priv ed25519.PrivateKey, vm string) func(string, int, store.TemplateSnapshot, time.Time) (json.RawMessage, error) {
	return func(templateID string, version int, snap store.TemplateSnapshot, at time.Time) (json.RawMessage, error) {
		return SignProvenance(priv, vm, templateID, version, snap, at)
	}
}

// SignProvenance is the signed provenance document of a published
// version, signed with priv as verification method vm (did#key).
func SignProvenance(priv ed25519.PrivateKey, vm, templateID string, version int, snap store.TemplateSnapshot, at time.Time) (json.RawMessage, error) {
	did, _, ok := strings.Cut(vm, "#")
	if !ok {
		return nil, fmt.Errorf("marketplace: verification method %q is not a DID URL", vm)
	}
	raw, err := json.Marshal(snap)
	if err != nil {
		return nil, err
	}
	snapshot, err := vc.ParseJSON(raw)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{"type": ProvenanceType, "template": templateID, "version": json.Number(fmt.Sprint(version)),
		"issuer": did, "published": at.UTC().Format(time.RFC3339), "snapshot": snapshot}
	signed, err := vc.SignJCS(doc, vc.ProofOptions{VerificationMethod: vm, Created: at}, priv)
	if err != nil {
		return nil, err
	}
	return json.Marshal(signed)
}

// Origin is a verified provenance: who signed which version.
type Origin struct {
	Issuer   string // the DID whose key signed it
	Template string
	Version  int
	Snapshot store.TemplateSnapshot
}

// VerifyProvenance checks a provenance document: an eddsa-jcs-2022 proof
// by a key of the DID it names as issuer (resolve finds the key), over the
// template and version expected. Anything else is ErrProvenance (wrapping
// the reason).
func VerifyProvenance(ctx context.Context, raw []byte, resolve vc.KeyResolver, templateID string, version int) (*Origin, error) {
	parsed, err := vc.ParseJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProvenance, err)
	}
	doc, ok := parsed.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: not a JSON object", ErrProvenance)
	}
	if err := vc.VerifyJCS(ctx, doc, resolve, vc.VerifyOptions{}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProvenance, err)
	}
	var p struct {
		Type     string                 `json:"type"`
		Template string                 `json:"template"`
		Version  int                    `json:"version"`
		Issuer   string                 `json:"issuer"`
		Snapshot store.TemplateSnapshot `json:"snapshot"`
		Proof    struct {
			VerificationMethod string `json:"verificationMethod"`
		} `json:"proof"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProvenance, err)
	}
	signer, _, _ := strings.Cut(p.Proof.VerificationMethod, "#")
	switch {
	case p.Type != ProvenanceType:
		return nil, fmt.Errorf("%w: type %q", ErrProvenance, p.Type)
	case p.Template != templateID || p.Version != version:
		return nil, fmt.Errorf("%w: it is of template %s version %d, not %s version %d", ErrProvenance, p.Template, p.Version, templateID, version)
	case p.Issuer == "" || signer != p.Issuer:
		return nil, fmt.Errorf("%w: signed by %s for %s", ErrProvenance, signer, p.Issuer)
	}
	return &Origin{Issuer: p.Issuer, Template: p.Template, Version: p.Version, Snapshot: p.Snapshot}, nil
}
