package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/static"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// newApp builds the real application over a fresh database.
func newApp(t *testing.T, db *store.DB, dev bool) *fiber.App {
	t.Helper()
	log := storetest.Logger(t)
	m, err := db.Migrator(log)
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, log, jobs.NewWorkers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	cfg := config.Config{Addr: ":0", BaseURL: "http://localhost", Dev: dev, SessionIdle: time.Hour, SessionLifetime: 12 * time.Hour}
	keys, err := secret.NewKeyring(secret.Key{Raw: secret.GenerateKey()})
	if err != nil {
		t.Fatal(err)
	}
	// Setup is done: a platform administrator exists.
	if err := db.CreateUser(context.Background(), &store.User{Email: "root@example.org", Role: store.RoleSuperAdmin}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = blobs.Close() })
	return New(Deps{Config: cfg, DB: db, Migrator: m, Jobs: q, Keys: keys, Blobs: blobs, Log: log,
		Services: NewServices(cfg, db, keys, nil, log)})
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, app *fiber.App, method, target string, header map[string]string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.Host = "localhost" // not an unknown host (httptest says example.com), which custom domain routing answers 404
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(body)}
}

func testid(id string) string { return `data-testid="` + id + `"` }

func TestRoutes(t *testing.T) {
	htmx := map[string]string{"HX-Request": "true"}
	cases := []struct {
		name, method, target string
		header               map[string]string
		status               int
		contains             []string
		absent               []string
		contentType          string
	}{
		{"home page", "GET", "/", nil, 200,
			[]string{"<!doctype html>", testid("home"), testid("check-status"), `hx-get="/status"`, static.Path("css/app.css"), static.Path("js/htmx.min.js"), `name="csrf-token"`, testid("flash")}, nil, "text/html"},
		{"home page boosted gets the layout", "GET", "/", map[string]string{"HX-Request": "true", "HX-Boosted": "true"}, 200,
			[]string{"<!doctype html>", testid("home")}, nil, "text/html"},
		{"status partial for htmx", "GET", "/status", htmx, 200,
			[]string{testid("status-panel"), "All systems operational", "Database", "Schema", "Job queue"}, []string{"<html", "<!doctype"}, "text/html"},
		{"status without htmx is a full page", "GET", "/status", nil, 200,
			[]string{"<!doctype html>", testid("status-panel")}, nil, "text/html"},
		{"status hides the dialect outside dev mode", "GET", "/status", htmx, 200,
			nil, []string{"sqlite", "postgres"}, "text/html"},
		{"healthz", "GET", "/healthz", nil, 200, []string{`"status":"ok"`}, nil, "application/json"},
		{"readyz", "GET", "/readyz", nil, 200, []string{`"database":"ok"`, `"migrations":"up to date"`}, nil, "application/json"},
		{"unknown page is a branded 404", "GET", "/no/such/page", nil, 404,
			[]string{testid("error-page"), "Page not found", testid("error-request-id"), testid("brand")}, []string{testid("error-detail")}, "text/html"},
		{"unknown API path is problem JSON", "GET", "/api/v1/nothing", nil, 404,
			[]string{`"status":404`, `"title":"Page not found"`}, nil, "application/problem+json"},
		{"POST without a CSRF token", "POST", "/login", nil, 403, []string{testid("error-page")}, nil, "text/html"},
		{"unknown static file", "GET", "/static/css/nope.css", nil, 404, []string{testid("error-page")}, nil, "text/html"},
		{"static css", "GET", static.Path("css/app.css"), nil, 200, []string{".htmx-indicator"}, nil, "text/css"},
		{"static htmx", "GET", static.Path("js/htmx.min.js"), nil, 200, []string{"htmx"}, nil, "javascript"},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := newApp(t, db, false)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := do(t, app, tc.method, tc.target, tc.header)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d\n%.300s", r.status, tc.status, r.body)
				}
				if ct := r.header.Get("Content-Type"); !strings.Contains(ct, tc.contentType) {
					t.Errorf("Content-Type %q, want %q", ct, tc.contentType)
				}
				for _, s := range tc.contains {
					if !strings.Contains(r.body, s) {
						t.Errorf("body lacks %q", s)
					}
				}
				for _, s := range tc.absent {
					if strings.Contains(r.body, s) {
						t.Errorf("body has %q", s)
					}
				}
				if r.header.Get("X-Request-Id") == "" {
					t.Error("no X-Request-Id")
				}
			})
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	app := newApp(t, storetest.Open(t, store.SQLite), false)
	for _, target := range []string{"/", "/no/such/page", "/healthz"} {
		r := do(t, app, "GET", target, nil)
		csp := r.header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", target, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline code: %q", target, csp)
		}
		for h, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "strict-origin-when-cross-origin",
			"X-Frame-Options":        "DENY",
		} {
			if got := r.header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", target, h, got, want)
			}
		}
	}
	// Pages contain no inline script the CSP would block.
	r := do(t, app, "GET", "/", nil)
	if strings.Contains(r.body, "<script>") || strings.Contains(r.body, " style=") || strings.Contains(r.body, " onclick=") {
		t.Error("home page has inline script or style")
	}
}

