package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// SchemaFieldType is the type of one field of a credential schema. It is
// not custom_fields.field_type (FieldType): a schema field has no file type
// and has email, url and boolean. internal/credschema turns each into JSON
// Schema.
type SchemaFieldType string

const (
	SchemaFieldText    SchemaFieldType = "text"
	SchemaFieldNumber  SchemaFieldType = "number"
	SchemaFieldDate    SchemaFieldType = "date"
	SchemaFieldEmail   SchemaFieldType = "email"
	SchemaFieldURL     SchemaFieldType = "url"
	SchemaFieldSelect  SchemaFieldType = "select"
	SchemaFieldBoolean SchemaFieldType = "boolean"
)

// SchemaFieldTypes lists every schema field type, in the order forms show them.
func SchemaFieldTypes() []SchemaFieldType {
	return []SchemaFieldType{SchemaFieldText, SchemaFieldNumber, SchemaFieldDate, SchemaFieldEmail,
		SchemaFieldURL, SchemaFieldSelect, SchemaFieldBoolean}
}

// Valid reports whether t is a schema field type.
func (t SchemaFieldType) Valid() bool {
	switch t {
	case SchemaFieldText, SchemaFieldNumber, SchemaFieldDate, SchemaFieldEmail, SchemaFieldURL,
		SchemaFieldSelect, SchemaFieldBoolean:
		return true
	}
	return false
}

// SchemaField is one element of credential_schemas.fields.
type SchemaField struct {
	Name        string          `json:"name"`
	Label       string          `json:"label"`
	Type        SchemaFieldType `json:"type"`
	Required    bool            `json:"required,omitempty"`
	Description string          `json:"description,omitempty"`
	Options     []FieldOption   `json:"options,omitempty"`
	Validation  ValidationRules `json:"validation,omitzero"`
}

// CredentialSchema defines the data a credential carries.
type CredentialSchema struct {
	ID               string
	Name             string `validate:"required,max=200"`
	Version          string `validate:"required,max=50"`
	OrganizationID   string
	SchemaDefinition datatypes.JSON // a JSON Schema (draft 2020-12) document, kept as written: internal/credschema builds and compiles it
	SchemaURI        *string        `validate:"omitnil,max=2048,url"` // published URL of the schema (credentialSchema.id); nil until published
	Fields           datatypes.JSONSlice[SchemaField]
	Active           bool
	// ApprovalStatus is approved, or pending while the organization's
	// schema_creation workflow decides on it, or rejected (00038; see
	// approval_kinds.go). Only an approved schema is usable.
	ApprovalStatus SchemaApprovalStatus `gorm:"default:approved" validate:"required,oneof=approved pending rejected"`
	CreatedAt      time.Time
	UpdatedAt      time.Time

	Organization *Organization `gorm:"foreignKey:OrganizationID" validate:"-"`
}

func (CredentialSchema) TableName() string { return "credential_schemas" }

func (s *CredentialSchema) BeforeCreate(*gorm.DB) error { return newID(&s.ID) }

func (s *CredentialSchema) BeforeSave(*gorm.DB) error {
	emptyIfNil(&s.Fields)
	if s.ApprovalStatus == "" {
		s.ApprovalStatus = SchemaApproved
	}
	if len(s.SchemaDefinition) == 0 {
		s.SchemaDefinition = datatypes.JSON("{}")
	}
	return nil
}

// ErrSchemaInUse refuses to change a schema that credentials were issued
// with: make a new version instead (NewSchemaVersion).
var ErrSchemaInUse = errors.New("credentials were issued with this schema: it can no longer change")

// msgVersionTaken is the field error for a name and version the
// organization already has.
const msgVersionTaken = "a schema with this name and version exists"

// SchemaChange is what a person edits of a schema. Fields and Definition
// come from internal/credschema (Build, or a document checked with
// Compile); the store does not judge them beyond their shape.
type SchemaChange struct {
	Name       string
	Version    string // NewSchemaVersion: "" for the next one (NextVersion)
	Fields     []SchemaField
	Definition json.RawMessage
}

// SchemaListItem is a schema in the organization's list.
type SchemaListItem struct {
	CredentialSchema
	InUse     bool  // a credential references it: it is immutable
	Templates int64 // templates that use it
}

