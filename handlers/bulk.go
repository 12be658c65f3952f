package handlers

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/bulk"
	"github.com/trustcred/trustcred/internal/certificate"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/internal/text"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	view "github.com/trustcred/trustcred/views/bulk"
	"github.com/trustcred/trustcred/views/layout"
)

// Bulk serves bulk issuance from CSV files (credentials.issue).
type Bulk struct {
	Keys    *secret.Keyring // seals the rows of a file
	Jobs    jobs.Enqueuer   // the bulk_issue and bulk_zip jobs are enqueued here
	BaseURL string          // credentials' public URLs in results.csv
	Blobs   blob.Store      // the ZIPs of certificate PDFs
	Certs   *certificate.Renderer
}

// batchListLimit is how many batches the list shows, newest first.
const batchListLimit = 100

// Index renders GET /credentials/bulk.
func (h *Bulk) Index(c *fiber.Ctx) error {
	bs, err := auth.Current(c).Scope.Batches(c.UserContext(), batchListLimit)
	if err != nil {
		return err
	}
	m := view.Index{}
	for _, b := range bs {
		r := view.BatchRow{ID: b.ID, Status: string(b.Status), Total: b.TotalRows, Valid: b.ValidRows(), Invalid: b.InvalidRows,
			Issued: b.IssuedCount, Failed: b.FailedCount, Created: when(b.CreatedAt), CreatedISO: b.CreatedAt.UTC().Format(time.RFC3339),
			Template: "(deleted template)"}
		if b.Template != nil {
			r.Template = b.Template.Name
		}
		if b.Filename != nil {
			r.Filename = *b.Filename
		}
		m.Rows = append(m.Rows, r)
	}
	render.SetTitle(c, "Bulk issuance")
	return render.Page(c, fiber.StatusOK, view.IndexPage(m))
}

// New renders GET /credentials/bulk/new (?template=ID preselects one).
func (h *Bulk) New(c *fiber.Ctx) error {
	return h.newPage(c, fiber.StatusOK, view.NewForm{Template: c.Query("template")})
}

func (h *Bulk) newPage(c *fiber.Ctx, status int, f view.NewForm) error {
	ts, err := auth.Current(c).Scope.IssuableTemplates(c.UserContext())
	if err != nil {
		return err
	}
	known := false
	for _, t := range ts {
		f.Templates = append(f.Templates, view.Option{Value: t.ID, Label: t.Name + " (" + t.Schema.Name + " v" + t.Schema.Version + ")"})
		known = known || t.ID == f.Template
	}
	if !known {
		f.Template = ""
	}
	render.SetTitle(c, "Upload a CSV file")
	return render.Page(c, status, view.NewPage(f))
}

// TemplateCSV serves GET /credentials/bulk/template.csv?template=ID: the
// header row a file for the template needs.
func (h *Bulk) TemplateCSV(c *fiber.Ctx) error {
	t, err := auth.Current(c).Scope.IssuableTemplate(c.UserContext(), c.Query("template"))
	if err != nil {
		return err
	}
	headers := []string{"recipient_name", "recipient_email"}
	for _, f := range t.Schema.Fields {
		headers = append(headers, f.Name)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(headers)
	w.Flush()
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+fileSafe(t.Name)+`.csv"`)
	return c.Send(buf.Bytes())
}

