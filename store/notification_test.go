package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func notifUser(t *testing.T, db *store.DB, org *store.Organization, email string, verified bool) *store.User {
	t.Helper()
	u := &store.User{Email: email, Role: store.RoleIssuer, OrganizationID: &org.ID, EmailVerified: verified,
		Profile: datatypes.NewJSONType(store.UserProfile{DisplayName: "Name of " + email})}
	if err := db.CreateUser(context.Background(), u, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return u
}

// seedNotifications gives u n notifications (two at a time share sent_at,
// so that ties are broken by id): every third is read, the types
// alternate between system_alert and credential_issued.
func seedNotifications(t *testing.T, db *store.DB, u *store.User, n int, base time.Time) []*store.Notification {
	t.Helper()
	var rows []*store.Notification
	for i := range n {
		typ := store.NotifySystemAlert
		if i%2 == 1 {
			typ = store.NotifyCredentialIssued
		}
		r := &store.Notification{UserID: u.ID, Type: typ, Title: "T", Message: "M", SentAt: base.Add(time.Duration(i/2) * time.Minute)}
		if i%3 == 0 {
			at := base.Add(time.Hour)
			r.ReadAt = &at
		}
		rows = append(rows, r)
	}
	if err := store.Gorm(db).CreateInBatches(rows, 100).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// A user's notifications: counted, paged newest first by (sent_at, id),
// filtered, read one at a time or all at once, and never another user's.
func TestAccountNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, "notif", store.OrganizationActive)
		u1, u2 := notifUser(t, db, org, "u1@n.example", true), notifUser(t, db, org, "u2@n.example", true)
		base := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
		mine := seedNotifications(t, db, u1, 11, base)
		theirs := seedNotifications(t, db, u2, 4, base)
		// An email-only row of u1 (in-app off for its type): never shown.
		hidden := &store.Notification{UserID: u1.ID, Type: store.NotifyApprovalDecided, Title: "E", Message: "M", EmailOnly: true, SentAt: base.Add(time.Hour)}
		if err := store.Gorm(db).Create(hidden).Error; err != nil {
			t.Fatal(err)
		}
		acc, other := db.Account(u1.ID), db.Account(u2.ID)

		unread := func(a *store.Account) int64 {
			t.Helper()
			n, err := a.UnreadNotifications(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if got := unread(acc); got != 7 { // 11 minus the 4 read (i = 0, 3, 6, 9)
			t.Fatalf("unread %d, want 7", got)
		}
		if got := unread(other); got != 2 {
			t.Fatalf("other user's unread %d, want 2", got)
		}

		pageAll := func(f store.NotificationFilter) []store.Notification {
			t.Helper()
			var out []store.Notification
			for pages := 0; ; pages++ {
				if pages > 50 {
					t.Fatal("pagination does not end")
				}
				p, err := acc.Notifications(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if f.Limit > 0 && len(p.Notifications) > f.Limit {
					t.Fatalf("page of %d, limit %d", len(p.Notifications), f.Limit)
				}
				out = append(out, p.Notifications...)
				if p.Next == nil {
					break
				}
				c, err := store.ParseCursor(p.Next.String())
				if err != nil {
					t.Fatal(err)
				}
				f.Before = c
			}
			for i := 1; i < len(out); i++ {
				a, b := out[i-1], out[i]
				if a.SentAt.Before(b.SentAt) || a.SentAt.Equal(b.SentAt) && a.ID < b.ID {
					t.Fatalf("not newest first at %d: %v %s then %v %s", i, a.SentAt, a.ID, b.SentAt, b.ID)
				}
			}
			return out
		}
		ids := func(ns []store.Notification) []string {
			var out []string
			for _, n := range ns {
				out = append(out, n.ID)
			}
			slices.Sort(out)
			return out
		}
		var want []string
		for _, n := range mine {
			want = append(want, n.ID)
		}
		slices.Sort(want)
		for _, limit := range []int{1, 2, 3, 11, 0} {
			if got := ids(pageAll(store.NotificationFilter{Limit: limit})); !slices.Equal(got, want) {
				t.Fatalf("limit %d: got %d notifications %v, want exactly u1's %d", limit, len(got), got, len(want))
			}
		}
		if got := pageAll(store.NotificationFilter{Limit: 2, UnreadOnly: true}); len(got) != 7 || slices.ContainsFunc(got, func(n store.Notification) bool { return n.ReadAt != nil }) {
			t.Fatalf("unread only: %d", len(got))
		}
		if got := pageAll(store.NotificationFilter{Limit: 4, Type: store.NotifyCredentialIssued}); len(got) != 5 ||
			slices.ContainsFunc(got, func(n store.Notification) bool { return n.Type != store.NotifyCredentialIssued }) {
			t.Fatalf("type filter: %d", len(got))
		}
		if got := pageAll(store.NotificationFilter{UnreadOnly: true, Type: store.NotifySystemAlert}); len(got) != 4 {
			t.Fatalf("unread system alerts: %d, want 4", len(got)) // i = 2, 4, 8, 10
		}

		// One at a time, only one's own.
		target := mine[1] // unread
		for _, id := range []string{theirs[1].ID, hidden.ID, "not-a-uuid", "0190a0a0-0000-7000-8000-000000000000"} {
			if _, err := acc.Notification(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Notification(%s): %v, want ErrNotFound", id, err)
			}
			if _, err := acc.MarkNotificationRead(ctx, id, base); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("MarkNotificationRead(%s): %v, want ErrNotFound", id, err)
			}
		}
		if unread(other) != 2 {
			t.Fatal("marking another user's notification changed it")
		}
		readAt := base.Add(2 * time.Hour)
		n, err := acc.MarkNotificationRead(ctx, target.ID, readAt)
		if err != nil || n.ReadAt == nil || !n.ReadAt.Equal(readAt) {
			t.Fatalf("mark read: %+v %v", n, err)
		}
		if n, err = acc.MarkNotificationRead(ctx, target.ID, readAt.Add(time.Hour)); err != nil || !n.ReadAt.Equal(readAt) {
			t.Fatalf("marking again changed the time: %v %v", n.ReadAt, err)
		}
		if unread(acc) != 6 {
			t.Fatalf("unread after one: %d", unread(acc))
		}

		// All at once: u1's six, not u2's, not the hidden one.
		if n, err := acc.MarkAllNotificationsRead(ctx, readAt); err != nil || n != 6 {
			t.Fatalf("read all: %d %v", n, err)
		}
		if unread(acc) != 0 || unread(other) != 2 {
			t.Fatalf("after read all: mine %d, theirs %d", unread(acc), unread(other))
		}
		var h store.Notification
		if err := store.Gorm(db).First(&h, "id = ?", hidden.ID).Error; err != nil || h.ReadAt != nil {
			t.Fatalf("hidden row changed: %v %v", h.ReadAt, err)
		}
		if n, err := acc.MarkAllNotificationsRead(ctx, readAt); err != nil || n != 0 {
			t.Fatalf("read all again: %d %v", n, err)
		}
	})
}

