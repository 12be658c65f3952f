package customdomain_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/certtest"
	"github.com/trustcred/trustcred/internal/customdomain"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func testKeys(t testing.TB) *secret.Keyring {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	k, err := secret.NewKeyring(secret.Key{Raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// An org with a verified domain and an admin; the admin's notifications.
func domainOrg(t *testing.T, db *store.DB, slug string) (*store.Organization, *store.User) {
	t.Helper()
	ctx := context.Background()
	o := &store.Organization{Name: slug, Slug: slug, Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:" + slug}
	if err := db.CreateOrganization(ctx, o, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	admin := &store.User{Email: "admin@" + slug + ".example", Role: store.RoleAdmin, OrganizationID: &o.ID, EmailVerified: true}
	if err := db.CreateUser(ctx, admin, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	sc := db.Scoped(o.ID)
	if _, err := sc.ClaimCustomDomain(ctx, "certs."+slug+".example", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.RecordCustomDomainCheck(ctx, "certs."+slug+".example", store.DomainCheck{At: time.Now(), OK: true}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return o, admin
}

func titles(t *testing.T, db *store.DB, u *store.User) []string {
	t.Helper()
	p, err := db.Account(u.ID).Notifications(context.Background(), store.NotificationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range p.Notifications {
		out = append(out, n.Title)
	}
	return out
}

// The uploaded certificate is sealed at rest, opens into the key pair the
// TLS listener presents, and its admins are warned 30 and 7 days before it
// expires, once each however often the job runs; a new certificate starts
// over; another organization's admins hear nothing.
func TestCertificateExpiryWarnings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		s := &customdomain.Service{DB: db, Keys: testKeys(t), Now: func() time.Time { return now }}
		a, adminA := domainOrg(t, db, "acme")
		b, adminB := domainOrg(t, db, "bolt")
		ca := certtest.NewCA(t, "Test Root")
		upload := func(o *store.Organization, domain string, days int) *store.CustomDomain {
			t.Helper()
			l := ca.Leaf(t, []string{domain}, now.Add(-time.Hour), now.Add(time.Duration(days)*24*time.Hour))
			c, err := customdomain.ParseCertificate(l.Chain, l.KeyPEM, domain, now)
			if err != nil {
				t.Fatal(err)
			}
			dc, err := s.Seal(c)
			if err != nil {
				t.Fatal(err)
			}
			d, err := db.Scoped(o.ID).SetCustomDomainCertificate(ctx, domain, dc, store.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(d.TLSKey), "PRIVATE KEY") || strings.Contains(string(dc.Key), "BEGIN") {
				t.Fatal("the key is stored in clear")
			}
			return d
		}
		upload(a, "certs.acme.example", 40)
		upload(b, "certs.bolt.example", 200)

		// The TLS listener's view: only a verified domain with a certificate.
		d, err := db.VerifiedDomainCertificate(ctx, "certs.acme.example")
		if err != nil {
			t.Fatal(err)
		}
		pair, err := s.KeyPair(d)
		if err != nil || pair.Leaf == nil || pair.Leaf.DNSNames[0] != "certs.acme.example" || len(pair.Certificate) != 2 {
			t.Fatalf("key pair: %v", err)
		}
		if _, err := db.VerifiedDomainCertificate(ctx, "certs.nobody.example"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown host: %v", err)
		}

		w := &customdomain.ExpiryWorker{Service: s}
		run := func() {
			t.Helper()
			for range 2 { // idempotent
				if err := w.Work(ctx, &river.Job[customdomain.CertificateExpiry]{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		run()
		if got := titles(t, db, adminA); len(got) != 0 {
			t.Fatalf("40 days before: %v", got)
		}
		now = now.Add(11 * 24 * time.Hour) // 29 days left
		run()
		if got := titles(t, db, adminA); len(got) != 1 || got[0] != "The TLS certificate of certs.acme.example expires in 29 days" {
			t.Fatalf("30-day warning: %q", got)
		}
		now = now.Add(20 * 24 * time.Hour) // 9 days left
		run()
		if got := titles(t, db, adminA); len(got) != 1 {
			t.Fatalf("9 days left: %q", got)
		}
		now = now.Add(3 * 24 * time.Hour) // 6 days left
		run()
		if got := titles(t, db, adminA); len(got) != 2 || got[0] != "The TLS certificate of certs.acme.example expires in 6 days" {
			t.Fatalf("7-day warning: %q", got)
		}
		if got := titles(t, db, adminB); len(got) != 0 {
			t.Fatalf("bolt's admin was warned of acme's certificate: %q", got)
		}
		// A renewed certificate with only 5 days: the 7-day warning only.
		d = upload(a, "certs.acme.example", 5)
		if d.TLSWarnedDays != nil {
			t.Fatal("a new certificate kept the old one's warnings")
		}
		run()
		if got := titles(t, db, adminA); len(got) != 3 || got[0] != "The TLS certificate of certs.acme.example expires in 5 days" {
			t.Fatalf("renewed, 5 days: %q", got)
		}
		// Removing the certificate: nothing left to warn about.
		if err := db.Scoped(a.ID).RemoveCustomDomainCertificate(ctx, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.VerifiedDomainCertificate(ctx, "certs.acme.example"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("removed certificate still served: %v", err)
		}
	})
}
