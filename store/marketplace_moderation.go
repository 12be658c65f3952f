package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/datatypes"
	"gorm.io/gorm"

	textpkg "github.com/trustcred/trustcred/internal/text"
)

// Moderation of the marketplace by platform operators (/admin/marketplace):
// the queue of reports, hiding and restoring reviews, unlisting and
// restoring templates. Methods of *DB, platform-wide by purpose; every
// change is audited in its transaction.

// MaxModerationReason is the longest reason a moderator gives, in characters.
const MaxModerationReason = 1000

// ValidateModerationReason checks the reason of hiding a review or
// unlisting a template: required, one line, at most MaxModerationReason.
func ValidateModerationReason(reason string) FieldErrors {
	r := strings.TrimSpace(reason)
	switch err := textpkg.Check(r, textpkg.Name); {
	case r == "":
		return FieldErrors{"reason": "Give a reason: the author or publisher reads it"}
	case err != nil:
		return FieldErrors{"reason": "The reason " + err.Error()}
	case utf8.RuneCountInString(r) > MaxModerationReason:
		return FieldErrors{"reason": fmt.Sprintf("The reason must be at most %d characters long", MaxModerationReason)}
	}
	return nil
}

// ReportEntry is one open report as the moderation queue shows it.
type ReportEntry struct {
	ID            string
	Reason        ReportReason
	Details       string
	CreatedAt     time.Time
	ReporterOrg   string
	TemplateID    string
	TemplateName  string
	PublisherName string
	Unlisted      bool
	// The reported review, when a review was reported.
	ReviewID     *string
	ReviewRating *int
	ReviewText   *string
	ReviewOrg    *string
	ReviewHidden bool
}

// ReportPage is one page of the moderation queue, oldest first.
type ReportPage struct {
	Reports []ReportEntry
	Next    *Cursor
}

// ReportQueue is the open reports, oldest first, keyset-paginated on
// (created_at, id).
func (db *DB) ReportQueue(ctx context.Context, after *Cursor, limit int) (ReportPage, error) {
	if limit <= 0 {
		limit = 25
	}
	limit = min(limit, 100)
	q := db.gorm.WithContext(ctx).Table("marketplace_reports AS r").
		Joins("JOIN organizations ro ON ro.id = r.organization_id").
		Joins("JOIN marketplace_listings l ON l.template_id = r.template_id").
		Joins("JOIN organizations po ON po.id = l.organization_id").
		Joins("LEFT JOIN template_reviews v ON v.id = r.review_id").
		Joins("LEFT JOIN organizations vo ON vo.id = v.organization_id").
		Where("r.resolved_at IS NULL").
		Select("r.id, r.reason, r.details, r.created_at, ro.name AS reporter_org, r.template_id, l.name AS template_name, " +
			"po.name AS publisher_name, l.unlisted_at IS NOT NULL AS unlisted, r.review_id, v.rating AS review_rating, " +
			"v.review_text, vo.name AS review_org, v.hidden_at IS NOT NULL AS review_hidden")
	if after != nil {
		if after.At.IsZero() {
			return ReportPage{}, ErrBadCursor
		}
		q = q.Where("r.created_at > ? OR (r.created_at = ? AND r.id > ?)", after.At.UTC(), after.At.UTC(), after.ID)
	}
	var rows []ReportEntry
	if err := q.Order("r.created_at, r.id").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return ReportPage{}, err
	}
	var p ReportPage
	p.Reports, p.Next = timePage(rows, limit, func(r *ReportEntry) (time.Time, string) { return r.CreatedAt, r.ID })
	return p, nil
}

// ModeratedEntry is a hidden review or an unlisted template, which a
// moderator may restore.
type ModeratedEntry struct {
	ReviewID     *string // nil for a template
	TemplateID   string
	TemplateName string
	Organization string // the review's organization, or the publisher
	Reason       string
	At           time.Time
}

