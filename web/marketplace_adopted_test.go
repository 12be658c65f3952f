package web_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/notify"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// "Use this template" publishes template.adopted in the adoption's
// transaction, as an event of the publisher's organization, and the
// notifications' consumer tells the publisher's admins (not the
// adopter's). A refused adoption publishes nothing.
func TestMarketplaceAdoptionEvent(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		pub, adopter := env.Org("pubco"), env.Org("harbor")
		cat := seedCategory(t, env, "Safety", nil)
		src := seedPublished(t, env, pub, cat, "First Aid", "Basic life support")
		pubAdmin, adopterAdmin := env.User(store.RoleAdmin, pub), env.User(store.RoleAdmin, adopter)
		issuer := env.Client()
		issuer.Login(env.User(store.RoleIssuer, adopter))
		own := env.Client()
		own.Login(pubAdmin)

		if r := own.Post("/marketplace/"+src.ID+"/adopt", nil); r.Status != 303 || r.Location() != "/marketplace/"+src.ID {
			t.Fatalf("the publisher adopting its own: %d %s", r.Status, r.Location())
		}
		if r := issuer.Post("/marketplace/"+src.ID+"/adopt", nil); r.Status != 303 {
			t.Fatalf("adopt: %d", r.Status)
		}
		var adopted []events.Event
		for _, e := range env.PublishedEvents() {
			if e.Type == events.TemplateAdopted {
				adopted = append(adopted, e)
			}
		}
		if len(adopted) != 1 {
			t.Fatalf("%d template.adopted events, want 1 (the refused adoption published none)", len(adopted))
		}
		e := adopted[0]
		var p events.Adoption
		if err := json.Unmarshal(e.Data, &p); err != nil {
			t.Fatal(err)
		}
		if e.OrganizationID != pub.ID || p.TemplateID != src.ID || p.Name != "First Aid" || p.Version != 1 || p.Adopter != adopter.Name || p.Adoptions != 1 {
			t.Errorf("template.adopted in %s: %+v", e.OrganizationID, p)
		}

		// The fan-out runs in the event's organization: the publisher's.
		if err := env.DB.Scoped(e.OrganizationID).InTx(ctx, func(tx *store.Scoped) error {
			return (notify.Events{}).Consume(ctx, tx, nil, e)
		}); err != nil {
			t.Fatal(err)
		}
		page, err := env.DB.Account(pubAdmin.ID).Notifications(ctx, store.NotificationFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Notifications) != 1 || page.Notifications[0].Title != adopter.Name+" adopted “First Aid”" ||
			page.Notifications[0].Metadata.Data().Link != "/marketplace/"+src.ID {
			t.Errorf("the publisher's admin's notifications: %+v", page.Notifications)
		}
		if page, err := env.DB.Account(adopterAdmin.ID).Notifications(ctx, store.NotificationFilter{Limit: 10}); err != nil || len(page.Notifications) != 0 {
			t.Errorf("the adopter's admin was notified: %+v %v", page.Notifications, err)
		}
	})
}

// A new review by another organization publishes
// template.review_received as an event of the publisher's organization,
// and its admins hear of it as their preferences say (in the app, by
// email); the reviewer's organization hears nothing, the publisher's
// issuers neither, and editing the review is no new review.
func TestMarketplaceReviewNotifiesThePublisher(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		pub, user := env.Org("pubco"), env.Org("harbor")
		cat := seedCategory(t, env, "Safety", nil)
		src := seedPublished(t, env, pub, cat, "First Aid", "Basic life support")
		inApp, byEmail, pubIssuer := env.User(store.RoleAdmin, pub), env.User(store.RoleAdmin, pub), env.User(store.RoleIssuer, pub)
		userAdmin := env.User(store.RoleAdmin, user)
		for u, p := range map[*store.User]store.NotificationPreference{
			inApp:   {NotificationType: store.NotifySystemAlert, InAppEnabled: true},
			byEmail: {NotificationType: store.NotifySystemAlert, EmailEnabled: true},
		} {
			if err := env.DB.Account(u.ID).SaveNotificationPreferences(ctx, []store.NotificationPreference{p}); err != nil {
				t.Fatal(err)
			}
		}
		adoptAndIssue(t, env, user, src)
		reviewer := env.Client()
		reviewer.Login(env.User(store.RoleIssuer, user))
		page := "/marketplace/" + src.ID
		if r := reviewer.Post(page+"/reviews", reviewForm("4", "Clear fields.")); r.Status != 303 {
			t.Fatalf("review: %d", r.Status)
		}
		received := func() []events.Event {
			var out []events.Event
			for _, e := range env.PublishedEvents() {
				if e.Type == events.TemplateReviewIn {
					out = append(out, e)
				}
			}
			return out
		}
		got := received()
		if len(got) != 1 {
			t.Fatalf("%d template.review_received events, want 1", len(got))
		}
		e := got[0]
		var p events.ReviewReceived
		if err := json.Unmarshal(e.Data, &p); err != nil {
			t.Fatal(err)
		}
		if e.OrganizationID != pub.ID || p.TemplateID != src.ID || p.TemplateName != "First Aid" || p.Rating != 4 || p.Reviewer != user.Name || p.ReviewID == "" {
			t.Errorf("template.review_received in %s: %+v", e.OrganizationID, p)
		}
		if err := env.DB.Scoped(e.OrganizationID).InTx(ctx, func(tx *store.Scoped) error {
			return (notify.Events{}).Consume(ctx, tx, nil, e)
		}); err != nil {
			t.Fatal(err)
		}
		count := func(q string, args ...any) int {
			var n int
			if err := env.DB.SQL().QueryRow(storetest.Rebind(d, q), args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		page1, err := env.DB.Account(inApp.ID).Notifications(ctx, store.NotificationFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if ns := page1.Notifications; len(ns) != 1 || ns[0].Title != "New review of “First Aid”: 4 stars" ||
			!strings.Contains(ns[0].Message, user.Name) || ns[0].Metadata.Data().Link != page+"#mp-reviews" {
			t.Errorf("the publisher's admin, in the app: %+v", ns)
		}
		emails := "SELECT count(*) FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id WHERE n.user_id = ? AND d.channel = 'email'"
		if n := count(emails, byEmail.ID); n != 1 {
			t.Errorf("the publisher's admin who takes these by email: %d emails", n)
		}
		if n := count(emails, inApp.ID); n != 0 {
			t.Errorf("the publisher's admin who does not: %d emails", n)
		}
		if n := count("SELECT count(*) FROM notifications WHERE user_id IN (?, ?)", pubIssuer.ID, userAdmin.ID); n != 0 {
			t.Errorf("%d notifications to the publisher's issuer or the reviewer's admin", n)
		}

		// Editing the review is not a new one.
		var id string
		if err := env.DB.SQL().QueryRow(storetest.Rebind(d, "SELECT id FROM template_reviews WHERE template_id = ?"), src.ID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if r := reviewer.Post(page+"/reviews/"+id, reviewForm("5", "Even better.")); r.Status != 303 {
			t.Fatalf("edit: %d", r.Status)
		}
		if got := received(); len(got) != 1 {
			t.Errorf("an edit published template.review_received: %d", len(got))
		}
	})
}
