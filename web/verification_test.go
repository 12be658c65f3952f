package web_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"image/png"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// issuedCred is a credential issued in a test environment.
type issuedCred struct {
	org  *store.Organization
	cred *store.Credential
	json []byte
	doc  map[string]any
	is   *issuance.Issuer
}

// issueOne issues a degree credential of a new organization.
func issueOne(t *testing.T, e *webtest.Env, slug string) *issuedCred {
	t.Helper()
	ctx := context.Background()
	org := e.Org(slug)
	sc := e.DB.Scoped(org.ID)
	fields := []store.SchemaField{{Name: "degree", Label: "Degree", Type: store.SchemaFieldText, Required: true},
		{Name: "conferred", Label: "Date conferred", Type: store.SchemaFieldDate}}
	def, err := credschema.Build("Degree", fields)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := sc.CreateSchema(ctx, store.SchemaChange{Name: "Degree", Version: "1", Fields: fields, Definition: def}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := sc.CreateTemplate(ctx, store.TemplateChange{Name: "BSc Physics", SchemaID: cs.ID,
		Data: store.TemplateData{Kind: store.TemplateDiploma}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if tpl, err = sc.Template(ctx, tpl.ID); err != nil {
		t.Fatal(err)
	}
	is := &issuance.Issuer{DB: e.DB, Keys: e.Keys, BaseURL: e.Config.BaseURL}
	out, err := is.Submit(ctx, sc, issuance.Request{Template: tpl, RecipientName: "Ada Lovelace", RecipientAddress: "ada@example.org",
		Data: map[string]any{"degree": "Physics", "conferred": "2026-06-30"}}, store.ViaWeb, "", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := vc.ParseJSON(out.JSON)
	return &issuedCred{org: org, cred: out.Credential, json: out.JSON, doc: v.(map[string]any), is: is}
}

func logCount(t *testing.T, e *webtest.Env, where string) int {
	t.Helper()
	if err := e.VerificationLogs.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.DB.SQL().QueryRow("SELECT count(*) FROM verification_logs WHERE " + where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCredentialPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		e := webtest.New(t, d)
		c := issueOne(t, e, "uni")
		cl := e.Client()
		r := cl.Get("/v/" + c.cred.PublicID)
		if r.Status != 200 || !strings.Contains(r.Body, `data-verdict="valid"`) {
			t.Fatalf("page %d: %s", r.Status, r.Body)
		}
		for _, want := range []string{"Ada Lovelace", "Date conferred", "30 June 2026", "Uni Org", `property="og:title" content="BSc Physics"`,
			"https://www.linkedin.com/profile/add?", "certId=" + c.cred.PublicID, "Download JSON", "/v/" + c.cred.PublicID + "/qr.svg"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if strings.Count(r.Body, `data-passed="true"`) < 6 {
			t.Errorf("not every check passed:\n%s", r.Body)
		}
		if sc := r.Header.Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("the public page set cookies: %v", sc)
		}
		// The page is kept beside the verification service the app runs,
		// within TRUSTCRED_PAGE_CACHE_MB.
		if p := e.Services.Verify.Pages; p.Len() != 1 || p.Weight() > int64(e.Config.PageCacheMB)<<20 {
			t.Errorf("%d pages kept, weighing %d", p.Len(), p.Weight())
		}
		// A QR scan is logged as one.
		if r := cl.Get("/v/" + c.cred.PublicID + "?via=qr"); r.Status != 200 {
			t.Fatal(r.Status)
		}
		// Revoked: the page says so.
		if _, err := e.DB.Scoped(c.org.ID).ChangeCredentialStatus(context.Background(), c.cred.ID, store.ActionRevoke,
			"issuedCred in error", store.ViaWeb, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		r = cl.Get("/v/" + c.cred.PublicID)
		if !strings.Contains(r.Body, `data-verdict="revoked"`) || !strings.Contains(r.Body, "The issuer has revoked this credential.") {
			t.Fatalf("after revocation: %s", r.Body)
		}
		for _, bad := range []string{"/v/nosuchcredentialatall2345", "/v/UPPER", "/v/" + strings.Repeat("a", 26)} {
			if r := cl.Get(bad); r.Status != 404 {
				t.Errorf("%s: %d", bad, r.Status)
			}
		}
		if n := logCount(t, e, "verification_method = 'qr_code'"); n != 1 {
			t.Errorf("%d QR logs", n)
		}
		if n := logCount(t, e, "verification_method = 'web_interface' AND credential_id IS NOT NULL"); n != 2 {
			t.Errorf("%d page logs", n)
		}
	})
}

// With no memory for ready pages, every view verifies afresh: still right,
// still logged.
func TestCredentialPageWithoutCache(t *testing.T) {
	e := webtest.New(t, store.SQLite, webtest.WithConfig(func(c *config.Config) { c.PageCacheMB = 0 }))
	c := issueOne(t, e, "uni")
	cl := e.Client()
	for range 2 {
		if r := cl.Get("/v/" + c.cred.PublicID); r.Status != 200 || !strings.Contains(r.Body, `data-verdict="valid"`) {
			t.Fatalf("page %d: %s", r.Status, r.Body)
		}
	}
	if _, err := e.DB.Scoped(c.org.ID).ChangeCredentialStatus(context.Background(), c.cred.ID, store.ActionSuspend, "",
		store.ViaWeb, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if r := cl.Get("/v/" + c.cred.PublicID); !strings.Contains(r.Body, `data-verdict="suspended"`) {
		t.Fatalf("after suspension: %s", r.Body)
	}
	if n := logCount(t, e, "credential_id IS NOT NULL"); n != 3 {
		t.Errorf("%d page logs, want 3", n)
	}
	if n := e.Services.Verify.Pages.Len(); n != 0 {
		t.Errorf("%d pages kept with no memory for them", n)
	}
}

func TestCredentialDownloads(t *testing.T) {
	e := webtest.New(t, store.SQLite)
	c := issueOne(t, e, "uni")
	cl := e.Client()
	r := cl.Get("/v/" + c.cred.PublicID + "/credential.json")
	if r.Status != 200 || r.Body != string(c.json) || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("json %d %q", r.Status, r.Header)
	}
	r = cl.Get("/v/" + c.cred.PublicID + "/qr.png")
	if _, err := png.Decode(strings.NewReader(r.Body)); err != nil || r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr.png: %v %s", err, r.Header.Get("Content-Type"))
	}
	r = cl.Get("/v/" + c.cred.PublicID + "/qr.svg")
	if !strings.HasPrefix(r.Body, "<svg") || r.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("qr.svg: %s", r.Body[:min(40, len(r.Body))])
	}
	if r := cl.Get("/v/" + c.cred.PublicID + "/qr.gif"); r.Status != 404 {
		t.Fatalf("qr.gif: %d", r.Status)
	}
	if r := cl.Get("/v/abcdefghijklmnopqrstuvwxyz/qr.png"); r.Status != 404 {
		t.Fatalf("unknown credential's QR: %d", r.Status)
	}
}

func postMultipart(t *testing.T, e *webtest.Env, fields map[string]string, file []byte) *webtest.Response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if file != nil {
		part, _ := w.CreateFormFile("file", "credential.json")
		part.Write(file)
	}
	w.Close()
	req := httptest.NewRequest("POST", "/verify", &buf)
	req.Host = "localhost" // not an unknown host (httptest says example.com), which custom domain routing answers 404
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := e.App.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	return &webtest.Response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func TestVerifyUpload(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		e := webtest.New(t, d)
		c := issueOne(t, e, "uni")
		if r := e.Client().Get("/verify"); r.Status != 200 || !r.Has("verify-form") {
			t.Fatalf("form %d", r.Status)
		}
		r := postMultipart(t, e, map[string]string{"credential": string(c.json)}, nil)
		if r.Status != 200 || !strings.Contains(r.Body, `data-verdict="valid"`) || !strings.Contains(r.Body, "/v/"+c.cred.PublicID) {
			t.Fatalf("pasted: %d %s", r.Status, r.Body)
		}
		tampered := strings.Replace(string(c.json), "Physics", "Chemistry", 1)
		r = postMultipart(t, e, nil, []byte(tampered))
		if !strings.Contains(r.Body, `data-verdict="invalid"`) || !strings.Contains(r.Body, "The signature does not match") {
			t.Fatalf("tampered upload: %s", r.Body)
		}
		for name, tc := range map[string]struct {
			text   string
			status int
			msg    string
		}{
			"empty":    {"", 422, "Paste a credential"},
			"not json": {"{nope", 422, "This is not valid JSON"},
			"array":    {"[1,2]", 422, "must be an object"},
			"too big":  {`{"a":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "larger than 1 MB"},
			"too many": {`{"a":[` + strings.TrimSuffix(strings.Repeat(`{},`, 2500), ",") + `]}`, 422, "too complex"},
		} {
			r := postMultipart(t, e, map[string]string{"credential": tc.text}, nil)
			if r.Status != tc.status || !strings.Contains(r.Body, tc.msg) {
				t.Errorf("%s: %d, want %d with %q", name, r.Status, tc.status, tc.msg)
			}
		}
		// An unsigned presentation carrying the credential.
		vp, _ := json.Marshal(map[string]any{"@context": []any{vc.ContextCredentialsV2}, "type": "VerifiablePresentation",
			"verifiableCredential": []any{c.doc}})
		r = postMultipart(t, e, map[string]string{"credential": string(vp)}, nil)
		if !strings.Contains(r.Body, "Credential 1 in the presentation") || strings.Count(r.Body, `data-verdict="valid"`) != 2 {
			t.Fatalf("presentation: %s", r.Body)
		}
	})
}

func apiPost(t *testing.T, e *webtest.Env, path string, body any) (int, map[string]any) {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	default:
		b, _ = json.Marshal(v)
	}
	req := httptest.NewRequest("POST", path, bytes.NewReader(b))
	req.Host = "localhost" // not an unknown host (httptest says example.com), which custom domain routing answers 404
	req.Header.Set("Content-Type", "application/json")
	res, err := e.App.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestVerifyAPI(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		e := webtest.New(t, d)
		c := issueOne(t, e, "uni")
		status, out := apiPost(t, e, "/api/v1/credentials/verify", map[string]any{"verifiableCredential": c.doc, "options": map[string]any{"client": "mobile_app", "whatever": 1}})
		if status != 200 || out["verified"] != true || !strings.Contains(toJSON(out["checks"]), `"signature"`) || toJSON(out["errors"]) != "[]" {
			t.Fatalf("valid: %d %v", status, out)
		}
		tampered := map[string]any{}
		json.Unmarshal(c.json, &tampered)
		tampered["credentialSubject"].(map[string]any)["degree"] = "Chemistry"
		status, out = apiPost(t, e, "/api/v1/credentials/verify", map[string]any{"verifiableCredential": tampered})
		if status != 400 || out["verified"] != false || !strings.Contains(toJSON(out["errors"]), "does not match") {
			t.Fatalf("tampered: %d %v", status, out)
		}
		if status, out := apiPost(t, e, "/api/v1/credentials/verify", `{"options":{}}`); status != 422 || out["title"] != "Missing credential" {
			t.Fatalf("missing: %d %v", status, out)
		}
		if status, _ := apiPost(t, e, "/api/v1/credentials/verify", `{"verifiableCredential":`); status != 400 {
			t.Fatalf("malformed: %d", status)
		}
		if status, _ := apiPost(t, e, "/api/v1/credentials/verify", `{"a":1,"a":2}`); status != 400 {
			t.Fatalf("duplicate keys: %d", status)
		}
		// Too many blank nodes to canonicalize safely: refused before any work.
		nested := `{"verifiableCredential":` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40) + `}`
		if status, out := apiPost(t, e, "/api/v1/credentials/verify", nested); status != 422 || out["title"] != "Too complex" {
			t.Fatalf("too deep: %d %v", status, out)
		}
		// A poison graph: eight identical blank nodes that all know each
		// other would take RDFC-1.0 minutes; it is refused at once, with
		// the reason, well inside the document limits.
		poison := map[string]any{}
		json.Unmarshal(c.json, &poison)
		poison["credentialSubject"] = webtest.PoisonSubject(8)
		status, out = apiPost(t, e, "/api/v1/credentials/verify", map[string]any{"verifiableCredential": poison})
		if status != 400 || out["verified"] != false || !strings.Contains(toJSON(out["errors"]), "reasonable time") {
			t.Fatalf("poison graph: %d %v", status, out)
		}
		if n := logCount(t, e, "verification_method = 'mobile_app' AND verdict = 'valid'"); n != 1 {
			t.Fatalf("%d mobile_app logs", n)
		}
	})
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPresentationAPI(t *testing.T) {
	e := webtest.New(t, store.SQLite)
	c := issueOne(t, e, "uni")
	pub, priv, _ := ed25519.GenerateKey(nil)
	holder, _ := vc.DIDKey(pub)
	vp := map[string]any{"@context": []any{vc.ContextCredentialsV2}, "type": []any{"VerifiablePresentation"},
		"holder": holder, "verifiableCredential": []any{c.doc}}
	b, _ := json.Marshal(vp)
	parsed, _ := vc.ParseJSON(b)
	signed, err := vc.SignRDFC(parsed.(map[string]any), vc.ProofOptions{VerificationMethod: holder + "#" + strings.TrimPrefix(holder, "did:key:"),
		ProofPurpose: "authentication", Challenge: "abc", Domain: "verifier.example"}, priv)
	if err != nil {
		t.Fatal(err)
	}
	status, out := apiPost(t, e, "/api/v1/presentations/verify", map[string]any{"verifiablePresentation": signed,
		"options": map[string]any{"challenge": "abc", "domain": "verifier.example"}})
	if status != 200 || out["verified"] != true || len(out["credentialResults"].([]any)) != 1 {
		t.Fatalf("signed: %d %v", status, out)
	}
	if status, out := apiPost(t, e, "/api/v1/presentations/verify", map[string]any{"verifiablePresentation": signed,
		"options": map[string]any{"challenge": "other"}}); status != 400 || !strings.Contains(toJSON(out["errors"]), "challenge") {
		t.Fatalf("wrong challenge: %d %v", status, out)
	}
	if status, _ := apiPost(t, e, "/api/v1/presentations/verify", map[string]any{"verifiablePresentation": vp}); status != 400 {
		t.Fatalf("unsigned without allowUnsigned: %d", status)
	}
	if status, _ := apiPost(t, e, "/api/v1/presentations/verify", map[string]any{"verifiablePresentation": vp,
		"options": map[string]any{"allowUnsigned": true}}); status != 200 {
		t.Fatalf("unsigned allowed: %d", status)
	}
}

// Public verification is rate-limited per IP, and the limit can be off.
func TestPublicRateLimit(t *testing.T) {
	e := webtest.New(t, store.SQLite, webtest.WithConfig(func(c *config.Config) { c.PublicRateLimit = 3 }))
	cl := e.Client()
	for i := range 3 {
		if r := cl.Get("/verify"); r.Status != 200 {
			t.Fatalf("request %d: %d", i, r.Status)
		}
	}
	if r := cl.Get("/verify"); r.Status != 429 {
		t.Fatalf("4th request: %d", r.Status)
	}
	// Other pages are not limited by it.
	if r := cl.Get("/login"); r.Status != 200 {
		t.Fatalf("login: %d", r.Status)
	}
}

// Without TRUSTCRED_OUTBOUND_ALLOW_PRIVATE, a did:web pointing at a
// loopback server is refused, with the reason on the page.
func TestForeignDIDWebSSRFGuard(t *testing.T) {
	e := webtest.New(t, store.SQLite)
	c := issueOne(t, e, "uni")
	foreign := map[string]any{}
	json.Unmarshal(c.json, &foreign)
	foreign["issuer"] = "did:web:127.0.0.1%3A9"
	proof := foreign["proof"].(map[string]any)
	proof["verificationMethod"] = "did:web:127.0.0.1%3A9#key-1"
	status, out := apiPost(t, e, "/api/v1/credentials/verify", map[string]any{"verifiableCredential": foreign})
	if status != 400 || !strings.Contains(toJSON(out["errors"]), "only https URLs are fetched") && !strings.Contains(toJSON(out["errors"]), "private") {
		t.Fatalf("%d %v", status, out)
	}
	_ = url.Values{}
}

func TestVerificationHistory(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		e := webtest.New(t, d)
		c := issueOne(t, e, "uni")
		anon := e.Client()
		anon.Get("/v/" + c.cred.PublicID)
		anon.Get("/v/" + c.cred.PublicID + "?via=qr")
		apiPost(t, e, "/api/v1/credentials/verify", map[string]any{"verifiableCredential": c.doc})
		if err := e.VerificationLogs.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		admin := e.Client()
		admin.Login(e.User(store.RoleIssuer, c.org))
		r := admin.Get("/verifications")
		if r.Status != 200 || strings.Count(r.Body, `data-testid="verification-row"`) != 3 || !strings.Contains(r.Body, `data-testid="count-valid">3<`) {
			t.Fatalf("history: %d %s", r.Status, r.Body)
		}
		// A check that could not be made (an outage) is counted and shown
		// as such, not as "not valid".
		if _, err := e.DB.SQL().Exec(`UPDATE verification_logs SET verdict = 'unavailable' WHERE verification_method = 'api'`); err != nil {
			t.Fatal(err)
		}
		r = admin.Get("/verifications?verdict=unavailable")
		if r.Status != 200 || strings.Count(r.Body, `data-testid="verification-row"`) != 1 || !strings.Contains(r.Body, `data-testid="count-unavailable">1<`) ||
			!strings.Contains(r.Body, `data-testid="count-invalid">0<`) || !strings.Contains(r.Body, `data-testid="verification-verdict">Could not check<`) {
			t.Fatalf("could-not-check filter: %d %s", r.Status, r.Body)
		}
		r = admin.Htmx("GET", "/verifications?method=qr_code", nil)
		if strings.Count(r.Body, `data-testid="verification-row"`) != 1 || strings.Contains(r.Body, "<html") {
			t.Fatalf("qr filter: %s", r.Body)
		}
		r = admin.Get("/verifications?credential=" + c.cred.PublicID + "&verdict=valid&from=2000-01-01")
		if strings.Count(r.Body, `data-testid="verification-row"`) != 2 {
			t.Fatalf("credential filter: %s", r.Body)
		}
		if r := admin.Get("/verifications?method=fax&from=yesterday"); r.Status != 422 || !strings.Contains(r.Body, "Choose a method") ||
			!strings.Contains(r.Body, "Enter a date") {
			t.Fatalf("bad filter: %d", r.Status)
		}
		// Another organization sees none of it, even with the public id.
		other := e.Client()
		other.Login(e.User(store.RoleAdmin, e.Org("other")))
		r = other.Get("/verifications?credential=" + c.cred.PublicID)
		if r.Status != 422 || strings.Contains(r.Body, `data-testid="verification-row"`) {
			t.Fatalf("other org: %d", r.Status)
		}
		if r := other.Get("/verifications"); strings.Contains(r.Body, `data-testid="verification-row"`) {
			t.Fatal("another organization sees the verifications")
		}
	})
}

// A presentation signed with eddsa-rdfc-2022 by Digital Bazaar's libraries
// (the stack most wallets use), holding one embedded credential, verifies
// through the API with its challenge and domain and through the /verify
// upload. Its embedded credential is a named graph (VC 2.0's @graph
// container), which TrustCred's canonicalization once left out.
func TestPresentationFromAnotherWallet(t *testing.T) {
	b, err := os.ReadFile("../internal/vc/testdata/interop-regressions/rdfc-vp-embedded-credential.json")
	if err != nil {
		t.Fatal(err)
	}
	var vp map[string]any
	if err := json.Unmarshal(b, &vp); err != nil {
		t.Fatal(err)
	}
	e := webtest.New(t, store.SQLite)
	status, out := apiPost(t, e, "/api/v1/presentations/verify", map[string]any{"verifiablePresentation": vp,
		"options": map[string]any{"challenge": "c-123", "domain": "verifier.example"}})
	if status != 200 || out["verified"] != true || len(out["credentialResults"].([]any)) != 1 {
		t.Fatalf("API: %d %v", status, out)
	}
	r := postMultipart(t, e, nil, b)
	if r.Status != 200 || !strings.Contains(r.Body, "Credential 1 in the presentation") || strings.Count(r.Body, `data-verdict="valid"`) != 2 ||
		strings.Contains(r.Body, `data-verdict="invalid"`) {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
}

// A @context that once crashed the JSON-LD processor ("@container": {}) is
// refused as a malformed document, through the API and the upload.
func TestVerifyMalformedContext(t *testing.T) {
	e := webtest.New(t, store.SQLite)
	doc := map[string]any{
		"@context": []any{vc.ContextCredentialsV2, map[string]any{"@version": 1.1, "grade": map[string]any{"@id": "urn:x:grade", "@container": map[string]any{}}}},
		"type":     []any{"VerifiableCredential"}, "issuer": "did:example:issuer",
		"credentialSubject": map[string]any{"id": "did:example:ada", "grade": "A"},
		"proof": map[string]any{"type": "DataIntegrityProof", "cryptosuite": vc.CryptosuiteRDFC, "proofPurpose": "assertionMethod",
			"verificationMethod": "did:key:z6MkrxqAcuPrKsezAyQT2Yp2bLhidKfos1ezAcv9vD4tP8GT#z6MkrxqAcuPrKsezAyQT2Yp2bLhidKfos1ezAcv9vD4tP8GT",
			"proofValue":         "z3xg7ku12gTVa6To9yWpTZoazZTsMNQcS58frqcdsMVv9WxzkN7C9qBF5qhu1CiAxhCcaAVmvfx3kr5B8n7No9T1W"},
	}
	status, out := apiPost(t, e, "/api/v1/credentials/verify", map[string]any{"verifiableCredential": doc})
	if status != 400 || out["verified"] != false || !strings.Contains(toJSON(out["errors"]), "The proof is malformed") {
		t.Fatalf("API: %d %v", status, out)
	}
	r := postMultipart(t, e, map[string]string{"credential": toJSON(doc)}, nil)
	if !strings.Contains(r.Body, `data-verdict="invalid"`) {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
}

// w3cAlumni is the W3C vc-di-eddsa test vector (eddsa-rdfc-2022): another
// issuer's credential, whose subject has no schema TrustCred knows.
const w3cAlumni = `{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],
"id":"urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33","type":["VerifiableCredential","AlumniCredential"],"name":"Alumni Credential",
"description":"A minimum viable example of an Alumni Credential.","issuer":"https://vc.example/issuers/5678","validFrom":"2023-01-01T00:00:00Z",
"credentialSubject":{"id":"did:example:abcdefgh","alumniOf":"The School of Examples"},
"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-rdfc-2022","created":"2023-02-24T23:36:38Z",
"verificationMethod":"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
"proofPurpose":"assertionMethod","proofValue":"z2YwC8z3ap7yx1nZYCg4L3j3ApHsF8kgPdSb5xoS1VR7vPG3F561B52hYnQF9iseabecm3ijx4K1FBTQsCZahKZme"}}`

// /verify shows what a person reads: the schema's field labels for one of
// our credentials (humanized names for anyone else's), and the issuer by
// its organization's name, the DID only beside it.
func TestVerifyResultIsReadable(t *testing.T) {
	e := webtest.New(t, store.SQLite)
	c := issueOne(t, e, "uni")
	r := postMultipart(t, e, map[string]string{"credential": string(c.json)}, nil)
	if r.Status != 200 || !r.Has("verify-result") {
		t.Fatalf("ours: %d", r.Status)
	}
	labels := regexp.MustCompile(`<dt[^>]*>([^<]*)</dt>`).FindAllStringSubmatch(r.Body, -1)
	var got []string
	for _, l := range labels {
		got = append(got, l[1])
	}
	for _, want := range []string{"Degree", "Date conferred"} {
		if !slices.Contains(got, want) {
			t.Errorf("no label %q among %q", want, got)
		}
	}
	for _, raw := range []string{"degree", "conferred", "type", "name"} {
		if slices.Contains(got, raw) {
			t.Errorf("the raw property name %q is a label", raw)
		}
	}
	if !strings.Contains(r.Body, "30 June 2026") {
		t.Error("the date is not shown as a date")
	}
	issuer := regexp.MustCompile(`(?s)data-testid="result-issuer-name"[^>]*>([^<]*)<`).FindStringSubmatch(r.Body)
	if issuer == nil || strings.TrimSpace(issuer[1]) != c.org.Name {
		t.Errorf("the issuer is not named %q: %v", c.org.Name, issuer)
	}
	if !r.Has("result-issuer-did") || !strings.Contains(r.Body, c.org.DID) {
		t.Error("the issuer's DID is not shown beside its name")
	}

	// Anyone else's: humanized names; the issuer is not named for it.
	r = postMultipart(t, e, map[string]string{"credential": w3cAlumni}, nil)
	if !r.Has("verify-result") || !strings.Contains(r.Body, ">Alumni of</dt>") || strings.Contains(r.Body, ">alumniOf</dt>") {
		t.Errorf("another issuer's subject is not labelled in words:\n%.4000s", r.Body)
	}
	if r.Has("result-issuer-name") && strings.Contains(between(r.Body, `data-testid="result-issuer-name"`, "</"), "Uni") {
		t.Error("another issuer's credential is named after one of ours")
	}
}
