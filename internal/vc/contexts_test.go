package vc

import (
	"errors"
	"testing"
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
