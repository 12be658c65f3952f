package web_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"html"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/webhook"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// The schemas endpoint serves events.Schema of every catalogue entry, in
// the list and one by one; public, cacheable, with an ETag; no cookie.
func TestEventSchemas(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		cl := env.Client()
		r := cl.Get("/api/v1/events/schemas")
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Cache-Control") != "public, max-age=3600" ||
			r.Header.Get("Access-Control-Allow-Origin") != "*" || r.Header.Get("Set-Cookie") != "" {
			t.Fatalf("list: %d %v", r.Status, r.Header)
		}
		var list struct {
			Schemas []struct {
				Type, Description, Group string
				Version                  int
				Schema                   any
			}
		}
		if err := json.Unmarshal([]byte(r.Body), &list); err != nil {
			t.Fatal(err)
		}
		if len(list.Schemas) != len(events.Catalogue) {
			t.Fatalf("%d schemas listed, the catalogue has %d", len(list.Schemas), len(events.Catalogue))
		}
		for i, s := range events.Catalogue {
			want := roundTrip(t, events.Schema(s))
			e := list.Schemas[i]
			if e.Type != string(s.Type) || e.Version != s.Version || e.Description != s.Description || e.Group != string(s.Group) ||
				!reflect.DeepEqual(e.Schema, want) {
				t.Errorf("list entry %d: %+v, want %s", i, e, s.Type)
			}
			r := cl.Get("/api/v1/events/schemas/" + string(s.Type))
			var got any
			if err := json.Unmarshal([]byte(r.Body), &got); err != nil || r.Status != 200 ||
				r.Header.Get("Content-Type") != "application/schema+json" || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %d %s %v", s.Type, r.Status, r.Header.Get("Content-Type"), err)
			}
			if etag := r.Header.Get("ETag"); etag == "" {
				t.Errorf("%s: no ETag", s.Type)
			} else if again := cl.Do("GET", "/api/v1/events/schemas/"+string(s.Type), nil, map[string]string{"If-None-Match": etag}); again.Status != 304 {
				t.Errorf("%s with If-None-Match: %d", s.Type, again.Status)
			}
		}
		r = cl.Get("/api/v1/events/schemas/credential.stolen")
		if r.Status != 404 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") || !strings.Contains(r.Body, "Unknown event type") {
			t.Errorf("unknown type: %d %s", r.Status, r.Body)
		}
	})
}

func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The docs page lists every event with its fields and a link to its schema,
// explains the headers, and is linked from every page's footer and from the
// API keys page.
func TestEventsDocsPage(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	r := env.Client().Get("/docs/events")
	if r.Status != 200 || !r.Has("events-docs") || !r.Has("events-verifying") {
		t.Fatalf("/docs/events: %d", r.Status)
	}
	for _, s := range events.Catalogue {
		if !r.Has("event-"+string(s.Type)) || !strings.Contains(r.Body, `href="/api/v1/events/schemas/`+string(s.Type)+`"`) ||
			!strings.Contains(r.Body, html.EscapeString(s.Description)) {
			t.Errorf("%s: missing, or its schema link or description", s.Type)
		}
		// Every field of the schema's data, nested ones by their dotted path,
		// is a row of the event's table.
		start := strings.Index(r.Body, `data-testid="event-`+string(s.Type)+`"`)
		section := r.Body[start:]
		if end := strings.Index(section[1:], "<article"); end > 0 {
			section = section[:end]
		}
		var walk func(prefix string, schema map[string]any)
		walk = func(prefix string, schema map[string]any) {
			props, _ := schema["properties"].(map[string]any)
			for name, p := range props {
				if !strings.Contains(section, `data-field="`+prefix+name+`"`) {
					t.Errorf("%s: field %s%s not in its table", s.Type, prefix, name)
				}
				walk(prefix+name+".", p.(map[string]any))
			}
		}
		walk("", events.Schema(s)["properties"].(map[string]any)["data"].(map[string]any))
	}
	for _, g := range []string{"Credentials", "Bulk issuance", "Organization", "Members", "API keys"} {
		if !strings.Contains(r.Body, ">"+g+" events</h2>") {
			t.Errorf("group %s has no heading", g)
		}
	}
	for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature", "v1a", "did.json"} {
		if !strings.Contains(r.Body, h) {
			t.Errorf("the verification section does not mention %s", h)
		}
	}
	if home := env.Client().Get("/"); !home.Has("footer-events-docs") {
		t.Error("the footer does not link to the events docs")
	}
	cl := env.Client()
	cl.Login(env.User(store.RoleAdmin, env.Org("acme")))
	if keys := cl.Get("/api-keys"); !keys.Has("apikeys-events-docs") {
		t.Error("the API keys page does not link to the events docs")
	}
}

