// Package credschema owns credential schemas as data: a schema's fields
// (store.SchemaField, what the field builder edits) become a JSON Schema
// draft 2020-12 document (Build); a document, generated or written by hand,
// is compiled offline (Compile) and credential data is validated against it
// with a plain-language message per field (Schema.Validate). Form and CSV
// inputs, which are strings, become typed JSON values with Coerce. The
// issuance form and the bulk CSV import both call Coerce, then Validate.
package credschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/trustcred/trustcred/store"
)

// Draft is the JSON Schema dialect TrustCred writes and reads.
const Draft = "https://json-schema.org/draft/2020-12/schema"

// Limits of a field list.
const (
	MaxFields         = 100
	MaxLabel          = 200
	MaxDescription    = 1000
	MaxPattern        = 500
	MaxOptions        = 200
	MaxOptionValue    = 200
	MaxSchemaName     = 200
	MaxDefinitionSize = 256 << 10 // bytes of a JSON Schema document
)

// nameRE is what a field name must look like: it becomes a JSON property
// of credentialSubject, so it must be safe as a JSON-LD term too.
var nameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,63}$`)

// Reserved are field names a schema may not use (compared ignoring case):
// TrustCred itself sets them in credentialSubject: id (the recipient's DID),
// type, name (the recipient's name) and achievement (Open Badges).
var Reserved = []string{"id", "type", "name", "achievement"}

// Cell names one input of the field builder: a row (the field's index) and
// a column (name, label, type, description, min, max, pattern, options).
// Row -1 is the list as a whole.
type Cell struct {
	Row    int
	Column string
}

// FieldErrors says what is wrong with a field list, by cell, in plain
// English for the builder to show next to the input.
type FieldErrors map[Cell]string

func (e FieldErrors) Error() string {
	cells := make([]Cell, 0, len(e))
	for c := range e {
		cells = append(cells, c)
	}
	sort.Slice(cells, func(i, j int) bool {
		if cells[i].Row != cells[j].Row {
			return cells[i].Row < cells[j].Row
		}
		return cells[i].Column < cells[j].Column
	})
	parts := make([]string, len(cells))
	for i, c := range cells {
		if c.Row < 0 {
			parts[i] = "fields: " + e[c]
		} else {
			parts[i] = fmt.Sprintf("field %d %s: %s", c.Row+1, c.Column, e[c])
		}
	}
	return "credschema: " + strings.Join(parts, "; ")
}

// At is the message for one cell, "" when there is none.
func (e FieldErrors) At(row int, column string) string { return e[Cell{row, column}] }

// lengthBound reports whether the type's min/max bound its length (true)
// rather than its value; numbers are bounded by value.
func lengthBound(t store.SchemaFieldType) bool {
	return t == store.SchemaFieldText || t == store.SchemaFieldEmail || t == store.SchemaFieldURL
}

// Applies reports whether a builder column means something for type t;
// the builder hides the others and Normalize clears them.
func Applies(t store.SchemaFieldType, column string) bool {
	switch column {
	case "min", "max":
		return lengthBound(t) || t == store.SchemaFieldNumber
	case "pattern":
		return t == store.SchemaFieldText
	case "options":
		return t == store.SchemaFieldSelect
	}
	return true
}

// Normalize clears the rules that do not apply to the field's type (a
// builder row keeps them while its type changes) and trims its text.
func Normalize(f store.SchemaField) store.SchemaField {
	f.Name, f.Label, f.Description = strings.TrimSpace(f.Name), strings.TrimSpace(f.Label), strings.TrimSpace(f.Description)
	v := f.Validation
	v.MIMETypes, v.MaxFileBytes = nil, 0
	if lengthBound(f.Type) {
		v.Min, v.Max = nil, nil
	} else {
		v.MinLength, v.MaxLength = nil, nil
		if f.Type != store.SchemaFieldNumber {
			v.Min, v.Max = nil, nil
		}
	}
	if !Applies(f.Type, "pattern") {
		v.Pattern = ""
	}
	f.Validation = v
	if !Applies(f.Type, "options") {
		f.Options = nil
	}
	return f
}

// CheckFields validates a field list: at least one and at most MaxFields
// fields; names that match ^[a-zA-Z][a-zA-Z0-9_]{0,63}$, are unique
// ignoring case and are not Reserved; a label; a known type; min <= max
// (non-negative whole lengths for text, email and url); a pattern that
// compiles; a select with at least one option, values unique and non-empty;
// no rule on a type it does not apply to. nil when valid.
func CheckFields(fields []store.SchemaField) FieldErrors {
	errs := FieldErrors{}
	switch {
	case len(fields) == 0:
		errs[Cell{-1, ""}] = "Add at least one field."
	case len(fields) > MaxFields:
		errs[Cell{-1, ""}] = fmt.Sprintf("A schema has at most %d fields.", MaxFields)
	}
	seen := map[string]int{}
	for i, f := range fields {
		set := func(col, msg string) {
			if _, ok := errs[Cell{i, col}]; !ok {
				errs[Cell{i, col}] = msg
			}
		}
		lower := strings.ToLower(f.Name)
		switch {
		case f.Name == "":
			set("name", "Enter a name, such as degree or date_of_birth.")
		case !nameRE.MatchString(f.Name):
			set("name", "Use a letter, then letters, digits or _ (at most 64 characters).")
		case contains(Reserved, lower):
			set("name", fmt.Sprintf("%q is reserved: TrustCred sets it. Choose another name.", f.Name))
		default:
			if j, dup := seen[lower]; dup {
				set("name", fmt.Sprintf("Field %d already has this name.", j+1))
			} else {
				seen[lower] = i
			}
		}
		switch n := utf8.RuneCountInString(strings.TrimSpace(f.Label)); {
		case n == 0:
			set("label", "Enter the label people see, such as “Degree”.")
		case n > MaxLabel:
			set("label", fmt.Sprintf("Use at most %d characters.", MaxLabel))
		case strings.ContainsAny(f.Label, "\r\n"):
			set("label", "Keep the label on one line.")
		}
		if utf8.RuneCountInString(f.Description) > MaxDescription {
			set("description", fmt.Sprintf("Use at most %d characters.", MaxDescription))
		}
		if !f.Type.Valid() {
			set("type", "Choose a type from the list.")
			continue
		}
		v := f.Validation
		if v.MIMETypes != nil || v.MaxFileBytes != 0 {
			set("type", "File rules do not apply to schema fields.")
		}
		// Bounds.
		if lengthBound(f.Type) {
			if v.Min != nil {
				set("min", "For this type, min is a length: leave the number bound empty.")
			}
			if v.Max != nil {
				set("max", "For this type, max is a length: leave the number bound empty.")
			}
			if v.MinLength != nil && *v.MinLength < 0 {
				set("min", "Enter a length of 0 or more.")
			}
			if v.MaxLength != nil && *v.MaxLength < 1 {
				set("max", "Enter a length of 1 or more.")
			}
			if v.MinLength != nil && v.MaxLength != nil && *v.MinLength > *v.MaxLength {
				set("max", "Max must not be less than min.")
			}
		} else {
			if v.MinLength != nil {
				set("min", "A length bound applies to text, email and url fields only.")
			}
			if v.MaxLength != nil {
				set("max", "A length bound applies to text, email and url fields only.")
			}
			if f.Type == store.SchemaFieldNumber {
				if v.Min != nil && !finite(*v.Min) {
					set("min", "Enter a number.")
				}
				if v.Max != nil && !finite(*v.Max) {
					set("max", "Enter a number.")
				}
				if v.Min != nil && v.Max != nil && *v.Min > *v.Max {
					set("max", "Max must not be less than min.")
				}
			} else {
				if v.Min != nil {
					set("min", "Min and max apply to text, email, url and number fields only.")
				}
				if v.Max != nil {
					set("max", "Min and max apply to text, email, url and number fields only.")
				}
			}
		}
		// Pattern.
		if v.Pattern != "" {
			switch {
			case f.Type != store.SchemaFieldText:
				set("pattern", "A pattern applies to text fields only.")
			case len(v.Pattern) > MaxPattern:
				set("pattern", fmt.Sprintf("Use at most %d characters.", MaxPattern))
			default:
				if _, err := regexp.Compile(v.Pattern); err != nil {
					set("pattern", "This is not a valid regular expression: "+patternProblem(err)+".")
				}
			}
		}
		// Options.
		if f.Type == store.SchemaFieldSelect {
			switch {
			case len(f.Options) == 0:
				set("options", "Add at least one option, one per line.")
			case len(f.Options) > MaxOptions:
				set("options", fmt.Sprintf("Use at most %d options.", MaxOptions))
			}
			values := map[string]bool{}
			for _, o := range f.Options {
				switch {
				case strings.TrimSpace(o.Value) == "":
					set("options", "Every option needs a value.")
				case utf8.RuneCountInString(o.Value) > MaxOptionValue || utf8.RuneCountInString(o.Label) > MaxOptionValue:
					set("options", fmt.Sprintf("Keep each option to %d characters.", MaxOptionValue))
				case values[o.Value]:
					set("options", fmt.Sprintf("The option %q is listed twice.", o.Value))
				}
				values[o.Value] = true
			}
		} else if len(f.Options) > 0 {
			set("options", "Options apply to select fields only.")
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// patternProblem is regexp's complaint without its "error parsing regexp: " prefix.
func patternProblem(err error) string {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, "regexp: "); ok {
		return rest
	}
	return msg
}

// Build turns a schema's fields into its JSON Schema document: draft
// 2020-12, type object, one property per field in the fields' order (title
// = label, description, and per type: text a string with
// minLength/maxLength/pattern, number a number with minimum/maximum, date a
// string of format date, email of format email, url of format uri, select a
// string enum of the option values, boolean a boolean), the required
// fields, and additionalProperties false. A required text, email or url
// field also gets minLength 1 at least: required means not empty. The field
// list is checked first (CheckFields); its errors come back as FieldErrors.
// The document is indented for people to read.
func Build(name string, fields []store.SchemaField) (json.RawMessage, error) {
	if errs := CheckFields(fields); errs != nil {
		return nil, errs
	}
	var props bytes.Buffer
	props.WriteString("{")
	var required []string
	for i, f := range fields {
		if i > 0 {
			props.WriteString(",")
		}
		key, _ := json.Marshal(f.Name)
		val, err := json.Marshal(property(f))
		if err != nil {
			return nil, fmt.Errorf("credschema: field %q: %w", f.Name, err)
		}
		props.Write(key)
		props.WriteString(":")
		props.Write(val)
		if f.Required {
			required = append(required, f.Name)
		}
	}
	props.WriteString("}")
	if required == nil {
		required = []string{}
	}
	doc := struct {
		Schema     string          `json:"$schema"`
		Title      string          `json:"title,omitempty"`
		Type       string          `json:"type"`
		Properties json.RawMessage `json:"properties"`
		Required   []string        `json:"required"`
		Additional bool            `json:"additionalProperties"`
	}{Draft, strings.TrimSpace(name), "object", props.Bytes(), required, false}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("credschema: %w", err)
	}
	return out, nil
}

// prop is one property of the document, keywords in the order people read them.
type prop struct {
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description,omitempty"`
	Type        string   `json:"type"`
	Format      string   `json:"format,omitempty"`
	Enum        []string `json:"enum,omitempty"`
	MinLength   *int     `json:"minLength,omitempty"`
	MaxLength   *int     `json:"maxLength,omitempty"`
	Pattern     string   `json:"pattern,omitempty"`
	Minimum     *float64 `json:"minimum,omitempty"`
	Maximum     *float64 `json:"maximum,omitempty"`
}

func property(f store.SchemaField) prop {
	p := prop{Title: strings.TrimSpace(f.Label), Description: strings.TrimSpace(f.Description), Type: "string"}
	v := f.Validation
	if lengthBound(f.Type) {
		p.MinLength, p.MaxLength = v.MinLength, v.MaxLength
		if f.Required && (p.MinLength == nil || *p.MinLength < 1) {
			one := 1
			p.MinLength = &one
		}
	}
	switch f.Type {
	case store.SchemaFieldText:
		p.Pattern = v.Pattern
	case store.SchemaFieldNumber:
		p.Type, p.Minimum, p.Maximum = "number", v.Min, v.Max
	case store.SchemaFieldDate:
		p.Format = "date"
	case store.SchemaFieldEmail:
		p.Format = "email"
	case store.SchemaFieldURL:
		p.Format = "uri"
	case store.SchemaFieldSelect:
		for _, o := range f.Options {
			p.Enum = append(p.Enum, o.Value)
		}
	case store.SchemaFieldBoolean:
		p.Type = "boolean"
	}
	return p
}
