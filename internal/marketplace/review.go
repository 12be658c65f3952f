package marketplace

import (
	"context"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
)

// SubmitReview is the one door of a member's review of a marketplace
// template: the store's checks (eligibility, one per member, the input),
// the review, the listing's aggregates and template.reviewed in one
// transaction.
func SubmitReview(ctx context.Context, s *store.Scoped, q jobs.Enqueuer, templateID string, in store.ReviewInput, actor store.Actor) (*store.TemplateReview, error) {
	var r *store.TemplateReview
	err := events.Change(ctx, s, q, func(tx *store.Scoped) ([]events.Event, error) {
		var err error
		if r, err = tx.CreateTemplateReview(ctx, templateID, in, actor); err != nil {
			return nil, err
		}
		e, err := reviewed(ctx, tx, r, false)
		if err != nil {
			return nil, err
		}
		return []events.Event{e}, reviewReceived(ctx, tx, q, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// EditReview changes the actor's own review, like SubmitReview.
func EditReview(ctx context.Context, s *store.Scoped, q jobs.Enqueuer, reviewID string, in store.ReviewInput, actor store.Actor) (*store.TemplateReview, error) {
	var r *store.TemplateReview
	err := events.Change(ctx, s, q, func(tx *store.Scoped) ([]events.Event, error) {
		var err error
		if r, err = tx.UpdateTemplateReview(ctx, reviewID, in, actor); err != nil {
			return nil, err
		}
		e, err := reviewed(ctx, tx, r, true)
		return []events.Event{e}, err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// reviewReceived publishes template.review_received into the publisher's
// organization, whose admins hear of the new review (notify.Notices); a
// review by the publisher's own organization (which the store refuses)
// would be news to nobody.
func reviewReceived(ctx context.Context, tx *store.Scoped, q jobs.Enqueuer, r *store.TemplateReview) error {
	name, publisher, err := tx.ListedTemplate(ctx, r.TemplateID)
	if err != nil || q == nil || publisher == tx.OrganizationID() {
		return err
	}
	org, err := tx.Organization(ctx)
	if err != nil {
		return err
	}
	e, err := events.New(publisher, events.TemplateReviewIn, r.CreatedAt, events.ReviewReceived{ReviewID: r.ID, TemplateID: r.TemplateID,
		TemplateName: name, Rating: r.Rating, Reviewer: org.Name, At: r.CreatedAt.UTC()})
	if err != nil {
		return err
	}
	return events.PublishElsewhere(ctx, tx, q, e)
}

func reviewed(ctx context.Context, tx *store.Scoped, r *store.TemplateReview, edited bool) (events.Event, error) {
	name, _, err := tx.ListedTemplate(ctx, r.TemplateID)
	if err != nil {
		return events.Event{}, err
	}
	at := r.CreatedAt
	if edited {
		at = r.UpdatedAt
	}
	return events.New(tx.OrganizationID(), events.TemplateReviewed, at, events.Review{ID: r.ID, TemplateID: r.TemplateID,
		TemplateName: name, Rating: r.Rating, Edited: edited, ReviewerID: r.ReviewerID, At: at.UTC()})
}
