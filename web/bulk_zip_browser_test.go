package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/bulk"
	"github.com/trustcred/trustcred/internal/certificate"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// An issuer opens a finished batch of 24 credentials, one of whose stored
// credentials is damaged, and prepares the ZIP of its PDFs: the card shows
// the progress, then the download link and the damaged row with its
// reason, without a reload (the real job queue makes the ZIP). The ZIP
// downloaded through the link holds 23 PDFs and the manifest, and
// pdftotext reads the first recipient's name in hers.
func TestBrowserBulkZip(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	org := env.Org("acme")
	tpl := bulkTemplate(t, env, org)
	issuer := env.User(store.RoleIssuer, org)
	startBulkQueue(t, env, true)
	const n = 24
	var file strings.Builder
	file.WriteString("recipient_name,recipient_email,degree,gpa\n")
	names := []string{"Ada Lovelace", "Émilie du Châtelet"}
	for i := range n {
		name := fmt.Sprintf("Student Number %d", i)
		if i < len(names) {
			name = names[i]
		}
		fmt.Fprintf(&file, "%s,s%d@example.org,Physics,3.5\n", name, i)
	}
	cl := env.Client()
	cl.Login(issuer)
	id := upload(t, cl, tpl, file.String())
	if r := cl.Post("/credentials/bulk/"+id+"/issue", nil); r.Status != 303 {
		t.Fatalf("issue: %d", r.Status)
	}
	sc := env.DB.Scoped(org.ID)
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		b, err := sc.Batch(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status == store.BatchCompleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch still %s", b.Status)
		}
	}
	// Row 2's stored credential no longer matches its hash.
	if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(),
		"UPDATE credentials SET data_hash = ? WHERE id = (SELECT credential_id FROM issuance_batch_rows WHERE batch_id = ? AND row_number = 2)"),
		strings.Repeat("0", 64), id); err != nil {
		t.Fatal(err)
	}

	base := env.Serve()
	q2 := func(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), issuer.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), webtest.Password),
		chromedp.Click(q2("login-submit")),
		chromedp.WaitVisible(q2("dashboard")),
		chromedp.Navigate(base+"/credentials/bulk/"+id),
		chromedp.WaitVisible(q2("bulk-zip-prepare")),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Look(t, tab, "bulk-zip-before")
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.samePage = true; window.zipStates = [];
		new MutationObserver(() => { const z = document.querySelector('[data-testid="bulk-zip"]'); if (z) window.zipStates.push(z.dataset.status + ' ' + z.innerText.replace(/\s+/g, ' ')) })
			.observe(document.body, {subtree: true, childList: true}); true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Click(q2("bulk-zip-prepare"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the ZIP's progress", `document.querySelector('[data-testid="bulk-zip-bar"]') !== null || document.querySelector('[data-testid="bulk-zip"]').dataset.status === 'ready'`)
	browsertest.Look(t, tab, "bulk-zip-progress") // the queued or running card, unless the ZIP is ready already
	browsertest.Wait(t, tab, "the ZIP to be ready in place", `document.querySelector('[data-testid="bulk-zip"]').dataset.status === 'ready' && window.samePage === true`)
	states, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`window.zipStates`))
	if err != nil {
		t.Fatal(err)
	}
	busy := false
	for _, s := range states {
		busy = busy || (strings.HasPrefix(s, "queued ") || strings.HasPrefix(s, "running ")) && strings.Contains(s, " of 24 ")
	}
	if !busy {
		t.Errorf("the card never showed the progress: %q", states)
	}
	card, err := chromedp.Run(tab, chromedp.Text(q2("bulk-zip")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(card, "23 PDFs") || !strings.Contains(card, "does not match its data hash") || !strings.Contains(card, "Émilie du Châtelet") {
		t.Fatalf("the ready card says %q", card)
	}
	browsertest.Look(t, tab, "bulk-zip-ready")
	browsertest.Axe(t, tab, "bulk-zip-ready")

	// Download through the page's link.
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`fetch(document.querySelector('[data-testid="bulk-zip-download"]').href)
		.then(r => r.arrayBuffer()).then(b => { let s = ''; new Uint8Array(b).forEach(c => s += String.fromCharCode(c)); window.zipData = btoa(s) }); true`)); err != nil {
		t.Fatal(err)
	}
	browsertest.Wait(t, tab, "the download", `typeof window.zipData === 'string'`)
	b64, err := chromedp.Run(tab, chromedp.Evaluate[string](`window.zipData`))
	if err != nil {
		t.Fatal(err)
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(z.File) != n { // 23 PDFs and the manifest
		t.Fatalf("%d files in the ZIP, want %d", len(z.File), n)
	}
	dir := t.TempDir()
	for _, f := range z.File {
		if f.Name != filepath.Base(f.Name) || strings.HasPrefix(f.Name, ".") {
			t.Fatalf("unsafe file name %q", f.Name)
		}
	}
	if !strings.HasPrefix(z.File[0].Name, "00001-ada-lovelace-") || !strings.HasPrefix(z.File[1].Name, "00003-") {
		t.Fatalf("files %s, %s", z.File[0].Name, z.File[1].Name)
	}
	pdf := filepath.Join(dir, z.File[0].Name)
	if err := os.WriteFile(pdf, readEntryT(t, z.File[0]), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	out, err := exec.Command("pdftotext", pdf, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "Ada Lovelace") {
		t.Fatalf("pdftotext of %s:\n%s", z.File[0].Name, out)
	}
}

// startBulkQueue runs a job queue with the bulk_issue worker (and the ZIP
// jobs' with zips) until the test ends.
func startBulkQueue(t *testing.T, env *webtest.Env, zips bool) {
	t.Helper()
	is := &issuance.Issuer{DB: env.DB, Keys: env.Keys, BaseURL: env.Config.BaseURL}
	ws := jobs.NewWorkers()
	bulk.Register(ws, env.DB, is, env.Log)
	if zips {
		bulk.RegisterZip(ws, env.DB, &certificate.Renderer{Issuer: is, Blobs: env.Blobs, BaseURL: env.Config.BaseURL, Log: env.Log}, env.Blobs, env.Log)
	}
	q, err := jobs.New(env.DB, env.Log, ws)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
}

func readEntryT(t *testing.T, f *zip.File) []byte {
	t.Helper()
	r, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