// Upload handles POST /credentials/bulk: a template and a file (or pasted
// text). The file is parsed and every row checked, then the batch and all
// its rows are stored; the review page shows the result. Nothing is issued.
func (h *Bulk) Upload(c *fiber.Ctx) error {
	text := c.FormValue("text")
	f := view.NewForm{Template: strings.TrimSpace(c.FormValue("template")), Text: visible(text), Errors: view.Errors{}}
	sc := auth.Current(c).Scope
	var (
		t   *store.CredentialTemplate
		err error
	)
	if f.Template == "" {
		f.Errors["template"] = "Choose the template of the credentials to issue."
	} else if t, err = sc.IssuableTemplate(c.UserContext(), f.Template); errors.Is(err, store.ErrNotFound) {
		f.Errors["template"] = "Choose a template from the list."
	} else if err != nil {
		return err
	}
	data, filename, problem, err := uploaded(c, text)
	if err != nil {
		return err
	}
	if problem != "" {
		f.Errors["file"] = problem
	}
	if len(f.Errors) > 0 {
		return h.newPage(c, fiber.StatusUnprocessableEntity, f)
	}
	table, err := bulk.Parse(data)
	if errors.Is(err, bulk.ErrCSV) {
		f.Errors["file"] = sentence(err.Error())
		return h.newPage(c, fiber.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	b, err := bulk.Import(c.UserContext(), sc, h.Keys, t, filename, table, auth.Actor(c))
	if err != nil {
		return err
	}
	return render.Redirect(c, "/credentials/bulk/"+b.ID+"/review")
}

// uploaded is the file of the form, else the pasted text; problem is what
// to tell the user when neither is usable.
func uploaded(c *fiber.Ctx, pasted string) (data []byte, filename, problem string, err error) {
	if fh, ferr := c.FormFile("file"); ferr == nil && fh.Size > 0 {
		if fh.Size > bulk.MaxFileSize {
			return nil, "", "The file is larger than 5 MB; split it into several batches.", nil
		}
		f, err := fh.Open()
		if err != nil {
			return nil, "", "", err
		}
		defer f.Close()
		data, err = io.ReadAll(io.LimitReader(f, bulk.MaxFileSize+1))
		if err != nil {
			return nil, "", "", err
		}
		name := filepath.Base(fh.Filename)
		if !utf8.ValidString(name) {
			return nil, "", "The file’s name is not valid text; rename the file and choose it again.", nil
		}
		if p := bulk.Control(name, text.SingleLine); p != "" {
			return nil, "", fmt.Sprintf("The file’s name %s; rename the file and choose it again.", p), nil
		}
		return data, name, "", nil
	}
	if strings.TrimSpace(pasted) == "" {
		return nil, "", "Choose a CSV file, or paste the rows below.", nil
	}
	return []byte(pasted), "pasted rows", "", nil
}

// visible is pasted text as the form shows it again: control characters
// (refused by bulk.Parse, with their row and column) and invalid UTF-8
// become U+FFFD, so that the user can see where they were.
func visible(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if bulk.Control(s, text.MultiLine) == "" {
		return s
	}
	return strings.Map(func(r rune) rune {
		if bulk.Control(string(r), text.MultiLine) != "" {
			return '\uFFFD'
		}
		return r
	}, s)
}

// Review renders GET /credentials/bulk/:id/review; once the batch is
// queued, its page is the progress page.
func (h *Bulk) Review(c *fiber.Ctx) error {
	rv, err := bulk.LoadReview(c.UserContext(), auth.Current(c).Scope, h.Keys, c.Params("id"))
	if err != nil {
		return err
	}
	if rv.Batch.Status != store.BatchValidated {
		return render.Redirect(c, "/credentials/bulk/"+rv.Batch.ID)
	}
	m := reviewModel(rv)
	render.SetTitle(c, "Review "+m.Filename)
	return render.Page(c, fiber.StatusOK, view.ReviewPage(m))
}

// Remap handles POST /credentials/bulk/:id/mapping: the columns chosen for
// each target (map_<target>=header); every row is checked again. htmx gets
// the review body; without it, back to the review page.
func (h *Bulk) Remap(c *fiber.Ctx) error {
	sc := auth.Current(c).Scope
	m := bulk.Mapping{}
	c.Context().PostArgs().VisitAll(func(k, v []byte) {
		if key, ok := strings.CutPrefix(string(k), "map_"); ok && len(v) > 0 {
			m[key] = string(v)
		}
	})
	if mf, err := c.MultipartForm(); err == nil {
		for k, vs := range mf.Value {
			if key, ok := strings.CutPrefix(k, "map_"); ok && len(vs) > 0 && vs[0] != "" {
				m[key] = vs[0]
			}
		}
	}
	_, err := bulk.Remap(c.UserContext(), sc, h.Keys, c.Params("id"), m, auth.Actor(c))
	var refusal string
	if errors.Is(err, store.ErrBatchState) {
		refusal, err = sentence(err.Error()), nil
	}
	if err != nil {
		return err
	}
	if !render.IsPartial(c) {
		if refusal != "" {
			render.Flash(c, layout.FlashError, refusal)
		}
		return render.Redirect(c, "/credentials/bulk/"+c.Params("id")+"/review")
	}
	rv, err := bulk.LoadReview(c.UserContext(), sc, h.Keys, c.Params("id"))
	if err != nil {
		return err
	}
	vm := reviewModel(rv)
	status := fiber.StatusOK
	if refusal != "" {
		vm.Error, status = refusal, fiber.StatusUnprocessableEntity
	}
	return render.Component(c, status, view.ReviewBody(vm))
}

// reviewModel turns a review into the page's model.
func reviewModel(rv *bulk.Review) view.Review {
	b := rv.Batch
	m := view.Review{ID: b.ID, Filename: "pasted rows", Template: "(deleted)", Total: b.TotalRows, Valid: b.ValidRows(),
		Invalid: b.InvalidRows, Problems: rv.Problems}
	if b.Filename != nil {
		m.Filename = *b.Filename
	}
	if b.Template != nil {
		m.Template = b.Template.Name
	}
	used := map[string]bool{}
	for _, t := range rv.Targets {
		vt := view.Target{Key: t.Key, Label: t.Label, Hint: t.Hint, Required: t.Required}
		for _, hd := range rv.Headers {
			sel := rv.Mapping[t.Key] == hd
			vt.Choices = append(vt.Choices, view.Choice{Header: hd, Selected: sel})
			used[hd] = used[hd] || sel
		}
		m.Targets = append(m.Targets, vt)
	}
	for _, hd := range rv.Headers {
		if !used[hd] {
			m.Unmapped = append(m.Unmapped, hd)
		}
	}
	for _, e := range rv.Errors {
		m.Errors = append(m.Errors, view.CellError{Row: e.Row, Column: e.Column, Message: e.Message})
	}
	return m
}

// Issue handles POST /credentials/bulk/:id/issue: the batch is queued and
// its job enqueued in the same transaction; then to the progress page.
func (h *Bulk) Issue(c *fiber.Ctx) error {
	sc := auth.Current(c).Scope
	id := c.Params("id")
	send := c.FormValue("send_email") == "true"
	_, err := bulk.Queue(c.UserContext(), sc, h.Jobs, id, send, auth.Actor(c))
	if errors.Is(err, store.ErrBatchState) {
		render.Flash(c, layout.FlashError, sentence(err.Error()))
		return render.Redirect(c, "/credentials/bulk/"+id+"/review")
	}
	if err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "Issuing has started. You can leave this page; it goes on in the background.")
	return render.Redirect(c, "/credentials/bulk/"+id)
}

// Cancel handles POST /credentials/bulk/:id/cancel: rows not issued yet
// stay so.
func (h *Bulk) Cancel(c *fiber.Ctx) error {
	b, err := auth.Current(c).Scope.CancelBatch(c.UserContext(), c.Params("id"), auth.Actor(c))
	if errors.Is(err, store.ErrBatchState) {
		render.Flash(c, layout.FlashError, sentence(err.Error()))
		return render.Redirect(c, "/credentials/bulk/"+c.Params("id"))
	}
	if err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "The batch is cancelled. "+strconv.Itoa(b.IssuedCount)+" credentials had been issued.")
	return render.Redirect(c, "/credentials/bulk")
}