// Preferences: defaults without rows, one row per type after saving (an
// upsert that keeps SMS and push), bad input refused whole, and Notify
// following the channels.
func TestNotificationPreferences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, "prefs", store.OrganizationActive)
		u, v := notifUser(t, db, org, "u@p.example", true), notifUser(t, db, org, "v@p.example", true)
		acc := db.Account(u.ID)

		prefs, err := acc.NotificationPreferences(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(prefs) != len(store.NotificationTypes) {
			t.Fatalf("%d preferences", len(prefs))
		}
		for i, p := range prefs {
			if p.NotificationType != store.NotificationTypes[i] || !p.InAppEnabled || !p.EmailEnabled || p.SMSEnabled || p.PushEnabled || p.ID != "" {
				t.Fatalf("default %d: %+v", i, p)
			}
		}
		rowsOf := func(userID string) int64 {
			var n int64
			store.Gorm(db).Model(&store.NotificationPreference{}).Where("user_id = ?", userID).Count(&n)
			return n
		}

		// An existing row with SMS on: saving keeps it.
		if err := store.Gorm(db).Create(&store.NotificationPreference{UserID: u.ID, NotificationType: store.NotifyCredentialIssued,
			InAppEnabled: true, EmailEnabled: true, SMSEnabled: false, PushEnabled: true}).Error; err != nil {
			t.Fatal(err)
		}
		save := []store.NotificationPreference{
			{NotificationType: store.NotifySystemAlert, InAppEnabled: false, EmailEnabled: false},
			{NotificationType: store.NotifyCredentialIssued, InAppEnabled: false, EmailEnabled: true, SMSEnabled: true},
			{NotificationType: store.NotifyApprovalRequested, InAppEnabled: true, EmailEnabled: false},
			{NotificationType: store.NotifyApprovalDecided, InAppEnabled: true, EmailEnabled: true},
			{NotificationType: store.NotifyCredentialRevoked, InAppEnabled: true, EmailEnabled: true},
			{NotificationType: store.NotifyVerificationRequest, InAppEnabled: true, EmailEnabled: true},
		}
		for range 2 { // the second save updates the same rows
			if err := acc.SaveNotificationPreferences(ctx, save); err != nil {
				t.Fatal(err)
			}
			if n := rowsOf(u.ID); n != 6 {
				t.Fatalf("%d preference rows, want 6", n)
			}
		}
		prefs, _ = acc.NotificationPreferences(ctx)
		byType := map[store.NotificationType]store.NotificationPreference{}
		for _, p := range prefs {
			byType[p.NotificationType] = p
		}
		for _, s := range save {
			p := byType[s.NotificationType]
			if p.ID == "" || p.UserID != u.ID || p.InAppEnabled != s.InAppEnabled || p.EmailEnabled != s.EmailEnabled || p.SMSEnabled != s.SMSEnabled {
				t.Errorf("%s saved as %+v", s.NotificationType, p)
			}
		}
		if !byType[store.NotifyCredentialIssued].PushEnabled || byType[store.NotifySystemAlert].PushEnabled {
			t.Error("push channel (not offered) not kept as it was")
		}
		if rowsOf(v.ID) != 0 {
			t.Fatal("another user's preferences were written")
		}

		// Bad input changes nothing.
		before := byType[store.NotifyApprovalDecided]
		for name, bad := range map[string][]store.NotificationPreference{
			"unknown type": {{NotificationType: store.NotifyApprovalDecided, InAppEnabled: false}, {NotificationType: "spam"}},
			"duplicate":    {{NotificationType: store.NotifyApprovalDecided}, {NotificationType: store.NotifyApprovalDecided}},
		} {
			if err := acc.SaveNotificationPreferences(ctx, bad); !errors.Is(err, store.ErrBadPreference) {
				t.Errorf("%s: %v", name, err)
			}
		}
		prefs, _ = acc.NotificationPreferences(ctx)
		if p := prefs[slices.IndexFunc(prefs, func(p store.NotificationPreference) bool { return p.NotificationType == store.NotifyApprovalDecided })]; p.InAppEnabled != before.InAppEnabled {
			t.Fatal("a refused save changed a row")
		}

		// Notify follows the channels: both off → nothing; in-app off and
		// email on → a row for the email only; in-app on → shown.
		count := func(typ store.NotificationType, emailOnly bool) int64 {
			var n int64
			store.Gorm(db).Model(&store.Notification{}).Where("user_id = ? AND type = ? AND email_only = ?", u.ID, typ, emailOnly).Count(&n)
			return n
		}
		for _, c := range []struct {
			typ              store.NotificationType
			created          int
			inApp, emailOnly int64
		}{
			{store.NotifySystemAlert, 1, 0, 0},         // u: both off; v: default
			{store.NotifyCredentialIssued, 1, 0, 1},    // u: email only
			{store.NotifyApprovalRequested, 2, 1, 0},   // u: in-app only
			{store.NotifyVerificationRequest, 2, 1, 0}, // u: both
		} {
			n, err := db.Notify(ctx, []string{u.ID, v.ID}, store.Notification{Type: c.typ, Title: "t", Message: "m"})
			if err != nil || n != c.created {
				t.Errorf("%s: Notify created %d in-app (%v), want %d", c.typ, n, err, c.created)
			}
			if got, gotEmail := count(c.typ, false), count(c.typ, true); got != c.inApp || gotEmail != c.emailOnly {
				t.Errorf("%s: u has %d in-app and %d email-only rows, want %d and %d", c.typ, got, gotEmail, c.inApp, c.emailOnly)
			}
		}
		if n, _ := acc.UnreadNotifications(ctx); n != 2 {
			t.Errorf("u's unread: %d, want 2 (the email-only row is not shown)", n)
		}
	})
}

