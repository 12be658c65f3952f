package web_test

import (
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// utf16LE is s written in UTF-16, little-endian, without a byte order mark.
func utf16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// An API document with a control character in any string, or an invisible
// formatting character in a name, is refused with 422 naming the JSON
// pointer of the value, and nothing is written; PostgreSQL used to answer
// a \u0000 with a 500. A body in UTF-16 is refused as such.
func TestAPIIssueRefusesControlAndFormatCharacters(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		_, key := createKey(t, env, org, nil, allScopes...)
		a := newAPI(t, env)
		with := func(edit func(subject map[string]any)) map[string]any {
			c := degree()
			edit(c["credentialSubject"].(map[string]any))
			return map[string]any{"credential": c}
		}
		valid, _ := json.Marshal(map[string]any{"credential": degree()})
		for _, tc := range []struct {
			name          string
			body          any
			status        int
			title, detail string
		}{
			{"NUL in the recipient's name", with(func(s map[string]any) { s["name"] = "Ada\u0000Lovelace" }), 422, "Characters not allowed",
				"The value at /credential/credentialSubject/name contains a control character, which is not allowed."},
			{"NUL in a nested value", with(func(s map[string]any) { s["degree"].(map[string]any)["name"] = "B\u0000Sc" }), 422, "Characters not allowed",
				"/credential/credentialSubject/degree/name contains a control character"},
			{"escape in a description", with(func(s map[string]any) { s["description"] = "red \u001b[31m" }), 422, "Characters not allowed",
				"/credential/credentialSubject/description contains a control character"},
			{"NUL in a member name", with(func(s map[string]any) { s["bad\u0000"] = "x" }), 422, "Characters not allowed",
				"A member name of the object at /credential/credentialSubject contains a control character"},
			{"NUL in an option", map[string]any{"credential": degree(), "options": map[string]any{"templateId": "\u0000"}}, 422, "Characters not allowed",
				"/options/templateId contains a control character"},
			{"right-to-left override in the recipient's name", with(func(s map[string]any) { s["name"] = "Ada \u202Eecalevol" }), 422, "Characters not allowed",
				"The value at /credential/credentialSubject/name contains an invisible formatting character (U+202E), which is not allowed."},
			{"zero-width space in the recipient's name", with(func(s map[string]any) { s["name"] = "Ada\u200BLovelace" }), 422, "Characters not allowed",
				"(U+200B)"},
			{"line break in the recipient's name", with(func(s map[string]any) { s["name"] = "Ada\nLovelace" }), 422, "Characters not allowed",
				"/credential/credentialSubject/name contains a line break"},
			{"UTF-16 without a byte order mark", string(utf16LE(string(valid))), 400, "Not UTF-8", "UTF-16LE"},
		} {
			before := count(t, env, "SELECT count(*) FROM credentials")
			r := a.post(key, "/api/v1/credentials/issue", tc.body)
			wantProblem(t, tc.name, r, tc.status, tc.title, tc.detail)
			if n := count(t, env, "SELECT count(*) FROM credentials"); n != before {
				t.Errorf("%s: %d credentials written", tc.name, n-before)
			}
		}

		// Line breaks and tabs are text in a description; an override
		// outside a name is the issuer's content.
		out := a.issue(key, with(func(s map[string]any) {
			s["description"] = "First line\nsecond line\twith a tab"
			s["motto"] = "\u202Eright to left"
		})["credential"].(map[string]any), nil)
		subject := out.doc["credentialSubject"].(map[string]any)
		if subject["description"] != "First line\nsecond line\twith a tab" {
			t.Errorf("description signed as %q", subject["description"])
		}
	})
}

// Verification and status changes read their bodies the same way.
func TestAPIVerifyAndStatusRefuseControlCharacters(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		_, key := createKey(t, env, org, nil, allScopes...)
		a := newAPI(t, env)
		issued := a.issue(key, degree(), nil)
		doc := issued.doc
		doc["credentialSubject"].(map[string]any)["name"] = "Ada\u0000"
		r := a.post(key, "/api/v1/credentials/verify", map[string]any{"verifiableCredential": doc})
		wantProblem(t, "verify", r, 422, "Characters not allowed", "The value at /verifiableCredential/credentialSubject/name contains a control character")
		r = a.post(key, "/api/v1/credentials/status", map[string]any{"credentialId": issued.publicID,
			"credentialStatus": map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}, "status": true, "reason": "fraud\u0000"})
		wantProblem(t, "status", r, 422, "Characters not allowed", "/reason contains a control character")
		if c := mustCredential(t, env, org, issued.publicID); c.Status != store.CredentialActive {
			t.Errorf("status after a refused change: %s", c.Status)
		}
		body, _ := json.Marshal(map[string]any{"verifiableCredential": issued.doc})
		r = a.cl.Raw("POST", "/api/v1/credentials/verify", "application/json", utf16LE(strings.TrimSpace(string(body))), nil)
		wantProblem(t, "verify UTF-16", r, 400, "Not UTF-8", "UTF-16LE")
	})
}
