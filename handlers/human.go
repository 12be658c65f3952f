package handlers

import (
	"slices"
	"strings"
	"unicode"

	"github.com/trustcred/trustcred/store"
	view "github.com/trustcred/trustcred/views/verification"
)

// humanCredential reads a credential document as a person would: its title
// and description (a badge's achievement's, when it has one), the badge's
// criteria, and the subject's members as labelled fields (humanFields).
// The issuer, recipient and dates are the caller's to fill in.
func humanCredential(doc map[string]any, schema []store.SchemaField) view.Human {
	var h view.Human
	h.Title, _ = doc["name"].(string)
	h.Description, _ = doc["description"].(string)
	subj, _ := doc["credentialSubject"].(map[string]any)
	if a, ok := subj["achievement"].(map[string]any); ok {
		if n, _ := a["name"].(string); n != "" {
			h.Title = n
		}
		if d, _ := a["description"].(string); d != "" {
			h.Description = d
		}
		if cr, ok := a["criteria"].(map[string]any); ok {
			h.Achievement, _ = cr["narrative"].(string)
		}
	}
	h.Fields = humanFields(subj, schema)
	return h
}

// humanFields are a credential subject's members as labelled values: the
// schema's fields first, in its order and by their labels, then any other
// member (the subject's id, type and name, a badge's achievement and
// hashed identifier excepted) by its name made readable (humanize).
func humanFields(subj map[string]any, schema []store.SchemaField) []view.Field {
	var out []view.Field
	seen := map[string]bool{"id": true, "type": true, "name": true, "achievement": true, "identifier": true}
	for _, f := range schema {
		if val, ok := subj[f.Name]; ok && !seen[f.Name] {
			label := f.Label
			if label == "" {
				label = humanize(f.Name)
			}
			out = append(out, view.Field{Label: label, Value: fieldText(f, val)})
			seen[f.Name] = true
		}
	}
	keys := make([]string, 0, len(subj))
	for k := range subj {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, view.Field{Label: humanize(k), Value: fieldText(store.SchemaField{}, subj[k])})
	}
	return out
}

// humanize makes a property name readable: "dateOfBirth", "date_of_birth"
// and "date-of-birth" are all "Date of birth"; a compact IRI or URL keeps
// only its last segment ("schema:givenName" is "Given name"); runs of
// capitals stay together ("GPA", "courseURL" is "Course URL").
func humanize(key string) string {
	if i := strings.LastIndexAny(key, ":/#"); i >= 0 && i < len(key)-1 {
		key = key[i+1:]
	}
	rs := []rune(key)
	var words []string
	var w []rune
	flush := func() {
		if len(w) > 0 {
			words = append(words, string(w))
			w = nil
		}
	}
	for i, r := range rs {
		switch {
		case r == '_' || r == '-' || r == ' ' || r == '.':
			flush()
			continue
		case unicode.IsUpper(r) && len(w) > 0:
			prevUpper := unicode.IsUpper(w[len(w)-1])
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if !prevUpper || nextLower {
				flush()
			}
		}
		w = append(w, r)
	}
	flush()
	if len(words) == 0 {
		return key
	}
	for i, wd := range words {
		if !isAcronym(wd) {
			wd = strings.ToLower(wd)
		}
		if i == 0 {
			r := []rune(wd)
			r[0] = unicode.ToUpper(r[0])
			wd = string(r)
		}
		words[i] = wd
	}
	return strings.Join(words, " ")
}

// isAcronym: two or more letters, all capitals ("GPA", "URL").
func isAcronym(w string) bool {
	n := 0
	for _, r := range w {
		if !unicode.IsUpper(r) {
			return false
		}
		n++
	}
	return n > 1
}
