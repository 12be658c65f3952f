package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/handlers"
	"github.com/trustcred/trustcred/internal/did"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// api is an API client of one test application.
type api struct {
	t   *testing.T
	env *webtest.Env
	cl  *webtest.Client
	is  *issuance.Issuer
}

func newAPI(t *testing.T, env *webtest.Env) *api {
	return &api{t: t, env: env, cl: env.Client(), is: &issuance.Issuer{DB: env.DB, Keys: env.Keys, BaseURL: env.Config.BaseURL}}
}

// post sends body (a string as it is, anything else as JSON) with key.
func (a *api) post(key, path string, body any) *webtest.Response {
	a.t.Helper()
	b, ok := body.(string)
	if !ok {
		raw, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		b = string(raw)
	}
	return a.cl.Raw("POST", path, "application/json", []byte(b), map[string]string{"Authorization": "Bearer " + key})
}

func (a *api) get(key, path string) *webtest.Response {
	a.t.Helper()
	return a.cl.Do("GET", path, nil, map[string]string{"Authorization": "Bearer " + key})
}

// issued is a 201 answer of POST /api/v1/credentials/issue.
type issued struct {
	raw      json.RawMessage
	doc      map[string]any
	publicID string
}

func (a *api) issue(key string, credential map[string]any, options map[string]any) issued {
	a.t.Helper()
	body := map[string]any{"credential": credential}
	if options != nil {
		body["options"] = options
	}
	r := a.post(key, "/api/v1/credentials/issue", body)
	if r.Status != 201 || r.Header.Get("Content-Type") != "application/json" {
		a.t.Fatalf("issue: %d %s\n%s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	var out struct {
		VerifiableCredential json.RawMessage `json:"verifiableCredential"`
	}
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		a.t.Fatal(err)
	}
	v, err := vc.ParseJSON(out.VerifiableCredential)
	if err != nil {
		a.t.Fatal(err)
	}
	doc := v.(map[string]any)
	id, _ := doc["id"].(string)
	pid := strings.TrimPrefix(id, a.env.Config.BaseURL+"/v/")
	if pid == id || r.Header.Get("Location") != "/api/v1/credentials/"+pid {
		a.t.Fatalf("issued id %q, Location %q", id, r.Header.Get("Location"))
	}
	return issued{raw: out.VerifiableCredential, doc: doc, publicID: pid}
}

// resolver resolves did:key, and did:web through the served DID document.
func (a *api) resolver() vc.KeyResolver {
	return func(ctx context.Context, vm string) (ed25519.PublicKey, error) {
		if strings.HasPrefix(vm, "did:key:") {
			return vc.DIDKeyResolver(ctx, vm)
		}
		// did:web:localhost%3A8080:orgs:<slug>#<key> → /orgs/<slug>/did.json
		did, _, _ := strings.Cut(vm, "#")
		parts := strings.Split(did, ":")
		r := a.cl.Get("/" + strings.Join(parts[3:], "/") + "/did.json")
		if r.Status != 200 {
			return nil, fmt.Errorf("DID document of %s: %d", did, r.Status)
		}
		var doc struct {
			ID                 string
			VerificationMethod []struct{ ID, PublicKeyMultibase string }
			AssertionMethod    []string
		}
		if err := json.Unmarshal([]byte(r.Body), &doc); err != nil {
			return nil, err
		}
		for _, m := range doc.VerificationMethod {
			if m.ID == vm && doc.ID == did {
				return vc.DecodePublicKey(m.PublicKeyMultibase)
			}
		}
		return nil, fmt.Errorf("%s not in the DID document", vm)
	}
}

func (a *api) verify(doc map[string]any) {
	a.t.Helper()
	var err error
	if doc["proof"].(map[string]any)["cryptosuite"] == vc.CryptosuiteJCS {
		err = vc.VerifyJCS(context.Background(), doc, a.resolver(), vc.VerifyOptions{})
	} else {
		err = vc.VerifyRDFC(context.Background(), doc, a.resolver(), vc.VerifyOptions{})
	}
	if err != nil {
		a.t.Fatalf("issued credential does not verify: %v", err)
	}
}

