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
