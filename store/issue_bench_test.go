package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// BenchmarkIssueCredential is the store's part of issuing one credential
// (status entries, the checks that its references are the organization's,
// the insert, its status change and audit entry), without signing:
//
//	go test -run '^$' -bench IssueCredential -benchtime 2000x ./store/
func BenchmarkIssueCredential(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, d)
			o := &store.Organization{Name: "Bench", Slug: "bench", Type: store.OrganizationCorporate,
				Status: store.OrganizationActive, DID: "did:web:x:orgs:bench"}
			if err := db.CreateOrganization(ctx, o, store.Actor{}); err != nil {
				b.Fatal(err)
			}
			sc := db.Scoped(o.ID)
			cs, err := sc.CreateSchema(ctx, schemaChange("Degree", "1", "degree"), store.Actor{})
			if err != nil {
				b.Fatal(err)
			}
			tpl, err := sc.CreateTemplate(ctx, templateChange(cs.ID, "BSc"), store.Actor{})
			if err != nil {
				b.Fatal(err)
			}
			key, err := sc.AddSigningKey(ctx, &store.SigningKey{KeyID: "z6MkBench", PublicKeyMultibase: "z6MkBench",
				PrivateKeyEncrypted: []byte("sealed")}, "did:key:z6MkBench", false, store.Actor{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				in := store.Issue{IssuerDID: o.DID, Via: store.ViaWeb}
				if in.Revocation, in.Suspension, err = sc.ReserveCredentialStatus(ctx, o.DID, ""); err != nil {
					b.Fatal(err)
				}
				c := &store.Credential{PublicID: uuid.NewString(), SchemaID: tpl.SchemaID, TemplateID: &tpl.ID,
					SigningKeyID: &key.ID, RecipientAddress: "ada@example.com"}
				if err := sc.StoreIssuedCredential(ctx, in, c, store.Actor{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
