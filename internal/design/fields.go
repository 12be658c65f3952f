package design

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Values are a credential's displayable values by field name (the built-in
// names and the subject's fields).
type Values map[string]string

// ValuesOf reads the values a design may show from a signed credential
// document (VC 2.0): the built-in fields from the document, the subject's
// scalar fields by name. Verification reads them from the embedded credential
// the same way, so the PDF's text can be compared with what was signed.
func ValuesOf(doc []byte) (Values, error) {
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("design: credential is not a JSON object: %w", err)
	}
	v := Values{}
	if subj, ok := d["credentialSubject"].(map[string]any); ok {
		for k, x := range subj {
			if !fieldName.MatchString(k) {
				continue
			}
			if s, ok := scalar(x); ok {
				v[k] = s
			}
		}
		v["recipient_name"], _ = subj["name"].(string)
		if a, ok := subj["achievement"].(map[string]any); ok && v["title"] == "" {
			v["title"], _ = a["name"].(string)
		}
	}
	if s, ok := d["name"].(string); ok {
		v["title"] = s
	}
	switch iss := d["issuer"].(type) {
	case map[string]any:
		v["issuer_name"], _ = iss["name"].(string)
		if v["issuer_name"] == "" {
			v["issuer_name"], _ = iss["id"].(string)
		}
	case string:
		v["issuer_name"] = iss
	}
	v["issued_on"] = day(d["validFrom"])
	v["expires_on"] = day(d["validUntil"])
	v["credential_id"], _ = d["id"].(string)
	for k, s := range v {
		v[k] = Clean(s)
	}
	return v, nil
}

func scalar(x any) (string, bool) {
	switch t := x.(type) {
	case string:
		return t, true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case bool:
		if t {
			return "yes", true
		}
		return "no", true
	}
	return "", false
}

// day shows an RFC 3339 time as "7 December 2026" (UTC), anything else as is.
func day(x any) string {
	s, _ := x.(string)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format("2 January 2006")
	}
	return s
}

// Clean makes a value drawable: valid UTF-8, one line, no control or
// format characters, only the Basic Multilingual Plane (the PDF's text is
// UTF-16 without surrogates), at most MaxText characters.
func Clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r > 0xFFFF || (r >= 0xD800 && r <= 0xDFFF):
			r = '\uFFFD'
		}
		b.WriteRune(r)
		if n++; n == MaxText {
			break
		}
	}
	return strings.TrimSpace(b.String())
}
