package verify_test

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/verify"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func TestVerifyPresentation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		cred, _ := f.issue(t, vc.CryptosuiteRDFC, nil)
		pub, priv, _ := ed25519.GenerateKey(nil)
		holder, _ := vc.DIDKey(pub)
		vm := holder + "#" + strings.TrimPrefix(holder, "did:key:")
		vp := func(c map[string]any) map[string]any {
			return map[string]any{
				"@context":             []any{vc.ContextCredentialsV2},
				"type":                 []any{"VerifiablePresentation"},
				"holder":               holder,
				"verifiableCredential": []any{c},
			}
		}
		sign := func(doc map[string]any, challenge, domain string) map[string]any {
			s, err := vc.SignRDFC(clone(t, doc), vc.ProofOptions{VerificationMethod: vm, ProofPurpose: "authentication",
				Challenge: challenge, Domain: domain}, priv)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		opts := verify.PresentationOptions{Challenge: "c-123", Domain: "verifier.example"}
		signed := sign(vp(cred), "c-123", "verifier.example")
		if r := f.v.Presentation(ctx, signed, opts); !r.Verified || len(r.Credentials) != 1 || !r.Credentials[0].Verified {
			t.Fatalf("valid presentation: %+v %v", r.Checks, r.Errors())
		}
		if r := f.v.Presentation(ctx, sign(vp(cred), "other", "verifier.example"), opts); r.Verified ||
			!strings.Contains(strings.Join(r.Errors(), " "), "challenge") {
			t.Fatalf("wrong challenge verified: %v", r.Errors())
		}
		if r := f.v.Presentation(ctx, sign(vp(cred), "c-123", "evil.example"), opts); r.Verified {
			t.Fatal("wrong domain verified")
		}
		if r := f.v.Presentation(ctx, vp(cred), opts); r.Verified {
			t.Fatal("unsigned presentation verified")
		}
		if r := f.v.Presentation(ctx, vp(cred), verify.PresentationOptions{AllowUnsigned: true}); !r.Verified {
			t.Fatalf("unsigned allowed: %v", r.Errors())
		}
		tampered := clone(t, cred)
		tampered["credentialSubject"].(map[string]any)["degree"] = "Chemistry"
		r := f.v.Presentation(ctx, sign(vp(tampered), "c-123", "verifier.example"), opts)
		if r.Verified || r.Credentials[0].Verdict != verify.Invalid {
			t.Fatalf("tampered credential inside a signed presentation verified: %+v", r)
		}
		// Signed by someone else than the holder it names.
		other := vp(cred)
		other["holder"] = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
		if r := f.v.Presentation(ctx, sign(other, "c-123", "verifier.example"), opts); r.Verified {
			t.Fatal("presentation signed by another key than the holder's verified")
		}
	})
}
