package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	textpkg "github.com/trustcred/trustcred/internal/text"
)

// Reviews of marketplace templates: written by members of the
// organizations that used a template (issued at least one credential from
// their copy of it), one per member and template, editable by their
// author; "Helpful" votes once per user; reports of abuse. The listing's
// aggregates are recounted in the transaction of every change.

// listed is the condition of a template in the catalogue, over
// marketplace_listings l, credential_templates t and organizations o (the
// organization's status is its one argument): published and public,
// active, not unlisted by a platform operator, of an active organization.
const listed = "t.is_public AND t.active AND l.unlisted_at IS NULL AND o.status = ?"

// Errors of reviewing.
var (
	ErrReviewOwnTemplate = errors.New("your organization published this template: reviews come from the organizations that use it")
	ErrReviewNotEligible = errors.New("only organizations that issued at least one credential from this template (their copy of it) can review it")
	ErrAlreadyReviewed   = errors.New("you already reviewed this template: edit your review instead")
	ErrAlreadyVoted      = errors.New("you already found this review helpful")
	ErrVoteOwnReview     = errors.New("you cannot vote for your own review")
	ErrAlreadyReported   = errors.New("you already reported this: the platform's moderators will look at it")
	ErrNoUser            = errors.New("store: this action needs a signed-in user")
)

// MaxReviewText is the longest review, in characters.
const MaxReviewText = 5000

// MaxReportDetails is the longest explanation of a report, in characters.
const MaxReportDetails = 2000

// ReviewInput is what a reviewer writes: the stars and the text (Markdown).
type ReviewInput struct {
	Rating int
	Text   string
}

