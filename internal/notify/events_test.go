package notify

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Every event type of the catalogue has its row in Notices, so a new
// event cannot be forgotten: whoever adds one decides who hears of it.
func TestNoticesCoverTheCatalogue(t *testing.T) {
	for _, s := range events.Catalogue {
		n, ok := Notices[s.Type]
		if !ok {
			t.Errorf("%s has no row in Notices", s.Type)
			continue
		}
		if n.By == "" && n.To != Nobody && n.Build == nil {
			t.Errorf("%s notifies %s but builds nothing", s.Type, n.To)
		}
		if n.Build == nil {
			continue
		}
		e, err := events.New("org", s.Type, time.Now(), s.Example)
		if err != nil {
			t.Fatal(err)
		}
		note, err := n.Build(e)
		if err != nil {
			t.Fatalf("%s: %v", s.Type, err)
		}
		if err := store.Validate(&note); err != nil {
			t.Errorf("%s: %v", s.Type, err)
		}
	}
	if len(Notices) != len(events.Catalogue) {
		t.Errorf("Notices has %d rows for %d event types", len(Notices), len(events.Catalogue))
	}
}

type eventPeople struct {
	org                            *store.Organization
	starter, admin, quiet, retired *store.User
	other                          *store.User // another organization's admin
	batch                          *store.IssuanceBatch
}

