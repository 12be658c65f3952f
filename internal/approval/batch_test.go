package approval_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/approval"
	"github.com/trustcred/trustcred/internal/bulk"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/interoptest"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// batch uploads a CSV of n valid rows (and one invalid) as the issuer,
// queues it and runs the bulk job to its end: the rows under the
// requirement are stored pending and the batch becomes one request.
func (f *fixture) batch(t testing.TB, n int) (*store.IssuanceBatch, *store.ApprovalRequest) {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("recipient_name,recipient_email,degree\n")
	for i := range n {
		fmt.Fprintf(&b, "Student %d,student%d@example.org,Degree %d\n", i+1, i+1, i+1)
	}
	b.WriteString("No Email,,Physics\n")
	tab, err := bulk.Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	batch, err := bulk.Import(ctx, f.sc, f.is.Keys, f.tpl, "graduates.csv", tab, actor(f.issuer))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bulk.Queue(ctx, f.sc, f.jobs, batch.ID, true, actor(f.issuer)); err != nil {
		t.Fatal(err)
	}
	w := &bulk.Worker{DB: f.db, Issuer: f.is, Log: storetest.Logger(t), Budget: time.Hour}
	if done, err := w.Run(ctx, bulk.Job{BatchID: batch.ID, OrganizationID: f.org.ID}); err != nil || !done {
		t.Fatalf("bulk run: done %v, %v", done, err)
	}
	st, err := f.sc.BatchApprovalOf(ctx, batch.ID)
	if err != nil {
		t.Fatalf("no request for the batch: %v", err)
	}
	return batch, st.Request
}