// Schemas lists the organization's schemas by name, then newest version
// first, each with whether it is in use and how many templates use it.
func (s *Scoped) Schemas(ctx context.Context) ([]SchemaListItem, error) {
	var rows []CredentialSchema
	err := s.q(ctx, &CredentialSchema{}).
		Order("lower(name), name, created_at DESC, id DESC").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	inUse, err := s.schemasInUse(ctx, s.db)
	if err != nil {
		return nil, err
	}
	var counts []struct {
		SchemaID string
		N        int64
	}
	err = s.q(ctx, &CredentialTemplate{}).Select("schema_id, count(*) AS n").
		Group("schema_id").Scan(&counts).Error
	if err != nil {
		return nil, err
	}
	templates := map[string]int64{}
	for _, c := range counts {
		templates[c.SchemaID] = c.N
	}
	out := make([]SchemaListItem, len(rows))
	for i, r := range rows {
		out[i] = SchemaListItem{CredentialSchema: r, InUse: inUse[r.ID], Templates: templates[r.ID]}
	}
	return out, nil
}

// schemasInUse is the set of the organization's schema ids some credential references.
func (s *Scoped) schemasInUse(ctx context.Context, db *gorm.DB) (map[string]bool, error) {
	var ids []string
	err := s.tenant(db.WithContext(ctx), &Credential{}).Distinct("schema_id").
		Where("schema_id IN (?)", s.tenant(db, &CredentialSchema{}).Select("id")).
		Pluck("schema_id", &ids).Error
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, err
}

// Schema finds one of the organization's schemas.
func (s *Scoped) Schema(ctx context.Context, id string) (*CredentialSchema, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var cs CredentialSchema
	err := s.q(ctx, &cs).First(&cs, "id = ?", id).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &cs, nil
}

// SchemaInUse reports whether a credential references the schema, which
// makes it immutable. ErrNotFound for another organization's schema.
func (s *Scoped) SchemaInUse(ctx context.Context, id string) (bool, error) {
	if _, err := s.Schema(ctx, id); err != nil {
		return false, err
	}
	return schemaInUse(s.db.WithContext(ctx), id) // scoped through the schema, found above
}

func schemaInUse(tx *gorm.DB, id string) (bool, error) {
	var n int64
	err := tx.Model(&Credential{}).Where("schema_id = ?", id).Limit(1).Count(&n).Error
	return n > 0, err
}

// SchemaVersions lists every version of the organization's schema called
// name, newest first.
func (s *Scoped) SchemaVersions(ctx context.Context, name string) ([]CredentialSchema, error) {
	var rows []CredentialSchema
	err := s.q(ctx, &CredentialSchema{}).Where("name = ?", name).
		Order("created_at DESC, id DESC").Find(&rows).Error
	return rows, err
}

// checkChange validates what Create and Update write.
func checkChange(c SchemaChange) error {
	fe := FieldErrors{}
	switch n := len([]rune(strings.TrimSpace(c.Name))); {
	case n == 0:
		fe["name"] = "is required"
	case n > 200:
		fe["name"] = "must be at most 200 characters long"
	}
	switch n := len([]rune(strings.TrimSpace(c.Version))); {
	case n == 0:
		fe["version"] = "is required"
	case n > 50:
		fe["version"] = "must be at most 50 characters long"
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(c.Definition, &obj); err != nil || obj == nil {
		fe["schema_definition"] = "must be a JSON object"
	}
	if len(fe) > 0 {
		return fmt.Errorf("store: invalid schema: %w", fe)
	}
	return nil
}

// versionTaken reports whether the organization has name+version already
// (other than the schema except).
func (s *Scoped) versionTaken(tx *gorm.DB, name, version, except string) (bool, error) {
	q := s.tenant(tx, &CredentialSchema{}).Where("name = ? AND version = ?", name, version)
	if except != "" {
		q = q.Where("id <> ?", except)
	}
	var n int64
	err := q.Count(&n).Error
	return n > 0, err
}

// taken is the error for a name and version in use, as a field error.
func taken() error {
	return fmt.Errorf("store: invalid schema: %w", FieldErrors{"version": msgVersionTaken})
}

// CreateSchema stores a new active schema of the organization and audits
// it (schema.created); while the organization has an active
// schema_creation workflow the schema is stored inactive and pending
// approval with its request (approval_kinds.go), in the same transaction
// (joined when the handle is InTx's, for the caller's event). A name and version the organization already has is
// a FieldErrors with "version": "a schema with this name and version exists".
func (s *Scoped) CreateSchema(ctx context.Context, c SchemaChange, actor Actor) (*CredentialSchema, error) {
	c.Name, c.Version = strings.TrimSpace(c.Name), strings.TrimSpace(c.Version)
	if err := checkChange(c); err != nil {
		return nil, err
	}
	cs := &CredentialSchema{Name: c.Name, Version: c.Version, OrganizationID: s.orgID, Active: true,
		Fields: datatypes.NewJSONSlice(c.Fields), SchemaDefinition: datatypes.JSON(c.Definition)}
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		if t, err := s.versionTaken(tx, c.Name, c.Version, ""); err != nil || t {
			return errors.Join(err, cond(t, taken()))
		}
		wf, err := s.parkSchema(tx, cs)
		if err != nil {
			return err
		}
		if err := tx.Create(cs).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		if err := audit(tx, actor, "schema.created", "credential_schema", cs.ID, AuditDetails{
			Summary: fmt.Sprintf("Created schema %q version %s with %d fields", cs.Name, cs.Version, len(c.Fields)),
		}); err != nil {
			return err
		}
		return s.startSchemaApproval(tx, wf, cs, actor)
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return nil, taken() // a concurrent creation won
	}
	if err != nil {
		return nil, err
	}
	return cs, nil
}

