package credschema

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/store"
)

func ptr[T any](v T) *T { return &v }

// degree is a field list that uses every type.
func degree() []store.SchemaField {
	return []store.SchemaField{
		{Name: "degree", Label: "Degree", Type: store.SchemaFieldText, Required: true, Validation: store.ValidationRules{MaxLength: ptr(100)}},
		{Name: "licence", Label: "Licence", Type: store.SchemaFieldText, Validation: store.ValidationRules{Pattern: "^CE-[0-9]{6}$"}},
		{Name: "gpa", Label: "GPA", Type: store.SchemaFieldNumber, Validation: store.ValidationRules{Min: ptr(0.0), Max: ptr(4.0)}},
		{Name: "conferred", Label: "Conferred", Type: store.SchemaFieldDate, Required: true},
		{Name: "contact", Label: "Contact", Type: store.SchemaFieldEmail},
		{Name: "thesis", Label: "Thesis", Type: store.SchemaFieldURL},
		{Name: "honours", Label: "Honours", Type: store.SchemaFieldSelect, Options: []store.FieldOption{{Value: "first", Label: "First class"}, {Value: "second", Label: "Second class"}}},
		{Name: "distinction", Label: "With distinction", Type: store.SchemaFieldBoolean},
	}
}

func TestBuild(t *testing.T) {
	def, err := Build("Degree", degree())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(def, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["$schema"] != Draft || doc["type"] != "object" || doc["additionalProperties"] != false || doc["title"] != "Degree" {
		t.Errorf("top level: %v", doc)
	}
	if !reflect.DeepEqual(doc["required"], []any{"degree", "conferred"}) {
		t.Errorf("required %v", doc["required"])
	}
	props := doc["properties"].(map[string]any)
	want := map[string]map[string]any{
		"degree":      {"title": "Degree", "type": "string", "minLength": 1.0, "maxLength": 100.0},
		"licence":     {"title": "Licence", "type": "string", "pattern": "^CE-[0-9]{6}$"},
		"gpa":         {"title": "GPA", "type": "number", "minimum": 0.0, "maximum": 4.0},
		"conferred":   {"title": "Conferred", "type": "string", "format": "date"},
		"contact":     {"title": "Contact", "type": "string", "format": "email"},
		"thesis":      {"title": "Thesis", "type": "string", "format": "uri"},
		"honours":     {"title": "Honours", "type": "string", "enum": []any{"first", "second"}},
		"distinction": {"title": "With distinction", "type": "boolean"},
	}
	for name, w := range want {
		if !reflect.DeepEqual(props[name], any(w)) {
			t.Errorf("%s: %v, want %v", name, props[name], w)
		}
	}
	if len(props) != len(want) {
		t.Errorf("%d properties", len(props))
	}
	// Properties are written in the fields' order, for people to read.
	if i, j := strings.Index(string(def), `"degree"`), strings.Index(string(def), `"distinction"`); i < 0 || i > j {
		t.Error("properties are not in the fields' order")
	}
	if _, err := Compile(def); err != nil {
		t.Errorf("Build's document does not compile: %v", err)
	}
}

func TestCheckFields(t *testing.T) {
	text := func(name string) store.SchemaField {
		return store.SchemaField{Name: name, Label: "L", Type: store.SchemaFieldText}
	}
	with := func(f store.SchemaField, fn func(*store.SchemaField)) store.SchemaField { fn(&f); return f }
	cases := []struct {
		name   string
		fields []store.SchemaField
		cell   Cell
		want   string // part of the message
	}{
		{"none", nil, Cell{-1, ""}, "at least one field"},
		{"no name", []store.SchemaField{text("")}, Cell{0, "name"}, "Enter a name"},
		{"digit first", []store.SchemaField{text("1st")}, Cell{0, "name"}, "Use a letter"},
		{"hyphen", []store.SchemaField{text("first-name")}, Cell{0, "name"}, "Use a letter"},
		{"too long", []store.SchemaField{text("a" + strings.Repeat("b", 64))}, Cell{0, "name"}, "64"},
		{"reserved", []store.SchemaField{text("ID")}, Cell{0, "name"}, "reserved"},
		{"reserved name", []store.SchemaField{text("name")}, Cell{0, "name"}, "reserved"},
		{"duplicate ignoring case", []store.SchemaField{text("gpa"), text("GPA")}, Cell{1, "name"}, "Field 1 already has this name"},
		{"no label", []store.SchemaField{with(text("a"), func(f *store.SchemaField) { f.Label = " " })}, Cell{0, "label"}, "Enter the label"},
		{"label two lines", []store.SchemaField{with(text("a"), func(f *store.SchemaField) { f.Label = "a\nb" })}, Cell{0, "label"}, "one line"},
		{"unknown type", []store.SchemaField{with(text("a"), func(f *store.SchemaField) { f.Type = "file" })}, Cell{0, "type"}, "Choose a type"},
		{"length min > max", []store.SchemaField{with(text("a"), func(f *store.SchemaField) {
			f.Validation = store.ValidationRules{MinLength: ptr(5), MaxLength: ptr(2)}
		})}, Cell{0, "max"}, "not be less than min"},
		{"negative length", []store.SchemaField{with(text("a"), func(f *store.SchemaField) { f.Validation.MinLength = ptr(-1) })}, Cell{0, "min"}, "0 or more"},
		{"number min > max", []store.SchemaField{{Name: "n", Label: "N", Type: store.SchemaFieldNumber, Validation: store.ValidationRules{Min: ptr(3.0), Max: ptr(1.0)}}}, Cell{0, "max"}, "not be less than min"},
		{"bad pattern", []store.SchemaField{with(text("a"), func(f *store.SchemaField) { f.Validation.Pattern = "([a-z" })}, Cell{0, "pattern"}, "not a valid regular expression"},
		{"pattern on a number", []store.SchemaField{{Name: "n", Label: "N", Type: store.SchemaFieldNumber, Validation: store.ValidationRules{Pattern: "^1$"}}}, Cell{0, "pattern"}, "text fields only"},
		{"select without options", []store.SchemaField{{Name: "s", Label: "S", Type: store.SchemaFieldSelect}}, Cell{0, "options"}, "at least one option"},
		{"select with a blank option", []store.SchemaField{{Name: "s", Label: "S", Type: store.SchemaFieldSelect, Options: []store.FieldOption{{Value: " "}}}}, Cell{0, "options"}, "needs a value"},
		{"select with a repeated option", []store.SchemaField{{Name: "s", Label: "S", Type: store.SchemaFieldSelect, Options: []store.FieldOption{{Value: "a"}, {Value: "a"}}}}, Cell{0, "options"}, "twice"},
		{"options on text", []store.SchemaField{with(text("a"), func(f *store.SchemaField) { f.Options = []store.FieldOption{{Value: "x"}} })}, Cell{0, "options"}, "select fields only"},
		{"min on a date", []store.SchemaField{{Name: "d", Label: "D", Type: store.SchemaFieldDate, Validation: store.ValidationRules{Min: ptr(1.0)}}}, Cell{0, "min"}, "apply to text"},
		{"length on a boolean", []store.SchemaField{{Name: "b", Label: "B", Type: store.SchemaFieldBoolean, Validation: store.ValidationRules{MaxLength: ptr(3)}}}, Cell{0, "max"}, "length bound"},
	}
	for _, c := range cases {
		errs := CheckFields(c.fields)
		if !strings.Contains(errs.At(c.cell.Row, c.cell.Column), c.want) {
			t.Errorf("%s: %v, want %q at %v", c.name, errs, c.want, c.cell)
		}
		if _, err := Build("S", c.fields); !errors.As(err, new(FieldErrors)) {
			t.Errorf("%s: Build gave %v, want FieldErrors", c.name, err)
		}
	}
	if errs := CheckFields(degree()); errs != nil {
		t.Errorf("valid fields: %v", errs)
	}
}

func TestNormalizeDropsRulesOfOtherTypes(t *testing.T) {
	f := Normalize(store.SchemaField{Name: " n ", Label: " N ", Type: store.SchemaFieldNumber, Options: []store.FieldOption{{Value: "x"}},
		Validation: store.ValidationRules{Pattern: "x", MinLength: ptr(1), Min: ptr(2.0)}})
	if f.Name != "n" || f.Label != "N" || f.Options != nil || f.Validation.Pattern != "" || f.Validation.MinLength != nil || *f.Validation.Min != 2 {
		t.Errorf("%+v", f)
	}
	if errs := CheckFields([]store.SchemaField{f}); errs != nil {
		t.Error(errs)
	}
}

func TestCompileRefusesWhatIsNotAUsableSchema(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"not JSON", `{"type": "object",}`, "line 1, column 19"},
		{"truncated", `{"type": "object"`, "ends too early"},
		{"trailing data", `{"type": "object"} {}`, "not valid JSON"},
		{"array", `[]`, "JSON object"},
		{"other draft", `{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}`, "2020-12"},
		{"not an object schema", `{"type": "string"}`, `"type": "object"`},
		{"bad keyword value", `{"type": "object", "properties": {"age": {"type": "number", "minimum": "ten"}}}`, "/properties/age/minimum"},
		{"bad type name", `{"type": "object", "properties": {"age": {"type": "int"}}}`, "/properties/age/type"},
		{"bad pattern", `{"type": "object", "properties": {"a": {"type": "string", "pattern": "([a-z"}}}`, "/properties/a/pattern"},
		{"remote ref", `{"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}}`, "does not fetch"},
		{"missing local ref", `{"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}`, ""},
		{"too large", `{"type": "object", "description": "` + strings.Repeat("x", MaxDefinitionSize) + `"}`, "larger than"},
	}
	for _, c := range cases {
		_, err := Compile(json.RawMessage(c.doc))
		var se *SchemaError
		if !errors.As(err, &se) || !errors.Is(err, ErrInvalidSchema) {
			t.Errorf("%s: %v, want a SchemaError", c.name, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %q, want it to mention %q", c.name, err, c.want)
		}
	}
	// Local references work offline.
	if _, err := Compile(json.RawMessage(`{"type": "object", "$defs": {"code": {"type": "string"}}, "properties": {"a": {"$ref": "#/$defs/code"}}}`)); err != nil {
		t.Errorf("local $ref: %v", err)
	}
}

