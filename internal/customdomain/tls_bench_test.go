package customdomain_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/certtest"
	"github.com/trustcred/trustcred/internal/customdomain"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// BenchmarkGetCertificate: the certificate lookup of a TLS handshake to a
// custom domain with an uploaded certificate, cached (every handshake but
// the first per 30 s) and uncached (database, unseal, parse), beside a
// whole TLS 1.3 handshake over an in-memory pipe with that picker (the
// ceiling the lookup must stay well under).
func BenchmarkGetCertificate(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			ctx := context.Background()
			now := time.Now()
			s := &customdomain.Service{DB: db, Keys: testKeys(b)}
			o := &store.Organization{Name: "acme", Slug: "acme", Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:acme"}
			if err := db.CreateOrganization(ctx, o, store.Actor{}); err != nil {
				b.Fatal(err)
			}
			sc := db.Scoped(o.ID)
			if _, err := sc.ClaimCustomDomain(ctx, "certs.acme.example", store.Actor{}); err != nil {
				b.Fatal(err)
			}
			if _, err := sc.RecordCustomDomainCheck(ctx, "certs.acme.example", store.DomainCheck{At: now, OK: true}, store.Actor{}); err != nil {
				b.Fatal(err)
			}
			ca := certtest.NewCA(b, "Bench Root")
			l := ca.Leaf(b, []string{"certs.acme.example"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))
			c, err := customdomain.ParseCertificate(l.Chain, l.KeyPEM, "certs.acme.example", now)
			if err != nil {
				b.Fatal(err)
			}
			dc, _ := s.Seal(c)
			if _, err := sc.SetCustomDomainCertificate(ctx, "certs.acme.example", dc, store.Actor{}); err != nil {
				b.Fatal(err)
			}
			hello := &tls.ClientHelloInfo{ServerName: "certs.acme.example"}
			var leafDER []byte
			b.Run("cached", func(b *testing.B) {
				picker, _ := customdomain.NewTLS(s, nil)
				if _, err := picker.GetCertificate(hello); err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					covers(b, picker, hello, &leafDER)
				}
			})
			b.Run("uncached", func(b *testing.B) {
				for b.Loop() {
					picker, _ := customdomain.NewTLS(s, nil)
					covers(b, picker, hello, &leafDER)
				}
			})
			b.Run("handshake", func(b *testing.B) {
				picker, _ := customdomain.NewTLS(s, nil)
				roots := x509.NewCertPool()
				roots.AppendCertsFromPEM(ca.PEM)
				for b.Loop() {
					cc, sc := net.Pipe()
					done := make(chan error, 1)
					go func() { done <- tls.Server(sc, picker.Config()).Handshake() }()
					if err := tls.Client(cc, &tls.Config{ServerName: "certs.acme.example", RootCAs: roots}).Handshake(); err != nil {
						b.Fatal(err)
					}
					if err := <-done; err != nil {
						b.Fatal(err)
					}
					cc.Close()
					sc.Close()
				}
			})
		})
	}
}

// covers fails unless the picker answers hello with the uploaded
// certificate of its name: the first answer's leaf is checked against the
// name, every later answer compared with it (cheaply, so the check stays
// out of the measured time).
func covers(b *testing.B, picker *customdomain.TLS, hello *tls.ClientHelloInfo, want *[]byte) {
	c, err := picker.GetCertificate(hello)
	if err != nil {
		b.Fatal(err)
	}
	if *want == nil {
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			b.Fatal(err)
		}
		if err := leaf.VerifyHostname(hello.ServerName); err != nil {
			b.Fatalf("the picker answered %s with another certificate: %v", hello.ServerName, err)
		}
		*want = c.Certificate[0]
	}
	if !bytes.Equal(c.Certificate[0], *want) {
		b.Fatalf("the picker answered %s with another certificate than before", hello.ServerName)
	}
}
