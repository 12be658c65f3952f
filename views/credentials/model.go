// Package credentials renders the issuer's credential pages: the filtered
// list, a credential's detail with its status actions, and the form that
// issues one credential from a template.
package credentials

import (
	"strconv"

	"github.com/a-h/templ"

	"github.com/trustcred/trustcred/views/ui"
	"github.com/trustcred/trustcred/views/verification"
)

// Path is where the credentials pages live.
const Path = "/credentials"

// Errors maps a field to its message; "" is about the whole form.
type Errors map[string]string

// Option is one choice of a select.
type Option = ui.Option

// Statuses are the status filter's choices.
var Statuses = []Option{{Value: "active", Label: "Active"}, {Value: "suspended", Label: "Suspended"}, {Value: "revoked", Label: "Revoked"}, {Value: "expired", Label: "Expired"},
	{Value: "pending", Label: "Pending"}, {Value: "draft", Label: "Draft"}, {Value: "rejected", Label: "Rejected"}}

// Filter is the list's filter form, as typed.
type Filter struct {
	Status, Template, Schema, From, To, Recipient string
	Errors                                        Errors
}

// Row is one credential in the list.
type Row struct {
	ID                       string
	RecipientName, Recipient string // name (may be ""), email or DID
	Template                 string // "" without a template
	Status                   string
	Issued, IssuedISO        string
	Expires, ExpiresISO      string // "" when it does not expire
}

// ListModel is the credentials page.
type ListModel struct {
	Filter    Filter
	Templates []Option
	Schemas   []Option
	Rows      []Row
	Next      string // the next (older) page; "" on the last
	First     string // back to the first page; "" on it
	CanIssue  bool
	// Blank: the organization has no credentials yet (no filter, first
	// page, no rows): the page shows how to issue the first one instead
	// of a filter form over an empty table.
	Blank bool
}

// Field is one credentialSubject value with the schema's label.
type Field struct {
	Name, Label, Value string
}

// HistoryEntry is one status change.
type HistoryEntry struct {
	At, AtISO, From, To, Reason, Actor, Via string
}

// Status is the status section of the detail page: what the status actions
// swap in place.
type Status struct {
	ID        string
	Status    string
	RevokedAt string
	Reason    string // revocation reason
	CanChange bool   // the viewer may revoke and suspend
	Notice    string // what the last action did
	Error     string // why the last action was refused
	// Waiting says which revocation or suspension waits for a second
	// person (four eyes), by whom; CanWithdraw: the viewer asked for it.
	Waiting     string
	CanWithdraw bool
}

// CanRevoke and the others say which actions the status allows.
func (s Status) CanRevoke() bool {
	return s.CanChange && (s.Status == "active" || s.Status == "suspended" || s.Status == "expired")
}
func (s Status) CanSuspend() bool   { return s.CanChange && s.Status == "active" }
func (s Status) CanUnsuspend() bool { return s.CanChange && s.Status == "suspended" }

// Detail is a credential's page.
type Detail struct {
	ID, PublicID      string
	Title, Template   string
	RecipientName     string
	RecipientAddress  string
	Issuer, IssuerDID string
	Fields            []Field
	Issued, IssuedISO string
	Expires           string // "" when it does not expire
	ExpiresISO        string
	Cryptosuite       string
	PublicURL         string
	JSON              string // the signed credential, indented
	Signed            bool   // it has a signed document: its certificate PDF can be downloaded
	History           []HistoryEntry
	Verifications     int64
	Status            Status
	View              string // "json": the Signed JSON tab; "": the credential as a person reads it
	// Approval says, for a credential issued under an approval
	// requirement, where its approval stands ("" otherwise); ApprovalURL
	// is its request in the inbox, for people who may decide.
	Approval, ApprovalURL string
}

// Confirm asks for a status change's confirmation (and reason): in the
// status section with htmx, on its own page without.
type Confirm struct {
	ID, Title string
	Action    string // revoke, suspend or unsuspend
	Reason    string
	Errors    Errors
}

// URL is where the confirmation posts.
func (c Confirm) URL() string { return Path + "/" + c.ID + "/" + c.Action }

// Back is the credential's page.
func (c Confirm) Back() string { return Path + "/" + c.ID }

// Input is one field of the issue form.
type Input struct {
	Name     string // the form parameter: "f." + the schema field's name
	Label    string
	Type     string // text, number, date, email, url, select, checkbox
	Value    string
	Required bool
	Options  []Option
	Hint     string
	Error    string
	Attrs    map[string]string // min, max, step, minlength, maxlength, pattern
}

// IssueModel is the issue form, and on the preview page the unsigned
// credential it would issue.
type IssueModel struct {
	Templates        []Option // the active templates
	TemplateID       string
	TemplateName     string
	Inputs           []Input
	RecipientName    string
	RecipientAddress string
	Expires          string // yyyy-mm-dd or ""
	ExpiryHint       string // the template's default validity
	Errors           Errors
	Preview          string             // the unsigned credential, indented; "" on the form
	PreviewHuman     verification.Human // the same credential as a person reads it
}

// Checked reports whether a checkbox's value is on.
func (in Input) Checked() bool {
	switch in.Value {
	case "true", "on", "yes", "1":
		return true
	}
	return false
}

// Label is the label of value among options, or value itself.
func Label(options []Option, value string) string {
	for _, o := range options {
		if o.Value == value {
			return o.Label
		}
	}
	return value
}

func fmtCount(n int64) string { return strconv.FormatInt(n, 10) }

func actionTitle(action string) string {
	switch action {
	case "revoke":
		return "Revoke"
	case "suspend":
		return "Suspend"
	}
	return "Unsuspend"
}

func actionExplanation(action string) string {
	switch action {
	case "revoke":
		return "Revocation is permanent: verifiers will see the credential as revoked from now on, and it can never be reinstated. Give a reason; it is kept in the status history."
	case "suspend":
		return "Verifiers will see the credential as suspended until you unsuspend it."
	}
	return "Verifiers will see the credential as valid again."
}

func inputClass(err string) string {
	if err != "" {
		return "block w-full rounded-md border-0 px-3 py-2 text-slate-900 shadow-sm ring-1 ring-inset ring-red-400 focus:ring-2 focus:ring-inset focus:ring-red-600 sm:text-sm"
	}
	return "block w-full rounded-md border-0 px-3 py-2 text-slate-900 shadow-sm ring-1 ring-inset ring-slate-500 focus:ring-2 focus:ring-inset focus:ring-brand-600 sm:text-sm"
}

func attrs(m map[string]string) templ.Attributes {
	a := templ.Attributes{}
	for k, v := range m {
		a[k] = v
	}
	return a
}
