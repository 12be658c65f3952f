package handlers

import (
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/markdown"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/marketplace"
)

// Moderation serves the platform operators' marketplace moderation at
// /admin/marketplace (platform.manage): the queue of reports, hiding and
// restoring reviews, unlisting and restoring templates, dismissing
// reports. Each action redirects to the queue with a flash; a missing
// reason is the queue again (422) with the message next to the field.
type Moderation struct {
	DB       *store.DB
	PageSize int // 0: 25
}

// Index renders GET /admin/marketplace.
func (h *Moderation) Index(c *fiber.Ctx) error {
	return h.index(c, fiber.StatusOK, "", "", "")
}

// index renders the queue; failedID is the report whose form was refused,
// with the typed reason and its error.
func (h *Moderation) index(c *fiber.Ctx, status int, failedID, reason, reasonErr string) error {
	ctx := c.UserContext()
	m := marketplace.Moderation{}
	var after *store.Cursor
	if tok := c.Query("after"); tok != "" {
		cur, err := store.ParseCursor(tok)
		if err != nil {
			m.Error, status = badPageLink, fiber.StatusUnprocessableEntity
		}
		after = cur
	}
	q, err := h.DB.ReportQueue(ctx, after, h.PageSize)
	switch {
	case errors.Is(err, store.ErrBadCursor):
		m.Error, status = badPageLink, fiber.StatusUnprocessableEntity
	case err != nil:
		return err
	}
	for _, r := range q.Reports {
		it := marketplace.ReportItem{ID: r.ID, Reason: r.Reason.Title(), Details: r.Details, Reporter: r.ReporterOrg,
			Date: r.CreatedAt.Format("2 January 2006"), TemplateName: r.TemplateName, TemplateURL: marketplace.Path + "/" + r.TemplateID,
			Publisher: r.PublisherName, Unlisted: r.Unlisted, Dismiss: marketplace.ModerationPath + "/reports/" + r.ID + "/dismiss"}
		if r.ReviewID != nil {
			it.Review, it.Hidden = true, r.ReviewHidden
			if r.ReviewRating != nil {
				it.Rating = *r.ReviewRating
			}
			if r.ReviewOrg != nil {
				it.ReviewOrg = *r.ReviewOrg
			}
			if r.ReviewText != nil {
				it.ReviewHTML = markdown.HTML(*r.ReviewText)
			}
			if !it.Hidden {
				it.HideAction = marketplace.ModerationPath + "/reviews/" + *r.ReviewID + "/hide?report=" + r.ID
			}
		} else if !r.Unlisted {
			it.UnlistAction = marketplace.ModerationPath + "/templates/" + r.TemplateID + "/unlist?report=" + r.ID
		}
		if r.ID == failedID {
			it.ReasonValue, it.ReasonError = reason, reasonErr
		}
		m.Reports = append(m.Reports, it)
	}
	if after != nil {
		m.First = marketplace.ModerationPath
	}
	if q.Next != nil {
		m.Next = marketplace.ModerationPath + "?after=" + url.QueryEscape(q.Next.String())
	}
	done, err := h.DB.Moderated(ctx, 50)
	if err != nil {
		return err
	}
	for _, d := range done {
		it := marketplace.ModeratedItem{What: "Unlisted template", TemplateName: d.TemplateName, Organization: d.Organization,
			Reason: d.Reason, Date: d.At.Format("2 January 2006"),
			Restore: marketplace.ModerationPath + "/templates/" + d.TemplateID + "/restore"}
		if d.ReviewID != nil {
			it.What, it.Restore = "Hidden review", marketplace.ModerationPath+"/reviews/"+*d.ReviewID+"/restore"
		}
		m.Moderated = append(m.Moderated, it)
	}
	render.SetTitle(c, "Marketplace moderation")
	return render.Page(c, status, marketplace.ModerationPage(m))
}

// acted answers a moderation action.
func (h *Moderation) acted(c *fiber.Ctx, err error, done string) error {
	var fe store.FieldErrors
	switch {
	case errors.As(err, &fe):
		return h.index(c, fiber.StatusUnprocessableEntity, c.Query("report"), c.FormValue("reason"), fe["reason"]+".")
	case err != nil:
		return err // ErrNotFound: the 404 page
	}
	render.Flash(c, layout.FlashSuccess, done)
	return render.Redirect(c, marketplace.ModerationPath)
}

// HideReview handles POST /admin/marketplace/reviews/:id/hide.
func (h *Moderation) HideReview(c *fiber.Ctx) error {
	err := h.DB.HideReview(c.UserContext(), c.Params("id"), c.FormValue("reason"), auth.Actor(c))
	return h.acted(c, err, "The review is hidden: it no longer counts in the template's rating.")
}

// RestoreReview handles POST /admin/marketplace/reviews/:id/restore.
func (h *Moderation) RestoreReview(c *fiber.Ctx) error {
	return h.acted(c, h.DB.RestoreReview(c.UserContext(), c.Params("id"), auth.Actor(c)), "The review is shown again.")
}

// UnlistTemplate handles POST /admin/marketplace/templates/:id/unlist.
func (h *Moderation) UnlistTemplate(c *fiber.Ctx) error {
	err := h.DB.UnlistTemplate(c.UserContext(), c.Params("id"), c.FormValue("reason"), auth.Actor(c))
	return h.acted(c, err, "The template is out of the marketplace; its publisher was told why.")
}

// RestoreTemplate handles POST /admin/marketplace/templates/:id/restore.
func (h *Moderation) RestoreTemplate(c *fiber.Ctx) error {
	return h.acted(c, h.DB.RelistTemplate(c.UserContext(), c.Params("id"), auth.Actor(c)), "The template is back in the marketplace.")
}

// DismissReport handles POST /admin/marketplace/reports/:id/dismiss.
func (h *Moderation) DismissReport(c *fiber.Ctx) error {
	return h.acted(c, h.DB.DismissReport(c.UserContext(), c.Params("id"), auth.Actor(c)), "The report is dismissed.")
}
