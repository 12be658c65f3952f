package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/design"
	"github.com/trustcred/trustcred/internal/interoptest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// withDesign gives org a certificate design (format version 1) and makes
// tpl name it; it returns the design's id.
func withDesign(t testing.TB, env *webtest.Env, org *store.Organization, tpl *store.CredentialTemplate, d *design.Design) string {
	t.Helper()
	id := uuid.NewString()
	now := time.Now().UTC()
	q := "INSERT INTO custom_credential_templates (id, organization_id, template_name, template_type, design_data, is_active, created_at, updated_at) VALUES (?, ?, 'Diploma', 'diploma', ?, ?, ?, ?)"
	if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), q), id, org.ID, string(d.JSON()), true, now, now); err != nil {
		t.Fatal(err)
	}
	withDesignID(t, env, tpl, id)
	return id
}

// withDesignID makes tpl name the design id.
func withDesignID(t testing.TB, env *webtest.Env, tpl *store.CredentialTemplate, id string) {
	t.Helper()
	td := tpl.TemplateData.Data()
	td.DesignID = id
	tpl.TemplateData = datatypes.NewJSONType(td)
	raw, _ := json.Marshal(td)
	if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), "UPDATE credential_templates SET template_data = ? WHERE id = ?"), string(raw), tpl.ID); err != nil {
		t.Fatal(err)
	}
}

// The staff PDF is for the organization's readers (org.view), 404 for
// another organization's admin; the public one for anyone, as the signed
// JSON is; neither exists for a credential that was never signed.
func TestCertificateRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		tpl := degreeTemplate(t, env, a)
		cr := issueDegree(t, env, a, tpl, "Ada Lovelace", "ada@example.org")
		pending := issueDegree(t, env, a, tpl, "Grace Hopper", "grace@example.org")
		if _, err := env.DB.SQL().Exec(storetest.Rebind(d, "UPDATE credentials SET status = 'pending' WHERE id = ?"), pending.ID); err != nil {
			t.Fatal(err)
		}
		staff := func(def int) map[string]int {
			return map[string]int{webtest.AsSuperAdmin: 404, webtest.AsAdmin: def, webtest.AsIssuer: def, webtest.AsReviewer: def, webtest.AsVerifier: 403,
				webtest.AsRecipient: 403, webtest.AsAnonymous: 303, webtest.AsOtherAdmin: 404}
		}
		webtest.RouteTable(t, env.RoleClients(a, b), []webtest.Route{
			{Method: "GET", Path: "/credentials/" + cr.ID + "/certificate.pdf", Want: staff(200)},
			{Method: "GET", Path: "/credentials/" + pending.ID + "/certificate.pdf", Want: staff(404)},
			{Method: "GET", Path: "/v/" + cr.PublicID + "/certificate.pdf", Want: webtest.All(200)},
			{Method: "GET", Path: "/v/" + pending.PublicID + "/certificate.pdf", Want: webtest.All(404)},
			{Method: "GET", Path: "/v/abcdefghijklmnopqrstuvwxyz/certificate.pdf", Want: webtest.All(404)},
		})
		r := env.Client().Get("/v/" + cr.PublicID + "/certificate.pdf")
		if r.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(r.Body, "%PDF-") ||
			!strings.Contains(r.Header.Get("Content-Disposition"), "certificate-"+cr.PublicID+".pdf") {
			t.Errorf("public PDF: %q %.20q", r.Header, r.Body)
		}
		if _, err := env.DB.Scoped(a.ID).ChangeCredentialStatus(context.Background(), cr.ID, store.ActionRevoke, "error", store.ViaWeb, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if r := env.Client().Get("/v/" + cr.PublicID + "/certificate.pdf"); r.Status != 200 {
			t.Errorf("a revoked credential's PDF: %d (it is the signed document, which verification says is revoked)", r.Status)
		}
		// The pages link to it: the staff page only for a signed credential.
		admin := env.RoleClients(a, b)[webtest.AsAdmin]
		if r := admin.Get("/credentials/" + cr.ID); !strings.Contains(r.Body, `href="/credentials/`+cr.ID+`/certificate.pdf"`) {
			t.Error("the staff page has no Download PDF")
		}
		if r := admin.Get("/credentials/" + pending.ID); r.Has("credential-pdf") {
			t.Error("a pending credential's page offers a PDF")
		}
	})
}

func pdfTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (scripts/test-services.sh installs poppler-utils and zbar-tools)", name)
		}
		t.Skipf("%s is missing (scripts/test-services.sh installs poppler-utils and zbar-tools)", name)
	}
	return p
}

