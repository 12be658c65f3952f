package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// TestStatusListStampFresh: a list's stamp is kept for maxAge, a status
// change made by this process is seen at once, and one made behind its
// back (another server on the same database) once maxAge has passed.
func TestStatusListStampFresh(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := org(t, db, "alpha")
		sa := db.Scoped(a.ID)
		act := actorOf(member(t, db, a, "admin@alpha.example", "Ada Admin", store.RoleAdmin))
		tpl := batchTemplate(t, db, a)
		in := store.Issue{IssuerDID: a.DID, Via: store.ViaWeb}
		var err error
		in.Revocation, in.Suspension, err = sa.ReserveCredentialStatus(ctx, a.DID, "")
		if err != nil {
			t.Fatal(err)
		}
		c := &store.Credential{PublicID: uuid.NewString(), SchemaID: tpl.SchemaID, TemplateID: &tpl.ID, RecipientAddress: "bob@example.com"}
		if err := sa.StoreIssuedCredential(ctx, in, c, act); err != nil {
			t.Fatal(err)
		}
		list := in.Suspension.ListID
		fresh := func(maxAge time.Duration) int {
			t.Helper()
			st, err := db.StatusListStampFresh(ctx, list, maxAge)
			if err != nil {
				t.Fatal(err)
			}
			return st.Version
		}
		v0 := fresh(time.Hour)

		// This process suspends: seen at once, however long the stamp may be kept.
		if _, err := sa.ChangeCredentialStatus(ctx, c.ID, store.ActionSuspend, "", store.ViaWeb, act); err != nil {
			t.Fatal(err)
		}
		if v := fresh(time.Hour); v != v0+1 {
			t.Fatalf("after a suspension here the stamp says version %d, want %d", v, v0+1)
		}

		// Another server changes the list: kept until maxAge has passed.
		q := storetest.Rebind(db.Dialect(), "UPDATE status_lists SET version = version + 1 WHERE id = ?")
		if _, err := db.SQL().ExecContext(ctx, q, list); err != nil {
			t.Fatal(err)
		}
		if v := fresh(time.Hour); v != v0+1 {
			t.Fatalf("within maxAge the stamp says version %d, want the kept %d", v, v0+1)
		}
		if v := fresh(0); v != v0+2 {
			t.Fatalf("past maxAge the stamp says version %d, want %d", v, v0+2)
		}
		if _, err := db.StatusListStampFresh(ctx, uuid.NewString(), time.Hour); err != store.ErrNotFound {
			t.Fatalf("unknown list: %v, want ErrNotFound", err)
		}
	})
}

// TestIssuerDIDStampFresh: a DID stamp is kept for maxAge; a change of the
// organization this process makes is seen at once, one made behind its
// back once maxAge has passed.
func TestIssuerDIDStampFresh(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := org(t, db, "alpha")
		fresh := func(maxAge time.Duration) store.OrganizationStatus {
			t.Helper()
			st, err := db.IssuerDIDStampFresh(ctx, "alpha", maxAge)
			if err != nil {
				t.Fatal(err)
			}
			return st.Status
		}
		if s := fresh(time.Hour); s != store.OrganizationActive {
			t.Fatalf("status %s", s)
		}
		if _, err := db.ChangeOrganizationStatus(ctx, a.ID, store.SuspendOrganization, "fraud", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if s := fresh(time.Hour); s != store.OrganizationSuspended {
			t.Fatalf("after a suspension here the stamp says %s", s)
		}
		q := storetest.Rebind(db.Dialect(), "UPDATE organizations SET status = 'revoked' WHERE id = ?")
		if _, err := db.SQL().ExecContext(ctx, q, a.ID); err != nil {
			t.Fatal(err)
		}
		if s := fresh(time.Hour); s != store.OrganizationSuspended {
			t.Fatalf("within maxAge the stamp says %s, want the kept suspended", s)
		}
		if s := fresh(0); s != store.OrganizationRevoked {
			t.Fatalf("past maxAge the stamp says %s, want revoked", s)
		}
	})
}
