package events

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Body is what a receiver gets: the Standard Webhooks body, {type,
// timestamp, data}, with the payload's version.
type Body struct {
	Type      Type            `json:"type"`
	Version   int             `json:"version"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// SchemaBase is where the schemas are served; a schema's $id is
// SchemaBase + its type.
const SchemaBase = "/api/v1/events/schemas/"

// Schema is the JSON Schema (draft 2020-12) of an event's body, derived
// from its payload struct.
func Schema(s Spec) map[string]any {
	return map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         SchemaBase + string(s.Type),
		"title":       string(s.Type) + " (version " + fmt.Sprint(s.Version) + ")",
		"description": s.Description,
		"type":        "object",
		"required":    []string{"type", "version", "timestamp", "data"},
		"properties": map[string]any{
			"type":      map[string]any{"const": string(s.Type)},
			"version":   map[string]any{"const": s.Version},
			"timestamp": map[string]any{"type": "string", "format": "date-time", "description": "when the event happened"},
			"data":      schemaOf(reflect.TypeOf(s.Payload)),
		},
	}
}

var timeType = reflect.TypeFor[time.Time]()

// schemaOf describes a payload type: structs (fields by json tag, required
// unless omitempty, described by their doc tag), strings, integers,
// booleans, times (RFC 3339 strings) and slices.
func schemaOf(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Int:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case t.Kind() == reflect.Struct:
		props := map[string]any{}
		required := []string{}
		for f := range t.Fields() {
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				panic("events: payload field " + t.Name() + "." + f.Name + " has no json name")
			}
			p := schemaOf(f.Type)
			if d := f.Tag.Get("doc"); d != "" {
				p["description"] = d
			}
			props[name] = p
			if opts != "omitempty" {
				required = append(required, name)
			}
		}
		return map[string]any{"type": "object", "properties": props, "required": required}
	}
	panic("events: no schema for payload type " + t.String())
}
