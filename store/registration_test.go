package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// registration builds a registration of slug with an admin at email.
func registration(slug, name, email, token string) store.Registration {
	hash := "$2a$12$not.a.real.hash.but.a.password.is.set.here.for.tests...."
	domain := slug + ".example"
	return store.Registration{
		Organization: &store.Organization{Name: name, Slug: slug, Type: store.OrganizationEducational, Domain: &domain,
			DID: "did:web:example.org:orgs:" + slug},
		Admin: &store.User{Email: email, PasswordHash: &hash,
			Profile: datatypes.NewJSONType(store.UserProfile{DisplayName: "Ada"})},
		Confirmation: link(token, 24*time.Hour),
	}
}

func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRegisterOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		operator := member(t, db, org(t, db, "platform-home"), "ops@example.org", "Ops", store.RoleAdmin)
		if _, err := db.SQL().Exec("UPDATE users SET role = 'super_admin', organization_id = NULL WHERE id = "+placeholder(db, 1), operator.ID); err != nil {
			t.Fatal(err)
		}
		r := registration("uni-of-x", "University of X", "Ada@Uni-X.example", "tok-1")
		if err := db.RegisterOrganization(ctx, r, store.Actor{IP: "192.0.2.9"}); err != nil {
			t.Fatal(err)
		}
		o, err := db.OrganizationBySlug(ctx, "uni-of-x")
		if err != nil || o.Status != store.OrganizationPending || o.Verified || *o.Domain != "uni-of-x.example" {
			t.Fatalf("organization: %+v %v", o, err)
		}
		u, err := db.UserByEmail(ctx, "ada@uni-x.example")
		if err != nil || u.Role != store.RoleAdmin || u.EmailVerified || *u.OrganizationID != o.ID || u.PasswordHash == nil {
			t.Fatalf("admin: %+v %v", u, err)
		}
		if n := auditCount(t, db, "organization.registered", o.ID); n != 1 {
			t.Errorf("registration audited %d times", n)
		}
		var note store.Notification
		if err := store.Gorm(db).First(&note, "user_id = ?", operator.ID).Error; err != nil ||
			note.Type != store.NotifySystemAlert || note.Metadata.Data().Link != store.PendingRegistrationsLink {
			t.Errorf("operator notification: %+v %v", note, err)
		}

		// Duplicates, alone and together; nothing is half-created.
		before := [3]int{count(t, db, "organizations"), count(t, db, "users"), count(t, db, "user_tokens")}
		for _, c := range []struct {
			slug, name, email string
			want              []error
		}{
			{"uni-of-x", "Another", "b@b.example", []error{store.ErrSlugTaken}},
			{"another", "UNIVERSITY OF X", "b@b.example", []error{store.ErrNameTaken}},
			{"another", "Another", "ADA@uni-x.example", []error{store.ErrEmailTaken}},
			{"uni-of-x", "university of x", "ada@uni-x.example", []error{store.ErrSlugTaken, store.ErrNameTaken, store.ErrEmailTaken}},
		} {
			err := db.RegisterOrganization(ctx, registration(c.slug, c.name, c.email, "tok-dup"), store.Actor{})
			for _, e := range []error{store.ErrSlugTaken, store.ErrNameTaken, store.ErrEmailTaken} {
				if errors.Is(err, e) != slices.Contains(c.want, e) {
					t.Errorf("%s/%s/%s: %v, want %v", c.slug, c.name, c.email, err, c.want)
				}
			}
		}
		if after := [3]int{count(t, db, "organizations"), count(t, db, "users"), count(t, db, "user_tokens")}; after != before {
			t.Errorf("refused registrations left rows: %v → %v", before, after)
		}
	})
}

// Many registrations of one slug at once: exactly one wins, every other
// is told the slug is taken, and no other row is left behind. The same
// for one email under different slugs.
func TestRegistrationRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 8
		for _, c := range []struct {
			name string
			reg  func(i int) store.Registration
			want error
		}{
			{"same slug", func(i int) store.Registration {
				return registration("contested", fmt.Sprintf("Contender %d", i), fmt.Sprintf("c%d@x.example", i), fmt.Sprintf("s%d", i))
			}, store.ErrSlugTaken},
			{"same email", func(i int) store.Registration {
				return registration(fmt.Sprintf("org-%d", i), fmt.Sprintf("Org %d", i), "same@x.example", fmt.Sprintf("e%d", i))
			}, store.ErrEmailTaken},
		} {
			t.Run(c.name, func(t *testing.T) {
				orgsBefore := count(t, db, "organizations")
				var wg sync.WaitGroup
				errs := make([]error, n)
				start := make(chan struct{})
				for i := range n {
					wg.Go(func() {
						<-start
						errs[i] = db.RegisterOrganization(ctx, c.reg(i), store.Actor{})
					})
				}
				close(start)
				wg.Wait()
				won := 0
				for i, err := range errs {
					switch {
					case err == nil:
						won++
					case !errors.Is(err, c.want):
						t.Errorf("registration %d: %v, want %v", i, err, c.want)
					}
				}
				if won != 1 {
					t.Fatalf("%d registrations won, want exactly 1", won)
				}
				if got := count(t, db, "organizations") - orgsBefore; got != 1 {
					t.Errorf("%d organizations created, want 1", got)
				}
			})
		}
		if users, tokens := count(t, db, "users"), count(t, db, "user_tokens"); users != 2 || tokens != 2 {
			t.Errorf("%d users and %d tokens after two races, want 2 and 2", users, tokens)
		}
	})
}

func TestConfirmEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := registration("confirm-me", "Confirm Me", "ada@confirm.example", "first")
		if err := db.RegisterOrganization(ctx, r, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		// Unknown, and the right token for another purpose, are refused.
		if _, err := db.ConfirmEmail(ctx, link("nope", time.Hour).TokenHash, now, store.Actor{}); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("unknown token: %v", err)
		}
		if _, err := db.UserToken(ctx, store.TokenPasswordReset, link("first", 0).TokenHash, now); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("a confirmation link used as a reset link: %v", err)
		}
		// A new link replaces the first.
		acct := db.Account(r.Admin.ID)
		if _, err := acct.RenewEmailConfirmation(ctx, link("second", 24*time.Hour), store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ConfirmEmail(ctx, link("first", 0).TokenHash, now, store.Actor{}); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("the replaced link: %v", err)
		}
		// Expired.
		if _, err := db.ConfirmEmail(ctx, link("second", 0).TokenHash, now.Add(25*time.Hour), store.Actor{}); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("an expired link: %v", err)
		}
		// Works once, even when two requests race.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = db.ConfirmEmail(ctx, link("second", 0).TokenHash, now, store.Actor{IP: "192.0.2.7"})
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrTokenInvalid):
				t.Errorf("racing confirmation: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d confirmations succeeded, want 1", ok)
		}
		u, _ := db.UserByID(ctx, r.Admin.ID)
		if !u.EmailVerified || auditCount(t, db, "email.confirmed", u.ID) != 1 {
			t.Errorf("after confirming: verified %v, audited %d", u.EmailVerified, auditCount(t, db, "email.confirmed", u.ID))
		}
		if _, err := acct.RenewEmailConfirmation(ctx, link("third", time.Hour), store.Actor{}); !errors.Is(err, store.ErrEmailVerified) {
			t.Errorf("a new link for a confirmed address: %v", err)
		}
	})
}
