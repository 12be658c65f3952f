package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/did"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// orgWithStatus creates an organization in a given status.
func orgWithStatus(t *testing.T, env *webtest.Env, slug string, status store.OrganizationStatus) *store.Organization {
	t.Helper()
	id, err := did.Web(env.Config.BaseURL, "orgs", slug)
	if err != nil {
		t.Fatal(err)
	}
	o := &store.Organization{Name: slug + " org", Slug: slug, Type: store.OrganizationCorporate, Status: status, DID: id}
	if err := env.DB.CreateOrganization(context.Background(), o, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return o
}

type didDocument struct {
	Context            []string `json:"@context"`
	ID                 string
	VerificationMethod []struct{ ID, Type, Controller, PublicKeyMultibase string }
	AssertionMethod    []string
}

func TestDIDDocument(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		_, key := createKey(t, env, org, nil, allScopes...)
		a := newAPI(t, env)
		ctx := context.Background()
		sc := env.DB.Scoped(org.ID)

		before := a.issue(key, degree(), nil)
		if _, err := a.is.RotateKey(ctx, sc, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		after := a.issue(key, degree(), map[string]any{"cryptosuite": vc.CryptosuiteJCS})
		keys, err := sc.SigningKeys(ctx)
		if err != nil || len(keys) != 2 {
			t.Fatalf("%d keys (%v)", len(keys), err)
		}

		r := env.Client().Get("/orgs/acme/did.json")
		var doc didDocument
		if r.Status != 200 || json.Unmarshal([]byte(r.Body), &doc) != nil {
			t.Fatalf("did.json: %d %s", r.Status, r.Body)
		}
		if r.Header.Get("Content-Type") != "application/did+json" || r.Header.Get("Cache-Control") != "public, max-age=300" ||
			r.Header.Get("Access-Control-Allow-Origin") != "*" || r.Header.Get("Set-Cookie") != "" {
			t.Errorf("did.json headers %v", r.Header)
		}
		if doc.ID != org.DID || doc.ID != "did:web:localhost%3A8080:orgs:acme" || len(doc.VerificationMethod) != 2 || len(doc.AssertionMethod) != 2 ||
			doc.Context[0] != "https://www.w3.org/ns/did/v1" {
			t.Fatalf("did.json %+v", doc)
		}
		// Every key, the retired one too, as a Multikey under assertionMethod.
		for _, k := range keys {
			found := false
			for i, m := range doc.VerificationMethod {
				found = found || m.ID == org.DID+"#"+k.KeyID && m.Type == "Multikey" && m.Controller == org.DID &&
					m.PublicKeyMultibase == k.PublicKeyMultibase && doc.AssertionMethod[i] == m.ID
			}
			if !found {
				t.Errorf("key %s (%s) not published: %+v", k.KeyID, k.Status, doc.VerificationMethod)
			}
		}
		// So what either key signed verifies.
		a.verify(before.doc)
		a.verify(after.doc)
		if before.doc["proof"].(map[string]any)["verificationMethod"] == after.doc["proof"].(map[string]any)["verificationMethod"] {
			t.Fatal("rotation did not change the signing key")
		}

		// Under did:key the credential names the key's DID; did.json still
		// serves the did:web credentials issued before.
		if err := a.is.SetDIDMethod(ctx, sc, store.DIDKey, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		byKey := a.issue(key, degree(), nil)
		if iss, _ := byKey.doc["issuer"].(string); !strings.HasPrefix(iss, "did:key:z6Mk") {
			t.Fatalf("did:key issuer %v", byKey.doc["issuer"])
		}
		a.verify(byKey.doc)
		if a.statusBit(byKey.doc, "revocation") {
			t.Fatal("new did:key credential revoked")
		}
		if r := env.Client().Get("/orgs/acme/did.json"); r.Status != 200 {
			t.Fatalf("did.json under did:key: %d", r.Status)
		}
		a.verify(before.doc)

		// Suspended: still served. Pending, revoked, unknown: 404 Problem Details.
		susp := orgWithStatus(t, env, "paused", store.OrganizationSuspended)
		if _, err := a.is.EnsureKey(ctx, env.DB.Scoped(susp.ID), store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if r := env.Client().Get("/orgs/paused/did.json"); r.Status != 200 || !strings.Contains(r.Body, susp.DID+"#z6Mk") {
			t.Fatalf("suspended organization: %d %s", r.Status, r.Body)
		}
		orgWithStatus(t, env, "waiting", store.OrganizationPending)
		orgWithStatus(t, env, "gone", store.OrganizationRevoked)
		for _, slug := range []string{"waiting", "gone", "nobody"} {
			wantProblem(t, slug, env.Client().Get("/orgs/"+slug+"/did.json"), 404, "DID not found", "No organization")
		}
	})
}

func TestStatusListEndpoint(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		_, key := createKey(t, env, org, nil, allScopes...)
		a := newAPI(t, env)
		out := a.issue(key, degree(), nil)
		var listURL string
		for _, e := range out.doc["credentialStatus"].([]any) {
			if e := e.(map[string]any); e["statusPurpose"] == "revocation" {
				listURL = strings.TrimPrefix(e["statusListCredential"].(string), env.Config.BaseURL)
			}
		}
		cl := env.Client()
		r := cl.Get(listURL)
		etag := r.Header.Get("ETag")
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/vc" || !strings.HasPrefix(etag, `"`) ||
			r.Header.Get("Cache-Control") != "public, max-age=60, must-revalidate" || r.Header.Get("Set-Cookie") != "" {
			t.Fatalf("status list: %d %v", r.Status, r.Header)
		}
		var list struct {
			ID, Issuer string
			Type       []string
		}
		if json.Unmarshal([]byte(r.Body), &list) != nil || list.ID != env.Config.BaseURL+listURL || list.Issuer != org.DID ||
			list.Type[1] != "BitstringStatusListCredential" {
			t.Fatalf("status list %s", r.Body)
		}
		// Unchanged: 304 without a body, also in a list or weak.
		for _, inm := range []string{etag, `"other", ` + etag, "W/" + etag, "*"} {
			r := cl.Do("GET", listURL, nil, map[string]string{"If-None-Match": inm})
			if r.Status != 304 || r.Body != "" || r.Header.Get("ETag") != etag {
				t.Fatalf("If-None-Match %s: %d %q", inm, r.Status, r.Body)
			}
		}
		if r := cl.Do("GET", listURL, nil, map[string]string{"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}); r.Status != 200 {
			t.Fatalf("If-Modified-Since alone: %d", r.Status)
		}
		// Revoked: a new ETag, and the old one no longer matches.
		change := map[string]any{"credentialId": out.publicID, "status": true,
			"credentialStatus": map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}
		if r := a.post(key, "/api/v1/credentials/status", change); r.Status != 200 {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		r = cl.Do("GET", listURL, nil, map[string]string{"If-None-Match": etag})
		if r.Status != 200 || r.Header.Get("ETag") == etag || r.Header.Get("ETag") == "" {
			t.Fatalf("after revocation: %d %s", r.Status, r.Header.Get("ETag"))
		}
		if !a.statusBit(out.doc, "revocation") {
			t.Fatal("revocation not in the served list")
		}
		for _, p := range []string{"/status-lists/nope", "/status-lists/0190a0a0-0000-7000-8000-000000000000"} {
			wantProblem(t, p, cl.Get(p), 404, "Status list not found", "no status list")
		}
		// Each list is served as itself, however requests for the two
		// interleave (served lists are kept in memory by id; a key that
		// pointed into a reused request buffer once answered one list's URL
		// with the other).
		lists := map[string]string{}
		for _, e := range out.doc["credentialStatus"].([]any) {
			e := e.(map[string]any)
			lists[e["statusPurpose"].(string)] = strings.TrimPrefix(e["statusListCredential"].(string), env.Config.BaseURL)
		}
		// Over a real listener, one keep-alive connection: Fiber reuses its
		// request buffer for the next request on it.
		served := env.Serve()
		for range 3 {
			for _, purpose := range []string{"revocation", "suspension"} {
				res, err := http.Get(served + lists[purpose])
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				var got struct {
					ID                string
					CredentialSubject struct{ StatusPurpose string }
				}
				if json.Unmarshal(body, &got) != nil || got.ID != env.Config.BaseURL+lists[purpose] ||
					got.CredentialSubject.StatusPurpose != purpose {
					t.Fatalf("GET %s (%s) answered with %s, %s", lists[purpose], purpose, got.ID, got.CredentialSubject.StatusPurpose)
				}
			}
		}
	})
}

func TestTrustCredContextEndpoint(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	cl := env.Client()
	r := cl.Get("/ns/credentials/v1")
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/ld+json" || r.Header.Get("Cache-Control") != "public, max-age=86400" ||
		r.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("context: %d %v", r.Status, r.Header)
	}
	var got any
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatal(err)
	}
	embedded, err := vc.OfflineLoader{}.LoadDocument(vc.ContextTrustCred)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, embedded.Document) || !strings.Contains(r.Body, `"@context"`) {
		t.Fatalf("served context differs from the embedded one:\n%s", r.Body)
	}
	if r := cl.Do("GET", "/ns/credentials/v1", nil, map[string]string{"If-None-Match": r.Header.Get("ETag")}); r.Status != 304 {
		t.Fatalf("revalidation: %d", r.Status)
	}
}
