package bulk

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/certificate"
	"github.com/trustcred/trustcred/internal/design"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// zipFixture is a completed batch of n rows and a blob store on disk.
type zipFixture struct {
	*bulkFixture
	batch *store.IssuanceBatch
	dir   string
	blobs *blob.Disk
	certs *certificate.Renderer
}

func newZipFixture(t *testing.T, db *store.DB, n int) *zipFixture {
	t.Helper()
	f := &zipFixture{bulkFixture: newBulkFixture(t, db), dir: t.TempDir()}
	b := f.importBatch(t, f.tpl, bulkCSV(n, 0, studentEmail), false)
	if done, err := f.worker(t).Run(context.Background(), Job{BatchID: b.ID, OrganizationID: f.org.ID}); err != nil || !done {
		t.Fatalf("issuing: %v %v", done, err)
	}
	var err error
	if f.batch, err = f.sc.Batch(context.Background(), b.ID); err != nil || f.batch.IssuedCount != n {
		t.Fatalf("batch %+v %v", f.batch, err)
	}
	if f.blobs, err = blob.NewDisk(f.dir); err != nil {
		t.Fatal(err)
	}
	f.certs = &certificate.Renderer{Issuer: f.is, Blobs: f.blobs, BaseURL: bulkBase, Log: storetest.Logger(t)}
	return f
}

func (f *zipFixture) zipWorker(t testing.TB) *ZipWorker {
	return &ZipWorker{DB: f.db, Certs: f.certs, Blobs: f.blobs, Log: storetest.Logger(t)}
}

// breakRow makes the stored credential of a row fail its integrity check
// (its data no longer matches data_hash, as a damaged or edited row
// would): the real reason a certificate cannot be made for one row.
func (f *zipFixture) breakRow(t *testing.T, row int) {
	t.Helper()
	q := "UPDATE credentials SET data_hash = ? WHERE id = (SELECT credential_id FROM issuance_batch_rows WHERE batch_id = ? AND row_number = ?)"
	if f.db.Dialect() == store.Postgres {
		q = "UPDATE credentials SET data_hash = $1 WHERE id = (SELECT credential_id FROM issuance_batch_rows WHERE batch_id = $2 AND row_number = $3)"
	}
	res, err := f.db.SQL().Exec(q, strings.Repeat("0", 64), f.batch.ID, row)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("row %d: %d credentials changed", row, n)
	}
}

// blobFiles are the files under the blob store's directory.
func (f *zipFixture) blobFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readZip opens the batch's ZIP from the blob store; its size.
func readZip(t testing.TB, blobs blob.Store, b *store.IssuanceBatch) (*zip.Reader, int64) {
	t.Helper()
	if b.ZipKey == nil {
		t.Fatal("no ZIP key")
	}
	r, info, err := blobs.Get(context.Background(), *b.ZipKey)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil || int64(len(data)) != info.Size {
		t.Fatalf("read %d of %d bytes: %v", len(data), info.Size, err)
	}
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return z, info.Size
}