// statusBit fetches the credential's status list of a purpose from the
// server and reads its bit.
func (a *api) statusBit(doc map[string]any, purpose string) bool {
	a.t.Helper()
	for _, e := range doc["credentialStatus"].([]any) {
		e := e.(map[string]any)
		if e["statusPurpose"] != purpose {
			continue
		}
		r := a.cl.Get(strings.TrimPrefix(e["statusListCredential"].(string), a.env.Config.BaseURL))
		if r.Status != 200 {
			a.t.Fatalf("status list: %d %s", r.Status, r.Body)
		}
		v, err := vc.ParseJSON([]byte(r.Body))
		if err != nil {
			a.t.Fatal(err)
		}
		list := v.(map[string]any)
		a.verify(list)
		enc := list["credentialSubject"].(map[string]any)["encodedList"].(string)
		gz, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(enc, "u"))
		if err != nil {
			a.t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			a.t.Fatal(err)
		}
		bits, err := io.ReadAll(zr)
		if err != nil {
			a.t.Fatal(err)
		}
		i, _ := strconv.Atoi(e["statusListIndex"].(string))
		return bits[i/8]&(0x80>>(i%8)) != 0
	}
	a.t.Fatalf("no %s entry in %v", purpose, doc["credentialStatus"])
	return false
}

// wantProblem checks an RFC 9457 answer.
func wantProblem(t *testing.T, name string, r *webtest.Response, status int, title, detail string) {
	t.Helper()
	var p problem
	if err := json.Unmarshal([]byte(r.Body), &p); err != nil {
		t.Errorf("%s: not Problem Details: %d %s", name, r.Status, r.Body)
		return
	}
	if r.Status != status || p.Status != status || p.Type != "about:blank" || p.Title != title ||
		!strings.Contains(p.Detail, detail) || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s: %d %s %+v, want %d %q with %q in the detail", name, r.Status, r.Header.Get("Content-Type"), p, status, title, detail)
	}
}

// degree is a credential an API client writes (the VC 2.0 examples).
func degree() map[string]any {
	return map[string]any{
		"@context": []any{vc.ContextCredentialsV2, vc.ContextCredentialsExamples},
		"type":     []any{"VerifiableCredential", "ExampleDegreeCredential"},
		"credentialSubject": map[string]any{
			"id":     "did:example:ebfeb1f712ebc6f1c276e12ec21",
			"name":   "Ada Lovelace",
			"degree": map[string]any{"type": "ExampleBachelorDegree", "name": "Bachelor of Science and Arts"},
		},
	}
}

var allScopes = []store.APIScope{store.ScopeCredentialsIssue, store.ScopeCredentialsRead, store.ScopeCredentialsRevoke}

// orgWithTemplate seeds, into an application made WithoutAdmin (Seed needs
// an empty database), an active organization with an active template
// signing with eddsa-jcs-2022 and its schema.
func orgWithTemplate(t *testing.T, env *webtest.Env, slug string) (*store.Organization, *store.CredentialTemplate) {
	t.Helper()
	id, err := did.Web(env.Config.BaseURL, "orgs", slug)
	if err != nil {
		t.Fatal(err)
	}
	org := &store.Organization{Name: slug + " org", Slug: slug, Type: store.OrganizationEducational, Status: store.OrganizationActive, DID: id}
	var tpl *store.CredentialTemplate
	err = env.DB.Seed(context.Background(), func(create func(any) error) error {
		if err := create(org); err != nil {
			return err
		}
		cs := &store.CredentialSchema{Name: "Diploma schema", Version: "1", OrganizationID: org.ID, Active: true}
		if err := create(cs); err != nil {
			return err
		}
		tpl = &store.CredentialTemplate{Name: "Diploma", OrganizationID: org.ID, SchemaID: cs.ID, Active: true,
			TemplateData: datatypes.NewJSONType(store.TemplateData{Kind: store.TemplateCertificate, Cryptosuite: vc.CryptosuiteJCS})}
		return create(tpl)
	})
	if err != nil {
		t.Fatal(err)
	}
	return org, tpl
}

