package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func floatp(f float64) *float64 { return &f }
func intp(i int) *int           { return &i }

// degreeFields is a schema with one field of each type.
var degreeFields = []store.SchemaField{
	{Name: "degree", Label: "Degree", Type: store.SchemaFieldText, Required: true, Validation: store.ValidationRules{MaxLength: intp(100)}},
	{Name: "score", Label: "Final score", Type: store.SchemaFieldNumber, Validation: store.ValidationRules{Min: floatp(0), Max: floatp(100)}},
	{Name: "awarded", Label: "Awarded on", Type: store.SchemaFieldDate, Required: true},
	{Name: "contact", Label: "Contact email", Type: store.SchemaFieldEmail},
	{Name: "link", Label: "Transcript", Type: store.SchemaFieldURL},
	{Name: "grade", Label: "Grade", Type: store.SchemaFieldSelect, Options: []store.FieldOption{{Value: "first", Label: "First class"}, {Value: "second", Label: "Second class"}}},
	{Name: "honours", Label: "With honours", Type: store.SchemaFieldBoolean},
}

// degreeTemplate gives org an active schema and template ("BSc", default
// degree "Physics"), and an inactive one.
func degreeTemplate(t testing.TB, env *webtest.Env, org *store.Organization) *store.CredentialTemplate {
	t.Helper()
	def, err := credschema.Build("Degree", degreeFields)
	if err != nil {
		t.Fatal(err)
	}
	d := env.DB.Dialect()
	fields, _ := json.Marshal(degreeFields)
	td, _ := json.Marshal(store.TemplateData{Kind: store.TemplateDiploma, Defaults: map[string]string{"degree": "Physics"},
		Display: store.TemplateDisplay{Title: "Bachelor of Science"}})
	now := time.Now().UTC()
	schemaID, tplID, oldID := uuid.NewString(), uuid.NewString(), uuid.NewString()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := env.DB.SQL().Exec(storetest.Rebind(d, q), args...); err != nil {
			t.Fatal(err)
		}
	}
	exec("INSERT INTO credential_schemas (id, name, version, organization_id, schema_definition, fields, active, created_at, updated_at) VALUES (?, 'Degree', '1', ?, ?, ?, ?, ?, ?)",
		schemaID, org.ID, string(def), string(fields), true, now, now)
	exec("INSERT INTO credential_templates (id, name, description, organization_id, schema_id, template_data, is_public, active, created_at, updated_at) VALUES (?, 'BSc', 'Bachelor of Science', ?, ?, ?, ?, ?, ?, ?)",
		tplID, org.ID, schemaID, string(td), false, true, now, now)
	exec("INSERT INTO credential_templates (id, name, organization_id, schema_id, template_data, is_public, active, created_at, updated_at) VALUES (?, 'Old diploma', ?, ?, '{}', ?, ?, ?, ?)",
		oldID, org.ID, schemaID, false, false, now, now)
	tpl, err := env.DB.Scoped(org.ID).IssuableTemplate(context.Background(), tplID)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func testIssuer(env *webtest.Env) *issuance.Issuer {
	return &issuance.Issuer{DB: env.DB, Keys: env.Keys, BaseURL: env.Config.BaseURL}
}

