package bulk

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/certificate"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/slug"
	"github.com/trustcred/trustcred/store"
)

// The ZIP of a batch's certificate PDFs.
const (
	// ZipTimeout bounds one run of bulk_zip: 1,000 PDFs take about 15 s
	// on a quiet core, a minute or more on a loaded machine. A run killed
	// with its server is rescued once this has passed (see Jobs in
	// ARCHITECTURE) and starts over.
	ZipTimeout = 10 * time.Minute
	// ZipRetention is how long a ZIP is kept after it was made.
	ZipRetention = 7 * 24 * time.Hour
	// ZipPurgeInterval is how often the retention job runs.
	ZipPurgeInterval = time.Hour
	// ManifestFile is the ZIP's list of its rows: file or error.
	ManifestFile = "manifest.csv"

	zipProgressEvery = 250 * time.Millisecond // at most one progress write per period
	zipContentType   = "application/zip"
)

// ZipJob (bulk_zip) makes the ZIP of a finished batch's certificate PDFs
// that was asked for with Key (the blob key chosen then): a job whose key
// is no longer the batch's does nothing.
type ZipJob struct {
	BatchID        string `json:"batch_id" river:"unique"`
	OrganizationID string `json:"organization_id"`
	Key            string `json:"key" river:"unique"`
}

// Kind is the River job kind.
func (ZipJob) Kind() string { return "bulk_zip" }

// InsertOpts: one job per ZIP asked for while it waits or runs (the
// batch's zip_status already keeps a second request from queueing one;
// a job that has just finished may still be running when the next ZIP
// is asked for, which has another key).
func (ZipJob) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{rivertype.JobStateAvailable,
		rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}}}
}

// ZipWorker works bulk_zip jobs: each issued row's certificate PDF is made
// by certificate.Renderer (as GET /credentials/:id/certificate.pdf makes
// it), a few at a time (Parallel), and streamed in row order into a ZIP
// that goes straight into the blob store: at most about 2×Parallel PDFs
// are in memory, whatever the batch's size. The blob store writes a
// temporary file and renames it when the ZIP is complete, so a run that
// dies leaves no part of a ZIP; its retry starts over under the same key
// (chosen when the ZIP was asked for), so there is never a second ZIP. A
// row whose PDF cannot be made is listed with the reason in the ZIP's
// manifest.csv and in zip_errors; the other rows are in the ZIP.
type ZipWorker struct {
	river.WorkerDefaults[ZipJob]
	DB       *store.DB
	Certs    *certificate.Renderer
	Blobs    blob.Store
	Log      *slog.Logger
	Parallel int // PDFs made at once; 0: the CPUs, at most 2 (the job shares the machine)
}

// Timeout bounds one run.
func (w *ZipWorker) Timeout(*river.Job[ZipJob]) time.Duration { return ZipTimeout }

// Work makes the ZIP; after the last attempt the ZIP is marked failed
// with the error, so that it can be asked for again.
func (w *ZipWorker) Work(ctx context.Context, j *river.Job[ZipJob]) error {
	err := w.Run(ctx, j.Args)
	if err != nil && ctx.Err() == nil && j.Attempt >= j.MaxAttempts {
		w.Log.Error("bulk zip: giving up", "batch", j.Args.BatchID, "err", err)
		if ferr := w.DB.Scoped(j.Args.OrganizationID).FailBatchZip(context.WithoutCancel(ctx), j.Args.BatchID,
			"the ZIP could not be made (reported in the server log); prepare it again"); ferr != nil {
			w.Log.Error("bulk zip: marking the ZIP failed", "batch", j.Args.BatchID, "err", ferr)
		}
	}
	return err
}

func (w *ZipWorker) parallel() int {
	if w.Parallel > 0 {
		return w.Parallel
	}
	return min(2, runtime.GOMAXPROCS(0))
}

