package store

import (
	"context"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// CrossOrg is the third store handle, beside Scoped (one organization) and
// Account (one user): reads that span organizations on purpose, such as
// the marketplace's public templates. It is read-only, and each method
// says which rows of other organizations it shows; a cross-tenant read
// anywhere else is a bug, and `CrossOrg()` is what to grep for.
type CrossOrg struct {
	db   *gorm.DB
	dial Dialect
}

// CrossOrg returns the cross-organization read handle.
func (db *DB) CrossOrg() *CrossOrg {
	return &CrossOrg{db: db.gorm, dial: db.dialect}
}

// PublicTemplate is a template its organization published
// (credential_templates.is_public), with its schema and issuer.
type PublicTemplate struct {
	ID            string
	Name          string
	Description   *string
	CategoryID    *string
	TemplateData  datatypes.JSONType[TemplateData]
	CreatedAt     time.Time
	SchemaID      string
	SchemaName    string
	SchemaVersion string
	IssuerID      string // the organization's id
	IssuerName    string
	IssuerSlug    string
}

// PublicTemplatePage is one page of PublicTemplates, newest first.
type PublicTemplatePage struct {
	Templates []PublicTemplate
	Next      *Cursor // after the last template; nil on the last page
}

// Page sizes of PublicTemplates.
const (
	DefaultPublicTemplatePage = 24
	MaxPublicTemplatePage     = 100
)

// PublicTemplates lists the templates of every active organization that
// are public and active, newest first by (created_at, id), keyset-paginated
// after the cursor (nil for the first page). Private and deactivated
// templates, and all templates of pending, suspended or revoked
// organizations, are absent. limit is clamped to 1..MaxPublicTemplatePage.
func (c *CrossOrg) PublicTemplates(ctx context.Context, after *Cursor, limit int) (PublicTemplatePage, error) {
	if err := timed(after); err != nil {
		return PublicTemplatePage{}, err
	}
	if limit <= 0 {
		limit = DefaultPublicTemplatePage
	}
	limit = min(limit, MaxPublicTemplatePage)
	q := c.db.WithContext(ctx).Table("credential_templates AS t").
		Select("t.id, t.name, t.description, t.category_id, t.template_data, t.created_at, "+
			"s.id AS schema_id, s.name AS schema_name, s.version AS schema_version, "+
			"o.id AS issuer_id, o.name AS issuer_name, o.slug AS issuer_slug").
		Joins("JOIN organizations o ON o.id = t.organization_id").
		Joins("JOIN credential_schemas s ON s.id = t.schema_id").
		Where("t.is_public AND t.active AND o.status = ?", OrganizationActive)
	if after != nil {
		q = q.Where("(t.created_at, t.id) < (?, ?)", after.At.UTC(), after.ID)
	}
	var rows []PublicTemplate
	if err := q.Order("t.created_at DESC, t.id DESC").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return PublicTemplatePage{}, err
	}
	var p PublicTemplatePage
	p.Templates, p.Next = timePage(rows, limit, func(t *PublicTemplate) (time.Time, string) { return t.CreatedAt, t.ID })
	return p, nil
}