// issueDegree issues a credential of tpl as the test setup (ViaSystem).
func issueDegree(t testing.TB, env *webtest.Env, org *store.Organization, tpl *store.CredentialTemplate, name, email string) *store.Credential {
	t.Helper()
	is, err := testIssuer(env).Submit(context.Background(), env.DB.Scoped(org.ID), issuance.Request{Template: tpl, RecipientName: name,
		RecipientAddress: email, Data: map[string]any{"degree": "Chemistry", "awarded": "2024-06-30", "grade": "first", "honours": true}},
		store.ViaSystem, "", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	return is.Credential
}

// Every credentials and keys route, for every role: readers (org.view:
// admin, issuer, reviewer), issuers, revokers, key managers; verifiers and
// recipients are refused, platform operators have no organization (404),
// and org B's admin gets 404 on A's credentials.
func TestCredentialsRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		tpl := degreeTemplate(t, env, a)
		cr := issueDegree(t, env, a, tpl, "Ada Lovelace", "ada@example.org")
		clients := env.RoleClients(a, b)
		table := func(m map[string]int, def int) map[string]int {
			out := map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: def, webtest.AsIssuer: def, webtest.AsReviewer: def, webtest.AsVerifier: 403, webtest.AsRecipient: 403,
				webtest.AsAnonymous: 303, webtest.AsOtherAdmin: def}
			for k, v := range m {
				out[k] = v
			}
			return out
		}
		cid := "/credentials/" + cr.ID
		valid := url.Values{"template_id": {tpl.ID}, "recipient_name": {"Grace Hopper"}, "recipient_address": {"grace@example.org"},
			"data.degree": {"Maths"}, "data.awarded": {"2024-07-01"}}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/credentials", Want: table(nil, 200)},
			{Method: "GET", Path: cid, Want: table(map[string]int{webtest.AsOtherAdmin: 404}, 200)},
			{Method: "GET", Path: "/credentials/not-an-id", Want: table(map[string]int{webtest.AsOtherAdmin: 404}, 404)},
			{Method: "GET", Path: cid + "/credential.json", Want: table(map[string]int{webtest.AsOtherAdmin: 404}, 200)},
			{Method: "GET", Path: "/credentials/issue", Want: table(map[string]int{webtest.AsReviewer: 403}, 200)},
			// Org B's admin posts A's template: not one of B's, so the form says so.
			{Method: "POST", Path: "/credentials/issue/preview", Form: valid, Want: table(map[string]int{webtest.AsReviewer: 403, webtest.AsOtherAdmin: 422}, 200)},
			{Method: "GET", Path: cid + "/revoke", Want: table(map[string]int{webtest.AsReviewer: 403, webtest.AsOtherAdmin: 404}, 200)},
			{Method: "GET", Path: cid + "/suspend", Want: table(map[string]int{webtest.AsReviewer: 403, webtest.AsOtherAdmin: 404}, 200)},
			{Method: "GET", Path: cid + "/unsuspend", Want: table(map[string]int{webtest.AsReviewer: 403, webtest.AsOtherAdmin: 404}, 200)},
			// A revocation without a reason, and an unsuspension of an active
			// credential, change nothing: 422 for whoever may try.
			{Method: "POST", Path: cid + "/revoke", Htmx: true, Want: table(map[string]int{webtest.AsReviewer: 403, webtest.AsOtherAdmin: 404, webtest.AsAnonymous: 204}, 422)},
			{Method: "POST", Path: cid + "/unsuspend", Htmx: true, Want: table(map[string]int{webtest.AsReviewer: 403, webtest.AsOtherAdmin: 404, webtest.AsAnonymous: 204}, 422)},
			{Method: "GET", Path: "/settings/keys", Want: table(map[string]int{webtest.AsIssuer: 403, webtest.AsReviewer: 403}, 200)},
			{Method: "POST", Path: "/settings/keys/rotate", Want: table(map[string]int{webtest.AsIssuer: 403, webtest.AsReviewer: 403}, 422)},
			{Method: "POST", Path: "/settings/keys/method", Form: url.Values{"method": {"key"}},
				Want: table(map[string]int{webtest.AsIssuer: 403, webtest.AsReviewer: 403}, 422)},
		})
		// POST /credentials/issue: issuers of A issue; B's admin cannot use A's template.
		for who, want := range map[string]int{webtest.AsAdmin: 303, webtest.AsIssuer: 303, webtest.AsReviewer: 403, webtest.AsVerifier: 403, webtest.AsRecipient: 403,
			webtest.AsSuperAdmin: 404, webtest.AsOtherAdmin: 422, webtest.AsAnonymous: 303} {
			form := url.Values{}
			for k, v := range valid {
				form[k] = v
			}
			if r := clients[who].Post("/credentials/issue", form); r.Status != want {
				t.Errorf("POST /credentials/issue as %s: %d, want %d\n%.300s", who, r.Status, want, r.Body)
			}
		}
		l, err := env.DB.Scoped(a.ID).Credentials(context.Background(), store.CredentialFilter{}, store.CredentialPage{})
		if err != nil || len(l.Entries) != 3 {
			t.Errorf("org A has %d credentials (%v), want 3", len(l.Entries), err)
		}
		if l, _ := env.DB.Scoped(b.ID).Credentials(context.Background(), store.CredentialFilter{}, store.CredentialPage{}); len(l.Entries) != 0 {
			t.Errorf("org B has %d credentials", len(l.Entries))
		}
		// Nothing was revoked or suspended by the table.
		if got, _ := env.DB.Scoped(a.ID).Credential(context.Background(), cr.ID); got.Status != store.CredentialActive {
			t.Errorf("status %s", got.Status)
		}
		// The navigation offers what each role may open.
		for who, want := range map[string][2]bool{webtest.AsAdmin: {true, true}, webtest.AsIssuer: {true, true}, webtest.AsReviewer: {true, false}, webtest.AsVerifier: {false, false}} {
			body := clients[who].Get("/account").Body
			if strings.Contains(body, `href="/credentials"`) != want[0] || strings.Contains(body, `href="/credentials/issue"`) != want[1] {
				t.Errorf("%s: nav links credentials/issue = %v, want %v", who, []bool{strings.Contains(body, `href="/credentials"`), strings.Contains(body, `href="/credentials/issue"`)}, want)
			}
		}
	})
}