// cond is err when ok, else nil.
func cond(ok bool, err error) error {
	if ok {
		return err
	}
	return nil
}

// lockSchema reads one of the organization's schemas for a change, holding
// its row on PostgreSQL until the transaction ends.
func (s *Scoped) lockSchema(tx *gorm.DB, id string) (*CredentialSchema, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var cs CredentialSchema
	if err := s.tenant(lockRow(tx, s.dial), &cs).First(&cs, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	return &cs, nil
}

// UpdateSchema changes a schema in place (name, version, fields,
// definition) while no credential references it; ErrSchemaInUse once one
// does. Audited as schema.updated with what changed.
func (s *Scoped) UpdateSchema(ctx context.Context, id string, c SchemaChange, actor Actor) (*CredentialSchema, error) {
	c.Name, c.Version = strings.TrimSpace(c.Name), strings.TrimSpace(c.Version)
	if err := checkChange(c); err != nil {
		return nil, err
	}
	var cs *CredentialSchema
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if cs, err = s.lockSchema(tx, id); err != nil {
			return err
		}
		if cs.ApprovalStatus == SchemaPendingApproval {
			return ErrSchemaAwaitingApproval // its reviewers decide on what they saw
		}
		if used, err := schemaInUse(tx, id); err != nil || used {
			return errors.Join(err, cond(used, ErrSchemaInUse))
		}
		if t, err := s.versionTaken(tx, c.Name, c.Version, id); err != nil || t {
			return errors.Join(err, cond(t, taken()))
		}
		var changes []FieldChange
		if cs.Name != c.Name {
			changes = append(changes, FieldChange{Field: "name", From: cs.Name, To: c.Name})
		}
		if cs.Version != c.Version {
			changes = append(changes, FieldChange{Field: "version", From: cs.Version, To: c.Version})
		}
		oldFields, _ := json.Marshal(cs.Fields)
		newFields, _ := json.Marshal(c.Fields)
		if string(oldFields) != string(newFields) {
			changes = append(changes, FieldChange{Field: "fields", From: fmt.Sprintf("%d fields", len(cs.Fields)), To: fmt.Sprintf("%d fields", len(c.Fields))})
		}
		if !sameJSON(cs.SchemaDefinition, c.Definition) {
			changes = append(changes, FieldChange{Field: "schema_definition"})
		}
		if len(changes) == 0 {
			return nil
		}
		cs.Name, cs.Version = c.Name, c.Version
		cs.Fields, cs.SchemaDefinition = datatypes.NewJSONSlice(c.Fields), datatypes.JSON(c.Definition)
		if err := tx.Model(cs).Select("name", "version", "fields", "schema_definition", "updated_at").Updates(cs).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "schema.updated", "credential_schema", cs.ID, AuditDetails{
			Summary: fmt.Sprintf("Changed schema %q version %s", cs.Name, cs.Version), Changes: changes,
		})
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return nil, taken()
	}
	if err != nil {
		return nil, err
	}
	return cs, nil
}

