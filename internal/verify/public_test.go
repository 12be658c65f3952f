package verify_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

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
		svc := verify.NewService(f.is, nil, logs, 100)
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