// The form has an input of the right type for each schema field, required
// marks and the template's defaults; every invalid field gets its own
// message (422); the preview shows the exact unsigned credential; issuing
// goes to the credential's page, where the values are shown with the
// schema's labels.
func TestIssueCredentialForm(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		tpl := degreeTemplate(t, env, a)
		cl := env.Client()
		cl.Login(env.User(store.RoleIssuer, a))

		r := cl.Get("/credentials/issue")
		if r.Status != 200 || !r.Has("issue-form") { // the only active template is chosen
			t.Fatalf("form: %d\n%.500s", r.Status, r.Body)
		}
		if strings.Contains(r.Body, "Old diploma") {
			t.Error("an inactive template is offered")
		}
		for _, want := range []string{
			`name="data.degree" type="text" value="Physics" required`, `name="data.score" type="number"`, `min="0"`, `max="100"`,
			`name="data.awarded" type="date"`, `name="data.contact" type="email"`, `name="data.link" type="url"`,
			`name="data.honours" type="checkbox"`, `<select id="f-data.grade" name="data.grade"`, `value="first"`, `>First class<`,
			`name="recipient_address"`, `name="expires" type="date"`,
		} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("the form lacks %s", want)
			}
		}
		if strings.Count(r.Body, "(required)") != 4 { // name, address, degree, awarded
			t.Errorf("%d required marks, want 4", strings.Count(r.Body, "(required)"))
		}
		// htmx: choosing the template reloads the section only.
		if r := cl.Htmx("GET", "/credentials/issue?template="+tpl.ID, nil); r.Status != 200 || strings.Contains(r.Body, "<html") || !r.Has("issue-form") {
			t.Errorf("htmx reload: %d", r.Status)
		}
		if r := cl.Get("/credentials/issue?template=" + a.ID); r.Status != 422 || !r.Has("form-error") {
			t.Errorf("unknown template: %d", r.Status)
		}

		bad := url.Values{"template_id": {tpl.ID}, "recipient_name": {""}, "recipient_address": {"not an address"},
			"expires": {time.Now().UTC().Format(time.DateOnly)}, "data.degree": {""}, "data.score": {"101"}, "data.awarded": {"30/06/2024"},
			"data.contact": {"nobody"}, "data.link": {"not a url"}, "data.grade": {"third"}}
		r = cl.Post("/credentials/issue/preview", bad)
		if r.Status != 422 {
			t.Fatalf("invalid form: %d", r.Status)
		}
		for _, field := range []string{"recipient_name", "recipient_address", "expires", "data.degree", "data.score", "data.awarded",
			"data.contact", "data.link", "data.grade"} {
			if !r.Has("error-" + field) {
				t.Errorf("no error next to %s", field)
			}
		}
		if !strings.Contains(r.Body, "Degree is required.") || !strings.Contains(r.Body, `value="not an address"`) {
			t.Error("the messages name the field, and the values typed are kept")
		}
		if r := cl.Post("/credentials/issue", bad); r.Status != 422 || !r.Has("error-data.score") {
			t.Errorf("issue with invalid values: %d", r.Status)
		}
		if r := cl.Post("/credentials/issue", url.Values{"template_id": {tpl.ID}, "recipient_name": {"X"},
			"recipient_address": {"did:nope"}, "data.degree": {"x"}, "data.awarded": {"2024-01-01"}}); r.Status != 422 || !r.Has("error-recipient_address") {
			t.Errorf("a malformed DID: %d", r.Status)
		}

		expires := time.Now().UTC().AddDate(1, 0, 0).Format(time.DateOnly)
		good := url.Values{"template_id": {tpl.ID}, "recipient_name": {"Ada Lovelace"}, "recipient_address": {"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"},
			"expires": {expires}, "data.degree": {"Mathematics"}, "data.score": {"97.5"}, "data.awarded": {"2024-06-30"},
			"data.contact": {"ada@example.org"}, "data.link": {"https://example.org/t/1"}, "data.grade": {"First class"}, "data.honours": {"true"}}
		r = cl.Post("/credentials/issue/preview", good)
		if r.Status != 200 || !r.Has("issue-preview") || !r.Has("issue-sign") {
			t.Fatalf("preview: %d\n%.800s", r.Status, r.Body)
		}
		pre := regexp.MustCompile(`(?s)data-testid="issue-preview">(.*?)</pre>`).FindStringSubmatch(r.Body)
		if pre == nil {
			t.Fatal("no preview")
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(unescapeHTML(pre[1])), &doc); err != nil {
			t.Fatalf("the preview is not JSON: %v\n%s", err, pre[1])
		}
		subj := doc["credentialSubject"].(map[string]any)
		if subj["degree"] != "Mathematics" || subj["score"] != 97.5 || subj["grade"] != "first" || subj["honours"] != true ||
			subj["id"] != good.Get("recipient_address") || subj["name"] != "Ada Lovelace" || doc["proof"] != nil ||
			!strings.HasPrefix(doc["validUntil"].(string), expires) {
			t.Errorf("preview document %v", doc)
		}
		if _, err := vc.CanonicalizeRDFC(doc); err != nil {
			t.Errorf("the preview would not sign: %v", err)
		}

		r = cl.Post("/credentials/issue", good)
		if r.Status != 303 || !strings.HasPrefix(r.Location(), "/credentials/") {
			t.Fatalf("issue: %d %s\n%.500s", r.Status, r.Location(), r.Body)
		}
		credID := strings.TrimPrefix(r.Location(), "/credentials/")
		r = cl.Get(r.Location())
		if r.Status != 200 || !r.Has("credential-page") || !strings.Contains(r.Body, "Issued and signed") {
			t.Fatalf("detail: %d", r.Status)
		}
		// The recipient's email (with the link) is queued for the job that sends it.
		var queued int
		if err := env.DB.SQL().QueryRow("SELECT count(*) FROM river_job WHERE kind = 'credential_email'").Scan(&queued); err != nil || queued != 1 {
			t.Errorf("%d credential_email jobs for %s (%v)", queued, credID, err)
		}
		for _, want := range []string{"Bachelor of Science", "Ada Lovelace", "Final score", "97.5", "First class", "With honours",
			"eddsa-rdfc-2022", env.Config.BaseURL + "/v/", "badge-active", `aria-current="page"`, "credential-tab-json"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("the detail page lacks %q", want)
			}
		}
		// The signed JSON is one click away, on its own tab: the page a
		// person opens first shows the credential as they read it.
		if r.Has("credential-json") {
			t.Error("the credential tab shows the raw JSON")
		}
		js := cl.Get("/credentials/" + credID + "?view=json")
		if js.Status != 200 || !js.Has("credential-json") || !strings.Contains(js.Body, "DataIntegrityProof") ||
			js.Has("credential-facts") || !strings.Contains(js.Body, `aria-current="page" class="inline-flex whitespace-nowrap border-b-2 border-brand-700 px-1 py-2 font-medium text-brand-800" data-testid="credential-tab-json"`) {
			t.Errorf("the Signed JSON tab: %d, JSON shown %v", js.Status, js.Has("credential-json"))
		}
	})
}

