package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func TestDashboardCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := org(t, db, "counted")
		member(t, db, a, "one@counted.example", "One", store.RoleAdmin)
		gone := member(t, db, a, "two@counted.example", "Two", store.RoleIssuer)
		if _, err := db.Scoped(a.ID).DeactivateMember(ctx, gone.ID, time.Now(), store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Scoped(a.ID).InviteMember(ctx, "three@counted.example", store.RoleReviewer, link("inv", time.Hour), store.Actor{}); err != nil {
			t.Fatal(err)
		}
		member(t, db, org(t, db, "elsewhere"), "x@elsewhere.example", "X", store.RoleAdmin)
		mc, err := db.Scoped(a.ID).MemberCounts(ctx)
		if err != nil || mc != (store.MemberCounts{Active: 1, Invited: 1, Deactivated: 1}) {
			t.Errorf("member counts %+v %v", mc, err)
		}
		empty, err := db.Scoped(org(t, db, "empty-org").ID).MemberCounts(ctx)
		if err != nil || empty != (store.MemberCounts{}) {
			t.Errorf("an empty organization's counts %+v %v", empty, err)
		}

		for i := range 12 {
			if err := db.RegisterOrganization(ctx, registration(fmt.Sprintf("pending-%02d", i), fmt.Sprintf("Pending %02d", i),
				fmt.Sprintf("p%d@pending.example", i), fmt.Sprintf("p%d", i)), store.Actor{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.SQL().Exec("UPDATE organizations SET status = 'suspended' WHERE slug = 'elsewhere'"); err != nil {
			t.Fatal(err)
		}
		pc, err := db.PlatformCounts(ctx)
		want := map[store.OrganizationStatus]int64{store.OrganizationPending: 12, store.OrganizationActive: 2, store.OrganizationSuspended: 1, store.OrganizationRevoked: 0}
		if err != nil || fmt.Sprint(pc.Organizations) != fmt.Sprint(want) || pc.Users != 4+12 {
			t.Errorf("platform counts %+v %v", pc, err)
		}
		latest, err := db.LatestPendingRegistrations(ctx, 10)
		if err != nil || len(latest) != 10 || latest[0].Slug != "pending-11" || latest[0].AdminEmail != "p11@pending.example" ||
			latest[0].AdminEmailVerified || latest[9].Slug != "pending-02" {
			t.Errorf("latest pending: %d %v", len(latest), err)
		}
	})
}

func TestMonthOf(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ now, start, prevStart, prevSame string }{
		{"2025-03-10T12:00:00Z", "2025-03-01T00:00:00Z", "2025-02-01T00:00:00Z", "2025-02-10T12:00:00Z"},
		// Late in a long month, last month's stretch stops at its end.
		{"2025-03-31T12:00:00Z", "2025-03-01T00:00:00Z", "2025-02-01T00:00:00Z", "2025-03-01T00:00:00Z"},
		{"2026-01-15T00:00:00+02:00", "2026-01-01T00:00:00Z", "2025-12-01T00:00:00Z", "2025-12-14T22:00:00Z"},
	} {
		m := store.MonthOf(at(c.now))
		if !m.Start.Equal(at(c.start)) || !m.PrevStart.Equal(at(c.prevStart)) || !m.PrevSame.Equal(at(c.prevSame)) {
			t.Errorf("MonthOf(%s) = %+v", c.now, m)
		}
	}
}

