package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Notifications honour each user's in-app preference for the type (a user
// with in-app off but email on gets a row for the email job only), and
// NotifyAdmins reaches only the organization's active admins.
func TestNotify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := &store.Organization{Name: "N", Slug: "n-org", Type: store.OrganizationCorporate, DID: "did:web:x:orgs:n-org"}
		if err := db.CreateOrganization(ctx, org, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		mk := func(email string, role store.Role) *store.User {
			u := &store.User{Email: email, Role: role, OrganizationID: &org.ID}
			if err := db.CreateUser(ctx, u, store.Actor{}); err != nil {
				t.Fatal(err)
			}
			return u
		}
		a1, a2, issuer := mk("a1@n.example", store.RoleAdmin), mk("a2@n.example", store.RoleAdmin), mk("i@n.example", store.RoleIssuer)
		if err := store.Gorm(db).Create(&store.NotificationPreference{UserID: a2.ID, NotificationType: store.NotifySystemAlert, EmailEnabled: true}).Error; err != nil {
			t.Fatal(err)
		}
		n, err := db.NotifyAdmins(ctx, org.ID, store.Notification{Type: store.NotifySystemAlert, Title: "Approved", Message: "Your organization is active."})
		if err != nil || n != 1 {
			t.Fatalf("NotifyAdmins created %d (%v), want 1 (a2 turned in-app off)", n, err)
		}
		count := func(u *store.User, emailOnly bool) int64 {
			var c int64
			store.Gorm(db).Model(&store.Notification{}).Where("user_id = ? AND email_only = ?", u.ID, emailOnly).Count(&c)
			return c
		}
		if count(a1, false) != 1 || count(a2, false) != 0 || count(issuer, false) != 0 {
			t.Fatalf("in-app: a1 %d, a2 %d, issuer %d", count(a1, false), count(a2, false), count(issuer, false))
		}
		if count(a1, true) != 0 || count(a2, true) != 1 {
			t.Fatalf("email only: a1 %d, a2 %d (a2 kept email on)", count(a1, true), count(a2, true))
		}
		if n, err := db.Notify(ctx, []string{issuer.ID, a2.ID}, store.Notification{Type: store.NotifyCredentialIssued, Title: "t", Message: "m"}); err != nil || n != 2 {
			t.Fatalf("Notify of another type: %d (%v), want 2", n, err)
		}
	})
}

// Membership changes reach the member concerned in-app.
func TestMembershipChangesNotifyTheMember(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := &store.Organization{Name: "M", Slug: "m-org", Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:m-org"}
		if err := db.CreateOrganization(ctx, org, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		hash := "$2a$12$abcdefghijklmnopqrstuuJ0kvr0hXy0n4cH1d0B9h1gQ5C5b5r9e"
		admin := &store.User{Email: "admin@m.example", Role: store.RoleAdmin, OrganizationID: &org.ID, PasswordHash: &hash}
		member := &store.User{Email: "member@m.example", Role: store.RoleIssuer, OrganizationID: &org.ID, PasswordHash: &hash}
		for _, u := range []*store.User{admin, member} {
			if err := db.CreateUser(ctx, u, store.Actor{}); err != nil {
				t.Fatal(err)
			}
		}
		s := db.Scoped(org.ID)
		if _, err := s.ChangeMemberRole(ctx, member.ID, store.RoleReviewer, store.Actor{UserID: &admin.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeactivateMember(ctx, member.ID, time.Now(), store.Actor{UserID: &admin.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReactivateMember(ctx, member.ID, store.Actor{UserID: &admin.ID}); err != nil {
			t.Fatal(err)
		}
		var titles []string
		if err := store.Gorm(db).Model(&store.Notification{}).Where("user_id = ?", member.ID).Order("sent_at, id").Pluck("title", &titles).Error; err != nil {
			t.Fatal(err)
		}
		if len(titles) != 2 || titles[0] != "Your role has changed" || titles[1] != "Your account is active again" {
			t.Fatalf("member's notifications: %q", titles)
		}
	})
}
