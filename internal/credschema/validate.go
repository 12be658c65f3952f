package credschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/trustcred/trustcred/store"
)

// Schema is a compiled JSON Schema document, ready to validate credential
// data. It is safe for concurrent use.
type Schema struct {
	compiled *jsonschema.Schema
}

// ErrInvalidSchema is wrapped by every error Compile returns for a document
// that is not a usable schema (as opposed to a bug).
var ErrInvalidSchema = errors.New("invalid JSON Schema")

// SchemaError is why a document is not a usable schema: one line per
// problem, in words a person editing the document can act on ("line 3,
// column 7: invalid character '}'", "at /properties/age/minimum: got
// string, want number").
type SchemaError struct {
	Problems []string
}

func (e *SchemaError) Error() string {
	return "credschema: invalid JSON Schema: " + strings.Join(e.Problems, "; ")
}

func (e *SchemaError) Unwrap() error { return ErrInvalidSchema }

func invalid(format string, args ...any) error {
	return &SchemaError{Problems: []string{fmt.Sprintf(format, args...)}}
}

// location is where Compile registers the document; a $id in it takes over.
const location = "urn:trustcred:credential-schema"

// offline refuses every URL: a schema may only refer to itself.
type offline struct{}

func (offline) Load(url string) (any, error) {
	return nil, fmt.Errorf("%s is not loaded: TrustCred does not fetch schemas; put the definition under $defs and refer to it with #/$defs/…", url)
}

var printer = message.NewPrinter(language.English)

// Compile checks and compiles a JSON Schema document: valid JSON of at
// most MaxDefinitionSize bytes, an object whose $schema, if given, is
// draft 2020-12 (Draft) and whose type is "object"; valid against the
// 2020-12 meta-schema, with patterns that compile. Format assertions are on
// (email, date, uri… are checked, not just annotations). Nothing is
// fetched: a $ref to another document is an error. A document that is not
// usable gives a *SchemaError (errors.Is(err, ErrInvalidSchema)).
func Compile(def json.RawMessage) (*Schema, error) {
	if len(def) > MaxDefinitionSize {
		return nil, invalid("the document is larger than %d KB", MaxDefinitionSize>>10)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(def))
	if err != nil {
		return nil, invalid("%s", jsonProblem(def, err))
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, invalid("the document must be a JSON object, {…}")
	}
	if s, ok := obj["$schema"]; ok && s != Draft {
		return nil, invalid("$schema must be %q", Draft)
	}
	if obj["type"] != "object" {
		return nil, invalid(`the top level must have "type": "object": credential data is an object of fields`)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(offline{})
	if err := c.AddResource(location, doc); err != nil {
		return nil, invalid("%v", err)
	}
	compiled, err := c.Compile(location)
	if err != nil {
		return nil, compileProblem(err)
	}
	return &Schema{compiled: compiled}, nil
}

// jsonProblem says where a document stops being JSON.
func jsonProblem(def []byte, err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := position(def, max(syn.Offset-1, 0)) // Offset is just past the bad byte
		return fmt.Sprintf("not valid JSON at line %d, column %d: %s", line, col, syn.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "not valid JSON: the document ends too early"
	}
	return "not valid JSON: " + err.Error()
}

// position turns a byte offset into a 1-based line and column.
func position(b []byte, offset int64) (line, col int) {
	if offset > int64(len(b)) {
		offset = int64(len(b))
	}
	line, col = 1, 1
	for _, c := range b[:offset] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// compileProblem turns the compiler's error into lines a person can act on.
func compileProblem(err error) error {
	var sv *jsonschema.SchemaValidationError
	if errors.As(err, &sv) {
		var ve *jsonschema.ValidationError
		if errors.As(sv.Err, &ve) {
			var problems []string
			leaves(ve, func(e *jsonschema.ValidationError) {
				at := "/" + strings.Join(e.InstanceLocation, "/")
				problems = append(problems, "at "+at+": "+e.ErrorKind.LocalizedString(printer))
			})
			sort.Strings(problems)
			problems = dedupe(problems)
			if len(problems) > 0 {
				return &SchemaError{Problems: problems}
			}
		}
		return invalid("%v", sv.Err)
	}
	var re *jsonschema.InvalidRegexError
	if errors.As(err, &re) {
		return invalid("the pattern %q is not a valid regular expression", re.Regex)
	}
	var le *jsonschema.LoadURLError
	if errors.As(err, &le) {
		return invalid("%v", le.Err)
	}
	return invalid("%v", err)
}

// leaves calls fn for each innermost error of e.
func leaves(e *jsonschema.ValidationError, fn func(*jsonschema.ValidationError)) {
	if len(e.Causes) == 0 {
		fn(e)
		return
	}
	for _, c := range e.Causes {
		leaves(c, fn)
	}
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// Validate checks credential data against the schema and says what is
// wrong with each field, by field name: "is required", "must be a valid
// email address", "must be at most 100"… A problem that is not about one
// field (the data as a whole) is under "". nil when the data is valid.
// Data is what Coerce returns or what encoding/json decodes into a map.
func (s *Schema) Validate(data map[string]any) map[string]string {
	err := s.compiled.Validate(toInstance(data))
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return map[string]string{"": "could not be checked"}
	}
	out := map[string]string{}
	set := func(field, msg string) {
		if _, ok := out[field]; !ok {
			out[field] = msg
		}
	}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			for _, m := range k.Missing {
				if len(e.InstanceLocation) == 0 {
					set(m, "is required")
				} else {
					set(e.InstanceLocation[0], fmt.Sprintf("needs %s", m))
				}
			}
			return
		case *kind.AdditionalProperties:
			for _, p := range k.Properties {
				if len(e.InstanceLocation) == 0 {
					set(p, "is not a field of this schema")
				} else {
					set(e.InstanceLocation[0], fmt.Sprintf("has %s, which is not allowed", p))
				}
			}
			return
		}
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		field := ""
		if len(e.InstanceLocation) > 0 {
			field = e.InstanceLocation[0]
		}
		set(field, describe(e.ErrorKind))
	}
	walk(ve)
	return out
}

