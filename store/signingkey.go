package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/secret"
)

// SigningKeyStatus is signing_keys.status.
type SigningKeyStatus string

const (
	KeyActive  SigningKeyStatus = "active"  // signs new credentials; one per organization
	KeyRetired SigningKeyStatus = "retired" // still published, so that what it signed verifies
)

// Valid reports whether s is one of the values the database accepts.
func (s SigningKeyStatus) Valid() bool { return s == KeyActive || s == KeyRetired }

// SigningKey is one of an organization's Ed25519 credential signing keys.
type SigningKey struct {
	ID                  string
	OrganizationID      string
	KeyID               string // the verification method's fragment in the DID document
	PublicKeyMultibase  string // Multikey, z6Mk…
	PrivateKeyEncrypted secret.Sealed
	Status              SigningKeyStatus `gorm:"default:active" validate:"required,oneof=active retired"`
	CreatedAt           time.Time
	RetiredAt           *time.Time
}

func (SigningKey) TableName() string { return "signing_keys" }

func (k *SigningKey) BeforeCreate(*gorm.DB) error { return newID(&k.ID) }

// SigningKeys lists the organization's signing keys, the active one first,
// then the retired ones newest first.
func (s *Scoped) SigningKeys(ctx context.Context) ([]SigningKey, error) {
	var keys []SigningKey
	err := s.q(ctx, &SigningKey{}).
		Order("CASE WHEN status = 'active' THEN 0 ELSE 1 END, created_at DESC, id DESC").Find(&keys).Error
	return keys, err
}

// ActiveSigningKey is the key that signs the organization's new
// credentials; ErrNotFound when it has none yet.
func (s *Scoped) ActiveSigningKey(ctx context.Context) (*SigningKey, error) {
	var k SigningKey
	err := s.q(ctx, &k).Where("status = ?", KeyActive).First(&k).Error
	return &k, notFound(err)
}

// SigningKey is one of the organization's keys by id.
func (s *Scoped) SigningKey(ctx context.Context, id string) (*SigningKey, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var k SigningKey
	err := s.q(ctx, &k).First(&k, "id = ?", id).Error
	return &k, notFound(err)
}

// AddSigningKey makes k the organization's active key. With rotate false it
// only does so when the organization has no active key (the first key,
// made on activation or on first use): if one exists, that one is returned
// and k is not stored, so concurrent first uses agree on one key. With
// rotate true the active key is retired (it stays published, so what it
// signed keeps verifying). When the organization issues under did:key,
// keyDID (k's did:key) becomes its DID. Audited in the same transaction.
func (s *Scoped) AddSigningKey(ctx context.Context, k *SigningKey, keyDID string, rotate bool, actor Actor) (*SigningKey, error) {
	k.OrganizationID, k.Status, k.RetiredAt = s.orgID, KeyActive, nil
	var result *SigningKey
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockOrganization(tx); err != nil {
			return err
		}
		var org Organization
		if err := s.tenant(tx, &org).First(&org).Error; err != nil {
			return notFound(err)
		}
		var current SigningKey
		err := s.tenant(tx, &current).Where("status = ?", KeyActive).First(&current).Error
		switch {
		case err == nil && !rotate:
			result = &current
			return nil
		case err == nil:
			now := time.Now().UTC()
			if err := s.tenant(tx, &SigningKey{}).Where("id = ?", current.ID).
				Updates(map[string]any{"status": KeyRetired, "retired_at": now}).Error; err != nil {
				return err
			}
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		if err := tx.Create(k).Error; err != nil {
			return err
		}
		if org.DIDMethod == DIDKey && keyDID != "" {
			if err := s.tenant(tx, &Organization{}).Update("did", keyDID).Error; err != nil {
				return err
			}
		}
		result = k
		actor.OrganizationID = &s.orgID
		action, summary := "signing_key.created", "Created the signing key %s"
		if current.ID != "" {
			action, summary = "signing_key.rotated", "Rotated the signing key: %s is active, the previous key is retired"
		}
		return audit(tx, actor, action, "signing_key", k.ID, AuditDetails{Summary: fmt.Sprintf(summary, k.KeyID)})
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

// SetDIDMethod switches how the organization names itself as issuer, with
// did its new DID (the caller derives it: did:web from the base URL and
// slug, did:key from the active key). Credentials already issued keep the
// issuer they were signed under. Audited.
func (s *Scoped) SetDIDMethod(ctx context.Context, m DIDMethod, did string, actor Actor) error {
	if !m.Valid() || did == "" {
		return fmt.Errorf("store: invalid DID method %q", m)
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockOrganization(tx); err != nil {
			return err
		}
		var org Organization
		if err := s.tenant(tx, &org).First(&org).Error; err != nil {
			return notFound(err)
		}
		if org.DIDMethod == m && org.DID == did {
			return nil
		}
		if err := s.tenant(tx, &Organization{}).
			Updates(map[string]any{"did_method": m, "did": did}).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "organization.did_method", "organization", s.orgID, AuditDetails{
			Summary: fmt.Sprintf("Credentials are now issued as %s", did),
			Changes: []FieldChange{{Field: "did", From: org.DID, To: did}},
		})
	})
}

// PublishedSigningKeys lists every key of an organization (platform-wide,
// for its public DID document), oldest first.
func (db *DB) PublishedSigningKeys(ctx context.Context, orgID string) ([]SigningKey, error) {
	var keys []SigningKey
	err := db.gorm.WithContext(ctx).Where("organization_id = ?", orgID).Order("created_at, id").Find(&keys).Error
	return keys, err
}