// rebind writes ? as PostgreSQL's $n when db is PostgreSQL.
func rebind(db *store.DB, q string) string {
	if db.Dialect() != store.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (f *fixture) credentialStatuses(t testing.TB, batchID string) map[store.CredentialStatus]int {
	t.Helper()
	rows, err := f.db.SQL().Query(rebind(f.db, "SELECT c.status, count(*) FROM issuance_batch_rows r JOIN credentials c ON c.id = r.credential_id WHERE r.batch_id = ? GROUP BY c.status"), batchID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[store.CredentialStatus]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[store.CredentialStatus(s)] = n
	}
	return out
}

// moreReviewers adds n reviewers to the organization.
func (f *fixture) moreReviewers(t testing.TB, n int) []*store.User {
	t.Helper()
	hash := "$2a$12$not.a.real.hash.but.a.password.is.set.here.for.tests...."
	var out []*store.User
	for i := range n {
		u := &store.User{Email: fmt.Sprintf("extra%d@uni.example", i), OrganizationID: &f.org.ID, Role: store.RoleReviewer,
			PasswordHash: &hash, EmailVerified: true}
		if err := f.db.CreateUser(context.Background(), u, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

// A batch under a 2-of-3 rule: its valid rows are stored pending, not
// signed, as ONE request (one approval.requested naming the batch, one
// inbox entry) with a sample of min(n, 10) rows drawn once; an approval
// before opening the sample is refused, the requester never decides,
// after two approvals by people who read the sample ONE approval.decided
// names the batch and its count and ONE signing job is enqueued, which
// signs every row once with the approvals and the sample as evidence.
func TestBatchIsOneRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db, "https://creds.example.org")
		b, req := f.batch(t, 12)
		if got := f.credentialStatuses(t, b.ID); got[store.CredentialPending] != 12 || len(got) != 1 {
			t.Fatalf("batch credentials %v, want 12 pending", got)
		}
		if n := len(published(t, db, events.CredentialIssued)); n != 0 {
			t.Fatalf("%d credential.issued before the approvals", n)
		}
		asked := published(t, db, events.ApprovalRequested)
		var body events.ApprovalAsked
		if len(asked) != 1 || json.Unmarshal(asked[0].Data, &body) != nil || body.Batch == nil || body.Batch.BatchID != b.ID ||
			body.Batch.Count != 12 || body.Batch.Sample != 10 || body.RequestedBy != f.issuer.ID {
			t.Fatalf("approval.requested: %d events, %+v", len(asked), asked)
		}
		inbox, err := f.sc.ApprovalInbox(ctx, store.InboxFilter{}, store.InboxPage{})
		if err != nil || len(inbox.Entries) != 1 || inbox.Entries[0].ID != req.ID {
			t.Fatalf("inbox %+v %v, want the batch's one request", inbox.Entries, err)
		}
		if len(req.SampleRows) != 10 || !slices.IsSorted(req.SampleRows) || slices.Compact(slices.Clone(req.SampleRows))[9] != req.SampleRows[9] {
			t.Fatalf("sample %v: want 10 distinct rows in order", req.SampleRows)
		}
		for _, r := range req.SampleRows {
			if r < 1 || r > 12 {
				t.Fatalf("sampled row %d is not a valid row", r)
			}
		}
		// Every row's credential leads to the batch's request.
		var last string
		if err := db.SQL().QueryRow(rebind(db, "SELECT credential_id FROM issuance_batch_rows WHERE batch_id = ? AND row_number = ?"), b.ID, 12).Scan(&last); err != nil {
			t.Fatal(err)
		}
		if got, err := f.sc.ApprovalRequestFor(ctx, last); err != nil || got.ID != req.ID {
			t.Fatalf("the last row's request: %+v %v", got, err)
		}
		// Approve before reading the sample: refused by the store.
		if _, err := f.svc.Approve(ctx, f.sc, req.ID, f.reviewers[0].ID, actor(f.reviewers[0])); !errors.Is(err, store.ErrSampleNotViewed) {
			t.Fatalf("approval without the sample: %v", err)
		}
		if _, err := f.sc.ViewBatchSample(ctx, req.ID, f.issuer.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Approve(ctx, f.sc, req.ID, f.issuer.ID, actor(f.issuer)); !errors.Is(err, store.ErrOwnRequest) {
			t.Fatalf("the requester approving: %v", err)
		}
		for i, u := range f.reviewers[:2] {
			seen, err := f.sc.ViewBatchSample(ctx, req.ID, u.ID)
			if err != nil || !slices.Equal(seen.SampleRows, req.SampleRows) {
				t.Fatalf("reviewer %d sees sample %v, want %v (%v)", i, seen.SampleRows, req.SampleRows, err)
			}
			rows, err := f.sc.BatchSample(ctx, seen)
			if err != nil || len(rows) != 10 || rows[0].RowNumber != req.SampleRows[0] || rows[0].Credential.Status != store.CredentialPending {
				t.Fatalf("sample rows %d (%v)", len(rows), err)
			}
			d, err := f.svc.Approve(ctx, f.sc, req.ID, u.ID, actor(u))
			if err != nil || d.Final != (i == 1) {
				t.Fatalf("approval %d: %+v %v", i, d, err)
			}
		}
		if _, err := f.svc.Approve(ctx, f.sc, req.ID, f.reviewers[2].ID, actor(f.reviewers[2])); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Fatalf("approving a decided batch: %v", err)
		}
		decided := published(t, db, events.ApprovalDecided)
		var dbody events.ApprovalDecision
		if len(decided) != 1 || json.Unmarshal(decided[0].Data, &dbody) != nil || dbody.Batch == nil || dbody.Batch.Count != 12 ||
			dbody.Decision != "approved" || len(dbody.Approvers) != 2 {
			t.Fatalf("approval.decided: %d events %+v", len(decided), decided)
		}
		if n := len(f.jobs.kinds("approval_sign_batch")); n != 1 {
			t.Fatalf("%d batch signing jobs", n)
		}
		if n := len(f.jobs.kinds("approval_sign")); n != 0 {
			t.Fatalf("%d single signing jobs for a batch", n)
		}
		done, signed, err := f.svc.SignBatch(ctx, f.org.ID, req.ID, 5, 0)
		if err != nil || !done || signed != 12 {
			t.Fatalf("sign: done %v, %d signed, %v", done, signed, err)
		}
		if done, signed, err := f.svc.SignBatch(ctx, f.org.ID, req.ID, 5, 0); err != nil || !done || signed != 0 {
			t.Fatalf("signing again: done %v, %d signed, %v", done, signed, err)
		}
		if got := f.credentialStatuses(t, b.ID); got[store.CredentialActive] != 12 || len(got) != 1 {
			t.Fatalf("after signing %v, want 12 active", got)
		}
		issued := published(t, db, events.CredentialIssued)
		if len(issued) != 12 {
			t.Fatalf("%d credential.issued, want 12", len(issued))
		}
		if n := len(f.jobs.kinds("credential_email")); n != 12 {
			t.Fatalf("%d recipient emails, want 12", n)
		}
		st, err := f.sc.BatchApprovalOf(ctx, b.ID)
		if err != nil || st.Signed != 12 || st.Pending != 0 || !st.Done() {
			t.Fatalf("progress %+v %v", st, err)
		}
		// A signed row carries both approvals and the sample as evidence.
		var issuedBody events.Issued
		if err := json.Unmarshal(issued[0].Data, &issuedBody); err != nil || issuedBody.BatchID != b.ID {
			t.Fatalf("credential.issued %s", issued[0].Data)
		}
		c, err := f.sc.Credential(ctx, issuedBody.Credential.ID)
		if err != nil {
			t.Fatal(err)
		}
		doc := signedDoc(t, f, c)
		ev, _ := doc["evidence"].([]any)
		if len(ev) != 3 {
			t.Fatalf("evidence %v: want 2 approvals and the sample", ev)
		}
		sample := ev[2].(map[string]any)
		if sample["type"].([]any)[0] != vc.TypeTrustCredBatchSample || fmt.Sprint(sample["batchSize"]) != "12" ||
			fmt.Sprint(sample["sampleSize"]) != "10" || len(sample["sampledRows"].([]any)) != 10 {
			t.Fatalf("sample evidence %v", sample)
		}
		if _, err := vc.CanonicalizeRDFC(doc); err != nil {
			t.Fatalf("the signed batch credential does not canonicalize: %v", err)
		}
	})
}

