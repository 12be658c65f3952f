package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	textpkg "github.com/trustcred/trustcred/internal/text"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// Achievement describes the Open Badges 3.0 achievement of a badge template.
type Achievement struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Criteria    string `json:"criteria,omitempty"`
	ImageURL    string `json:"image_url,omitempty"`
	// Alignment is the Open Badges 3.0 achievement's alignment: the skills,
	// competencies or standards it aligns to (at most MaxAlignments).
	Alignment []Alignment `json:"alignment,omitempty"`
}

// MaxAlignments is how many alignment targets an achievement may carry.
const MaxAlignments = 20

// Alignment is an Open Badges 3.0 Alignment (type ["Alignment"]): a target
// the achievement aligns to, named and optionally located, in a framework
// and with a code.
type Alignment struct {
	TargetName        string `json:"target_name"`
	TargetURL         string `json:"target_url"`
	TargetFramework   string `json:"target_framework,omitempty"`
	TargetCode        string `json:"target_code,omitempty"`
	TargetDescription string `json:"target_description,omitempty"`
}

// Cryptosuites a template may sign with; the first is the default.
const (
	CryptosuiteEdDSARDFC = "eddsa-rdfc-2022"
	CryptosuiteEdDSAJCS  = "eddsa-jcs-2022"
)

// TemplateDisplay is how a template's credentials are presented (the human
// view, the PDF): a title, a description, the criteria met and an image.
type TemplateDisplay struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Criteria    string `json:"criteria,omitempty"`
	ImageURL    string `json:"image_url,omitempty"`
}

// TemplateData is credential_templates.template_data.
type TemplateData struct {
	Kind         TemplateType      `json:"kind,omitempty"`          // badge issues an OpenBadgeCredential
	Cryptosuite  string            `json:"cryptosuite,omitempty"`   // eddsa-rdfc-2022 (default) or eddsa-jcs-2022
	ValidityDays int               `json:"validity_days,omitempty"` // 0: credentials do not expire by default
	Achievement  *Achievement      `json:"achievement,omitempty"`   // badge only
	Defaults     map[string]string `json:"defaults,omitempty"`      // default values by schema field name, as a form would send them (credschema.Coerce)
	Display      TemplateDisplay   `json:"display,omitzero"`
	DesignID     string            `json:"design_id,omitempty"` // custom_credential_templates.id for the PDF
}

// CredentialTemplate is a pre-built, reusable way to issue credentials of a schema;
// public templates appear in the marketplace.
type CredentialTemplate struct {
	ID             string
	Name           string  `validate:"required,max=200,name"`
	Description    *string `validate:"omitnil,max=2000,text"`
	OrganizationID string
	SchemaID       string
	TemplateData   datatypes.JSONType[TemplateData]
	IsPublic       bool
	Active         bool
	CategoryID     *string // added by migration 00002 (template_categories is a phase-2 table)
	Version        int     `gorm:"default:1" validate:"min=0"` // 1 when created, one more on each change (migration 00025)
	CreatedAt      time.Time
	UpdatedAt      time.Time

	Organization *Organization     `gorm:"foreignKey:OrganizationID" validate:"-"`
	Schema       *CredentialSchema `gorm:"foreignKey:SchemaID" validate:"-"`
	Category     *TemplateCategory `gorm:"foreignKey:CategoryID" validate:"-"`
	Reviews      []TemplateReview  `gorm:"foreignKey:TemplateID" validate:"-"`
}

func (CredentialTemplate) TableName() string { return "credential_templates" }

func (t *CredentialTemplate) BeforeCreate(*gorm.DB) error { return newID(&t.ID) }

// MaxValidityDays is the longest default validity a template may give (100 years).
const MaxValidityDays = 36500

// TemplateChange is what a person edits of a template.
type TemplateChange struct {
	Name        string
	Description string // "" for none
	SchemaID    string
	IsPublic    bool
	Data        TemplateData
}

// TemplateListItem is a template in the organization's list, with its schema.
type TemplateListItem struct {
	CredentialTemplate
	SchemaName    string
	SchemaVersion string
	SchemaActive  bool
}