func unescapeHTML(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&lt;", "<", "&gt;", ">", "&#39;", "'", "&amp;", "&").Replace(s)
}

// Revoke, suspend and unsuspend from the detail page: htmx swaps the status
// section; a missing reason and a change the status does not allow are 422
// with the message; without JavaScript the confirmation is a page and the
// change redirects.
func TestCredentialStatusActions(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		tpl := degreeTemplate(t, env, a)
		cr := issueDegree(t, env, a, tpl, "Ada", "ada@example.org")
		cl := env.Client()
		cl.Login(env.User(store.RoleIssuer, a))
		base := "/credentials/" + cr.ID

		if r := cl.Htmx("GET", base+"/suspend", nil); r.Status != 200 || !r.Has("credential-confirm-form") || strings.Contains(r.Body, "<html") {
			t.Fatalf("confirm (htmx): %d", r.Status)
		}
		r := cl.Htmx("POST", base+"/suspend", url.Values{})
		if r.Status != 200 || !r.Has("badge-suspended") || !r.Has("status-notice") || !r.Has("credential-unsuspend") {
			t.Fatalf("suspend: %d\n%.500s", r.Status, r.Body)
		}
		if r := cl.Htmx("POST", base+"/suspend", url.Values{}); r.Status != 422 || !r.Has("status-error") ||
			!strings.Contains(r.Body, "already suspended") || !r.Has("badge-suspended") {
			t.Errorf("suspend twice: %d\n%.500s", r.Status, r.Body)
		}
		if r := cl.Htmx("POST", base+"/unsuspend", url.Values{"reason": {"Paid"}}); r.Status != 200 || !r.Has("badge-active") {
			t.Errorf("unsuspend: %d", r.Status)
		}
		if r := cl.Htmx("POST", base+"/revoke", url.Values{"reason": {"  "}}); r.Status != 422 || !r.Has("error-reason") {
			t.Errorf("revoke without a reason: %d", r.Status)
		}
		if r := cl.Htmx("POST", base+"/revoke", url.Values{"reason": {"Issued in error"}}); r.Status != 200 || !r.Has("badge-revoked") ||
			!strings.Contains(r.Body, "Issued in error") || r.Has("credential-suspend") || r.Has("credential-revoke") {
			t.Errorf("revoke: %d\n%.500s", r.Status, r.Body)
		}
		if r := cl.Htmx("POST", base+"/revoke", url.Values{"reason": {"Again"}}); r.Status != 422 || !strings.Contains(r.Body, "revocation is permanent") {
			t.Errorf("revoke twice: %d", r.Status)
		}
		// Without JavaScript: a page, a redirect, a refusal on the page.
		cr2 := issueDegree(t, env, a, tpl, "Bob", "bob@example.org")
		base2 := "/credentials/" + cr2.ID
		if r := cl.Get(base2 + "/revoke"); r.Status != 200 || !r.Has("credential-confirm-page") {
			t.Errorf("confirm page: %d", r.Status)
		}
		if r := cl.Post(base2+"/suspend", url.Values{"reason": {"Audit"}}); r.Status != 303 || r.Location() != base2 {
			t.Errorf("suspend (no JS): %d %s", r.Status, r.Location())
		}
		if r := cl.Post(base2+"/suspend", url.Values{}); r.Status != 422 || !r.Has("credential-confirm-page") || !r.Has("form-error") {
			t.Errorf("suspend twice (no JS): %d", r.Status)
		}
		page := cl.Get(base2)
		if !page.Has("badge-suspended") || strings.Count(page.Body, `data-testid="history-entry"`) != 2 || !strings.Contains(page.Body, "Audit") {
			t.Errorf("history after suspension:\n%.300s", page.Body)
		}
		got, _ := env.DB.Scoped(a.ID).Credential(context.Background(), cr.ID)
		if got.Status != store.CredentialRevoked || got.RevocationReason == nil || *got.RevocationReason != "Issued in error" {
			t.Errorf("stored: %s %v", got.Status, got.RevocationReason)
		}
		// The verification count.
		for range 2 {
			if err := env.DB.SQL().QueryRow(storetest.Rebind(env.DB.Dialect(), "INSERT INTO verification_logs (id, credential_id, verification_result, verification_method, verified_at) VALUES (?, ?, '{}', 'api', ?) RETURNING id"), uuid.NewString(), cr.ID, time.Now().UTC()).Scan(new(string)); err != nil {
				t.Fatal(err)
			}
		}
		if r := cl.Get(base); !strings.Contains(r.Body, "2 times") {
			t.Error("the verification count is not shown")
		}
	})
}

