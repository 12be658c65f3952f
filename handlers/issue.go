package handlers

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/credentials"
	"github.com/trustcred/trustcred/views/layout"
	view "github.com/trustcred/trustcred/views/verification"
)

// dataPrefix starts the form names of a schema's fields, so that they never
// meet the form's own (recipient_name, expires…).
const dataPrefix = "data."

// IssueForm renders GET /credentials/issue: the template chooser and, once
// a template is chosen (?template=, or the only one), its form with the
// template's defaults filled in. htmx gets the same section back when the
// choice changes.
func (h *Credentials) IssueForm(c *fiber.Ctx) error {
	sc := auth.Current(c).Scope
	tpls, err := sc.IssuableTemplates(c.UserContext())
	if err != nil {
		return err
	}
	m := credentials.IssueModel{Errors: credentials.Errors{}}
	for _, t := range tpls {
		m.Templates = append(m.Templates, credentials.Option{Value: t.ID, Label: t.Name})
	}
	status := fiber.StatusOK
	tid := c.Query("template")
	if tid == "" && len(tpls) == 1 {
		tid = tpls[0].ID
	}
	if tid != "" {
		var tpl *store.CredentialTemplate
		for i := range tpls {
			if tpls[i].ID == tid {
				tpl = &tpls[i]
			}
		}
		if tpl == nil {
			m.Errors[""] = "This template is not available: choose an active template from the list."
			status = fiber.StatusUnprocessableEntity
		} else {
			fillTemplate(&m, tpl, tpl.TemplateData.Data().Defaults, nil)
		}
	}
	render.SetTitle(c, "Issue a credential")
	return render.Page(c, status, credentials.Issue(m))
}

// fillTemplate puts the template's inputs in the model, with values (by
// field name) and errors (by field name).
func fillTemplate(m *credentials.IssueModel, tpl *store.CredentialTemplate, values, errs map[string]string) {
	m.TemplateID, m.TemplateName = tpl.ID, tpl.Name
	td := tpl.TemplateData.Data()
	if td.ValidityDays > 0 {
		m.ExpiryHint = "Leave empty for the template's validity: " + strconv.Itoa(td.ValidityDays) + " days from today."
	} else {
		m.ExpiryHint = "Leave empty for a credential that does not expire."
	}
	if tpl.Schema == nil {
		return
	}
	for _, f := range tpl.Schema.Fields {
		in := credentials.Input{Name: dataPrefix + f.Name, Label: f.Label, Required: f.Required, Hint: f.Description,
			Value: values[f.Name], Error: errs[f.Name], Attrs: map[string]string{}}
		if in.Label == "" {
			in.Label = f.Name
		}
		v := f.Validation
		switch f.Type {
		case store.SchemaFieldNumber:
			in.Type = "number"
			in.Attrs["step"] = "any"
			if v.Min != nil {
				in.Attrs["min"] = strconv.FormatFloat(*v.Min, 'f', -1, 64)
			}
			if v.Max != nil {
				in.Attrs["max"] = strconv.FormatFloat(*v.Max, 'f', -1, 64)
			}
		case store.SchemaFieldDate:
			in.Type = "date"
		case store.SchemaFieldEmail:
			in.Type = "email"
		case store.SchemaFieldURL:
			in.Type = "url"
			if in.Hint == "" {
				in.Hint = "A full address, such as https://example.org/…"
			}
		case store.SchemaFieldSelect:
			in.Type = "select"
			for _, o := range f.Options {
				label := o.Label
				if label == "" {
					label = o.Value
				}
				in.Options = append(in.Options, credentials.Option{Value: o.Value, Label: label})
			}
		case store.SchemaFieldBoolean:
			in.Type = "checkbox"
		default:
			in.Type = "text"
			if v.Pattern != "" {
				in.Attrs["pattern"] = v.Pattern
			}
		}
		if f.Type == store.SchemaFieldText || f.Type == store.SchemaFieldEmail || f.Type == store.SchemaFieldURL {
			if v.MinLength != nil {
				in.Attrs["minlength"] = strconv.Itoa(*v.MinLength)
			}
			if v.MaxLength != nil {
				in.Attrs["maxlength"] = strconv.Itoa(*v.MaxLength)
			}
		}
		m.Inputs = append(m.Inputs, in)
	}
}

