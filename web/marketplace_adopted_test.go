package web_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/notify"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
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