func TestAPIIssueBothSuites(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithoutAdmin())
		org, tpl := orgWithTemplate(t, env, "acme")
		_, key := createKey(t, env, org, nil, allScopes...)
		a := newAPI(t, env)
		ctx := context.Background()
		apiSchemas := map[string]bool{}

		for _, tc := range []struct {
			name    string
			options map[string]any
			suite   string
			tpl     *store.CredentialTemplate
		}{
			{"default", nil, vc.CryptosuiteRDFC, nil},
			{"rdfc", map[string]any{"cryptosuite": vc.CryptosuiteRDFC}, vc.CryptosuiteRDFC, nil},
			{"jcs, unknown option ignored", map[string]any{"cryptosuite": vc.CryptosuiteJCS, "mandatoryPointers": []any{"/issuer"}}, vc.CryptosuiteJCS, nil},
			{"template's suite", map[string]any{"templateId": tpl.ID}, vc.CryptosuiteJCS, tpl},
		} {
			out := a.issue(key, degree(), tc.options)
			doc := out.doc
			a.verify(doc)
			proof := doc["proof"].(map[string]any)
			if proof["cryptosuite"] != tc.suite || doc["issuer"] != org.DID ||
				doc["credentialSubject"].(map[string]any)["name"] != "Ada Lovelace" || len(doc["credentialStatus"].([]any)) != 2 {
				t.Fatalf("%s: %s", tc.name, out.raw)
			}
			if a.statusBit(doc, "revocation") || a.statusBit(doc, "suspension") {
				t.Fatalf("%s: a new credential is revoked or suspended", tc.name)
			}
			// Read back: the same signed bytes, and its status.
			r := a.get(key, "/api/v1/credentials/"+out.publicID)
			var got struct {
				VerifiableCredential json.RawMessage
				Status               handlers.APIStatus
			}
			if r.Status != 200 || json.Unmarshal([]byte(r.Body), &got) != nil || !bytes.Equal(got.VerifiableCredential, out.raw) ||
				got.Status.Status != store.CredentialActive || got.Status.RevokedAt != nil {
				t.Fatalf("%s: read back %d %s", tc.name, r.Status, r.Body)
			}
			c, err := env.DB.Scoped(org.ID).CredentialByPublicID(ctx, out.publicID)
			if err != nil {
				t.Fatal(err)
			}
			if c.RecipientAddress != "did:example:ebfeb1f712ebc6f1c276e12ec21" || *c.RecipientName != "Ada Lovelace" || *c.ProofType != tc.suite {
				t.Errorf("%s: stored %+v", tc.name, c)
			}
			if tc.tpl != nil {
				if c.TemplateID == nil || *c.TemplateID != tpl.ID || c.SchemaID != tpl.SchemaID {
					t.Errorf("%s: filed under template %v schema %s", tc.name, c.TemplateID, c.SchemaID)
				}
			} else if def := map[string]any{}; json.Unmarshal(c.Schema.SchemaDefinition, &def) != nil ||
				c.Schema.Name != store.APISchemaName || c.Schema.Version != "1" || c.TemplateID != nil || len(c.Schema.Fields) != 0 ||
				len(def) != 2 || def["$schema"] != "https://json-schema.org/draft/2020-12/schema" || def["type"] != "object" {
				t.Errorf("%s: filed under schema %s v%s %s", tc.name, c.Schema.Name, c.Schema.Version, c.Schema.SchemaDefinition)
			} else {
				apiSchemas[c.SchemaID] = true
			}
		}
		// One API schema however many credentials.
		if len(apiSchemas) != 1 {
			t.Fatalf("API credentials filed under %d schemas", len(apiSchemas))
		}
	})
}

