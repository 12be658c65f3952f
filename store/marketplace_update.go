package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// Updates of adopted templates: the publisher listed a newer version than
// the one a copy was made from. internal/marketplace merges (its rule is
// documented there); the store reads the three versions and writes the
// merged one.

// TemplateUpdate is an update available to one of the organization's
// copies: the copy (its schema loaded) and its adoption, the version it
// was copied from (Base) and the listed one (Theirs, Version).
type TemplateUpdate struct {
	Template  *CredentialTemplate
	Adoption  *TemplateAdoption
	Publisher string
	Version   int // the listed version
	Base      TemplateSnapshot
	Theirs    TemplateSnapshot
}

// Mine is the copy as it stands, in the snapshot's form.
func (u *TemplateUpdate) Mine() TemplateSnapshot { return Snapshot(u.Template, u.Template.Schema) }

// listedSource is the condition of AdoptTemplate: a source is offered
// while it is listed.
const listedSource = "t.is_public AND t.active AND o.status = ?"

// TemplateUpdate is the update available to one of the organization's
// templates: nil (and no error) when it is not a copy, its source is no
// longer listed or lists no newer version; ErrNotFound when the template
// is not the organization's.
func (s *Scoped) TemplateUpdate(ctx context.Context, templateID string) (*TemplateUpdate, error) {
	t, err := s.Template(ctx, templateID)
	if err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	var a TemplateAdoption
	err = s.tenant(db, &a).Where("template_id = ?", t.ID).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && a.SourceTemplateID == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// The source is another organization's, read on purpose (as
	// AdoptTemplate does): only while it is listed.
	var src struct {
		Version    int
		IssuerName string
	}
	err = db.Table("marketplace_listings AS l").
		Joins("JOIN credential_templates t ON t.id = l.template_id").
		Joins("JOIN organizations o ON o.id = l.organization_id").
		Where(listedSource+" AND l.template_id = ?", OrganizationActive, *a.SourceTemplateID).
		Select("l.version, o.name AS issuer_name").Take(&src).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && src.Version <= a.SourceVersion) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var vs []TemplateVersion
	if err := db.Where("template_id = ? AND version IN ?", *a.SourceTemplateID, []int{a.SourceVersion, src.Version}).
		Find(&vs).Error; err != nil {
		return nil, err
	}
	u := &TemplateUpdate{Template: t, Adoption: &a, Publisher: src.IssuerName, Version: src.Version}
	found := 0
	for _, v := range vs {
		switch v.Version {
		case a.SourceVersion:
			u.Base, found = v.Snapshot.Data(), found+1
		case src.Version:
			u.Theirs, found = v.Snapshot.Data(), found+1
		}
	}
	if found != 2 {
		return nil, fmt.Errorf("store: template update: versions %d and %d of %s: %d found", a.SourceVersion, src.Version, *a.SourceTemplateID, found)
	}
	return u, nil
}

// AvailableUpdates maps each of the organization's copies whose source
// lists a newer version to that version.
func (s *Scoped) AvailableUpdates(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		TemplateID string
		Version    int
	}
	err := s.db.WithContext(ctx).Table("template_adoptions").
		Joins("JOIN marketplace_listings l ON l.template_id = template_adoptions.source_template_id").
		Joins("JOIN credential_templates t ON t.id = l.template_id").
		Joins("JOIN organizations o ON o.id = l.organization_id").
		Where(s.owns(&TemplateAdoption{})).
		Where(listedSource+" AND l.version > template_adoptions.source_version", OrganizationActive).
		Select("template_adoptions.template_id, l.version").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.TemplateID] = r.Version
	}
	return out, nil
}

// TemplateMerge is an update merged into a copy: the copy's version and
// the source versions the merge was made from, and the merged template.
type TemplateMerge struct {
	CopyVersion int // the copy's credential_templates.version the merge started from
	FromVersion int // the adoption's source_version
	ToVersion   int // the listed version merged in
	Merged      TemplateSnapshot
	Changes     int // how many changes the merge took, for the audit log
}

