package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// decode undoes a response's Content-Encoding, failing on any coding but
// gzip and br: what a browser does before showing the body.
func decode(t *testing.T, r *webtest.Response) string {
	t.Helper()
	var rd io.Reader
	switch ce := r.Header.Get("Content-Encoding"); ce {
	case "":
		return r.Body
	case "gzip":
		zr, err := gzip.NewReader(strings.NewReader(r.Body))
		if err != nil {
			t.Fatalf("Content-Encoding gzip, body is not gzip: %v", err)
		}
		rd = zr
	case "br":
		rd = brotli.NewReader(strings.NewReader(r.Body))
	default:
		t.Fatalf("unexpected Content-Encoding %q", ce)
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatalf("decoding %s: %v", r.Header.Get("Content-Encoding"), err)
	}
	return string(b)
}

// Pages, CSS, JS and API JSON go out compressed to clients that accept it,
// in the coding they prefer; the same bytes decoded as the uncompressed
// response; identity to clients that accept neither, and every compressible
// response says Vary: Accept-Encoding.
func TestCompression(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	c := issueOne(t, env, "acme")
	_, key := createKey(t, env, c.org, nil, store.ScopeCredentialsRead)
	cl := env.Client()
	cl.Login(env.User(store.RoleAdmin, c.org))
	home := cl.Get("/")
	css := regexp.MustCompile(`href="(/static/css/app\.css\?v=[^"]+)"`).FindStringSubmatch(home.Body)
	js := regexp.MustCompile(`src="(/static/js/htmx\.min\.js\?v=[^"]+)"`).FindStringSubmatch(home.Body)
	if css == nil || js == nil {
		t.Fatalf("no stylesheet (%v) or htmx (%v) on the dashboard", css, js)
	}
	bearer := map[string]string{"Authorization": "Bearer " + key}
	anon := env.Client()
	for _, tc := range []struct {
		name, path, ctype string
		header            map[string]string
	}{
		{"login page", "/login", "text/html", nil},
		{"dashboard", "/", "text/html", nil},
		{"credentials list", "/credentials", "text/html", nil},
		{"stylesheet", css[1], "text/css", nil},
		{"htmx", js[1], "javascript", nil},
		{"API JSON", "/api/v1/credentials/" + c.cred.PublicID, "application/json", bearer},
	} {
		with := func(ae string) map[string]string {
			h := map[string]string{"Accept-Encoding": ae}
			for k, v := range tc.header {
				h[k] = v
			}
			return h
		}
		cl := cl
		if tc.path == "/login" {
			cl = anon
		}
		plain := cl.Do("GET", tc.path, nil, with(""))
		if plain.Status != 200 || !strings.Contains(plain.Header.Get("Content-Type"), tc.ctype) {
			t.Fatalf("%s: %d %s", tc.name, plain.Status, plain.Header.Get("Content-Type"))
		}
		if ce := plain.Header.Get("Content-Encoding"); ce != "" {
			t.Errorf("%s without Accept-Encoding: Content-Encoding %q", tc.name, ce)
		}
		for _, ae := range []string{"gzip", "gzip, deflate, br, zstd", "br;q=0, gzip", "identity", "gzip;q=0"} {
			want := map[string]string{"gzip": "gzip", "gzip, deflate, br, zstd": "br", "br;q=0, gzip": "gzip"}[ae]
			r := cl.Do("GET", tc.path, nil, with(ae))
			if r.Status != 200 || r.Header.Get("Content-Encoding") != want {
				t.Errorf("%s, Accept-Encoding %q: %d, Content-Encoding %q, want %q", tc.name, ae, r.Status, r.Header.Get("Content-Encoding"), want)
				continue
			}
			if !strings.Contains(r.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s, Accept-Encoding %q: Vary %q", tc.name, ae, r.Header.Get("Vary"))
			}
			if want != "" && len(r.Body) >= len(plain.Body)/2 {
				t.Errorf("%s in %s: %d bytes of %d", tc.name, want, len(r.Body), len(plain.Body))
			}
			if got := decode(t, r); !sameExceptTokens(got, plain.Body) {
				t.Errorf("%s, Accept-Encoding %q: decoded body differs from the plain one", tc.name, ae)
			}
		}
	}

	// Already compressed or tiny: sent as is.
	png := cl.Do("GET", "/v/"+c.cred.PublicID+"/qr.png", nil, map[string]string{"Accept-Encoding": "gzip, br"})
	if png.Status == 200 && png.Header.Get("Content-Encoding") != "" {
		t.Errorf("the QR code PNG was encoded again: %q", png.Header.Get("Content-Encoding"))
	}
	small := cl.Do("GET", "/healthz", nil, map[string]string{"Accept-Encoding": "gzip"})
	if small.Status != 200 || small.Header.Get("Content-Encoding") != "" {
		t.Errorf("/healthz (%d bytes): %d, Content-Encoding %q", len(small.Body), small.Status, small.Header.Get("Content-Encoding"))
	}
}

// sameExceptTokens compares two renderings of a page, which differ only in
// the CSRF token (masked afresh on each response).
func sameExceptTokens(a, b string) bool { return withoutCSRF(a) == withoutCSRF(b) }

var csrfValue = regexp.MustCompile(`(name="csrf-token" content="|name="csrf_token" value="|"X-CSRF-Token":\s*"|&#34;X-CSRF-Token&#34;:\s*&#34;)[A-Za-z0-9_-]*`)

// withoutCSRF is a page with its CSRF tokens left out, to compare two
// renderings of it.
func withoutCSRF(page string) string { return csrfValue.ReplaceAllString(page, "$1") }