func TestValidateMessages(t *testing.T) {
	def, err := Build("Degree", degree())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(def)
	if err != nil {
		t.Fatal(err)
	}
	valid := map[string]any{"degree": "BSc", "conferred": "2024-06-30", "gpa": 3.5, "contact": "ada@example.edu",
		"thesis": "https://example.edu/t", "honours": "first", "distinction": true, "licence": "CE-123456"}
	if got := s.Validate(valid); got != nil {
		t.Fatalf("valid data: %v", got)
	}
	cases := []struct {
		name  string
		patch map[string]any
		drop  string
		field string
		want  string
	}{
		{"missing", nil, "degree", "degree", "is required"},
		{"empty required text", map[string]any{"degree": ""}, "", "degree", "is required"},
		{"too long", map[string]any{"degree": strings.Repeat("x", 101)}, "", "degree", "must be at most 100 characters"},
		{"pattern", map[string]any{"licence": "CE-12"}, "", "licence", "expected format"},
		{"above maximum", map[string]any{"gpa": 4.5}, "", "gpa", "must be at most 4"},
		{"below minimum", map[string]any{"gpa": -1}, "", "gpa", "must be at least 0"},
		{"number as text", map[string]any{"gpa": "3"}, "", "gpa", "must be a number"},
		{"not a date", map[string]any{"conferred": "30/06/2024"}, "", "conferred", "YYYY-MM-DD"},
		{"impossible date", map[string]any{"conferred": "2024-02-30"}, "", "conferred", "YYYY-MM-DD"},
		{"email", map[string]any{"contact": "ada.example.edu"}, "", "contact", "must be a valid email address"},
		{"url", map[string]any{"thesis": "example.edu/t"}, "", "thesis", "full web address"},
		{"select", map[string]any{"honours": "third"}, "", "honours", "must be one of: first, second"},
		{"boolean", map[string]any{"distinction": "yes"}, "", "distinction", "must be true or false"},
		{"unknown field", map[string]any{"shoe_size": 9}, "", "shoe_size", "is not a field of this schema"},
		{"not a JSON value", map[string]any{"degree": make(chan int)}, "", "degree", "not a valid value"},
	}
	for _, c := range cases {
		data := map[string]any{}
		for k, v := range valid {
			data[k] = v
		}
		for k, v := range c.patch {
			data[k] = v
		}
		delete(data, c.drop)
		got := s.Validate(data)
		if !strings.Contains(got[c.field], c.want) {
			t.Errorf("%s: %v, want %s %q", c.name, got, c.field, c.want)
		}
		if len(got) != 1 {
			t.Errorf("%s: %d messages, want 1: %v", c.name, len(got), got)
		}
	}
}

