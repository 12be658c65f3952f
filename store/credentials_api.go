package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// The schema that credentials written through the API are filed under when
// the client names no template: free-form, one per organization.
const (
	APISchemaName    = "API credentials"
	APISchemaVersion = "1"
	apiSchemaJSON    = `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object"}`
)

// APISchema is the organization's schema for credentials issued through
// the API without a template ("API credentials", version 1, any JSON
// object, no fields). It is created on first use, audited in the same
// transaction; concurrent first uses agree on one row through the unique
// (organization, name, version) constraint. An existing row is used even if
// it was deactivated: credentials must be filed somewhere.
func (s *Scoped) APISchema(ctx context.Context) (*CredentialSchema, error) {
	find := func() (*CredentialSchema, error) {
		var cs CredentialSchema
		err := s.q(ctx, &cs).Where("name = ? AND version = ?", APISchemaName, APISchemaVersion).
			First(&cs).Error
		return &cs, notFound(err)
	}
	cs, err := find()
	if !errors.Is(err, ErrNotFound) {
		return cs, err
	}
	cs = &CredentialSchema{Name: APISchemaName, Version: APISchemaVersion, OrganizationID: s.orgID, Active: true,
		SchemaDefinition: datatypes.JSON(apiSchemaJSON)}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(cs).Error; err != nil {
			return err
		}
		return audit(tx, Actor{OrganizationID: &s.orgID}, "schema.created", "credential_schema", cs.ID, AuditDetails{
			Summary: "Created the schema " + APISchemaName + " for credentials issued through the API",
		})
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return find() // another request created it first
	}
	if err != nil {
		return nil, err
	}
	return cs, nil
}

// Page sizes of the API's credential list.
const (
	DefaultAPIPage = 25
	MaxAPIPage     = 100
)

// APICredentialsPage is one page of the API's credential list, newest first.
type APICredentialsPage struct {
	Credentials []Credential // with Template loaded
	Next        string       // cursor of the next page; "" on the last one
}

// EffectiveStatus is the status a client sees: an active credential past
// its expiry is expired even before a job marks it so.
func (c *Credential) EffectiveStatus(now time.Time) CredentialStatus {
	if c.Status == CredentialActive && c.ExpiresAt != nil && !c.ExpiresAt.After(now) {
		return CredentialExpired
	}
	return c.Status
}

// APICredentials lists the organization's issued credentials newest first
// by (created_at, id), keyset-paginated: cursor is "" or a Next of the
// previous page (ErrBadCursor otherwise). status, if set, filters by the
// status EffectiveStatus reports. limit is clamped to 1..MaxAPIPage.
func (s *Scoped) APICredentials(ctx context.Context, status CredentialStatus, cursor string, limit int) (APICredentialsPage, error) {
	if limit <= 0 {
		limit = DefaultAPIPage
	}
	limit = min(limit, MaxAPIPage)
	q := s.q(ctx, &Credential{})
	now := time.Now().UTC()
	switch status {
	case "":
	case CredentialActive:
		q = q.Where("status = ? AND (expires_at IS NULL OR expires_at > ?)", CredentialActive, now)
	case CredentialExpired:
		q = q.Where("status = ? OR (status = ? AND expires_at <= ?)", CredentialExpired, CredentialActive, now)
	default:
		q = q.Where("status = ?", status)
	}
	if cursor != "" {
		c, err := ParseAuditCursor(cursor)
		if err != nil {
			return APICredentialsPage{}, err
		}
		q = q.Where("(created_at, id) < (?, ?)", c.At, c.ID)
	}
	var rows []Credential
	if err := q.Preload("Template").Order("created_at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return APICredentialsPage{}, err
	}
	p := APICredentialsPage{Credentials: rows}
	if len(rows) > limit {
		p.Credentials = rows[:limit]
		last := p.Credentials[limit-1]
		p.Next = AuditCursor{At: last.CreatedAt, ID: last.ID}.String()
	}
	return p, nil
}
