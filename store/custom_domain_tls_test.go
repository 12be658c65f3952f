package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

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