func TestAPIIssueRefusals(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		_, key := createKey(t, env, org, nil, allScopes...)
		a := newAPI(t, env)
		with := func(edit func(c map[string]any)) map[string]any {
			c := degree()
			edit(c)
			return map[string]any{"credential": c}
		}
		subject := func(c map[string]any) map[string]any { return c["credentialSubject"].(map[string]any) }
		valid, _ := json.Marshal(map[string]any{"credential": degree()})
		for _, tc := range []struct {
			name          string
			body          any
			status        int
			title, detail string
		}{
			{"not JSON", `{"credential": `, 400, "Malformed JSON", "not valid JSON"},
			{"empty", ``, 400, "Malformed JSON", "empty"},
			{"duplicate key", `{"credential": {}, "credential": {}}`, 400, "Malformed JSON", `duplicate key "credential"`},
			{"duplicate key inside", strings.Replace(string(valid), `"type":`, `"type":"x","type":`, 1), 400, "Malformed JSON", `duplicate key "type"`},
			{"array", `[]`, 400, "Malformed JSON", "must be a JSON object"},
			{"credential not an object", `{"credential": "vc"}`, 400, "Malformed request", "credential a JSON object"},
			{"no credential", `{"options": {}}`, 400, "Malformed request", "credential"},
			{"options not an object", map[string]any{"credential": degree(), "options": "fast"}, 400, "Malformed request", "options"},
			{"too large", `{"credential": {"x": "` + strings.Repeat("a", handlers.MaxIssueBody) + `"}}`, 413, "Request too large", "at most 262144"},
			{"no credentialSubject", with(func(c map[string]any) { delete(c, "credentialSubject") }), 422, "Invalid credential", "credentialSubject is required (an object)."},
			{"wrong first context", with(func(c map[string]any) { c["@context"] = []any{vc.ContextCredentialsExamples, vc.ContextCredentialsV2} }),
				422, "Invalid credential", "@context must be an array whose first item is " + vc.ContextCredentialsV2},
			{"not a VerifiableCredential", with(func(c map[string]any) { c["type"] = "ExampleDegreeCredential" }), 422, "Invalid credential", "VerifiableCredential"},
			{"already signed", with(func(c map[string]any) { c["proof"] = map[string]any{"type": "DataIntegrityProof"} }), 422, "Invalid credential", "already has a proof"},
			{"undefined term", with(func(c map[string]any) {
				c["@context"] = []any{vc.ContextCredentialsV2}
				c["type"] = "VerifiableCredential"
				subject(c)["favoriteColor"] = "blue"
				delete(subject(c), "degree")
			}), 422, "Undefined term", "does not define: favoriteColor"},
			{"unknown context", with(func(c map[string]any) {
				c["@context"] = []any{vc.ContextCredentialsV2, "https://example.com/alumni/v1"}
			}),
				422, "Unknown context", "https://example.com/alumni/v1"},
			{"another issuer", with(func(c map[string]any) { c["issuer"] = "did:web:evil.example" }), 422, "Wrong issuer", "did:web:evil.example is not " + org.DID},
			{"another issuer object", with(func(c map[string]any) { c["issuer"] = map[string]any{"id": "did:key:z6Mkx", "name": "Acme"} }), 422, "Wrong issuer", "did:key:z6Mkx"},
			{"no recipient", with(func(c map[string]any) { delete(subject(c), "id") }), 422, "Invalid credential", "must name its recipient"},
			// The recipient rule is issuance.CheckRecipient's, as on the form and in bulk.
			{"recipient not a DID or email", with(func(c map[string]any) { subject(c)["id"] = "mailto:ada@example.org" }), 422, "Invalid credential",
				"credentialSubject.id (or email) must be the recipient's DID or email address."},
			{"recipient not a DID", with(func(c map[string]any) { subject(c)["id"] = "did:nope" }), 422, "Invalid credential", "credentialSubject.id is not a valid DID"},
			{"recipient's name too long", with(func(c map[string]any) { subject(c)["name"] = strings.Repeat("é", 201) }), 422, "Invalid credential",
				"credentialSubject.name must have at most 200 characters."},
			{"bad validUntil", with(func(c map[string]any) { c["validUntil"] = "tomorrow" }), 422, "Invalid credential", "validUntil"},
			{"bad cryptosuite", map[string]any{"credential": degree(), "options": map[string]any{"cryptosuite": "ecdsa-rdfc-2019"}}, 422, "Unsupported cryptosuite", "eddsa-jcs-2022"},
			{"cryptosuite not a string", map[string]any{"credential": degree(), "options": map[string]any{"cryptosuite": 1}}, 422, "Unsupported cryptosuite", "eddsa-rdfc-2022"},
			{"unknown template", map[string]any{"credential": degree(), "options": map[string]any{"templateId": "0190a0a0-0000-7000-8000-000000000000"}}, 422, "Unknown template", "no template"},
		} {
			wantProblem(t, tc.name, a.post(key, "/api/v1/credentials/issue", tc.body), tc.status, tc.title, tc.detail)
		}
		// Nothing refused was stored.
		r := a.get(key, "/api/v1/credentials")
		if r.Status != 200 || !strings.Contains(r.Body, `"credentials":[]`) {
			t.Fatalf("after refusals: %d %s", r.Status, r.Body)
		}
		// The issuer may be named, as a string or an object, if it is the organization.
		for _, iss := range []any{org.DID, map[string]any{"id": org.DID, "name": "Acme"}} {
			out := a.issue(key, with(func(c map[string]any) { c["issuer"] = iss })["credential"].(map[string]any), nil)
			a.verify(out.doc)
		}
	})
}

