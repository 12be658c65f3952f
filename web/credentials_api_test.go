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
