package issuance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/store"
)

// StatusList is a signed status list credential ready to serve.
type StatusList struct {
	JSON []byte
	ETag string // strong, from the content
}

// StatusListCredential is the signed BitstringStatusListCredential of a
// list at its current version. The signed document is cached per version
// in the database; a changed list is signed again on its next request.
// The issuer is the list's issuer DID and the signing key its
// organization's active key, or for a did:key list the key of that DID.
//
// The served credential is also kept in memory per version: while the
// list's version is unchanged (one small indexed query, itself kept for up
// to StatusStampMaxAge), it is served without reading the list's bitstring
// and signed credential again.
func (is *Issuer) StatusListCredential(ctx context.Context, id string) (*StatusList, error) {
	stamp, err := is.DB.StatusListStampFresh(ctx, id, StatusStampMaxAge)
	if err != nil {
		return nil, err
	}
	if stamp.IssuerRevoked {
		return nil, store.ErrNotFound
	}
	if e, ok := is.servedLists().Get(id); ok && e.version == stamp.Version {
		return e.list, nil
	}
	sl, version, err := is.statusListCredential(ctx, id)
	if err != nil {
		return nil, err
	}
	// A copy as the key: callers may pass a string that points into a
	// buffer they reuse (Fiber's route parameters do).
	is.servedLists().Add(strings.Clone(id), servedList{version: version, list: sl})
	return sl, nil
}

// StatusStampMaxAge is how long a status list's version, once read, is
// trusted without reading it again. A status change made by this process
// is served at once; one made by another process on the same database
// (several servers) within this time. Verifiers elsewhere cache status
// lists for minutes (the Bitstring Status List's ttl): a second is far
// inside that, and at thousands of verifications a second it saves two
// queries of each.
const StatusStampMaxAge = time.Second

// servedList is a signed status list credential of one list version.
type servedList struct {
	version int
	list    *StatusList
}

func (is *Issuer) servedLists() *lru.Cache[string, servedList] {
	is.listsOnce.Do(func() { is.lists, _ = lru.New[string, servedList](1024) })
	return is.lists
}

// statusListCredential reads the list and returns its signed credential
// at the version read, signing and storing it if the stored one is older.
func (is *Issuer) statusListCredential(ctx context.Context, id string) (*StatusList, int, error) {
	list, org, err := is.DB.StatusList(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	if org.Status == store.OrganizationRevoked {
		return nil, 0, store.ErrNotFound
	}
	if list.Credential != nil && list.CredentialVersion != nil && *list.CredentialVersion == list.Version {
		return served([]byte(*list.Credential)), list.Version, nil
	}
	key, err := is.listKey(ctx, org, list)
	if err != nil {
		return nil, 0, err
	}
	priv, err := is.privateKey(key)
	if err != nil {
		return nil, 0, err
	}
	encoded, err := vc.EncodeStatusList(list.Bitstring)
	if err != nil {
		return nil, 0, err
	}
	u := is.StatusListURL(list.ID)
	now := time.Now().UTC().Truncate(time.Second)
	doc, err := normalize(map[string]any{
		"@context":  []any{vc.ContextCredentialsV2},
		"id":        u,
		"type":      []any{"VerifiableCredential", "BitstringStatusListCredential"},
		"issuer":    list.IssuerDID,
		"validFrom": now.Format(time.RFC3339),
		"credentialSubject": map[string]any{
			"id":            u + "#list",
			"type":          "BitstringStatusList",
			"statusPurpose": string(list.Purpose),
			"encodedList":   encoded,
		},
	})
	if err != nil {
		return nil, 0, err
	}
	signed, err := vc.SignRDFC(doc, vc.ProofOptions{Created: now, VerificationMethod: verificationMethod(list.IssuerDID, key)}, priv)
	if err != nil {
		return nil, 0, err
	}
	b, err := json.Marshal(signed)
	if err != nil {
		return nil, 0, err
	}
	if err := is.DB.CacheStatusListCredential(ctx, list.ID, list.Version, string(b)); err != nil {
		return nil, 0, err
	}
	return served(b), list.Version, nil
}

func served(b []byte) *StatusList {
	sum := sha256.Sum256(b)
	return &StatusList{JSON: b, ETag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// listKey is the key that signs a list: for a did:key issuer the key of
// that did:key (even if since retired: the list's issuer must stay the
// issuer of its credentials), otherwise the organization's active key.
func (is *Issuer) listKey(ctx context.Context, org *store.Organization, list *store.StatusList) (*store.SigningKey, error) {
	keys, err := is.DB.PublishedSigningKeys(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	if mb, ok := strings.CutPrefix(list.IssuerDID, "did:key:"); ok {
		for i := range keys {
			if keys[i].PublicKeyMultibase == mb {
				return &keys[i], nil
			}
		}
		return nil, fmt.Errorf("issuance: no key for status list issuer %s", list.IssuerDID)
	}
	for i := range keys {
		if keys[i].Status == store.KeyActive {
			return &keys[i], nil
		}
	}
	return nil, errors.New("issuance: the organization has no active signing key")
}