// Keys: the scope each endpoint needs, revoked and expired keys, and
// another organization's key, which sees none of A's credentials.
func TestAPICredentialsKeys(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		orgA, orgB := env.Org("acme"), env.Org("bolt")
		_, keyA := createKey(t, env, orgA, nil, allScopes...)
		_, keyB := createKey(t, env, orgB, nil, allScopes...)
		_, readOnly := createKey(t, env, orgA, nil, store.ScopeCredentialsRead)
		_, issueOnly := createKey(t, env, orgA, nil, store.ScopeCredentialsIssue)
		past := time.Now().Add(-time.Minute)
		_, expired := createKey(t, env, orgA, &past, allScopes...)
		rk, revoked := createKey(t, env, orgA, nil, allScopes...)
		if _, err := env.DB.Scoped(orgA.ID).RevokeAPIKey(context.Background(), rk.ID, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		a := newAPI(t, env)
		out := a.issue(keyA, degree(), nil)
		issueBody := map[string]any{"credential": degree()}
		statusBody := map[string]any{"credentialId": out.doc["id"], "status": true,
			"credentialStatus": map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}}
		show := "/api/v1/credentials/" + out.publicID

		wantProblem(t, "read-only key issues", a.post(readOnly, "/api/v1/credentials/issue", issueBody), 403, "Scope missing", "credentials:issue")
		wantProblem(t, "read-only key suspends", a.post(readOnly, "/api/v1/credentials/status", statusBody), 403, "Scope missing", "credentials:revoke")
		wantProblem(t, "issue-only key reads", a.get(issueOnly, show), 403, "Scope missing", "credentials:read")
		wantProblem(t, "issue-only key lists", a.get(issueOnly, "/api/v1/credentials"), 403, "Scope missing", "credentials:read")
		for name, k := range map[string]string{"expired": expired, "revoked": revoked} {
			wantProblem(t, name+" key issues", a.post(k, "/api/v1/credentials/issue", issueBody), 401, "Invalid API key", "revoked or expired")
			wantProblem(t, name+" key reads", a.get(k, show), 401, "Invalid API key", "revoked or expired")
		}
		if r := a.get(readOnly, show); r.Status != 200 {
			t.Fatalf("read-only key reads: %d", r.Status)
		}

		// B's key: A's credential does not exist for it.
		wantProblem(t, "B reads A's credential", a.get(keyB, show), 404, "Credential not found", "no credential")
		wantProblem(t, "B suspends A's credential", a.post(keyB, "/api/v1/credentials/status", statusBody), 404, "Credential not found", "no credential")
		if r := a.get(keyB, "/api/v1/credentials"); r.Status != 200 || strings.Contains(r.Body, out.publicID) {
			t.Fatalf("B's list: %d %s", r.Status, r.Body)
		}
		if a.statusBit(out.doc, "suspension") {
			t.Fatal("B's request suspended A's credential")
		}
		// B issues as B, never as A.
		wantProblem(t, "B issues as A", a.post(keyB, "/api/v1/credentials/issue", map[string]any{"credential": func() map[string]any {
			c := degree()
			c["issuer"] = orgA.DID
			return c
		}()}), 422, "Wrong issuer", orgA.DID)
		if outB := a.issue(keyB, degree(), nil); outB.doc["issuer"] != orgB.DID {
			t.Fatalf("B's credential issued by %v", outB.doc["issuer"])
		}
	})
}