// The list filters by status, template and recipient; htmx gets the
// results alone; a value the form does not offer is 422. The download is
// the signed credential as an attachment.
func TestCredentialsListAndDownload(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		tpl := degreeTemplate(t, env, a)
		ada := issueDegree(t, env, a, tpl, "Ada Lovelace", "ada@example.org")
		bob := issueDegree(t, env, a, tpl, "Bob Builder", "bob@example.org")
		if _, err := env.DB.Scoped(a.ID).ChangeCredentialStatus(context.Background(), bob.ID, store.ActionRevoke, "Wrong", store.ViaSystem, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		cl := env.Client()
		cl.Login(env.User(store.RoleReviewer, a))
		r := cl.Get("/credentials")
		if r.Status != 200 || strings.Count(r.Body, `data-testid="credential-row"`) != 2 || r.Has("credentials-issue-link") {
			t.Fatalf("list: %d", r.Status)
		}
		if r := cl.Htmx("GET", "/credentials?status=revoked", nil); r.Status != 200 || strings.Contains(r.Body, "<html") ||
			!strings.Contains(r.Body, bob.ID) || strings.Contains(r.Body, ada.ID) {
			t.Errorf("revoked filter: %d", r.Status)
		}
		if r := cl.Get("/credentials?recipient=LOVELACE&template=" + tpl.ID); !strings.Contains(r.Body, ada.ID) || strings.Contains(r.Body, bob.ID) {
			t.Error("recipient search")
		}
		today := time.Now().UTC().Format(time.DateOnly)
		if r := cl.Get("/credentials?from=" + today + "&to=" + today); strings.Count(r.Body, `data-testid="credential-row"`) != 2 {
			t.Error("today's credentials")
		}
		for _, q := range []string{"status=gone", "template=" + ada.ID, "from=yesterday", "after=bogus", "from=2025-02-02&to=2025-02-01"} {
			if r := cl.Get("/credentials?" + q); r.Status != 422 {
				t.Errorf("%s: %d", q, r.Status)
			}
		}
		r = cl.Get("/credentials/" + ada.ID + "/credential.json")
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/vc+ld+json") ||
			!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment;") || !strings.Contains(r.Header.Get("Content-Disposition"), ada.PublicID) {
			t.Fatalf("download: %d %v", r.Status, r.Header)
		}
		want, err := testIssuer(env).SignedDocument(ada)
		if err != nil || r.Body != string(want) {
			t.Errorf("the download is not the signed document (%v)", err)
		}
	})
}