func readEntry(t *testing.T, f *zip.File) []byte {
	t.Helper()
	r, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var zipNameRE = regexp.MustCompile(`^\d{5}-student-\d+-[a-z2-7]{26}\.pdf$`)

// The ZIP job through a real queue: one row whose stored credential is
// damaged is reported with the reason, in the ZIP's manifest and on the
// batch, and the other rows' PDFs are in the ZIP, each showing its
// recipient; progress is visible while it runs; asking again while it
// runs, or once it is made, starts nothing; a new design makes a new ZIP
// and the old one is deleted; the retention job deletes it.
func TestBulkZip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 40
		f := newZipFixture(t, db, n)
		f.breakRow(t, 3)
		ws := jobs.NewWorkers()
		RegisterZip(ws, db, f.certs, f.blobs, storetest.Logger(t))
		q, err := jobs.New(db, storetest.Logger(t), ws)
		if err != nil {
			t.Fatal(err)
		}
		actor := store.Actor{UserID: &f.admin.ID}
		// Asked twice before any worker runs: one job.
		for i, want := range []bool{true, false} {
			if _, queued, err := RequestZip(ctx, f.sc, q, f.blobs, f.certs, f.batch.ID, actor); err != nil || queued != want {
				t.Fatalf("request %d: queued %v, %v", i, queued, err)
			}
		}
		if c := count(t, db, "SELECT count(*) FROM river_job WHERE kind = 'bulk_zip'"); c != 1 {
			t.Fatalf("%d bulk_zip jobs, want 1", c)
		}
		startQueue(t, ctx, q)
		var seen []int
		b := f.waitZip(t, func(b *store.IssuanceBatch) { seen = append(seen, b.ZipDone) })
		if b.ZipState() != store.ZipReady || b.ZipTotal != n || b.ZipDone != n || b.ZipFailed != 1 || len(b.ZipErrors) != 1 {
			t.Fatalf("ZIP %s: %d/%d done, %d failed, errors %+v", b.ZipState(), b.ZipDone, b.ZipTotal, b.ZipFailed, b.ZipErrors)
		}
		if e := b.ZipErrors[0]; e.Row != 3 || e.Recipient != "Student 2" || !strings.Contains(e.Reason, "does not match its data hash (it was changed or damaged)") {
			t.Fatalf("row error %+v", e)
		}
		between := false
		for _, d := range seen {
			between = between || d > 0 && d < n
		}
		if !between {
			t.Errorf("no progress seen between 0 and %d: %v", n, seen)
		}
		z, _ := readZip(t, f.blobs, b)
		if len(z.File) != n { // n-1 PDFs and the manifest
			t.Fatalf("%d files in the ZIP, want %d", len(z.File), n)
		}
		names := map[string]bool{}
		for _, zf := range z.File[:n-1] {
			if !zipNameRE.MatchString(zf.Name) || names[zf.Name] {
				t.Errorf("file name %q", zf.Name)
			}
			names[zf.Name] = true
		}
		if z.File[0].Name[:5] != "00001" || z.File[2].Name[:5] != "00004" || z.File[n-1].Name != ManifestFile {
			t.Errorf("order: %s, %s … %s", z.File[0].Name, z.File[2].Name, z.File[n-1].Name)
		}
		cert, err := design.Read(readEntry(t, z.File[1]))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(cert.Runs, "\n"), "Student 1") {
			t.Errorf("row 2's PDF shows %q", cert.Runs)
		}
		rows, err := csv.NewReader(bytes.NewReader(readEntry(t, z.File[n-1]))).ReadAll()
		if err != nil || len(rows) != n+1 {
			t.Fatalf("manifest: %d lines, %v", len(rows), err)
		}
		if r := rows[3]; r[0] != "3" || r[3] != "" || !strings.Contains(r[4], "does not match its data hash (it was changed or damaged)") {
			t.Errorf("manifest row 3: %q", r)
		}
		if r := rows[1]; r[0] != "1" || r[1] != "Student 0" || r[3] != z.File[0].Name || r[4] != "" {
			t.Errorf("manifest row 1: %q", r)
		}
		// Asked again: the same ZIP.
		if _, queued, err := RequestZip(ctx, f.sc, q, f.blobs, f.certs, f.batch.ID, actor); err != nil || queued {
			t.Fatalf("asked again: queued %v, %v", queued, err)
		}
		// A revocation does not change the PDFs; a new design does.
		first := *b.ZipKey
		did, err := f.sc.SaveDesign(ctx, "", "Plain", design.Default().JSON(), actor)
		if err != nil {
			t.Fatal(err)
		}
		td := f.tpl.TemplateData.Data()
		td.DesignID = did
		raw, err := datatypes.NewJSONType(td).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		upd := "UPDATE credential_templates SET template_data = ? WHERE id = ?"
		if db.Dialect() == store.Postgres {
			upd = "UPDATE credential_templates SET template_data = $1 WHERE id = $2"
		}
		if _, err := db.SQL().Exec(upd, string(raw), f.tpl.ID); err != nil {
			t.Fatal(err)
		}
		if _, queued, err := RequestZip(ctx, f.sc, q, f.blobs, f.certs, f.batch.ID, actor); err != nil || !queued {
			t.Fatalf("after the design changed: queued %v, %v", queued, err)
		}
		if c := count(t, db, "SELECT count(*) FROM audit_logs WHERE action = 'batch.zip_requested' AND resource_id = ? AND user_id = ?",
			f.batch.ID, f.admin.ID); c != 2 {
			t.Errorf("%d batch.zip_requested audit entries, want 2 (one per ZIP queued)", c)
		}
		b = f.waitZip(t, nil)
		if b.ZipState() != store.ZipReady || *b.ZipKey == first {
			t.Fatalf("second ZIP %s at %s", b.ZipState(), *b.ZipKey)
		}
		if _, _, err := f.blobs.Get(ctx, first); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("the first ZIP is still there: %v", err)
		}
		if files := f.blobFiles(t); len(files) != 1 {
			t.Errorf("blob files %v, want the one ZIP", files)
		}
		// Retention.
		if n, err := PurgeZips(ctx, db, f.blobs, time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("a fresh ZIP purged: %d %v", n, err)
		}
		if n, err := PurgeZips(ctx, db, f.blobs, time.Now().Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("purged %d, %v", n, err)
		}
		if files := f.blobFiles(t); len(files) != 0 {
			t.Errorf("blob files after the purge: %v", files)
		}
		b, err = f.sc.Batch(ctx, f.batch.ID)
		if err != nil || b.ZipStatus != nil || b.ZipKey != nil {
			t.Fatalf("after the purge: %v %v %v", b.ZipStatus, b.ZipKey, err)
		}
	})
}

