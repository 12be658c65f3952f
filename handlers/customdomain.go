package handlers

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/customdomain"
	"github.com/trustcred/trustcred/internal/dnsverify"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/text"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/settings"
)

// CustomDomain is /settings/domain: an organization's own domain for its
// public pages (org admins, authz.BrandingManage).
type CustomDomain struct {
	Domains *customdomain.Service
	ACME    bool // the operator turned on automatic certificates
}

// Show handles GET /settings/domain.
func (h *CustomDomain) Show(c *fiber.Ctx) error {
	st, err := h.status(c)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, settings.CustomDomain{Status: st})
}

// Claim handles POST /settings/domain: the domain is checked (a valid
// name, not TrustCred's host, not another organization's) and refused
// next to the field (422).
func (h *CustomDomain) Claim(c *fiber.Ctx) error {
	id := auth.Current(c)
	input := c.FormValue("domain")
	why := ""
	d, err := h.Domains.Parse(input)
	switch terr := text.Check(input, text.Name); {
	case terr != nil:
		why = "This domain " + terr.Error() + ". Enter a domain name such as certs.example.edu."
		input = ""
	case len(input) > dnsverify.MaxDomainLength+1:
		why = "A domain name has at most " + strconv.Itoa(dnsverify.MaxDomainLength) + " characters."
		input = ""
	case errors.Is(err, customdomain.ErrOwnHost):
		why = "This is TrustCred’s own address. Enter a domain of your organization, such as certs.example.edu."
	case errors.Is(err, dnsverify.ErrInvalidDomain) && len(input) == 0:
		why = "Enter your domain, such as certs.example.edu."
	case err != nil:
		why = "Enter a domain name such as certs.example.edu, without https://, a port or a path."
	default:
		if cur, err := id.Scope.CustomDomain(c.UserContext()); err == nil {
			// The page shows the status, not the form: say it there.
			render.Flash(c, layout.FlashError, "Your organization already uses "+cur.Domain+": remove it first to use another domain.")
			return render.Redirect(c, "/settings/domain")
		}
		_, err := id.Scope.ClaimCustomDomain(c.UserContext(), d, auth.Actor(c))
		switch {
		case errors.Is(err, store.ErrDomainTaken):
			why = "Another organization already uses " + d + ". If it is yours, contact support."
		case err != nil:
			return err
		default:
			render.Flash(c, layout.FlashSuccess, d+" added. Create the DNS records below, then check it.")
			return render.Redirect(c, "/settings/domain")
		}
	}
	st, err := h.status(c)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusUnprocessableEntity, settings.CustomDomain{Input: input, Error: why, Status: st})
}

// Check handles POST /settings/domain/check ("Check now"): the status
// panel for htmx, otherwise the page with a message.
func (h *CustomDomain) Check(c *fiber.Ctx) error {
	id := auth.Current(c)
	d, err := id.Scope.CustomDomain(c.UserContext())
	if errors.Is(err, store.ErrNotFound) {
		render.Flash(c, layout.FlashError, "Add your domain first, then check it.")
		return render.Redirect(c, "/settings/domain")
	}
	if err != nil {
		return err
	}
	d, err = h.Domains.Check(c.UserContext(), id.Scope, d.Domain, auth.Actor(c))
	if errors.Is(err, store.ErrDomainChanged) || errors.Is(err, store.ErrNotFound) {
		render.Flash(c, layout.FlashError, "The domain was changed while it was being checked. Check it again.")
		return render.Redirect(c, "/settings/domain")
	}
	if err != nil {
		return err
	}
	msg := ""
	if d.Verified() && d.LastError == nil {
		msg = d.Domain + " is verified: your public pages are served on it."
	}
	if render.IsPartial(c) {
		st, err := h.statusOf(c, d)
		if err != nil {
			return err
		}
		st.Message = msg
		return render.Page(c, fiber.StatusOK, settings.CustomDomainStatus(st))
	}
	if msg != "" {
		render.Flash(c, layout.FlashSuccess, msg)
	}
	return render.Redirect(c, "/settings/domain")
}

// Remove handles POST /settings/domain/delete.
func (h *CustomDomain) Remove(c *fiber.Ctx) error {
	id := auth.Current(c)
	err := id.Scope.RemoveCustomDomain(c.UserContext(), auth.Actor(c))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "The custom domain was removed.")
	return render.Redirect(c, "/settings/domain")
}

