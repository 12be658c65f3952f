package handlers

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/webhook"
	"github.com/trustcred/trustcred/views/docs"
)

// eventsDocs is the /docs/events page's model, from the catalogue: the
// groups in catalogue order, each event's data fields in its payload
// struct's order (the same fields events.Schema derives), and its example
// as the body a receiver gets.
func eventsDocs() docs.EventsModel {
	m := docs.EventsModel{GoSnippet: goVerifySnippet, JSSnippet: jsVerifySnippet, Ed25519Snippet: ed25519Snippet,
		Tolerance: fmt.Sprintf("%d minutes", int(webhook.Tolerance/time.Minute)),
		Retries:   "with growing waits and some jitter (5 seconds, 5 minutes, 30 minutes, 2 hours, 5 hours, then every 10 hours) for about three days."}
	groups := map[events.Group]int{}
	for _, s := range events.Catalogue {
		i, ok := groups[s.Group]
		if !ok {
			i = len(m.Groups)
			groups[s.Group] = i
			m.Groups = append(m.Groups, docs.Group{Name: string(s.Group), Anchor: "group-" + anchor(string(s.Group))})
		}
		data, err := json.Marshal(s.Example)
		if err != nil {
			panic("events: example of " + string(s.Type) + ": " + err.Error())
		}
		example, err := json.MarshalIndent(events.Body{Type: s.Type, Version: s.Version, Timestamp: exampleAt, Data: data}, "", "  ")
		if err != nil {
			panic("events: example of " + string(s.Type) + ": " + err.Error())
		}
		m.Groups[i].Events = append(m.Groups[i].Events, docs.Event{Type: string(s.Type), Anchor: "event-" + anchor(string(s.Type)),
			Version: s.Version, Description: s.Description, Fields: fields("", reflect.TypeOf(s.Payload)),
			Example: string(example), SchemaURL: events.SchemaBase + string(s.Type)})
	}
	return m
}

var exampleAt = time.Date(2026, 6, 1, 9, 30, 0, 0, time.UTC)

func anchor(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, s)
}

var timeType = reflect.TypeFor[time.Time]()

// fields lists a payload struct's fields as a receiver reads them, a
// nested object's fields after it under its dotted path.
func fields(prefix string, t reflect.Type) []docs.Field {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []docs.Field
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		out = append(out, docs.Field{Name: prefix + name, Type: jsonType(ft), Required: opts != "omitempty", Description: capitalized(f.Tag.Get("doc"))})
		if ft.Kind() == reflect.Struct && ft != timeType {
			out = append(out, fields(prefix+name+".", ft)...)
		}
	}
	return out
}

func jsonType(t reflect.Type) string {
	switch {
	case t == timeType:
		return "string (date-time)"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Int:
		return "integer"
	case t.Kind() == reflect.Bool:
		return "boolean"
	case t.Kind() == reflect.Slice:
		return "array of " + jsonType(t.Elem())
	case t.Kind() == reflect.Struct:
		return "object"
	}
	return t.Kind().String()
}

// The receivers' snippets the page shows. TestVerifySnippets checks
// deliveries signed by internal/webhook with copies of them.
const goVerifySnippet = `import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// verify reports whether a delivery is genuine: body is the request body
// as received, secret the webhook's whsec_… secret.
func verify(h http.Header, body []byte, secret string) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sent, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sent, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		version, value, _ := strings.Cut(sig, ",")
		got, err := base64.StdEncoding.DecodeString(value)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}`

const jsVerifySnippet = `import { createHmac, timingSafeEqual } from "node:crypto";

// body: the raw request body (a string, before JSON.parse);
// headers: lower-case names, as Node.js gives them.
export function verify(headers, body, secret) {
  const id = headers["webhook-id"];
  const ts = headers["webhook-timestamp"];
  if (!id || !ts || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const want = createHmac("sha256", key).update(id + "." + ts + "." + body).digest();
  return (headers["webhook-signature"] ?? "").split(" ").some((sig) => {
    const [version, value] = sig.split(",");
    const got = Buffer.from(value ?? "", "base64");
    return version === "v1" && got.length === want.length && timingSafeEqual(got, want);
  });
}`

const ed25519Snippet = `// pub: the 32 bytes after 0xed 0x01 in the base58btc of the
// organization's publicKeyMultibase (drop the leading "z").
for _, sig := range strings.Fields(h.Get("webhook-signature")) {
	version, value, _ := strings.Cut(sig, ",")
	raw, err := base64.StdEncoding.DecodeString(value)
	if version == "v1a" && err == nil && ed25519.Verify(pub, []byte(id+"."+ts+"."+string(body)), raw) {
		return true
	}
}`

// capitalized is a doc tag as the start of a sentence.
func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
