package store_test

import (
	"context"
	"testing"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Notifications honour each user's in-app preference for the type, and
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
		count := func(u *store.User) int64 {
			var c int64
			store.Gorm(db).Model(&store.Notification{}).Where("user_id = ?", u.ID).Count(&c)
			return c
		}
		if count(a1) != 1 || count(a2) != 0 || count(issuer) != 0 {
			t.Fatalf("a1 %d, a2 %d, issuer %d", count(a1), count(a2), count(issuer))
		}
		if n, err := db.Notify(ctx, []string{issuer.ID, a2.ID}, store.Notification{Type: store.NotifyCredentialIssued, Title: "t", Message: "m"}); err != nil || n != 2 {
			t.Fatalf("Notify of another type: %d (%v), want 2", n, err)
		}
	})
}
