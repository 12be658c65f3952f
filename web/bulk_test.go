package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"html"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/bulk"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// bulkTemplate adds an active schema (degree: text, required; gpa: number
// 0–4) and a template to an organization, and returns the template's id.
func bulkTemplate(t *testing.T, env *webtest.Env, org *store.Organization) string {
	t.Helper()
	schemaID, tplID := uuid.NewString(), uuid.NewString()
	fields := `[{"name":"degree","label":"Degree","type":"text","required":true},` +
		`{"name":"gpa","label":"GPA","type":"number","validation":{"min":0,"max":4}}]`
	d := env.DB.Dialect()
	if _, err := env.DB.SQL().Exec(storetest.Rebind(d, "INSERT INTO credential_schemas (id, name, version, organization_id, fields) VALUES (?, ?, ?, ?, ?)"),
		schemaID, "Degree", "1", org.ID, fields); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.SQL().Exec(storetest.Rebind(d, "INSERT INTO credential_templates (id, name, organization_id, schema_id, template_data) VALUES (?, ?, ?, ?, ?)"),
		tplID, "BSc Physics", org.ID, schemaID, `{"kind":"diploma"}`); err != nil {
		t.Fatal(err)
	}
	return tplID
}

const bulkFile = "Recipient Name,Recipient Email,Degree,GPA\n" +
	"Ada Lovelace,ada@example.org,Physics,3.9\n" +
	"Bob,not-an-email,Physics,5\n" +
	"Cleo,cleo@example.org,Chemistry,\n" +
	"Dan,did:web:dan.example,,abc\n" +
	"Eve,eve@example.org,Maths,4\n"

// upload pastes a file for a template and returns the new batch's id.
func upload(t *testing.T, cl *webtest.Client, tplID, text string) string {
	t.Helper()
	r := cl.Post("/credentials/bulk", url.Values{"template": {tplID}, "text": {text}})
	m := regexp.MustCompile(`^/credentials/bulk/([0-9a-f-]{36})/review$`).FindStringSubmatch(r.Location())
	if r.Status != 303 || m == nil {
		t.Fatalf("upload: %d %s\n%.600s", r.Status, r.Location(), r.Body)
	}
	return m[1]
}

// runBatch works a queued batch to the end, as the bulk_issue job does.
func runBatch(t *testing.T, env *webtest.Env, org *store.Organization, batchID string) {
	t.Helper()
	w := &bulk.Worker{DB: env.DB, Issuer: &issuance.Issuer{DB: env.DB, Keys: env.Keys, BaseURL: env.Config.BaseURL}, Log: env.Log}
	if done, err := w.Run(context.Background(), bulk.Job{BatchID: batchID, OrganizationID: org.ID}); err != nil || !done {
		t.Fatalf("bulk issue: %v %v", done, err)
	}
}