// A document written by hand keeps keywords Build never writes, and they hold.
func TestValidateHandWrittenKeywords(t *testing.T) {
	s, err := Compile(json.RawMessage(`{"type": "object", "properties": {
		"credits": {"type": "integer", "multipleOf": 5, "exclusiveMinimum": 0},
		"start": {"type": "string", "format": "date-time"}}, "required": ["credits"]}`))
	if err != nil {
		t.Fatal(err)
	}
	got := s.Validate(map[string]any{"credits": 7, "start": "yesterday"})
	if !strings.Contains(got["credits"], "multiple of 5") || !strings.Contains(got["start"], "date and time") {
		t.Errorf("%v", got)
	}
	if got := s.Validate(map[string]any{"credits": 0}); !strings.Contains(got["credits"], "more than 0") {
		t.Errorf("%v", got)
	}
	if got := s.Validate(map[string]any{"credits": 2.5}); got["credits"] != "must be a whole number" {
		t.Errorf("%v", got)
	}
}

func TestCoerce(t *testing.T) {
	fields := degree()
	cases := []struct {
		name, field, in string
		want            any // nil: left out
		err             string
	}{
		{"text trimmed", "degree", "  BSc ", "BSc", ""},
		{"empty left out", "degree", "   ", nil, ""},
		{"whole number", "gpa", "3", 3, ""},
		{"decimal", "gpa", "3.25", 3.25, ""},
		{"exponent", "gpa", "1e2", 100, ""},
		{"signed", "gpa", "-2", -2, ""},
		{"huge stays float", "gpa", "1e300", 1e300, ""},
		{"comma", "gpa", "1,5", nil, "must be a number"},
		{"hex", "gpa", "0x10", nil, "must be a number"},
		{"inf", "gpa", "Inf", nil, "must be a number"},
		{"nan", "gpa", "NaN", nil, "must be a number"},
		{"overflow", "gpa", "1e400", nil, "must be a number"},
		{"yes", "distinction", "Yes", true, ""},
		{"zero", "distinction", "0", false, ""},
		{"checkbox", "distinction", "on", true, ""},
		{"maybe", "distinction", "maybe", nil, "true or false"},
		{"date", "conferred", "2024-06-30", "2024-06-30", ""},
		{"date not a day", "conferred", "2024-02-30", nil, "YYYY-MM-DD"},
		{"date other format", "conferred", "30/06/2024", nil, "YYYY-MM-DD"},
		{"select by value", "honours", "first", "first", ""},
		{"select by label", "honours", "first CLASS", "first", ""},
		{"select by value in any case", "honours", "SECOND", "second", ""},
		{"select unknown kept for Validate", "honours", "third", "third", ""},
		{"email kept", "contact", " ada@example.edu", "ada@example.edu", ""},
	}
	for _, c := range cases {
		data, errs := Coerce(fields, map[string]string{c.field: c.in, "not_a_field": "x"})
		got, ok := data[c.field]
		switch {
		case c.err != "":
			if !strings.Contains(errs[c.field], c.err) || ok {
				t.Errorf("%s: %v %v, want error %q", c.name, data, errs, c.err)
			}
		case c.want == nil:
			if ok || errs != nil {
				t.Errorf("%s: %v %v, want it left out", c.name, data, errs)
			}
		default:
			if !ok || got != c.want || errs != nil {
				t.Errorf("%s: %#v %v, want %#v", c.name, got, errs, c.want)
			}
		}
		if _, ok := data["not_a_field"]; ok {
			t.Errorf("%s: a key that is not a field was kept", c.name)
		}
	}
}

