package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/secret"
)

// DomainCertificate is an uploaded certificate for the organization's
// custom domain, already checked (internal/customdomain.ParseCertificate)
// and its key sealed.
type DomainCertificate struct {
	ChainPEM string        // the chain as uploaded, leaf first
	Key      secret.Sealed // the private key's PEM, sealed
	NotAfter time.Time     // the leaf's expiry
}

// HasCertificate reports whether an uploaded certificate is stored.
func (d *CustomDomain) HasCertificate() bool { return d.TLSCertificate != nil && len(d.TLSKey) > 0 }

// SetCustomDomainCertificate stores the certificate of domain, which must
// still be the organization's domain (ErrDomainChanged otherwise), with
// "custom_domain.certificate_uploaded". A new certificate has had no
// expiry warning yet.
func (s *Scoped) SetCustomDomainCertificate(ctx context.Context, domain string, c DomainCertificate, actor Actor) (*CustomDomain, error) {
	var d CustomDomain
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.tenant(lockRow(tx, s.dial), &d).First(&d).Error; err != nil {
			return notFound(err)
		}
		if d.Domain != domain {
			return ErrDomainChanged
		}
		at := c.NotAfter.UTC()
		d.TLSCertificate, d.TLSKey, d.TLSNotAfter, d.TLSWarnedDays = &c.ChainPEM, c.Key, &at, nil
		if err := tx.Select("tls_certificate", "tls_key", "tls_not_after", "tls_warned_days", "updated_at").Save(&d).Error; err != nil {
			return err
		}
		return audit(tx, s.actor(actor), "custom_domain.certificate_uploaded", "organization", s.orgID, AuditDetails{
			Summary: "Uploaded a TLS certificate for " + domain + ", valid until " + at.Format("2 Jan 2006"),
			Extra:   map[string]string{"domain": domain, "not_after": at.Format(time.RFC3339)},
		})
	})
	if err == nil {
		domainGen.Add(1)
	}
	return &d, err
}

// RemoveCustomDomainCertificate drops the uploaded certificate (ErrNotFound
// without a domain; nothing happens without a certificate), with
// "custom_domain.certificate_removed".
func (s *Scoped) RemoveCustomDomainCertificate(ctx context.Context, actor Actor) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d CustomDomain
		if err := s.tenant(lockRow(tx, s.dial), &d).First(&d).Error; err != nil {
			return notFound(err)
		}
		if !d.HasCertificate() {
			return nil
		}
		d.TLSCertificate, d.TLSKey, d.TLSNotAfter, d.TLSWarnedDays = nil, nil, nil, nil
		if err := tx.Select("tls_certificate", "tls_key", "tls_not_after", "tls_warned_days", "updated_at").Save(&d).Error; err != nil {
			return err
		}
		return audit(tx, s.actor(actor), "custom_domain.certificate_removed", "organization", s.orgID, AuditDetails{
			Summary: "Removed the TLS certificate of " + d.Domain, Extra: map[string]string{"domain": d.Domain},
		})
	})
	if err == nil {
		domainGen.Add(1)
	}
	return err
}

// ErrAlreadyWarned is returned by WarnCertificateExpiry when the warning
// was sent already, or the certificate changed meanwhile.
var ErrAlreadyWarned = errors.New("this expiry warning was already sent")

// WarnCertificateExpiry notifies the organization's admins (n) that the
// certificate of domain expiring at notAfter has days left, and records it
// in the same transaction: a second call for the same or a larger
// threshold, or for a certificate replaced meanwhile, is ErrAlreadyWarned
// and notifies nobody.
func (s *Scoped) WarnCertificateExpiry(ctx context.Context, domain string, notAfter time.Time, days int, n Notification) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d CustomDomain
		if err := s.tenant(lockRow(tx, s.dial), &d).First(&d).Error; err != nil {
			return notFound(err)
		}
		if d.Domain != domain || d.TLSNotAfter == nil || !d.TLSNotAfter.Equal(notAfter) ||
			(d.TLSWarnedDays != nil && *d.TLSWarnedDays <= days) {
			return ErrAlreadyWarned
		}
		d.TLSWarnedDays = &days
		if err := tx.Select("tls_warned_days").Save(&d).Error; err != nil {
			return err
		}
		if _, err := notifyAdmins(tx, s.orgID, n); err != nil {
			return err
		}
		return audit(tx, s.actor(Actor{}), "custom_domain.certificate_expiring", "organization", s.orgID, AuditDetails{
			Summary: "Warned the admins: the TLS certificate of " + domain + " expires in less than " + strconv.Itoa(days) + " days",
			Extra:   map[string]string{"domain": domain, "not_after": notAfter.UTC().Format(time.RFC3339)},
		})
	})
}