// seedPeople: an organization with an issuer who starts a batch, two
// active admins (one takes system alerts by email only) and a
// deactivated one; and another organization's admin.
func seedPeople(t *testing.T, db *store.DB) eventPeople {
	t.Helper()
	ctx := context.Background()
	p := eventPeople{org: &store.Organization{Name: "Acme", Slug: "acme", Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:acme"}}
	other := &store.Organization{Name: "Other", Slug: "other", Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:other"}
	gone := time.Now().Add(-time.Hour)
	user := func(email string, role store.Role) *store.User {
		return &store.User{Email: email, Role: role, EmailVerified: true}
	}
	p.starter = user("starter@acme.example", store.RoleIssuer)
	p.admin = user("admin@acme.example", store.RoleAdmin)
	p.quiet = user("quiet@acme.example", store.RoleAdmin)
	p.retired = user("retired@acme.example", store.RoleAdmin)
	p.retired.DeactivatedAt = &gone
	p.other = user("admin@other.example", store.RoleAdmin)
	name := "graduates.csv"
	p.batch = &store.IssuanceBatch{CreatedBy: &p.starter.ID, Filename: &name, Status: store.BatchCompleted,
		ColumnMapping: datatypes.NewJSONType(map[string]string{}),
		TotalRows:     3, IssuedCount: 2, FailedCount: 1}
	if err := db.Seed(ctx, func(create func(any) error) error {
		for _, o := range []*store.Organization{p.org, other} {
			if err := create(o); err != nil {
				return err
			}
		}
		for _, u := range []*store.User{p.starter, p.admin, p.quiet, p.retired, p.other} {
			u.OrganizationID = &p.org.ID
			if u == p.other {
				u.OrganizationID = &other.ID
			}
			if err := create(u); err != nil {
				return err
			}
		}
		p.batch.OrganizationID = p.org.ID
		if err := create(p.batch); err != nil {
			return err
		}
		return create(&store.NotificationPreference{UserID: p.quiet.ID, NotificationType: store.NotifySystemAlert, EmailEnabled: true})
	}); err != nil {
		t.Fatal(err)
	}
	return p
}

// notifications counts the notification rows (in-app or email-only) a
// user has from event id.
func notifications(t *testing.T, db *store.DB, userID, eventID string) (inApp, emailOnly int) {
	t.Helper()
	rows, err := db.SQL().Query(fmt.Sprintf("SELECT email_only FROM notifications WHERE user_id = '%s' AND event_id = '%s'", userID, eventID))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var only bool
		if err := rows.Scan(&only); err != nil {
			t.Fatal(err)
		}
		if only {
			emailOnly++
		} else {
			inApp++
		}
	}
	return inApp, emailOnly
}

// The consumer turns events into notifications for the people of Notices,
// with their preferences, once per event and person however often the
// fan-out runs; a fan-out that rolls back leaves nothing.
func TestEventsBecomeNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := seedPeople(t, db)
		sc := db.Scoped(p.org.ID)
		batch, name := p.batch, *p.batch.Filename
		now := time.Now()
		done, err := events.New(p.org.ID, events.BulkBatchCompleted, now, events.BatchCompleted{BatchID: batch.ID, FileName: name, Total: 3, Issued: 2, Failed: 1, CompletedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		key, err := events.New(p.org.ID, events.APIKeyCreated, now, events.APIKey{ID: "6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2910", Name: "Student records", Prefix: "tcs_ab12", Scopes: []string{}, At: now})
		if err != nil {
			t.Fatal(err)
		}
		issued, err := events.New(p.org.ID, events.CredentialIssued, now, events.Issued{Credential: events.Credential{ID: "c"}, Via: "api"})
		if err != nil {
			t.Fatal(err)
		}
		fanout := func(e events.Event, fail error) error {
			return sc.InTx(ctx, func(tx *store.Scoped) error {
				if err := (Events{}).Consume(ctx, tx, nil, e); err != nil {
					return err
				}
				return fail
			})
		}
		// A fan-out that fails after the consumer (another consumer's
		// error) rolls its notifications back with it.
		boom := errors.New("webhooks consumer failed")
		if err := fanout(done, boom); !errors.Is(err, boom) {
			t.Fatalf("fan-out: %v", err)
		}
		if in, only := notifications(t, db, p.starter.ID, done.ID); in+only != 0 {
			t.Fatalf("a rolled-back fan-out left %d notifications", in+only)
		}
		// Three runs of each fan-out (retried whole after a commit).
		for range 3 {
			for _, e := range []events.Event{done, key, issued} {
				if err := fanout(e, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, c := range []struct {
			who           string
			user          *store.User
			event         events.Event
			inApp, emails int
		}{
			{"the batch's starter", p.starter, done, 1, 0},
			{"an admin, of the batch", p.admin, done, 0, 0},
			{"an admin", p.admin, key, 1, 0},
			{"an admin who takes system alerts by email only", p.quiet, key, 0, 1},
			{"a deactivated admin", p.retired, key, 0, 0},
			{"the issuer, of an API key", p.starter, key, 0, 0},
			{"another organization's admin", p.other, key, 0, 0},
			{"an admin, of credential.issued", p.admin, issued, 0, 0},
		} {
			in, only := notifications(t, db, c.user.ID, c.event.ID)
			if in != c.inApp || only != c.emails {
				t.Errorf("%s, %s: %d in-app and %d email-only notifications, want %d and %d", c.who, c.event.Type, in, only, c.inApp, c.emails)
			}
		}
		// What the starter sees, and its email delivery (preferences: the
		// default for credential_issued has email on).
		page, err := db.Account(p.starter.ID).Notifications(ctx, store.NotificationFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Notifications) != 1 {
			t.Fatalf("the starter has %d notifications", len(page.Notifications))
		}
		n := page.Notifications[0]
		if n.Title != "Bulk issuance finished: graduates.csv" || n.Message != "2 of 3 rows were issued. 1 failed: the batch's page lists them with their reasons." ||
			n.Metadata.Data().Link != "/credentials/bulk/"+batch.ID {
			t.Errorf("the starter's notification: %q / %q / %q", n.Title, n.Message, n.Metadata.Data().Link)
		}
		ds, err := db.NotificationDeliveries(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].Channel != store.ChannelEmail || ds[0].Status != store.DeliveryPending {
			t.Errorf("the starter's deliveries: %+v", ds)
		}
	})
}

// Registered with the fan-out like the webhooks: an API key's event,
// published in its transaction, reaches the admins through the queue.
func TestEventNotificationsThroughTheQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := seedPeople(t, db)
		ws := jobs.NewWorkers()
		events.Register(ws, db, storetest.Logger(t), Events{})
		q, err := jobs.New(db, storetest.Logger(t), ws)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = q.Stop(sctx)
		})
		var e events.Event
		err = events.Change(ctx, db.Scoped(p.org.ID), q, func(tx *store.Scoped) ([]events.Event, error) {
			k := &store.APIKey{Name: "Student records", KeyHash: "hash", Prefix: "tcs_ab12", Permissions: datatypes.NewJSONSlice([]store.APIScope{})}
			if err := tx.CreateAPIKey(ctx, k, store.Actor{}); err != nil {
				return nil, err
			}
			var err error
			e, err = events.New(tx.OrganizationID(), events.APIKeyCreated, time.Now(), events.APIKeyOf(k, time.Now()))
			return []events.Event{e}, err
		})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if in, _ := notifications(t, db, p.admin.ID, e.ID); in == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the admin was not notified within 30 s")
			}
			time.Sleep(50 * time.Millisecond)
		}
		page, err := db.Account(p.admin.ID).Notifications(ctx, store.NotificationFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Notifications) != 1 || page.Notifications[0].Title != `API key "Student records" was created` {
			t.Errorf("the admin's notifications: %+v", page.Notifications)
		}
	})
}