// sameJSON compares two JSON documents by value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// NewSchemaVersion makes the next version of a schema, leaving the old one
// as it is (credentials and templates keep pointing at it): same name, the
// given fields and definition, c.Version or else the next free version
// after the old one (NextVersion: "1.0" → "1.1", "2" → "3"). c.Name is
// ignored. Audited as schema.versioned on the new schema. Like
// CreateSchema, the new version waits pending under an active
// schema_creation workflow.
func (s *Scoped) NewSchemaVersion(ctx context.Context, id string, c SchemaChange, actor Actor) (*CredentialSchema, error) {
	var next *CredentialSchema
	err := s.joinTx(ctx, func(tx *gorm.DB) error {
		old, err := s.lockSchema(tx, id)
		if err != nil {
			return err
		}
		c.Name, c.Version = old.Name, strings.TrimSpace(c.Version)
		if c.Version == "" {
			c.Version = NextVersion(old.Version)
			for i := 0; ; i++ {
				t, err := s.versionTaken(tx, c.Name, c.Version, "")
				if err != nil {
					return err
				}
				if !t {
					break
				}
				if i == 1000 {
					return taken()
				}
				c.Version = NextVersion(c.Version)
			}
		} else if t, err := s.versionTaken(tx, c.Name, c.Version, ""); err != nil || t {
			return errors.Join(err, cond(t, taken()))
		}
		if err := checkChange(c); err != nil {
			return err
		}
		next = &CredentialSchema{Name: c.Name, Version: c.Version, OrganizationID: s.orgID, Active: true,
			Fields: datatypes.NewJSONSlice(c.Fields), SchemaDefinition: datatypes.JSON(c.Definition)}
		wf, err := s.parkSchema(tx, next)
		if err != nil {
			return err
		}
		if err := tx.Create(next).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		if err := audit(tx, actor, "schema.versioned", "credential_schema", next.ID, AuditDetails{
			Summary: fmt.Sprintf("Made version %s of schema %q from version %s", next.Version, next.Name, old.Version),
			Extra:   map[string]string{"previous_id": old.ID, "previous_version": old.Version},
		}); err != nil {
			return err
		}
		return s.startSchemaApproval(tx, wf, next, actor)
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return nil, taken()
	}
	if err != nil {
		return nil, err
	}
	return next, nil
}

var lastNumber = regexp.MustCompile(`^(.*?)([0-9]+)$`)

// NextVersion is the version after v: its last number plus one ("1.0" →
// "1.1", "2" → "3", "v1.9" → "v1.10", "2024-01" → "2024-02"), or ".1" appended when it does not
// end in a number ("beta" → "beta.1").
func NextVersion(v string) string {
	m := lastNumber.FindStringSubmatch(v)
	if m == nil {
		return v + ".1"
	}
	n, err := strconv.ParseUint(m[2], 10, 62)
	if err != nil {
		return v + ".1"
	}
	next := strconv.FormatUint(n+1, 10)
	if len(m[2]) > 1 && m[2][0] == '0' && len(next) < len(m[2]) { // keep the padding: 2024-01 → 2024-02
		next = strings.Repeat("0", len(m[2])-len(next)) + next
	}
	return m[1] + next
}

// SetSchemaActive turns a schema on or off (an inactive schema is kept but
// offered for no new template or issuance). Audited only on a change
// (schema.activated / schema.deactivated).
func (s *Scoped) SetSchemaActive(ctx context.Context, id string, active bool, actor Actor) (*CredentialSchema, error) {
	var cs *CredentialSchema
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if cs, err = s.lockSchema(tx, id); err != nil {
			return err
		}
		if cs.Active == active {
			return nil
		}
		if err := cs.UsableErr(); err != nil && active {
			return err
		}
		if err := s.tenant(tx, cs).Update("active", active).Error; err != nil {
			return err
		}
		cs.Active = active
		action, verb := "schema.deactivated", "Deactivated"
		if active {
			action, verb = "schema.activated", "Activated"
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, action, "credential_schema", cs.ID, AuditDetails{
			Summary: fmt.Sprintf("%s schema %q version %s", verb, cs.Name, cs.Version),
		})
	})
	if err != nil {
		return nil, err
	}
	return cs, nil
}