// CertificatesToWarn lists up to limit custom domains (of every
// organization) whose uploaded certificate expires before now+within and
// whose admins were not yet warned at threshold days (no warning yet, or
// only a larger one): the expiry warning job's work.
func (db *DB) CertificatesToWarn(ctx context.Context, now time.Time, within time.Duration, threshold, limit int) ([]CustomDomain, error) {
	var ds []CustomDomain
	err := db.gorm.WithContext(ctx).
		Select("id", "organization_id", "domain", "tls_not_after", "tls_warned_days").
		Where("tls_not_after IS NOT NULL AND tls_not_after < ?", now.Add(within).UTC()).
		Where("tls_warned_days IS NULL OR tls_warned_days > ?", threshold).
		Order("tls_not_after, id").Limit(limit).Find(&ds).Error
	return ds, err
}

// VerifiedDomainCertificate is the uploaded certificate of the verified
// custom domain host (lower case, no port): ErrNotFound when host is not a
// verified domain or has no certificate. The platform-wide lookup of the
// TLS listener (by SNI); the key is still sealed.
func (db *DB) VerifiedDomainCertificate(ctx context.Context, host string) (*CustomDomain, error) {
	var d CustomDomain
	err := db.gorm.WithContext(ctx).
		Select("id", "organization_id", "domain", "tls_certificate", "tls_key", "tls_not_after").
		Where("domain = ? AND status = ? AND tls_certificate IS NOT NULL", host, DomainVerified).First(&d).Error
	return &d, notFound(err)
}

// ErrDomainNotVerified is returned for a change that needs the domain verified.
var ErrDomainNotVerified = errors.New("the custom domain is not verified")

// SetDomainIssuerDID chooses whether new credentials are issued as
// did:web:<domain> (on) or under TrustCred's host (off), with
// "custom_domain.issuer_did". Turning it on needs the domain verified
// (ErrDomainNotVerified); ErrNotFound without a domain.
func (s *Scoped) SetDomainIssuerDID(ctx context.Context, on bool, actor Actor) (*CustomDomain, error) {
	var d CustomDomain
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.tenant(lockRow(tx, s.dial), &d).First(&d).Error; err != nil {
			return notFound(err)
		}
		if on && !d.Verified() {
			return ErrDomainNotVerified
		}
		if d.IssuerDID == on {
			return nil
		}
		d.IssuerDID = on
		if err := tx.Select("issuer_did", "updated_at").Save(&d).Error; err != nil {
			return err
		}
		summary := "New credentials are issued as did:web:" + d.Domain
		if !on {
			summary = "New credentials are issued under TrustCred's host again, not did:web:" + d.Domain
		}
		return audit(tx, s.actor(actor), "custom_domain.issuer_did", "organization", s.orgID, AuditDetails{
			Summary: summary, Extra: map[string]string{"domain": d.Domain, "on": strconv.FormatBool(on)},
		})
	})
	if err == nil {
		domainGen.Add(1)
	}
	return &d, err
}

// DomainDID is the did:web of a custom domain (lower case, as stored): its
// document is https://<domain>/.well-known/did.json.
func DomainDID(domain string) string { return "did:web:" + domain }

// DomainIssuer is the organization whose verified custom domain host is
// and which issues, or has issued, as did:web:<host> (ErrNotFound
// otherwise): the platform-wide lookup of /.well-known/did.json, of
// verification and of /verify's issuer name. "Has issued" is a status list
// under that DID: every credential signed as it has its entries there, and
// the lists are signed as it too, so turning the domain DID off
// (SetDomainIssuerDID) changes only new credentials and the document stays
// served while the domain stays verified. A removed or replaced domain
// (or one no longer verified) is no longer anyone's: nothing then serves
// its document.
func (db *DB) DomainIssuer(ctx context.Context, host string) (string, error) {
	var d CustomDomain
	err := db.gorm.WithContext(ctx).Select("organization_id").
		Where("domain = ? AND status = ?", host, DomainVerified).
		Where("issuer_did = ? OR EXISTS (SELECT 1 FROM status_lists WHERE status_lists.organization_id = custom_domains.organization_id AND status_lists.issuer_did = ?)",
			true, DomainDID(host)).
		First(&d).Error
	return d.OrganizationID, notFound(err)
}

// CredentialsIssuedAs counts the organization's credentials signed as
// issuerDID (those with a status entry in a list under it, whatever their
// status now): what stops verifying elsewhere when that DID's document is
// no longer served.
func (s *Scoped) CredentialsIssuedAs(ctx context.Context, issuerDID string) (int64, error) {
	var n int64
	lists := s.q(ctx, &StatusList{}).Select("id").Where("issuer_did = ?", issuerDID)
	err := s.q(ctx, &Credential{}).Where("status_list_id IN (?)", lists).Count(&n).Error
	return n, err
}
