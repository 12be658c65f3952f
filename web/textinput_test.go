package web_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"html"
	"mime/multipart"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/trustcred/trustcred/handlers"
	"github.com/trustcred/trustcred/internal/webhook"
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

// multipartPost submits form as multipart/form-data with the CSRF token,
// as a form with enctype="multipart/form-data" would.
func multipartPost(t *testing.T, cl *webtest.Client, target string, form url.Values) *webtest.Response {
	t.Helper()
	if cl.CSRF() == "" {
		cl.Get("/login")
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	form.Set("csrf_token", cl.CSRF())
	for k, vs := range form {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return cl.Raw("POST", target, w.FormDataContentType(), buf.Bytes(), nil)
}

// fieldError is the message shown next to a form's field, "" when none.
func fieldError(r *webtest.Response, field string) string {
	m := regexp.MustCompile(`data-testid="error-` + regexp.QuoteMeta(field) + `">([^<]*)<`).FindStringSubmatch(r.Body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// Every form refuses a control character in any field, and an invisible
// formatting character in a name, with 422 and the message next to the
// field, whether it is posted urlencoded or multipart; nothing is written.
// A line break stays allowed in a description. A bad value in a field no
// form reads is refused up front (400 naming it), never a 500.
func TestFormsRefuseControlAndFormatCharacters(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		acme := env.Org("acme")
		tpl := degreeTemplate(t, env, acme)
		cs := seedSchema(t, env, acme, "Course", "1")
		admin := env.Client()
		admin.Login(env.User(store.RoleAdmin, acme))
		anonymous := env.Client()
		with := func(v url.Values, kv ...string) url.Values {
			out := url.Values{}
			for k, vs := range v {
				out[k] = append([]string(nil), vs...)
			}
			for i := 0; i < len(kv); i += 2 {
				out.Set(kv[i], kv[i+1])
			}
			return out
		}
		register := url.Values{"name": {"Beta College"}, "type": {"educational"}, "domain": {"beta.example"}, "slug": {"beta-college"},
			"admin_name": {"Ada Lovelace"}, "email": {"ada@beta.example"}, "password": {"a long and unusual passphrase for registration"},
			"confirm": {"a long and unusual passphrase for registration"}}
		template := url.Values{"name": {"Data Science"}, "schema_id": {cs.ID}, "kind": {"certificate"}, "cryptosuite": {"eddsa-jcs-2022"}}
		issue := url.Values{"template_id": {tpl.ID}, "recipient_name": {"Grace Hopper"}, "recipient_address": {"grace@example.org"},
			"data.degree": {"Maths"}, "data.awarded": {"2024-07-01"}}
		const (
			orgs  = "SELECT count(*) FROM organizations"
			tpls  = "SELECT count(*) FROM credential_templates"
			creds = "SELECT count(*) FROM credentials"
			cats  = "SELECT count(*) FROM issuer_categories"
		)
		for _, tc := range []struct {
			name      string
			cl        *webtest.Client
			target    string
			form      url.Values
			multipart bool
			field     string // where the message is shown; "" for an accepted form
			want      string
			rows      string // a count the request must not change
		}{
			{"registration: override in the organization's name", anonymous, "/register", with(register, "name", "Beta \u202Eegelloc"), false,
				"name", "This field contains an invisible formatting character (U+202E), which is not allowed.", orgs},
			{"registration: isolate in the admin's name", anonymous, "/register", with(register, "admin_name", "Ada\u2066 Lovelace"), false,
				"admin_name", "(U+2066)", orgs},
			{"registration: NUL in the organization's name, multipart", anonymous, "/register", with(register, "name", "Beta\x00College"), true,
				"name", "This field contains a control character, which is not allowed.", orgs},
			{"profile: NUL in the name, multipart", admin, "/settings/profile", with(validProfile("acme"), "name", "Acme\x00University"), true,
				"name", "This field contains a control character, which is not allowed.", ""},
			{"profile: byte order mark in the name", admin, "/settings/profile", with(validProfile("acme"), "name", "\uFEFFAcme University"), false,
				"name", "(U+FEFF)", ""},
			{"profile: escape in the description", admin, "/settings/profile", with(validProfile("acme"), "description", "red\x1b[31m"), true,
				"description", "control character", ""},
			{"profile: line break in the address", admin, "/settings/profile", with(validProfile("acme"), "website", "https://acme.example/\nx"), false,
				"website", "contains a line break or tab", ""},
			{"category: override", admin, "/settings/categories", url.Values{"category": {"Engi\u202Eneering"}}, false,
				"category", "(U+202E)", cats},
			{"template: NUL in the name, multipart", admin, "/templates", with(template, "name", "Data\x00Science"), true,
				"name", "This field contains a control character, which is not allowed.", tpls},
			{"template: NUL in a default", admin, "/templates", with(template, "default_degree", "Maths\x00"), false,
				"default_degree", "control character", tpls},
			{"issue: zero-width space in the recipient's name", admin, "/credentials/issue", with(issue, "recipient_name", "Grace\u200BHopper"), false,
				"recipient_name", "This field contains an invisible formatting character (U+200B), which is not allowed.", creds},
			{"issue: NUL in the recipient's name, multipart", admin, "/credentials/issue", with(issue, "recipient_name", "Grace\x00"), true,
				"recipient_name", "control character", creds},
			{"issue: NUL in a field of the schema", admin, "/credentials/issue", with(issue, "data.degree", "Maths\x00"), false,
				"data.degree", "Degree: this field contains a control character", creds},
		} {
			before := 0
			if tc.rows != "" {
				before = count(t, env, tc.rows)
			}
			var r *webtest.Response
			if tc.multipart {
				r = multipartPost(t, tc.cl, tc.target, tc.form)
			} else {
				r = tc.cl.Post(tc.target, tc.form)
			}
			if msg := fieldError(r, tc.field); r.Status != 422 || !strings.Contains(msg, tc.want) {
				t.Errorf("%s: %d, next to %s: %q; want 422 with %q", tc.name, r.Status, tc.field, msg, tc.want)
			}
			if tc.rows != "" && count(t, env, tc.rows) != before {
				t.Errorf("%s: a refused form wrote a row (%s)", tc.name, tc.rows)
			}
		}
		if o := orgByID(t, env, acme.ID); o.Name != "Acme Org" {
			t.Errorf("a refused profile changed the name to %q", o.Name)
		}

		// Line breaks are text in a description, urlencoded or multipart.
		for _, multi := range []bool{false, true} {
			form := with(validProfile("acme"), "description", "Line one\nline two\twith a tab")
			var r *webtest.Response
			if multi {
				r = multipartPost(t, admin, "/settings/profile", form)
			} else {
				r = admin.Post("/settings/profile", form)
			}
			if o := orgByID(t, env, acme.ID); r.Status != 303 || o.Description == nil || *o.Description != "Line one\nline two\twith a tab" {
				t.Errorf("description with a line break (multipart %v): %d, stored %v", multi, r.Status, o.Description)
			}
		}
		if r := admin.Post("/templates", with(template, "description", "First line\r\nsecond line")); r.Status != 303 {
			t.Errorf("template description with a line break: %d", r.Status)
		}

		// A field no form reads: refused up front, named, urlencoded or multipart.
		for _, multi := range []bool{false, true} {
			form := with(validProfile("acme"), "nickname", "x\x00")
			var r *webtest.Response
			if multi {
				r = multipartPost(t, admin, "/settings/profile", form)
			} else {
				r = admin.Post("/settings/profile", form)
			}
			if r.Status != 400 || !strings.Contains(html.UnescapeString(r.Body), "The field “nickname” contains a control character, which is not allowed.") {
				t.Errorf("unknown field (multipart %v): %d\n%.2000s", multi, r.Status, r.Body)
			}
		}
		// A control character in a field's name is named without being echoed.
		r := admin.Post("/settings/profile", with(validProfile("acme"), "nick\x1bname", "x"))
		if body := html.UnescapeString(r.Body); r.Status != 400 || !strings.Contains(body, `The field name “nick\x1bname” contains a control character`) ||
			strings.Contains(body, "\x1b") {
			t.Errorf("control character in a field's name: %d\n%.2000s", r.Status, r.Body)
		}
	})
}

// The verification page names the encoding of a UTF-16 file, and the
// pointer of a string with a control character, instead of verifying it.
func TestVerifyPageRefusesUTF16AndControlCharacters(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		e := webtest.New(t, d)
		c := issueOne(t, e, "uni")
		r := postMultipart(t, e, nil, utf16LE(string(c.json)))
		if r.Status != 422 || !strings.Contains(r.Body, "This document is UTF-16LE text: save it as UTF-8 and try again.") {
			t.Errorf("UTF-16 file: %d\n%.3000s", r.Status, r.Body)
		}
		var doc map[string]any
		if err := json.Unmarshal(c.json, &doc); err != nil {
			t.Fatal(err)
		}
		doc["credentialSubject"].(map[string]any)["name"] = "Ada\u0000"
		b, _ := json.Marshal(doc)
		r = postMultipart(t, e, map[string]string{"credential": string(b)}, nil)
		if r.Status != 422 || !strings.Contains(html.UnescapeString(r.Body), "The value at /credentialSubject/name contains a control character, which is not allowed.") {
			t.Errorf("NUL in a pasted credential: %d\n%.3000s", r.Status, r.Body)
		}
	})
}