// Keys: rotation and the DID method switch need the box ticked; a rotation
// retires the old key; an organization under did:key keeps its DID when its
// slug changes. Approving an organization makes its key.
func TestSigningKeysPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))
		ctx := context.Background()
		sc := env.DB.Scoped(a.ID)
		if r := cl.Get("/settings/keys"); r.Status != 200 || !r.Has("keys-empty") || !strings.Contains(r.Body, "/orgs/acme/did.json") {
			t.Fatalf("keys page: %d", r.Status)
		}
		if r := cl.Post("/settings/keys/rotate", url.Values{}); r.Status != 422 || !r.Has("error-confirm-rotate") {
			t.Errorf("rotate without confirmation: %d", r.Status)
		}
		for range 2 {
			if r := cl.Post("/settings/keys/rotate", url.Values{"confirm": {"yes"}}); r.Status != 303 {
				t.Fatalf("rotate: %d", r.Status)
			}
		}
		keys, _ := sc.SigningKeys(ctx)
		active := 0
		for _, k := range keys {
			if k.Status == store.KeyActive {
				active++
			}
		}
		if len(keys) != 2 || active != 1 {
			t.Errorf("%d keys, %d active", len(keys), active)
		}
		if r := cl.Get("/settings/keys"); strings.Count(r.Body, `data-testid="key-row"`) != 2 || !strings.Contains(r.Body, keys[0].PublicKeyMultibase) {
			t.Error("the page does not list both keys")
		}
		if r := cl.Post("/settings/keys/method", url.Values{"method": {"key"}}); r.Status != 422 || !r.Has("error-confirm-method") {
			t.Errorf("switch without confirmation: %d", r.Status)
		}
		if r := cl.Post("/settings/keys/method", url.Values{"method": {"key"}, "confirm": {"yes"}}); r.Status != 303 {
			t.Fatalf("switch: %d", r.Status)
		}
		org, _ := sc.Organization(ctx)
		if org.DIDMethod != store.DIDKey || !strings.HasPrefix(org.DID, "did:key:") {
			t.Fatalf("after the switch: %s %s", org.DIDMethod, org.DID)
		}
		// A new slug does not touch a did:key.
		profile := url.Values{"name": {org.Name}, "slug": {"acme-two"}, "type": {string(org.Type)}, "domain": {"acme.example"}}
		if r := cl.Post("/settings/profile", profile); r.Status != 303 && r.Status != 200 {
			t.Fatalf("profile: %d\n%.500s", r.Status, r.Body)
		}
		after, _ := sc.Organization(ctx)
		if after.Slug != "acme-two" || after.DID != org.DID {
			t.Errorf("after the slug change: %s %s, want the DID %s kept", after.Slug, after.DID, org.DID)
		}
		// Back to did:web: the DID follows the new slug.
		if r := cl.Post("/settings/keys/method", url.Values{"method": {"web"}, "confirm": {"yes"}}); r.Status != 303 {
			t.Fatalf("switch back: %d", r.Status)
		}
		if o, _ := sc.Organization(ctx); o.DIDMethod != store.DIDWeb || !strings.HasSuffix(o.DID, ":orgs:acme-two") {
			t.Errorf("did:web again: %s", o.DID)
		}

		// The platform operator approves a pending organization: it gets its key.
		pending := &store.Organization{Name: "Pending Org", Slug: "pending-org", Type: store.OrganizationCorporate, Status: store.OrganizationPending,
			DID: "did:web:localhost%3A8080:orgs:pending-org"}
		if err := env.DB.CreateOrganization(ctx, pending, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		op := env.Client()
		op.Login(env.User(store.RoleSuperAdmin, nil))
		if r := op.Post("/admin/organizations/"+pending.ID+"/approve", url.Values{}); r.Status != 303 {
			t.Fatalf("approve: %d", r.Status)
		}
		if k, err := env.DB.Scoped(pending.ID).ActiveSigningKey(ctx); err != nil || k.PublicKeyMultibase == "" {
			t.Errorf("no key after approval: %v", err)
		}
	})
}

