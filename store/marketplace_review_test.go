package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// reviewScene is a published template, an organization that adopted it,
// and users in both and in a third organization.
type reviewScene struct {
	market
	pub, user, third *store.Organization
	tpl, copy        *store.CredentialTemplate
}

func newReviewScene(t *testing.T, db *store.DB) reviewScene {
	t.Helper()
	ctx := context.Background()
	m := market{t: t, db: db, ctx: ctx}
	s := reviewScene{market: m, pub: newOrg(t, db, "publisher", store.OrganizationActive),
		user: newOrg(t, db, "adopter", store.OrganizationActive), third: newOrg(t, db, "bystander", store.OrganizationActive)}
	cat := m.category("Safety", nil)
	s.tpl = m.template(s.pub, tplSpec{name: "First Aid Certificate", description: "Basic first aid", kind: store.TemplateCertificate, labels: []string{"Hours"}})
	m.publish(s.pub, s.tpl, cat, "Certifies a first aid course")
	cp, err := db.Scoped(s.user.ID).AdoptTemplate(ctx, s.tpl.ID, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	s.copy = cp
	return s
}

func (s reviewScene) member(o *store.Organization, name string) store.Actor {
	s.t.Helper()
	u := &store.User{Email: name + "@" + o.Slug + ".example", Role: store.RoleIssuer, OrganizationID: &o.ID}
	if err := store.Gorm(s.db).Create(u).Error; err != nil {
		s.t.Fatal(err)
	}
	return store.Actor{UserID: &u.ID}
}

// issue stores a credential of o from template tpl with the status.
func (s reviewScene) issue(o *store.Organization, tpl *store.CredentialTemplate, status store.CredentialStatus) {
	s.t.Helper()
	c := &store.Credential{PublicID: uuid.NewString(), SchemaID: tpl.SchemaID, TemplateID: &tpl.ID, IssuerID: o.ID,
		RecipientAddress: "someone@example.org", Status: status}
	if status == store.CredentialRevoked {
		now := time.Now()
		c.RevokedAt = &now
	}
	if err := store.Gorm(s.db).Create(c).Error; err != nil {
		s.t.Fatal(err)
	}
}

func (s reviewScene) aggregates() (int, int) {
	s.t.Helper()
	var l store.MarketplaceListing
	if err := store.Gorm(s.db).Where("template_id = ?", s.tpl.ID).Take(&l).Error; err != nil {
		s.t.Fatal(err)
	}
	return l.RatingCount, l.RatingSum
}

func TestMarketplaceReviews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newReviewScene(t, db)
		su, sp, s3 := db.Scoped(s.user.ID), db.Scoped(s.pub.ID), db.Scoped(s.third.ID)
		ann, bob, pubAdmin, eve := s.member(s.user, "ann"), s.member(s.user, "bob"), s.member(s.pub, "pat"), s.member(s.third, "eve")
		good := store.ReviewInput{Rating: 4, Text: "Clear fields, **easy** to adapt."}

		// Eligibility: adopting is not using; a pending credential is not
		// issued; an issued one from the copy is.
		if err := su.ReviewEligibility(ctx, s.tpl.ID); !errors.Is(err, store.ErrReviewNotEligible) {
			t.Errorf("before issuing: %v, want ErrReviewNotEligible", err)
		}
		s.issue(s.user, s.copy, store.CredentialPending)
		if _, err := su.CreateTemplateReview(ctx, s.tpl.ID, good, ann); !errors.Is(err, store.ErrReviewNotEligible) {
			t.Errorf("with a pending credential only: %v, want ErrReviewNotEligible", err)
		}
		// The publisher issuing from its own template does not make it eligible either.
		s.issue(s.pub, s.tpl, store.CredentialActive)
		if _, err := sp.CreateTemplateReview(ctx, s.tpl.ID, good, pubAdmin); !errors.Is(err, store.ErrReviewOwnTemplate) {
			t.Errorf("the publisher: %v, want ErrReviewOwnTemplate", err)
		}
		if err := s3.ReviewEligibility(ctx, s.tpl.ID); !errors.Is(err, store.ErrReviewNotEligible) {
			t.Errorf("an organization that never adopted it: %v", err)
		}
		s.issue(s.user, s.copy, store.CredentialRevoked) // issued, later revoked: it was used
		if err := su.ReviewEligibility(ctx, s.tpl.ID); err != nil {
			t.Fatalf("after issuing from the copy: %v", err)
		}
		if err := su.ReviewEligibility(ctx, uuid.NewString()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an unknown template: %v", err)
		}

		// Bad input: each field's message, nothing written.
		for _, in := range []store.ReviewInput{{Rating: 0, Text: "x"}, {Rating: 6, Text: "x"}, {Rating: -1, Text: "x"}} {
			if _, err := su.CreateTemplateReview(ctx, s.tpl.ID, in, ann); fieldError(err, "rating") != "Choose a rating from 1 to 5 stars" {
				t.Errorf("rating %d: %v", in.Rating, err)
			}
		}
		if _, err := su.CreateTemplateReview(ctx, s.tpl.ID, store.ReviewInput{Rating: 3, Text: "  "}, ann); fieldError(err, "text") == "" {
			t.Errorf("empty text: %v", err)
		}
		if _, err := su.CreateTemplateReview(ctx, s.tpl.ID, store.ReviewInput{Rating: 3, Text: "a\x00b"}, ann); fieldError(err, "text") == "" {
			t.Errorf("a NUL in the text: %v", err)
		}
		if n, sum := s.aggregates(); n != 0 || sum != 0 {
			t.Fatalf("refused reviews counted: %d, %d", n, sum)
		}

		// One review per member; the aggregates follow in the same transaction.
		r, err := su.CreateTemplateReview(ctx, s.tpl.ID, good, ann)
		if err != nil {
			t.Fatal(err)
		}
		if r.OrganizationID != s.user.ID || r.Rating != 4 || *r.ReviewText != good.Text {
			t.Errorf("review %+v", r)
		}
		if _, err := su.CreateTemplateReview(ctx, s.tpl.ID, store.ReviewInput{Rating: 1, Text: "again"}, ann); !errors.Is(err, store.ErrAlreadyReviewed) {
			t.Errorf("second review: %v, want ErrAlreadyReviewed", err)
		}
		rb, err := su.CreateTemplateReview(ctx, s.tpl.ID, store.ReviewInput{Rating: 5, Text: "Works."}, bob)
		if err != nil {
			t.Fatal(err)
		}
		if n, sum := s.aggregates(); n != 2 || sum != 9 {
			t.Errorf("aggregates %d, %d; want 2, 9", n, sum)
		}
		if e, _ := db.CrossOrg().MarketplaceTemplate(ctx, s.tpl.ID); e == nil || e.Rating() != 4.5 {
			t.Errorf("average %+v, want 4.5", e)
		}

		// Only its author edits a review.
		if _, err := su.UpdateTemplateReview(ctx, r.ID, store.ReviewInput{Rating: 2, Text: "Less good"}, bob); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob edits ann's review: %v", err)
		}
		if _, err := s3.UpdateTemplateReview(ctx, r.ID, store.ReviewInput{Rating: 2, Text: "Less good"}, ann); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("through another organization's handle: %v", err)
		}
		if _, err := su.UpdateTemplateReview(ctx, r.ID, store.ReviewInput{Rating: 9, Text: "x"}, ann); fieldError(err, "rating") == "" {
			t.Errorf("edit to 9 stars: %v", err)
		}
		if _, err := su.UpdateTemplateReview(ctx, r.ID, store.ReviewInput{Rating: 2, Text: "Less good after a month"}, ann); err != nil {
			t.Fatal(err)
		}
		if n, sum := s.aggregates(); n != 2 || sum != 7 {
			t.Errorf("after the edit: %d, %d; want 2, 7", n, sum)
		}
		if mine, err := su.TemplateReviewBy(ctx, s.tpl.ID, *ann.UserID); err != nil || mine == nil || mine.Rating != 2 || *mine.ReviewText != "Less good after a month" {
			t.Errorf("ann's review %+v, %v", mine, err)
		}
		h, err := db.CrossOrg().RatingHistogram(ctx, s.tpl.ID)
		if err != nil || h != [5]int{0, 1, 0, 0, 1} {
			t.Errorf("histogram %v, %v", h, err)
		}

		// Helpful votes: once per user, never one's own.
		if _, err := su.VoteHelpful(ctx, r.ID, ann); !errors.Is(err, store.ErrVoteOwnReview) {
			t.Errorf("own vote: %v", err)
		}
		if n, err := s3.VoteHelpful(ctx, r.ID, eve); err != nil || n != 1 {
			t.Errorf("eve's vote: %d, %v", n, err)
		}
		if _, err := s3.VoteHelpful(ctx, r.ID, eve); !errors.Is(err, store.ErrAlreadyVoted) {
			t.Errorf("eve again: %v", err)
		}
		if n, err := su.VoteHelpful(ctx, r.ID, bob); err != nil || n != 2 {
			t.Errorf("bob's vote: %d, %v", n, err)
		}
		if voted, err := s3.VotedHelpful(ctx, *eve.UserID, []string{r.ID, rb.ID}); err != nil || !voted[r.ID] || voted[rb.ID] {
			t.Errorf("eve voted %v, %v", voted, err)
		}
		if voted, _ := su.VotedHelpful(ctx, *eve.UserID, []string{r.ID}); voted[r.ID] {
			t.Error("eve's vote read through another organization's handle")
		}

		// Newest first (bob's is newer) and most helpful first (ann's has
		// two votes), one review a page: the walk ends, each review once.
		walk := func(order store.ReviewOrder) []string {
			var out []string
			var after *store.Cursor
			for range 5 {
				p, err := db.CrossOrg().TemplateReviews(ctx, s.tpl.ID, order, after, 1)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range p.Reviews {
					out = append(out, e.ID)
					if e.OrganizationName != "adopter" {
						t.Errorf("review's organization %q", e.OrganizationName)
					}
				}
				if p.Next == nil {
					return out
				}
				if after, err = store.ParseCursor(p.Next.String()); err != nil {
					t.Fatal(err)
				}
			}
			t.Fatal("the walk did not end")
			return nil
		}
		if got := walk(store.ReviewsNewest); len(got) != 2 || got[0] != rb.ID || got[1] != r.ID {
			t.Errorf("newest first: %v, want bob's then ann's", got)
		}
		if got := walk(store.ReviewsHelpful); len(got) != 2 || got[0] != r.ID || got[1] != rb.ID {
			t.Errorf("most helpful first: %v, want ann's then bob's", got)
		}
		p, _ := db.CrossOrg().TemplateReviews(ctx, s.tpl.ID, store.ReviewsHelpful, nil, 1)
		if _, err := db.CrossOrg().TemplateReviews(ctx, s.tpl.ID, store.ReviewsNewest, p.Next, 1); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("a helpful cursor on the newest order: %v", err)
		}

		// Reports of abuse, with a reason from the list.
		if err := s3.ReportReview(ctx, r.ID, store.Report{Reason: "rude"}, eve); fieldError(err, "reason") == "" {
			t.Errorf("unknown reason: %v", err)
		}
		if err := s3.ReportReview(ctx, r.ID, store.Report{Reason: store.ReportOther}, eve); fieldError(err, "details") == "" {
			t.Errorf("other without words: %v", err)
		}
		if err := s3.ReportReview(ctx, r.ID, store.Report{Reason: store.ReportSpam, Details: "An advert"}, eve); err != nil {
			t.Fatal(err)
		}
		if err := s3.ReportReview(ctx, r.ID, store.Report{Reason: store.ReportOffensive}, eve); !errors.Is(err, store.ErrAlreadyReported) {
			t.Errorf("reported twice: %v", err)
		}
		if err := s3.ReportTemplate(ctx, s.tpl.ID, store.Report{Reason: store.ReportCopyright, Details: "Ours"}, eve); err != nil {
			t.Fatal(err)
		}
		if err := s3.ReportTemplate(ctx, uuid.NewString(), store.Report{Reason: store.ReportSpam}, eve); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("report of an unknown template: %v", err)
		}
		var reports []store.MarketplaceReport
		store.Gorm(db).Order("created_at").Find(&reports)
		if len(reports) != 2 || reports[0].ReviewID == nil || *reports[0].ReviewID != r.ID || reports[0].OrganizationID != s.third.ID ||
			reports[1].ReviewID != nil || reports[1].TemplateID != s.tpl.ID || reports[1].Reason != store.ReportCopyright {
			t.Errorf("reports %+v", reports)
		}
		var audits int64
		store.Gorm(db).Model(&store.AuditLog{}).Where("organization_id = ? AND action IN ?", s.user.ID,
			[]string{"template.reviewed", "template.review_edited"}).Count(&audits)
		if audits != 3 {
			t.Errorf("review audits %d, want 3 (two reviews, one edit)", audits)
		}
	})
}
