package handlers

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/internal/markdown"
	mkt "github.com/trustcred/trustcred/internal/marketplace"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/marketplace"
	"github.com/trustcred/trustcred/views/ui"
)

// Reviews of marketplace templates: written, voted on and reported by the
// staff of active organizations (org.view); read by anyone on the
// template's page.

// canReview reports whether the visitor acts for an active organization
// with a staff role (admins, issuers, reviewers).
func canReview(c *fiber.Ctx) bool {
	id := auth.Current(c)
	return id != nil && id.Scope != nil && id.Org != nil && id.Org.Status == store.OrganizationActive &&
		authz.Can(id.User.Role, authz.OrgView)
}

// Messages of the review refusals, as the page shows them.
var reviewRefusals = map[error]string{
	store.ErrReviewOwnTemplate: "Your organization published this template: reviews come from the organizations that use it.",
	store.ErrReviewNotEligible: "Only organizations that issued at least one credential from this template can review it: use this template, issue a credential from your copy, then come back to review it.",
	store.ErrAlreadyReviewed:   "You already reviewed this template: edit your review below instead.",
}

func reviewRefusal(err error) string {
	for e, msg := range reviewRefusals {
		if errors.Is(err, e) {
			return msg
		}
	}
	return ""
}

// reviews is the reviews section of a listed template's page for the
// visitor: the histogram, their form (or why not), one page of reviews in
// the order the query names (?reviews=helpful, ?rafter=cursor).
func (h *Marketplace) reviews(c *fiber.Ctx, e *store.MarketplaceEntry, st pageState) (marketplace.Reviews, error) {
	ctx := c.UserContext()
	page := marketplace.Path + "/" + e.TemplateID
	r := marketplace.Reviews{Count: e.RatingCount}
	for _, reason := range store.ReportReasons() {
		r.Reasons = append(r.Reasons, marketplace.Option{Value: string(reason), Label: reason.Title()})
	}
	hist, err := h.DB.CrossOrg().RatingHistogram(ctx, e.TemplateID)
	if err != nil {
		return r, err
	}
	total := 0
	for _, n := range hist {
		total += n
	}
	r.Count = total
	for stars := 5; stars >= 1; stars-- {
		r.Histogram = append(r.Histogram, marketplace.Bar{Stars: stars, Count: hist[stars-1], Total: max(total, 1)})
	}
	order, base := store.ReviewsNewest, page
	if c.Query("reviews") == string(store.ReviewsHelpful) {
		order, base = store.ReviewsHelpful, page+"?reviews=helpful"
	}
	r.Tabs = []ui.Tab{
		{Label: "Newest", Href: page + "#mp-reviews", Current: order == store.ReviewsNewest, TestID: "mp-reviews-newest"},
		{Label: "Most helpful", Href: page + "?reviews=helpful#mp-reviews", Current: order == store.ReviewsHelpful, TestID: "mp-reviews-helpful"},
	}
	var after *store.Cursor
	if tok := c.Query("rafter"); tok != "" {
		if cur, err := store.ParseCursor(tok); err == nil {
			after = cur
		}
	}
	list, err := h.DB.CrossOrg().TemplateReviews(ctx, e.TemplateID, order, after, h.ReviewPageSize)
	if errors.Is(err, store.ErrBadCursor) { // a link of the other order: its first page
		after = nil
		list, err = h.DB.CrossOrg().TemplateReviews(ctx, e.TemplateID, order, nil, h.ReviewPageSize)
	}
	if err != nil {
		return r, err
	}
	if after != nil {
		r.First = base
	}
	if list.Next != nil {
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		r.Next = base + sep + "rafter=" + url.QueryEscape(list.Next.String())
	}

	id := auth.Current(c)
	staff := canReview(c)
	voted := map[string]bool{}
	if staff {
		ids := make([]string, len(list.Reviews))
		for i, rv := range list.Reviews {
			ids[i] = rv.ID
		}
		if voted, err = id.Scope.VotedHelpful(ctx, id.User.ID, ids); err != nil {
			return r, err
		}
	}
	for _, rv := range list.Reviews {
		v := marketplace.Review{ID: rv.ID, Organization: rv.OrganizationName, Date: rv.CreatedAt.Format("2 January 2006"),
			Edited: rv.UpdatedAt.Sub(rv.CreatedAt) > time.Second, Rating: rv.Rating, Helpful: rv.HelpfulVotes, Voted: voted[rv.ID],
			Own: id != nil && id.User.ID == rv.ReviewerID}
		if rv.ReviewText != nil {
			v.HTML = markdown.HTML(*rv.ReviewText)
		}
		if staff && !v.Own {
			if !v.Voted {
				v.Vote = page + "/reviews/" + rv.ID + "/helpful"
			}
			v.Report.Action = page + "/reviews/" + rv.ID + "/report"
			if st.reportFor == rv.ID {
				st.report.Action = v.Report.Action
				v.Report = st.report
			}
		}
		r.List = append(r.List, v)
	}

	// The visitor's form, or why there is none.
	switch {
	case id == nil:
		r.Form.SignIn = "/login?next=" + url.QueryEscape(page)
	case !staff:
		r.Form.Notice = "Reviews come from the staff of the organizations that use this template."
	default:
		mine, err := id.Scope.TemplateReviewBy(ctx, e.TemplateID, id.User.ID)
		if err != nil {
			return r, err
		}
		if mine != nil {
			r.Form = marketplace.ReviewForm{Action: page + "/reviews/" + mine.ID, Editing: true, Rating: strconv.Itoa(mine.Rating)}
			if mine.ReviewText != nil {
				r.Form.Text = *mine.ReviewText
			}
			if mine.HiddenAt != nil {
				r.Form.Notice = "A moderator hid your review: it is not shown to others."
				if mine.HiddenReason != nil {
					r.Form.Notice += " Reason: " + *mine.HiddenReason
				}
			}
			break
		}
		switch err := id.Scope.ReviewEligibility(ctx, e.TemplateID); {
		case err == nil:
			r.Form.Action = page + "/reviews"
		case reviewRefusal(err) != "":
			r.Form.Notice = reviewRefusal(err)
		default:
			return r, err
		}
	}
	if st.review != nil && r.Form.Action != "" {
		r.Form.Rating, r.Form.Text, r.Form.Errors = st.review.Rating, st.review.Text, st.review.Errors
	} else if st.review != nil && st.review.Errors[""] != "" {
		r.Form.Notice = st.review.Errors[""]
	}
	return r, nil
}

