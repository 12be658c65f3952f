package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/form"
	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/credentials"
	"github.com/trustcred/trustcred/views/layout"
)

// Credentials serves the issuer's credential pages: the list, a
// credential's detail and download, its status changes, and issuing one
// credential from a template (issue.go).
type Credentials struct {
	Issuer   *issuance.Issuer
	PageSize int // 0: store.DefaultCredentialPage
	// Emails is where the email that sends recipients the link to a new
	// credential is enqueued (notify's credential_email job: sent only with
	// SMTP configured and when their preferences allow); nil sends none.
	Emails jobs.Enqueuer
	// Mailer is only asked whether email is configured, so that the page
	// after issuing can say whether the recipient is emailed.
	Mailer mail.Mailer
	Log    *slog.Logger
}

// Index renders GET /credentials: the page, or only the results for htmx
// (filters and paging). A bad filter value is 422 with its message next to
// the field (above the results for htmx).
func (h *Credentials) Index(c *fiber.Ctx) error {
	id := auth.Current(c)
	m := credentials.ListModel{CanIssue: authz.Can(id.User.Role, authz.CredentialsIssue)}
	choices, err := id.Scope.CredentialFilterChoices(c.UserContext())
	if err != nil {
		return err
	}
	for _, t := range choices.Templates {
		m.Templates = append(m.Templates, credentials.Option{Value: t.ID, Label: t.Label})
	}
	for _, s := range choices.Schemas {
		m.Schemas = append(m.Schemas, credentials.Option{Value: s.ID, Label: s.Label})
	}
	f, sf, page := parseCredentialFilter(c, m)
	if len(f.Errors) == 0 {
		page.Limit = h.PageSize
		l, err := id.Scope.Credentials(c.UserContext(), sf, page)
		switch {
		case errors.Is(err, store.ErrBadFilter):
			f.Errors[""] = "This filter is not valid. Start again with Clear."
		case err != nil:
			return err
		}
		for _, e := range l.Entries {
			m.Rows = append(m.Rows, credentialRow(e))
		}
		if l.Next != nil {
			m.Next = credentialsURL(f, l.Next.String())
		}
		if page.Cursor != nil {
			m.First = credentialsURL(f, "")
		}
	}
	status := fiber.StatusOK
	if len(f.Errors) > 0 {
		status = fiber.StatusUnprocessableEntity
		m.Rows, m.Next = nil, ""
		if render.IsPartial(c) {
			f.Errors[""] = form.Summary(f.Errors, "recipient", "status", "template", "schema", "from", "to")
		}
	}
	m.Filter = f
	m.Blank = len(f.Errors) == 0 && len(m.Rows) == 0 && page.Cursor == nil &&
		!form.Filtered(f.Recipient, f.Status, f.Template, f.Schema, f.From, f.To)
	render.SetTitle(c, "Credentials")
	if render.IsPartial(c) {
		return render.Page(c, status, credentials.Results(m))
	}
	return render.Page(c, status, credentials.List(m))
}

// parseCredentialFilter reads and checks the query string: statuses,
// templates and schemas must be ones the form offers.
func parseCredentialFilter(c *fiber.Ctx, m credentials.ListModel) (credentials.Filter, store.CredentialFilter, store.CredentialPage) {
	f := credentials.Filter{Status: c.Query("status"), Template: c.Query("template"), Schema: c.Query("schema"),
		From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to")), Recipient: consoleSearch(c.Query("recipient")),
		Errors: credentials.Errors{}}
	sf := store.CredentialFilter{Status: store.CredentialStatus(f.Status), TemplateID: f.Template, SchemaID: f.Schema, Recipient: f.Recipient}
	if utf8.RuneCountInString(f.Recipient) > store.MaxRecipientSearch {
		f.Errors["recipient"] = "Search with at most 200 characters."
	}
	offered := func(opts []credentials.Option, v string) bool {
		for _, o := range opts {
			if o.Value == v {
				return true
			}
		}
		return false
	}
	if f.Status != "" && !offered(credentials.Statuses, f.Status) {
		f.Errors["status"] = "Choose a status from the list."
	}
	if f.Template != "" && !offered(m.Templates, f.Template) {
		f.Errors["template"] = "Choose a template from the list."
	}
	if f.Schema != "" && !offered(m.Schemas, f.Schema) {
		f.Errors["schema"] = "Choose a schema from the list."
	}
	days := form.ParseDays(f.Errors, f.From, f.To)
	sf.IssuedFrom, sf.IssuedTo = days.From, days.To
	var page store.CredentialPage
	if a := c.Query("after"); a != "" {
		page.Cursor = form.ParseCursor(f.Errors, a)
	}
	return f, sf, page
}

