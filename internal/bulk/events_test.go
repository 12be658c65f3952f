package bulk

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// A batch worked by two runs at once, then run again (a retry, a rescue)
// publishes one credential.issued per valid row, with its batch, and
// bulk_batch.completed exactly once with the batch's figures.
func TestBulkIssuePublishesEventsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newBulkFixture(t, db)
		q, err := jobs.New(db, storetest.Logger(t), jobs.NewWorkers())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = q.Stop(context.Background()) })
		f.is.Events = q
		const valid, invalid = 12, 1
		b := f.importBatch(t, f.tpl, bulkCSV(valid, invalid, studentEmail), false)
		job := Job{BatchID: b.ID, OrganizationID: f.org.ID}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() { _, errs[i] = f.worker(t).Run(context.Background(), job) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if done, err := f.worker(t).Run(context.Background(), job); err != nil || !done {
				t.Fatalf("run after completion: %v %v", done, err)
			}
		}
		f.checkIssuedOnce(t, b.ID, valid, invalid)

		all, err := events.Pending(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		issued := map[string]int{}
		var completed []events.Event
		for _, e := range all {
			switch e.Type {
			case events.CredentialIssued:
				var p events.Issued
				if err := json.Unmarshal(e.Data, &p); err != nil || p.BatchID != b.ID || p.Via != "system" {
					t.Errorf("credential.issued %s (%v)", e.Data, err)
				}
				issued[p.Credential.ID]++
			case events.BulkBatchCompleted:
				completed = append(completed, e)
			}
		}
		if len(issued) != valid {
			t.Errorf("credential.issued for %d credentials, want %d", len(issued), valid)
		}
		for id, n := range issued {
			if n != 1 {
				t.Errorf("credential %s: %d credential.issued events", id, n)
			}
		}
		if len(completed) != 1 {
			t.Fatalf("%d bulk_batch.completed events, want 1", len(completed))
		}
		var p events.BatchCompleted
		if err := json.Unmarshal(completed[0].Data, &p); err != nil {
			t.Fatal(err)
		}
		if completed[0].OrganizationID != f.org.ID || p.BatchID != b.ID || p.FileName != "students.csv" || p.Total != valid+invalid ||
			p.Issued != valid || p.Failed != 0 || p.CompletedAt.IsZero() {
			t.Errorf("bulk_batch.completed %+v", p)
		}
	})
}