// parseReview reads the review form: a rating that is not a number is
// "choose a rating", like one out of range.
func parseReview(c *fiber.Ctx) (store.ReviewInput, marketplace.ReviewForm) {
	f := marketplace.ReviewForm{Rating: strings.TrimSpace(c.FormValue("rating")), Text: c.FormValue("text"), Errors: marketplace.Errors{}}
	n, err := strconv.Atoi(f.Rating)
	if err != nil {
		n = 0
	}
	return store.ReviewInput{Rating: n, Text: f.Text}, f
}

// saved answers a review post: the page again with the problems (422),
// or back to the reviews with a flash.
func (h *Marketplace) saved(c *fiber.Ctx, f marketplace.ReviewForm, err error, done string) error {
	var fe store.FieldErrors
	switch {
	case errors.As(err, &fe):
		for k, v := range fe {
			f.Errors[k] = v + "."
		}
		return h.show(c, fiber.StatusUnprocessableEntity, pageState{review: &f})
	case reviewRefusal(err) != "":
		f.Errors[""] = reviewRefusal(err)
		return h.show(c, fiber.StatusUnprocessableEntity, pageState{review: &f})
	case err != nil:
		return err // not listed (any more), or not one's review: the 404 page
	}
	render.Flash(c, layout.FlashSuccess, done)
	return render.Redirect(c, marketplace.Path+"/"+c.Params("id")+"#mp-reviews")
}

// CreateReview handles POST /marketplace/:id/reviews (org.view).
func (h *Marketplace) CreateReview(c *fiber.Ctx) error {
	in, f := parseReview(c)
	_, err := mkt.SubmitReview(c.UserContext(), auth.Current(c).Scope, h.Events, c.Params("id"), in, auth.Actor(c))
	return h.saved(c, f, err, "Your review is published. Thank you!")
}

// UpdateReview handles POST /marketplace/:id/reviews/:rid (org.view): the
// author's own review only.
func (h *Marketplace) UpdateReview(c *fiber.Ctx) error {
	in, f := parseReview(c)
	_, err := mkt.EditReview(c.UserContext(), auth.Current(c).Scope, h.Events, c.Params("rid"), in, auth.Actor(c))
	return h.saved(c, f, err, "Your review is saved.")
}

// VoteHelpful handles POST /marketplace/:id/reviews/:rid/helpful
// (org.view): once per person.
func (h *Marketplace) VoteHelpful(c *fiber.Ctx) error {
	_, err := auth.Current(c).Scope.VoteHelpful(c.UserContext(), c.Params("rid"), auth.Actor(c))
	switch {
	case errors.Is(err, store.ErrAlreadyVoted):
		render.Flash(c, layout.FlashInfo, "You already found this review helpful.")
	case errors.Is(err, store.ErrVoteOwnReview):
		render.Flash(c, layout.FlashError, "You cannot vote for your own review.")
	case err != nil:
		return err
	default:
		render.Flash(c, layout.FlashSuccess, "Thank you: your vote is counted.")
	}
	return render.Redirect(c, marketplace.Path+"/"+c.Params("id")+"#mp-reviews")
}

// ReportReview handles POST /marketplace/:id/reviews/:rid/report (org.view).
func (h *Marketplace) ReportReview(c *fiber.Ctx) error {
	return h.report(c, c.Params("rid"))
}

// ReportTemplate handles POST /marketplace/:id/report (org.view).
func (h *Marketplace) ReportTemplate(c *fiber.Ctx) error {
	return h.report(c, "template")
}

func (h *Marketplace) report(c *fiber.Ctx, what string) error {
	f := marketplace.ReportForm{Reason: c.FormValue("reason"), Details: c.FormValue("details"), Errors: marketplace.Errors{}, Open: true}
	r := store.Report{Reason: store.ReportReason(f.Reason), Details: f.Details}
	s, actor := auth.Current(c).Scope, auth.Actor(c)
	var err error
	if what == "template" {
		err = s.ReportTemplate(c.UserContext(), c.Params("id"), r, actor)
	} else {
		err = s.ReportReview(c.UserContext(), what, r, actor)
	}
	var fe store.FieldErrors
	switch {
	case errors.As(err, &fe):
		for k, v := range fe {
			f.Errors[k] = v + "."
		}
		f.Action = marketplace.Path + "/" + c.Params("id") + "/report"
		return h.show(c, fiber.StatusUnprocessableEntity, pageState{reportFor: what, report: f})
	case errors.Is(err, store.ErrAlreadyReported):
		render.Flash(c, layout.FlashInfo, "You already reported this: the platform's moderators will look at it.")
	case err != nil:
		return err
	default:
		render.Flash(c, layout.FlashSuccess, "Thank you: the platform's moderators will look at your report.")
	}
	return render.Redirect(c, marketplace.Path+"/"+c.Params("id"))
}