func TestStaticCaching(t *testing.T) {
	app := newApp(t, storetest.Open(t, store.SQLite), false)
	a, _ := static.Lookup("css/app.css")
	r := do(t, app, "GET", static.Path("css/app.css"), nil)
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("versioned asset Cache-Control %q, want immutable", cc)
	}
	if r.header.Get("ETag") != `"`+a.Hash+`"` {
		t.Errorf("ETag %q", r.header.Get("ETag"))
	}
	r = do(t, app, "GET", "/static/css/app.css?v=stale", nil)
	if cc := r.header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Errorf("unversioned asset must revalidate, got %q", cc)
	}
	r = do(t, app, "GET", "/static/css/app.css", map[string]string{"If-None-Match": `"` + a.Hash + `"`})
	if r.status != 304 || r.body != "" {
		t.Errorf("conditional request: %d with %d bytes, want 304 and no body", r.status, len(r.body))
	}
}

func TestRequestIDFromProxyIsKeptWhenWellFormed(t *testing.T) {
	app := newApp(t, storetest.Open(t, store.SQLite), false)
	r := do(t, app, "GET", "/nope", map[string]string{"X-Request-ID": "edge-1234"})
	if r.header.Get("X-Request-Id") != "edge-1234" || !strings.Contains(r.body, "edge-1234") {
		t.Errorf("request id not kept: header %q", r.header.Get("X-Request-Id"))
	}
	r = do(t, app, "GET", "/nope", map[string]string{"X-Request-ID": "<script>alert(1)</script>"})
	if id := r.header.Get("X-Request-Id"); id == "" || strings.Contains(id, "<") {
		t.Errorf("malformed request id accepted: %q", id)
	}
}

func TestReadyzFailsWithoutDatabase(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	app := newApp(t, db, false)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	r := do(t, app, "GET", "/readyz", nil)
	if r.status != 503 {
		t.Fatalf("status %d, want 503", r.status)
	}
	var body struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "unavailable" || body.Checks["database"] != "unreachable" {
		t.Fatalf("body %s", r.body)
	}
	r = do(t, app, "GET", "/status", map[string]string{"HX-Request": "true"})
	if !strings.Contains(r.body, "Something needs attention") || !strings.Contains(r.body, "unreachable") {
		t.Errorf("status panel does not show the failure:\n%s", r.body)
	}
	if r := do(t, app, "GET", "/healthz", nil); r.status != 200 {
		t.Errorf("healthz %d: the process is still up", r.status)
	}
}

func TestReadyzFailsWithPendingMigrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := newApp(t, db, false)
		// Roll the job queue schema back one step, as an older binary's
		// database would be.
		if _, err := db.SQL().ExecContext(context.Background(), "DELETE FROM river_migration WHERE version = (SELECT max(version) FROM river_migration)"); err != nil {
			t.Fatal(err)
		}
		r := do(t, app, "GET", "/readyz", nil)
		if r.status != 503 || !strings.Contains(r.body, "job queue schema at version") {
			t.Fatalf("status %d body %s", r.status, r.body)
		}
	})
}

// The error handler hides internals from users outside development mode and
// shows them in it; panics become the same 500 page.
func TestServerErrors(t *testing.T) {
	for _, dev := range []bool{false, true} {
		d := Deps{Config: config.Config{Dev: dev}, Log: storetest.Logger(t)}
		app := fiber.New(fiber.Config{ErrorHandler: errorHandler(d.Log)})
		app.Use(middleware(d)...)
		app.Get("/fail", func(*fiber.Ctx) error { return errors.New("secret internal detail") })
		app.Get("/missing", func(*fiber.Ctx) error { return store.ErrNotFound })
		app.Get("/panic", func(*fiber.Ctx) error { panic("boom in handler") })

		r := do(t, app, "GET", "/fail", nil)
		if r.status != 500 || !strings.Contains(r.body, "Something went wrong") {
			t.Fatalf("dev=%v: %d %s", dev, r.status, r.body)
		}
		if shown := strings.Contains(r.body, "secret internal detail"); shown != dev {
			t.Errorf("dev=%v: error detail shown=%v", dev, shown)
		}
		if r := do(t, app, "GET", "/missing", nil); r.status != 404 || !strings.Contains(r.body, "Page not found") {
			t.Errorf("dev=%v: store.ErrNotFound gave %d", dev, r.status)
		}
		r = do(t, app, "GET", "/panic", nil)
		if r.status != 500 || !strings.Contains(r.body, testid("error-page")) || strings.Contains(r.body, "goroutine") {
			t.Errorf("dev=%v: panic gave %d:\n%s", dev, r.status, r.body)
		}
	}
}