// A delivery is finished once (the idempotency key of the send); an SMS's
// status moves forward only; security changes notify critically.
func TestNotificationDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, "deliver", store.OrganizationActive)
		u := notifUser(t, db, org, "d@m.example", true)
		now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
		if _, err := db.Notify(ctx, []string{u.ID}, store.Notification{Type: store.NotifySystemAlert, Title: "t", Message: "m"}); err != nil {
			t.Fatal(err)
		}
		ids, err := db.PendingDeliveries(ctx, 10)
		if err != nil || len(ids) != 1 {
			t.Fatalf("pending %v %v", ids, err)
		}
		if err := db.FinishDelivery(ctx, ids[0], store.DeliverySent, "", now); err != nil {
			t.Fatal(err)
		}
		if err := db.FinishDelivery(ctx, ids[0], store.DeliverySent, "", now); !errors.Is(err, store.ErrDeliveryDone) {
			t.Fatalf("finished twice: %v", err)
		}
		dw, err := db.NotificationDelivery(ctx, ids[0])
		if err != nil || dw.Notification.EmailedAt == nil || dw.Delivery.Attempts != 1 {
			t.Fatalf("after the send: %+v %v", dw, err)
		}
		if ids, _ := db.PendingDeliveries(ctx, 10); len(ids) != 0 {
			t.Fatalf("still pending %v", ids)
		}

		// SMS status callbacks: delivered stays delivered when a late "sent" comes.
		provider, sid := "twilio", "SM0123"
		row := &store.SMSDelivery{UserID: u.ID, PhoneNumber: "+14155550123", Message: "m", Status: store.SMSSent, Provider: &provider, ProviderMessageID: &sid}
		if err := store.Gorm(db).Create(row).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.UpdateSMSStatus(ctx, provider, sid, store.SMSDelivered, "", now); err != nil {
			t.Fatal(err)
		}
		if err := db.UpdateSMSStatus(ctx, provider, sid, store.SMSSent, "", now); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.SMSByProviderID(ctx, provider, sid); got.Status != store.SMSDelivered || got.DeliveredAt == nil {
			t.Fatalf("sms %+v", got)
		}
		if err := db.UpdateSMSStatus(ctx, provider, "SMnope", store.SMSFailed, "x", now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown sid: %v", err)
		}

		// Turning two-factor authentication off is a critical notice, even
		// with every channel of system alerts off.
		if err := store.Gorm(db).Create(&store.NotificationPreference{UserID: u.ID, NotificationType: store.NotifySystemAlert}).Error; err != nil {
			t.Fatal(err)
		}
		store.Gorm(db).Model(&store.User{}).Where("id = ?", u.ID).Update("mfa_enabled", true)
		if err := db.Account(u.ID).DisableMFA(ctx, store.Actor{UserID: &u.ID}); err != nil {
			t.Fatal(err)
		}
		p, err := db.Account(u.ID).Notifications(ctx, store.NotificationFilter{})
		if err != nil || len(p.Notifications) != 2 || !p.Notifications[0].Critical || p.Notifications[0].Title != "Two-factor authentication turned off" {
			t.Fatalf("notifications %+v %v", p.Notifications, err)
		}

		// A sign-in from a new browser is a critical notice; the first
		// sign-in ever and one from a known browser are not.
		session := func(ua string) {
			t.Helper()
			ip := "192.0.2.1"
			if err := db.CreateSession(ctx, &store.UserSession{UserID: u.ID, SessionToken: fmt.Sprintf("token-%d", time.Now().UnixNano()), ExpiresAt: now.Add(time.Hour), UserAgent: &ua, IPAddress: &ip}); err != nil {
				t.Fatal(err)
			}
		}
		count := func() int {
			p, _ := db.Account(u.ID).Notifications(ctx, store.NotificationFilter{})
			return len(p.Notifications)
		}
		session("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0")
		session("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0")
		if count() != 2 {
			t.Fatalf("first and known sign-ins notified: %d", count())
		}
		session("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1")
		p, _ = db.Account(u.ID).Notifications(ctx, store.NotificationFilter{})
		if len(p.Notifications) != 3 || p.Notifications[0].Title != "New sign-in to your account" || !p.Notifications[0].Critical ||
			!strings.Contains(p.Notifications[0].Message, "192.0.2.1") {
			t.Fatalf("new browser: %+v", p.Notifications[0])
		}
	})
}

