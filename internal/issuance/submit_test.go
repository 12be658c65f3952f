package issuance_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// One rule for the recipient, whoever asks: what the form, a CSV row and
// an API document are each checked against.
func TestCheckRecipient(t *testing.T) {
	long := strings.Repeat("a", 250) + "@example.org"
	for _, c := range []struct {
		name, address string
		want          issuance.FieldErrors
	}{
		{"Ada Lovelace", "ada@example.org", nil},
		{"", "did:web:example.org", nil}, // a DID names its holder
		{"Ada", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2Qt", nil},
		{"", "ada@example.org", issuance.FieldErrors{issuance.FieldRecipientName: issuance.Missing}},
		{"Ada", "", issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.Missing}},
		{"", "", issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.Missing}},
		{strings.Repeat("é", 201), "ada@example.org", issuance.FieldErrors{issuance.FieldRecipientName: issuance.TooLong}},
		{strings.Repeat("é", 200), "ada@example.org", nil},
		{"Ada\u202eecalevoL", "ada@example.org", issuance.FieldErrors{issuance.FieldRecipientName: issuance.Characters}},
		{"Ada\x00", "ada@example.org", issuance.FieldErrors{issuance.FieldRecipientName: issuance.Characters}},
		{"Ada", "Ada <ada@example.org>", issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.NotAddress}},
		{"Ada", "ada@localhost", issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.NotAddress}},
		{"Ada", "ada", issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.NotAddress}},
		{"Ada", long, issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.TooLong}},
		{"Ada", "did:nope", issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.NotDID}},
		{"Ada", "did:web:" + strings.Repeat("a", 500), issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.TooLong}},
	} {
		if got := issuance.CheckRecipient(c.name, c.address); !maps.Equal(got, c.want) {
			t.Errorf("CheckRecipient(%q, %q) = %v, want %v", c.name, c.address, got, c.want)
		}
	}
}