// issueRequest is a posted issue form, read and checked.
type issueRequest struct {
	model credentials.IssueModel
	req   issuance.Request
}

// readIssue reads the posted form: the template (an active one of the
// organization), the recipient, the expiry and the schema's fields, coerced
// (credschema.Coerce) and then checked against the schema's JSON Schema.
// ok is false when the form must be shown again with its errors.
func (h *Credentials) readIssue(c *fiber.Ctx) (r issueRequest, ok bool, err error) {
	sc := auth.Current(c).Scope
	ctx := c.UserContext()
	tpls, err := sc.IssuableTemplates(ctx)
	if err != nil {
		return r, false, err
	}
	m := credentials.IssueModel{Errors: credentials.Errors{}}
	for _, t := range tpls {
		m.Templates = append(m.Templates, credentials.Option{Value: t.ID, Label: t.Name})
	}
	m.RecipientName = strings.TrimSpace(strings.ToValidUTF8(c.FormValue("recipient_name"), ""))
	m.RecipientAddress = strings.TrimSpace(strings.ToValidUTF8(c.FormValue("recipient_address"), ""))
	m.Expires = strings.TrimSpace(c.FormValue("expires"))
	var tpl *store.CredentialTemplate
	for i := range tpls {
		if tpls[i].ID == c.FormValue("template_id") {
			tpl = &tpls[i]
		}
	}
	if tpl == nil {
		m.Errors[""] = "This template is not available any more: choose an active template from the list."
		r.model = m
		return r, false, nil
	}
	var fields []store.SchemaField
	if tpl.Schema != nil {
		fields = tpl.Schema.Fields
	}
	raw := map[string]string{}
	for _, f := range fields {
		v := strings.ToValidUTF8(c.FormValue(dataPrefix+f.Name), "")
		if f.Type == store.SchemaFieldBoolean {
			// An unchecked box posts nothing: it means false.
			v = strconv.FormatBool(v != "")
		}
		raw[f.Name] = v
	}
	data, ferrs := credschema.Coerce(fields, raw)
	if ferrs == nil {
		ferrs = map[string]string{}
	}
	if tpl.Schema != nil {
		schema, cerr := issuance.Schema(tpl.Schema)
		if cerr != nil {
			m.Errors[""] = "This template's schema cannot check the data (" + cerr.Error() + "). Fix the schema, then issue."
		} else {
			for k, msg := range schema.Validate(data) {
				if _, seen := ferrs[k]; !seen {
					ferrs[k] = msg
				}
			}
		}
	}
	errs := map[string]string{}
	labels := map[string]string{}
	for _, f := range fields {
		labels[f.Name] = f.Label
		if labels[f.Name] == "" {
			labels[f.Name] = f.Name
		}
	}
	for k, msg := range ferrs {
		if k == "" || labels[k] == "" {
			m.Errors[""] = strings.TrimSpace(m.Errors[""] + " The data " + fullStop(msg))
			continue
		}
		errs[k] = labels[k] + " " + fullStop(msg)
	}
	for field, p := range issuance.CheckRecipient(m.RecipientName, m.RecipientAddress) {
		m.Errors[field] = recipientProblem(field, p)
	}
	var expires *time.Time
	if m.Expires != "" {
		d, perr := time.Parse(time.DateOnly, m.Expires)
		today := time.Now().UTC().Truncate(24 * time.Hour)
		switch {
		case perr != nil:
			m.Errors["expires"] = "Enter a date as yyyy-mm-dd, such as " + today.AddDate(1, 0, 0).Format(time.DateOnly) + "."
		case !d.After(today):
			m.Errors["expires"] = "Choose a day after today: the credential would be expired already."
		default:
			end := d.Add(24*time.Hour - time.Second) // valid to the end of that day (UTC)
			expires = &end
		}
	}
	bad := map[string]string{}
	checkForm(c, bad)
	for k, msg := range bad {
		if name, ok := strings.CutPrefix(k, dataPrefix); ok {
			if labels[name] != "" {
				errs[name] = labels[name] + ": " + strings.ToLower(msg[:1]) + msg[1:]
			} else {
				m.Errors[""] = strings.TrimSpace(m.Errors[""] + " The field " + strconv.Quote(name) + ": " + strings.ToLower(msg[:1]) + msg[1:])
			}
			continue
		}
		m.Errors[k] = msg
	}
	fillTemplate(&m, tpl, raw, errs)
	r.model = m
	r.req = issuance.Request{Template: tpl, RecipientName: m.RecipientName, RecipientAddress: m.RecipientAddress, Data: data, ExpiresAt: expires}
	return r, len(m.Errors) == 0 && len(errs) == 0, nil
}