// Every bulk route for every role; another organization's batch is 404.
func TestBulkRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		tplA := bulkTemplate(t, env, a)
		bulkTemplate(t, env, b)
		clients := env.RoleClients(a, b)
		batch := upload(t, clients[webtest.AsAdmin], tplA, bulkFile)
		toCancel := upload(t, clients[webtest.AsAdmin], tplA, bulkFile)
		issuers := func(m map[string]int) map[string]int {
			out := map[string]int{webtest.AsSuperAdmin: 404, webtest.AsReviewer: 403, webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303}
			for k, v := range m {
				out[k] = v
			}
			return out
		}
		base := "/credentials/bulk/" + batch
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/credentials/bulk", Want: issuers(map[string]int{webtest.AsAdmin: 200, webtest.AsIssuer: 200, webtest.AsOtherAdmin: 200})},
			{Method: "GET", Path: "/credentials/bulk/new", Want: issuers(map[string]int{webtest.AsAdmin: 200, webtest.AsIssuer: 200, webtest.AsOtherAdmin: 200})},
			{Method: "GET", Path: "/credentials/bulk/template.csv?template=" + tplA, Want: issuers(map[string]int{webtest.AsAdmin: 200, webtest.AsIssuer: 200, webtest.AsOtherAdmin: 404})},
			{Method: "GET", Path: "/credentials/bulk/template.csv", Want: issuers(map[string]int{webtest.AsAdmin: 404, webtest.AsIssuer: 404, webtest.AsOtherAdmin: 404})},
			// Org B's admin cannot upload against A's template: it is not in the list.
			{Method: "POST", Path: "/credentials/bulk", Form: url.Values{"template": {tplA}, "text": {bulkFile}},
				Want: issuers(map[string]int{webtest.AsAdmin: 303, webtest.AsIssuer: 303, webtest.AsOtherAdmin: 422})},
			{Method: "GET", Path: base + "/review", Want: issuers(map[string]int{webtest.AsAdmin: 200, webtest.AsIssuer: 200, webtest.AsOtherAdmin: 404})},
			{Method: "GET", Path: base, Want: issuers(map[string]int{webtest.AsAdmin: 303, webtest.AsIssuer: 303, webtest.AsOtherAdmin: 404})},
			{Method: "POST", Path: base + "/mapping", Htmx: true, Form: url.Values{"map_recipient_name": {"Recipient Name"}, "map_recipient_address": {"Recipient Email"}, "map_degree": {"Degree"}},
				Want: issuers(map[string]int{webtest.AsAdmin: 200, webtest.AsIssuer: 200, webtest.AsOtherAdmin: 404, webtest.AsAnonymous: 204})},
			{Method: "GET", Path: base + "/progress", Want: issuers(map[string]int{webtest.AsAdmin: 200, webtest.AsIssuer: 200, webtest.AsOtherAdmin: 404})},
			{Method: "GET", Path: base + "/results.csv", Want: issuers(map[string]int{webtest.AsAdmin: 200, webtest.AsIssuer: 200, webtest.AsOtherAdmin: 404})},
			// The second issue is refused with a flash (already queued).
			{Method: "POST", Path: base + "/issue", Want: issuers(map[string]int{webtest.AsAdmin: 303, webtest.AsIssuer: 303, webtest.AsOtherAdmin: 404})},
			{Method: "POST", Path: "/credentials/bulk/" + toCancel + "/cancel", Want: issuers(map[string]int{webtest.AsAdmin: 303, webtest.AsIssuer: 303, webtest.AsOtherAdmin: 404})},
			{Method: "GET", Path: "/credentials/bulk/not-an-id", Want: issuers(map[string]int{webtest.AsAdmin: 404, webtest.AsIssuer: 404, webtest.AsOtherAdmin: 404})},
		})
		sc := env.DB.Scoped(a.ID)
		if got, _ := sc.Batch(context.Background(), batch); got.Status != store.BatchQueued {
			t.Errorf("batch %s after the issue requests, want queued", got.Status)
		}
		if got, _ := sc.Batch(context.Background(), toCancel); got.Status != store.BatchCancelled {
			t.Errorf("batch %s after cancel, want cancelled", got.Status)
		}
		// Org B's admin sees none of A's batches.
		if r := clients[webtest.AsOtherAdmin].Get("/credentials/bulk"); strings.Contains(r.Body, batch) {
			t.Error("org B's admin sees org A's batch")
		}
	})
}

