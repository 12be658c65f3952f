package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func TestMarketplaceModeration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newReviewScene(t, db)
		su, s3 := db.Scoped(s.user.ID), db.Scoped(s.third.ID)
		s.issue(s.user, s.copy, store.CredentialActive)
		ann, bob, eve := s.member(s.user, "ann"), s.member(s.user, "bob"), s.member(s.third, "eve")
		pubAdmin := &store.User{Email: "admin@publisher.example", Role: store.RoleAdmin, OrganizationID: &s.pub.ID}
		if err := store.Gorm(db).Create(pubAdmin).Error; err != nil {
			t.Fatal(err)
		}
		op := store.Actor{}
		bad, err := su.CreateTemplateReview(ctx, s.tpl.ID, store.ReviewInput{Rating: 1, Text: "Buy cheap watches"}, ann)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := su.CreateTemplateReview(ctx, s.tpl.ID, store.ReviewInput{Rating: 5, Text: "Works"}, bob); err != nil {
			t.Fatal(err)
		}
		if err := s3.ReportReview(ctx, bad.ID, store.Report{Reason: store.ReportSpam}, eve); err != nil {
			t.Fatal(err)
		}
		if err := s3.ReportTemplate(ctx, s.tpl.ID, store.Report{Reason: store.ReportMisleading, Details: "Not a real course"}, eve); err != nil {
			t.Fatal(err)
		}
		q, err := db.ReportQueue(ctx, nil, 10)
		if err != nil || len(q.Reports) != 2 {
			t.Fatalf("queue %+v, %v", q, err)
		}
		if r := q.Reports[0]; r.ReviewID == nil || *r.ReviewID != bad.ID || *r.ReviewText != "Buy cheap watches" || r.ReporterOrg != "bystander" ||
			r.TemplateName != "First Aid Certificate" || r.PublisherName != "publisher" || *r.ReviewOrg != "adopter" {
			t.Errorf("review report %+v", r)
		}
		if r := q.Reports[1]; r.ReviewID != nil || r.Details != "Not a real course" || r.Unlisted {
			t.Errorf("template report %+v", r)
		}

		// Hiding: a reason is required; the review leaves the page and the
		// aggregates, its report the queue.
		if err := db.HideReview(ctx, bad.ID, "  ", op); fieldError(err, "reason") == "" {
			t.Errorf("hide without a reason: %v", err)
		}
		if err := db.HideReview(ctx, bad.ID, "Advertising", op); err != nil {
			t.Fatal(err)
		}
		if n, sum := s.aggregates(); n != 1 || sum != 5 {
			t.Errorf("aggregates after hiding %d, %d; want 1, 5", n, sum)
		}
		if h, _ := db.CrossOrg().RatingHistogram(ctx, s.tpl.ID); h != [5]int{0, 0, 0, 0, 1} {
			t.Errorf("histogram after hiding %v", h)
		}
		p, _ := db.CrossOrg().TemplateReviews(ctx, s.tpl.ID, store.ReviewsNewest, nil, 10)
		if len(p.Reviews) != 1 || p.Reviews[0].ID == bad.ID {
			t.Errorf("page after hiding %+v", p.Reviews)
		}
		if _, err := s3.VoteHelpful(ctx, bad.ID, eve); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("vote on a hidden review: %v", err)
		}
		if q, _ := db.ReportQueue(ctx, nil, 10); len(q.Reports) != 1 || q.Reports[0].ReviewID != nil {
			t.Errorf("queue after hiding %+v", q.Reports)
		}
		if err := db.RestoreReview(ctx, bad.ID, op); err != nil {
			t.Fatal(err)
		}
		if n, sum := s.aggregates(); n != 2 || sum != 6 {
			t.Errorf("aggregates after restoring %d, %d; want 2, 6", n, sum)
		}

		// Unlisting: out of the catalogue, its page and adoption; the
		// publisher's admins are told; restoring lists it again.
		if err := db.UnlistTemplate(ctx, s.tpl.ID, "Copies another body's course", op); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CrossOrg().MarketplaceTemplate(ctx, s.tpl.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the unlisted template's page: %v", err)
		}
		if l, _ := db.CrossOrg().Marketplace(ctx, store.MarketplaceFilter{}, store.MarketplacePage{}); len(l.Entries) != 0 {
			t.Errorf("the catalogue lists %d templates, want none", len(l.Entries))
		}
		if _, err := s3.AdoptTemplate(ctx, s.tpl.ID, eve); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("adopting the unlisted template: %v", err)
		}
		if _, err := su.UpdateTemplateReview(ctx, bad.ID, store.ReviewInput{Rating: 2, Text: "x"}, ann); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("editing a review of an unlisted template: %v", err)
		}
		var notes []store.Notification
		store.Gorm(db).Where("user_id = ?", pubAdmin.ID).Find(&notes)
		if len(notes) != 1 || notes[0].Title != "Your template was taken out of the marketplace" {
			t.Errorf("the publisher's notifications %+v", notes)
		}
		if q, _ := db.ReportQueue(ctx, nil, 10); len(q.Reports) != 0 {
			t.Errorf("queue after unlisting %+v", q.Reports)
		}
		if m, err := db.Moderated(ctx, 10); err != nil || len(m) != 1 || m[0].ReviewID != nil || m[0].Reason != "Copies another body's course" {
			t.Errorf("moderated %+v, %v", m, err)
		}
		// The publisher publishing it again does not undo the unlisting.
		sp := db.Scoped(s.pub.ID)
		cur, err := sp.Template(ctx, s.tpl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sp.PublishTemplate(ctx, s.tpl.ID, cur.Version, store.Publication{CategoryID: *cur.CategoryID, Licence: store.LicenceCC0,
			Summary: "Published again"}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CrossOrg().MarketplaceTemplate(ctx, s.tpl.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("re-published by its publisher, the unlisted template is listed again: %v", err)
		}
		if err := db.RelistTemplate(ctx, s.tpl.ID, op); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CrossOrg().MarketplaceTemplate(ctx, s.tpl.ID); err != nil {
			t.Errorf("restored template: %v", err)
		}

		// Dismissing a report; a closed one is not found.
		if err := s3.ReportReview(ctx, bad.ID, store.Report{Reason: store.ReportOffensive}, eve); err != nil {
			t.Fatal(err)
		}
		q, _ = db.ReportQueue(ctx, nil, 10)
		if len(q.Reports) != 1 {
			t.Fatalf("queue %+v", q.Reports)
		}
		if err := db.DismissReport(ctx, q.Reports[0].ID, op); err != nil {
			t.Fatal(err)
		}
		if err := db.DismissReport(ctx, q.Reports[0].ID, op); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("dismissed twice: %v", err)
		}
		for _, action := range []string{"marketplace.review_hidden", "marketplace.review_restored", "marketplace.template_unlisted",
			"marketplace.template_relisted", "marketplace.report_dismissed"} {
			var n int64
			store.Gorm(db).Model(&store.AuditLog{}).Where("action = ?", action).Count(&n)
			if n != 1 {
				t.Errorf("%s audited %d times", action, n)
			}
		}
	})
}
