package credschema

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/trustcred/trustcred/store"
)

// numberRE is a decimal number as people and spreadsheets write it (no
// hexadecimal, no underscores, no Inf or NaN, which strconv would accept).
var numberRE = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// maxExact is the largest integer a float64 holds exactly (2^53).
const maxExact = 1 << 53

// Coerce turns string inputs (a form's or a CSV row's), keyed by field
// name, into typed credential data for Validate, with a message per field
// it could not read. Values are trimmed; an empty value is left out (Validate
// then says "is required" if the field is). By type: number → int when
// whole (and exactly representable), else float64; boolean from
// true/false, yes/no, on/off, 1/0 (any case); date must be YYYY-MM-DD and a
// real day, kept as that string; select accepts an option's value, or its
// value or label in any case, and gives the value; text, email and url are
// kept as strings. Keys that are not fields are ignored.
func Coerce(fields []store.SchemaField, raw map[string]string) (map[string]any, map[string]string) {
	data := map[string]any{}
	errs := map[string]string{}
	for _, f := range fields {
		s, ok := raw[f.Name]
		if !ok {
			continue
		}
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		switch f.Type {
		case store.SchemaFieldNumber:
			n, ok := number(s)
			if !ok {
				errs[f.Name] = "must be a number, such as 42 or 3.5"
				continue
			}
			data[f.Name] = n
		case store.SchemaFieldBoolean:
			switch strings.ToLower(s) {
			case "true", "yes", "on", "1":
				data[f.Name] = true
			case "false", "no", "off", "0":
				data[f.Name] = false
			default:
				errs[f.Name] = "must be true or false (or yes or no)"
			}
		case store.SchemaFieldDate:
			if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != len(time.DateOnly) {
				errs[f.Name] = "must be a date written YYYY-MM-DD, such as 2024-06-30"
				continue
			}
			data[f.Name] = s
		case store.SchemaFieldSelect:
			data[f.Name] = option(f.Options, s)
		default:
			data[f.Name] = s
		}
	}
	if len(errs) == 0 {
		errs = nil
	}
	return data, errs
}

// number reads a decimal number: an int when it is whole and exact.
func number(s string) (any, bool) {
	if !numberRE.MatchString(s) {
		return nil, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	if f == math.Trunc(f) && math.Abs(f) <= maxExact {
		return int(f), true
	}
	return f, true
}

// option finds the option s names: its value exactly, else its value or
// label ignoring case. An unknown s is returned as it is, for Validate to
// list the choices.
func option(opts []store.FieldOption, s string) string {
	for _, o := range opts {
		if o.Value == s {
			return o.Value
		}
	}
	for _, o := range opts {
		if strings.EqualFold(o.Value, s) || strings.EqualFold(strings.TrimSpace(o.Label), s) {
			return o.Value
		}
	}
	return s
}