// ApplyTemplateUpdate writes a merged update as a new version of one of
// the organization's copies, in one transaction (template.update_applied):
// the copy and its adoption must still be at the versions the merge was
// made from and the source must still list ToVersion (ErrTemplateChanged
// otherwise: merge again). When the fields or schema document change, a
// new version of the copy's schema is made (the old one keeps its
// credentials); the copy keeps its default values (of fields it still has)
// and its PDF design; the adoption records ToVersion.
func (s *Scoped) ApplyTemplateUpdate(ctx context.Context, templateID string, m TemplateMerge, actor Actor) (*CredentialTemplate, error) {
	if !validUUID(templateID) {
		return nil, ErrNotFound
	}
	var t CredentialTemplate
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.tenant(lockRow(tx, s.dial), &t).First(&t, "id = ?", templateID).Error; err != nil {
			return notFound(err)
		}
		var a TemplateAdoption
		if err := s.tenant(tx, &a).Where("template_id = ?", t.ID).Take(&a).Error; err != nil {
			return notFound(err)
		}
		if t.Version != m.CopyVersion || a.SourceVersion != m.FromVersion || a.SourceTemplateID == nil || m.ToVersion <= m.FromVersion {
			return ErrTemplateChanged
		}
		var listed int64
		if err := tx.Table("marketplace_listings AS l").
			Joins("JOIN credential_templates t ON t.id = l.template_id").
			Joins("JOIN organizations o ON o.id = l.organization_id").
			Where(listedSource+" AND l.template_id = ? AND l.version = ?", OrganizationActive, *a.SourceTemplateID, m.ToVersion).
			Count(&listed).Error; err != nil {
			return err
		}
		if listed == 0 {
			return ErrTemplateChanged
		}
		schema, err := s.templateSchema(tx, t.SchemaID)
		if err != nil {
			return err
		}
		if schema == nil {
			return ErrNotFound
		}
		if !sameJSONValue([]SchemaField(schema.Fields), m.Merged.Schema.Fields) || !sameDefinition(schema.SchemaDefinition, m.Merged.Schema.Definition) {
			version := NextVersion(schema.Version)
			for i := 0; ; i++ {
				taken, err := s.versionTaken(tx, schema.Name, version, "")
				if err != nil {
					return err
				}
				if !taken {
					break
				}
				if i == 100 {
					return fmt.Errorf("store: template update: no free version of schema %q", schema.Name)
				}
				version = NextVersion(version)
			}
			schema = &CredentialSchema{Name: schema.Name, Version: version, OrganizationID: s.orgID, Active: true,
				Fields: datatypes.NewJSONSlice(m.Merged.Schema.Fields), SchemaDefinition: datatypes.JSON(m.Merged.Schema.Definition)}
			if err := tx.Create(schema).Error; err != nil {
				return err
			}
		}
		old := t.TemplateData.Data()
		data := m.Merged.Data
		data.DesignID, data.Defaults = old.DesignID, nil
		for name, v := range old.Defaults {
			for _, f := range m.Merged.Schema.Fields {
				if f.Name == name {
					if data.Defaults == nil {
						data.Defaults = map[string]string{}
					}
					data.Defaults[name] = v
				}
			}
		}
		c := TemplateChange{Name: m.Merged.Name, Description: m.Merged.Description, SchemaID: schema.ID, IsPublic: t.IsPublic, Data: data}
		c.normalize()
		if fe := ValidateTemplate(c, schema); fe != nil {
			return invalidTemplate(fe)
		}
		t.Name, t.Description, t.SchemaID, t.TemplateData = c.Name, c.description(), schema.ID, datatypes.NewJSONType(c.Data)
		t.Version++
		t.Schema = schema
		if err := s.tenant(tx, &t).Select("name", "description", "schema_id", "template_data", "version", "updated_at").Omit("Schema").Updates(&t).Error; err != nil {
			return err
		}
		var tv TemplateVersion
		if err := tx.Where("template_id = ? AND version = ?", *a.SourceTemplateID, m.ToVersion).Take(&tv).Error; err != nil {
			return notFound(err)
		}
		if err := s.tenant(tx, &a).Where("id = ?", a.ID).
			Updates(map[string]any{"source_version": m.ToVersion, "source_name": tv.Snapshot.Data().Name, "provenance": tv.Provenance}).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "template.update_applied", "credential_template", t.ID, AuditDetails{
			Summary: fmt.Sprintf("Applied version %d of %q by %s to template %q (%d changes; was based on version %d)",
				m.ToVersion, a.SourceName, a.SourceIssuer, t.Name, m.Changes, m.FromVersion),
			Extra: map[string]string{"source_template_id": *a.SourceTemplateID, "source_version": fmt.Sprint(m.ToVersion),
				"schema_id": schema.ID},
		})
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// sameDefinition compares two schema documents, an empty one as {}.
func sameDefinition(a, b []byte) bool {
	empty := func(x []byte) []byte {
		if len(x) == 0 {
			return []byte("{}")
		}
		return x
	}
	return sameJSON(empty(a), empty(b))
}

// AdoptionSource is where a copy came from, as its publisher's
// notification needs it: the publisher's organization and the listing's
// adoption count.
type AdoptionSource struct {
	Adoption       TemplateAdoption
	OrganizationID string // the publisher's
	Adoptions      int
}

// AdoptionSource is the source of one of the organization's copies:
// ErrNotFound when the template is not the organization's, or not a copy
// of a template that still has its listing.
func (s *Scoped) AdoptionSource(ctx context.Context, templateID string) (*AdoptionSource, error) {
	a, err := s.Adoption(ctx, templateID)
	if err != nil {
		return nil, err
	}
	if a == nil || a.SourceTemplateID == nil {
		return nil, ErrNotFound
	}
	var l MarketplaceListing
	if err := s.db.WithContext(ctx).Where("template_id = ?", *a.SourceTemplateID).Take(&l).Error; err != nil {
		return nil, notFound(err)
	}
	return &AdoptionSource{Adoption: *a, OrganizationID: l.OrganizationID, Adoptions: l.Adoptions}, nil
}