// TestCertificatePDFIsSelfVerifying downloads a credential's public PDF
// from the running server, with the template's design, and reads it as a
// person, a phone and a verifier would: the name and the fields are on the
// page, the QR code opens the verify page, and the embedded credential is
// the signed one, which the independent verifier accepts.
func TestCertificatePDFIsSelfVerifying(t *testing.T) {
	env, base := webtest.Served(t, store.SQLite)
	org := env.Org("northfield")
	tpl := degreeTemplate(t, env, org)
	d := design.Default()
	d.Elements = append(d.Elements, design.Element{Type: "field", Field: "degree", X: 20, Y: 118, W: 257, H: 10, Size: 16, Align: "center", Colour: "#1e3a8a"})
	withDesign(t, env, org, tpl, d)
	cr := issueDegree(t, env, org, tpl, "Ada Lovelace", "ada@example.org")

	get := func(path string) []byte {
		t.Helper()
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		return b
	}
	pdf := get("/v/" + cr.PublicID + "/certificate.pdf")
	signedJSON := get("/v/" + cr.PublicID + "/credential.json")
	dir := t.TempDir()
	file := filepath.Join(dir, "certificate.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out := func(name string, args ...string) string {
		t.Helper()
		b, err := exec.Command(pdfTool(t, name), args...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		return string(b)
	}
	text := out("pdftotext", "-layout", file, "-")
	for _, want := range []string{"Ada Lovelace", "Bachelor of Science", "Chemistry", "acme", base + "/v/" + cr.PublicID} {
		if want == "acme" {
			want = org.Name
		}
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q:\n%s", want, text)
		}
	}
	out("pdftoppm", "-r", "150", "-png", "-singlefile", file, filepath.Join(dir, "page"))
	if qr := strings.TrimSpace(out("zbarimg", "--quiet", "--raw", filepath.Join(dir, "page.png"))); qr != base+"/v/"+cr.PublicID+"?via=qr" {
		t.Errorf("the QR code reads %q", qr)
	} else if res, err := http.Get(qr); err != nil || res.StatusCode != 200 {
		t.Errorf("the QR code's link: %v %v", res, err)
	}
	out("pdfdetach", "-saveall", "-o", dir, file)
	embedded, err := os.ReadFile(filepath.Join(dir, design.CredentialFile))
	if err != nil || string(embedded) != string(signedJSON) {
		t.Fatalf("the embedded credential is not the signed one (%v)", err)
	}
	r := interoptest.VerifyJSON(t, []any{json.RawMessage(embedded)}, "--resolve-base", base, "--map", base+"/="+base+"/")[0]
	if !r.Verified {
		t.Errorf("the independent verifier refuses the PDF's credential: %v", r.Errors)
	}
}

// A certificate PDF uploaded at /verify: its embedded credential is
// verified and its page compared with it; a page edited to show another
// name, or a credential edited inside the PDF, is caught; a PDF without a
// credential is refused with a reason, never a 500.
func TestVerifyCertificatePDF(t *testing.T) {
	e := webtest.New(t, store.SQLite)
	org := e.Org("northfield")
	tpl := degreeTemplate(t, e, org)
	withDesign(t, e, org, tpl, design.Default())
	cr := issueDegree(t, e, org, tpl, "Ada Lovelace", "ada@example.org")
	r := e.Client().Get("/v/" + cr.PublicID + "/certificate.pdf")
	if r.Status != 200 {
		t.Fatalf("PDF %d", r.Status)
	}
	pdf := []byte(r.Body)
	up := postMultipart(t, e, nil, pdf)
	if up.Status != 200 || !strings.Contains(up.Body, `data-verdict="valid"`) || !strings.Contains(up.Body, `data-matches="matches"`) ||
		!strings.Contains(up.Body, "recipient_name: Ada Lovelace") {
		t.Fatalf("the downloaded PDF: %d\n%s", up.Status, up.Body)
	}

	cert, err := design.Read(pdf)
	if err != nil {
		t.Fatal(err)
	}
	values, _ := design.ValuesOf(cert.Credential)
	remade := func(v design.Values, credential []byte) []byte {
		var b strings.Builder
		w := &writer{&b}
		if err := design.PDF(w, design.Default(), design.Input{Values: v, Credential: credential}); err != nil {
			t.Fatal(err)
		}
		return []byte(b.String())
	}
	// The page says Mallory; the signed credential inside still says Ada.
	forged := design.Values{}
	for k, v := range values {
		forged[k] = v
	}
	forged["recipient_name"] = "Mallory Forger"
	up = postMultipart(t, e, nil, remade(forged, cert.Credential))
	if !strings.Contains(up.Body, `data-verdict="valid"`) || !strings.Contains(up.Body, `data-matches="differs"`) || !strings.Contains(up.Body, "Mallory Forger") {
		t.Errorf("an edited page: %d\n%s", up.Status, up.Body)
	}
	// The credential inside edited to match the forged page: its signature fails.
	edited := strings.Replace(string(cert.Credential), "Ada Lovelace", "Mallory Forger", 1)
	up = postMultipart(t, e, nil, remade(forged, []byte(edited)))
	if !strings.Contains(up.Body, `data-verdict="invalid"`) {
		t.Errorf("an edited credential: %d\n%s", up.Status, up.Body)
	}
	for _, bad := range []string{"%PDF-1.4\n1 0 obj << /Type /Filespec /UF (credential.json) /EF << /F 2 0 R >> >> endobj\n2 0 obj << /Length 99999 >> stream\nxx", "%PDF-", string(pdf[:300])} {
		up = postMultipart(t, e, nil, []byte(bad))
		if up.Status != 422 || !strings.Contains(up.Body, "This PDF carries no credential") {
			t.Errorf("a PDF without a credential (%.30q): %d", bad, up.Status)
		}
	}
}

type writer struct{ b *strings.Builder }

func (w *writer) Write(p []byte) (int, error) { return w.b.Write(p) }