func (h *CustomDomain) status(c *fiber.Ctx) (settings.DomainStatus, error) {
	d, err := auth.Current(c).Scope.CustomDomain(c.UserContext())
	if errors.Is(err, store.ErrNotFound) {
		return settings.DomainStatus{}, nil
	}
	if err != nil {
		return settings.DomainStatus{}, err
	}
	return h.statusOf(c, d)
}

func (h *CustomDomain) statusOf(c *fiber.Ctx, d *store.CustomDomain) (settings.DomainStatus, error) {
	st := settings.DomainStatus{Name: d.Domain, Verified: d.Verified(), TXTName: dnsverify.Name(d.Domain),
		TXTValue: h.Domains.Record(auth.Current(c).Org.ID), CNAMETarget: h.Domains.OwnHost()}
	if d.LastCheckedAt != nil {
		st.LastChecked = d.LastCheckedAt.UTC().Format(dateTime)
	}
	if d.LastError != nil {
		st.LastError = *d.LastError
	}
	st.TLS = h.tlsOf(d)
	org := auth.Current(c).Org
	st.DID = settings.DomainDID{DomainDID: issuance.DomainDID(d.Domain), On: d.IssuerDID && d.Verified(), KeyMethod: org.DIDMethod == store.DIDKey}
	st.DID.HostDID, _ = issuance.WebDID(h.Domains.BaseURL, org.Slug)
	// Credentials signed as the domain's DID: they resolve only while the
	// domain stays this organization's and verified (store.DomainIssuer).
	n, err := auth.Current(c).Scope.CredentialsIssuedAs(c.UserContext(), st.DID.DomainDID)
	st.DID.Issued = n
	return st, err
}

// IssuerDID handles POST /settings/domain/did (issuer_did=on|off): whether
// new credentials are issued as did:web:<domain>.
func (h *CustomDomain) IssuerDID(c *fiber.Ctx) error {
	id := auth.Current(c)
	on := c.FormValue("issuer_did") == "on"
	if on && id.Org.DIDMethod == store.DIDKey {
		render.Flash(c, layout.FlashError, "Your organization issues under a did:key: choose did:web on the Signing keys page first.")
		return render.Redirect(c, "/settings/domain")
	}
	d, err := id.Scope.SetDomainIssuerDID(c.UserContext(), on, auth.Actor(c))
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrDomainNotVerified):
		render.Flash(c, layout.FlashError, "Verify your domain first, then issue under it.")
	case err != nil:
		return err
	case on:
		render.Flash(c, layout.FlashSuccess, "New credentials are issued as "+issuance.DomainDID(d.Domain)+". Credentials already issued keep their DID.")
	default:
		render.Flash(c, layout.FlashSuccess, "New credentials are issued under TrustCred’s address again. Those issued as "+
			issuance.DomainDID(d.Domain)+" keep verifying while the domain stays verified.")
	}
	return render.Redirect(c, "/settings/domain")
}

// tlsOf is the TLS card of d: shown once the domain is verified.
func (h *CustomDomain) tlsOf(d *store.CustomDomain) settings.DomainTLS {
	t := settings.DomainTLS{Shown: d.Verified(), ACME: h.ACME}
	if !d.HasCertificate() {
		return t
	}
	now := time.Now()
	if c, err := customdomain.ParseChain([]byte(*d.TLSCertificate)); err == nil {
		for _, x := range c {
			t.Chain = append(t.Chain, settings.CertSummary{Subject: x.Subject, Issuer: x.Issuer,
				Names: strings.Join(x.Names, ", "), NotAfter: x.NotAfter.Format(dateTime)})
		}
	}
	t.NotAfter = d.TLSNotAfter.UTC().Format(dateTime)
	t.Expired = now.After(*d.TLSNotAfter)
	t.DaysLeft = int(d.TLSNotAfter.Sub(now).Hours() / 24)
	return t
}

const dateTime = "2 Jan 2006, 15:04 UTC"

