package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// APIKeyStatus is what a key list shows: a key is usable only while active.
type APIKeyStatus string

const (
	APIKeyActive  APIKeyStatus = "active"
	APIKeyRevoked APIKeyStatus = "revoked"
	APIKeyExpired APIKeyStatus = "expired"
)

// Status says whether the key works at now.
func (k *APIKey) Status(now time.Time) APIKeyStatus {
	switch {
	case !k.Active:
		return APIKeyRevoked
	case k.ExpiresAt != nil && !k.ExpiresAt.After(now):
		return APIKeyExpired
	}
	return APIKeyActive
}

// Has reports whether the key carries scope.
func (k *APIKey) Has(scope APIScope) bool { return slices.Contains(k.Permissions, scope) }

// APIScopes is the scope catalogue: the scopes a new key may be given, in
// the order forms show them. Each is required by at least one /api/v1
// route and every scope a route requires is here
// (web.TestOfferedScopesAreTheAPIsScopes); a scope joins the list with the
// first route that checks it.
func APIScopes() []APIScope {
	return []APIScope{ScopeCredentialsRead, ScopeCredentialsIssue, ScopeCredentialsRevoke, ScopeWebhooksManage, ScopeTemplatesWrite}
}

// Offered reports whether s is in the catalogue (APIScopes), which is what
// a new key may hold.
func (s APIScope) Offered() bool { return slices.Contains(APIScopes(), s) }

// APIKeys lists the organization's keys, newest first.
func (s *Scoped) APIKeys(ctx context.Context) ([]APIKey, error) {
	var keys []APIKey
	err := s.q(ctx, &APIKey{}).Order("created_at DESC, id DESC").Find(&keys).Error
	return keys, err
}

// APIKey finds one of the organization's keys.
func (s *Scoped) APIKey(ctx context.Context, id string) (*APIKey, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var k APIKey
	err := s.q(ctx, &k).First(&k, "id = ?", id).Error
	return &k, notFound(err)
}

// CreateAPIKey stores a new active key of the organization (its hash and
// visible prefix, never the key) and audits it in the same transaction.
func (s *Scoped) CreateAPIKey(ctx context.Context, k *APIKey, actor Actor) error {
	k.OrganizationID, k.Active = s.orgID, true
	if err := Validate(k); err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(k).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		scopes := make([]string, len(k.Permissions))
		for i, p := range k.Permissions {
			scopes[i] = string(p)
		}
		expires := "never"
		if k.ExpiresAt != nil {
			expires = k.ExpiresAt.UTC().Format(time.RFC3339)
		}
		return audit(tx, actor, "apikey.created", "api_key", k.ID, AuditDetails{
			Summary: fmt.Sprintf("Created API key %q (%s…)", k.Name, k.Prefix),
			Extra:   map[string]string{"scopes": strings.Join(scopes, ","), "expires": expires},
		})
	})
}

// RevokeAPIKey deactivates one of the organization's keys for good and
// audits it in the same transaction. Revoking a revoked key changes
// nothing. ErrNotFound for another organization's key.
func (s *Scoped) RevokeAPIKey(ctx context.Context, id string, actor Actor) (*APIKey, error) {
	if !validUUID(id) {
		return nil, ErrNotFound // not an id at all (PostgreSQL would refuse to compare it)
	}
	var k APIKey
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.tenant(tx, &k).First(&k, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if !k.Active {
			return nil
		}
		if err := s.tenant(tx, &APIKey{}).Where("id = ?", id).Update("active", false).Error; err != nil {
			return err
		}
		k.Active = false
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "apikey.revoked", "api_key", k.ID, AuditDetails{
			Summary: fmt.Sprintf("Revoked API key %q (%s…)", k.Name, k.Prefix),
		})
	})
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// ActiveAPIKey authenticates an API request (platform-wide: the key is what
// says which organization is asking). It finds the key whose hash is hash
// if it is active, unexpired at now, and its organization is active, with
// that organization; ErrNotFound otherwise, whatever the reason.
func (db *DB) ActiveAPIKey(ctx context.Context, hash string, now time.Time) (*APIKey, *Organization, error) {
	var k APIKey
	err := db.gorm.WithContext(ctx).
		Where("key_hash = ? AND active = ? AND (expires_at IS NULL OR expires_at > ?)", hash, true, now.UTC()).
		First(&k).Error
	if err != nil {
		return nil, nil, notFound(err)
	}
	var o Organization
	if err := db.gorm.WithContext(ctx).Where("status = ?", OrganizationActive).First(&o, "id = ?", k.OrganizationID).Error; err != nil {
		return nil, nil, notFound(err)
	}
	return &k, &o, nil
}

// TouchAPIKey records that a key was used at now.
func (db *DB) TouchAPIKey(ctx context.Context, id string, now time.Time) error {
	return db.gorm.WithContext(ctx).Model(&APIKey{}).Where("id = ?", id).Update("last_used", now.UTC()).Error
}

// APIScope is one element of api_keys.permissions. There is no scope for
// verifying: the verify endpoints are public (migration 00015 removed the
// credentials:verify that keys once held).
type APIScope string

const (
	ScopeCredentialsRead   APIScope = "credentials:read"
	ScopeCredentialsIssue  APIScope = "credentials:issue"
	ScopeCredentialsRevoke APIScope = "credentials:revoke"
	// ScopeWebhooksManage: the organization's webhooks, their secrets and
	// delivery logs (/api/v1/webhooks).
	ScopeWebhooksManage APIScope = "webhooks:manage"
	// ScopeTemplatesWrite: adopting a marketplace template into the
	// organization (POST /api/v1/marketplace/templates/{id}/adopt). Retired
	// once, offered again with that route: keys that kept it from then may
	// adopt.
	ScopeTemplatesWrite APIScope = "templates:write"
	// Retired: offered once, for endpoints that were never built. Keys that
	// hold them keep them (shown, stored, harmless); new keys cannot.
	ScopeSchemasRead   APIScope = "schemas:read"
	ScopeSchemasWrite  APIScope = "schemas:write"
	ScopeTemplatesRead APIScope = "templates:read"
)

// Valid reports whether s is a scope a stored key may hold: the offered
// ones and the retired ones.
func (s APIScope) Valid() bool {
	switch s {
	case ScopeCredentialsRead, ScopeCredentialsIssue, ScopeCredentialsRevoke, ScopeWebhooksManage,
		ScopeSchemasRead, ScopeSchemasWrite, ScopeTemplatesRead, ScopeTemplatesWrite:
		return true
	}
	return false
}

// APIKey authenticates an organization's API client.
type APIKey struct {
	ID             string
	OrganizationID string
	Name           string                        `validate:"required,max=100,line"`
	KeyHash        string                        // hash of the full key; the key itself is shown once
	Permissions    datatypes.JSONSlice[APIScope] `validate:"dive,oneof=credentials:read credentials:issue credentials:revoke webhooks:manage schemas:read schemas:write templates:read templates:write"`
	Active         bool
	LastUsed       *time.Time
	ExpiresAt      *time.Time
	CreatedAt      time.Time
	Prefix         string // the visible start of the key, to recognise it in lists

	Organization *Organization `gorm:"foreignKey:OrganizationID" validate:"-"`
}

func (APIKey) TableName() string { return "api_keys" }

func (k *APIKey) BeforeCreate(*gorm.DB) error { return newID(&k.ID) }

func (k *APIKey) BeforeSave(*gorm.DB) error {
	emptyIfNil(&k.Permissions)
	return nil
}