// ValidateReview checks a review, keyed as the form names its fields
// (rating, text).
func ValidateReview(in ReviewInput) FieldErrors {
	fe := FieldErrors{}
	if in.Rating < 1 || in.Rating > 5 {
		fe["rating"] = "Choose a rating from 1 to 5 stars"
	}
	t := strings.TrimSpace(in.Text)
	switch err := textpkg.Check(t, textpkg.MultiLine); {
	case t == "":
		fe["text"] = "Write what you found using this template"
	case err != nil:
		fe["text"] = "The review " + err.Error()
	case utf8.RuneCountInString(t) > MaxReviewText:
		fe["text"] = fmt.Sprintf("The review must be at most %d characters long", MaxReviewText)
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// issuedStatuses are the statuses of a credential that was issued.
var issuedStatuses = []CredentialStatus{CredentialActive, CredentialSuspended, CredentialRevoked, CredentialExpired}

// listedTemplate is a listed template's name and publisher: ErrNotFound
// when it is not in the catalogue.
func listedTemplate(tx *gorm.DB, id string) (name, publisherID string, err error) {
	if !validUUID(id) {
		return "", "", ErrNotFound
	}
	var row struct{ Name, OrganizationID string }
	err = tx.Table("marketplace_listings AS l").
		Joins("JOIN credential_templates t ON t.id = l.template_id").
		Joins("JOIN organizations o ON o.id = l.organization_id").
		Where(listed+" AND l.template_id = ?", OrganizationActive, id).
		Select("l.name, l.organization_id").Take(&row).Error
	return row.Name, row.OrganizationID, notFound(err)
}

// ListedTemplate is a listed template's name in the catalogue and its
// publishing organization (ErrNotFound when it is not listed), for the
// events of a review.
func (s *Scoped) ListedTemplate(ctx context.Context, templateID string) (name, publisherID string, err error) {
	return listedTemplate(s.db.WithContext(ctx), templateID)
}

// ReviewEligibility says whether the organization may review a listed
// template: nil when it issued at least one credential from its copy of
// it, ErrReviewOwnTemplate for the publisher, ErrReviewNotEligible
// otherwise, ErrNotFound when the template is not listed.
func (s *Scoped) ReviewEligibility(ctx context.Context, templateID string) error {
	return s.reviewEligibility(s.db.WithContext(ctx), templateID)
}

func (s *Scoped) reviewEligibility(tx *gorm.DB, templateID string) error {
	_, publisher, err := listedTemplate(tx, templateID)
	if err != nil {
		return err
	}
	if publisher == s.orgID {
		return ErrReviewOwnTemplate
	}
	var ids []string
	err = s.tenant(tx, &Credential{}).
		Joins("JOIN template_adoptions ON template_adoptions.template_id = credentials.template_id AND template_adoptions.organization_id = credentials.issuer_id").
		Where("template_adoptions.source_template_id = ? AND credentials.status IN ?", templateID, issuedStatuses).
		Limit(1).Pluck("credentials.id", &ids).Error
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return ErrReviewNotEligible
	}
	return nil
}

// TemplateReviewBy is the user's review of a template: nil (and no error)
// when they wrote none.
func (s *Scoped) TemplateReviewBy(ctx context.Context, templateID, userID string) (*TemplateReview, error) {
	if !validUUID(templateID) || !validUUID(userID) {
		return nil, nil
	}
	var r TemplateReview
	err := s.q(ctx, &r).Where("template_id = ? AND reviewer_id = ?", templateID, userID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// CreateTemplateReview writes the actor's review of a listed template, in
// one transaction with the listing's recounted aggregates and the audit
// entry template.reviewed. Refusals: the input's FieldErrors,
// ErrReviewOwnTemplate, ErrReviewNotEligible, ErrAlreadyReviewed (one per
// member and template), ErrNotFound (not listed).
func (s *Scoped) CreateTemplateReview(ctx context.Context, templateID string, in ReviewInput, actor Actor) (*TemplateReview, error) {
	if actor.UserID == nil {
		return nil, ErrNoUser
	}
	if fe := ValidateReview(in); fe != nil {
		return nil, fmt.Errorf("store: invalid review: %w", fe)
	}
	text := strings.TrimSpace(in.Text)
	r := TemplateReview{TemplateID: templateID, ReviewerID: *actor.UserID, OrganizationID: s.orgID, Rating: in.Rating, ReviewText: &text}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.reviewEligibility(tx, templateID); err != nil {
			return err
		}
		var n int64
		if err := s.tenant(tx, &TemplateReview{}).Where("template_id = ? AND reviewer_id = ?", templateID, r.ReviewerID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrAlreadyReviewed
		}
		if err := tx.Omit("Template", "Reviewer").Create(&r).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrAlreadyReviewed
			}
			return err
		}
		if err := RecountMarketplaceRatings(tx, templateID); err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "template.reviewed", "template_review", r.ID, AuditDetails{
			Summary: fmt.Sprintf("Reviewed a marketplace template: %d of 5 stars", r.Rating),
			Extra:   map[string]string{"template_id": templateID},
		})
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// UpdateTemplateReview changes the actor's own review (ErrNotFound for
// anyone else's), with the aggregates and the audit entry
// template.review_edited in the same transaction. A hidden review stays
// hidden.
func (s *Scoped) UpdateTemplateReview(ctx context.Context, reviewID string, in ReviewInput, actor Actor) (*TemplateReview, error) {
	if actor.UserID == nil {
		return nil, ErrNoUser
	}
	if !validUUID(reviewID) {
		return nil, ErrNotFound
	}
	if fe := ValidateReview(in); fe != nil {
		return nil, fmt.Errorf("store: invalid review: %w", fe)
	}
	text := strings.TrimSpace(in.Text)
	var r TemplateReview
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.tenant(lockRow(tx, s.dial), &r).Where("reviewer_id = ?", *actor.UserID).First(&r, "id = ?", reviewID).Error; err != nil {
			return notFound(err)
		}
		if _, _, err := listedTemplate(tx, r.TemplateID); err != nil {
			return err
		}
		from := r.Rating
		r.Rating, r.ReviewText, r.UpdatedAt = in.Rating, &text, time.Now().UTC()
		if err := s.tenant(tx, &TemplateReview{}).Where("id = ?", r.ID).
			Updates(map[string]any{"rating": r.Rating, "review_text": text, "updated_at": r.UpdatedAt}).Error; err != nil {
			return err
		}
		if err := RecountMarketplaceRatings(tx, r.TemplateID); err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "template.review_edited", "template_review", r.ID, AuditDetails{
			Summary: "Edited a review of a marketplace template",
			Changes: []FieldChange{{Field: "rating", From: strconv.Itoa(from), To: strconv.Itoa(r.Rating)}},
			Extra:   map[string]string{"template_id": r.TemplateID},
		})
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// visibleReview is a review shown on a listed template's page (another
// organization's, read on purpose as CrossOrg does): ErrNotFound when it
// is hidden or its template is not listed.
func visibleReview(tx *gorm.DB, id string) (*TemplateReview, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var r TemplateReview
	if err := tx.Where("hidden_at IS NULL").First(&r, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	if _, _, err := listedTemplate(tx, r.TemplateID); err != nil {
		return nil, err
	}
	return &r, nil
}

// VoteHelpful records the actor's "Helpful" vote on a visible review,
// once per user (ErrAlreadyVoted), never on one's own (ErrVoteOwnReview),
// with the review's count in the same transaction; it returns the new
// count.
func (s *Scoped) VoteHelpful(ctx context.Context, reviewID string, actor Actor) (int, error) {
	if actor.UserID == nil {
		return 0, ErrNoUser
	}
	var votes []int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, err := visibleReview(tx, reviewID)
		if err != nil {
			return err
		}
		if r.ReviewerID == *actor.UserID {
			return ErrVoteOwnReview
		}
		var n int64
		if err := s.tenant(tx, &TemplateReviewVote{}).Where("review_id = ? AND user_id = ?", r.ID, *actor.UserID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrAlreadyVoted
		}
		if err := tx.Create(&TemplateReviewVote{ReviewID: r.ID, UserID: *actor.UserID, OrganizationID: s.orgID}).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrAlreadyVoted
			}
			return err
		}
		if err := tx.Model(&TemplateReview{}).Where("id = ?", r.ID).Update("helpful_votes", gorm.Expr("helpful_votes + 1")).Error; err != nil {
			return err
		}
		return tx.Model(&TemplateReview{}).Where("id = ?", r.ID).Pluck("helpful_votes", &votes).Error
	})
	if err != nil {
		return 0, err
	}
	return votes[0], nil
}

