// Package bulk renders bulk issuance: the list of batches, the upload form,
// the review of a file's columns and errors, and the progress and summary
// of its issuance.
package bulk

import (
	"strconv"

	"github.com/trustcred/trustcred/views/ui"
)

// Errors maps a form field to its message; "" is the form-level message.
type Errors map[string]string

// BatchRow is one batch in the list.
type BatchRow struct {
	ID, Template, Filename, Created, CreatedISO string
	Status                                      string // validated, queued, running, completed, cancelled
	Total, Valid, Invalid, Issued, Failed       int
}

// Href is where the batch is opened: its review while it is being
// reviewed, its progress otherwise.
func (r BatchRow) Href() string {
	if r.Status == "validated" {
		return "/credentials/bulk/" + r.ID + "/review"
	}
	return "/credentials/bulk/" + r.ID
}

// Index is the list of the organization's batches.
type Index struct {
	Rows []BatchRow
}

// Option is one template of the upload form.
type Option = ui.Option

// NewForm is the upload form.
type NewForm struct {
	Templates []Option
	Template  string // chosen template id
	Text      string // pasted CSV
	Errors    Errors
}

// Choice is one header a target can be mapped to.
type Choice struct {
	Header   string
	Selected bool
}

// Target is one line of the mapping form: a schema field or the recipient
// and the header chosen for it.
type Target struct {
	Key, Label, Hint string
	Required         bool
	Choices          []Choice
}

// Options are the headers as the choices of the target's select.
func (t Target) Options() []ui.Option {
	out := make([]ui.Option, len(t.Choices))
	for i, c := range t.Choices {
		out[i] = ui.Option{Value: c.Header, Label: c.Header}
	}
	return out
}

// Chosen is the header chosen for the target, "" for none.
func (t Target) Chosen() string {
	for _, c := range t.Choices {
		if c.Selected {
			return c.Header
		}
	}
	return ""
}

// CellError is one error of one row.
type CellError struct {
	Row             int
	Column, Message string
}

// Review is the review page of a batch before anything is issued.
type Review struct {
	ID, Filename, Template string
	Total, Valid, Invalid  int
	Targets                []Target
	Unmapped               []string // headers no target uses
	Problems               []string // about the mapping as a whole
	Errors                 []CellError
	Error                  string // a refusal to show above the forms
}

// IssueLabel is the issue button's text.
func (r Review) IssueLabel() string {
	if r.Valid == 1 {
		return "Issue 1 valid row"
	}
	return "Issue " + strconv.Itoa(r.Valid) + " valid rows"
}

// Failure is a row that was not issued, in the summary.
type Failure struct {
	Row               int
	Recipient, Reason string
}

// Progress is the live state of a batch's issuance.
type Progress struct {
	ID, Status                   string
	Valid, Issued, Failed, Total int
	Invalid                      int
	SendEmail                    bool
	Failures                     []Failure // when done
	Zip                          *Zip      // when done with credentials issued
	// Approval is the batch's approval request when its schema requires
	// approval (approval.templ): the rows were stored pending and wait
	// for one decision on the whole batch, then for their signing.
	Approval *Approval
}

// Zip is the state of the ZIP of a batch's certificate PDFs.
type Zip struct {
	BatchID             string
	Status              string // "" (none yet), queued, running, ready or failed
	Total, Done, Failed int
	Failures            []Failure // rows whose PDF could not be made
	Error               string    // why the ZIP failed
	Size, Made          string    // of a ready ZIP
	Message             string    // the answer to the last request (an error when Refused)
	Refused             bool
}

// Busy reports whether the ZIP is queued or being made.
func (z Zip) Busy() bool { return z.Status == "queued" || z.Status == "running" }

// Percent is the share of PDFs handled, 0–100.
func (z Zip) Percent() int {
	if z.Total <= 0 {
		return 0
	}
	return min(100, z.Done*100/z.Total)
}

// PDFsLine counts the PDFs in a ready ZIP: "1 PDF", "23 PDFs".
func (z Zip) PDFsLine() string {
	if n := z.Done - z.Failed; n != 1 {
		return strconv.Itoa(n) + " PDFs"
	}
	return "1 PDF"
}

// FailedLine introduces the rows without a PDF.
func (z Zip) FailedLine() string {
	if z.Failed == 1 {
		return "1 PDF could not be made:"
	}
	return strconv.Itoa(z.Failed) + " PDFs could not be made:"
}

// Done reports whether the batch has ended: its rows processed and,
// when it was approved, every credential signed (the page polls until
// then).
func (p Progress) Done() bool {
	return (p.Status == "completed" || p.Status == "cancelled") && (p.Approval == nil || !p.Approval.Signing())
}

// Processed is the rows issued or failed so far.
func (p Progress) Processed() int { return p.Issued + p.Failed }

// Percent is the share of valid rows processed, 0–100.
func (p Progress) Percent() int {
	if p.Valid <= 0 {
		return 100
	}
	return min(100, p.Processed()*100/p.Valid)
}

// Show is the batch's page: its progress, then its summary.
type Show struct {
	Progress Progress
	Filename string
	Template string
	Created  string
}