// Coerce then Validate, as the issuance form and the CSV import do: the
// messages a person sees for a row.
func TestCoerceThenValidate(t *testing.T) {
	fields := degree()
	def, _ := Build("Degree", fields)
	s, err := Compile(def)
	if err != nil {
		t.Fatal(err)
	}
	data, errs := Coerce(fields, map[string]string{"degree": "BSc", "conferred": "2024-06-30", "gpa": "3.9", "distinction": "no"})
	if errs != nil || s.Validate(data) != nil {
		t.Fatalf("%v %v", errs, s.Validate(data))
	}
	data, errs = Coerce(fields, map[string]string{"degree": "", "gpa": "9", "honours": "Third class"})
	v := s.Validate(data)
	if errs != nil || v["degree"] != "is required" || v["conferred"] != "is required" || v["gpa"] != "must be at most 4" || !strings.HasPrefix(v["honours"], "must be one of") {
		t.Errorf("%v %v", errs, v)
	}
}

func FuzzCoerceValidate(f *testing.F) {
	fields := degree()
	def, err := Build("Degree", fields)
	if err != nil {
		f.Fatal(err)
	}
	s, err := Compile(def)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("BSc", "3.5", "2024-06-30", "ada@example.edu", "https://x.test", "first", "yes", "CE-123456")
	f.Add("", "1e999", "2024-13-01", "@", "::", "First Class", "2", "\x00")
	f.Add(strings.Repeat("é", 200), "-0", "0000-00-00", "a@b", "http://", "", "ON", "CE-000000\n")
	f.Fuzz(func(t *testing.T, degreeIn, gpa, date, email, url, honours, flag, licence string) {
		raw := map[string]string{"degree": degreeIn, "gpa": gpa, "conferred": date, "contact": email, "thesis": url,
			"honours": honours, "distinction": flag, "licence": licence}
		data, errs := Coerce(fields, raw)
		for k := range errs {
			if _, ok := data[k]; ok {
				t.Errorf("%s has both a value and an error", k)
			}
		}
		msgs := s.Validate(data)
		for k, m := range msgs {
			if m == "" {
				t.Errorf("%s: empty message", k)
			}
		}
		if len(errs) == 0 && len(msgs) == 0 {
			// Valid data is valid JSON that validates again after a round trip.
			b, err := json.Marshal(data)
			if err != nil {
				t.Fatal(err)
			}
			var back map[string]any
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if m := s.Validate(back); m != nil {
				t.Errorf("valid before JSON, not after: %v (%s)", m, b)
			}
		}
	})
}

func TestCompileForFields(t *testing.T) {
	fields := []store.SchemaField{{Name: "degree", Label: "Degree", Type: store.SchemaFieldText}}
	if _, err := CompileFor(json.RawMessage(`{"type": "object", "properties": {"degree": {"type": "string"}}, "required": ["degree"]}`), fields); err != nil {
		t.Errorf("fitting document: %v", err)
	}
	_, err := CompileFor(json.RawMessage(`{"type": "object", "properties": {"major": {"type": "string"}}, "required": ["major"]}`), fields)
	if err == nil || !strings.Contains(err.Error(), `"degree" has no property`) || !strings.Contains(err.Error(), `"major" is required but is not one of the fields`) {
		t.Errorf("misfit: %v", err)
	}
}
