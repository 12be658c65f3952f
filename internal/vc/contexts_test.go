package vc

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/trustcred/trustcred/internal/vc/internal/ld"
)

func TestOfflineLoader(t *testing.T) {
	for url := range contextFileNames {
		rd, err := OfflineLoader{}.LoadDocument(url)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		m, ok := rd.Document.(map[string]any)
		if !ok || m["@context"] == nil || rd.DocumentURL != url {
			t.Errorf("%s: not a context document", url)
		}
	}
	for _, url := range []string{
		"https://www.w3.org/2018/credentials/v1",
		"https://example.com/context.jsonld",
		"https://www.w3.org/ns/credentials/v2/",
		"http://www.w3.org/ns/credentials/v2",
		"",
	} {
		if _, err := (OfflineLoader{}).LoadDocument(url); !errors.Is(err, ErrUnknownContext) {
			t.Errorf("%q: err = %v, want ErrUnknownContext", url, err)
		}
	}
}

// A refused context keeps its URL through JSON-LD's wrapping, so that a
// caller can say which one is not supported.
func TestUnknownContextNamesTheURL(t *testing.T) {
	for _, ctx := range []any{
		[]any{ContextCredentialsV2, "https://example.org/ctx"},
		"https://example.org/ctx",
		[]any{ContextCredentialsV2, map[string]any{"@import": "https://example.org/ctx"}},
	} {
		doc := map[string]any{"@context": ctx, "type": "VerifiableCredential", "credentialSubject": map[string]any{"id": "did:example:1"}}
		_, err := CanonicalizeRDFC(doc)
		var uc *UnknownContextError
		if !errors.Is(err, ErrUnknownContext) || !errors.As(err, &uc) || uc.URL != "https://example.org/ctx" {
			t.Errorf("%v: %v, want an UnknownContextError for https://example.org/ctx", ctx, err)
		}
	}
	if _, err := ContextDocument("https://example.org/ctx"); err == nil || err.Error() != `vc: JSON-LD context not available offline: "https://example.org/ctx"` {
		t.Errorf("ContextDocument: %v", err)
	}
}

// The scoped contexts of the embedded contexts are valid. Processed as
// remote contexts (as documents use them) they are not validated until
// used; inline, every scoped context is processed once when defined.
func TestEmbeddedScopedContextsAreValid(t *testing.T) {
	for url := range contextFileNames {
		rd, err := OfflineLoader{}.LoadDocument(url)
		if err != nil {
			t.Fatal(err)
		}
		inline := rd.Document.(map[string]any)["@context"]
		if _, err := ld.NewContext(nil, jsonLDOptions()).Parse(inline); err != nil {
			t.Errorf("%s: %v", url, err)
		}
	}
}

// The JSON-LD engine has no HTTP loader: even with its default options
// (no loader set), a remote context is refused and nothing is fetched.
func TestEngineNeverFetches(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/ld+json")
		w.Write([]byte(`{"@context": {"name": "https://schema.org/name"}}`))
	}))
	defer srv.Close()
	doc := map[string]any{"@context": srv.URL + "/context.jsonld", "name": "Ada"}
	if _, err := ld.NewJsonLdProcessor().Expand(doc, ld.NewJsonLdOptions("")); err == nil {
		t.Error("a remote context was loaded")
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests to the context's server", n)
	}
}