// toInstance makes data acceptable to the validator: values of Go types
// that JSON has no name for are turned into JSON and back.
func toInstance(data map[string]any) any {
	m := make(map[string]any, len(data))
	for k, v := range data {
		switch v.(type) {
		case nil, bool, string, float64, int, int64, json.Number, map[string]any, []any:
			m[k] = v
		default:
			b, err := json.Marshal(v)
			if err != nil {
				m[k] = v // the validator says it is not a JSON value
				continue
			}
			x, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				m[k] = v
				continue
			}
			m[k] = x
		}
	}
	return m
}

// describe says in plain English what one failed keyword means.
func describe(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Type:
		want := k.Want
		switch {
		case containsString(want, "number") || containsString(want, "integer"):
			if containsString(want, "integer") && !containsString(want, "number") {
				return "must be a whole number"
			}
			return "must be a number"
		case containsString(want, "boolean"):
			return "must be true or false"
		case containsString(want, "string"):
			return "must be text"
		case containsString(want, "array"):
			return "must be a list"
		case containsString(want, "object"):
			return "must be an object"
		}
		return "must be of type " + strings.Join(want, " or ")
	case *kind.Format:
		switch k.Want {
		case "email":
			return "must be a valid email address"
		case "date":
			return "must be a date written YYYY-MM-DD, such as 2024-06-30"
		case "date-time":
			return "must be a date and time, such as 2024-06-30T14:00:00Z"
		case "uri", "iri":
			return "must be a full web address, such as https://example.org"
		case "uri-reference", "iri-reference":
			return "must be a web address"
		}
		return "must be a valid " + k.Want
	case *kind.Enum:
		vals := make([]string, len(k.Want))
		for i, v := range k.Want {
			vals[i] = fmt.Sprint(v)
		}
		return "must be one of: " + strings.Join(vals, ", ")
	case *kind.Const:
		return fmt.Sprintf("must be %v", k.Want)
	case *kind.MinLength:
		if k.Want == 1 {
			return "is required"
		}
		return fmt.Sprintf("must be at least %d characters", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters", k.Want)
	case *kind.Pattern:
		return fmt.Sprintf("is not in the expected format (pattern %s)", k.Want)
	case *kind.Minimum:
		return "must be at least " + rat(k.Want)
	case *kind.Maximum:
		return "must be at most " + rat(k.Want)
	case *kind.ExclusiveMinimum:
		return "must be more than " + rat(k.Want)
	case *kind.ExclusiveMaximum:
		return "must be less than " + rat(k.Want)
	case *kind.MultipleOf:
		return "must be a multiple of " + rat(k.Want)
	case *kind.MinItems:
		return fmt.Sprintf("must have at least %d items", k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("must have at most %d items", k.Want)
	case *kind.FalseSchema:
		return "is not allowed"
	case *kind.InvalidJsonValue:
		return "is not a valid value"
	}
	return "is not valid: " + k.LocalizedString(printer)
}

func containsString(list []string, s string) bool { return contains(list, s) }

// rat writes a bound the way people write numbers: 100, 2.5.
func rat(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return fmt.Sprint(f)
}

// CompileFor compiles a document written by hand for a schema's fields
// (Compile), and checks that it fits them: the issuance form and the CSV
// import produce exactly those fields, so each must be a property of the
// document, and each property the document requires must be a field.
func CompileFor(def json.RawMessage, fields []store.SchemaField) (*Schema, error) {
	s, err := Compile(def)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(def, &doc); err != nil {
		return nil, invalid("properties and required must be an object and a list")
	}
	names := map[string]bool{}
	var problems []string
	for _, f := range fields {
		names[f.Name] = true
		if _, ok := doc.Properties[f.Name]; !ok {
			problems = append(problems, fmt.Sprintf("the field %q has no property under properties", f.Name))
		}
	}
	for _, r := range doc.Required {
		if !names[r] {
			problems = append(problems, fmt.Sprintf("%q is required but is not one of the fields, so no credential could be issued", r))
		}
	}
	if len(problems) > 0 {
		return nil, &SchemaError{Problems: problems}
	}
	return s, nil
}