// The verification snippets on the docs page, as a reader copies them, accept
// a delivery TrustCred signed and refuse a tampered one: Go (v1 and v1a)
// built with the go command, JavaScript run by Node.js.
func TestEventsDocsSnippetsVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	env := webtest.New(t, store.SQLite)
	page := env.Client().Get("/docs/events").Body
	code := func(label string) string {
		m := regexp.MustCompile(`aria-label="` + regexp.QuoteMeta(label) + `"[^>]*><code>([^<]*)</code>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no code block %q on the page", label)
		}
		return html.UnescapeString(m[1])
	}
	secret := webhook.NewSecret()
	key, _ := webhook.ParseSecret(secret)
	pub, priv, _ := ed25519.GenerateKey(nil)
	body := []byte(`{"type":"member.joined","version":1,"timestamp":"2026-06-01T09:30:00Z","data":{"email":"grace@example.edu"}}`)
	now := time.Now()
	h := http.Header{}
	webhook.Headers(h, "evt_0190a0a0", now, webhook.Sign(key, "evt_0190a0a0", now, body), webhook.SignEd25519(priv, "evt_0190a0a0", now, body))
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("body.json", string(body))
	write("tampered.json", strings.Replace(string(body), "grace", "mallory", 1))
	args := []string{h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature"), secret, hex.EncodeToString(pub)}

	if goCmd, err := exec.LookPath("go"); err == nil {
		write("go.mod", "module snippet\n\ngo 1.24\n")
		write("main.go", "package main\n\nimport (\n\t\"crypto/ed25519\"\n\t\"encoding/hex\"\n\t\"fmt\"\n\t\"os\"\n)\n\n"+code("Verifying a delivery in Go")+`

func verifyA(h http.Header, body []byte, pub ed25519.PublicKey) bool {
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
`+code("Checking a v1a signature in Go")+`
	return false
}

func main() {
	h := http.Header{}
	h.Set("webhook-id", os.Args[1])
	h.Set("webhook-timestamp", os.Args[2])
	h.Set("webhook-signature", os.Args[3])
	pub, _ := hex.DecodeString(os.Args[5])
	for _, f := range []string{"body.json", "tampered.json"} {
		body, _ := os.ReadFile(f)
		fmt.Println(f, verify(h, body, os.Args[4]), verifyA(h, body, pub))
	}
}
`)
		cmd := exec.Command(goCmd, append([]string{"run", "."}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil || string(out) != "body.json true true\ntampered.json false false\n" {
			t.Errorf("the Go snippets: %v\n%s", err, out)
		}
	} else {
		t.Log("no go command: the Go snippet is not checked")
	}

	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is needed to check the JavaScript snippet")
		}
		t.Skip("no node: the JavaScript snippet is not checked")
	}
	write("verify.mjs", code("Verifying a delivery in JavaScript")+`

import { readFileSync } from "node:fs";
const [id, ts, sig, secret] = process.argv.slice(2);
const headers = { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig };
for (const f of ["body.json", "tampered.json"]) {
  console.log(f, verify(headers, readFileSync(f, "utf8"), secret));
}
`)
	cmd := exec.Command(node, append([]string{"verify.mjs"}, args[:4]...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "body.json true\ntampered.json false\n" {
		t.Errorf("the JavaScript snippet: %v\n%s", err, out)
	}
}