// The organization's dashboard counts its own credentials and
// verifications this month and in the same stretch of last month, its
// unfinished bulk batches and its setup, and nothing of another
// organization.
func TestOrgDashboard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g := store.Gorm(db)
		f := credentialsFixture(t, db, 3) // A: three issued on 1 March 2025; B: one
		now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
		mk := func(org *store.Organization, tpl *store.CredentialTemplate, id string, status store.CredentialStatus, at *time.Time) *store.Credential {
			c := &store.Credential{PublicID: id, SchemaID: tpl.SchemaID, TemplateID: &tpl.ID, IssuerID: org.ID,
				RecipientAddress: id + "@example.org", Status: status, IssuedAt: at}
			if err := g.Create(c).Error; err != nil {
				t.Fatal(err)
			}
			return c
		}
		day := func(m time.Month, d int) *time.Time { v := time.Date(2025, m, d, 9, 0, 0, 0, time.UTC); return &v }
		mk(f.a, f.tplA, "feb-5", store.CredentialActive, day(2, 5))      // last month, within the stretch
		mk(f.a, f.tplA, "feb-20", store.CredentialSuspended, day(2, 20)) // last month, after the stretch
		mk(f.a, f.tplA, "draft", store.CredentialDraft, nil)             // never issued
		mk(f.a, f.tplA, "later", store.CredentialActive, day(3, 11))     // after now
		mk(f.b, f.tplB, "bravo-feb", store.CredentialActive, day(2, 3))  // another organization's
		logAt := func(org *store.Organization, c *store.Credential, at *time.Time) {
			l := &store.VerificationLog{OrganizationID: &org.ID, CredentialID: &c.ID, VerificationMethod: store.VerifiedByWebInterface, VerifiedAt: *at}
			if err := g.Create(l).Error; err != nil {
				t.Fatal(err)
			}
		}
		logAt(f.a, f.creds[0], day(3, 2))
		logAt(f.a, f.creds[1], day(3, 9))
		logAt(f.a, f.creds[1], day(2, 9))
		logAt(f.a, f.creds[1], day(2, 11))
		logAt(f.b, f.creds[0], day(3, 3)) // (B's row, whatever it points at)

		sa, sb := db.Scoped(f.a.ID), db.Scoped(f.b.ID)
		newBatch(t, sa, f.tplA, 2, 0)
		gone := newBatch(t, sa, f.tplA, 1, 0)
		if _, err := sa.CancelBatch(ctx, gone.ID, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		newBatch(t, sb, f.tplB, 1, 0)
		newBatch(t, sb, f.tplB, 1, 0)
		member(t, db, f.a, "admin@alpha.example", "Admin", store.RoleAdmin)

		d, err := sa.Dashboard(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if d.Issued != 3 || d.IssuedBefore != 1 || d.Verified != 2 || d.VerifiedBefore != 1 {
			t.Errorf("A's month: issued %d (last month %d), verified %d (last month %d); want 3 (1), 2 (1)",
				d.Issued, d.IssuedBefore, d.Verified, d.VerifiedBefore)
		}
		if d.PendingBatchCount != 1 || len(d.PendingBatches) != 1 || d.PendingBatches[0].Template == nil || d.PendingBatches[0].Template.Name != "BSc" {
			t.Errorf("A's pending batches: %d %+v", d.PendingBatchCount, d.PendingBatches)
		}
		if len(d.RecentVerifications) != 4 || d.RecentVerifications[0].PublicID == nil || *d.RecentVerifications[0].PublicID != f.creds[1].PublicID {
			t.Errorf("A's recent verifications: %d", len(d.RecentVerifications))
		}
		for _, v := range d.RecentVerifications {
			if *v.OrganizationID != f.a.ID {
				t.Errorf("another organization's verification on A's dashboard")
			}
		}
		want := store.Setup{Schemas: 2, Templates: 2, Credentials: 6, Members: 1}
		if d.Setup != want {
			t.Errorf("A's setup %+v, want %+v", d.Setup, want)
		}

		db2, err := sb.Dashboard(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if db2.Issued != 1 || db2.IssuedBefore != 1 || db2.Verified != 1 || db2.VerifiedBefore != 0 || db2.PendingBatchCount != 2 ||
			db2.Setup != (store.Setup{Schemas: 1, Templates: 1, Credentials: 2}) {
			t.Errorf("B's dashboard %+v", db2)
		}
	})
}

// A person's received credentials: linked to their account, or addressed
// to their email once they confirmed it; never another person's.
func TestReceivedCredentials(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g := store.Gorm(db)
		f := credentialsFixture(t, db, 2) // A's to person-0@, person-1@example.org; B's to person-0@
		holder := member(t, db, f.a, "person-0@example.org", "Person", store.RoleRecipient)
		got, err := db.Account(holder.ID).ReceivedCredentials(ctx, 10)
		if err != nil || len(got) != 2 || got[1].PublicID != f.creds[0].PublicID || got[1].IssuerName != f.a.Name ||
			got[0].IssuerName != f.b.Name || got[1].TemplateName == nil || *got[1].TemplateName != "BSc" {
			t.Errorf("received by a confirmed address: %+v %v", got, err)
		}
		if err := g.Model(&store.User{}).Where("id = ?", holder.ID).Update("email_verified", false).Error; err != nil {
			t.Fatal(err)
		}
		if got, err := db.Account(holder.ID).ReceivedCredentials(ctx, 10); err != nil || len(got) != 0 {
			t.Errorf("an unconfirmed address found %d credentials (%v)", len(got), err)
		}
		if err := g.Model(&store.Credential{}).Where("id = ?", f.creds[1].ID).Update("recipient_user_id", holder.ID).Error; err != nil {
			t.Fatal(err)
		}
		if got, err := db.Account(holder.ID).ReceivedCredentials(ctx, 10); err != nil || len(got) != 1 || got[0].PublicID != f.creds[1].PublicID {
			t.Errorf("linked to the account: %+v %v", got, err)
		}
	})
}
