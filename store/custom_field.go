package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"gorm.io/datatypes"
	"gorm.io/gorm"

	textpkg "github.com/trustcred/trustcred/internal/text"
)

// The organization's field library (issue 19, custom_fields): reusable
// fields (name, type, label, validation) that the schema builder offers.
// The types are those a schema field can take that custom_fields accepts:
// text, number, date and select (custom_fields' file type is not a schema
// field type, so the library does not offer it).

// ErrCustomFieldExists is a second field of the same name.
var ErrCustomFieldExists = errors.New("a field of the library has this name")

// LibraryTypes are the field types of the library.
var LibraryTypes = []FieldType{FieldText, FieldNumber, FieldDate, FieldSelect}

// CustomFieldChange is what an admin edits of a library field.
type CustomFieldChange struct {
	Name, Label, Description string
	Type                     FieldType
	Required                 bool
	Validation               ValidationRules
	Options                  []FieldOption
}

var fieldNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,63}$`)

// ValidateCustomField checks a library field, keyed as the form names its
// inputs (name, label, description, type, options, min, max, pattern).
// The rules are credschema.CheckFields' for one field.
func ValidateCustomField(c CustomFieldChange) FieldErrors {
	fe := FieldErrors{}
	switch n := c.Name; {
	case n == "":
		fe["name"] = "Give the field a name, such as student_number"
	case !fieldNameRE.MatchString(n):
		fe["name"] = "Start with a letter; use letters, digits and underscores, at most 64"
	case n == "id" || n == "type" || strings.EqualFold(n, "name") || strings.EqualFold(n, "achievement"):
		fe["name"] = fmt.Sprintf("%q is set by TrustCred: choose another name", n)
	}
	switch err := textpkg.Check(c.Label, textpkg.Name); {
	case strings.TrimSpace(c.Label) == "":
		fe["label"] = "Give the field a label, as people read it"
	case err != nil:
		fe["label"] = "The label " + err.Error()
	case utf8.RuneCountInString(c.Label) > 200:
		fe["label"] = "The label must be at most 200 characters long"
	}
	if utf8.RuneCountInString(c.Description) > 2000 {
		fe["description"] = "The description must be at most 2000 characters long"
	}
	v := c.Validation
	switch c.Type {
	case FieldText:
		if v.MinLength != nil && v.MaxLength != nil && *v.MinLength > *v.MaxLength {
			fe["max"] = "The maximum length must not be below the minimum"
		}
		if v.Pattern != "" {
			if _, err := regexp.Compile(v.Pattern); err != nil {
				fe["pattern"] = "This pattern is not a valid regular expression"
			}
		}
	case FieldNumber:
		if v.Min != nil && v.Max != nil && *v.Min > *v.Max {
			fe["max"] = "The maximum must not be below the minimum"
		}
	case FieldSelect:
		seen := map[string]bool{}
		for _, o := range c.Options {
			if o.Value == "" || seen[o.Value] {
				fe["options"] = "Give each choice a value, each value once"
			}
			seen[o.Value] = true
		}
		if len(c.Options) == 0 {
			fe["options"] = "Give the choices, one per line"
		}
	case FieldDate:
	default:
		fe["type"] = "Choose a type from the list"
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// CustomFields is the organization's field library by label.
func (s *Scoped) CustomFields(ctx context.Context) ([]CustomField, error) {
	var out []CustomField
	err := s.q(ctx, &CustomField{}).Where("is_active").Order("field_label, field_name").Find(&out).Error
	return out, err
}

// CustomField is one field of the organization's library.
func (s *Scoped) CustomField(ctx context.Context, id string) (*CustomField, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var f CustomField
	err := s.q(ctx, &f).Where("is_active").First(&f, "id = ?", id).Error
	return &f, notFound(err)
}

func (c CustomFieldChange) apply(f *CustomField) {
	f.FieldName, f.FieldLabel, f.FieldType, f.IsRequired = c.Name, strings.TrimSpace(c.Label), c.Type, c.Required
	f.FieldDescription = nil
	if d := strings.TrimSpace(c.Description); d != "" {
		f.FieldDescription = &d
	}
	v := c.Validation
	switch c.Type { // only the rules of the type
	case FieldText:
		v.Min, v.Max = nil, nil
	case FieldNumber:
		v.MinLength, v.MaxLength, v.Pattern = nil, nil, ""
	default:
		v = ValidationRules{}
	}
	f.ValidationRules = datatypes.NewJSONType(v)
	f.Options = nil
	if c.Type == FieldSelect {
		f.Options = datatypes.NewJSONSlice(c.Options)
	}
}

// taken reports whether another active or inactive field of the
// organization has the name.
func (s *Scoped) fieldNameTaken(tx *gorm.DB, name, except string) (bool, error) {
	var n int64
	q := s.tenant(tx, &CustomField{}).Where("field_name = ?", name)
	if except != "" {
		q = q.Where("id <> ?", except)
	}
	err := q.Count(&n).Error
	return n > 0, err
}

// CreateCustomField adds a field to the library (custom_field.created);
// ValidateCustomField's FieldErrors, or "name" taken, otherwise.
func (s *Scoped) CreateCustomField(ctx context.Context, c CustomFieldChange, actor Actor) (*CustomField, error) {
	if fe := ValidateCustomField(c); fe != nil {
		return nil, fmt.Errorf("store: invalid field: %w", fe)
	}
	f := &CustomField{OrganizationID: s.orgID, IsActive: true}
	c.apply(f)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if taken, err := s.fieldNameTaken(tx, c.Name, ""); err != nil || taken {
			if taken {
				return fmt.Errorf("store: %w", FieldErrors{"name": ErrCustomFieldExists.Error()})
			}
			return err
		}
		if err := tx.Create(f).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "custom_field.created", "custom_field", f.ID, AuditDetails{Summary: fmt.Sprintf("Added %q to the field library", f.FieldLabel)})
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// UpdateCustomField changes a field of the library (custom_field.updated).
// Schemas that inserted it keep their copy.
func (s *Scoped) UpdateCustomField(ctx context.Context, id string, c CustomFieldChange, actor Actor) (*CustomField, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var f CustomField
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.tenant(lockRow(tx, s.dial), &f).Where("is_active").First(&f, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if fe := ValidateCustomField(c); fe != nil {
			return fmt.Errorf("store: invalid field: %w", fe)
		}
		if taken, err := s.fieldNameTaken(tx, c.Name, f.ID); err != nil || taken {
			if taken {
				return fmt.Errorf("store: %w", FieldErrors{"name": ErrCustomFieldExists.Error()})
			}
			return err
		}
		c.apply(&f)
		if err := s.tenant(tx, &f).Where("id = ?", f.ID).Select("field_name", "field_label", "field_type", "field_description",
			"validation_rules", "options", "is_required").Updates(&f).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "custom_field.updated", "custom_field", f.ID, AuditDetails{Summary: fmt.Sprintf("Changed %q in the field library", f.FieldLabel)})
	})
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// DeleteCustomField takes a field out of the library (custom_field.deleted).
func (s *Scoped) DeleteCustomField(ctx context.Context, id string, actor Actor) error {
	if !validUUID(id) {
		return ErrNotFound
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var f CustomField
		if err := s.tenant(lockRow(tx, s.dial), &f).First(&f, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if err := s.tenant(tx, &f).Where("id = ?", f.ID).Delete(&CustomField{}).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "custom_field.deleted", "custom_field", f.ID, AuditDetails{Summary: fmt.Sprintf("Removed %q from the field library", f.FieldLabel)})
	})
}

// SchemaField is the library field as a schema field, for the builder.
func (f *CustomField) SchemaField() SchemaField {
	out := SchemaField{Name: f.FieldName, Label: f.FieldLabel, Type: SchemaFieldType(f.FieldType), Required: f.IsRequired,
		Options: append([]FieldOption(nil), f.Options...), Validation: f.ValidationRules.Data()}
	if f.FieldDescription != nil {
		out.Description = *f.FieldDescription
	}
	return out
}