func signedDoc(t testing.TB, f *fixture, c *store.Credential) map[string]any {
	t.Helper()
	b, err := f.is.SignedDocument(c)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vc.ParseJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

// A rejection rejects every row of the batch and tells the requester with
// the note; approval.decided is published once; nothing is signed.
func TestBatchRejection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db, "https://creds.example.org")
		b, req := f.batch(t, 4)
		if _, err := f.svc.Reject(ctx, f.sc, req.ID, f.reviewers[0].ID, "", actor(f.reviewers[0])); !errors.Is(err, store.ErrNoteRequired) {
			t.Fatalf("rejection without a note: %v", err)
		}
		if _, err := f.svc.Reject(ctx, f.sc, req.ID, f.reviewers[0].ID, "Row 3 has the wrong degree", actor(f.reviewers[0])); err != nil {
			t.Fatal(err)
		}
		if got := f.credentialStatuses(t, b.ID); got[store.CredentialRejected] != 4 || len(got) != 1 {
			t.Fatalf("after rejection %v, want 4 rejected", got)
		}
		decided := published(t, db, events.ApprovalDecided)
		var body events.ApprovalDecision
		if len(decided) != 1 || json.Unmarshal(decided[0].Data, &body) != nil || body.Decision != "rejected" || body.Batch == nil ||
			body.Batch.Count != 4 || body.Note != "Row 3 has the wrong degree" {
			t.Fatalf("approval.decided %+v", decided)
		}
		var told int
		if err := db.SQL().QueryRow(rebind(db, "SELECT count(*) FROM notifications WHERE user_id = ? AND message LIKE ?"), f.issuer.ID,
			"%Row 3 has the wrong degree%").Scan(&told); err != nil || told != 1 {
			t.Fatalf("the requester was told %d times (%v)", told, err)
		}
		if _, _, err := f.svc.SignBatch(ctx, f.org.ID, req.ID, 5, 0); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Fatalf("signing a rejected batch: %v", err)
		}
	})
}