// Upload handles POST /settings/domain/certificate: a PEM chain and key for
// the verified domain, checked (customdomain.ParseCertificate) and refused
// next to the field that is wrong (422), the key sealed.
func (h *CustomDomain) Upload(c *fiber.Ctx) error {
	id := auth.Current(c)
	d, err := id.Scope.CustomDomain(c.UserContext())
	if errors.Is(err, store.ErrNotFound) || (err == nil && !d.Verified()) {
		render.Flash(c, layout.FlashError, "Verify your domain first, then upload its certificate.")
		return render.Redirect(c, "/settings/domain")
	}
	if err != nil {
		return err
	}
	certIn, keyIn := c.FormValue("certificate"), c.FormValue("key")
	cert, err := customdomain.ParseCertificate([]byte(certIn), []byte(keyIn), d.Domain, time.Now())
	if err == nil {
		var dc store.DomainCertificate
		if dc, err = h.Domains.Seal(cert); err != nil {
			return err
		}
		_, err = id.Scope.SetCustomDomainCertificate(c.UserContext(), d.Domain, dc, auth.Actor(c))
		if errors.Is(err, store.ErrDomainChanged) || errors.Is(err, store.ErrNotFound) {
			render.Flash(c, layout.FlashError, "The domain was changed meanwhile. Upload the certificate again.")
			return render.Redirect(c, "/settings/domain")
		}
		if err != nil {
			return err
		}
		render.Flash(c, layout.FlashSuccess, "Certificate uploaded: "+d.Domain+" is served over HTTPS with it until "+cert.NotAfter.Format(dateTime)+".")
		return render.Redirect(c, "/settings/domain")
	}
	st, serr := h.statusOf(c, d)
	if serr != nil {
		return serr
	}
	if len(certIn) <= customdomain.MaxPEM && text.Check(certIn, text.MultiLine) == nil {
		st.TLS.CertInput = certIn
	}
	field, why := explainCertificate(err, d.Domain)
	if field == "key" {
		st.TLS.KeyError = why
	} else {
		st.TLS.CertError = why
	}
	return h.render(c, fiber.StatusUnprocessableEntity, settings.CustomDomain{Status: st})
}

// explainCertificate words a refused upload for the field it concerns.
func explainCertificate(err error, domain string) (field, why string) {
	switch {
	case errors.Is(err, customdomain.ErrCertificateMissing):
		return "certificate", "Paste your domain’s certificate, starting with -----BEGIN CERTIFICATE-----."
	case errors.Is(err, customdomain.ErrCertificateTooLarge):
		return "certificate", "This is too long for a certificate chain (at most 64 KB)."
	case errors.Is(err, customdomain.ErrCertificateBadPEM):
		return "certificate", "This is not a PEM certificate. Paste the text from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----."
	case errors.Is(err, customdomain.ErrCertificateChain):
		return "certificate", "The certificates are not in order: put your domain’s certificate first, then each certificate that issued the one before it."
	case errors.Is(err, customdomain.ErrCertificateDomain):
		return "certificate", "This certificate is not for " + domain + ". Use a certificate whose names include " + domain + "."
	case errors.Is(err, customdomain.ErrCertificateExpired):
		return "certificate", "This certificate has expired. Upload a current one."
	case errors.Is(err, customdomain.ErrCertificateNotYet):
		return "certificate", "This certificate is not valid yet. Upload it once it is."
	case errors.Is(err, customdomain.ErrKeyMissing):
		return "key", "Paste the certificate’s private key, starting with -----BEGIN PRIVATE KEY-----."
	case errors.Is(err, customdomain.ErrKeyEncrypted):
		return "key", "This private key is encrypted with a passphrase. Paste the unencrypted key."
	case errors.Is(err, customdomain.ErrKeyUnsupported):
		return "key", "This kind of key is not supported. Use an RSA, ECDSA or Ed25519 key."
	case errors.Is(err, customdomain.ErrKeyMismatch):
		return "key", "This private key does not belong to the certificate above. Paste the key the certificate was made for."
	}
	return "key", "This is not a PEM private key. Paste the text from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----."
}

// RemoveCertificate handles POST /settings/domain/certificate/delete.
func (h *CustomDomain) RemoveCertificate(c *fiber.Ctx) error {
	err := auth.Current(c).Scope.RemoveCustomDomainCertificate(c.UserContext(), auth.Actor(c))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "The certificate was removed.")
	return render.Redirect(c, "/settings/domain")
}

func (h *CustomDomain) render(c *fiber.Ctx, status int, m settings.CustomDomain) error {
	render.SetTitle(c, "Custom domain")
	return render.Page(c, status, settings.CustomDomainPage(m))
}
