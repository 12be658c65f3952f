package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// BenchmarkPublicPageWarm is one view of a credential's page whose view is
// cached, as a browser asks for it (gzip accepted): the stamp query, the
// log, the cached page. Every response must be that credential's page,
// verified valid.
func BenchmarkPublicPageWarm(b *testing.B) {
	env := webtest.New(b, store.Postgres)
	org := env.Org("acme")
	tpl := degreeTemplate(b, env, org)
	cr := issueDegree(b, env, org, tpl, "Ada Lovelace", "ada@example.org")
	path := "/v/" + cr.PublicID
	get := func() {
		req := httptest.NewRequest("GET", path, nil)
		req.Host = "localhost" // not an unknown host (httptest says example.com), which custom domain routing answers 404
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := env.App.Test(req, -1)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" {
			b.Fatalf("status %d, encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			b.Fatal(err)
		}
		page, err := io.ReadAll(zr)
		if err != nil || !bytes.Contains(page, []byte(`data-verdict="valid"`)) || !bytes.Contains(page, []byte("Ada Lovelace")) {
			b.Fatalf("not the credential's valid page (%v)", err)
		}
	}
	get()
	b.ResetTimer()
	for b.Loop() {
		get()
	}
}