// After issuing, the credential's page says whether the recipient was
// emailed: queued, not sent because email is not configured, or not sent
// because the recipient is a DID without an email address.
func TestIssueSaysWhetherTheRecipientWasEmailed(t *testing.T) {
	for _, tc := range []struct {
		name, address string
		mailer        mail.Mailer
		want          string
	}{
		{"queued", "ada@example.org", nil, "An email with the credential's link is on its way to ada@example.org."},
		{"no SMTP", "ada@example.org", mail.Unconfigured{}, "No email was sent to ada@example.org: email is not configured on this server."},
		{"a DID", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", nil, "No email was sent: the recipient is a DID, without an email address."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []webtest.Option
			if tc.mailer != nil {
				opts = append(opts, webtest.WithMailer(tc.mailer))
			}
			env := webtest.New(t, store.SQLite, opts...)
			a := env.Org("acme")
			tpl := degreeTemplate(t, env, a)
			cl := env.Client()
			cl.Login(env.User(store.RoleIssuer, a))
			r := cl.Post("/credentials/issue", url.Values{"template_id": {tpl.ID}, "recipient_name": {"Ada Lovelace"},
				"recipient_address": {tc.address}, "data.degree": {"Mathematics"}, "data.awarded": {"2024-06-30"}})
			if r.Status != 303 {
				t.Fatalf("issue: %d\n%.500s", r.Status, r.Body)
			}
			page := cl.Get(r.Location())
			if !strings.Contains(unescapeHTML(page.Body), tc.want) {
				t.Errorf("the page does not say %q:\n%.3000s", tc.want, page.Body)
			}
		})
	}
}

