package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// An id is the canonical lower-case UUID the store makes, and nothing else:
// any other spelling of an existing id (upper case, braces, a urn, no
// hyphens) is not found, on both dialects and on every lookup, rather than
// found on PostgreSQL only, or an error where PostgreSQL cannot read it.
func TestLookupsTakeOnlyCanonicalIDs(t *testing.T) {
	spellings := map[string]func(string) string{
		"upper case": strings.ToUpper,
		"braces":     func(id string) string { return "{" + id + "}" },
		"urn":        func(id string) string { return "urn:uuid:" + id },
		"no hyphens": func(id string) string { return strings.ReplaceAll(id, "-", "") },
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newAccountFixture(t, db)
		s := f.session(t, f.alice, "tok-canonical")
		if _, err := db.Notify(ctx, []string{f.alice.ID}, store.Notification{Type: store.NotifyCredentialIssued, Title: "t", Message: "m"}); err != nil {
			t.Fatal(err)
		}
		notes, err := db.Account(f.alice.ID).Notifications(ctx, store.NotificationFilter{})
		if err != nil || len(notes.Notifications) != 1 {
			t.Fatalf("notifications: %v %v", notes, err)
		}
		lookups := []struct {
			name string
			id   string
			get  func(id string) error
		}{
			{"Account.Session", s.ID, func(id string) error { _, err := db.Account(f.alice.ID).Session(ctx, id); return err }},
			{"Account.Notification", notes.Notifications[0].ID, func(id string) error { _, err := db.Account(f.alice.ID).Notification(ctx, id); return err }},
			{"Scoped.Member", f.bob.ID, func(id string) error { _, err := db.Scoped(f.org.ID).Member(ctx, id); return err }},
			{"DB.OrganizationEntry", f.org.ID, func(id string) error { _, err := db.OrganizationEntry(ctx, id); return err }},
		}
		for _, l := range lookups {
			if err := l.get(l.id); err != nil {
				t.Fatalf("%s(%s), the canonical id: %v", l.name, l.id, err)
			}
			for how, spell := range spellings {
				if err := l.get(spell(l.id)); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s with the id in %s: %v, want ErrNotFound", l.name, how, err)
				}
			}
		}
	})
}