// waitZip polls the batch until its ZIP is no longer queued or running,
// calling each (if not nil) with every state read.
func (f *zipFixture) waitZip(t *testing.T, each func(*store.IssuanceBatch)) *store.IssuanceBatch {
	t.Helper()
	limit := time.Now().Add(2 * time.Minute)
	for {
		b, err := f.sc.Batch(context.Background(), f.batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if each != nil {
			each(b)
		}
		if !b.ZipBusy() {
			return b
		}
		if time.Now().After(limit) {
			t.Fatalf("ZIP still %s after 2 minutes: %d/%d", b.ZipState(), b.ZipDone, b.ZipTotal)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A run stopped half way (its server shut down or killed) leaves no part
// of a ZIP in the blob store; the next run makes the whole ZIP under the
// same key: one ZIP.
func TestBulkZipRestarts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Enough PDFs, one at a time, that the run is still going when its
		// first progress is written (at most every 250 ms): 12 finished
		// before it on a quiet machine, and the stop came too late.
		const n = 60
		f := newZipFixture(t, db, n)
		if _, queued, err := RequestZip(ctx, f.sc, enqueueNothing{}, f.blobs, f.certs, f.batch.ID, store.Actor{}); err != nil || !queued {
			t.Fatalf("request: %v %v", queued, err)
		}
		w := f.zipWorker(t)
		w.Parallel = 1
		stop, cancel := context.WithCancel(ctx)
		go func() {
			for {
				b, err := f.sc.Batch(ctx, f.batch.ID)
				if err == nil && b.ZipDone > 0 || stop.Err() != nil {
					cancel()
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
		if err := w.Run(stop, ZipJob{BatchID: f.batch.ID, OrganizationID: f.org.ID}); err == nil {
			t.Fatal("the stopped run succeeded")
		}
		b, err := f.sc.Batch(ctx, f.batch.ID)
		if err != nil || b.ZipState() != store.ZipRunning || b.ZipDone == 0 || b.ZipDone == n {
			t.Fatalf("after the stop: %s %d/%d %v", b.ZipState(), b.ZipDone, b.ZipTotal, err)
		}
		if files := f.blobFiles(t); len(files) != 0 {
			t.Fatalf("a stopped run left %v", files)
		}
		if err := w.Run(ctx, ZipJob{BatchID: f.batch.ID, OrganizationID: f.org.ID}); err != nil {
			t.Fatal(err)
		}
		b, err = f.sc.Batch(ctx, f.batch.ID)
		if err != nil || b.ZipState() != store.ZipReady || b.ZipDone != n || b.ZipFailed != 0 {
			t.Fatalf("after the second run: %s %d/%d %v", b.ZipState(), b.ZipDone, b.ZipTotal, err)
		}
		if z, _ := readZip(t, f.blobs, b); len(z.File) != n+1 {
			t.Fatalf("%d files", len(z.File))
		}
		if files := f.blobFiles(t); len(files) != 1 {
			t.Fatalf("blob files %v", files)
		}
		// A third run (River retrying a run whose end was not recorded)
		// changes nothing.
		if err := w.Run(ctx, ZipJob{BatchID: f.batch.ID, OrganizationID: f.org.ID}); err != nil {
			t.Fatal(err)
		}
		if files := f.blobFiles(t); len(files) != 1 {
			t.Fatalf("blob files %v", files)
		}
	})
}

// A ZIP whose job fails on its last attempt (here the blob store's
// folder is gone) is marked failed with a reason, and can be asked for
// again; an earlier attempt's failure leaves it to River's retry.
func TestBulkZipGivesUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newZipFixture(t, db, 2)
		if _, queued, err := RequestZip(ctx, f.sc, enqueueNothing{}, f.blobs, f.certs, f.batch.ID, store.Actor{}); err != nil || !queued {
			t.Fatalf("request: %v %v", queued, err)
		}
		if err := os.RemoveAll(f.dir); err != nil {
			t.Fatal(err)
		}
		job := func(attempt int) *river.Job[ZipJob] {
			return &river.Job[ZipJob]{JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: 3},
				Args: ZipJob{BatchID: f.batch.ID, OrganizationID: f.org.ID}}
		}
		// In order: the earlier attempt first (a map's order is random, and
		// after the last attempt's failure there is nothing left to run).
		for _, step := range []struct {
			attempt int
			want    store.ZipStatus
		}{{2, store.ZipRunning}, {3, store.ZipFailed}} {
			attempt, want := step.attempt, step.want
			if err := f.zipWorker(t).Work(ctx, job(attempt)); err == nil {
				t.Fatalf("attempt %d succeeded without its blob store", attempt)
			}
			b, err := f.sc.Batch(ctx, f.batch.ID)
			if err != nil || b.ZipState() != want {
				t.Fatalf("after attempt %d: %s, want %s (%v)", attempt, b.ZipState(), want, err)
			}
			if want == store.ZipFailed && (b.ZipError == nil || !strings.Contains(*b.ZipError, "prepare it again")) {
				t.Fatalf("failed without a reason: %v", b.ZipError)
			}
		}
		if _, queued, err := RequestZip(ctx, f.sc, enqueueNothing{}, f.blobs, f.certs, f.batch.ID, store.Actor{}); err != nil || !queued {
			t.Fatalf("asked again after the failure: %v %v", queued, err)
		}
	})
}

