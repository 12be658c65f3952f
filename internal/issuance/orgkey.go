package issuance

import (
	"context"
	"crypto/ed25519"

	"github.com/trustcred/trustcred/store"
)

// OrganizationKey is the organization's active signing key, unsealed, with
// its verification method id in the organization's DID document: what
// signs its webhooks when it chooses to (Standard Webhooks "v1a"), so that
// receivers check them with the key they already trust for its
// credentials. ErrNotFound when it has no key yet.
func (is *Issuer) OrganizationKey(ctx context.Context, sc *store.Scoped) (ed25519.PrivateKey, string, error) {
	org, err := sc.Organization(ctx)
	if err != nil {
		return nil, "", err
	}
	k, err := sc.ActiveSigningKey(ctx)
	if err != nil {
		return nil, "", err
	}
	priv, err := is.privateKey(k)
	if err != nil {
		return nil, "", err
	}
	return priv, verificationMethod(org.DID, k), nil
}