// No page form lets a control character through to the database, whatever
// the field: every POST route of the route table, signed in as an
// organization's admin, gets (a) every field the forms check with a NUL,
// urlencoded and multipart, and (b) a field no form reads with a NUL. A
// value that reached PostgreSQL would be a 500; (b) is refused up front.
func TestNoPageRouteTakesAControlCharacter(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		acme := env.Org("acme")
		tpl := degreeTemplate(t, env, acme)
		cs := seedSchema(t, env, acme, "Course", "1")
		cred := issueDegree(t, env, acme, tpl, "Ada Lovelace", "ada@example.org")
		member := env.User(store.RoleIssuer, acme)
		admin := env.User(store.RoleAdmin, acme)
		cl := env.Client()
		cl.Login(admin)
		hook, _, err := env.Services.Webhooks.Create(context.Background(), env.DB.Scoped(acme.ID),
			webhook.Settings{Name: "Registrar", URL: "https://hooks.example.org/x", Events: []string{"credential.issued"}, Active: true}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]string{"/templates/": tpl.ID, "/schemas/": cs.ID, "/credentials/": cred.ID, "/members/": member.ID,
			"/admin/organizations/": acme.ID, "/settings/webhooks/": hook.ID}
		checked := url.Values{}
		for _, f := range []string{"name", "admin_name", "recipient_name", "recipient_address", "category", "achievement_name",
			"achievement_description", "achievement_criteria", "achievement_image_url", "description", "display_title",
			"display_description", "display_criteria", "display_image_url", "reason", "slug", "domain", "website",
			"metadata_uri", "contact_email", "email", "expires", "date", "version", "validity_days", "data.degree", "data.awarded",
			"default_degree", "url", "since"} {
			if !handlers.FormField(f) {
				t.Fatalf("%s is not a field the forms check", f)
			}
			checked.Set(f, "x\x00y")
		}
		checked.Set("template_id", tpl.ID)
		checked.Set("schema_id", cs.ID)
		n := 0
		for _, route := range registered(env) {
			method, path, _ := strings.Cut(route, " ")
			// Twilio's status callback is not a page: it is 404 unless Twilio
			// is configured, and then reads nothing before its signature holds.
			if method != "POST" || strings.HasPrefix(path, "/api/") || path == "/logout" || path == "/sms/twilio/status" {
				continue
			}
			n++
			for prefix, id := range ids {
				if rest, ok := strings.CutPrefix(path, prefix+":id"); ok {
					path = prefix + id + rest
				}
			}
			path = regexp.MustCompile(`:[a-z]+`).ReplaceAllString(path, "01a00000-0000-7000-8000-000000000000")
			for _, multi := range []bool{false, true} {
				var r *webtest.Response
				if multi {
					r = multipartPost(t, cl, path, copyValues(checked))
				} else {
					r = cl.Post(path, copyValues(checked))
				}
				if r.Status >= 500 {
					t.Errorf("POST %s (multipart %v) with a NUL in every checked field: %d", path, multi, r.Status)
				}
				if r.Status == 303 && strings.HasPrefix(r.Location(), "/login") {
					cl.Login(admin)
				}
			}
			// /verify is public, outside the page middleware: its form reads one field.
			if r := cl.Post(path, url.Values{"nickname": {"x\x00y"}}); r.Status != 400 && !(path == "/verify" && r.Status == 422) {
				t.Errorf("POST %s with a NUL in a field no form reads: %d, want 400", path, r.Status)
			}
		}
		if n < 40 {
			t.Fatalf("only %d POST routes", n)
		}
	})
}

func copyValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
