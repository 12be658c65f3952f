package verify_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/verify"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// A server that cannot be reached or answers 5xx/429 is "could not check";
// a 404 or an oversized answer is a definite failure.
func TestFetcherUnavailable(t *testing.T) {
	ctx := context.Background()
	f := &verify.Fetcher{AllowPrivate: true, TTL: -1}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/503":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/429":
			w.WriteHeader(http.StatusTooManyRequests)
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2<<20)))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String() + "/did.json"
	ln.Close() // connection refused from now on

	for _, tc := range []struct {
		url         string
		unavailable bool
	}{
		{down, true},
		{srv.URL + "/503", true},
		{srv.URL + "/429", true},
		{srv.URL + "/404", false},
		{srv.URL + "/big", false},
		{"https://10.0.0.1/x", false}, // refused by the guard, not by the network
	} {
		guard := f
		if strings.HasPrefix(tc.url, "https://10.") {
			guard = &verify.Fetcher{TTL: -1}
		}
		_, err := guard.Get(ctx, tc.url)
		if err == nil {
			t.Fatalf("%s: no error", tc.url)
		}
		if got := errors.Is(err, verify.ErrUnavailable); got != tc.unavailable {
			t.Errorf("%s: unavailable %v, want %v (%v)", tc.url, got, tc.unavailable, err)
		}
	}
}

// checkUnknown requires that the named checks could not be made, with a
// fixed reason that carries nothing of the cause.
func checkUnknown(t *testing.T, r *verify.Result, names ...string) {
	t.Helper()
	if r.Verdict != verify.Unavailable || r.Verified {
		t.Fatalf("verdict %s (verified %v), want unavailable; checks %+v", r.Verdict, r.Verified, r.Checks)
	}
	for _, n := range names {
		c, ok := r.Check(n)
		if !ok || !c.Unknown || c.Passed {
			t.Errorf("check %s: %+v, want unknown", n, c)
		}
	}
	for _, c := range r.Checks {
		if !c.Unknown {
			continue
		}
		for _, leak := range []string{"127.0.0.1", "sql", "connect", "dial", "http", "HTTP"} {
			if strings.Contains(c.Detail, leak) {
				t.Errorf("check %s says %q (%q)", c.Name, c.Detail, leak)
			}
		}
	}
	if r.Cause() == nil {
		t.Error("no cause kept for the log")
	}
}

// The issuer's server down or failing: the credential could not be
// checked; its DID document missing: the credential is invalid.
func TestForeignIssuerUnreachable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := setup(t, db)
		ctx := context.Background()
		doc, _ := fx.issue(t, vc.CryptosuiteRDFC, nil)
		expect(t, fx.v.Credential(ctx, doc), verify.Valid)
		served := fx.srv.Config.Handler

		// Its status lists failing only: the signature is checked, the status is not.
		fx.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/status-lists/") {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			served.ServeHTTP(w, r)
		})
		r := fx.v.Credential(ctx, doc)
		checkUnknown(t, r, verify.CheckRevocation)
		if c, _ := r.Check(verify.CheckSignature); !c.Passed {
			t.Fatalf("signature %+v", c)
		}

		// A presentation of it: could not check, unless another credential
		// in it is definitely invalid.
		vp := map[string]any{"@context": []any{vc.ContextCredentialsV2}, "type": []any{"VerifiablePresentation"},
			"verifiableCredential": []any{doc}}
		pr := fx.v.Presentation(ctx, vp, verify.PresentationOptions{AllowUnsigned: true})
		if pr.Verified || !pr.Unavailable || pr.Cause() == nil {
			t.Fatalf("presentation: verified %v unavailable %v", pr.Verified, pr.Unavailable)
		}
		tampered := clone(t, doc)
		tampered["credentialSubject"].(map[string]any)["degree"] = "Chemistry"
		vp["verifiableCredential"] = []any{doc, tampered}
		if pr := fx.v.Presentation(ctx, vp, verify.PresentationOptions{AllowUnsigned: true}); pr.Verified || pr.Unavailable {
			t.Fatalf("presentation with a forged credential: verified %v unavailable %v", pr.Verified, pr.Unavailable)
		}

		fx.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		checkUnknown(t, fx.v.Credential(ctx, doc), verify.CheckSignature, verify.CheckIssuer)

		fx.srv.Config.Handler = http.NotFoundHandler()
		expect(t, fx.v.Credential(ctx, doc), verify.Invalid, verify.CheckIssuer)

		fx.srv.Close()
		checkUnknown(t, fx.v.Credential(ctx, doc), verify.CheckSignature, verify.CheckIssuer)
	})
}

// TrustCred's own database failing: its own credentials could not be
// checked, rather than "the signing key could not be found".
func TestLocalStoreDown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := setup(t, db)
		ctx := context.Background()
		local := verify.NewVerifier(fx.db, fx.is, nil)
		doc, _ := fx.issue(t, vc.CryptosuiteJCS, nil)
		expect(t, local.Credential(ctx, doc), verify.Valid)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		// Stamps read in the last issuance.StatusStampMaxAge are still
		// trusted (the checks can be made from them); past that, the
		// database's failure shows.
		time.Sleep(issuance.StatusStampMaxAge + 10*time.Millisecond)
		r := local.Credential(ctx, doc)
		checkUnknown(t, r, verify.CheckSignature, verify.CheckIssuer)
	})
}
