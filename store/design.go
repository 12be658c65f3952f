package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// DesignDocument is the design_data of one of the organization's active
// certificate designs, as stored (internal/design reads it); ErrNotFound
// when the design is not the organization's, gone or inactive (the
// certificate then uses the default design).
func (s *Scoped) DesignDocument(ctx context.Context, id string) ([]byte, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var raw []byte
	err := s.q(ctx, &CustomCredentialTemplate{}).Select("design_data").
		Where("id = ? AND is_active", id).Row().Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return raw, err
}

// DesignEntry is a row of the organization's list of certificate designs.
type DesignEntry struct {
	ID, Name  string
	Type      TemplateType
	Active    bool
	UpdatedAt time.Time
}

// Designs lists the organization's certificate designs, newest change first.
func (s *Scoped) Designs(ctx context.Context) ([]DesignEntry, error) {
	var rows []CustomCredentialTemplate
	err := s.q(ctx, &CustomCredentialTemplate{}).Select("id", "template_name", "template_type", "is_active", "updated_at").
		Order("updated_at DESC, id").Limit(500).Find(&rows).Error
	out := make([]DesignEntry, len(rows))
	for i, r := range rows {
		out[i] = DesignEntry{ID: r.ID, Name: r.TemplateName, Type: r.TemplateType, Active: r.IsActive, UpdatedAt: r.UpdatedAt}
	}
	return out, err
}

// DesignRow is one of the organization's designs with its raw document.
func (s *Scoped) DesignRow(ctx context.Context, id string) (*DesignEntry, []byte, error) {
	if !validUUID(id) {
		return nil, nil, ErrNotFound
	}
	var r struct {
		ID           string
		TemplateName string
		TemplateType TemplateType
		IsActive     bool
		UpdatedAt    time.Time
		DesignData   []byte
	}
	err := s.q(ctx, &CustomCredentialTemplate{}).Select("id", "template_name", "template_type", "is_active", "updated_at", "design_data").
		Where("id = ?", id).Take(&r).Error
	if err != nil {
		return nil, nil, notFound(err)
	}
	return &DesignEntry{ID: r.ID, Name: r.TemplateName, Type: r.TemplateType, Active: r.IsActive, UpdatedAt: r.UpdatedAt}, r.DesignData, nil
}

// SaveDesign creates (id "") or changes one of the organization's designs:
// its name and its document (already validated by internal/design), audited
// as design.created or design.updated in the same transaction.
func (s *Scoped) SaveDesign(ctx context.Context, id, name string, doc []byte, actor Actor) (string, error) {
	if name == "" || len([]rune(name)) > 200 {
		return "", FieldErrors{"name": "give the design a name of at most 200 characters"}
	}
	if id != "" && !validUUID(id) {
		return "", ErrNotFound
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		action := "design.updated"
		if id == "" {
			row := &CustomCredentialTemplate{OrganizationID: s.orgID, TemplateName: name, TemplateType: TemplateCertificate, IsActive: true}
			if err := tx.Omit("design_data").Create(row).Error; err != nil {
				return err
			}
			id, action = row.ID, "design.created"
		}
		res := s.tenant(tx, &CustomCredentialTemplate{}).Where("id = ?", id).
			Updates(map[string]any{"template_name": name, "design_data": string(doc), "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, action, "custom_credential_template", id, AuditDetails{Summary: fmt.Sprintf("Saved certificate design %q", name)})
	})
	if err != nil {
		return "", err
	}
	return id, nil
}
