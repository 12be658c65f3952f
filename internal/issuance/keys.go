// Package issuance issues an organization's W3C Verifiable Credentials: its
// Ed25519 signing keys and DID document, the credential documents built
// from a template and a schema, Data Integrity proofs (internal/vc), status
// list entries and the signed Bitstring Status List credentials. The
// transactions themselves (index allocation, storage, audit) are the
// store's; this package decides what is signed.
package issuance

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/trustcred/trustcred/internal/did"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/store"
)

// privateKeyContext binds sealed signing keys to their column.
const privateKeyContext = "signing_keys.private_key_encrypted"

// Issuer issues credentials. One value serves the whole process.
type Issuer struct {
	DB      *store.DB
	Keys    *secret.Keyring
	BaseURL string // public base URL: credential ids, did:web, status list URLs
	// Events is the queue credential events (credential.issued, revoked,
	// suspended, unsuspended, expired) are published through, inside the
	// transaction of the change; nil publishes nothing (tools, seeding).
	Events jobs.Enqueuer

	listsOnce sync.Once
	lists     *lru.Cache[string, servedList] // signed status list credentials by list id
}

// ErrOrganizationInactive is returned when an organization that is not
// active tries to issue.
var ErrOrganizationInactive = errors.New("only an active organization can issue credentials")

// newKey makes a fresh Ed25519 key, sealed, and its did:key.
func (is *Issuer) newKey() (*store.SigningKey, string, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	mb, err := vc.EncodePublicKey(pub)
	if err != nil {
		return nil, "", err
	}
	sealed, err := is.Keys.Seal(priv, privateKeyContext)
	if err != nil {
		return nil, "", err
	}
	keyDID, err := vc.DIDKey(pub)
	if err != nil {
		return nil, "", err
	}
	return &store.SigningKey{KeyID: mb, PublicKeyMultibase: mb, PrivateKeyEncrypted: sealed}, keyDID, nil
}

// EnsureKey returns the organization's active signing key, making its first
// one if it has none (organizations get theirs on activation; this also
// covers organizations activated before keys existed).
func (is *Issuer) EnsureKey(ctx context.Context, sc *store.Scoped, actor store.Actor) (*store.SigningKey, error) {
	k, err := sc.ActiveSigningKey(ctx)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return k, err
	}
	nk, keyDID, err := is.newKey()
	if err != nil {
		return nil, err
	}
	return sc.AddSigningKey(ctx, nk, keyDID, false, actor)
}

// RotateKey makes a new active key and retires the current one, which stays
// in the DID document so that the credentials it signed keep verifying.
// An organization issuing under did:key gets the new key's did:key as its
// DID.
func (is *Issuer) RotateKey(ctx context.Context, sc *store.Scoped, actor store.Actor) (*store.SigningKey, error) {
	nk, keyDID, err := is.newKey()
	if err != nil {
		return nil, err
	}
	return sc.AddSigningKey(ctx, nk, keyDID, true, actor)
}

// SetDIDMethod switches the organization between did:web (its DID document
// at /orgs/{slug}/did.json) and did:key (its active key's did:key).
func (is *Issuer) SetDIDMethod(ctx context.Context, sc *store.Scoped, m store.DIDMethod, actor store.Actor) error {
	org, err := sc.Organization(ctx)
	if err != nil {
		return err
	}
	var id string
	switch m {
	case store.DIDWeb:
		if id, err = WebDID(is.BaseURL, org.Slug); err != nil {
			return err
		}
	case store.DIDKey:
		k, err := is.EnsureKey(ctx, sc, actor)
		if err != nil {
			return err
		}
		pub, err := vc.DecodePublicKey(k.PublicKeyMultibase)
		if err != nil {
			return err
		}
		if id, err = vc.DIDKey(pub); err != nil {
			return err
		}
	default:
		return fmt.Errorf("issuance: unknown DID method %q", m)
	}
	return sc.SetDIDMethod(ctx, m, id, actor)
}

// WebDID is an organization's did:web under the server's base URL.
func WebDID(baseURL, slug string) (string, error) { return did.Web(baseURL, "orgs", slug) }

// DomainDID is the did:web of a custom domain (lower case, as stored):
// its document is https://<domain>/.well-known/did.json.
func DomainDID(domain string) string { return store.DomainDID(domain) }

// webDID is the did:web new credentials of org are issued under: its
// verified custom domain's when the organization chose it
// (store.CustomDomain.IssuerDID), else the one under the base URL. A
// domain no longer verified falls back to the base URL, so a new
// credential always names a DID this server serves.
func (is *Issuer) webDID(ctx context.Context, sc *store.Scoped, org *store.Organization) (string, error) {
	d, err := sc.CustomDomain(ctx)
	switch {
	case err == nil && d.IssuerDID && d.Verified():
		return DomainDID(d.Domain), nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return "", err
	}
	return WebDID(is.BaseURL, org.Slug)
}

// verificationMethod is the id of k's verification method for an issuer
// DID: a fragment of the did:web document, or the did:key's own.
func verificationMethod(issuerDID string, k *store.SigningKey) string {
	if strings.HasPrefix(issuerDID, "did:key:") {
		return issuerDID + "#" + strings.TrimPrefix(issuerDID, "did:key:")
	}
	return issuerDID + "#" + k.KeyID
}

// privateKey unseals a signing key.
func (is *Issuer) privateKey(k *store.SigningKey) (ed25519.PrivateKey, error) {
	b, err := is.Keys.Open(k.PrivateKeyEncrypted, privateKeyContext)
	if err != nil {
		return nil, fmt.Errorf("issuance: open signing key %s: %w", k.KeyID, err)
	}
	if len(b) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("issuance: signing key %s has %d bytes", k.KeyID, len(b))
	}
	return ed25519.PrivateKey(b), nil
}

// DIDDocument is the did:web DID document of an organization: every key it
// has had, active and retired, as Multikey verification methods for
// assertionMethod and authentication. ErrNotFound when the organization
// does not issue under this did:web.
func (is *Issuer) DIDDocument(ctx context.Context, org *store.Organization) (map[string]any, error) {
	id, err := WebDID(is.BaseURL, org.Slug)
	if err != nil {
		return nil, err
	}
	return is.didDocument(ctx, org, id)
}

// DomainDIDDocument is the DID document of did:web:<domain>, the
// organization's custom domain: the same keys as DIDDocument under that id.
func (is *Issuer) DomainDIDDocument(ctx context.Context, org *store.Organization, domain string) (map[string]any, error) {
	return is.didDocument(ctx, org, DomainDID(domain))
}

func (is *Issuer) didDocument(ctx context.Context, org *store.Organization, id string) (map[string]any, error) {
	keys, err := is.DB.PublishedSigningKeys(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	methods := make([]any, 0, len(keys))
	refs := make([]any, 0, len(keys))
	for i := range keys {
		vm := id + "#" + keys[i].KeyID
		methods = append(methods, map[string]any{
			"id":                 vm,
			"type":               "Multikey",
			"controller":         id,
			"publicKeyMultibase": keys[i].PublicKeyMultibase,
		})
		refs = append(refs, vm)
	}
	return map[string]any{
		"@context":           []any{"https://www.w3.org/ns/did/v1", vc.ContextMultikeyV1},
		"id":                 id,
		"verificationMethod": methods,
		"assertionMethod":    refs,
		"authentication":     refs,
	}, nil
}