// Many reviewers race for the last approval of a batch: exactly one
// final transition, one signing job; several signing runs at once then
// sign each row exactly once.
func TestBatchRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db, "https://creds.example.org")
		more := f.moreReviewers(t, 6)
		b, req := f.batch(t, 30)
		everyone := append(slices.Clone(f.reviewers), more...)
		for _, u := range everyone {
			if _, err := f.sc.ViewBatchSample(ctx, req.ID, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.Approve(ctx, f.sc, req.ID, everyone[0].ID, actor(everyone[0])); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		finals, refused := 0, 0
		for _, u := range everyone[1:] {
			wg.Go(func() {
				d, err := f.svc.Approve(ctx, f.sc, req.ID, u.ID, actor(u))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && d.Final:
					finals++
				case errors.Is(err, store.ErrApprovalNotPending):
					refused++
				case err != nil && !errors.Is(err, store.ErrAlreadyDecided) && !strings.Contains(err.Error(), "lock"):
					t.Errorf("approval: %v", err)
				}
			})
		}
		wg.Wait()
		if finals != 1 {
			t.Fatalf("%d final transitions (%d refused as decided)", finals, refused)
		}
		if n := len(f.jobs.kinds("approval_sign_batch")); n != 1 {
			t.Fatalf("%d signing jobs", n)
		}
		if n := len(published(t, db, events.ApprovalDecided)); n != 1 {
			t.Fatalf("%d approval.decided", n)
		}
		total := 0
		for range 4 {
			wg.Go(func() {
				_, n, err := f.svc.SignBatch(ctx, f.org.ID, req.ID, 7, 0)
				mu.Lock()
				defer mu.Unlock()
				total += n
				if err != nil && !strings.Contains(err.Error(), "lock") && !strings.Contains(err.Error(), "busy") {
					t.Errorf("signing run: %v", err)
				}
			})
		}
		wg.Wait()
		if _, n, err := f.svc.SignBatch(ctx, f.org.ID, req.ID, 7, 0); err != nil {
			t.Fatal(err)
		} else {
			total += n
		}
		if total != 30 {
			t.Fatalf("%d activations for 30 rows", total)
		}
		if got := f.credentialStatuses(t, b.ID); got[store.CredentialActive] != 30 || len(got) != 1 {
			t.Fatalf("after the race %v", got)
		}
		if n := len(published(t, db, events.CredentialIssued)); n != 30 {
			t.Fatalf("%d credential.issued for 30 rows", n)
		}
		var changes int
		if err := db.SQL().QueryRow("SELECT count(*) FROM credential_status_changes WHERE to_status = 'active'").Scan(&changes); err != nil || changes != 30 {
			t.Fatalf("%d activations recorded (%v)", changes, err)
		}
	})
}

// The independent verifier (../shared/interop) accepts a batch's signed
// rows, which carry the approvals and the sample (TrustCredBatchSample)
// as evidence.
func TestIndependentVerifierAcceptsBatchCredentials(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	f, srv := verifierSetup(t, db)
	ctx := context.Background()
	_, req := f.batch(t, 2)
	for _, u := range f.reviewers[:2] {
		if _, err := f.sc.ViewBatchSample(ctx, req.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Approve(ctx, f.sc, req.ID, u.ID, actor(u)); err != nil {
			t.Fatal(err)
		}
	}
	if done, n, err := f.svc.SignBatch(ctx, f.org.ID, req.ID, 100, 0); err != nil || !done || n != 2 {
		t.Fatalf("sign: %v %d %v", done, n, err)
	}
	var docs []any
	for _, e := range published(t, db, events.CredentialIssued) {
		var body events.Issued
		if err := json.Unmarshal(e.Data, &body); err != nil {
			t.Fatal(err)
		}
		c, err := f.sc.Credential(ctx, body.Credential.ID)
		if err != nil {
			t.Fatal(err)
		}
		doc := signedDoc(t, f, c)
		if !strings.Contains(fmt.Sprint(doc["evidence"]), vc.TypeTrustCredBatchSample) {
			t.Fatalf("no sample evidence: %v", doc["evidence"])
		}
		docs = append(docs, doc)
	}
	if len(docs) != 2 {
		t.Fatalf("%d signed rows", len(docs))
	}
	args := []string{"--resolve-base", srv.URL, "--map", srv.URL + "/=" + srv.URL + "/"}
	for i, r := range interoptest.VerifyJSON(t, docs, args...) {
		if !r.Verified {
			t.Errorf("batch credential %d not verified: %v", i, r.Errors)
		}
	}
}

// Another organization reaches none of a batch request: its sample is
// neither shown nor recorded, its progress and signing are not found.
func TestBatchOtherOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db, "https://creds.example.org")
		b, req := f.batch(t, 3)
		other := db.Scoped("0190a0a0-0000-7000-8000-000000000000")
		if _, err := other.ViewBatchSample(ctx, req.ID, f.reviewers[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other organization's view of the sample: %v", err)
		}
		if _, err := other.BatchApprovalOf(ctx, b.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other organization's progress: %v", err)
		}
		if rows, err := other.BatchSample(ctx, req); err != nil || len(rows) != 0 {
			t.Fatalf("other organization's sample rows: %d %v", len(rows), err)
		}
		if _, err := other.ActivateBatchCredentials(ctx, req.ID, nil, nil, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other organization's activation: %v", err)
		}
		if _, _, err := f.svc.SignBatch(ctx, "0190a0a0-0000-7000-8000-000000000000", req.ID, 10, 0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("signing through another organization: %v", err)
		}
		// A single credential's request has no sample.
		single := f.park(t).Credential
		sreq, err := f.sc.ApprovalRequestFor(ctx, single.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.sc.ViewBatchSample(ctx, sreq.ID, f.reviewers[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("sample of a single request: %v", err)
		}
		if got, err := f.sc.ViewBatchSample(ctx, req.ID, f.reviewers[0].ID); err != nil || len(got.SampleViews) != 1 {
			t.Fatalf("own view: %+v %v", got, err)
		}
		if got, err := f.sc.ViewBatchSample(ctx, req.ID, f.reviewers[0].ID); err != nil || len(got.SampleViews) != 1 {
			t.Fatalf("a second view is recorded once: %+v %v", got, err)
		}
	})
}