// The issue preview shows the credential as the recipient and verifiers
// will see it (the public page's human view: title, issuer, recipient,
// each field by its label and value as a person reads it), with the
// JSON-LD one click away (a closed <details>) rather than in front.
func TestIssuePreviewIsHumanReadable(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	a := env.Org("acme")
	tpl := degreeTemplate(t, env, a)
	cl := env.Client()
	cl.Login(env.User(store.RoleIssuer, a))
	r := cl.Post("/credentials/issue/preview", url.Values{"template_id": {tpl.ID}, "recipient_name": {"Ada Lovelace"},
		"recipient_address": {"ada@example.org"}, "data.degree": {"Mathematics"}, "data.awarded": {"2024-06-30"},
		"data.grade": {"first"}, "data.honours": {"true"}})
	if r.Status != 200 || !r.Has("issue-preview-human") || !r.Has("credential-human") {
		t.Fatalf("preview: %d\n%.3000s", r.Status, r.Body)
	}
	human := between(r.Body, `data-testid="issue-preview-human"`, `<details`)
	for _, want := range []string{"Bachelor of Science", "Acme Org", "Ada Lovelace", "Degree", "Mathematics", "Awarded on", "30 June 2024",
		"Grade", "First class", "With honours", "Yes"} {
		if !strings.Contains(human, want) {
			t.Errorf("the human preview lacks %q", want)
		}
	}
	for _, raw := range []string{"credentialSubject", "@context", `"awarded"`} {
		if strings.Contains(human, raw) {
			t.Errorf("the human preview shows the raw %s", raw)
		}
	}
	if !regexp.MustCompile(`(?s)<details[^>]*data-testid="issue-preview-json"[^>]*>\s*<summary[^>]*>.*?</summary>.*?data-testid="issue-preview"`).MatchString(r.Body) {
		t.Error("the JSON-LD is not behind a <details> summary")
	}
	if regexp.MustCompile(`<details[^>]*data-testid="issue-preview-json"[^>]*\bopen\b`).MatchString(r.Body) {
		t.Error("the JSON-LD <details> is open by default")
	}
}

// A brand-new organization's credentials page shows how to issue the
// first credential, not a filter form over "No credentials match"; once
// a filter is applied (a bookmarked link) the form is there to change it.
func TestCredentialsListOfANewOrganization(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("fresh")
		issuer := env.Client()
		issuer.Login(env.User(store.RoleIssuer, a))
		r := issuer.Get("/credentials")
		if r.Status != 200 || !r.Has("credentials-blank") || r.Has("credentials-filters") || r.Has("credentials-table") ||
			!strings.Contains(r.Body, `href="/credentials/issue" class="mt-4`) {
			t.Fatalf("blank list for an issuer: %d\n%s", r.Status, r.Body)
		}
		reviewer := env.Client()
		reviewer.Login(env.User(store.RoleReviewer, a))
		if r := reviewer.Get("/credentials"); !r.Has("credentials-blank") || r.Has("empty-action") {
			t.Errorf("a reviewer, who cannot issue, is offered to: %s", r.Body)
		}
		r = issuer.Get("/credentials?status=revoked")
		if r.Status != 200 || !r.Has("credentials-filters") || !r.Has("credentials-empty") || r.Has("credentials-blank") {
			t.Errorf("filtered empty list: %d", r.Status)
		}
	})
}