// The page query reads the (user_id, sent_at, id) index from the cursor on,
// in order, without a sort, with or without the unread and type filters.
func TestNotificationsQueryPlan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		org := newOrg(t, db, "plan", store.OrganizationActive)
		u := notifUser(t, db, org, "plan@n.example", true)
		seedNotifications(t, db, u, 30, time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC))
		cur := &store.Cursor{At: time.Date(2025, 4, 1, 9, 5, 0, 0, time.UTC), ID: "ffffffff-ffff-7fff-bfff-ffffffffffff"}
		for name, f := range map[string]store.NotificationFilter{
			"first page": {},
			"next page":  {Before: cur},
			"filtered":   {Before: cur, UnreadOnly: true, Type: store.NotifySystemAlert},
		} {
			q := store.NotificationsSQL(db, u.ID, f)
			// A tiny table is scanned (or bitmap-scanned and sorted)
			// whatever the indexes; forbid that to see what the planner
			// would do with a large one.
			plan := storetest.Explain(t, db, q, "enable_bitmapscan")
			text := strings.Join(plan, "\n")
			sorts := slices.ContainsFunc(plan, func(s string) bool {
				return strings.Contains(s, "TEMP B-TREE") || strings.Contains(s, "Sort")
			})
			seeks := f.Before == nil || strings.Contains(text, "(sent_at,id)<(?,?)") || strings.Contains(text, "ROW(sent_at, id) <")
			if !strings.Contains(text, "idx_notifications_user_sent_at") || sorts || !seeks {
				t.Errorf("%s: plan does not read idx_notifications_user_sent_at from the cursor on, in order:\n%s\n%s", name, q, text)
			}
		}
	})
}

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