// A batch left undecided past its workflow's final deadline: the timers
// job expires the ONE request once, every row of the batch is rejected
// (not only the first, whose credential the request and its instance
// name), approval.expired is published once naming the batch and its
// count, the requester is told once, and nothing is signed.
func TestBatchExpiryRejectsEveryRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db, "https://creds.example.org")
		if _, err := f.sc.CreateApprovalWorkflow(ctx, store.WorkflowChange{Name: "Degree issuance", Type: store.WorkflowCredentialIssuance,
			Steps:                  []store.WorkflowStep{{Name: "Registrar", ApproverRoles: []store.Role{store.RoleReviewer}, RequiredApprovals: 2, DeadlineHours: 8}},
			EscalationTimeoutHours: 24, Active: true}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		b, req := f.batch(t, 4)
		now := start.Add(33 * time.Hour)
		w := &approval.TimersWorker{Service: f.svc, Now: func() time.Time { return now }}
		for run, want := range []int{1, 0} {
			if done, err := w.Run(ctx); err != nil || done[store.TimerExpire] != want {
				t.Fatalf("run %d at 33 h: %v %v", run, done, err)
			}
		}
		if got := f.credentialStatuses(t, b.ID); got[store.CredentialRejected] != 4 || len(got) != 1 {
			t.Fatalf("after expiry %v, want the 4 rows rejected", got)
		}
		if got, err := f.sc.ApprovalRequest(ctx, req.ID); err != nil || got.Status != store.RequestCancelled {
			t.Fatalf("request after expiry: %+v %v", got, err)
		}
		expired := published(t, db, events.ApprovalExpired)
		var body events.ApprovalExpiry
		if len(expired) != 1 || json.Unmarshal(expired[0].Data, &body) != nil || body.RequestID != req.ID || body.Batch == nil ||
			body.Batch.BatchID != b.ID || body.Batch.Count != 4 || body.Batch.FileName != "graduates.csv" || body.Credential.Status != "rejected" {
			t.Fatalf("approval.expired %+v (%+v)", expired, body.Batch)
		}
		if n := len(published(t, db, events.ApprovalDecided)); n != 0 {
			t.Errorf("%d approval.decided events for an expiry", n)
		}
		var told int
		if err := db.SQL().QueryRow(rebind(db, "SELECT count(*) FROM notifications WHERE user_id = ? AND message LIKE ?"), f.issuer.ID,
			"%bulk batch you queued%").Scan(&told); err != nil || told != 1 {
			t.Fatalf("the requester was told %d times (%v)", told, err)
		}
		if n := len(f.jobs.kinds(approval.SignBatch{}.Kind())); n != 0 {
			t.Errorf("%d signing jobs for an expired batch", n)
		}
	})
}
