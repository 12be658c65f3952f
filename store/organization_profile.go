package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// IssuerCategory tags an issuer organization with a category.
type IssuerCategory struct {
	ID        string
	IssuerID  string
	Category  string `validate:"required,max=100,name"`
	CreatedAt time.Time
}

func (IssuerCategory) TableName() string { return "issuer_categories" }

func (c *IssuerCategory) BeforeCreate(*gorm.DB) error { return newID(&c.ID) }

// Organization profile refusals.
var (
	// ErrDomainChanged: the domain was changed while it was being verified.
	ErrDomainChanged = errors.New("the organization's domain changed while it was being verified")
	// ErrCategoryTaken: the organization has this category already, in any case.
	ErrCategoryTaken = errors.New("the organization already has this category")
	// ErrTooManyCategories: the organization has MaxIssuerCategories already.
	ErrTooManyCategories = errors.New("the organization has the most categories allowed")
)

// MaxIssuerCategories is how many categories an organization may have.
const MaxIssuerCategories = 20

// OrganizationProfile is what an organization's administrators edit. Blank
// optional fields are nil. Domain must be in canonical form (lower case, no
// trailing dot): comparing it decides whether the organization stays
// verified.
type OrganizationProfile struct {
	Name         string
	Slug         string
	DID          string // the did:web for Slug; used only when the slug changes and the organization issues under did:web (a did:key stays)
	Type         OrganizationType
	Domain       *string
	Description  *string
	Website      *string
	MetadataURI  *string
	ContactEmail *string
}

// UpdateProfile changes the organization's profile in one transaction with
// an "organization.profile_updated" audit entry listing every changed field
// (none: nothing is written). A new slug takes the new DID with it; a new
// domain (or none) clears verified. The result is validated as a whole
// (FieldErrors). A slug or DID another organization has is ErrSlugTaken; a
// name another organization has, in any case, ErrNameTaken.
func (s *Scoped) UpdateProfile(ctx context.Context, p OrganizationProfile, actor Actor) (*Organization, []FieldChange, error) {
	var changes []FieldChange
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var o Organization
		if err := s.tenant(lockRow(tx, s.dial), &o).First(&o).Error; err != nil {
			return notFound(err)
		}
		next := o
		next.Name, next.Slug, next.Type = p.Name, p.Slug, p.Type
		next.Domain, next.Description, next.Website, next.MetadataURI, next.ContactEmail =
			p.Domain, p.Description, p.Website, p.MetadataURI, p.ContactEmail
		if next.Slug != o.Slug && o.DIDMethod != DIDKey {
			// did:web names the slug; a did:key is the signing key's and stays.
			next.DID = p.DID
		}
		if deref(next.Domain) != deref(o.Domain) {
			next.Verified = false
		}
		if err := Validate(&next); err != nil {
			return err
		}
		updates := map[string]any{}
		diff := func(column, from, to string, value any) {
			if from != to {
				changes = append(changes, FieldChange{Field: column, From: clip(from), To: clip(to)})
				updates[column] = value
			}
		}
		diff("name", o.Name, next.Name, next.Name)
		diff("slug", o.Slug, next.Slug, next.Slug)
		diff("did", o.DID, next.DID, next.DID)
		diff("type", string(o.Type), string(next.Type), next.Type)
		diff("domain", deref(o.Domain), deref(next.Domain), next.Domain)
		diff("verified", strconv.FormatBool(o.Verified), strconv.FormatBool(next.Verified), next.Verified)
		diff("description", deref(o.Description), deref(next.Description), next.Description)
		diff("website", deref(o.Website), deref(next.Website), next.Website)
		diff("metadata_uri", deref(o.MetadataURI), deref(next.MetadataURI), next.MetadataURI)
		diff("contact_email", deref(o.ContactEmail), deref(next.ContactEmail), next.ContactEmail)
		if len(updates) == 0 {
			return nil
		}
		if next.Slug != o.Slug || next.DID != o.DID {
			// Deliberately across organizations: slugs and DIDs are unique platform-wide.
			var n int64
			if err := tx.Model(&Organization{}).Where("(slug = ? OR did = ?) AND id <> ?", next.Slug, next.DID, s.orgID).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return ErrSlugTaken
			}
		}
		if !strings.EqualFold(next.Name, o.Name) {
			// Deliberately across organizations: names are unique platform-wide.
			var n int64
			if err := tx.Model(&Organization{}).Where("LOWER(name) = LOWER(?) AND id <> ?", next.Name, s.orgID).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return ErrNameTaken
			}
		}
		err := s.tenant(tx, &Organization{}).Updates(updates).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return ErrSlugTaken // another organization took the slug since the check
		}
		if err != nil {
			return err
		}
		fields := make([]string, len(changes))
		for i, c := range changes {
			fields[i] = c.Field
		}
		return audit(tx, s.actor(actor), "organization.profile_updated", "organization", s.orgID, AuditDetails{
			Summary: "Updated the organization profile: " + strings.Join(fields, ", "),
			Changes: changes,
		})
	})
	if err != nil {
		return nil, nil, err
	}
	o, err := s.Organization(ctx)
	return o, changes, err
}