// Moderated lists the hidden reviews and unlisted templates, most
// recently moderated first (at most limit of each).
func (db *DB) Moderated(ctx context.Context, limit int) ([]ModeratedEntry, error) {
	if limit <= 0 {
		limit = 50
	}
	var reviews, templates []ModeratedEntry
	if err := db.gorm.WithContext(ctx).Table("template_reviews AS v").
		Joins("JOIN marketplace_listings l ON l.template_id = v.template_id").
		Joins("JOIN organizations o ON o.id = v.organization_id").
		Where("v.hidden_at IS NOT NULL").
		Select("v.id AS review_id, v.template_id, l.name AS template_name, o.name AS organization, COALESCE(v.hidden_reason, '') AS reason, v.hidden_at AS at").
		Order("v.hidden_at DESC").Limit(limit).Scan(&reviews).Error; err != nil {
		return nil, err
	}
	if err := db.gorm.WithContext(ctx).Table("marketplace_listings AS l").
		Joins("JOIN organizations o ON o.id = l.organization_id").
		Where("l.unlisted_at IS NOT NULL").
		Select("l.template_id, l.name AS template_name, o.name AS organization, COALESCE(l.unlisted_reason, '') AS reason, l.unlisted_at AS at").
		Order("l.unlisted_at DESC").Limit(limit).Scan(&templates).Error; err != nil {
		return nil, err
	}
	return append(reviews, templates...), nil
}

// resolveReports closes the open reports of a review, or of a template
// (its own reports, not its reviews'), with the resolution.
func resolveReports(tx *gorm.DB, templateID string, reviewID *string, resolution string, now time.Time) error {
	q := tx.Model(&MarketplaceReport{}).Where("resolved_at IS NULL AND template_id = ?", templateID)
	if reviewID != nil {
		q = q.Where("review_id = ?", *reviewID)
	} else {
		q = q.Where("review_id IS NULL")
	}
	return q.Updates(map[string]any{"resolved_at": now, "resolution": resolution}).Error
}

// HideReview takes a review off its template's page and out of the
// aggregates (marketplace.review_hidden), closing its open reports. Hiding
// a hidden review changes nothing.
func (db *DB) HideReview(ctx context.Context, reviewID, reason string, actor Actor) error {
	if !validUUID(reviewID) {
		return ErrNotFound
	}
	if fe := ValidateModerationReason(reason); fe != nil {
		return fmt.Errorf("store: invalid reason: %w", fe)
	}
	reason = strings.TrimSpace(reason)
	return db.inTx(ctx, func(tx *gorm.DB) error {
		var r TemplateReview
		if err := lockRow(tx, db.dialect).First(&r, "id = ?", reviewID).Error; err != nil {
			return notFound(err)
		}
		now := time.Now().UTC()
		if r.HiddenAt == nil {
			if err := tx.Model(&TemplateReview{}).Where("id = ?", r.ID).
				Updates(map[string]any{"hidden_at": now, "hidden_reason": reason}).Error; err != nil {
				return err
			}
			if err := RecountMarketplaceRatings(tx, r.TemplateID); err != nil {
				return err
			}
		}
		if err := resolveReports(tx, r.TemplateID, &r.ID, "review hidden: "+reason, now); err != nil {
			return err
		}
		actor.OrganizationID = &r.OrganizationID
		return audit(tx, actor, "marketplace.review_hidden", "template_review", r.ID, AuditDetails{
			Summary: fmt.Sprintf("A platform operator hid a %d-star review of a marketplace template", r.Rating),
			Reason:  reason, Extra: map[string]string{"template_id": r.TemplateID},
		})
	})
}

// RestoreReview shows a hidden review again, back in the aggregates
// (marketplace.review_restored).
func (db *DB) RestoreReview(ctx context.Context, reviewID string, actor Actor) error {
	if !validUUID(reviewID) {
		return ErrNotFound
	}
	return db.inTx(ctx, func(tx *gorm.DB) error {
		var r TemplateReview
		if err := lockRow(tx, db.dialect).First(&r, "id = ?", reviewID).Error; err != nil {
			return notFound(err)
		}
		if r.HiddenAt == nil {
			return nil
		}
		if err := tx.Model(&TemplateReview{}).Where("id = ?", r.ID).
			Updates(map[string]any{"hidden_at": nil, "hidden_reason": nil}).Error; err != nil {
			return err
		}
		if err := RecountMarketplaceRatings(tx, r.TemplateID); err != nil {
			return err
		}
		actor.OrganizationID = &r.OrganizationID
		return audit(tx, actor, "marketplace.review_restored", "template_review", r.ID, AuditDetails{
			Summary: "A platform operator restored a hidden review of a marketplace template",
			Extra:   map[string]string{"template_id": r.TemplateID},
		})
	})
}

