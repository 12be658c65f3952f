package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// Every response to a request that carries a session is Cache-Control:
// no-store (pages, htmx partials, redirects after a form, downloads), and
// so is the response that starts a session. Public pages keep their own
// caching, whether or not the visitor is signed in.
func TestCacheControl(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		c := issueOne(t, env, "acme")
		admin := env.User(store.RoleAdmin, c.org)

		anon := env.Client()
		anon.Get("/login")
		r := anon.Post("/login", url.Values{"email": {admin.Email}, "password": {webtest.Password}})
		if r.Status != 303 || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("POST /login: %d, Cache-Control %q, want no-store", r.Status, r.Header.Get("Cache-Control"))
		}
		cl := env.Client()
		cl.Login(admin)

		htmx := map[string]string{"HX-Request": "true"}
		for _, tc := range []struct {
			name, method, path string
			header             map[string]string
			status             int
		}{
			{"dashboard", "GET", "/", nil, 200},
			{"credentials", "GET", "/credentials", nil, 200},
			{"credentials partial", "GET", "/credentials?status=active", htmx, 200},
			{"credential", "GET", "/credentials/" + c.cred.ID, nil, 200},
			{"credential download", "GET", "/credentials/" + c.cred.ID + "/credential.json", nil, 200},
			{"schema download", "GET", "/schemas/" + c.cred.SchemaID + "/schema.json", nil, 200},
			{"members", "GET", "/members", nil, 200},
			{"sessions", "GET", "/account/sessions", nil, 200},
			{"audit", "GET", "/audit", nil, 200},
			{"api keys", "GET", "/api-keys", nil, 200},
			{"profile settings", "GET", "/settings/profile", nil, 200},
			{"notification count", "GET", "/notifications/count", htmx, 200},
			{"public profile, signed in", "GET", "/orgs/acme", nil, 200},
			{"not found, signed in", "GET", "/credentials/00000000-0000-7000-8000-000000000000", nil, 404},
		} {
			r := cl.Do(tc.method, tc.path, nil, tc.header)
			if r.Status != tc.status || r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s (%s %s): %d, Cache-Control %q, want %d no-store", tc.name, tc.method, tc.path, r.Status, r.Header.Get("Cache-Control"), tc.status)
			}
		}
		r = cl.Post("/notifications/read-all", nil)
		if r.Status != 303 || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("redirect after POST: %d, Cache-Control %q, want 303 no-store", r.Status, r.Header.Get("Cache-Control"))
		}

		// Public: the same caching for the signed-in browser as for anyone.
		css := regexp.MustCompile(`href="(/static/css/app\.css\?v=[^"]+)"`).FindStringSubmatch(cl.Get("/").Body)
		status := regexp.MustCompile(`"statusListCredential":"[a-z]+://[^/]+(/status-lists/[^"]+)"`).FindStringSubmatch(string(c.json))
		if css == nil || status == nil {
			t.Fatalf("no stylesheet (%v) or status list (%v) to check", css, status)
		}
		for path, want := range map[string]string{
			"/v/" + c.cred.PublicID: "no-cache",
			"/orgs/acme/did.json":   "public, max-age=300",
			status[1]:               "",
			css[1]:                  "public, max-age=31536000, immutable",
		} {
			a, s := env.Client().Get(path), cl.Get(path)
			if a.Status != 200 || s.Status != 200 {
				t.Errorf("GET %s: %d anonymous, %d signed in", path, a.Status, s.Status)
			}
			got := a.Header.Get("Cache-Control")
			if want != "" && got != want || strings.Contains(got, "no-store") {
				t.Errorf("GET %s: Cache-Control %q, want %q", path, got, want)
			}
			if s.Header.Get("Cache-Control") != got {
				t.Errorf("GET %s signed in: Cache-Control %q, anonymous %q", path, s.Header.Get("Cache-Control"), got)
			}
		}
		// Public pages of the session middleware, without a session: nothing forced.
		for _, path := range []string{"/orgs/acme", "/login", "/register"} {
			if r := env.Client().Get(path); r.Status != 200 || r.Header.Get("Cache-Control") == "no-store" {
				t.Errorf("GET %s anonymous: %d, Cache-Control %q", path, r.Status, r.Header.Get("Cache-Control"))
			}
		}
	})
}
