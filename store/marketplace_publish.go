package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/datatypes"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	textpkg "github.com/trustcred/trustcred/internal/text"
)

// Publishing a template to the marketplace and adopting one. The quality
// check that comes before publishing is internal/marketplace's; the store
// publishes exactly the version that was checked.

// Errors of publishing and adopting.
var (
	ErrTemplateChanged  = errors.New("the template changed since it was checked: check it again")
	ErrTemplateInactive = errors.New("the template is inactive: activate it first")
	ErrAdoptOwn         = errors.New("this template is already your organization's")
)

// MaxListingSummary is the longest summary of a listing, in characters.
const MaxListingSummary = 300

// Publication is what an organization admin chooses when publishing.
type Publication struct {
	CategoryID string
	Licence    Licence
	Summary    string
	// Sign, when set, signs the published version with the publisher's
	// issuer key (internal/marketplace.Signer): its result is stored as the
	// version's provenance, in the publishing transaction.
	Sign func(templateID string, version int, snap TemplateSnapshot, at time.Time) (json.RawMessage, error)
}

// ValidatePublication checks a publication against the active categories,
// keyed as the form names the fields (category_id, licence, summary).
func ValidatePublication(p Publication, categories []TemplateCategory) FieldErrors {
	fe := FieldErrors{}
	found := false
	for _, c := range categories {
		found = found || c.ID == p.CategoryID
	}
	switch {
	case strings.TrimSpace(p.CategoryID) == "":
		fe["category_id"] = "Choose a category"
	case !found:
		fe["category_id"] = "There is no such category: choose one from the list"
	}
	if !p.Licence.Valid() {
		fe["licence"] = "Choose a licence from the list"
	}
	s := strings.TrimSpace(p.Summary)
	switch err := textpkg.Check(s, textpkg.Name); {
	case s == "":
		fe["summary"] = "Write a one-line summary of what the template is for"
	case err != nil:
		fe["summary"] = "The summary " + err.Error()
	case utf8.RuneCountInString(s) > MaxListingSummary:
		fe["summary"] = fmt.Sprintf("The summary must be at most %d characters long", MaxListingSummary)
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// Snapshot is the published form of a template on its schema: everything
// an adopter copies, and none of the publisher's private data (default
// values, the PDF design).
func Snapshot(t *CredentialTemplate, schema *CredentialSchema) TemplateSnapshot {
	d := t.TemplateData.Data()
	d.Defaults, d.DesignID = nil, ""
	s := TemplateSnapshot{Name: t.Name, Data: d}
	if t.Description != nil {
		s.Description = *t.Description
	}
	if schema != nil {
		s.Schema = SchemaSnapshot{Name: schema.Name, Version: schema.Version, Fields: []SchemaField(schema.Fields)}
		if len(schema.SchemaDefinition) > 0 && string(schema.SchemaDefinition) != "{}" {
			s.Schema.Definition = append([]byte(nil), schema.SchemaDefinition...)
		}
	}
	return s
}

func labels(fields []SchemaField) string {
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		out = append(out, f.Label)
	}
	return strings.Join(out, "\n")
}

// Listing is the organization's listing of one of its templates: nil (and
// no error) when the template was never published, ErrNotFound when the
// template is not the organization's.
func (s *Scoped) Listing(ctx context.Context, templateID string) (*MarketplaceListing, error) {
	if _, err := s.Template(ctx, templateID); err != nil {
		return nil, err
	}
	var l MarketplaceListing
	err := s.q(ctx, &l).Where("template_id = ?", templateID).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// PublishTemplate lists version `version` of one of the organization's
// templates in the marketplace (template.published): it must be active and
// still at that version (ErrTemplateChanged otherwise: the caller checked
// another), and the publication valid (ValidatePublication's FieldErrors).
// The version's snapshot is stored (once per version), the listing written
// (the catalogue's text is the snapshot's) and the template made public,
// in its category, in one transaction. Publishing again after a change
// lists the new version; adopters of the old one keep theirs.
func (s *Scoped) PublishTemplate(ctx context.Context, id string, version int, p Publication, actor Actor) (*MarketplaceListing, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	p.Summary = strings.TrimSpace(p.Summary)
	var l MarketplaceListing
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t CredentialTemplate
		if err := s.tenant(lockRow(tx, s.dial), &t).First(&t, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if t.Version != version {
			return ErrTemplateChanged
		}
		if !t.Active {
			return ErrTemplateInactive
		}
		var cats []TemplateCategory
		if err := tx.Where("active").Find(&cats).Error; err != nil {
			return err
		}
		if fe := ValidatePublication(p, cats); fe != nil {
			return fmt.Errorf("store: invalid publication: %w", fe)
		}
		schema, err := s.templateSchema(tx, t.SchemaID)
		if err != nil {
			return err
		}
		snap := Snapshot(&t, schema)
		now := time.Now().UTC()
		v := TemplateVersion{TemplateID: t.ID, Version: t.Version, Snapshot: datatypes.NewJSONType(snap), PublishedAt: now}
		if p.Sign != nil {
			signed, err := p.Sign(t.ID, t.Version, snap, now)
			if err != nil {
				return fmt.Errorf("store: sign template %s version %d: %w", t.ID, t.Version, err)
			}
			p := datatypes.JSON(signed)
			v.Provenance = &p
		}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "template_id"}, {Name: "version"}},
			DoUpdates: clause.AssignmentColumns([]string{"snapshot", "provenance"})}).Create(&v).Error; err != nil {
			return err
		}
		err = s.tenant(tx, &l).Where("template_id = ?", t.ID).Take(&l).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		l.TemplateID, l.OrganizationID, l.Kind, l.Licence = t.ID, s.orgID, snap.Data.Kind, p.Licence
		l.Name, l.Summary, l.Description, l.Labels = snap.Name, p.Summary, snap.Description, labels(snap.Schema.Fields)
		l.Version, l.PublishedAt = t.Version, now
		l.AlignmentTerms = AlignmentTerms(snap.Data.Achievement)
		if err := tx.Save(&l).Error; err != nil {
			return err
		}
		if err := s.tenant(tx, &CredentialTemplate{}).Where("id = ?", t.ID).
			Updates(map[string]any{"is_public": true, "category_id": p.CategoryID}).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "template.published", "credential_template", t.ID, AuditDetails{
			Summary: fmt.Sprintf("Published template %q version %d to the marketplace under %s", t.Name, t.Version, p.Licence),
		})
	})
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// UnpublishTemplate takes one of the organization's templates out of the
// catalogue (template.unpublished, only when it was public). Its listing,
// versions and adoptions stay: adopters keep their copies and provenance.
func (s *Scoped) UnpublishTemplate(ctx context.Context, id string, actor Actor) error {
	if !validUUID(id) {
		return ErrNotFound
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t CredentialTemplate
		if err := s.tenant(lockRow(tx, s.dial), &t).First(&t, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if !t.IsPublic {
			return nil
		}
		if err := s.tenant(tx, &CredentialTemplate{}).Where("id = ?", t.ID).
			Updates(map[string]any{"is_public": false}).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "template.unpublished", "credential_template", t.ID, AuditDetails{
			Summary: fmt.Sprintf("Took template %q out of the marketplace", t.Name),
		})
	})
}

