package verify_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/verify"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

type fixture struct {
	db  *store.DB
	is  *issuance.Issuer
	org *store.Organization
	sc  *store.Scoped
	tpl map[string]*store.CredentialTemplate
	srv *httptest.Server
	v   *verify.Verifier
}

// setup serves the issuer's DID documents and status lists over loopback
// HTTP, as a remote issuer would, and verifies through the guarded fetcher.
func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	keys, err := secret.NewKeyring(secret.Key{Raw: secret.GenerateKey()})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, tpl: map[string]*store.CredentialTemplate{}}
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.is = &issuance.Issuer{DB: db, Keys: keys, BaseURL: f.srv.URL}
	mux.HandleFunc("GET /orgs/{slug}/did.json", func(w http.ResponseWriter, r *http.Request) {
		org, err := db.OrganizationBySlug(r.Context(), r.PathValue("slug"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		doc, _ := f.is.DIDDocument(r.Context(), org)
		json.NewEncoder(w).Encode(doc)
	})
	mux.HandleFunc("GET /status-lists/{id}", func(w http.ResponseWriter, r *http.Request) {
		sl, err := f.is.StatusListCredential(r.Context(), r.PathValue("id"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Write(sl.JSON)
	})
	err = db.Seed(context.Background(), func(create func(any) error) error {
		f.org = &store.Organization{Name: "Example University", Slug: "example-uni", Type: store.OrganizationEducational,
			Status: store.OrganizationActive, DID: "did:web:example:orgs:example-uni"}
		if err := create(f.org); err != nil {
			return err
		}
		fields := []store.SchemaField{{Name: "degree", Label: "Degree", Type: store.SchemaFieldText, Required: true}}
		def, err := credschema.Build("Degree", fields)
		if err != nil {
			return err
		}
		cs := &store.CredentialSchema{Name: "Degree", Version: "1", OrganizationID: f.org.ID, Active: true,
			Fields: datatypes.NewJSONSlice(fields), SchemaDefinition: datatypes.JSON(def)}
		if err := create(cs); err != nil {
			return err
		}
		for _, suite := range []string{vc.CryptosuiteRDFC, vc.CryptosuiteJCS} {
			tpl := &store.CredentialTemplate{Name: "BSc " + suite, OrganizationID: f.org.ID, SchemaID: cs.ID, Active: true,
				TemplateData: datatypes.NewJSONType(store.TemplateData{Kind: store.TemplateDiploma, Cryptosuite: suite})}
			if err := create(tpl); err != nil {
				return err
			}
			tpl.Schema = cs
			f.tpl[suite] = tpl
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.sc = db.Scoped(f.org.ID)
	f.v = &verify.Verifier{Resolver: verify.Resolver{Fetcher: &verify.Fetcher{AllowPrivate: true, TTL: -1}}}
	return f
}

func (f *fixture) issue(t *testing.T, suite string, expires *time.Time) (map[string]any, *store.Credential) {
	t.Helper()
	out, err := f.is.Submit(context.Background(), f.sc, issuance.Request{Template: f.tpl[suite], RecipientName: "Ada",
		RecipientAddress: "ada@example.org", Data: map[string]any{"degree": "Physics"}, ExpiresAt: expires}, store.ViaWeb, "", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := vc.ParseJSON(out.JSON)
	return v.(map[string]any), out.Credential
}

func clone(t *testing.T, doc map[string]any) map[string]any {
	b, _ := json.Marshal(doc)
	v, err := vc.ParseJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

func expect(t *testing.T, r *verify.Result, verdict string, failing ...string) {
	t.Helper()
	if r.Verdict != verdict || r.Verified != (verdict == verify.Valid) {
		t.Fatalf("verdict %s (verified %v), want %s; checks %+v", r.Verdict, r.Verified, verdict, r.Checks)
	}
	for _, name := range failing {
		c, ok := r.Check(name)
		if !ok || c.Passed || c.Detail == "" {
			t.Errorf("check %s: %+v (ran %v), want failed with a reason", name, c, ok)
		}
	}
	if verdict == verify.Valid {
		for _, c := range r.Checks {
			if !c.Passed {
				t.Errorf("check %s failed: %s", c.Name, c.Detail)
			}
		}
	}
}

func TestVerifyOwnCredentials(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		for _, suite := range []string{vc.CryptosuiteRDFC, vc.CryptosuiteJCS} {
			doc, cred := f.issue(t, suite, nil)
			expect(t, f.v.Credential(ctx, doc), verify.Valid)

			tampered := clone(t, doc)
			tampered["credentialSubject"].(map[string]any)["degree"] = "Chemistry"
			expect(t, f.v.Credential(ctx, tampered), verify.Invalid, verify.CheckSignature)

			badProof := clone(t, doc)
			pv := badProof["proof"].(map[string]any)["proofValue"].(string)
			badProof["proof"].(map[string]any)["proofValue"] = pv[:len(pv)-3] + "abc"
			expect(t, f.v.Credential(ctx, badProof), verify.Invalid, verify.CheckSignature)

			unsigned := clone(t, doc)
			delete(unsigned, "proof")
			expect(t, f.v.Credential(ctx, unsigned), verify.Invalid, verify.CheckSignature)

			// Another issuer claimed: the key is not the claimed issuer's.
			other := clone(t, doc)
			other["issuer"] = map[string]any{"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}
			r := f.v.Credential(ctx, other)
			if r.Verified {
				t.Fatalf("%s: a changed issuer verified", suite)
			}

			if _, err := f.sc.ChangeCredentialStatus(ctx, cred.ID, store.ActionSuspend, "", store.ViaWeb, store.Actor{}); err != nil {
				t.Fatal(err)
			}
			expect(t, f.v.Credential(ctx, doc), verify.Suspended, verify.CheckSuspension)
			if _, err := f.sc.ChangeCredentialStatus(ctx, cred.ID, store.ActionRevoke, "fraud", store.ViaWeb, store.Actor{}); err != nil {
				t.Fatal(err)
			}
			expect(t, f.v.Credential(ctx, doc), verify.Revoked, verify.CheckRevocation)
		}
	})
}

func TestVerifyValidityDates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		exp := time.Now().Add(time.Hour)
		doc, _ := f.issue(t, vc.CryptosuiteJCS, &exp)
		expect(t, f.v.Credential(ctx, doc), verify.Valid)
		later := *f.v
		later.Now = func() time.Time { return exp.Add(time.Minute) }
		expect(t, later.Credential(ctx, doc), verify.Expired, verify.CheckValidity)
		earlier := *f.v
		earlier.Now = func() time.Time { return time.Now().Add(-time.Hour) }
		expect(t, earlier.Credential(ctx, doc), verify.Invalid, verify.CheckValidity)
	})
}

// A credential pointing at a status list another issuer signed is not
// accepted: the list says nothing about it.
func TestVerifyForeignStatusList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		theirs, _ := f.issue(t, vc.CryptosuiteRDFC, nil)
		pub, priv, _ := ed25519.GenerateKey(nil)
		did, _ := vc.DIDKey(pub)
		mine := clone(t, theirs)
		delete(mine, "proof")
		mine["issuer"] = did
		signed, err := vc.SignRDFC(mine, vc.ProofOptions{VerificationMethod: did + "#" + strings.TrimPrefix(did, "did:key:")}, priv)
		if err != nil {
			t.Fatal(err)
		}
		r := f.v.Credential(ctx, signed)
		expect(t, r, verify.Invalid, verify.CheckRevocation, verify.CheckSuspension)
		if c, _ := r.Check(verify.CheckSignature); !c.Passed {
			t.Fatalf("the signature itself is valid: %+v", c)
		}
		if c, _ := r.Check(verify.CheckRevocation); !strings.Contains(c.Detail, "not by the credential's issuer") {
			t.Fatalf("reason %q", c.Detail)
		}
	})
}

func TestWebDIDURL(t *testing.T) {
	for did, want := range map[string]string{
		"did:web:example.com":                  "https://example.com/.well-known/did.json",
		"did:web:example.com:orgs:acme":        "https://example.com/orgs/acme/did.json",
		"did:web:example.com%3A8443:orgs:acme": "https://example.com:8443/orgs/acme/did.json",
		"did:web:127.0.0.1%3A8080:orgs:acme":   "http://127.0.0.1:8080/orgs/acme/did.json",
		"did:web:localhost%3A8080":             "http://localhost:8080/.well-known/did.json",
		"did:web:127.0.0.1":                    "https://127.0.0.1/.well-known/did.json",
	} {
		got, err := verify.WebDIDURL(did)
		if err != nil || got != want {
			t.Errorf("%s: %s %v, want %s", did, got, err, want)
		}
	}
	for _, bad := range []string{"did:web:", "did:key:z6Mk", "did:web:a.com:..:x", "did:web:a.com%2Fevil", "did:web:a.com::x"} {
		if _, err := verify.WebDIDURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestFetcherGuards(t *testing.T) {
	big := strings.Repeat("x", 2<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write([]byte(big))
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	ctx := context.Background()
	closed := &verify.Fetcher{}
	if _, err := closed.Get(ctx, srv.URL+"/x"); err == nil {
		t.Fatal("plain http to loopback fetched without AllowPrivate")
	}
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	defer tls.Close()
	if _, err := closed.Get(ctx, tls.URL+"/x"); !errors.Is(err, verify.ErrBlockedAddress) {
		t.Fatalf("https to loopback: %v, want ErrBlockedAddress", err)
	}
	for _, u := range []string{"https://10.0.0.1/x", "https://169.254.169.254/latest/meta-data", "https://[::1]:1/x", "https://192.168.1.1/x"} {
		if _, err := closed.Get(ctx, u); !errors.Is(err, verify.ErrBlockedAddress) {
			t.Errorf("%s: %v, want ErrBlockedAddress", u, err)
		}
	}
	for _, u := range []string{"file:///etc/passwd", "ftp://example.com/x", "gopher://x", "http://example.com/x"} {
		if _, err := closed.Get(ctx, u); err == nil {
			t.Errorf("%s fetched", u)
		}
	}
	open := &verify.Fetcher{AllowPrivate: true}
	if b, err := open.Get(ctx, srv.URL+"/x"); err != nil || string(b) != `{"ok":true}` {
		t.Fatalf("allowed loopback: %s %v", b, err)
	}
	if _, err := open.Get(ctx, srv.URL+"/big"); !errors.Is(err, verify.ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
}

// The server's own verifier needs no network for its own credentials, and
// checks their data against the schema they were issued under.
func TestLocalVerifier(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		local := verify.NewVerifier(f.db, f.is, nil)
		doc, cred := f.issue(t, vc.CryptosuiteRDFC, nil)
		r := local.Credential(ctx, doc)
		expect(t, r, verify.Valid)
		if c, ok := r.Check(verify.CheckSchema); !ok || !c.Passed || !strings.Contains(c.Detail, "Degree") {
			t.Fatalf("schema check %+v", c)
		}
		if _, err := f.sc.ChangeCredentialStatus(ctx, cred.ID, store.ActionRevoke, "x", store.ViaWeb, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		expect(t, local.Credential(ctx, doc), verify.Revoked, verify.CheckRevocation)

		// A schema that no longer fits the data (edited behind TrustCred's back).
		doc2, cred2 := f.issue(t, vc.CryptosuiteJCS, nil)
		def, _ := credschema.Build("Degree", []store.SchemaField{{Name: "major", Label: "Major", Type: store.SchemaFieldText, Required: true}})
		if _, err := db.SQL().Exec(storetest.Rebind(db.Dialect(), "UPDATE credential_schemas SET schema_definition = ? WHERE id = ?"), string(def), cred2.SchemaID); err != nil {
			t.Fatal(err)
		}
		expect(t, local.Credential(ctx, doc2), verify.Invalid, verify.CheckSchema)

		// Without a fetcher, someone else's did:web cannot be resolved: a reason, not a crash.
		foreign := clone(t, doc2)
		foreign["issuer"] = "did:web:issuer.example"
		r = local.Credential(ctx, foreign)
		if r.Verified {
			t.Fatal("foreign issuer verified")
		}
	})
}
