package customdomain_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/certtest"
	"github.com/trustcred/trustcred/internal/customdomain"
)

func TestParseCertificate(t *testing.T) {
	now := time.Now()
	ca, other := certtest.NewCA(t, "Test Root"), certtest.NewCA(t, "Other Root")
	good := ca.Leaf(t, []string{"certs.acme.example"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	wild := ca.Leaf(t, []string{"*.acme.example"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	expired := ca.Leaf(t, []string{"certs.acme.example"}, now.Add(-90*24*time.Hour), now.Add(-time.Hour))
	future := ca.Leaf(t, []string{"certs.acme.example"}, now.Add(time.Hour), now.Add(90*24*time.Hour))
	elsewhere := ca.Leaf(t, []string{"certs.bolt.example"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	foreign := other.Leaf(t, []string{"certs.acme.example"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))

	c, err := customdomain.ParseCertificate(good.Chain, good.KeyPEM, "certs.acme.example", now)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Chain) != 2 || c.Chain[0].Subject != "CN=certs.acme.example" || !strings.Contains(c.Chain[0].Issuer, "CN=Test Root") ||
		!strings.Contains(c.Chain[1].Subject, "CN=Test Root") || !c.NotAfter.Equal(c.Chain[0].NotAfter) ||
		c.NotAfter.Sub(now) < 89*24*time.Hour {
		t.Fatalf("chain: %+v", c)
	}
	if strings.Count(c.ChainPEM, "BEGIN CERTIFICATE") != 2 || strings.Contains(c.ChainPEM, "PRIVATE KEY") {
		t.Fatalf("stored chain: %s", c.ChainPEM)
	}
	// The key pasted with the certificate is not part of the stored chain.
	if c, err := customdomain.ParseCertificate(append(append([]byte{}, good.Chain...), good.KeyPEM...), good.KeyPEM, "certs.acme.example", now); err != nil ||
		strings.Contains(c.ChainPEM, "PRIVATE") {
		t.Fatalf("chain with the key pasted: %v", err)
	}
	if _, err := customdomain.ParseCertificate(wild.CertPEM, wild.KeyPEM, "certs.acme.example", now); err != nil {
		t.Fatalf("wildcard: %v", err)
	}
	reversed := append(append([]byte{}, ca.PEM...), good.CertPEM...)
	for name, tc := range map[string]struct {
		cert, key []byte
		want      error
	}{
		"no certificate":    {nil, good.KeyPEM, customdomain.ErrCertificateMissing},
		"blank certificate": {[]byte("  \n"), good.KeyPEM, customdomain.ErrCertificateMissing},
		"not PEM":           {[]byte("hello"), good.KeyPEM, customdomain.ErrCertificateBadPEM},
		"only a key":        {good.KeyPEM, good.KeyPEM, customdomain.ErrCertificateBadPEM},
		"garbled":           {bytes.Replace(good.CertPEM, []byte("MII"), []byte("MIA"), 1), good.KeyPEM, customdomain.ErrCertificateBadPEM},
		"huge":              {bytes.Repeat([]byte("A"), customdomain.MaxPEM+1), good.KeyPEM, customdomain.ErrCertificateTooLarge},
		"chain reversed":    {reversed, good.KeyPEM, customdomain.ErrCertificateChain},
		"chain of another":  {append(append([]byte{}, good.CertPEM...), other.PEM...), good.KeyPEM, customdomain.ErrCertificateChain},
		"no key":            {good.Chain, nil, customdomain.ErrKeyMissing},
		"key not PEM":       {good.Chain, []byte("secret"), customdomain.ErrKeyBadPEM},
		"encrypted key":     {good.Chain, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n"), customdomain.ErrKeyEncrypted},
		"another key":       {good.Chain, elsewhere.KeyPEM, customdomain.ErrKeyMismatch},
		"other domain":      {elsewhere.Chain, elsewhere.KeyPEM, customdomain.ErrCertificateDomain},
		"expired":           {expired.Chain, expired.KeyPEM, customdomain.ErrCertificateExpired},
		"not yet valid":     {future.Chain, future.KeyPEM, customdomain.ErrCertificateNotYet},
		"other CA is fine":  {foreign.Chain, foreign.KeyPEM, nil},
	} {
		if _, err := customdomain.ParseCertificate(tc.cert, tc.key, "certs.acme.example", now); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

// Whatever bytes arrive, ParseCertificate answers with an error or a
// checked certificate, never a panic.
func FuzzParseCertificate(f *testing.F) {
	ca := certtest.NewCA(f, "Fuzz Root")
	l := ca.Leaf(f, []string{"certs.acme.example"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	f.Add(l.Chain, l.KeyPEM)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----"), []byte("-----BEGIN PRIVATE KEY-----\n\n-----END PRIVATE KEY-----"))
	f.Fuzz(func(t *testing.T, cert, key []byte) {
		c, err := customdomain.ParseCertificate(cert, key, "certs.acme.example", time.Now())
		if err == nil && (len(c.Chain) == 0 || c.ChainPEM == "") {
			t.Fatal("accepted without a chain")
		}
	})
}
