package customdomain_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/customdomain"
	"github.com/trustcred/trustcred/internal/dnstest"
	"github.com/trustcred/trustcred/internal/dnsverify"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

var key = []byte("0123456789abcdef0123456789abcdef")

func TestParse(t *testing.T) {
	s := &customdomain.Service{BaseURL: "https://TrustCred.example.org:8443"}
	if s.OwnHost() != "trustcred.example.org" {
		t.Fatalf("OwnHost = %q", s.OwnHost())
	}
	for in, want := range map[string]string{
		"certs.university.edu":          "certs.university.edu",
		" Certs.University.EDU. ":       "certs.university.edu",
		"trustcred.example.org.uni.edu": "trustcred.example.org.uni.edu",
	} {
		if got, err := s.Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]error{
		"trustcred.example.org":        customdomain.ErrOwnHost,
		"TRUSTCRED.example.org.":       customdomain.ErrOwnHost,
		"evil.trustcred.example.org":   customdomain.ErrOwnHost,
		"https://certs.university.edu": dnsverify.ErrInvalidDomain,
		"certs.university.edu/v":       dnsverify.ErrInvalidDomain,
		"localhost":                    dnsverify.ErrInvalidDomain,
		"192.0.2.1":                    dnsverify.ErrInvalidDomain,
		"":                             dnsverify.ErrInvalidDomain,
		"certs.uni.edu:443":            dnsverify.ErrInvalidDomain,
	} {
		if _, err := s.Parse(in); !errors.Is(err, want) {
			t.Errorf("Parse(%q): %v, want %v", in, err, want)
		}
	}
}

// Check and the periodic job against a real DNS server: a domain becomes
// verified when its record appears, and pending when it disappears.
func TestCheckAndRecheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dns := dnstest.Start(t)
		now := time.Now().UTC().Truncate(time.Second)
		s := &customdomain.Service{DB: db, DNS: dnsverify.New(dns.Addr(), time.Second), Key: key,
			BaseURL: "https://trustcred.example.org", Now: func() time.Time { return now }}
		var orgs []*store.Organization
		for _, slug := range []string{"alpha", "bravo"} {
			o := &store.Organization{Name: slug, Slug: slug, Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:" + slug}
			if err := db.CreateOrganization(ctx, o, store.Actor{}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Scoped(o.ID).ClaimCustomDomain(ctx, "certs."+slug+".edu", store.Actor{}); err != nil {
				t.Fatal(err)
			}
			orgs = append(orgs, o)
		}
		sa := db.Scoped(orgs[0].ID)
		d, err := s.Check(ctx, sa, "certs.alpha.edu", store.Actor{})
		if err != nil || d.Verified() || d.LastError == nil || !strings.Contains(*d.LastError, "No TXT record was found at _trustcred.certs.alpha.edu") {
			t.Fatalf("no record: %+v %v", d, err)
		}
		// Bravo's value at alpha's name is not alpha's proof.
		dns.SetTXT("_trustcred.certs.alpha.edu", s.Record(orgs[1].ID))
		if d, _ := s.Check(ctx, sa, "certs.alpha.edu", store.Actor{}); d.Verified() || !strings.Contains(*d.LastError, "none has the value") {
			t.Fatalf("wrong value: %+v", d)
		}
		dns.SetTXT("_trustcred.certs.alpha.edu", s.Record(orgs[0].ID))
		dns.SetTXT("_trustcred.certs.bravo.edu", s.Record(orgs[1].ID))

		// The job: both were checked "now", so nothing is due until an hour later.
		w := &customdomain.RecheckWorker{Service: s}
		if err := w.Work(ctx, &river.Job[customdomain.Recheck]{}); err != nil {
			t.Fatal(err)
		}
		if d, _ := sa.CustomDomain(ctx); d.Verified() {
			t.Fatal("the job checked a domain checked a moment ago")
		}
		now = now.Add(customdomain.RecheckAfter + time.Minute)
		for range 2 { // idempotent
			if err := w.Work(ctx, &river.Job[customdomain.Recheck]{}); err != nil {
				t.Fatal(err)
			}
		}
		for _, o := range orgs {
			if d, _ := db.Scoped(o.ID).CustomDomain(ctx); !d.Verified() || d.LastError != nil {
				t.Fatalf("%s after the job: %+v", o.Slug, d)
			}
		}
		// The record removed: the next run makes alpha pending, bravo stays.
		dns.Remove("_trustcred.certs.alpha.edu")
		now = now.Add(customdomain.RecheckAfter + time.Minute)
		if err := w.Work(ctx, &river.Job[customdomain.Recheck]{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.VerifiedDomainOrganization(ctx, "certs.alpha.edu"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("alpha still served: %v", err)
		}
		if org, err := db.VerifiedDomainOrganization(ctx, "certs.bravo.edu"); err != nil || org != orgs[1].ID {
			t.Fatalf("bravo: %q %v", org, err)
		}
	})
}
