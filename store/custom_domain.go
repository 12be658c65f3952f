package store

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/secret"
)

// CustomDomainStatus is custom_domains.status.
type CustomDomainStatus string

const (
	// DomainPending: claimed, its TXT record not (or no longer) found.
	DomainPending CustomDomainStatus = "pending"
	// DomainVerified: the TXT record was found; the domain is served.
	DomainVerified CustomDomainStatus = "verified"
)

// CustomDomain is the domain an organization serves its public pages on
// (one per organization, one organization per domain).
type CustomDomain struct {
	ID             string
	OrganizationID string
	Domain         string             `validate:"required,max=253,fqdn"` // lower case, no trailing dot
	Status         CustomDomainStatus `validate:"oneof=pending verified"`
	VerifiedAt     *time.Time         // when it was last proved
	LastCheckedAt  *time.Time
	LastError      *string `validate:"omitnil,max=500"` // the last check's failure, in words
	// The uploaded TLS certificate (00035): the PEM chain, leaf first, and
	// its private key's PEM sealed with internal/secret; nil without one.
	TLSCertificate *string       `gorm:"column:tls_certificate" validate:"omitnil,max=65536"`
	TLSKey         secret.Sealed `gorm:"column:tls_key"`
	TLSNotAfter    *time.Time    `gorm:"column:tls_not_after"`   // the leaf's expiry
	TLSWarnedDays  *int          `gorm:"column:tls_warned_days"` // the last expiry warning sent (30, 7)
	// IssuerDID: new credentials are issued as did:web:<Domain> while the
	// domain is verified (issued ones keep their DID).
	IssuerDID bool `gorm:"column:issuer_did"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (CustomDomain) TableName() string { return "custom_domains" }

func (d *CustomDomain) BeforeCreate(*gorm.DB) error { return newID(&d.ID) }

// Verified reports whether the domain is served.
func (d *CustomDomain) Verified() bool { return d.Status == DomainVerified }

// ErrDomainTaken is returned when another organization claimed the domain.
var ErrDomainTaken = errors.New("another organization already uses this domain")

// domainGen counts the custom domain writes of this process: web's host
// routing drops its cached lookups when it changes.
var domainGen atomic.Uint64

// CustomDomainsGeneration is domainGen's value; it changes after every
// claim, check that changed the status, and removal made by this process.
func CustomDomainsGeneration() uint64 { return domainGen.Load() }

// CustomDomain is the organization's domain, or ErrNotFound.
func (s *Scoped) CustomDomain(ctx context.Context) (*CustomDomain, error) {
	var d CustomDomain
	err := s.q(ctx, &d).First(&d).Error
	return &d, notFound(err)
}

// ClaimCustomDomain sets the organization's domain (canonical form, as
// dnsverify.ParseDomain returns it) with "custom_domain.claimed". A new
// domain starts pending; claiming the current domain again changes
// nothing. ErrDomainTaken when another organization has it.
func (s *Scoped) ClaimCustomDomain(ctx context.Context, domain string, actor Actor) (*CustomDomain, error) {
	var d CustomDomain
	changed := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var other int64
		if err := tx.Model(&CustomDomain{}).Where("domain = ? AND organization_id <> ?", domain, s.orgID).Count(&other).Error; err != nil {
			return err
		}
		if other > 0 {
			return ErrDomainTaken
		}
		err := s.tenant(lockRow(tx, s.dial), &d).First(&d).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			d = CustomDomain{OrganizationID: s.orgID, Domain: domain, Status: DomainPending}
			if err := tx.Create(&d).Error; err != nil {
				return err
			}
		case err != nil:
			return err
		case d.Domain == domain:
			return nil
		default:
			d.Domain, d.Status, d.VerifiedAt, d.LastCheckedAt, d.LastError = domain, DomainPending, nil, nil, nil
			d.TLSCertificate, d.TLSKey, d.TLSNotAfter, d.TLSWarnedDays = nil, nil, nil, nil // it was another name's
			d.IssuerDID = false
			if err := tx.Select("domain", "status", "verified_at", "last_checked_at", "last_error",
				"tls_certificate", "tls_key", "tls_not_after", "tls_warned_days", "issuer_did", "updated_at").Save(&d).Error; err != nil {
				return err
			}
		}
		changed = true
		if err := touchIssuer(tx, s.orgID); err != nil {
			return err
		}
		return audit(tx, s.actor(actor), "custom_domain.claimed", "organization", s.orgID, AuditDetails{
			Summary: "Set the custom domain to " + domain,
			Extra:   map[string]string{"domain": domain},
		})
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return nil, ErrDomainTaken // claimed by another organization meanwhile
	}
	if changed {
		domainGen.Add(1)
	}
	return &d, err
}

// DomainCheck is the outcome of looking a domain's TXT record up.
type DomainCheck struct {
	At    time.Time
	OK    bool   // the record is there with the right value
	Gone  bool   // a definite answer without the record: a verified domain goes back to pending
	Error string // when not OK: the reason in words
}

// RecordCustomDomainCheck stores a check of domain, which must still be
// the organization's domain (ErrDomainChanged otherwise). Success verifies
// it ("custom_domain.verified" when it was pending); a definite failure
// (Gone) makes a verified domain pending ("custom_domain.unverified"); a
// lookup failure only records the error, so a DNS outage does not take a
// verified domain offline.
func (s *Scoped) RecordCustomDomainCheck(ctx context.Context, domain string, c DomainCheck, actor Actor) (*CustomDomain, error) {
	var d CustomDomain
	changed := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.tenant(lockRow(tx, s.dial), &d).First(&d).Error; err != nil {
			return notFound(err)
		}
		if d.Domain != domain {
			return ErrDomainChanged
		}
		at := c.At.UTC()
		d.LastCheckedAt = &at
		action, summary := "", ""
		if c.OK {
			d.LastError = nil
			if !d.Verified() {
				d.Status, d.VerifiedAt = DomainVerified, &at
				action, summary = "custom_domain.verified", "Verified the custom domain "+domain+" by its DNS TXT record"
			}
		} else {
			msg := truncateRunes(c.Error, 500)
			d.LastError = &msg
			if c.Gone && d.Verified() {
				d.Status = DomainPending
				action, summary = "custom_domain.unverified", "The DNS TXT record of "+domain+" is gone: the domain is no longer served"
			}
		}
		if err := tx.Select("status", "verified_at", "last_checked_at", "last_error", "updated_at").Save(&d).Error; err != nil {
			return err
		}
		if action == "" {
			return nil
		}
		changed = true
		if err := touchIssuer(tx, s.orgID); err != nil {
			return err
		}
		return audit(tx, s.actor(actor), action, "organization", s.orgID, AuditDetails{
			Summary: summary, Extra: map[string]string{"domain": domain},
		})
	})
	if changed {
		domainGen.Add(1)
	}
	return &d, err
}

// RemoveCustomDomain deletes the organization's domain with
// "custom_domain.removed" (ErrNotFound when there is none).
func (s *Scoped) RemoveCustomDomain(ctx context.Context, actor Actor) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d CustomDomain
		if err := s.tenant(lockRow(tx, s.dial), &d).First(&d).Error; err != nil {
			return notFound(err)
		}
		if err := s.tenant(tx, &CustomDomain{}).Delete(&CustomDomain{}).Error; err != nil {
			return err
		}
		if err := touchIssuer(tx, s.orgID); err != nil {
			return err
		}
		return audit(tx, s.actor(actor), "custom_domain.removed", "organization", s.orgID, AuditDetails{
			Summary: "Removed the custom domain " + d.Domain, Extra: map[string]string{"domain": d.Domain},
		})
	})
	if err == nil {
		domainGen.Add(1)
	}
	return err
}

// touchIssuer bumps the organization's updated_at with a change of its
// domain that changes whether did:web:<domain> resolves (verified,
// unverified, replaced, removed): the credential stamps (CredentialStamp)
// carry it, so the public pages cached with a verdict that depended on
// that DID are made again.
func touchIssuer(tx *gorm.DB, orgID string) error {
	return tx.Model(&Organization{}).Where("id = ?", orgID).Update("updated_at", time.Now().UTC()).Error
}

// VerifiedDomainOrganization is the id of the organization whose verified
// custom domain host is (lower case, no port), or ErrNotFound: the
// platform-wide lookup of web's host routing.
func (db *DB) VerifiedDomainOrganization(ctx context.Context, host string) (string, error) {
	var d CustomDomain
	err := db.gorm.WithContext(ctx).Select("organization_id").
		Where("domain = ? AND status = ?", host, DomainVerified).First(&d).Error
	return d.OrganizationID, notFound(err)
}

// CustomDomainsToCheck lists up to limit domains (of every organization)
// not checked since before, the least recently checked first: the
// periodic re-check's work.
func (db *DB) CustomDomainsToCheck(ctx context.Context, before time.Time, limit int) ([]CustomDomain, error) {
	var ds []CustomDomain
	err := db.gorm.WithContext(ctx).
		Where("last_checked_at IS NULL OR last_checked_at < ?", before.UTC()).
		Order("last_checked_at IS NOT NULL, last_checked_at, id").Limit(limit).Find(&ds).Error
	return ds, err
}

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// CredentialIssuerID is the organization that issued the credential with
// publicID (ErrNotFound for none): web's host routing serves a custom
// domain only its own organization's credentials.
func (db *DB) CredentialIssuerID(ctx context.Context, publicID string) (string, error) {
	var c Credential
	err := db.gorm.WithContext(ctx).Select("issuer_id").Where("public_id = ?", publicID).First(&c).Error
	return c.IssuerID, notFound(err)
}

// StatusListOrganizationID is the organization of the status list id
// (ErrNotFound for none, or an id that is not a UUID).
func (db *DB) StatusListOrganizationID(ctx context.Context, id string) (string, error) {
	if !validUUID(id) {
		return "", ErrNotFound
	}
	var l StatusList
	err := db.gorm.WithContext(ctx).Select("organization_id").Where("id = ?", id).First(&l).Error
	return l.OrganizationID, notFound(err)
}