// credentialsURL is the list with the filter, and a page cursor unless after is "".
func credentialsURL(f credentials.Filter, after string) string {
	return form.Link(credentials.Path, map[string]string{"recipient": f.Recipient, "status": f.Status, "template": f.Template,
		"schema": f.Schema, "from": f.From, "to": f.To, "after": after})
}

func credentialRow(e store.CredentialEntry) credentials.Row {
	r := credentials.Row{ID: e.ID, Recipient: e.RecipientAddress, Status: string(e.Status)}
	if e.RecipientName != nil {
		r.RecipientName = *e.RecipientName
	}
	if e.TemplateName != nil {
		r.Template = *e.TemplateName
	}
	issued := e.CreatedAt
	if e.IssuedAt != nil {
		issued = *e.IssuedAt
	}
	r.Issued, r.IssuedISO = day(issued), issued.UTC().Format(time.RFC3339)
	if e.ExpiresAt != nil {
		r.Expires, r.ExpiresISO = day(*e.ExpiresAt), e.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return r
}

func day(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

func stamp(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

// Show renders GET /credentials/:id: the human view, the signed JSON, the
// status with its actions, the history and the verification count.
func (h *Credentials) Show(c *fiber.Ctx) error {
	id := auth.Current(c)
	ctx := c.UserContext()
	cr, err := id.Scope.Credential(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	st, err := h.statusModel(c, cr)
	if err != nil {
		return err
	}
	d := credentials.Detail{ID: cr.ID, PublicID: cr.PublicID, RecipientAddress: cr.RecipientAddress,
		PublicURL: h.Issuer.CredentialURL(cr.PublicID), Status: st}
	if c.Query("view") == "json" {
		d.View = "json"
	}
	if req, err := id.Scope.ApprovalRequestFor(ctx, cr.ID); err == nil {
		switch req.Status {
		case store.RequestPending:
			d.Approval = "Waiting for its approvals: it is signed and sent once they are given."
		case store.RequestApproved:
			d.Approval = "Approved: its approvals are part of the signed credential."
			if cr.Status == store.CredentialPending {
				d.Approval = "Approved: it is being signed."
			}
		case store.RequestRejected:
			d.Approval = "Rejected by a reviewer: it will not be signed."
		default:
			d.Approval = "The approval request was " + string(req.Status) + "."
		}
		if authz.Can(id.User.Role, authz.ApprovalsDecide) {
			d.ApprovalURL = "/approvals/" + req.ID
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if cr.RecipientName != nil {
		d.RecipientName = *cr.RecipientName
	}
	if cr.ProofType != nil {
		d.Cryptosuite = *cr.ProofType
	}
	issued := cr.CreatedAt
	if cr.IssuedAt != nil {
		issued = *cr.IssuedAt
	}
	d.Issued, d.IssuedISO = stamp(issued), issued.UTC().Format(time.RFC3339)
	if cr.ExpiresAt != nil {
		d.Expires, d.ExpiresISO = stamp(*cr.ExpiresAt), cr.ExpiresAt.UTC().Format(time.RFC3339)
	}
	var doc map[string]any
	if raw, err := h.Issuer.SignedDocument(cr); err == nil {
		var pretty bytes.Buffer
		d.JSON = string(raw)
		if json.Indent(&pretty, raw, "", "  ") == nil {
			d.JSON = pretty.String()
		}
		_ = json.Unmarshal(raw, &doc)
	} else if !errors.Is(err, issuance.ErrCredential) {
		return err
	}
	if d.JSON == "" {
		d.JSON = "(no signed document is stored for this credential)"
	}
	d.Signed = signed(cr) && doc != nil
	d.Title, d.Template = credentialTitle(cr, doc)
	d.Issuer, d.IssuerDID = id.Org.Name, id.Org.DID
	if iss, ok := doc["issuer"].(map[string]any); ok {
		if v, ok := iss["id"].(string); ok {
			d.IssuerDID = v
		}
		if v, ok := iss["name"].(string); ok && v != "" {
			d.Issuer = v
		}
	} else if v, ok := doc["issuer"].(string); ok {
		d.IssuerDID = v
	}
	d.Fields = subjectFields(cr.Schema, doc)
	hist, err := id.Scope.CredentialStatusHistory(ctx, cr.ID)
	if err != nil {
		return err
	}
	for _, e := range hist {
		he := credentials.HistoryEntry{At: stamp(e.CreatedAt), AtISO: e.CreatedAt.UTC().Format(time.RFC3339), From: string(e.FromStatus),
			To: string(e.ToStatus), Via: string(e.Via), Actor: "system"}
		if e.Reason != nil {
			he.Reason = *e.Reason
		}
		if e.Actor != nil {
			he.Actor = e.Actor.Email
		} else if e.Via == store.ViaAPI {
			he.Actor = "API key"
		}
		d.History = append(d.History, he)
	}
	if d.Verifications, err = id.Scope.CredentialVerificationCount(ctx, cr.ID); err != nil {
		return err
	}
	render.SetTitle(c, d.Title)
	return render.Page(c, fiber.StatusOK, credentials.Show(d))
}

// credentialTitle is what to call a credential: its template's display
// title, else the template's name, else the document's name.
func credentialTitle(cr *store.Credential, doc map[string]any) (title, template string) {
	if cr.Template != nil {
		template = cr.Template.Name
		title = cr.Template.TemplateData.Data().Display.Title
		if title == "" {
			title = template
		}
	}
	if title == "" {
		if v, ok := doc["name"].(string); ok {
			title = v
		}
	}
	if title == "" {
		title = "Credential " + cr.PublicID
	}
	return title, template
}

// subjectFields are the schema's fields present in credentialSubject, in
// the schema's order, with their labels; values are shown as a person
// reads them (yes/no, an option's label).
func subjectFields(schema *store.CredentialSchema, doc map[string]any) []credentials.Field {
	subject, _ := doc["credentialSubject"].(map[string]any)
	if schema == nil || subject == nil {
		return nil
	}
	var out []credentials.Field
	for _, f := range schema.Fields {
		v, ok := subject[f.Name]
		if !ok {
			continue
		}
		label := f.Label
		if label == "" {
			label = f.Name
		}
		out = append(out, credentials.Field{Name: f.Name, Label: label, Value: fieldText(f, v)})
	}
	return out
}

// fieldText is a credential value as a person reads it: yes/no, an
// option's label, a date written out; objects and lists as JSON. Both the
// staff's and the public credential pages use it.
func fieldText(f store.SchemaField, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		if x {
			return "Yes"
		}
		return "No"
	case string:
		switch f.Type {
		case store.SchemaFieldSelect:
			for _, o := range f.Options {
				if o.Value == x && o.Label != "" {
					return o.Label
				}
			}
		case store.SchemaFieldDate:
			if t, err := time.Parse(time.DateOnly, x); err == nil {
				return t.Format("2 January 2006")
			}
		}
		return x
	case json.Number:
		return x.String()
	case float64:
		return fmt.Sprint(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Download handles GET /credentials/:id/credential.json: the signed
// credential as a file.
func (h *Credentials) Download(c *fiber.Ctx) error {
	cr, err := auth.Current(c).Scope.Credential(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !signed(cr) {
		return fiber.ErrNotFound // nothing signed to download yet (or ever)
	}
	raw, err := h.Issuer.SignedDocument(cr)
	if errors.Is(err, issuance.ErrCredential) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vc+ld+json")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="credential-`+cr.PublicID+`.json"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusOK).Send(raw)
}

// statusModel is the status section for the viewer.
func (h *Credentials) statusModel(c *fiber.Ctx, cr *store.Credential) (credentials.Status, error) {
	id := auth.Current(c)
	s := credentials.Status{ID: cr.ID, Status: string(cr.Status),
		CanChange: authz.Can(id.User.Role, authz.CredentialsRevoke)}
	if cr.RevokedAt != nil {
		s.RevokedAt = stamp(*cr.RevokedAt)
	}
	if cr.RevocationReason != nil {
		s.Reason = *cr.RevocationReason
	}
	// A revocation or suspension waiting for a second person (four eyes).
	w, err := id.Scope.WaitingStatusChange(c.UserContext(), cr.ID)
	if err != nil || w == nil {
		return s, err
	}
	by := "an API key"
	switch {
	case w.Requester != nil:
		by = memberName(w.Requester)
	case w.Via == store.ViaSystem:
		by = "TrustCred"
	}
	s.Waiting = fmt.Sprintf("A %s waits for a second person's approval (asked by %s, %s).",
		map[store.StatusAction]string{store.ActionRevoke: "revocation", store.ActionSuspend: "suspension"}[w.Action], by, stamp(w.CreatedAt))
	s.CanWithdraw = s.CanChange && w.RequesterID != nil && *w.RequesterID == id.User.ID
	return s, nil
}

// WithdrawStatusChange handles POST /credentials/:id/status-change/withdraw:
// the person who asked for a revocation or suspension that waits for a
// second person withdraws it (store.Scoped.WithdrawStatusChange); the
// status section with the outcome (409 with the reason when refused) for
// htmx, the credential's page with a flash otherwise.
func (h *Credentials) WithdrawStatusChange(c *fiber.Ctx) error {
	id := auth.Current(c)
	ctx := c.UserContext()
	_, err := id.Scope.WithdrawStatusChange(ctx, c.Params("id"), id.User.ID, auth.Actor(c))
	status, msg := fiber.StatusOK, "Withdrawn: the credential stays as it is."
	switch {
	case errors.Is(err, store.ErrNotYourRequest):
		status, msg = fiber.StatusConflict, "Only the person who asked for this change can withdraw it."
	case errors.Is(err, store.ErrApprovalNotPending):
		status, msg = fiber.StatusConflict, "Nothing waits to be withdrawn: the request was decided or withdrawn meanwhile."
	case err != nil:
		return err // another organization's credential: 404
	}
	cr, err := id.Scope.Credential(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	if !render.IsPartial(c) {
		kind := layout.FlashSuccess
		if status != fiber.StatusOK {
			kind = layout.FlashError
		}
		render.Flash(c, kind, msg)
		return render.Redirect(c, credentials.Path+"/"+cr.ID)
	}
	s, err := h.statusModel(c, cr)
	if err != nil {
		return err
	}
	if status == fiber.StatusOK {
		s.Notice = msg
	} else {
		s.Error = msg
	}
	return render.Page(c, status, credentials.StatusSection(s))
}

var statusActions = map[string]store.StatusAction{"revoke": store.ActionRevoke, "suspend": store.ActionSuspend, "unsuspend": store.ActionUnsuspend}

// ConfirmStatus handles GET /credentials/:id/{revoke,suspend,unsuspend}:
// the confirmation, in the status section (htmx) or on its own page.
func (h *Credentials) ConfirmStatus(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cr, err := auth.Current(c).Scope.Credential(c.UserContext(), c.Params("id"))
		if err != nil {
			return err
		}
		title, _ := credentialTitle(cr, nil)
		return h.confirmPage(c, fiber.StatusOK, credentials.Confirm{ID: cr.ID, Title: title, Action: action, Errors: credentials.Errors{}})
	}
}

func (h *Credentials) confirmPage(c *fiber.Ctx, status int, cf credentials.Confirm) error {
	if render.IsPartial(c) {
		return render.Page(c, status, credentials.ConfirmSection(cf))
	}
	render.SetTitle(c, cf.Title)
	return render.Page(c, status, credentials.ConfirmPage(cf))
}

// ChangeStatus handles POST /credentials/:id/{revoke,suspend,unsuspend}:
// a reason is required to revoke. htmx gets the status section back (422
// with the reason when the change is refused); a plain form a redirect to
// the credential, or the confirmation again with the message.
func (h *Credentials) ChangeStatus(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := auth.Current(c)
		ctx := c.UserContext()
		cr, err := id.Scope.Credential(ctx, c.Params("id"))
		if err != nil {
			return err
		}
		title, _ := credentialTitle(cr, nil)
		cf := credentials.Confirm{ID: cr.ID, Title: title, Action: action, Errors: credentials.Errors{},
			Reason: strings.TrimSpace(strings.ToValidUTF8(c.FormValue("reason"), ""))}
		switch {
		case action == "revoke" && cf.Reason == "":
			cf.Errors["reason"] = "Give a reason: it is kept in the credential's status history."
		case utf8.RuneCountInString(cf.Reason) > store.MaxStatusReason:
			cf.Errors["reason"] = "Use at most 1,000 characters."
		}
		checkForm(c, cf.Errors)
		if len(cf.Errors) > 0 {
			return h.confirmPage(c, fiber.StatusUnprocessableEntity, cf)
		}
		out, err := h.Issuer.RequestStatusChange(ctx, id.Scope, cr.ID, statusActions[action], cf.Reason, store.ViaWeb, auth.Actor(c))
		if errors.Is(err, store.ErrStatusChange) || errors.Is(err, store.ErrStatusChangeWaiting) {
			msg := "This change is not allowed: " + statusRefusal(err)
			if errors.Is(err, store.ErrStatusChangeWaiting) {
				msg = "A revocation or suspension of this credential already waits for approval: it can be decided in Approvals."
			}
			if render.IsPartial(c) {
				s, err := h.statusModel(c, cr)
				if err != nil {
					return err
				}
				s.Error = msg
				return render.Page(c, fiber.StatusUnprocessableEntity, credentials.StatusSection(s))
			}
			cf.Errors[""] = msg
			return h.confirmPage(c, fiber.StatusUnprocessableEntity, cf)
		}
		if err != nil {
			return err
		}
		changed, notice := out.Credential, statusNotice[action]
		if out.Waiting != nil {
			notice = "Sent for approval: your organization requires a second person. It takes effect once another administrator or reviewer approves it in Approvals."
		}
		if render.IsPartial(c) {
			s, err := h.statusModel(c, changed)
			if err != nil {
				return err
			}
			s.Notice = notice
			return render.Page(c, fiber.StatusOK, credentials.StatusSection(s))
		}
		render.Flash(c, layout.FlashSuccess, notice)
		return render.Redirect(c, credentials.Path+"/"+cr.ID)
	}
}

// statusRefusal is the store's user-facing reason, without its prefix.
func statusRefusal(err error) string {
	var se *store.StatusChangeError
	if errors.As(err, &se) {
		return se.Error() + "."
	}
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, store.ErrStatusChange.Error()+": "); ok {
		msg = after
	}
	return msg + "."
}

var statusNotice = map[string]string{
	"revoke":    "Revoked. Verifiers now see this credential as revoked.",
	"suspend":   "Suspended. Verifiers see this credential as suspended until you unsuspend it.",
	"unsuspend": "Unsuspended. The credential is active again.",
}