func TestAPICredentialStatus(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		_, key := createKey(t, env, org, nil, allScopes...)
		a := newAPI(t, env)
		x, y := a.issue(key, degree(), nil), a.issue(key, degree(), map[string]any{"cryptosuite": vc.CryptosuiteJCS})
		change := func(id any, purpose string, set any, extra map[string]any) *webtest.Response {
			body := map[string]any{"credentialId": id, "status": set,
				"credentialStatus": map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": purpose}}
			for k, v := range extra {
				body[k] = v
			}
			return a.post(key, "/api/v1/credentials/status", body)
		}
		status := func(r *webtest.Response) handlers.APIStatusChanged {
			t.Helper()
			var s handlers.APIStatusChanged
			if r.Status != 200 || json.Unmarshal([]byte(r.Body), &s) != nil {
				t.Fatalf("status change: %d %s", r.Status, r.Body)
			}
			return s
		}
		readStatus := func(pid string) handlers.APIStatus {
			t.Helper()
			var got struct{ Status handlers.APIStatus }
			if r := a.get(key, "/api/v1/credentials/"+pid); r.Status != 200 || json.Unmarshal([]byte(r.Body), &got) != nil {
				t.Fatalf("read: %d %s", r.Status, r.Body)
			}
			return got.Status
		}

		// Suspend (by the credential's id) and unsuspend (by its public id).
		s := status(change(x.doc["id"], "suspension", true, nil))
		if s.CredentialID != x.doc["id"] || s.Status.Status != store.CredentialSuspended || !a.statusBit(x.doc, "suspension") ||
			readStatus(x.publicID).Status != store.CredentialSuspended {
			t.Fatalf("suspend: %+v", s)
		}
		wantProblem(t, "suspend twice", change(x.publicID, "suspension", true, nil), 409, "Status change refused", "The credential is already suspended.")
		if s := status(change(x.publicID, "suspension", false, nil)); s.Status.Status != store.CredentialActive || a.statusBit(x.doc, "suspension") {
			t.Fatalf("unsuspend: %+v", s)
		}
		wantProblem(t, "unsuspend an active credential", change(x.publicID, "suspension", false, nil), 409, "Status change refused", "not suspended")

		// Revoke: a default reason when none is given; permanent.
		s = status(change(x.doc["id"], "revocation", true, nil))
		if s.Status.Status != store.CredentialRevoked || s.Status.RevokedAt == nil || *s.Status.RevocationReason != "Revoked through the API" ||
			!a.statusBit(x.doc, "revocation") || a.statusBit(y.doc, "revocation") {
			t.Fatalf("revoke: %+v", s)
		}
		if got := readStatus(x.publicID); got.Status != store.CredentialRevoked || *got.RevocationReason != "Revoked through the API" {
			t.Fatalf("read after revoke: %+v", got)
		}
		s = status(change(y.publicID, "revocation", true, map[string]any{"reason": "Issued in error"}))
		if *s.Status.RevocationReason != "Issued in error" || !a.statusBit(y.doc, "revocation") {
			t.Fatalf("revoke with a reason: %+v", s)
		}
		wantProblem(t, "revoke twice", change(x.publicID, "revocation", true, nil), 409, "Status change refused", "revocation is permanent")
		wantProblem(t, "suspend a revoked credential", change(x.publicID, "suspension", true, nil), 409, "Status change refused", "revoked")
		wantProblem(t, "unrevoke", change(x.publicID, "revocation", false, nil), 422, "Invalid status request", "Revocation is permanent")

		// Malformed requests.
		for _, tc := range []struct {
			name   string
			r      *webtest.Response
			status int
			title  string
			detail string
		}{
			{"not JSON", a.post(key, "/api/v1/credentials/status", `{`), 400, "Malformed JSON", "not valid JSON"},
			{"no credentialId", change("", "suspension", true, nil), 422, "Invalid status request", "credentialId is required"},
			{"unknown credential", change("zzzzzzzzzzzzzzzzzzzzzzzzzz", "suspension", true, nil), 404, "Credential not found", "no credential"},
			{"another server's URL", change("https://elsewhere.example/v/"+y.publicID, "suspension", true, nil), 404, "Credential not found", "no credential"},
			{"bad purpose", change(y.publicID, "refresh", true, nil), 422, "Invalid status request", "statusPurpose"},
			{"status not a boolean", change(y.publicID, "suspension", "true", nil), 422, "Invalid status request", "status is required"},
			{"reason not a string", change(y.publicID, "revocation", true, map[string]any{"reason": 7}), 422, "Invalid status request", "reason must be a string"},
			{"reason too long", change(y.publicID, "revocation", true, map[string]any{"reason": strings.Repeat("x", 1001)}), 422, "Invalid status request", "at most 1000"},
			{"wrong entry type", a.post(key, "/api/v1/credentials/status", map[string]any{"credentialId": y.publicID, "status": true,
				"credentialStatus": map[string]any{"type": "StatusList2021Entry", "statusPurpose": "suspension"}}), 422, "Invalid status request", "BitstringStatusListEntry"},
		} {
			wantProblem(t, tc.name, tc.r, tc.status, tc.title, tc.detail)
		}
	})
}

