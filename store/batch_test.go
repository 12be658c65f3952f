package store_test

import (
	"context"
	"errors"
	"testing"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// batchTemplate seeds an active schema and template (and an inactive
// template) for an organization.
func batchTemplate(t *testing.T, db *store.DB, org *store.Organization) *store.CredentialTemplate {
	t.Helper()
	var tpl *store.CredentialTemplate
	create := func(v any) error { return store.Gorm(db).Create(v).Error }
	err := func() error {
		cs := &store.CredentialSchema{Name: "Degree", Version: "1", OrganizationID: org.ID, Active: true,
			Fields: datatypes.NewJSONSlice([]store.SchemaField{{Name: "degree", Label: "Degree", Type: store.SchemaFieldText, Required: true}})}
		if err := create(cs); err != nil {
			return err
		}
		tpl = &store.CredentialTemplate{Name: "BSc", OrganizationID: org.ID, SchemaID: cs.ID, Active: true}
		if err := create(tpl); err != nil {
			return err
		}
		return create(&store.CredentialTemplate{Name: "Old", OrganizationID: org.ID, SchemaID: cs.ID, Active: false})
	}()
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func newBatch(t *testing.T, sc *store.Scoped, tpl *store.CredentialTemplate, valid, invalid int) *store.IssuanceBatch {
	t.Helper()
	var rows []store.IssuanceBatchRow
	for i := range valid + invalid {
		r := store.IssuanceBatchRow{RowNumber: i + 1, DataEncrypted: []byte("sealed")}
		if i >= valid {
			msg := "Email: is required"
			r.Error = &msg
		}
		rows = append(rows, r)
	}
	b := &store.IssuanceBatch{TemplateID: &tpl.ID}
	if err := sc.CreateBatch(context.Background(), b, rows, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBatchLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := newOrg(t, db, "alpha", store.OrganizationActive), newOrg(t, db, "bravo", store.OrganizationActive)
		sa, sb := db.Scoped(a.ID), db.Scoped(b.ID)
		tpl := batchTemplate(t, db, a)
		if ts, err := sa.IssuableTemplates(ctx); err != nil || len(ts) != 1 || ts[0].ID != tpl.ID || ts[0].Schema == nil {
			t.Fatalf("issuable templates %v %v", ts, err)
		}
		if _, err := sb.IssuableTemplate(ctx, tpl.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("org B sees A's template: %v", err)
		}
		// A batch cannot use another organization's template.
		if err := sb.CreateBatch(ctx, &store.IssuanceBatch{TemplateID: &tpl.ID}, nil, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("batch on A's template from B: %v", err)
		}

		batch := newBatch(t, sa, tpl, 3, 1)
		got, err := sa.Batch(ctx, batch.ID)
		if err != nil || got.Status != store.BatchValidated || got.TotalRows != 4 || got.InvalidRows != 1 || got.Template.Schema == nil {
			t.Fatalf("batch %+v %v", got, err)
		}
		rows, err := sa.BatchRows(ctx, batch.ID)
		if err != nil || len(rows) != 4 || rows[0].Status != store.RowPending || rows[3].Status != store.RowInvalid {
			t.Fatalf("rows %+v %v", rows, err)
		}

		// Org B's handle gets ErrNotFound for every read and change.
		notFound := map[string]error{}
		_, notFound["Batch"] = sb.Batch(ctx, batch.ID)
		_, notFound["BatchRows"] = sb.BatchRows(ctx, batch.ID)
		_, notFound["PendingBatchRows"] = sb.PendingBatchRows(ctx, batch.ID, 0, 10)
		_, notFound["RemapBatch"] = sb.RemapBatch(ctx, batch.ID, nil, nil, store.Actor{})
		_, notFound["QueueBatch"] = sb.QueueBatch(ctx, batch.ID, false, store.Actor{})
		_, notFound["StartBatch"] = sb.StartBatch(ctx, batch.ID)
		notFound["FailBatchRow"] = sb.FailBatchRow(ctx, batch.ID, rows[0].ID, "x")
		_, notFound["CompleteBatch"] = sb.CompleteBatch(ctx, batch.ID, nil)
		_, notFound["CancelBatch"] = sb.CancelBatch(ctx, batch.ID, store.Actor{})
		_, notFound["Batch(malformed)"] = sa.Batch(ctx, "nope")
		for name, err := range notFound {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s through org B: %v, want ErrNotFound", name, err)
			}
		}
		if bs, err := sb.Batches(ctx, 10); err != nil || len(bs) != 0 {
			t.Fatalf("org B lists %d batches", len(bs))
		}

		// Remap: every row valid now.
		if _, err := sa.RemapBatch(ctx, batch.ID, map[string]string{"degree": "Degree"},
			[]store.RowCheck{{ID: rows[3].ID}}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if got, _ := sa.Batch(ctx, batch.ID); got.InvalidRows != 0 || got.ColumnMapping.Data()["degree"] != "Degree" {
			t.Fatalf("after remap %+v", got)
		}

		// Queue: in InTx, a failing enqueue rolls the status back.
		boom := errors.New("queue down")
		if err := sa.InTx(ctx, func(tx *store.Scoped) error {
			if _, err := tx.QueueBatch(ctx, batch.ID, true, store.Actor{}); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("queue with a failing enqueue: %v", err)
		}
		if got, _ := sa.Batch(ctx, batch.ID); got.Status != store.BatchValidated {
			t.Fatalf("status %s after a failed enqueue", got.Status)
		}
		if _, err := sa.QueueBatch(ctx, batch.ID, true, store.Actor{}); err != nil {
			t.Fatalf("queue: %v", err)
		}
		if _, err := sa.QueueBatch(ctx, batch.ID, true, store.Actor{}); !errors.Is(err, store.ErrBatchState) {
			t.Fatalf("queued twice: %v", err)
		}
		if _, err := sa.RemapBatch(ctx, batch.ID, nil, nil, store.Actor{}); !errors.Is(err, store.ErrBatchState) {
			t.Fatalf("remap after queueing: %v", err)
		}

		started, err := sa.StartBatch(ctx, batch.ID)
		if err != nil || started.Status != store.BatchRunning || started.StartedAt == nil || !started.SendEmail {
			t.Fatalf("start %+v %v", started, err)
		}
		pending, err := sa.PendingBatchRows(ctx, batch.ID, 0, 2)
		if err != nil || len(pending) != 2 || pending[0].RowNumber != 1 || pending[1].RowNumber != 2 {
			t.Fatalf("pending %+v %v", pending, err)
		}
		if err := sa.FailBatchRow(ctx, batch.ID, pending[0].ID, "signing failed"); err != nil {
			t.Fatal(err)
		}
		if err := sa.FailBatchRow(ctx, batch.ID, pending[0].ID, "again"); !errors.Is(err, store.ErrRowDone) {
			t.Fatalf("failing a failed row: %v", err)
		}
		if done, err := sa.CompleteBatch(ctx, batch.ID, nil); err != nil || done {
			t.Fatalf("completed with pending rows: %v %v", done, err)
		}
		for _, r := range []string{rows[1].ID, rows[2].ID, rows[3].ID} {
			if err := sa.FailBatchRow(ctx, batch.ID, r, "x"); err != nil {
				t.Fatal(err)
			}
		}
		// What runs with the completion (its event) fails: nothing is
		// completed. Then it runs once, only in the call that completes.
		unrecorded := errors.New("the event could not be recorded")
		if _, err := sa.CompleteBatch(ctx, batch.ID, func(*store.Scoped, *store.IssuanceBatch) error { return unrecorded }); !errors.Is(err, unrecorded) {
			t.Fatalf("completion whose then failed: %v", err)
		}
		if got, _ = sa.Batch(ctx, batch.ID); got.Status != store.BatchRunning || got.CompletedAt != nil {
			t.Fatalf("completed although its then failed: %+v", got)
		}
		thens := 0
		then := func(tx *store.Scoped, b *store.IssuanceBatch) error {
			thens++
			if _, err := tx.SQLTx(); err != nil || tx.OrganizationID() != a.ID || b.Status != store.BatchCompleted || b.CompletedAt == nil || b.FailedCount != 4 {
				t.Errorf("then got %+v (in a transaction: %v)", b, err)
			}
			return nil
		}
		for range 2 {
			if done, err := sa.CompleteBatch(ctx, batch.ID, then); err != nil || !done {
				t.Fatalf("not completed without pending rows: %v %v", done, err)
			}
		}
		if thens != 1 {
			t.Errorf("then ran %d times, want once", thens)
		}
		got, _ = sa.Batch(ctx, batch.ID)
		if got.Status != store.BatchCompleted || got.CompletedAt == nil || got.FailedCount != 4 {
			t.Fatalf("completed batch %+v", got)
		}
		if _, err := sa.CancelBatch(ctx, batch.ID, store.Actor{}); !errors.Is(err, store.ErrBatchState) {
			t.Fatalf("cancel a completed batch: %v", err)
		}

		// Cancel a queued batch: its rows stay pending.
		second := newBatch(t, sa, tpl, 2, 0)
		if _, err := sa.QueueBatch(ctx, second.ID, false, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if c, err := sa.CancelBatch(ctx, second.ID, store.Actor{}); err != nil || c.Status != store.BatchCancelled {
			t.Fatalf("cancel %+v %v", c, err)
		}
		if s, err := sa.StartBatch(ctx, second.ID); err != nil || s.Status != store.BatchCancelled {
			t.Fatalf("a cancelled batch started: %+v %v", s, err)
		}
		if p, _ := sa.PendingBatchRows(ctx, second.ID, 0, 10); len(p) != 2 {
			t.Fatalf("%d rows pending after cancel, want 2", len(p))
		}
		if bs, err := sa.Batches(ctx, 10); err != nil || len(bs) != 2 || bs[0].ID != second.ID {
			t.Fatalf("batches %v %v", bs, err)
		}
		for _, action := range []string{"batch.created", "batch.remapped", "batch.queued", "batch.completed", "batch.cancelled"} {
			if n := auditCount(t, db, action, batch.ID) + auditCount(t, db, action, second.ID); n == 0 {
				t.Errorf("no %s audit entry", action)
			}
		}
	})
}

func TestCredentialEmailAllowed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var u *store.User
		err := db.Seed(ctx, func(create func(any) error) error {
			u = &store.User{Email: "optout@example.org", Role: store.RoleRecipient}
			if err := create(u); err != nil {
				return err
			}
			return create(&store.NotificationPreference{UserID: u.ID, NotificationType: store.NotifyCredentialIssued, EmailEnabled: false})
		})
		if err != nil {
			t.Fatal(err)
		}
		for email, want := range map[string]bool{"optout@example.org": false, "OptOut@Example.org": false, "other@example.org": true} {
			if got, err := db.CredentialEmailAllowed(ctx, email); err != nil || got != want {
				t.Errorf("%s: %v %v, want %v", email, got, err, want)
			}
		}
	})
}

