package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// A certificate belongs to the domain it was uploaded for: stored only for
// the current domain, dropped when the domain changes, never reached or
// removed through another organization's handle, served only while the
// domain is verified.
func TestCustomDomainCertificate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := newOrg(t, db, "alpha", store.OrganizationActive), newOrg(t, db, "bravo", store.OrganizationActive)
		sa, sb := db.Scoped(a.ID), db.Scoped(b.ID)
		if _, err := sa.ClaimCustomDomain(ctx, "certs.alpha.edu", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		exp := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
		c := store.DomainCertificate{ChainPEM: "-----BEGIN CERTIFICATE-----\n", Key: secret.Sealed("sealed"), NotAfter: exp}
		if _, err := sa.SetCustomDomainCertificate(ctx, "certs.other.edu", c, store.Actor{}); !errors.Is(err, store.ErrDomainChanged) {
			t.Fatalf("another name's certificate: %v", err)
		}
		if _, err := sb.SetCustomDomainCertificate(ctx, "certs.alpha.edu", c, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("bravo sets alpha's certificate: %v", err)
		}
		gen := store.CustomDomainsGeneration()
		d, err := sa.SetCustomDomainCertificate(ctx, "certs.alpha.edu", c, store.Actor{})
		if err != nil || !d.HasCertificate() || !d.TLSNotAfter.Equal(exp) || store.CustomDomainsGeneration() == gen {
			t.Fatalf("set: %+v %v", d, err)
		}
		if lastAudit(t, db, "custom_domain.certificate_uploaded").Extra["domain"] != "certs.alpha.edu" {
			t.Fatal("upload not audited")
		}
		// Pending: not served yet.
		if _, err := db.VerifiedDomainCertificate(ctx, "certs.alpha.edu"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("pending domain's certificate served: %v", err)
		}
		if _, err := sa.RecordCustomDomainCheck(ctx, "certs.alpha.edu", store.DomainCheck{At: time.Now(), OK: true}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		got, err := db.VerifiedDomainCertificate(ctx, "certs.alpha.edu")
		if err != nil || string(got.TLSKey) != "sealed" || *got.TLSCertificate != c.ChainPEM || got.OrganizationID != a.ID {
			t.Fatalf("served: %+v %v", got, err)
		}
		if err := sb.RemoveCustomDomainCertificate(ctx, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("bravo removes: %v", err)
		}
		if d, _ := sa.CustomDomain(ctx); !d.HasCertificate() {
			t.Fatal("bravo's removal reached alpha's certificate")
		}
		// Another domain: the certificate was the old name's.
		if _, err := sa.ClaimCustomDomain(ctx, "certs2.alpha.edu", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if d, _ := sa.CustomDomain(ctx); d.HasCertificate() || d.TLSNotAfter != nil {
			t.Fatalf("the certificate survived a change of domain: %+v", d)
		}
	})
}

// The domain's DID stays its organization's after the organization turns
// it off for new credentials: DomainIssuer (the DID document, our verifier,
// /verify's issuer name) still finds it while a status list under that DID
// exists and the domain is verified; never for a domain that was only
// claimed, never once the domain is removed, and back when it is verified
// again. CredentialsIssuedAs counts what was signed under it, and another
// organization's handle counts none of it.
func TestDomainIssuerOutlivesTheSwitch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := org(t, db, "alpha")
		b := org(t, db, "bravo")
		sa := db.Scoped(a.ID)
		act := actorOf(member(t, db, a, "admin@alpha.example", "Ada Admin", store.RoleAdmin))
		tpl := batchTemplate(t, db, a)
		const domain = "certs.alpha.edu"
		did := store.DomainDID(domain)
		issuer := func() string {
			t.Helper()
			id, err := db.DomainIssuer(ctx, domain)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Fatal(err)
			}
			return id
		}
		issued := func(s *store.Scoped) int64 {
			t.Helper()
			n, err := s.CredentialsIssuedAs(ctx, did)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		verify := func() {
			t.Helper()
			if _, err := sa.RecordCustomDomainCheck(ctx, domain, store.DomainCheck{At: time.Now(), OK: true}, store.Actor{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := sa.ClaimCustomDomain(ctx, domain, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		verify()
		if issuer() != "" {
			t.Fatal("a verified domain never issued under is an issuer")
		}
		if _, err := sa.SetDomainIssuerDID(ctx, true, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if issuer() != a.ID {
			t.Fatal("on: not the issuer")
		}
		for _, name := range []string{"bob@example.com", "eve@example.com"} {
			in := store.Issue{IssuerDID: did, Via: store.ViaWeb}
			var err error
			if in.Revocation, in.Suspension, err = sa.ReserveCredentialStatus(ctx, did, ""); err != nil {
				t.Fatal(err)
			}
			c := &store.Credential{PublicID: uuid.NewString(), SchemaID: tpl.SchemaID, TemplateID: &tpl.ID, RecipientAddress: name}
			if err := sa.StoreIssuedCredential(ctx, in, c, act); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := sa.SetDomainIssuerDID(ctx, false, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if issuer() != a.ID {
			t.Fatal("turned off: the credentials issued under the domain's DID lost their issuer")
		}
		if n := issued(sa); n != 2 {
			t.Fatalf("issued as %s: %d, want 2", did, n)
		}
		if n := issued(db.Scoped(b.ID)); n != 0 {
			t.Fatalf("bravo's handle counts alpha's credentials: %d", n)
		}
		// Removed: nobody's. Claimed again: not before it is verified.
		if err := sa.RemoveCustomDomain(ctx, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if issuer() != "" {
			t.Fatal("a removed domain is still an issuer")
		}
		if _, err := sa.ClaimCustomDomain(ctx, domain, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if issuer() != "" {
			t.Fatal("a pending domain is an issuer")
		}
		verify()
		if issuer() != a.ID {
			t.Fatal("verified again: its credentials' DID is not back")
		}
		// Another organization taking the name later issues nothing of alpha's:
		// its own lookup needs its own lists or its own switch.
		if err := sa.RemoveCustomDomain(ctx, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		sb := db.Scoped(b.ID)
		if _, err := sb.ClaimCustomDomain(ctx, domain, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := sb.RecordCustomDomainCheck(ctx, domain, store.DomainCheck{At: time.Now(), OK: true}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if id := issuer(); id != "" {
			t.Fatalf("bravo's verified domain inherits alpha's DID: %s", id)
		}
	})
}