// The review page lists every error with its row and column before
// anything is issued; changing a column checks the rows again; issuing
// shows the progress, then the summary, and results.csv has every row.
func TestBulkReviewIssueResults(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		tpl := bulkTemplate(t, env, org)
		cl := env.Client()
		cl.Login(env.User(store.RoleIssuer, org))

		// Refusals of the upload form, next to their field.
		r := cl.Post("/credentials/bulk", url.Values{"template": {""}, "text": {""}})
		if r.Status != 422 || !r.Has("error-template") || !r.Has("error-file") {
			t.Fatalf("empty form: %d\n%.800s", r.Status, r.Body)
		}
		r = cl.Post("/credentials/bulk", url.Values{"template": {tpl}, "text": {"a,b,a\n1,2,3\n"}})
		if r.Status != 422 || !strings.Contains(r.Body, "The header “a” appears twice (columns 1 and 3)") {
			t.Fatalf("duplicate headers: %d\n%.800s", r.Status, r.Body)
		}
		r = cl.Post("/credentials/bulk", url.Values{"template": {tpl}, "text": {"a,b\n1,2\n3\n"}})
		if r.Status != 422 || !strings.Contains(r.Body, "Row 2 (line 3) has 1 values, but the header has 2 columns") {
			t.Fatalf("ragged: %d\n%.800s", r.Status, r.Body)
		}
		if r := cl.Upload("/credentials/bulk", "file", "x.csv", []byte(bulkFile)); r.Status != 422 || !r.Has("error-template") {
			t.Fatalf("file without a template: %d", r.Status)
		}

		id := upload(t, cl, tpl, bulkFile)
		if n := countRows(t, env, "SELECT count(*) FROM credentials"); n != 0 {
			t.Fatalf("%d credentials issued by the upload", n)
		}
		r = cl.Get("/credentials/bulk/" + id + "/review")
		if r.Status != 200 {
			t.Fatalf("review: %d", r.Status)
		}
		wantErrs := [][3]string{
			{"2", "Recipient Email", "must be an email address (like ada@example.org) or a DID (like did:web:example.org)"},
			{"2", "GPA", "must be at most 4"},
			{"4", "Degree", "is required"},
			{"4", "GPA", "must be a number, such as 42 or 3.5"},
		}
		if got := reviewErrors(r.Body); !equalErrs(got, wantErrs) {
			t.Fatalf("errors on the page\n%v\nwant\n%v", got, wantErrs)
		}
		if !strings.Contains(r.Body, "Issue 3 valid rows") || !strings.Contains(r.Body, `data-testid="bulk-invalid">2<`) {
			t.Fatal("the page does not offer to issue the 3 valid rows")
		}

		// Take GPA out of the mapping: its errors go, the others stay.
		r = cl.Htmx("POST", "/credentials/bulk/"+id+"/mapping", url.Values{
			"map_recipient_name": {"Recipient Name"}, "map_recipient_address": {"Recipient Email"}, "map_degree": {"Degree"}})
		if r.Status != 200 || !r.Has("bulk-review") || strings.Contains(r.Body, "<html") {
			t.Fatalf("remap: %d", r.Status)
		}
		if got := reviewErrors(r.Body); !equalErrs(got, [][3]string{wantErrs[0], wantErrs[2]}) {
			t.Fatalf("errors after remap: %v", got)
		}
		// No recipient column: every row says so, and the page says why.
		r = cl.Htmx("POST", "/credentials/bulk/"+id+"/mapping", url.Values{"map_degree": {"Degree"}, "map_gpa": {"GPA"}})
		if !r.Has("bulk-problems") || len(reviewErrors(r.Body)) < 5 || !strings.Contains(r.Body, "Issue 0 valid rows") ||
			!regexp.MustCompile(`<button[^>]*data-testid="bulk-issue"[^>]*disabled`).MatchString(r.Body) {
			t.Fatalf("without a recipient column:\n%.3000s", r.Body)
		}
		if r := cl.Post("/credentials/bulk/"+id+"/issue", nil); r.Status != 303 || !strings.HasSuffix(r.Location(), "/review") {
			t.Fatalf("issuing 0 rows: %d %s", r.Status, r.Location())
		}
		// Back to the full mapping (without JavaScript: a redirect).
		if r := cl.Post("/credentials/bulk/"+id+"/mapping", url.Values{"map_recipient_name": {"Recipient Name"},
			"map_recipient_address": {"Recipient Email"}, "map_degree": {"Degree"}, "map_gpa": {"GPA"}}); r.Status != 303 {
			t.Fatalf("remap without htmx: %d", r.Status)
		}

		if r := cl.Post("/credentials/bulk/"+id+"/issue", url.Values{"send_email": {"true"}}); r.Status != 303 || r.Location() != "/credentials/bulk/"+id {
			t.Fatalf("issue: %d %s", r.Status, r.Location())
		}
		if n := countRows(t, env, "SELECT count(*) FROM river_job WHERE kind = 'bulk_issue'"); n != 1 {
			t.Fatalf("%d bulk_issue jobs enqueued, want 1", n)
		}
		r = cl.Get("/credentials/bulk/" + id)
		if r.Status != 200 || !strings.Contains(r.Body, `hx-trigger="every 1s"`) || !strings.Contains(r.Body, `data-status="queued"`) {
			t.Fatalf("progress page while queued: %d\n%.2000s", r.Status, r.Body)
		}
		runBatch(t, env, org, id)
		r = cl.Htmx("GET", "/credentials/bulk/"+id+"/progress", nil)
		if r.Status != 200 || strings.Contains(r.Body, "hx-trigger") || !strings.Contains(r.Body, `data-status="completed"`) ||
			!strings.Contains(r.Body, `data-testid="bulk-issued">3<`) || !r.Has("bulk-summary") || !strings.Contains(r.Body, `value="100"`) {
			t.Fatalf("progress when done:\n%.3000s", r.Body)
		}
		if r := cl.Get("/credentials/bulk/" + id + "/review"); r.Status != 303 || r.Location() != "/credentials/bulk/"+id {
			t.Fatalf("review of an issued batch: %d %s", r.Status, r.Location())
		}

		r = cl.Get("/credentials/bulk/" + id + "/results.csv")
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("results: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 6 || strings.Join(recs[0], ",") != "row,recipient,status,credential_url,error" {
			t.Fatalf("results.csv:\n%s", r.Body)
		}
		url := regexp.MustCompile(`^` + regexp.QuoteMeta(env.Config.BaseURL) + `/v/[a-z2-7]{26}$`)
		for i, want := range []struct{ recipient, status, err string }{
			{"ada@example.org", "issued", ""},
			{"not-an-email", "invalid", "Recipient Email: must be an email address"},
			{"cleo@example.org", "issued", ""},
			{"did:web:dan.example", "invalid", "Degree: is required; GPA: must be a number"},
			{"eve@example.org", "issued", ""},
		} {
			rec := recs[i+1]
			if rec[0] != string(rune('1'+i)) || rec[1] != want.recipient || rec[2] != want.status || !strings.HasPrefix(rec[4], want.err) ||
				(want.status == "issued") != url.MatchString(rec[3]) {
				t.Errorf("results row %d: %q, want %+v", i+1, rec, want)
			}
		}
		var publicID string
		if err := env.DB.SQL().QueryRow(storetest.Rebind(d, "SELECT public_id FROM credentials WHERE recipient_address = ?"), "ada@example.org").Scan(&publicID); err != nil {
			t.Fatal(err)
		}
		if recs[1][3] != env.Config.BaseURL+"/v/"+publicID {
			t.Errorf("Ada's URL %s, want her credential's", recs[1][3])
		}
		if n := countRows(t, env, "SELECT count(*) FROM river_job WHERE kind = 'credential_email'"); n != 0 {
			// The worker ran outside River here; emails are tested in internal/bulk.
			t.Logf("%d credential emails enqueued", n)
		}
		// The list shows the batch completed with its counts.
		if r := cl.Get("/credentials/bulk"); !strings.Contains(r.Body, "Completed") || !r.Has("bulk-"+id) {
			t.Fatal("the list does not show the completed batch")
		}
	})
}

