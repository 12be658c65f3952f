package approval_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// BenchmarkBatchFinalApproval times the final approval of a 1,000-row
// batch until every row is signed and active (the decision, then the
// signing job's runs, 100 rows a transaction), on each dialect:
//
//	go test -p 1 -run '^$' -bench BatchFinalApproval -benchtime 1x ./internal/approval/
//
// Its ceiling, measured in the same run on the same database: issuing the
// same 1,000 rows without approval (issuance.IssueMany, the bulk path's
// SubmitBatch, 500 a transaction). Signing after the approval does that
// work plus reading the stored documents back (decrypt, parse), the
// evidence, and one conditional UPDATE per row (each row's signed data
// differs; the plain path's rows are multi-row INSERTs): it must stay
// under 5 times that. Measured 2026-12-08: 1.75× (PostgreSQL) and 1.81×
// (SQLite) at load average 16–19, where signing dominates both; 3.16×
// and 3.76× at load average 8, where the per-row UPDATEs show. A chunk
// activated one transaction per row would be far above the ceiling. Each run checks that every row is active, once.
func BenchmarkBatchFinalApproval(b *testing.B) {
	const rows, ceiling = 1000, 5.0
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, d)
			f := setup(b, db, "https://creds.example.org")
			// The ceiling: the same rows issued without approval.
			if _, err := db.SQL().Exec(rebind(db, "UPDATE multisig_requirements SET active = ?"), false); err != nil {
				b.Fatal(err)
			}
			reqs := make([]issuance.Request, rows)
			for i := range reqs {
				reqs[i] = issuance.Request{Template: f.tpl, RecipientName: fmt.Sprintf("Student %d", i+1),
					RecipientAddress: fmt.Sprintf("plain%d@example.org", i+1), Data: map[string]any{"degree": "Maths"}}
			}
			start := time.Now()
			if out, err := f.is.IssueMany(ctx, f.sc, reqs, store.Actor{}); err != nil || len(out) != rows {
				b.Fatalf("issue without approval: %d %v", len(out), err)
			}
			plain := time.Since(start)
			if _, err := db.SQL().Exec(rebind(db, "UPDATE multisig_requirements SET active = ?"), true); err != nil {
				b.Fatal(err)
			}
			var total time.Duration
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				batch, req := f.batch(b, rows)
				for _, u := range f.reviewers[:2] {
					if _, err := f.sc.ViewBatchSample(ctx, req.ID, u.ID); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := f.svc.Approve(ctx, f.sc, req.ID, f.reviewers[0].ID, actor(f.reviewers[0])); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				began := time.Now()
				d, err := f.svc.Approve(ctx, f.sc, req.ID, f.reviewers[1].ID, actor(f.reviewers[1]))
				if err != nil || !d.Final {
					b.Fatalf("final approval: %+v %v", d, err)
				}
				signed := 0
				for done := false; !done; {
					var n int
					if done, n, err = f.svc.SignBatch(ctx, f.org.ID, req.ID, 100, 8*time.Second); err != nil {
						b.Fatal(err)
					}
					signed += n
				}
				total += time.Since(began)
				b.StopTimer()
				if got := f.credentialStatuses(b, batch.ID); signed != rows || got[store.CredentialActive] != rows || len(got) != 1 {
					b.Fatalf("%d signed, batch credentials %v: want %d active", signed, got, rows)
				}
				b.StartTimer()
			}
			per := total / time.Duration(b.N)
			ratio := float64(per) / float64(plain)
			b.ReportMetric(float64(per.Milliseconds()), "ms/batch")
			b.ReportMetric(float64(plain.Milliseconds()), "ms-plain-issue")
			b.ReportMetric(ratio, "x-plain")
			b.Logf("%s: final approval of %d rows until all signed %s (%.0f rows/s); the same rows issued without approval %s; ratio %.2f (ceiling %.1f)",
				d, rows, per.Round(time.Millisecond), float64(rows)/per.Seconds(), plain.Round(time.Millisecond), ratio, ceiling)
			if ratio > ceiling {
				b.Errorf("signing an approved batch took %.2f× issuing it without approval (ceiling %.1f×)", ratio, ceiling)
			}
		})
	}
}