// Run makes the ZIP of a batch whose ZIP is queued (or running: a retry).
func (w *ZipWorker) Run(ctx context.Context, args ZipJob) error {
	sc := w.DB.Scoped(args.OrganizationID)
	b, err := sc.StartBatchZip(ctx, args.BatchID)
	if errors.Is(err, store.ErrNotFound) {
		w.Log.Warn("bulk zip: batch not found", "batch", args.BatchID)
		return nil
	}
	if err != nil {
		return err
	}
	if b.ZipState() != store.ZipRunning || b.ZipKey == nil || args.Key != "" && *b.ZipKey != args.Key {
		return nil // made by an earlier run, cleaned up, or another ZIP
	}
	key := *b.ZipKey
	if b, err = sc.Batch(ctx, b.ID); err != nil { // with its template
		return err
	}
	org, err := sc.Organization(ctx)
	if err != nil {
		return err
	}
	logo := w.Certs.Logo(ctx, org)
	fp, err := Fingerprint(ctx, sc, b, logo)
	if err != nil {
		return err
	}
	rows, err := sc.IssuedBatchRows(ctx, b.ID)
	if err != nil {
		return err
	}
	z := &zipRun{w: w, sc: sc, batchID: b.ID, logo: logo, rows: rows}
	if err := w.stream(ctx, key, z.write); err != nil {
		return err
	}
	ok, err := sc.FinishBatchZip(ctx, b.ID, key, fp, len(rows), z.errs)
	if err == nil && !ok {
		// Asked for again or cleaned up meanwhile: nothing names this ZIP.
		err = w.Blobs.Delete(ctx, key)
	}
	return err
}

// stream streams what write writes into the blob at key.
func (w *ZipWorker) stream(ctx context.Context, key string, write func(context.Context, io.Writer) error) error {
	pr, pw := io.Pipe()
	put := make(chan error, 1)
	go func() {
		err := w.Blobs.Put(ctx, key, pr, zipContentType)
		_ = pr.CloseWithError(cmpOr(err, io.ErrClosedPipe)) // a writer still writing stops (CloseWithError always returns nil)
		put <- err
	}()
	err := write(ctx, pw)
	pw.CloseWithError(err) // nil: the ZIP is complete
	if perr := <-put; err == nil {
		err = perr
	}
	return err
}

func cmpOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// zipRun is one run of a batch's ZIP.
type zipRun struct {
	w       *ZipWorker
	sc      *store.Scoped
	batchID string
	logo    []byte
	rows    []store.IssuedRow
	errs    store.ZipErrors
}

// zipped is one row's outcome: its PDF and file name, or why there is none.
type zipped struct {
	row       int
	recipient string
	publicID  string
	name      string
	pdf       []byte
	problem   string
	err       error // the job's (the database…), not the row's
}