// MarkDomainVerified records that the organization proved it controls
// domain ("organization.domain_verified"). The domain must still be the
// organization's (ErrDomainChanged otherwise: it was edited during the
// lookup). It reports whether anything changed: verifying a verified domain
// again does not.
func (s *Scoped) MarkDomainVerified(ctx context.Context, domain string, actor Actor) (changed bool, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var o Organization
		if err := s.tenant(lockRow(tx, s.dial), &o).First(&o).Error; err != nil {
			return notFound(err)
		}
		if o.Domain == nil || *o.Domain != domain {
			return ErrDomainChanged
		}
		if o.Verified {
			return nil
		}
		if err := s.tenant(tx, &Organization{}).Update("verified", true).Error; err != nil {
			return err
		}
		changed = true
		return audit(tx, s.actor(actor), "organization.domain_verified", "organization", s.orgID, AuditDetails{
			Summary: "Verified the domain " + domain + " by its DNS TXT record",
			Changes: []FieldChange{{Field: "verified", From: "false", To: "true"}},
			Extra:   map[string]string{"domain": domain},
		})
	})
	return changed, err
}

// SetLogo points the organization's logo at the blob key ("" removes it),
// with "organization.logo_changed" or "organization.logo_removed", and
// returns the key it replaced ("" for none). The caller stores the new
// blob before and deletes the old one after: a blob is never referenced
// before it exists, and never deleted while still referenced.
func (s *Scoped) SetLogo(ctx context.Context, key string, actor Actor) (previous string, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var o Organization
		if err := s.tenant(lockRow(tx, s.dial), &o).First(&o).Error; err != nil {
			return notFound(err)
		}
		previous = deref(o.LogoKey)
		if previous == key {
			return nil
		}
		var value *string
		action, summary := "organization.logo_removed", "Removed the organization's logo"
		if key != "" {
			value, action, summary = &key, "organization.logo_changed", "Changed the organization's logo"
		}
		if err := s.tenant(tx, &Organization{}).Update("logo_key", value).Error; err != nil {
			return err
		}
		return audit(tx, s.actor(actor), action, "organization", s.orgID, AuditDetails{
			Summary: summary,
			Changes: []FieldChange{{Field: "logo_key", From: previous, To: key}},
		})
	})
	return previous, err
}

// IssuerCategories lists the organization's categories by name, ignoring case.
func (s *Scoped) IssuerCategories(ctx context.Context) ([]IssuerCategory, error) {
	var cs []IssuerCategory
	err := s.q(ctx, &IssuerCategory{}).Order("LOWER(category), category, id").Find(&cs).Error
	return cs, err
}

// AddIssuerCategory gives the organization a category
// ("organization.category_added"). The same name in any case is
// ErrCategoryTaken; past MaxIssuerCategories, ErrTooManyCategories. Both
// checks hold the organization's lock, so concurrent additions cannot pass
// them together.
func (s *Scoped) AddIssuerCategory(ctx context.Context, name string, actor Actor) (*IssuerCategory, error) {
	c := &IssuerCategory{IssuerID: s.orgID, Category: name}
	if err := Validate(c); err != nil {
		return nil, err
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockOrganization(tx); err != nil {
			return err
		}
		var same, all int64
		if err := s.tenant(tx, &IssuerCategory{}).Where("LOWER(category) = LOWER(?)", name).Count(&same).Error; err != nil {
			return err
		}
		if same > 0 {
			return ErrCategoryTaken
		}
		if err := s.tenant(tx, &IssuerCategory{}).Count(&all).Error; err != nil {
			return err
		}
		if all >= MaxIssuerCategories {
			return ErrTooManyCategories
		}
		err := tx.Create(c).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return ErrCategoryTaken
		}
		if err != nil {
			return err
		}
		return audit(tx, s.actor(actor), "organization.category_added", "issuer_category", c.ID, AuditDetails{
			Summary: fmt.Sprintf("Added the category %q", name),
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// RemoveIssuerCategory removes one of the organization's categories
// ("organization.category_removed"). Another organization's category, or
// one already removed, is ErrNotFound.
func (s *Scoped) RemoveIssuerCategory(ctx context.Context, id string, actor Actor) (*IssuerCategory, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var c IssuerCategory
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.tenant(tx, &c).First(&c, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		res := s.tenant(tx, &IssuerCategory{}).Where("id = ?", id).Delete(&IssuerCategory{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound // removed by a concurrent request
		}
		return audit(tx, s.actor(actor), "organization.category_removed", "issuer_category", c.ID, AuditDetails{
			Summary: fmt.Sprintf("Removed the category %q", c.Category),
		})
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// lockOrganization serializes changes to the organization for the rest of
// the transaction: on PostgreSQL by locking its row; SQLite's immediate
// transactions already run one at a time.
func (s *Scoped) lockOrganization(tx *gorm.DB) error {
	if s.dial != Postgres {
		return nil
	}
	return tx.Exec("SELECT id FROM organizations WHERE id = ? FOR UPDATE", s.orgID).Error // raw, keyed on the organization's own id
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// clip shortens a value for an audit entry (descriptions can be long).
func clip(s string) string {
	const limit = 200
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit]) + "…"
}