// A batch still being issued has no ZIP yet.
func TestBulkZipRefusedWhileIssuing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newBulkFixture(t, db)
		b := f.importBatch(t, f.tpl, bulkCSV(2, 0, studentEmail), false)
		blobs, err := blob.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		certs := &certificate.Renderer{Issuer: f.is, Blobs: blobs, Log: storetest.Logger(t)}
		_, _, err = RequestZip(context.Background(), f.sc, enqueueNothing{}, blobs, certs, b.ID, store.Actor{})
		if !errorsIsBatchState(err) {
			t.Fatalf("request while queued: %v", err)
		}
	})
}

func TestZipName(t *testing.T) {
	for _, c := range []struct {
		row            int
		name, id, want string
	}{
		{7, "Zoë O'Brien", "abc234", "00007-zoe-obrien-abc234.pdf"},
		{12, "東京", "abc234", "00012-credential-abc234.pdf"},
		{1, "../../etc/passwd", "a/b\\c", "00001-etc-passwd-abc.pdf"},
		{3, strings.Repeat("long name ", 10), "x", "00003-long-name-long-name-long-name-long-name-x.pdf"},
	} {
		if got := ZipName(c.row, c.name, c.id); got != c.want {
			t.Errorf("ZipName(%d, %q, %q) = %q, want %q", c.row, c.name, c.id, got, c.want)
		}
	}
}

type enqueueNothing struct{}

func (enqueueNothing) EnqueueTx(context.Context, *sql.Tx, river.JobArgs) error { return nil }

func errorsIsBatchState(err error) bool { return errors.Is(err, store.ErrBatchState) }