// write writes the ZIP: the rows' PDFs in row order, then the manifest.
func (z *zipRun) write(ctx context.Context, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	par := z.w.parallel()
	// futures holds the rows in order, each made by its own goroutine; at
	// most par are being made and par more wait to be written.
	futures := make(chan chan zipped, par)
	slots := make(chan struct{}, par)
	go func() {
		defer close(futures)
		for _, r := range z.rows {
			ch := make(chan zipped, 1)
			select {
			case futures <- ch:
			case <-ctx.Done():
				return
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() {
				defer func() { <-slots }()
				ch <- z.one(ctx, r)
			}()
		}
	}()
	zw := zip.NewWriter(out)
	var manifest bytes.Buffer
	mw := csv.NewWriter(&manifest)
	_ = mw.Write([]string{"row", "recipient", "credential_id", "file", "error"})
	done, last := 0, time.Now()
	for ch := range futures {
		var r zipped
		select {
		case r = <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil {
			return r.err
		}
		if r.problem != "" {
			z.errs = append(z.errs, store.ZipRowError{Row: r.row, Recipient: r.recipient, Reason: r.problem})
		} else {
			f, err := zw.CreateHeader(&zip.FileHeader{Name: r.name, Method: zip.Store, Modified: time.Now().UTC()})
			if err != nil {
				return err
			}
			if _, err := f.Write(r.pdf); err != nil {
				return err
			}
		}
		_ = mw.Write([]string{strconv.Itoa(r.row), Cell(r.recipient), r.publicID, r.name, Cell(r.problem)})
		done++
		if time.Since(last) >= zipProgressEvery {
			if err := z.sc.BatchZipProgress(ctx, z.batchID, done, len(z.errs)); err != nil {
				return err
			}
			last = time.Now()
		}
	}
	if err := ctx.Err(); err != nil {
		return err // the rows stopped coming because the run was stopped
	}
	mw.Flush()
	f, err := zw.CreateHeader(&zip.FileHeader{Name: ManifestFile, Method: zip.Deflate, Modified: time.Now().UTC()})
	if err != nil {
		return err
	}
	if _, err := f.Write(manifest.Bytes()); err != nil {
		return err
	}
	return zw.Close()
}

// one makes one row's PDF. A render that fails or panics is the row's
// problem; reading the credential failing for another reason than its
// absence is the job's error.
func (z *zipRun) one(ctx context.Context, r store.IssuedRow) (out zipped) {
	out.row = r.RowNumber
	cr, err := z.sc.Credential(ctx, r.CredentialID)
	if errors.Is(err, store.ErrNotFound) {
		out.problem = "the credential is no longer there"
		return out
	}
	if err != nil {
		out.err = err
		return out
	}
	out.publicID = cr.PublicID
	if cr.RecipientName != nil {
		out.recipient = *cr.RecipientName
	} else {
		out.recipient = cr.RecipientAddress
	}
	defer func() {
		if p := recover(); p != nil {
			z.w.Log.Error("bulk zip: panic while making a PDF", "batch", z.batchID, "row", r.RowNumber,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			out.pdf, out.problem = nil, "the PDF could not be made because of an internal error (reported in the server log)"
		}
	}()
	pdf, err := z.w.Certs.RenderLogo(ctx, z.sc, cr, z.logo)
	switch {
	case err != nil && ctx.Err() != nil:
		out.err = ctx.Err()
	case err != nil:
		z.w.Log.Warn("bulk zip: a PDF could not be made", "batch", z.batchID, "row", r.RowNumber, "err", err)
		out.problem = renderProblem(err)
	default:
		out.pdf, out.name = pdf, ZipName(r.RowNumber, out.recipient, cr.PublicID)
	}
	return out
}

// renderProblem words why a row's PDF could not be made for the page and
// the manifest (the error itself, with ids, is in the log).
func renderProblem(err error) string {
	switch {
	case errors.Is(err, issuance.ErrDataHash):
		return "the stored credential does not match its data hash (it was changed or damaged), so its PDF was not made"
	case errors.Is(err, issuance.ErrCredential):
		return "the credential has no signed document to put in a PDF"
	}
	return "the PDF could not be made because of an internal error (reported in the server log)"
}

// ZipName is a row's file name in the ZIP: its row number, the recipient's
// name as a slug (ASCII letters, digits and hyphens, at most 40) and the
// credential's public id, which makes it unique.
func ZipName(row int, recipient, publicID string) string {
	s := slug.From(recipient)
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	if s == "" {
		s = "credential"
	}
	id := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, publicID)
	return fmt.Sprintf("%05d-%s-%s.pdf", row, s, id)
}

// Fingerprint names what a batch's PDFs are made from: its issued rows,
// its template's design (and when the design was saved) and the
// organization's logo. A ready ZIP with the same fingerprint is given out
// again. Revocation and suspension are not in it: a PDF shows neither (it
// carries the signed credential, whose verification says so), so they do
// not change its content.
func Fingerprint(ctx context.Context, sc *store.Scoped, b *store.IssuanceBatch, logo []byte) (string, error) {
	design := "default"
	if b.Template != nil {
		if id := b.Template.TemplateData.Data().DesignID; id != "" {
			e, _, err := sc.DesignRow(ctx, id)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return "", err
			case e.Active:
				design = id + "@" + strconv.FormatInt(e.UpdatedAt.UnixMicro(), 10)
			}
		}
	}
	sum := sha256.Sum256(logo)
	return fmt.Sprintf("v1 issued=%d failed=%d design=%s logo=%s", b.IssuedCount, b.FailedCount, design, hex.EncodeToString(sum[:8])), nil
}

// ZipKey is a new blob key for a batch's ZIP: each ZIP asked for has its
// own, so the retention job never deletes a newer one.
func ZipKey(orgID, batchID string) string {
	return "orgs/" + orgID + "/batches/" + batchID + "/certificates-" + strings.ToLower(rand.Text()[:16]) + ".zip"
}

// Cell keeps a spreadsheet from reading a value as a formula.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// RequestZip asks for the ZIP of a finished batch's PDFs (see
// store.Scoped.QueueBatchZip) and enqueues its job in the same
// transaction; it reports whether a new ZIP was queued. The previous ZIP's
// blob is deleted after the commit.
func RequestZip(ctx context.Context, sc *store.Scoped, q jobs.Enqueuer, blobs blob.Store, certs *certificate.Renderer, batchID string, actor store.Actor) (*store.IssuanceBatch, bool, error) {
	b, err := sc.Batch(ctx, batchID)
	if err != nil {
		return nil, false, err
	}
	org, err := sc.Organization(ctx)
	if err != nil {
		return nil, false, err
	}
	fp, err := Fingerprint(ctx, sc, b, certs.Logo(ctx, org))
	if err != nil {
		return nil, false, err
	}
	if b.ZipState() == store.ZipReady && b.ZipKey != nil {
		// A ready ZIP whose blob is gone (deleted by hand, another
		// disk) is made again.
		r, _, err := blobs.Get(ctx, *b.ZipKey)
		switch {
		case errors.Is(err, blob.ErrNotFound):
			fp += " missing"
		case err != nil:
			return nil, false, err
		default:
			_ = r.Close()
		}
	}
	var (
		old    *string
		queued bool
	)
	key := ZipKey(sc.OrganizationID(), batchID)
	err = sc.InTx(ctx, func(tx *store.Scoped) error {
		var err error
		if b, old, queued, err = tx.QueueBatchZip(ctx, batchID, fp, key, actor); err != nil || !queued {
			return err
		}
		sqlTx, err := tx.SQLTx()
		if err != nil {
			return err
		}
		return q.EnqueueTx(ctx, sqlTx, ZipJob{BatchID: batchID, OrganizationID: sc.OrganizationID(), Key: key})
	})
	if err != nil {
		return nil, false, err
	}
	if old != nil {
		if err := blobs.Delete(ctx, *old); err != nil {
			certs.Log.Warn("bulk zip: the previous ZIP was not deleted", "key", *old, "err", err)
		}
	}
	return b, queued, nil
}

// ZipPurge (bulk_zip_purge) deletes ZIPs older than ZipRetention.
type ZipPurge struct{}

// Kind is the River job kind.
func (ZipPurge) Kind() string { return "bulk_zip_purge" }

// ZipPurgeWorker works bulk_zip_purge.
type ZipPurgeWorker struct {
	river.WorkerDefaults[ZipPurge]
	DB    *store.DB
	Blobs blob.Store
	Log   *slog.Logger
}

// Work deletes the expired ZIPs.
func (w *ZipPurgeWorker) Work(ctx context.Context, _ *river.Job[ZipPurge]) error {
	_, err := PurgeZips(ctx, w.DB, w.Blobs, time.Now().Add(-ZipRetention))
	return err
}

// PurgeZips deletes the ZIPs made before the cutoff, their blobs after
// their columns (a ZIP asked for again meanwhile is kept); it returns how
// many it deleted.
func PurgeZips(ctx context.Context, db *store.DB, blobs blob.Store, before time.Time) (int, error) {
	n := 0
	for {
		zs, err := db.ExpiredBatchZips(ctx, before, 100)
		if err != nil || len(zs) == 0 {
			return n, err
		}
		forgot := 0
		for _, z := range zs {
			ok, err := db.ForgetBatchZip(ctx, z, before)
			if err != nil {
				return n, err
			}
			if !ok {
				continue // asked for again meanwhile
			}
			forgot++
			if err := blobs.Delete(ctx, z.ZipKey); err != nil {
				return n, err
			}
			n++
		}
		if forgot == 0 {
			return n, nil
		}
	}
}

// RegisterZip registers the ZIP job and its retention job (every
// ZipPurgeInterval and at start).
func RegisterZip(ws *jobs.Workers, db *store.DB, certs *certificate.Renderer, blobs blob.Store, log *slog.Logger) {
	log = log.With("component", "jobs")
	jobs.Add(ws, &ZipWorker{DB: db, Certs: certs, Blobs: blobs, Log: log})
	jobs.Add(ws, &ZipPurgeWorker{DB: db, Blobs: blobs, Log: log})
	ws.Every(ZipPurgeInterval, ZipPurge{})
}
