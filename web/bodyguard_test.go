package web_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// gz compresses b as one gzip member.
func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// gzipBomb is a gzip body that decodes to prefix, mib MiB of spaces, then
// suffix. It is a series of gzip members (RFC 1952 section 2.2, which every
// gzip reader decodes as one stream): the member holding 1 MiB of spaces is
// compressed once and repeated, so a 1 GiB bomb costs the test about 1 MB and
// a millisecond, not a gigabyte.
func gzipBomb(t testing.TB, prefix, suffix string, mib int) []byte {
	t.Helper()
	member := gz(t, bytes.Repeat([]byte(" "), 1<<20))
	var b bytes.Buffer
	b.Write(gz(t, []byte(prefix)))
	for range mib {
		b.Write(member)
	}
	b.Write(gz(t, []byte(suffix)))
	return b.Bytes()
}

// sendMeasured sends req to the app and returns its response and how many
// bytes the process allocated meanwhile (runtime.MemStats.TotalAlloc counts
// every allocation, freed or not, so a decoded bomb shows even if the GC has
// already reclaimed it).
func sendMeasured(t *testing.T, e *webtest.Env, req *http.Request) (*http.Response, string, uint64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := e.App.Test(req, -1)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body), after.TotalAlloc - before.TotalAlloc
}

// A request body is never decoded: a compressed request is refused with 415
// before any handler, form parser or CSRF check reads it, so a few kilobytes
// on the wire cannot make the server allocate gigabytes.
func TestCompressedRequestBodiesAreRefused(t *testing.T) {
	e := webtest.New(t, store.SQLite)
	const limit = 4 << 20 // what a refused request may allocate beyond the bytes sent

	t.Run("stacked gzip to the verification API", func(t *testing.T) {
		// 1 GiB of spaces, gzipped twice: about 2 KB on the wire.
		body := gz(t, gzipBomb(t, "", "", 1024))
		req := httptest.NewRequest("POST", "/api/v1/credentials/verify", bytes.NewReader(body))
		req.Host = "localhost" // not an unknown host (httptest says example.com), which custom domain routing answers 404
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Encoding", "gzip, gzip")
		res, out, grew := sendMeasured(t, e, req)
		t.Logf("%d bytes sent, %d bytes allocated", len(body), grew)
		if res.StatusCode != http.StatusUnsupportedMediaType || res.Header.Get("Accept-Encoding") != "identity" {
			t.Fatalf("%d, Accept-Encoding %q: %s", res.StatusCode, res.Header.Get("Accept-Encoding"), out)
		}
		var p map[string]any
		if err := json.Unmarshal([]byte(out), &p); err != nil || p["title"] != "Compressed request not accepted" {
			t.Fatalf("not a problem document: %s", out)
		}
		if grew > limit {
			t.Fatalf("the server allocated %d MB for a %d-byte request", grew>>20, len(body))
		}
	})

	t.Run("gzipped multipart sign-in", func(t *testing.T) {
		// A form whose email field is 1 GiB of spaces, gzipped: about 1 MB.
		body := gzipBomb(t, "--B\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n", "\r\n--B--\r\n", 1024)
		send := func(contentType, encoding string) (*http.Response, string, uint64) {
			req := httptest.NewRequest("POST", "/login", bytes.NewReader(body))
			req.Host = "localhost" // not an unknown host (httptest says example.com), which custom domain routing answers 404
			req.Header.Set("Content-Type", contentType)
			if encoding != "" {
				req.Header.Set("Content-Encoding", encoding)
			}
			return sendMeasured(t, e, req)
		}
		// app.Test copies a request several times on its way in; the same
		// bytes sent as an opaque body (refused by the CSRF check without
		// being decoded) measure that.
		_, _, baseline := send("application/octet-stream", "")
		res, out, grew := send("multipart/form-data; boundary=B", "gzip")
		t.Logf("%d bytes sent, %d bytes allocated (%d as an opaque body)", len(body), grew, baseline)
		// 415, not the CSRF check's 403: refused before any form value is read.
		if res.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(out, "does not accept compressed requests") {
			t.Fatalf("%d: %s", res.StatusCode, out)
		}
		if grew > baseline+limit {
			t.Fatalf("the server allocated %d MB for a %d-byte request (%d MB as an opaque body)", grew>>20, len(body), baseline>>20)
		}
	})

	t.Run("every coding, however it is written", func(t *testing.T) {
		for _, codings := range [][]string{
			{"gzip"}, {"GZip"}, {"deflate"}, {"br"}, {"zstd"}, {"compress"}, {"x-gzip"},
			{"identity, gzip"}, {"gzip,identity"}, {"identity", "gzip"},
		} {
			req := httptest.NewRequest("POST", "/api/v1/credentials/verify", strings.NewReader(`{}`))
			req.Host = "localhost" // not an unknown host (httptest says example.com), which custom domain routing answers 404
			req.Header.Set("Content-Type", "application/json")
			for _, c := range codings {
				req.Header.Add("Content-Encoding", c)
			}
			res, err := e.App.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnsupportedMediaType {
				t.Errorf("Content-Encoding %q: %d, want 415", codings, res.StatusCode)
			}
		}
	})

	t.Run("an uncompressed request still works", func(t *testing.T) {
		c := issueOne(t, e, "uni")
		doc, err := json.Marshal(map[string]any{"verifiableCredential": c.doc})
		if err != nil {
			t.Fatal(err)
		}
		for _, coding := range []string{"", "identity", "Identity"} {
			req := httptest.NewRequest("POST", "/api/v1/credentials/verify", bytes.NewReader(doc))
			req.Host = "localhost" // not an unknown host (httptest says example.com), which custom domain routing answers 404
			req.Header.Set("Content-Type", "application/json")
			if coding != "" {
				req.Header.Set("Content-Encoding", coding)
			}
			res, out, _ := sendMeasured(t, e, req)
			var v map[string]any
			if err := json.Unmarshal([]byte(out), &v); err != nil || res.StatusCode != 200 || v["verified"] != true {
				t.Fatalf("Content-Encoding %q: %d %s", coding, res.StatusCode, out)
			}
		}
		// A browser's form, multipart and not compressed, reaches its handler.
		r := e.Client().Upload("/verify", "file", "credential.json", c.json)
		if r.Status != 200 || !strings.Contains(r.Body, `data-verdict="valid"`) {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
	})
}