// Show renders GET /credentials/bulk/:id: the progress, then the summary.
func (h *Bulk) Show(c *fiber.Ctx) error {
	sc := auth.Current(c).Scope
	b, err := sc.Batch(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if b.Status == store.BatchValidated {
		return render.Redirect(c, "/credentials/bulk/"+b.ID+"/review")
	}
	p, err := h.progress(c, b)
	if err != nil {
		return err
	}
	s := view.Show{Progress: p, Filename: "Pasted rows", Template: "(deleted)", Created: when(b.CreatedAt)}
	if b.Filename != nil {
		s.Filename = *b.Filename
	}
	if b.Template != nil {
		s.Template = b.Template.Name
	}
	render.SetTitle(c, "Bulk issuance: "+s.Filename)
	return render.Page(c, fiber.StatusOK, view.ShowPage(s))
}

// Progress renders GET /credentials/bulk/:id/progress: the progress
// partial that the page polls.
func (h *Bulk) Progress(c *fiber.Ctx) error {
	b, err := auth.Current(c).Scope.Batch(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	p, err := h.progress(c, b)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return render.Component(c, fiber.StatusOK, view.ProgressView(p))
}

func (h *Bulk) progress(c *fiber.Ctx, b *store.IssuanceBatch) (view.Progress, error) {
	p := view.Progress{ID: b.ID, Status: string(b.Status), Valid: b.ValidRows(), Issued: b.IssuedCount, Failed: b.FailedCount,
		Total: b.TotalRows, Invalid: b.InvalidRows, SendEmail: b.SendEmail}
	if err := batchApproval(c, b, &p); err != nil {
		return p, err
	}
	if !p.Done() {
		return p, nil
	}
	results, err := bulk.Results(c.UserContext(), auth.Current(c).Scope, h.Keys, b.ID, h.BaseURL)
	if err != nil {
		return p, err
	}
	for _, r := range results {
		if r.Status == store.RowFailed {
			p.Failures = append(p.Failures, view.Failure{Row: r.Row, Recipient: r.Recipient, Reason: r.Error})
		}
	}
	if b.IssuedCount > 0 {
		z := zipState(b)
		p.Zip = &z
	}
	return p, nil
}

// zipState is the ZIP card's view of a batch.
func zipState(b *store.IssuanceBatch) view.Zip {
	z := view.Zip{BatchID: b.ID, Status: string(b.ZipState()), Total: b.ZipTotal, Done: b.ZipDone, Failed: b.ZipFailed}
	for _, e := range b.ZipErrors {
		z.Failures = append(z.Failures, view.Failure{Row: e.Row, Recipient: e.Recipient, Reason: e.Reason})
	}
	if b.ZipError != nil {
		z.Error = *b.ZipError
	}
	if b.ZipCompletedAt != nil {
		z.Made = when(*b.ZipCompletedAt)
	}
	return z
}

// Zip renders GET /credentials/bulk/:id/zip: the ZIP card, which polls it
// while the ZIP is being made.
func (h *Bulk) Zip(c *fiber.Ctx) error {
	z, err := h.zipView(c, c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return render.Component(c, fiber.StatusOK, view.ZipView(z))
}

// zipView is the batch's ZIP card, with a ready ZIP's size (404 for a
// batch that is not the organization's or issued nothing).
func (h *Bulk) zipView(c *fiber.Ctx, id string) (view.Zip, error) {
	b, err := auth.Current(c).Scope.Batch(c.UserContext(), id)
	if err != nil {
		return view.Zip{}, err
	}
	if !b.Done() || b.IssuedCount == 0 {
		return view.Zip{}, store.ErrNotFound
	}
	z := zipState(b)
	if z.Status == string(store.ZipReady) {
		r, info, err := h.Blobs.Get(c.UserContext(), *b.ZipKey)
		switch {
		case errors.Is(err, blob.ErrNotFound):
			z.Status, z.Error = string(store.ZipFailed), "The ZIP is no longer stored. Prepare it again."
		case err != nil:
			return z, err
		default:
			_ = r.Close()
			z.Size = byteSize(info.Size)
		}
	}
	return z, nil
}

// PrepareZip handles POST /credentials/bulk/:id/zip: the ZIP of the
// batch's PDFs is queued, unless one is being made or the ready one is
// up to date (bulk.RequestZip). htmx gets the card; without JavaScript,
// back to the batch's page.
func (h *Bulk) PrepareZip(c *fiber.Ctx) error {
	who := auth.Current(c)
	id := c.Params("id")
	_, queued, err := bulk.RequestZip(c.UserContext(), who.Scope, h.Jobs, h.Blobs, h.Certs, id, auth.Actor(c))
	var msg string
	refused := errors.Is(err, store.ErrBatchState)
	switch {
	case refused:
		msg = sentence(err.Error())
	case err != nil:
		return err
	case !queued:
		msg = "Nothing changed since these PDFs were prepared: the ZIP below is up to date."
	}
	if !render.IsPartial(c) {
		switch {
		case refused:
			render.Flash(c, layout.FlashError, msg)
		case msg != "":
			render.Flash(c, layout.FlashInfo, msg)
		}
		return render.Redirect(c, "/credentials/bulk/"+id)
	}
	z, err := h.zipView(c, id)
	if errors.Is(err, store.ErrNotFound) && refused {
		// Still being issued: the card is not on the page yet.
		return render.Component(c, fiber.StatusConflict, view.ZipView(view.Zip{BatchID: id, Message: msg, Refused: true}))
	}
	if err != nil {
		return err
	}
	z.Message, z.Refused = msg, refused
	status := fiber.StatusOK
	if queued {
		status = fiber.StatusAccepted
	}
	return render.Component(c, status, view.ZipView(z))
}

// DownloadZip serves GET /credentials/bulk/:id/certificates.zip: the ready
// ZIP (404 otherwise, and for another organization's batch).
func (h *Bulk) DownloadZip(c *fiber.Ctx) error {
	b, err := auth.Current(c).Scope.Batch(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if b.ZipState() != store.ZipReady || b.ZipKey == nil {
		return store.ErrNotFound
	}
	r, info, err := h.Blobs.Get(c.UserContext(), *b.ZipKey)
	if errors.Is(err, blob.ErrNotFound) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	name := "certificates"
	if b.Filename != nil {
		name = strings.TrimSuffix(fileSafe(*b.Filename), "-csv") + "-certificates"
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`.zip"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.SendStream(r, int(info.Size))
}

// byteSize is a file size for people: 1.2 MB, 830 KB.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// Results serves GET /credentials/bulk/:id/results.csv: every row with
// its recipient, status and public credential URL or error.
func (h *Bulk) Results(c *fiber.Ctx) error {
	results, err := bulk.Results(c.UserContext(), auth.Current(c).Scope, h.Keys, c.Params("id"), h.BaseURL)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"row", "recipient", "status", "credential_url", "error"})
	for _, r := range results {
		_ = w.Write([]string{strconv.Itoa(r.Row), bulk.Cell(r.Recipient), string(r.Status), r.URL, bulk.Cell(r.Error)})
	}
	w.Flush()
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="bulk-`+c.Params("id")+`-results.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

// fileSafe is a name usable as a download's file name.
func fileSafe(s string) string {
	out := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
	if out == "" {
		return "template"
	}
	return out
}