// DataRefused on the real drivers: what the database refuses for the data
// (CHECK, NOT NULL, on PostgreSQL a NUL or a value too long) is told from a
// unique violation, which a concurrent writer may cause.
func TestDataRefused(t *testing.T) {
	type refusal struct {
		name, sql string
		arg       any
		want      bool
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := store.Gorm(db)
		if err := g.Exec(`CREATE TABLE refused_test (id INTEGER PRIMARY KEY, name VARCHAR(5) NOT NULL CHECK (name <> 'bad'))`).Error; err != nil {
			t.Fatal(err)
		}
		if err := g.Exec(`INSERT INTO refused_test (id, name) VALUES (1, 'ok')`).Error; err != nil {
			t.Fatal(err)
		}
		cases := []refusal{
			{"check", `INSERT INTO refused_test (id, name) VALUES (2, ?)`, "bad", true},
			{"not null", `INSERT INTO refused_test (id, name) VALUES (3, ?)`, nil, true},
			{"unique", `INSERT INTO refused_test (id, name) VALUES (1, ?)`, "dup", false},
		}
		if db.Dialect() == store.Postgres {
			cases = append(cases,
				refusal{"NUL", `INSERT INTO refused_test (id, name) VALUES (4, ?)`, "a\x00b", true},
				refusal{"too long", `INSERT INTO refused_test (id, name) VALUES (5, ?)`, "longer", true})
		}
		for _, c := range cases {
			err := g.Exec(c.sql, c.arg).Error
			if err == nil || store.DataRefused(err) != c.want {
				t.Errorf("%s: %v, DataRefused %v", c.name, err, store.DataRefused(err))
			}
		}
	})
}
