package issuance_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/trustcred/trustcred/internal/interoptest"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// What TrustCred issues — both cryptosuites, diplomas and Open Badges,
// did:web and did:key — is accepted by the independent Digital Bazaar
// verifier, which also sees revocation and suspension in our status lists.
func TestIndependentVerifierAcceptsIssuedCredentials(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	f := setup(t, db)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f.is.BaseURL = srv.URL
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
	ctx := context.Background()
	var docs []any
	var issued []*issuance.Issued
	issue := func(tpl *store.CredentialTemplate, recipient string) {
		out, err := f.is.Submit(ctx, f.sc, request(tpl, "Ada Lovelace", recipient), store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		issued = append(issued, out.Issued)
		docs = append(docs, reparse(t, out.JSON))
	}
	issue(f.rdfc, "ada@example.org")
	issue(f.jcs, "did:example:ada")
	issue(f.badge, "ada@example.org")
	if err := f.is.SetDIDMethod(ctx, f.sc, store.DIDKey, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	issue(f.rdfc, "ada@example.org")
	issue(f.jcs, "ada@example.org")
	args := []string{"--resolve-base", srv.URL, "--map", srv.URL + "/=" + srv.URL + "/"}
	for i, r := range interoptest.VerifyJSON(t, docs, args...) {
		if !r.Verified {
			t.Errorf("credential %d not verified: %v", i, r.Errors)
		}
	}
	if _, err := f.sc.ChangeCredentialStatus(ctx, issued[0].Credential.ID, store.ActionRevoke, "error", store.ViaWeb, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sc.ChangeCredentialStatus(ctx, issued[3].Credential.ID, store.ActionSuspend, "", store.ViaWeb, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	res := interoptest.VerifyJSON(t, []any{docs[0], docs[3], docs[1]}, args...)
	if res[0].Verified || !res[0].Revoked {
		t.Errorf("revoked credential: %+v", res[0])
	}
	if res[1].Verified || !res[1].Suspended {
		t.Errorf("suspended credential: %+v", res[1])
	}
	if !res[2].Verified {
		t.Errorf("untouched credential: %v", res[2].Errors)
	}
}
