package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/did"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/verify"
	"github.com/trustcred/trustcred/internal/verifylog"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func TestServiceCachesAndLogs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		logs := verifylog.New(db, slog.Default(), verifylog.Options{})
		svc := verify.NewService(f.db, f.is, nil, logs, 100)
		doc, cred := f.issue(t, vc.CryptosuiteRDFC, nil)
		visit := verify.Visit{Method: store.VerifiedByWebInterface, IP: "192.0.2.7", UserAgent: "test"}

		first, err := svc.Credential(ctx, cred.PublicID, visit)
		if err != nil || !first.Result.Verified {
			t.Fatalf("first view: %v %+v", err, first)
		}
		second, err := svc.Credential(ctx, cred.PublicID, verify.Visit{Method: store.VerifiedByQRCode})
		if err != nil || second.Result != first.Result {
			t.Fatalf("second view was verified again (cache miss): %v", err)
		}
		if _, err := f.sc.ChangeCredentialStatus(ctx, cred.ID, store.ActionSuspend, "", store.ViaWeb, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		third, err := svc.Credential(ctx, cred.PublicID, visit)
		if err != nil || third.Result.Verdict != verify.Suspended {
			t.Fatalf("after suspension: %v %+v", err, third.Result)
		}
		if _, err := svc.Credential(ctx, "nosuchcredential", visit); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
		// A document brought by someone: linked to our credential.
		if r := svc.Document(ctx, doc, verify.Visit{Method: store.VerifiedByAPI}); r.Verdict != verify.Suspended {
			t.Fatalf("uploaded copy: %s", r.Verdict)
		}
		// A document naming one of our ids that we never issued: not linked.
		unknown := clone(t, doc)
		unknown["id"] = f.srv.URL + "/v/aaaaaaaaaaaaaaaaaaaaaaaaaa"
		if r := svc.Document(ctx, unknown, verify.Visit{Method: store.VerifiedByAPI}); r.Verified {
			t.Fatal("a changed id still verifies")
		}
		if err := logs.Close(ctx); err != nil {
			t.Fatal(err)
		}
		var total, linked, withOrg, suspended int
		q := "SELECT count(*), count(credential_id), count(CASE WHEN organization_id = '" + f.org.ID + "' THEN 1 END), " +
			"count(CASE WHEN verdict = 'suspended' THEN 1 END) FROM verification_logs"
		if err := db.SQL().QueryRowContext(ctx, q).Scan(&total, &linked, &withOrg, &suspended); err != nil {
			t.Fatal(err)
		}
		if total != 5 || linked != 4 || withOrg != 4 || suspended != 2 {
			t.Fatalf("logs: %d total, %d linked, %d of the issuer, %d suspended; want 5, 4, 4, 2", total, linked, withOrg, suspended)
		}
	})
}

// A document naming a server that answers slowly is verified within the
// service's deadline: the check fails with a reason, the request does not
// hang for as long as the server likes.
func TestServiceDeadline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		var hits atomic.Int32
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}))
		t.Cleanup(slow.Close)
		svc := verify.NewService(f.db, f.is, &verify.Fetcher{AllowPrivate: true, TTL: -1}, nil, 10)
		svc.Timeout = 300 * time.Millisecond
		issuer, err := did.Web(slow.URL)
		if err != nil {
			t.Fatal(err)
		}
		doc := map[string]any{"@context": []any{vc.ContextCredentialsV2}, "type": []any{"VerifiableCredential"}, "issuer": issuer,
			"credentialSubject": map[string]any{"id": "did:example:ada"},
			"proof": map[string]any{"@context": []any{vc.ContextCredentialsV2}, "type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "proofPurpose": "assertionMethod",
				"verificationMethod": issuer + "#key-1", "proofValue": vc.MultibaseEncode(make([]byte, 64))}}
		start := time.Now()
		r := svc.Document(context.Background(), doc, verify.Visit{Method: store.VerifiedByAPI})
		if took := time.Since(start); took > 3*time.Second { // the fetcher alone would wait 5 s
			t.Fatalf("verification took %s despite a 300 ms deadline", took)
		}
		if r.Verified || hits.Load() == 0 {
			t.Fatalf("verified %v, the slow server asked %d times: %v", r.Verified, hits.Load(), r.Errors())
		}
		// A server too slow to answer is not a verdict on the credential.
		if r.Verdict != verify.Unavailable || r.Cause() == nil {
			t.Fatalf("verdict %s, want unavailable with its cause", r.Verdict)
		}
	})
}

// A presentation may hold at most MaxPresentationCredentials credentials.
func TestPresentationCredentialLimit(t *testing.T) {
	fx := newFuzzFixture(t)
	var cred map[string]any
	if err := json.Unmarshal(fx.credential, &cred); err != nil {
		t.Fatal(err)
	}
	creds := make([]any, verify.MaxPresentationCredentials+1)
	for i := range creds {
		creds[i] = cred
	}
	vp := map[string]any{"@context": []any{vc.ContextCredentialsV2}, "type": []any{"VerifiablePresentation"}, "verifiableCredential": creds}
	r := fx.v.Presentation(context.Background(), vp, verify.PresentationOptions{AllowUnsigned: true})
	if r.Verified || len(r.Credentials) != 0 || !strings.Contains(strings.Join(r.Errors(), " "), "at most") {
		t.Fatalf("%d credentials: verified %v, %d checked, %v", len(creds), r.Verified, len(r.Credentials), r.Errors())
	}
	vp["verifiableCredential"] = creds[:2]
	if r := fx.v.Presentation(context.Background(), vp, verify.PresentationOptions{AllowUnsigned: true}); !r.Verified || len(r.Credentials) != 2 {
		t.Fatalf("two credentials: %v", r.Errors())
	}
}

// The server's own DID documents are kept between verifications, yet a
// new signing key and a revoked issuer are seen by the very next one: a
// credential signed with a key added after the document was kept
// verifies, and once the issuer is revoked its credentials no longer do.
func TestLocalDIDFollowsKeysAndIssuer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		v := verify.NewVerifier(f.db, f.is, nil)
		before, _ := f.issue(t, vc.CryptosuiteRDFC, nil)
		expect(t, v.Credential(ctx, before), verify.Valid) // the document is kept
		if _, err := f.is.RotateKey(ctx, f.sc, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		after, _ := f.issue(t, vc.CryptosuiteRDFC, nil)
		if before["proof"].(map[string]any)["verificationMethod"] == after["proof"].(map[string]any)["verificationMethod"] {
			t.Fatal("the rotation did not change the signing key")
		}
		expect(t, v.Credential(ctx, after), verify.Valid)
		expect(t, v.Credential(ctx, before), verify.Valid) // the retired key stays published
		if _, err := db.ChangeOrganizationStatus(ctx, f.org.ID, store.RevokeOrganization, "closed", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		expect(t, v.Credential(ctx, after), verify.Invalid, verify.CheckIssuer)
	})
}