// Submit is the door: it refuses a recipient the rule refuses before
// anything is signed or stored, and today signs every request it accepts
// (no approval requirement parks one yet).
func TestSubmit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		_, err := f.is.Submit(ctx, f.sc, request(f.rdfc, "", "ada@example.org"), store.ViaWeb, "", store.Actor{})
		var fe issuance.FieldErrors
		if !errors.As(err, &fe) || fe[issuance.FieldRecipientName] != issuance.Missing || !errors.Is(err, issuance.ErrCredential) {
			t.Fatalf("no name for an email recipient: %v", err)
		}
		doc := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"credentialSubject":{"id":"did:example:abc","name":"Ada\u202e"}}`
		_, err = f.is.Submit(ctx, f.sc, issuance.Request{Document: &issuance.DocumentRequest{Credential: reparse(t, []byte(doc)), SchemaID: f.rdfc.SchemaID}},
			store.ViaAPI, "", store.Actor{})
		if !errors.As(err, &fe) || fe[issuance.FieldRecipientName] != issuance.Characters {
			t.Fatalf("an API document's subject name with a bidi override: %v", err)
		}
		var n int64
		if err := db.SQL().QueryRow("SELECT count(*) FROM credentials").Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d credentials stored (%v) for refused requests", n, err)
		}
		for _, r := range []issuance.Request{request(f.rdfc, "Ada", "ada@example.org"), request(f.jcs, "", "did:example:ada")} {
			out, err := f.is.Submit(ctx, f.sc, r, store.ViaWeb, "", store.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			if !out.Signed || out.Credential.Status != store.CredentialActive || len(out.JSON) == 0 {
				t.Fatalf("outcome signed=%v status %s, want a signed active credential", out.Signed, out.Credential.Status)
			}
			f.verify(t, reparse(t, out.JSON))
		}
	})
}

// recordingQueue records the jobs enqueued through it, one by one or many
// at once, and the transactions they were enqueued in.
type recordingQueue struct {
	mu   sync.Mutex
	jobs []river.JobArgs
	many int
}

func (q *recordingQueue) EnqueueTx(_ context.Context, tx *sql.Tx, args river.JobArgs) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if tx == nil {
		return errors.New("enqueued outside the transaction")
	}
	q.jobs = append(q.jobs, args)
	return nil
}

func (q *recordingQueue) EnqueueManyTx(ctx context.Context, tx *sql.Tx, args []river.JobArgs) error {
	q.many++
	for _, a := range args {
		if err := q.EnqueueTx(ctx, tx, a); err != nil {
			return err
		}
	}
	return nil
}

// SubmitBatch is Submit for many requests: each request is checked with
// Submit's rules and refused on its own (the others are issued, verify and
// get distinct status entries), the recipients' emails are enqueued in one
// go, and a batch row is issued once: submitting its rows again issues
// nothing and stores nothing.
func TestSubmitBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		past := time.Now().Add(-time.Hour)
		q := &recordingQueue{}
		var reqs []issuance.Request
		for i := range 12 {
			reqs = append(reqs, request(f.rdfc, fmt.Sprint("Student ", i), fmt.Sprintf("s%d@example.org", i)))
		}
		reqs[3].RecipientName = ""                          // an email recipient needs a name
		reqs[5].Data = map[string]any{}                     // the schema requires a degree
		reqs[7].ExpiresAt = &past                           // expired already
		reqs[9].Template, reqs[9].RecipientName = f.jcs, "" // the other suite, a DID holder
		reqs[9].RecipientAddress = "did:example:holder9"
		for i := range reqs {
			reqs[i].Email = q
		}
		rows := make([]store.IssuanceBatchRow, len(reqs))
		for i := range rows {
			rows[i] = store.IssuanceBatchRow{RowNumber: i + 1, DataEncrypted: []byte("sealed")}
		}
		b := &store.IssuanceBatch{TemplateID: &f.rdfc.ID}
		if err := f.sc.CreateBatch(ctx, b, rows, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		rowIDs := make([]string, len(rows))
		for i := range rows {
			rowIDs[i] = rows[i].ID
		}
		out, errs, err := f.is.SubmitBatch(ctx, f.sc, reqs, store.ViaSystem, rowIDs, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		var fe issuance.FieldErrors
		if !errors.As(errs[3], &fe) || fe[issuance.FieldRecipientName] != issuance.Missing {
			t.Errorf("no name: %v", errs[3])
		}
		var de *issuance.DataError
		if !errors.As(errs[5], &de) || de.Fields["degree"] == "" {
			t.Errorf("no degree: %v", errs[5])
		}
		if !errors.Is(errs[7], issuance.ErrCredential) || !strings.Contains(errs[7].Error(), "expiry date is in the past") {
			t.Errorf("expired: %v", errs[7])
		}
		seen := map[int]bool{}
		for i, e := range errs {
			if i == 3 || i == 5 || i == 7 {
				if out[i].Issued != nil {
					t.Errorf("request %d refused but issued", i)
				}
				continue
			}
			if e != nil || !out[i].Signed || out[i].Credential.Status != store.CredentialActive {
				t.Fatalf("request %d: %v", i, e)
			}
			if idx := *out[i].Credential.StatusListIndex; seen[idx] {
				t.Errorf("status index %d given twice", idx)
			} else {
				seen[idx] = true
			}
		}
		f.verify(t, reparse(t, out[0].JSON))
		f.verify(t, reparse(t, out[9].JSON))
		if len(q.jobs) != 9 || q.many != 1 {
			t.Errorf("%d emails enqueued in %d calls, want 9 in 1", len(q.jobs), q.many)
		}
		var n, issuedRows, audits int
		if err := db.SQL().QueryRow("SELECT count(*) FROM credentials").Scan(&n); err != nil || n != 9 {
			t.Fatalf("%d credentials (%v), want 9", n, err)
		}
		if err := db.SQL().QueryRow("SELECT count(*) FROM issuance_batch_rows WHERE status = 'issued' AND credential_id IS NOT NULL").Scan(&issuedRows); err != nil || issuedRows != 9 {
			t.Fatalf("%d rows issued (%v), want 9", issuedRows, err)
		}
		if err := db.SQL().QueryRow("SELECT count(*) FROM audit_logs WHERE action = 'credential.issued'").Scan(&audits); err != nil || audits != 9 {
			t.Fatalf("%d audit entries (%v), want 9", audits, err)
		}
		if got, _ := f.sc.Batch(ctx, b.ID); got.IssuedCount != 9 {
			t.Fatalf("issued_count %d, want 9", got.IssuedCount)
		}
		// Again (a run that restarts after a crash): nothing twice.
		_, errs, err = f.is.SubmitBatch(ctx, f.sc, reqs, store.ViaSystem, rowIDs, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range errs {
			if i != 3 && i != 5 && i != 7 && !errors.Is(e, store.ErrRowDone) {
				t.Errorf("request %d again: %v, want ErrRowDone", i, e)
			}
		}
		if err := db.SQL().QueryRow("SELECT count(*) FROM credentials").Scan(&n); err != nil || n != 9 || len(q.jobs) != 9 {
			t.Fatalf("again: %d credentials, %d emails (%v), want 9 each", n, len(q.jobs), err)
		}
	})
}