// Templates lists the organization's templates by name, each with its
// schema's name and version.
func (s *Scoped) Templates(ctx context.Context) ([]TemplateListItem, error) {
	var rows []CredentialTemplate
	err := s.q(ctx, &CredentialTemplate{}).Preload("Schema").
		Order("lower(name), name, id").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]TemplateListItem, len(rows))
	for i, r := range rows {
		out[i] = TemplateListItem{CredentialTemplate: r}
		if r.Schema != nil {
			out[i].SchemaName, out[i].SchemaVersion, out[i].SchemaActive = r.Schema.Name, r.Schema.Version, r.Schema.Active
		}
	}
	return out, nil
}

// Template finds one of the organization's templates, with its schema.
func (s *Scoped) Template(ctx context.Context, id string) (*CredentialTemplate, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var t CredentialTemplate
	err := s.q(ctx, &t).Preload("Schema").First(&t, "id = ?", id).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// httpURL accepts an absolute http(s) URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// ValidateTemplate checks a template change against its schema (nil when
// the schema was not found): name (1–200 characters), description (at most
// 2000), an active schema of the organization, a kind, a cryptosuite
// (eddsa-rdfc-2022 or eddsa-jcs-2022), validity 0–MaxValidityDays days, for
// a badge an achievement with a name, http(s) image URLs, display texts of
// at most 2000 characters, and defaults only for the schema's fields. The
// keys are the form's: name, description, schema_id, kind, cryptosuite,
// validity_days, achievement_name, achievement_description,
// achievement_criteria, achievement_image_url, alignment (the list: at most
// MaxAlignments) and alignment.<i>.<target_name|target_url|target_framework|
// target_code|target_description> (a name and an http(s) URL are required,
// as Open Badges 3.0 requires them), display_title,
// display_description, display_criteria, display_image_url, default_<field>.
// Whether each default is a valid value for its field is internal/credschema's
// to say (Coerce, Validate).
func ValidateTemplate(c TemplateChange, schema *CredentialSchema) FieldErrors {
	fe := FieldErrors{}
	text := func(key, v string, max int, required bool) {
		switch n := utf8.RuneCountInString(v); {
		case required && strings.TrimSpace(v) == "":
			fe[key] = "is required"
		case n > max:
			fe[key] = fmt.Sprintf("must be at most %d characters long", max)
		}
	}
	text("name", c.Name, 200, true)
	if err := textpkg.Check(c.Name, textpkg.Name); err != nil {
		fe["name"] = err.Error()
	}
	text("description", c.Description, 2000, false)
	if err := textpkg.Check(c.Description, textpkg.MultiLine); err != nil {
		fe["description"] = err.Error()
	}
	switch {
	case schema == nil:
		fe["schema_id"] = "choose one of your organization's schemas"
	case schema.UsableErr() != nil:
		fe["schema_id"] = schema.UsableErr().Error()
	case !schema.Active:
		fe["schema_id"] = "this schema is inactive: choose an active one"
	}
	d := c.Data
	if !d.Kind.Valid() {
		fe["kind"] = "must be one of: certificate, diploma, license, badge"
	}
	if d.Cryptosuite != CryptosuiteEdDSARDFC && d.Cryptosuite != CryptosuiteEdDSAJCS {
		fe["cryptosuite"] = "must be one of: " + CryptosuiteEdDSARDFC + ", " + CryptosuiteEdDSAJCS
	}
	if d.ValidityDays < 0 || d.ValidityDays > MaxValidityDays {
		fe["validity_days"] = fmt.Sprintf("must be between 0 (no expiry) and %d days", MaxValidityDays)
	}
	if d.Kind == TemplateBadge {
		a := d.Achievement
		if a == nil {
			a = &Achievement{}
		}
		text("achievement_name", a.Name, 200, true)
		text("achievement_description", a.Description, 2000, false)
		text("achievement_criteria", a.Criteria, 2000, false)
		if a.ImageURL != "" && !httpURL(a.ImageURL) {
			fe["achievement_image_url"] = "must be an http:// or https:// URL"
		}
		if len(a.Alignment) > MaxAlignments {
			fe["alignment"] = fmt.Sprintf("at most %d alignments", MaxAlignments)
		}
		for i, al := range a.Alignment {
			key := func(col string) string { return fmt.Sprintf("alignment.%d.%s", i, col) }
			text(key("target_name"), al.TargetName, 200, true)
			if !httpURL(al.TargetURL) { // Open Badges 3.0 requires targetUrl
				fe[key("target_url")] = "must be an http:// or https:// URL"
			} else {
				text(key("target_url"), al.TargetURL, 2000, false)
			}
			text(key("target_framework"), al.TargetFramework, 200, false)
			text(key("target_code"), al.TargetCode, 100, false)
			text(key("target_description"), al.TargetDescription, 2000, false)
			for col, v := range map[string]string{"target_name": al.TargetName, "target_framework": al.TargetFramework, "target_code": al.TargetCode} {
				if err := textpkg.Check(v, textpkg.SingleLine); err != nil && fe[key(col)] == "" {
					fe[key(col)] = err.Error()
				}
			}
			if err := textpkg.Check(al.TargetDescription, textpkg.MultiLine); err != nil && fe[key("target_description")] == "" {
				fe[key("target_description")] = err.Error()
			}
		}
	} else if d.Achievement != nil {
		fe["kind"] = "only a badge has an achievement"
	}
	text("display_title", d.Display.Title, 200, false)
	text("display_description", d.Display.Description, 2000, false)
	text("display_criteria", d.Display.Criteria, 2000, false)
	if d.Display.ImageURL != "" && !httpURL(d.Display.ImageURL) {
		fe["display_image_url"] = "must be an http:// or https:// URL"
	}
	if schema != nil {
		names := map[string]bool{}
		for _, f := range schema.Fields {
			names[f.Name] = true
		}
		keys := make([]string, 0, len(d.Defaults))
		for k := range d.Defaults {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !names[k] {
				fe["default_"+k] = "is not a field of the schema"
			} else if utf8.RuneCountInString(d.Defaults[k]) > 2000 {
				fe["default_"+k] = "must be at most 2000 characters long"
			}
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// normalize trims a change and fills the defaults (the first cryptosuite).
func (c *TemplateChange) normalize() {
	c.Name, c.Description = strings.TrimSpace(c.Name), strings.TrimSpace(c.Description)
	if c.Data.Cryptosuite == "" {
		c.Data.Cryptosuite = CryptosuiteEdDSARDFC
	}
	for k, v := range c.Data.Defaults {
		if strings.TrimSpace(v) == "" {
			delete(c.Data.Defaults, k)
		}
	}
	if len(c.Data.Defaults) == 0 {
		c.Data.Defaults = nil
	}
}

// templateSchema reads the schema a template change names, if it is the
// organization's; nil otherwise.
func (s *Scoped) templateSchema(tx *gorm.DB, id string) (*CredentialSchema, error) {
	if !validUUID(id) {
		return nil, nil
	}
	var cs CredentialSchema
	err := s.tenant(tx, &cs).First(&cs, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &cs, nil
}

// validTemplate is ValidateTemplate and, inside the change's transaction,
// the design it names: none (TrustCred's default) or an active design of
// the organization (design_id's FieldErrors otherwise).
func (s *Scoped) validTemplate(tx *gorm.DB, c TemplateChange, schema *CredentialSchema) error {
	fe := ValidateTemplate(c, schema)
	if id := c.Data.DesignID; id != "" {
		var active []bool
		if validUUID(id) {
			if err := s.tenant(tx, &CustomCredentialTemplate{}).Where("id = ?", id).Pluck("is_active", &active).Error; err != nil {
				return err
			}
		}
		msg := ""
		switch {
		case len(active) == 0:
			msg = "choose one of your organization's designs"
		case !active[0]:
			msg = "this design is inactive: choose an active one"
		}
		if msg != "" {
			if fe == nil {
				fe = FieldErrors{}
			}
			fe["design_id"] = msg
		}
	}
	if fe != nil {
		return invalidTemplate(fe)
	}
	return nil
}

func invalidTemplate(fe FieldErrors) error { return fmt.Errorf("store: invalid template: %w", fe) }

func (c TemplateChange) description() *string {
	if c.Description == "" {
		return nil
	}
	d := c.Description
	return &d
}

// CreateTemplate stores a new active template of the organization on one
// of its active schemas (ValidateTemplate's FieldErrors otherwise) and
// audits it (template.created).
func (s *Scoped) CreateTemplate(ctx context.Context, c TemplateChange, actor Actor) (*CredentialTemplate, error) {
	c.normalize()
	var t *CredentialTemplate
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		schema, err := s.templateSchema(tx, c.SchemaID)
		if err != nil {
			return err
		}
		if err := s.validTemplate(tx, c, schema); err != nil {
			return err
		}
		t = &CredentialTemplate{Name: c.Name, Description: c.description(), OrganizationID: s.orgID, SchemaID: schema.ID,
			TemplateData: datatypes.NewJSONType(c.Data), IsPublic: c.IsPublic, Active: true, Schema: schema}
		if err := tx.Omit("Schema").Create(t).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "template.created", "credential_template", t.ID, AuditDetails{
			Summary: fmt.Sprintf("Created template %q (%s) on schema %q version %s", t.Name, c.Data.Kind, schema.Name, schema.Version),
		})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// UpdateTemplate changes one of the organization's templates
// (template.updated, with what changed; nothing written when nothing
// changed). The schema must be an active one of the organization.
func (s *Scoped) UpdateTemplate(ctx context.Context, id string, c TemplateChange, actor Actor) (*CredentialTemplate, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	c.normalize()
	var t CredentialTemplate
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.tenant(lockRow(tx, s.dial), &t).First(&t, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		schema, err := s.templateSchema(tx, c.SchemaID)
		if err != nil {
			return err
		}
		if err := s.validTemplate(tx, c, schema); err != nil {
			return err
		}
		var changes []FieldChange
		old := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		if t.Name != c.Name {
			changes = append(changes, FieldChange{Field: "name", From: t.Name, To: c.Name})
		}
		if old(t.Description) != c.Description {
			changes = append(changes, FieldChange{Field: "description", From: clip(old(t.Description)), To: clip(c.Description)})
		}
		if t.SchemaID != schema.ID {
			changes = append(changes, FieldChange{Field: "schema_id", From: t.SchemaID, To: schema.ID})
		}
		if t.IsPublic != c.IsPublic {
			changes = append(changes, FieldChange{Field: "is_public", From: fmt.Sprint(t.IsPublic), To: fmt.Sprint(c.IsPublic)})
		}
		if from := t.TemplateData.Data().DesignID; from != c.Data.DesignID {
			changes = append(changes, FieldChange{Field: "design_id", From: from, To: c.Data.DesignID})
		}
		if !sameJSONValue(t.TemplateData.Data(), c.Data) {
			changes = append(changes, FieldChange{Field: "template_data"})
		}
		t.Schema = schema
		if len(changes) == 0 {
			return nil
		}
		t.Name, t.Description, t.SchemaID, t.IsPublic = c.Name, c.description(), schema.ID, c.IsPublic
		t.TemplateData = datatypes.NewJSONType(c.Data)
		t.Version++ // a marketplace version is a snapshot of one of these
		if err := s.tenant(tx, &t).Select("name", "description", "schema_id", "is_public", "template_data", "version", "updated_at").Omit("Schema").Updates(&t).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "template.updated", "credential_template", t.ID, AuditDetails{
			Summary: fmt.Sprintf("Changed template %q", t.Name), Changes: changes,
		})
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func sameJSONValue(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && sameJSON(x, y)
}

// SetTemplateActive turns a template on or off (template.activated /
// template.deactivated, only on a change). Activating needs its schema to
// be active.
func (s *Scoped) SetTemplateActive(ctx context.Context, id string, active bool, actor Actor) (*CredentialTemplate, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var t CredentialTemplate
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.tenant(lockRow(tx, s.dial), &t).First(&t, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		schema, err := s.templateSchema(tx, t.SchemaID)
		if err != nil {
			return err
		}
		t.Schema = schema
		if t.Active == active {
			return nil
		}
		if active && (schema == nil || !schema.Active) {
			return ErrSchemaInactive
		}
		if err := s.tenant(tx, &CredentialTemplate{}).Where("id = ?", id).
			Updates(map[string]any{"active": active}).Error; err != nil {
			return err
		}
		t.Active = active
		action, verb := "template.deactivated", "Deactivated"
		if active {
			action, verb = "template.activated", "Activated"
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, action, "credential_template", t.ID, AuditDetails{Summary: fmt.Sprintf("%s template %q", verb, t.Name)})
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ErrSchemaInactive refuses to activate a template whose schema is inactive.
var ErrSchemaInactive = errors.New("the template's schema is inactive: activate it or choose another schema first")