// UnlistTemplate takes a published template out of the catalogue, its
// page and adoption, whatever its publisher does, until a moderator
// restores it (marketplace.template_unlisted); its open reports close and
// the publisher's admins are told why (in the app, and by email as their
// preferences say). Adopters keep their copies.
func (db *DB) UnlistTemplate(ctx context.Context, templateID, reason string, actor Actor) error {
	if !validUUID(templateID) {
		return ErrNotFound
	}
	if fe := ValidateModerationReason(reason); fe != nil {
		return fmt.Errorf("store: invalid reason: %w", fe)
	}
	reason = strings.TrimSpace(reason)
	return db.inTx(ctx, func(tx *gorm.DB) error {
		var l MarketplaceListing
		if err := lockRow(tx, db.dialect).First(&l, "template_id = ?", templateID).Error; err != nil {
			return notFound(err)
		}
		now := time.Now().UTC()
		if l.UnlistedAt == nil {
			if err := tx.Model(&MarketplaceListing{}).Where("id = ?", l.ID).
				Updates(map[string]any{"unlisted_at": now, "unlisted_reason": reason}).Error; err != nil {
				return err
			}
			if _, err := notifyAdmins(tx, l.OrganizationID, Notification{Type: NotifySystemAlert,
				Title: "Your template was taken out of the marketplace",
				Message: fmt.Sprintf("The platform operator took %q out of the template marketplace. Reason: %s Organizations that adopted it keep their copies.",
					l.Name, reason),
				Metadata: datatypes.NewJSONType(NotificationMetadata{OrganizationID: l.OrganizationID, Link: "/templates/" + l.TemplateID + "/edit"})}); err != nil {
				return err
			}
		}
		if err := resolveReports(tx, l.TemplateID, nil, "template unlisted: "+reason, now); err != nil {
			return err
		}
		actor.OrganizationID = &l.OrganizationID
		return audit(tx, actor, "marketplace.template_unlisted", "credential_template", l.TemplateID, AuditDetails{
			Summary: fmt.Sprintf("A platform operator took %q out of the marketplace", l.Name), Reason: reason,
		})
	})
}

// RelistTemplate ends a moderator's unlisting (marketplace.template_relisted):
// the template is in the catalogue again if its publisher still lists it;
// the publisher's admins are told.
func (db *DB) RelistTemplate(ctx context.Context, templateID string, actor Actor) error {
	if !validUUID(templateID) {
		return ErrNotFound
	}
	return db.inTx(ctx, func(tx *gorm.DB) error {
		var l MarketplaceListing
		if err := lockRow(tx, db.dialect).First(&l, "template_id = ?", templateID).Error; err != nil {
			return notFound(err)
		}
		if l.UnlistedAt == nil {
			return nil
		}
		if err := tx.Model(&MarketplaceListing{}).Where("id = ?", l.ID).
			Updates(map[string]any{"unlisted_at": nil, "unlisted_reason": nil}).Error; err != nil {
			return err
		}
		if _, err := notifyAdmins(tx, l.OrganizationID, Notification{Type: NotifySystemAlert,
			Title:    "Your template is back in the marketplace",
			Message:  fmt.Sprintf("The platform operator restored %q to the template marketplace.", l.Name),
			Metadata: datatypes.NewJSONType(NotificationMetadata{OrganizationID: l.OrganizationID, Link: "/marketplace/" + l.TemplateID})}); err != nil {
			return err
		}
		actor.OrganizationID = &l.OrganizationID
		return audit(tx, actor, "marketplace.template_relisted", "credential_template", l.TemplateID, AuditDetails{
			Summary: fmt.Sprintf("A platform operator restored %q to the marketplace", l.Name),
		})
	})
}

// DismissReport closes a report without acting on what it reports
// (marketplace.report_dismissed); a closed one is ErrNotFound.
func (db *DB) DismissReport(ctx context.Context, reportID string, actor Actor) error {
	if !validUUID(reportID) {
		return ErrNotFound
	}
	return db.inTx(ctx, func(tx *gorm.DB) error {
		var r MarketplaceReport
		if err := lockRow(tx, db.dialect).Where("resolved_at IS NULL").First(&r, "id = ?", reportID).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Model(&MarketplaceReport{}).Where("id = ?", r.ID).
			Updates(map[string]any{"resolved_at": time.Now().UTC(), "resolution": "dismissed"}).Error; err != nil {
			return err
		}
		actor.OrganizationID = &r.OrganizationID
		return audit(tx, actor, "marketplace.report_dismissed", "marketplace_report", r.ID, AuditDetails{
			Summary: "A platform operator dismissed a report: " + r.Reason.Title(),
			Extra:   map[string]string{"template_id": r.TemplateID},
		})
	})
}