// recipientProblem words what issuance.CheckRecipient found for the
// form's recipient fields.
func recipientProblem(field string, p issuance.Problem) string {
	if field == issuance.FieldRecipientName {
		switch p {
		case issuance.Missing:
			return "Enter the recipient's name."
		case issuance.TooLong:
			return "Use at most " + strconv.Itoa(issuance.MaxRecipientName) + " characters."
		}
		return "Use letters, digits, spaces and punctuation only."
	}
	switch p {
	case issuance.Missing:
		return "Enter the recipient's email address or DID."
	case issuance.NotDID:
		return "This is not a valid DID. A DID looks like did:key:z6Mk… or did:web:example.org."
	case issuance.TooLong:
		return "This address is too long: an email address has at most " + strconv.Itoa(issuance.MaxEmail) +
			" characters, a DID at most " + strconv.Itoa(issuance.MaxDID) + "."
	}
	return "Enter an email address such as name@example.org, or a DID."
}

// fullStop ends a validator's message with a full stop.
func fullStop(msg string) string {
	msg = strings.TrimSpace(msg)
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// issueError is what the form says about an error issuing: a message for
// the person (ok) or an internal error (not ok).
func issueError(err error) (string, bool) {
	var ce *issuance.CredentialError
	switch {
	case errors.Is(err, issuance.ErrOrganizationInactive):
		return "Your organization is not active, so it cannot issue credentials. The platform operator decides when it is.", true
	case errors.Is(err, vc.ErrUndefinedTerm):
		term := strings.TrimPrefix(err.Error(), vc.ErrUndefinedTerm.Error())
		return "The credential uses a term its JSON-LD context does not define" + strings.TrimSpace(term) +
			". Rename the schema field or the template's values, then try again.", true
	case errors.Is(err, vc.ErrUnknownContext):
		return unknownContext(err) + ": TrustCred only uses the JSON-LD contexts it ships. Check the template's values.", true
	case errors.Is(err, vc.ErrJSONLD):
		return "The credential is not valid JSON-LD, so it cannot be signed. Check the template's values.", true
	case errors.Is(err, issuance.ErrCryptosuite):
		return "This template names a cryptosuite TrustCred does not sign with. Edit the template: choose eddsa-rdfc-2022 or eddsa-jcs-2022.", true
	case errors.As(err, &ce):
		return "The credential cannot be issued: " + fullStop(ce.Error()), true
	}
	var rfe issuance.FieldErrors
	if errors.As(err, &rfe) {
		var msgs []string
		for field, p := range rfe {
			msgs = append(msgs, recipientProblem(field, p))
		}
		return strings.Join(msgs, " "), true
	}
	var fe store.FieldErrors
	if errors.As(err, &fe) {
		var msgs []string
		for k, v := range fe {
			msgs = append(msgs, k+" "+v)
		}
		return "The credential cannot be stored: " + fullStop(strings.Join(msgs, "; ")), true
	}
	return "", false
}

// Preview handles POST /credentials/issue/preview: the form again, with
// the exact unsigned credential it would issue and a "Sign and issue"
// button that posts the same values to /credentials/issue.
func (h *Credentials) Preview(c *fiber.Ctx) error {
	r, ok, err := h.readIssue(c)
	if err != nil {
		return err
	}
	render.SetTitle(c, "Issue a credential")
	if !ok {
		return render.Page(c, fiber.StatusUnprocessableEntity, credentials.Issue(r.model))
	}
	doc, err := h.Issuer.Preview(c.UserContext(), auth.Current(c).Scope, r.req)
	if err == nil {
		// What signing would refuse, refused now.
		_, err = vc.CanonicalizeRDFC(doc)
	}
	if err != nil {
		msg, known := issueError(err)
		if !known {
			return err
		}
		r.model.Errors[""] = msg
		return render.Page(c, fiber.StatusUnprocessableEntity, credentials.Issue(r.model))
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	r.model.Preview = string(b)
	r.model.PreviewHuman = previewHuman(doc, r.req.Template, auth.Current(c).Org, r.model.RecipientName)
	return render.Page(c, fiber.StatusOK, credentials.Issue(r.model))
}

// Issue handles POST /credentials/issue: checks the form as Preview does,
// signs and stores the credential, and goes to its page with a flash.
func (h *Credentials) Issue(c *fiber.Ctx) error {
	r, ok, err := h.readIssue(c)
	if err != nil {
		return err
	}
	render.SetTitle(c, "Issue a credential")
	if !ok {
		return render.Page(c, fiber.StatusUnprocessableEntity, credentials.Issue(r.model))
	}
	// The recipient's email job commits with the credential.
	r.req.Email = h.Emails
	issued, err := h.Issuer.Submit(c.UserContext(), auth.Current(c).Scope, r.req, store.ViaWeb, "", auth.Actor(c))
	if err != nil {
		msg, known := issueError(err)
		if !known {
			return err
		}
		r.model.Errors[""] = msg
		return render.Page(c, fiber.StatusUnprocessableEntity, credentials.Issue(r.model))
	}
	if !issued.Signed {
		render.Flash(c, layout.FlashInfo, "Submitted for approval: the credential for "+r.model.RecipientName+
			" is signed and sent once its reviewers approve it. Its public link says it is awaiting approval until then.")
		return render.Redirect(c, credentials.Path+"/"+issued.Credential.ID)
	}
	render.Flash(c, layout.FlashSuccess, "Issued and signed: a credential for "+r.model.RecipientName+".")
	kind, msg := h.emailNotice(issued.Credential.RecipientAddress)
	render.Flash(c, kind, msg)
	return render.Redirect(c, credentials.Path+"/"+issued.Credential.ID)
}

// emailNotice says whether the recipient at address is emailed the new
// credential's link (the credential_email job, queued with it by the door).
func (h *Credentials) emailNotice(address string) (layout.FlashKind, string) {
	switch {
	case strings.HasPrefix(address, "did:"):
		return layout.FlashInfo, "No email was sent: the recipient is a DID, without an email address. Give them the public link below."
	case h.Emails == nil || !mail.Configured(h.Mailer):
		return layout.FlashInfo, "No email was sent to " + address + ": email is not configured on this server. Give them the public link below."
	}
	return layout.FlashInfo, "An email with the credential's link is on its way to " + address + ". It is not sent if they turned these emails off."
}

// previewHuman is the unsigned document as its public page will show it:
// the same human view, issued today by org.
func previewHuman(doc map[string]any, tpl *store.CredentialTemplate, org *store.Organization, recipient string) view.Human {
	var fields []store.SchemaField
	if tpl.Schema != nil {
		fields = tpl.Schema.Fields
	}
	h := humanCredential(doc, fields)
	h.Nested, h.RecipientName = true, recipient
	if h.Title == "" {
		h.Title = tpl.Name
	}
	h.IssuerName, h.IssuerVerified = org.Name, org.Verified
	if org.LogoKey != nil {
		h.IssuerLogo = "/orgs/" + org.Slug + "/logo"
	}
	now := time.Now()
	h.IssuedAt = dayOf(&now)
	if s, _ := doc["validUntil"].(string); s != "" {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			h.ValidUntil = dayOf(&t)
		}
	}
	return h
}