// AdoptTemplate copies a marketplace template into the organization, in
// one transaction: a new schema (the source's name, its version or the
// next free one) and a new active, private template from the listed
// version's snapshot, in the source's category, and the adoption that
// records where it came from (derivedFrom: the source template and
// version); the listing counts one more adoption (template.adopted). A
// template that is not listed is ErrNotFound; one's own, ErrAdoptOwn.
func (s *Scoped) AdoptTemplate(ctx context.Context, sourceID string, actor Actor) (*CredentialTemplate, error) {
	if !validUUID(sourceID) {
		return nil, ErrNotFound
	}
	var copied *CredentialTemplate
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The source is another organization's, read on purpose (as
		// CrossOrg does): only while it is listed.
		var src struct {
			Version    int
			IssuerID   string
			IssuerName string
			CategoryID *string
		}
		err := tx.Table("marketplace_listings AS l").
			Joins("JOIN credential_templates t ON t.id = l.template_id").
			Joins("JOIN organizations o ON o.id = l.organization_id").
			Where(listed+" AND l.template_id = ?", OrganizationActive, sourceID).
			Select("l.version, o.id AS issuer_id, o.name AS issuer_name, t.category_id").Take(&src).Error
		if err != nil {
			return notFound(err)
		}
		if src.IssuerID == s.orgID {
			return ErrAdoptOwn
		}
		var v TemplateVersion
		if err := tx.Where("template_id = ? AND version = ?", sourceID, src.Version).Take(&v).Error; err != nil {
			return notFound(err)
		}
		snap := v.Snapshot.Data()
		version := snap.Schema.Version
		for i := 0; ; i++ {
			t, err := s.versionTaken(tx, snap.Schema.Name, version, "")
			if err != nil {
				return err
			}
			if !t {
				break
			}
			if i == 100 {
				return fmt.Errorf("store: adopt: no free version of schema %q", snap.Schema.Name)
			}
			version = NextVersion(version)
		}
		cs := &CredentialSchema{Name: snap.Schema.Name, Version: version, OrganizationID: s.orgID, Active: true,
			Fields: datatypes.NewJSONSlice(snap.Schema.Fields), SchemaDefinition: datatypes.JSON(snap.Schema.Definition)}
		if err := tx.Create(cs).Error; err != nil {
			return err
		}
		t := &CredentialTemplate{Name: snap.Name, OrganizationID: s.orgID, SchemaID: cs.ID,
			TemplateData: datatypes.NewJSONType(snap.Data), Active: true, CategoryID: src.CategoryID}
		if snap.Description != "" {
			d := snap.Description
			t.Description = &d
		}
		if err := tx.Omit("Schema").Create(t).Error; err != nil {
			return err
		}
		t.Schema = cs
		a := TemplateAdoption{OrganizationID: s.orgID, TemplateID: t.ID, SourceTemplateID: &sourceID, SourceVersion: src.Version,
			SourceName: snap.Name, SourceIssuer: src.IssuerName, AdoptedBy: actor.UserID, Provenance: v.Provenance}
		if err := tx.Create(&a).Error; err != nil {
			return err
		}
		if err := tx.Model(&MarketplaceListing{}).Where("template_id = ?", sourceID).
			Update("adoptions", gorm.Expr("adoptions + 1")).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		copied = t
		return audit(tx, actor, "template.adopted", "credential_template", t.ID, AuditDetails{
			Summary: fmt.Sprintf("Adopted %q version %d by %s from the marketplace", snap.Name, src.Version, src.IssuerName),
			Extra:   map[string]string{"source_template_id": sourceID, "source_version": fmt.Sprint(src.Version)},
		})
	})
	if err != nil {
		return nil, err
	}
	return copied, nil
}

