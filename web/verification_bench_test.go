package web_test

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// BenchmarkPublicPageWarm is one view of a credential's page whose view is
// cached: the stamp query, the log, the render.
func BenchmarkPublicPageWarm(b *testing.B) {
	env := webtest.New(b, store.Postgres)
	org := env.Org("acme")
	tpl := degreeTemplate(b, env, org)
	cr := issueDegree(b, env, org, tpl, "Ada Lovelace", "ada@example.org")
	path := "/v/" + cr.PublicID
	get := func() {
		res, err := env.App.Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil || res.StatusCode != 200 {
			b.Fatal(err, res.StatusCode)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	get()
	b.ResetTimer()
	for b.Loop() {
		get()
	}
}