// The public credential page is cached gzipped: gzip clients get those
// bytes as they are (one gzip layer, not two), others the decoded page,
// the same HTML; HEAD answers with the GET's headers and no body; a static
// file's ETag revalidates to 304 in each coding.
func TestCompressionCachedPageAndRevalidation(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	c := issueOne(t, env, "acme")
	cl := env.Client()
	path := "/v/" + c.cred.PublicID
	cl.Get(path) // made and cached

	plain := cl.Do("GET", path, nil, nil)
	gz := cl.Do("GET", path, nil, map[string]string{"Accept-Encoding": "gzip"})
	br := cl.Do("GET", path, nil, map[string]string{"Accept-Encoding": "br, gzip"})
	if plain.Status != 200 || gz.Status != 200 || br.Status != 200 {
		t.Fatalf("GET %s: %d, %d, %d", path, plain.Status, gz.Status, br.Status)
	}
	if plain.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(plain.Body, "<!doctype html>") {
		t.Fatalf("without gzip: Content-Encoding %q, body %.40q", plain.Header.Get("Content-Encoding"), plain.Body)
	}
	for name, r := range map[string]*webtest.Response{"gzip": gz, "br, gzip": br} {
		if r.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("Accept-Encoding %s: Content-Encoding %q, want the cached gzip", name, r.Header.Get("Content-Encoding"))
			continue
		}
		html := decode(t, r)
		if html != plain.Body {
			t.Errorf("Accept-Encoding %s: one gunzip gives %.60q, not the page", name, html)
		}
		if len(r.Body) > len(plain.Body)/2 {
			t.Errorf("Accept-Encoding %s: %d bytes for a %d-byte page", name, len(r.Body), len(plain.Body))
		}
		if !strings.Contains(r.Header.Get("Vary"), "Accept-Encoding") || strings.Count(r.Header.Get("Vary"), "Accept-Encoding") > 1 {
			t.Errorf("Accept-Encoding %s: Vary %q", name, r.Header.Get("Vary"))
		}
	}

	head := cl.Do("HEAD", "/login", nil, map[string]string{"Accept-Encoding": "gzip"})
	if head.Status != 200 || head.Body != "" || head.Header.Get("Content-Encoding") != "gzip" || head.Header.Get("Content-Length") == "" {
		t.Errorf("HEAD /login: %d, %d body bytes, Content-Encoding %q, Content-Length %q", head.Status, len(head.Body),
			head.Header.Get("Content-Encoding"), head.Header.Get("Content-Length"))
	}
	css := regexp.MustCompile(`href="(/static/css/app\.css\?v=[^"]+)"`).FindStringSubmatch(plain.Body)
	if css == nil {
		t.Fatal("no stylesheet on the public page")
	}
	for _, ae := range []string{"", "gzip", "br"} {
		h := map[string]string{"Accept-Encoding": ae}
		head, get := cl.Do("HEAD", css[1], nil, h), cl.Do("GET", css[1], nil, h)
		if head.Status != 200 || head.Body != "" || head.Header.Get("Content-Encoding") != get.Header.Get("Content-Encoding") ||
			head.Header.Get("Content-Length") != get.Header.Get("Content-Length") {
			t.Errorf("HEAD of the stylesheet, Accept-Encoding %q: %d, %d body bytes, Content-Encoding %q, Content-Length %q (GET: %q, %q)", ae,
				head.Status, len(head.Body), head.Header.Get("Content-Encoding"), head.Header.Get("Content-Length"),
				get.Header.Get("Content-Encoding"), get.Header.Get("Content-Length"))
		}
	}

	etags := map[string]bool{}
	for _, ae := range []string{"", "gzip", "br"} {
		first := cl.Do("GET", css[1], nil, map[string]string{"Accept-Encoding": ae})
		etag := first.Header.Get("ETag")
		etags[etag] = true
		again := cl.Do("GET", css[1], nil, map[string]string{"Accept-Encoding": ae, "If-None-Match": etag})
		if first.Status != 200 || again.Status != 304 || again.Body != "" || !strings.Contains(again.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("stylesheet, Accept-Encoding %q: %d then %d (%d bytes, Vary %q)", ae, first.Status, again.Status, len(again.Body), again.Header.Get("Vary"))
		}
		if ae != "" && !bytes.Equal([]byte(decode(t, first)), []byte(decode(t, cl.Do("GET", css[1], nil, nil)))) {
			t.Errorf("stylesheet in %s decodes to other bytes", ae)
		}
	}
	if len(etags) != 3 {
		t.Errorf("one ETag for several codings of the stylesheet: %v", etags)
	}
}

// Compressed pages must not repeat a secret byte for byte (BREACH): the
// CSRF token is masked afresh on each response, and any masking of the
// session's token is accepted, a forged one is not.
func TestCSRFTokenMaskedPerResponse(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	cl := env.Client()
	cl.Get("/login")
	first := cl.CSRF()
	cl.Get("/login")
	second := cl.CSRF()
	if first == "" || first == second {
		t.Fatalf("the same CSRF token on two responses: %q", first)
	}
	for name, tc := range map[string]struct {
		token string
		want  int
	}{
		"the first page's": {first, 200},
		"a forged one":     {strings.Repeat("A", len(first)), 403},
		"not base64":       {"!" + first[1:], 403},
	} {
		r := cl.Raw("POST", "/login", "application/x-www-form-urlencoded",
			[]byte("email=nobody%40example.org&password=wrong-password-123&csrf_token="+tc.token), nil)
		if (r.Status == 403) != (tc.want == 403) {
			t.Errorf("%s token: %d, want %d", name, r.Status, tc.want)
		}
	}
}
