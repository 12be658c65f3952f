package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/bulk"
	"github.com/trustcred/trustcred/internal/certificate"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// zipWorker is the bulk_zip job's worker over the test environment.
func zipWorker(env *webtest.Env) *bulk.ZipWorker {
	certs := &certificate.Renderer{Issuer: &issuance.Issuer{DB: env.DB, Keys: env.Keys, BaseURL: env.Config.BaseURL},
		Blobs: env.Blobs, BaseURL: env.Config.BaseURL, Log: env.Log}
	return &bulk.ZipWorker{DB: env.DB, Certs: certs, Blobs: env.Blobs, Log: env.Log}
}

// The ZIP routes for every role: the batch's card, asking for the ZIP and
// downloading it are for those who see the batch (credentials.issue);
// another organization's batch is 404, and so is a ZIP not made yet.
func TestBulkZipRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		tplA := bulkTemplate(t, env, a)
		bulkTemplate(t, env, b)
		clients := env.RoleClients(a, b)
		admin := clients[webtest.AsAdmin]
		batch := upload(t, admin, tplA, bulkFile)
		if r := admin.Post("/credentials/bulk/"+batch+"/issue", nil); r.Status != 303 {
			t.Fatalf("issue: %d", r.Status)
		}
		runBatch(t, env, a, batch)
		running := upload(t, admin, tplA, bulkFile)
		if r := admin.Post("/credentials/bulk/"+running+"/issue", nil); r.Status != 303 {
			t.Fatalf("issue: %d", r.Status)
		}
		issuers := func(m map[string]int) map[string]int {
			out := map[string]int{webtest.AsSuperAdmin: 404, webtest.AsReviewer: 403, webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303}
			for k, v := range m {
				out[k] = v
			}
			return out
		}
		base := "/credentials/bulk/" + batch
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: base + "/zip", Want: issuers(map[string]int{webtest.AsAdmin: 200, webtest.AsIssuer: 200, webtest.AsOtherAdmin: 404})},
			{Method: "GET", Path: base + "/certificates.zip", Want: issuers(map[string]int{webtest.AsAdmin: 404, webtest.AsIssuer: 404, webtest.AsOtherAdmin: 404})},
			// The first request queues the ZIP; the others find it queued.
			{Method: "POST", Path: base + "/zip", Want: issuers(map[string]int{webtest.AsAdmin: 303, webtest.AsIssuer: 303, webtest.AsOtherAdmin: 404})},
			// A batch still being issued has no card, and no ZIP yet (flash).
			{Method: "GET", Path: "/credentials/bulk/" + running + "/zip", Want: issuers(map[string]int{webtest.AsAdmin: 404, webtest.AsIssuer: 404, webtest.AsOtherAdmin: 404})},
			{Method: "POST", Path: "/credentials/bulk/" + running + "/zip", Want: issuers(map[string]int{webtest.AsAdmin: 303, webtest.AsIssuer: 303, webtest.AsOtherAdmin: 404})},
			{Method: "GET", Path: "/credentials/bulk/not-an-id/certificates.zip", Want: issuers(map[string]int{webtest.AsAdmin: 404, webtest.AsIssuer: 404, webtest.AsOtherAdmin: 404})},
		})
		if n := countRows(t, env, "SELECT count(*) FROM river_job WHERE kind = 'bulk_zip'"); n != 1 {
			t.Fatalf("%d bulk_zip jobs, want 1", n)
		}
		// While it waits, the card polls itself.
		r := admin.Htmx("GET", base+"/zip", nil)
		if !strings.Contains(r.Body, `hx-trigger="every 1s"`) || !strings.Contains(r.Body, `data-status="queued"`) {
			t.Fatalf("card while queued:\n%.2000s", r.Body)
		}
		if err := zipWorker(env).Run(ctx, bulk.ZipJob{BatchID: batch, OrganizationID: a.ID}); err != nil {
			t.Fatal(err)
		}
		r = admin.Htmx("GET", base+"/zip", nil)
		if strings.Contains(r.Body, "hx-trigger") || !r.Has("bulk-zip-download") || !strings.Contains(r.Body, "3 PDFs") {
			t.Fatalf("card when ready:\n%.2000s", r.Body)
		}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: base + "/certificates.zip", Want: issuers(map[string]int{webtest.AsAdmin: 200, webtest.AsIssuer: 200, webtest.AsOtherAdmin: 404})},
		})
		r = admin.Get(base + "/certificates.zip")
		if r.Header.Get("Content-Type") != "application/zip" || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("download headers %v", r.Header)
		}
		z, err := zip.NewReader(bytes.NewReader([]byte(r.Body)), int64(len(r.Body)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range z.File {
			names = append(names, f.Name)
		}
		if len(names) != 4 || !strings.Contains(names[0], "-ada-lovelace-") || names[3] != bulk.ManifestFile {
			t.Fatalf("ZIP files %v", names)
		}
		// Asked again with nothing changed: the same ZIP, said so.
		r = admin.Htmx("POST", base+"/zip", url.Values{})
		if r.Status != 200 || !strings.Contains(r.Body, "up to date") || !r.Has("bulk-zip-download") {
			t.Fatalf("asked again: %d\n%.2000s", r.Status, r.Body)
		}
		// Org B's admin cannot ask for it either way.
		if r := clients[webtest.AsOtherAdmin].Htmx("POST", base+"/zip", url.Values{}); r.Status != 404 {
			t.Fatalf("other org's htmx request: %d", r.Status)
		}
		if n := countRows(t, env, "SELECT count(*) FROM river_job WHERE kind = 'bulk_zip'"); n != 1 {
			t.Fatalf("%d bulk_zip jobs after asking again, want 1", n)
		}
		// The stored ZIP gone (deleted by hand): the card says so and the
		// next request makes it again.
		got, err := env.DB.Scoped(a.ID).Batch(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Blobs.Delete(ctx, *got.ZipKey); err != nil {
			t.Fatal(err)
		}
		if r := admin.Htmx("GET", base+"/zip", nil); r.Status != 200 || !strings.Contains(r.Body, "no longer stored") || r.Has("bulk-zip-download") {
			t.Fatalf("card without its blob: %d\n%.2000s", r.Status, r.Body)
		}
		if r := admin.Get(base + "/certificates.zip"); r.Status != 404 {
			t.Fatalf("download without its blob: %d", r.Status)
		}
		if r := admin.Htmx("POST", base+"/zip", url.Values{}); r.Status != 202 || !strings.Contains(r.Body, `data-status="queued"`) {
			t.Fatalf("asked again without its blob: %d\n%.2000s", r.Status, r.Body)
		}
		if got, _ := env.DB.Scoped(b.ID).Batch(ctx, batch); got != nil && got.ID != "" {
			t.Fatal("org B reads org A's batch")
		}
	})
}
