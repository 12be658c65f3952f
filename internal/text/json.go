package text

import (
	"slices"
	"strconv"
	"strings"
)

// CheckJSON checks every string of a decoded JSON value (map[string]any,
// []any, string; anything else passes): member names as single lines,
// values by rule(name), name being the member's name ("" for an array's
// elements and the top value). It returns the first refusal in document
// order of sorted member names, with the RFC 6901 JSON pointer of the
// value, or of the object whose member name was refused (member is then
// true).
func CheckJSON(v any, rule func(name string) Rule) (pointer string, member bool, err error) {
	if clean(v, "", rule) { // the common case, without building pointers or sorting names
		return "", false, nil
	}
	var walk func(ptr, name string, v any) (string, bool, error)
	walk = func(ptr, name string, v any) (string, bool, error) {
		switch v := v.(type) {
		case string:
			if err := Check(v, rule(name)); err != nil {
				return ptr, false, err
			}
		case []any:
			for i, e := range v {
				if p, m, err := walk(ptr+"/"+strconv.Itoa(i), "", e); err != nil {
					return p, m, err
				}
			}
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				if err := Check(k, SingleLine); err != nil {
					return ptr, true, err
				}
				if p, m, err := walk(ptr+"/"+escapePointer(k), k, v[k]); err != nil {
					return p, m, err
				}
			}
		}
		return "", false, nil
	}
	return walk("", "", v)
}

// clean reports whether CheckJSON finds nothing in v, in any order.
func clean(v any, name string, rule func(name string) Rule) bool {
	switch v := v.(type) {
	case string:
		return Check(v, rule(name)) == nil
	case []any:
		for _, e := range v {
			if !clean(e, "", rule) {
				return false
			}
		}
	case map[string]any:
		for k, e := range v {
			if Check(k, SingleLine) != nil || !clean(e, k, rule) {
				return false
			}
		}
	}
	return true
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func escapePointer(s string) string { return pointerEscaper.Replace(s) }