// reviewErrors reads the errors table: row, column, message.
func reviewErrors(body string) [][3]string {
	re := regexp.MustCompile(`data-testid="bulk-error-row">(\d+)</td><td[^>]*data-testid="bulk-error-column">([^<]*)</td><td[^>]*data-testid="bulk-error-message">([^<]*)</td>`)
	var out [][3]string
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out = append(out, [3]string{m[1], unescape(m[2]), unescape(m[3])})
	}
	return out
}

func unescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(s)
}

func equalErrs(a, b [][3]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func countRows(t *testing.T, env *webtest.Env, q string) int {
	t.Helper()
	var n int
	if err := env.DB.SQL().QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// uploadForm submits the upload form as a browser does (multipart), with
// the template, the pasted text and a file whose name is sent as it is
// (none when filename is empty).
func uploadForm(t *testing.T, cl *webtest.Client, tplID, text, filename string, content []byte) *webtest.Response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"csrf_token": cl.CSRF(), "template": tplID, "text": text} {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if filename == "" {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return cl.Raw("POST", "/credentials/bulk", w.FormDataContentType(), buf.Bytes(), nil)
	}
	h := textproto.MIMEHeader{}
	disposition := `form-data; name="file"; filename="` + filename + `"`
	if strings.Contains(filename, "%") { // RFC 2231, as the multipart reader decodes it
		disposition = `form-data; name="file"; filename*=UTF-8''` + filename
	}
	h.Set("Content-Disposition", disposition)
	h.Set("Content-Type", "text/csv")
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return cl.Raw("POST", "/credentials/bulk", w.FormDataContentType(), buf.Bytes(), nil)
}

// Control characters in the upload's text are refused next to the field,
// naming the row and column (a NUL would have stopped the batch at
// PostgreSQL), and nothing is stored; a UTF-16 file (a spreadsheet's
// "Unicode text") is read as what it says.
func TestBulkUploadControlCharacters(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		tpl := bulkTemplate(t, env, org)
		cl := env.Client()
		cl.Login(env.User(store.RoleIssuer, org))

		withNUL := strings.Replace(bulkFile, "Cleo", "Cl\x00eo", 1)
		r := uploadForm(t, cl, tpl, withNUL, "", nil)
		if r.Status != 422 || !r.Has("error-file") ||
			!strings.Contains(r.Body, "Row 3, column “Recipient Name”: contains a control character (U+0000), which is not allowed") {
			t.Fatalf("pasted NUL: %d\n%.1500s", r.Status, r.Body)
		}
		if strings.ContainsRune(r.Body, 0) || !strings.Contains(r.Body, "Cl\uFFFDeo") {
			t.Fatal("the form does not show the pasted text with the NUL made visible")
		}
		if r := uploadForm(t, cl, tpl, "", "students.csv", []byte(strings.Replace(bulkFile, "Eve", "E\x1bve", 1))); r.Status != 422 ||
			!strings.Contains(r.Body, "Row 5, column “Recipient Name”: contains a control character (U+001B)") {
			t.Fatalf("file with ESC: %d\n%.1500s", r.Status, r.Body)
		}
		for name, want := range map[string]string{
			"stu%00dents.csv": "The file’s name contains a control character (U+0000)",
			"stu%1Bdents.csv": "The file’s name contains a control character (U+001B)",
			"stu%FFdents.csv": "The file’s name is not valid text",
		} {
			if r := uploadForm(t, cl, tpl, "", name, []byte(bulkFile)); r.Status != 422 || !r.Has("error-file") || !strings.Contains(r.Body, want) {
				t.Fatalf("file name %q: %d\n%.1500s", name, r.Status, r.Body)
			}
		}
		if n := countRows(t, env, "SELECT count(*) FROM issuance_batches"); n != 0 {
			t.Fatalf("%d batches stored from refused uploads", n)
		}

		// UTF-16LE with a BOM, tab-separated, CRLF: what Excel saves as "Unicode text".
		var wide []byte
		for _, u := range utf16.Encode([]rune("\ufeff" + strings.ReplaceAll(strings.ReplaceAll(bulkFile, ",", "\t"), "\n", "\r\n"))) {
			wide = append(wide, byte(u), byte(u>>8))
		}
		r = uploadForm(t, cl, tpl, "", "students.txt", wide)
		m := regexp.MustCompile(`^/credentials/bulk/([0-9a-f-]{36})/review$`).FindStringSubmatch(r.Location())
		if r.Status != 303 || m == nil {
			t.Fatalf("UTF-16 file: %d\n%.1500s", r.Status, r.Body)
		}
		r = cl.Get("/credentials/bulk/" + m[1] + "/review")
		if !strings.Contains(r.Body, "Issue 3 valid rows") || !strings.Contains(r.Body, `data-testid="bulk-invalid">2<`) {
			t.Fatalf("review of the UTF-16 file:\n%.3000s", r.Body)
		}
		// A mapping value with a NUL (no browser sends one: the values are
		// the file's headers) is refused by the page middleware, naming it.
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		_ = w.WriteField("csrf_token", cl.CSRF())
		_ = w.WriteField("map_degree", "Deg\x00ree")
		_ = w.Close()
		if r := cl.Raw("POST", "/credentials/bulk/"+m[1]+"/mapping", w.FormDataContentType(), buf.Bytes(), map[string]string{"HX-Request": "true"}); r.Status != 400 ||
			!strings.Contains(html.UnescapeString(r.Body), "The field “map_degree” contains a control character") {
			t.Fatalf("mapping to a header with a NUL: %d\n%.1500s", r.Status, r.Body)
		}
	})
}