// VotedHelpful lists which of the reviews the user found helpful.
func (s *Scoped) VotedHelpful(ctx context.Context, userID string, reviewIDs []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(reviewIDs) == 0 || !validUUID(userID) {
		return out, nil
	}
	var ids []string
	if err := s.q(ctx, &TemplateReviewVote{}).Where("user_id = ? AND review_id IN ?", userID, reviewIDs).Pluck("review_id", &ids).Error; err != nil {
		return nil, err
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// Report is what a reporter says: the reason from the list and, for
// "other" required, a few words.
type Report struct {
	Reason  ReportReason
	Details string
}

// ValidateReport checks a report, keyed as the form names its fields
// (reason, details).
func ValidateReport(r Report) FieldErrors {
	fe := FieldErrors{}
	switch {
	case r.Reason == "":
		fe["reason"] = "Choose why you report it"
	case !slices.Contains(ReportReasons(), r.Reason):
		fe["reason"] = "Choose a reason from the list"
	}
	d := strings.TrimSpace(r.Details)
	switch err := textpkg.Check(d, textpkg.MultiLine); {
	case err != nil:
		fe["details"] = "The explanation " + err.Error()
	case utf8.RuneCountInString(d) > MaxReportDetails:
		fe["details"] = fmt.Sprintf("The explanation must be at most %d characters long", MaxReportDetails)
	case d == "" && r.Reason == ReportOther:
		fe["details"] = "Say in a few words what is wrong"
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// ReportReview reports a visible review to the platform's moderators
// (audit marketplace.reported); the same person reporting it again while
// the first report waits is ErrAlreadyReported.
func (s *Scoped) ReportReview(ctx context.Context, reviewID string, r Report, actor Actor) error {
	return s.report(ctx, "", reviewID, r, actor)
}

// ReportTemplate reports a listed template to the platform's moderators.
func (s *Scoped) ReportTemplate(ctx context.Context, templateID string, r Report, actor Actor) error {
	return s.report(ctx, templateID, "", r, actor)
}

func (s *Scoped) report(ctx context.Context, templateID, reviewID string, r Report, actor Actor) error {
	if actor.UserID == nil {
		return ErrNoUser
	}
	if fe := ValidateReport(r); fe != nil {
		return fmt.Errorf("store: invalid report: %w", fe)
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		rep := MarketplaceReport{OrganizationID: s.orgID, ReporterID: actor.UserID, TemplateID: templateID,
			Reason: r.Reason, Details: strings.TrimSpace(r.Details)}
		what := "template"
		if reviewID != "" {
			rv, err := visibleReview(tx, reviewID)
			if err != nil {
				return err
			}
			rep.TemplateID, rep.ReviewID, what = rv.TemplateID, &rv.ID, "review"
		} else if _, _, err := listedTemplate(tx, templateID); err != nil {
			return err
		}
		q := s.tenant(tx, &MarketplaceReport{}).Where("reporter_id = ? AND template_id = ? AND resolved_at IS NULL", *actor.UserID, rep.TemplateID)
		if rep.ReviewID != nil {
			q = q.Where("review_id = ?", *rep.ReviewID)
		} else {
			q = q.Where("review_id IS NULL")
		}
		var n int64
		if err := q.Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrAlreadyReported
		}
		if err := tx.Create(&rep).Error; err != nil {
			return err
		}
		actor.OrganizationID = &s.orgID
		return audit(tx, actor, "marketplace.reported", "marketplace_report", rep.ID, AuditDetails{
			Summary: fmt.Sprintf("Reported a marketplace %s: %s", what, r.Reason.Title()),
			Extra:   map[string]string{"template_id": rep.TemplateID},
		})
	})
}

// ReviewOrder is the order of a template's reviews.
type ReviewOrder string

const (
	ReviewsNewest  ReviewOrder = "newest"
	ReviewsHelpful ReviewOrder = "helpful"
)

// ReviewEntry is a review as the template's page shows it.
type ReviewEntry struct {
	ID               string
	ReviewerID       string
	OrganizationID   string
	OrganizationName string
	Rating           int
	ReviewText       *string
	HelpfulVotes     int
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// ReviewPage is one page of a template's reviews.
type ReviewPage struct {
	Reviews []ReviewEntry
	Next    *Cursor // nil on the last page
}

// DefaultReviewPage is the number of reviews a page shows.
const DefaultReviewPage = 10

// TemplateReviews is one page of a template's visible reviews, newest
// first or most helpful first (then newest), keyset-paginated after the
// cursor: the reviews of a listed template are public, as its page is.
// A cursor of the other order is ErrBadCursor.
func (c *CrossOrg) TemplateReviews(ctx context.Context, templateID string, order ReviewOrder, after *Cursor, limit int) (ReviewPage, error) {
	if !validUUID(templateID) {
		return ReviewPage{}, ErrNotFound
	}
	if limit <= 0 {
		limit = DefaultReviewPage
	}
	limit = min(limit, 100)
	q := c.db.WithContext(ctx).Table("template_reviews AS r").
		Joins("JOIN organizations o ON o.id = r.organization_id").
		Where("r.template_id = ? AND r.hidden_at IS NULL", templateID).
		Select("r.id, r.reviewer_id, r.organization_id, o.name AS organization_name, r.rating, r.review_text, r.helpful_votes, r.created_at, r.updated_at")
	switch order {
	case ReviewsHelpful:
		if after != nil {
			votes, err := strconv.Atoi(after.Key)
			if err != nil || after.At.IsZero() || votes < 0 {
				return ReviewPage{}, ErrBadCursor
			}
			q = q.Where("(r.helpful_votes < ?) OR (r.helpful_votes = ? AND (r.created_at < ? OR (r.created_at = ? AND r.id < ?)))",
				votes, votes, after.At.UTC(), after.At.UTC(), after.ID)
		}
		q = q.Order("r.helpful_votes DESC, r.created_at DESC, r.id DESC")
	default:
		if after != nil {
			if after.Key != "" || after.At.IsZero() {
				return ReviewPage{}, ErrBadCursor
			}
			q = q.Where("r.created_at < ? OR (r.created_at = ? AND r.id < ?)", after.At.UTC(), after.At.UTC(), after.ID)
		}
		q = q.Order("r.created_at DESC, r.id DESC")
	}
	var rows []ReviewEntry
	if err := q.Limit(limit + 1).Scan(&rows).Error; err != nil {
		return ReviewPage{}, err
	}
	p := ReviewPage{Reviews: rows}
	if len(rows) > limit {
		p.Reviews = rows[:limit]
		last := p.Reviews[limit-1]
		p.Next = &Cursor{At: last.CreatedAt.UTC(), ID: last.ID}
		if order == ReviewsHelpful {
			p.Next.Key = strconv.Itoa(last.HelpfulVotes)
		}
	}
	return p, nil
}

// RatingHistogram counts a template's visible reviews by stars: [0] is
// one star, [4] five.
func (c *CrossOrg) RatingHistogram(ctx context.Context, templateID string) ([5]int, error) {
	var out [5]int
	if !validUUID(templateID) {
		return out, ErrNotFound
	}
	var rows []struct{ Rating, N int }
	if err := c.db.WithContext(ctx).Model(&TemplateReview{}).Where("template_id = ? AND hidden_at IS NULL", templateID).
		Group("rating").Select("rating, COUNT(*) AS n").Scan(&rows).Error; err != nil {
		return out, err
	}
	for _, r := range rows {
		if r.Rating >= 1 && r.Rating <= 5 {
			out[r.Rating-1] = r.N
		}
	}
	return out, nil
}