// Adoption is where one of the organization's templates came from: nil
// (and no error) when it was not adopted from the marketplace,
// ErrNotFound when the template is not the organization's.
func (s *Scoped) Adoption(ctx context.Context, templateID string) (*TemplateAdoption, error) {
	if _, err := s.Template(ctx, templateID); err != nil {
		return nil, err
	}
	var a TemplateAdoption
	err := s.q(ctx, &a).Where("template_id = ?", templateID).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// RecountMarketplaceRatings sets a listing's rating aggregates from its
// template's visible reviews (a hidden review does not count). The review door calls it in the transaction that
// writes a review, so that the aggregates never disagree with the reviews.
func RecountMarketplaceRatings(tx *gorm.DB, templateID string) error {
	var agg struct {
		N   int
		Sum int
	}
	if err := tx.Model(&TemplateReview{}).Where("template_id = ? AND hidden_at IS NULL", templateID).
		Select("COUNT(*) AS n, COALESCE(SUM(rating), 0) AS sum").Scan(&agg).Error; err != nil {
		return err
	}
	return tx.Model(&MarketplaceListing{}).Where("template_id = ?", templateID).
		Updates(map[string]any{"rating_count": agg.N, "rating_sum": agg.Sum}).Error
}

// Category is an active marketplace category (categories are the
// platform's, shared by every organization).
func (s *Scoped) Category(ctx context.Context, id string) (*TemplateCategory, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var c TemplateCategory
	if err := s.db.WithContext(ctx).Where("active").First(&c, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// AlignmentTerms is a listing's AlignmentTerms (for seeds that write
// listings themselves): each framework ("F:") and
// target name ("T:") of the achievement's alignment once, in their order,
// each on its own line between newlines, so that a filter value matches
// as "\nF:<value>\n" or "\nT:<value>\n" (the values are single lines).
func AlignmentTerms(a *Achievement) string {
	if a == nil || len(a.Alignment) == 0 {
		return ""
	}
	var b strings.Builder
	seen := map[string]bool{}
	add := func(tag, v string) {
		v = strings.TrimSpace(v)
		if v == "" || seen[tag+v] {
			return
		}
		seen[tag+v] = true
		b.WriteString("\n" + tag + v)
	}
	for _, al := range a.Alignment {
		add("F:", al.TargetFramework)
		add("T:", al.TargetName)
	}
	if b.Len() == 0 {
		return ""
	}
	return b.String() + "\n"
}