func TestAPICredentialList(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithoutAdmin())
		org, tpl := orgWithTemplate(t, env, "acme")
		_, key := createKey(t, env, org, nil, allScopes...)
		a := newAPI(t, env)
		var ids []string // newest first
		for i := range 5 {
			c := degree()
			c["credentialSubject"].(map[string]any)["id"] = fmt.Sprintf("did:example:%d", i)
			c["validUntil"] = "2099-01-01T00:00:00Z"
			opts := map[string]any{}
			if i == 4 {
				opts["templateId"] = tpl.ID
			}
			ids = append([]string{a.issue(key, c, opts).publicID}, ids...)
		}
		if _, err := env.DB.Scoped(org.ID).ChangeCredentialStatus(context.Background(), mustCredential(t, env, org, ids[1]).ID,
			store.ActionRevoke, "wrong person", store.ViaWeb, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		list := func(q string) handlers.APICredentialList {
			t.Helper()
			var l handlers.APICredentialList
			if r := a.get(key, "/api/v1/credentials"+q); r.Status != 200 || json.Unmarshal([]byte(r.Body), &l) != nil {
				t.Fatalf("list %s: %d %s", q, r.Status, r.Body)
			}
			return l
		}
		var got []string
		cursor := ""
		for page := 0; ; page++ {
			l := list("?limit=2" + cursor)
			if len(l.Credentials) > 2 || page > 3 {
				t.Fatalf("page %d: %d items", page, len(l.Credentials))
			}
			for _, c := range l.Credentials {
				got = append(got, c.PublicID)
			}
			if l.Next == nil {
				break
			}
			cursor = "&cursor=" + *l.Next
		}
		if strings.Join(got, ",") != strings.Join(ids, ",") {
			t.Fatalf("pages give %v, want newest first %v", got, ids)
		}
		first := list("?limit=1").Credentials[0]
		if first.ID != env.Config.BaseURL+"/v/"+ids[0] || first.Status.Status != store.CredentialActive || first.Recipient.Address != "did:example:4" ||
			*first.Recipient.Name != "Ada Lovelace" || first.IssuedAt == nil || first.ExpiresAt == nil || first.ExpiresAt.Year() != 2099 ||
			first.Template == nil || first.Template.Name != "Diploma" {
			t.Fatalf("item %+v", first)
		}
		if l := list("?status=revoked"); len(l.Credentials) != 1 || l.Credentials[0].PublicID != ids[1] ||
			*l.Credentials[0].Status.RevocationReason != "wrong person" || l.Credentials[0].Template != nil {
			t.Fatalf("revoked: %+v", l)
		}
		if l := list("?status=active"); len(l.Credentials) != 4 {
			t.Fatalf("active: %d", len(l.Credentials))
		}
		if l := list("?status=suspended"); len(l.Credentials) != 0 || l.Next != nil {
			t.Fatalf("suspended: %+v", l)
		}
		for q, detail := range map[string]string{
			"?limit=0": "from 1 to 100", "?limit=101": "from 1 to 100", "?limit=ten": "from 1 to 100",
			"?status=draft": "active, suspended, revoked or expired", "?cursor=abc": "cursor",
		} {
			wantProblem(t, q, a.get(key, "/api/v1/credentials"+q), 400, map[bool]string{true: "Invalid limit", false: map[bool]string{
				true: "Invalid status", false: "Invalid cursor"}[strings.Contains(q, "status")]}[strings.Contains(q, "limit")], detail)
		}
	})
}

func mustCredential(t *testing.T, env *webtest.Env, org *store.Organization, publicID string) *store.Credential {
	t.Helper()
	c, err := env.DB.Scoped(org.ID).CredentialByPublicID(context.Background(), publicID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
