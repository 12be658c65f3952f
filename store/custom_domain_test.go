package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// An organization claims a domain, proves it, loses and regains it, and
// removes it; another organization can never take it meanwhile.
func TestCustomDomainLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := newOrg(t, db, "alpha", store.OrganizationActive), newOrg(t, db, "bravo", store.OrganizationActive)
		sa, sb := db.Scoped(a.ID), db.Scoped(b.ID)
		actor := store.Actor{IP: "192.0.2.1"}

		if _, err := sa.CustomDomain(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("no domain yet: %v", err)
		}
		gen := store.CustomDomainsGeneration()
		d, err := sa.ClaimCustomDomain(ctx, "certs.alpha.edu", actor)
		if err != nil || d.Domain != "certs.alpha.edu" || d.Status != store.DomainPending || d.OrganizationID != a.ID {
			t.Fatalf("claim: %+v %v", d, err)
		}
		if store.CustomDomainsGeneration() == gen {
			t.Fatal("a claim did not change the generation")
		}
		if lastAudit(t, db, "custom_domain.claimed").Extra["domain"] != "certs.alpha.edu" {
			t.Fatal("claim not audited")
		}
		// Another organization: refused, before and after verification.
		if _, err := sb.ClaimCustomDomain(ctx, "certs.alpha.edu", actor); !errors.Is(err, store.ErrDomainTaken) {
			t.Fatalf("bravo claims alpha's domain: %v", err)
		}
		// Claiming the same domain again changes nothing.
		if _, err := sa.ClaimCustomDomain(ctx, "certs.alpha.edu", actor); err != nil || countAuditFor(t, db, "custom_domain.claimed", a.ID) != 1 {
			t.Fatalf("claim again: %v", err)
		}
		// Pending domains are not served.
		if _, err := db.VerifiedDomainOrganization(ctx, "certs.alpha.edu"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("pending domain served: %v", err)
		}

		now := time.Now().UTC().Truncate(time.Second)
		// A failed lookup records the reason and stays pending.
		d, err = sa.RecordCustomDomainCheck(ctx, "certs.alpha.edu", store.DomainCheck{At: now, Gone: true, Error: "No TXT record"}, actor)
		if err != nil || d.Status != store.DomainPending || d.LastError == nil || *d.LastError != "No TXT record" || !d.LastCheckedAt.Equal(now) {
			t.Fatalf("failed check: %+v %v", d, err)
		}
		d, err = sa.RecordCustomDomainCheck(ctx, "certs.alpha.edu", store.DomainCheck{At: now, OK: true}, actor)
		if err != nil || !d.Verified() || d.LastError != nil || d.VerifiedAt == nil {
			t.Fatalf("good check: %+v %v", d, err)
		}
		if org, err := db.VerifiedDomainOrganization(ctx, "certs.alpha.edu"); err != nil || org != a.ID {
			t.Fatalf("verified domain: %q %v", org, err)
		}
		if _, err := sb.ClaimCustomDomain(ctx, "certs.alpha.edu", actor); !errors.Is(err, store.ErrDomainTaken) {
			t.Fatalf("bravo claims alpha's verified domain: %v", err)
		}
		// A DNS outage keeps it verified; the record gone makes it pending.
		d, err = sa.RecordCustomDomainCheck(ctx, "certs.alpha.edu", store.DomainCheck{At: now, Error: "timeout"}, actor)
		if err != nil || !d.Verified() || *d.LastError != "timeout" {
			t.Fatalf("outage: %+v %v", d, err)
		}
		d, err = sa.RecordCustomDomainCheck(ctx, "certs.alpha.edu", store.DomainCheck{At: now, Gone: true, Error: "gone"}, actor)
		if err != nil || d.Verified() || countAuditFor(t, db, "custom_domain.unverified", a.ID) != 1 {
			t.Fatalf("record gone: %+v %v", d, err)
		}
		// A check of a domain that was changed meanwhile is refused.
		if _, err := sa.ClaimCustomDomain(ctx, "verify.alpha.edu", actor); err != nil {
			t.Fatal(err)
		}
		if _, err := sa.RecordCustomDomainCheck(ctx, "certs.alpha.edu", store.DomainCheck{At: now, OK: true}, actor); !errors.Is(err, store.ErrDomainChanged) {
			t.Fatalf("stale check: %v", err)
		}
		// The old domain is free again.
		if _, err := sb.ClaimCustomDomain(ctx, "certs.alpha.edu", actor); err != nil {
			t.Fatalf("bravo claims the freed domain: %v", err)
		}
		// Due for a check: both, never checked.
		due, err := db.CustomDomainsToCheck(ctx, now, 10)
		if err != nil || len(due) != 2 {
			t.Fatalf("due: %+v %v", due, err)
		}
		if _, err := sb.RecordCustomDomainCheck(ctx, "certs.alpha.edu", store.DomainCheck{At: now, OK: true}, actor); err != nil {
			t.Fatal(err)
		}
		if due, _ := db.CustomDomainsToCheck(ctx, now, 10); len(due) != 1 || due[0].OrganizationID != a.ID {
			t.Fatalf("due after a check: %+v", due)
		}
		// Removal: bravo's domain is no longer served; alpha's row is untouched.
		if err := sb.RemoveCustomDomain(ctx, actor); err != nil {
			t.Fatal(err)
		}
		if _, err := db.VerifiedDomainOrganization(ctx, "certs.alpha.edu"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("removed domain served: %v", err)
		}
		if err := sb.RemoveCustomDomain(ctx, actor); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("remove twice: %v", err)
		}
		if d, err := sa.CustomDomain(ctx); err != nil || d.Domain != "verify.alpha.edu" {
			t.Fatalf("alpha's domain after bravo's removal: %+v %v", d, err)
		}
	})
}
