package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/outagetest"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/internal/verifylog"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
	"github.com/trustcred/trustcred/web"
)

// outageEnv is webtest.New over a PostgreSQL database reached through a
// proxy the test can stop: the application as it runs in production, with
// an outage at the test's command.
func outageEnv(t *testing.T) (*webtest.Env, *outagetest.Proxy) {
	t.Helper()
	db, proxy := outagetest.Postgres(t)
	keys, err := secret.NewKeyring(secret.Key{Raw: secret.GenerateKey()})
	if err != nil {
		t.Fatal(err)
	}
	e := &webtest.Env{T: t, DB: db, Keys: keys, Log: storetest.Logger(t),
		Config: config.Config{Addr: ":0", BaseURL: "http://localhost:8080", SessionIdle: time.Hour, SessionLifetime: 12 * time.Hour, PageCacheMB: 64}}
	e.User(store.RoleSuperAdmin, nil)
	m, err := db.Migrator(e.Log)
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, e.Log, jobs.NewWorkers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	if e.Mailer, err = mail.FromConfig("", true, e.Log); err != nil {
		t.Fatal(err)
	}
	if e.Blobs, err = blob.NewDisk(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Blobs.Close() })
	e.VerificationLogs = verifylog.New(db, e.Log, verifylog.Options{Interval: 50 * time.Millisecond})
	t.Cleanup(func() {
		// Bounded: a test that failed during the outage must not hang here.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.VerificationLogs.Close(ctx)
	})
	e.Services = web.NewServices(e.Config, db, keys, e.VerificationLogs, e.Log)
	e.App = web.New(web.Deps{Config: e.Config, DB: db, Migrator: m, Jobs: q, Keys: keys, Mailer: e.Mailer, Blobs: e.Blobs,
		Log: e.Log, Services: e.Services})
	return e, proxy
}

// leaks fails the test when a response carries the database's own words.
func leaks(t *testing.T, what string, r *webtest.Response) {
	t.Helper()
	for _, s := range []string{"postgres", "127.0.0.1", "connect", "dial", "sql", "trustcred_test"} {
		if strings.Contains(strings.ToLower(r.Body), s) {
			t.Errorf("%s: the response says %q:\n%.600s", what, s, r.Body)
		}
	}
}

// With the database down: a brought credential could not be checked (API
// 503 Problem Details with Retry-After, the upload page says so), public
// pages already cached are served with their verdict, others and staff
// pages are a clean 503, and the views are logged once the database is back.
func TestDatabaseOutage(t *testing.T) {
	e, proxy := outageEnv(t)
	c := issueOne(t, e, "uni")
	uncached := issueOne(t, e, "college")
	staff := e.User(store.RoleAdmin, c.org)
	cl := e.Client()
	cl.Login(staff)
	if r := e.Client().Get("/v/" + c.cred.PublicID); r.Status != 200 || !strings.Contains(r.Body, `data-verdict="valid"`) {
		t.Fatalf("before the outage: %d", r.Status)
	}

	proxy.Stop()
	// Stamps read in the last issuance.StatusStampMaxAge still answer
	// (checks made from them are checks made): wait them out.
	time.Sleep(issuance.StatusStampMaxAge + 10*time.Millisecond)

	// A page never made cannot be; a staff page needs the database (first:
	// the pool's open connections have just been cut, the next ones are
	// refused).
	for _, path := range []string{"/v/" + uncached.cred.PublicID, "/credentials"} {
		r := cl.Get(path)
		if r.Status != 503 || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, "Temporarily unavailable") {
			t.Errorf("%s during the outage: %d\n%.600s", path, r.Status, r.Body)
		}
		leaks(t, path, r)
	}

	// The API: no verdict, no internal text.
	req := httptest.NewRequest("POST", "/api/v1/credentials/verify", strings.NewReader(toJSON(map[string]any{"verifiableCredential": c.doc})))
	req.Host = "localhost" // not an unknown host (httptest says example.com), which custom domain routing answers 404
	req.Header.Set("Content-Type", "application/json")
	res, err := e.App.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	api := readResponse(t, res)
	if api.Status != 503 || api.Header.Get("Retry-After") == "" || !strings.HasPrefix(api.Header.Get("Content-Type"), "application/problem+json") ||
		strings.Contains(api.Body, `"verdict"`) || !strings.Contains(api.Body, `"status":503`) {
		t.Fatalf("API during the outage: %d %v\n%s", api.Status, api.Header, api.Body)
	}
	leaks(t, "API", api)

	// The upload page: could not check, not "Not valid".
	up := postMultipart(t, e, map[string]string{"credential": string(c.json)}, nil)
	if up.Status != 503 || !strings.Contains(up.Body, `data-verdict="unavailable"`) || strings.Contains(up.Body, "Not valid") ||
		!strings.Contains(up.Body, "try again in a moment") {
		t.Fatalf("upload during the outage: %d\n%s", up.Status, up.Body)
	}
	leaks(t, "upload", up)

	// A page already cached keeps being served, with its verdict, with or
	// without gzip.
	for _, h := range []map[string]string{nil, {"Accept-Encoding": "gzip"}} {
		r := e.Client().Do("GET", "/v/"+c.cred.PublicID, nil, h)
		if r.Status != 200 {
			t.Fatalf("cached page during the outage (%v): %d\n%.600s", h, r.Status, r.Body)
		}
		if h == nil && !strings.Contains(r.Body, `data-verdict="valid"`) {
			t.Fatalf("cached page without its verdict:\n%.600s", r.Body)
		}
	}
	proxy.Start()
	if r := cl.Get("/credentials"); r.Status != 200 {
		t.Fatalf("staff page after the outage: %d", r.Status)
	}
	// The view before, the two during the outage: all written.
	if n := logCount(t, e, "credential_id = '"+c.cred.ID+"' AND verification_method = 'web_interface' AND verdict = 'valid'"); n != 3 {
		t.Fatalf("%d page view logs for the cached credential, want 3", n)
	}
	// The API call and the upload that could not be checked are logged as
	// such, not as "not valid" and not without a verdict.
	if n := logCount(t, e, "verdict = 'unavailable' AND verification_method IN ('api', 'web_interface')"); n != 2 {
		t.Fatalf("%d logs of checks that could not be made, want 2", n)
	}
}

func readResponse(t *testing.T, res *http.Response) *webtest.Response {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &webtest.Response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}
