package handlers

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/form"
	"github.com/trustcred/trustcred/internal/approval"
	textrules "github.com/trustcred/trustcred/internal/text"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	view "github.com/trustcred/trustcred/views/approvals"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/ui"
)

// Approvals serves the reviewer's inbox (/approvals, approvals.decide):
// the pending requests, one request with its credential as it will be
// signed, and the decisions, all through the approval door
// (approval.Service), whose store enforces every rule.
type Approvals struct {
	Svc *approval.Service
}

// MaxBulkApprovals is the most requests one "Approve selected" decides.
const MaxBulkApprovals = store.MaxInboxPage

// Index renders GET /approvals: full page, or the results for htmx.
func (h *Approvals) Index(c *fiber.Ctx) error {
	m, status, err := h.index(c)
	if err != nil {
		return err
	}
	render.SetTitle(c, "Approvals")
	if c.Get("HX-Request") == "true" && c.Get("HX-Target") == view.ResourcesID && status == fiber.StatusOK {
		return render.Component(c, status, view.ResourcesSection(m.Resources)) // the schema section's pager
	}
	if c.Get("HX-Request") == "true" && c.Get("HX-Boosted") != "true" {
		return render.Component(c, status, view.Results(m))
	}
	return render.Page(c, status, view.IndexPage(m))
}

func (h *Approvals) index(c *fiber.Ctx) (view.Index, int, error) {
	id := auth.Current(c)
	ctx := c.UserContext()
	m := view.Index{Filter: view.Filter{Schema: c.Query("schema"), Template: c.Query("template"), Requester: c.Query("requester"),
		Age: c.Query("age"), Step: c.Query("step"), Type: c.Query("type")}}
	m.Filtered = form.Filtered(m.Filter.Schema, m.Filter.Template, m.Filter.Requester, m.Filter.Age, m.Filter.Step, m.Filter.Type)
	schemas, err := id.Scope.Schemas(ctx)
	if err != nil {
		return m, 0, err
	}
	for _, s := range schemas {
		m.Schemas = append(m.Schemas, ui.Option{Value: s.ID, Label: s.Name + " " + s.Version})
	}
	templates, err := id.Scope.Templates(ctx)
	if err != nil {
		return m, 0, err
	}
	for _, t := range templates {
		m.Templates = append(m.Templates, ui.Option{Value: t.ID, Label: t.Name})
	}
	// Steps: as many as the organization's longest workflow has, and one
	// more for the schema's rules after it.
	workflows, err := id.Scope.ApprovalWorkflows(ctx)
	if err != nil {
		return m, 0, err
	}
	steps := 0
	for _, w := range workflows {
		if w.WorkflowType == store.WorkflowCredentialIssuance {
			steps = max(steps, len(w.Steps)+1)
		}
	}
	for k := 1; k <= steps; k++ {
		m.Steps = append(m.Steps, ui.Option{Value: strconv.Itoa(k), Label: "Step " + strconv.Itoa(k)})
	}
	members, err := id.Scope.Members(ctx, store.MemberFilter{})
	if err != nil {
		return m, 0, err
	}
	for _, u := range members {
		if u.Role == store.RoleIssuer || u.Role == store.RoleAdmin {
			m.Requesters = append(m.Requesters, ui.Option{Value: u.ID, Label: memberName(&u.User)})
		}
	}
	if m.StepUp, err = h.stepUp(c); err != nil {
		return m, 0, err
	}
	if m.StatusChanges, err = h.statusChanges(c); err != nil {
		return m, 0, err
	}
	errs := map[string]string{}
	params := map[string]string{"schema": m.Filter.Schema, "template": m.Filter.Template, "step": m.Filter.Step,
		"requester": m.Filter.Requester, "age": m.Filter.Age, "type": m.Filter.Type, "after": c.Query("after"),
		view.ResourcesAfter: c.Query(view.ResourcesAfter)}
	switch m.Filter.Type {
	case "", view.TypeSchema, view.TypeUser:
		if rcur := form.ParseCursor(errs, c.Query(view.ResourcesAfter)); len(errs) == 0 {
			if m.Resources, err = h.resources(c, store.ApprovalKind(m.Filter.Type), rcur, params); err != nil {
				return m, 0, err
			}
		}
	case view.TypeCredential:
	default:
		errs["type"] = "Choose a type from the list."
	}
	f := store.InboxFilter{}
	if v := m.Filter.Schema; v != "" {
		if !slices.ContainsFunc(m.Schemas, func(o ui.Option) bool { return o.Value == v }) {
			errs["schema"] = "Choose a schema from the list."
		}
		f.SchemaID = v
	}
	if v := m.Filter.Template; v != "" {
		if !slices.ContainsFunc(m.Templates, func(o ui.Option) bool { return o.Value == v }) {
			errs["template"] = "Choose a template from the list."
		}
		f.TemplateID = v
	}
	if v := m.Filter.Step; v != "" {
		if !slices.ContainsFunc(m.Steps, func(o ui.Option) bool { return o.Value == v }) {
			errs["step"] = "Choose a step from the list."
		} else {
			f.Step, _ = strconv.Atoi(v)
		}
	}
	if v := m.Filter.Requester; v != "" {
		if !slices.ContainsFunc(m.Requesters, func(o ui.Option) bool { return o.Value == v }) {
			errs["requester"] = "Choose a person from the list."
		}
		f.RequesterID = v
	}
	if v := m.Filter.Age; v != "" {
		if !slices.ContainsFunc(view.Ages, func(o ui.Option) bool { return o.Value == v }) {
			errs["age"] = "Choose how long the requests have waited from the list."
		} else {
			f.OlderThan, _ = time.ParseDuration(v)
		}
	}
	cur := form.ParseCursor(errs, c.Query("after"))
	if len(errs) > 0 {
		m.Error = form.Summary(errs, "type", "schema", "template", "step", "requester", "age")
		return m, fiber.StatusUnprocessableEntity, nil
	}
	if m.Filter.ResourcesOnly() {
		return m, fiber.StatusOK, nil // the schemas or members alone
	}
	page, err := id.Scope.ApprovalInbox(ctx, f, store.InboxPage{Cursor: cur})
	if err != nil {
		return m, 0, err
	}
	now := time.Now()
	for _, e := range page.Entries {
		r := view.Row{ID: e.ID, Recipient: e.RecipientAddress, Schema: e.SchemaName, Requester: "an API key",
			Waiting: waited(now.Sub(e.CreatedAt)), WaitingISO: iso(e.CreatedAt)}
		if e.RecipientName != nil && *e.RecipientName != "" {
			r.Recipient = *e.RecipientName
		}
		if e.TemplateName != nil {
			r.Template = *e.TemplateName
		}
		if e.BatchID != nil {
			r.Recipient = batchLabel(e)
		}
		if e.RequesterEmail != nil {
			r.Requester = *e.RequesterEmail
		}
		if len(m.Steps) > 0 {
			r.Step = "Step " + strconv.Itoa(e.CurrentStep)
		}
		m.Rows = append(m.Rows, r)
	}
	delete(params, "after")
	if cur != nil {
		m.Newer = form.Link(view.Path, params)
	}
	if page.Next != nil {
		params["after"] = page.Next.String()
		m.Older = form.Link(view.Path, params)
	}
	return m, fiber.StatusOK, nil
}

// waited is how long a request has waited, in words.
func waited(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return units(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return units(int(d/time.Hour), "hour")
	}
	return units(int(d/(24*time.Hour)), "day")
}

func units(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func memberName(u *store.User) string {
	if n := strings.TrimSpace(u.Profile.Data().DisplayName); n != "" {
		return n + " (" + u.Email + ")"
	}
	return u.Email
}

// Count renders GET /approvals/count: the navigation's count of requests
// the person could decide.
func (h *Approvals) Count(c *fiber.Ctx) error {
	id := auth.Current(c)
	n, err := id.Scope.PendingApprovals(c.UserContext(), id.User.ID, id.User.Role)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return render.Component(c, fiber.StatusOK, ui.NavCount(n, store.MaxPendingCount, "waiting for your decision"))
}

// Show renders GET /approvals/:id.
func (h *Approvals) Show(c *fiber.Ctx) error {
	m, err := h.detail(c, c.Params("id"))
	if err != nil {
		return err
	}
	render.SetTitle(c, "Approve a credential")
	return render.Page(c, fiber.StatusOK, view.DetailPage(m))
}

func (h *Approvals) detail(c *fiber.Ctx, reqID string) (view.Detail, error) {
	id := auth.Current(c)
	ctx, sc := c.UserContext(), id.Scope
	req, err := sc.ApprovalRequest(ctx, reqID)
	if err != nil {
		return view.Detail{}, err
	}
	cred := req.Credential
	m := view.Detail{ID: req.ID, Status: string(req.Status), Recipient: cred.RecipientAddress, Requester: "an API key",
		RequestedAt: stamp(req.CreatedAt)}
	if cred.RecipientName != nil && *cred.RecipientName != "" {
		m.Recipient = *cred.RecipientName
	}
	if req.Requester != nil {
		m.Requester = memberName(req.Requester)
	}
	schema, err := sc.Schema(ctx, req.SchemaID)
	if err != nil {
		return view.Detail{}, err
	}
	m.Schema = schema.Name + " " + schema.Version
	if req.BatchID != nil {
		if m.Batch, err = batchOf(c, req); err != nil {
			return view.Detail{}, err
		}
	}
	// The credential exactly as it will be signed (the approvals are
	// added as its evidence then).
	if m.Human, err = h.preview(c, cred, schema); err != nil {
		return view.Detail{}, err
	}
	tally, err := sc.ApprovalTally(ctx, req.ID)
	if err != nil {
		return view.Detail{}, err
	}
	for _, t := range tally {
		if t.Step > 0 {
			continue // a workflow's step: shown with the steps
		}
		roles := make([]string, 0, len(t.Roles)+1)
		for _, r := range t.Roles {
			roles = append(roles, string(r)+"s")
		}
		switch n := len(t.UserIDs); {
		case n == 1:
			roles = append(roles, "the person it names")
		case n > 1:
			roles = append(roles, fmt.Sprintf("the %d people it names", n))
		}
		m.Rules = append(m.Rules, view.Rule{Text: fmt.Sprintf("Approvals of %s", strings.Join(roles, " or ")),
			Given: min(t.Approvals, t.Required), Required: t.Required, Met: t.Met()})
	}
	steps, err := sc.ApprovalSteps(ctx, req.ID)
	if err != nil {
		return view.Detail{}, err
	}
	m.Steps = stepViews(steps)
	decisions, err := sc.ApprovalDecisions(ctx, req.ID)
	if err != nil {
		return view.Detail{}, err
	}
	m.History = append(m.History, view.Event{When: stamp(req.CreatedAt), WhenISO: iso(req.CreatedAt), Who: m.Requester, What: "asked for approval"})
	decided := false
	for _, a := range decisions {
		who := "A former member"
		if a.Approver != nil {
			who = memberName(a.Approver)
		}
		if a.ActingForID != nil {
			absent := "a former member"
			if a.ActingFor != nil {
				absent = memberName(a.ActingFor)
			}
			who += " acting for " + absent
		}
		what := "approved"
		if a.ApprovalStatus == store.ApprovalRejected {
			what = "rejected"
		}
		if a.ApproverRole != nil {
			what += " as " + *a.ApproverRole
		}
		if len(steps) > 0 && a.Step <= len(steps) {
			what += fmt.Sprintf(" at step %d “%s”", a.Step, steps[a.Step-1].Name)
		}
		at := a.CreatedAt
		if a.ApprovedAt != nil {
			at = *a.ApprovedAt
		}
		e := view.Event{When: stamp(at), WhenISO: iso(at), Who: who, What: what, Earlier: a.Round != req.Round}
		if a.ApprovalNotes != nil {
			e.Note = *a.ApprovalNotes
		}
		m.History = append(m.History, e)
		if (a.ApproverID == id.User.ID || a.ActingForID != nil && *a.ActingForID == id.User.ID) && a.Round == req.Round {
			decided = true
		}
	}
	m.Decision = view.Decision{ID: req.ID}
	if m.Decision.StepUp, err = h.stepUp(c); err != nil {
		return view.Detail{}, err
	}
	if m.Decision.ActingFor, err = actingForOptions(c, req.RequesterID); err != nil {
		return view.Detail{}, err
	}
	switch {
	case req.Status != store.RequestPending:
		m.Decision.Why = "This request is " + string(req.Status) + ": there is nothing left to decide."
	case req.RequesterID != nil && *req.RequesterID == id.User.ID:
		m.Decision.Why = "You asked for this credential: other people approve it."
	case decided:
		m.Decision.Why = "You have decided on this request. The others' decisions are still needed."
	default:
		m.Decision.CanDecide = true
	}
	return m, nil
}

// Approve handles POST /approvals/:id/approve; htmx swaps the decision
// panel with the outcome, a plain form goes back to the request.
func (h *Approvals) Approve(c *fiber.Ctx) error {
	id := auth.Current(c)
	ok, err := h.confirm(c)
	var refused *approval.StepUpError
	if errors.As(err, &refused) {
		m, err := h.detail(c, c.Params("id"))
		if err != nil {
			return err
		}
		m.Decision.StepUp.Error = refused.Message
		if c.Get("HX-Request") != "true" {
			return render.Page(c, fiber.StatusUnprocessableEntity, view.DetailPage(m))
		}
		return render.Component(c, fiber.StatusUnprocessableEntity, view.DecisionPanel(m.Decision))
	}
	if err != nil {
		return err
	}
	d, err := h.Svc.DecideConfirmed(c.UserContext(), id.Scope, store.Decision{RequestID: c.Params("id"), Approve: true,
		ActingForID: strings.TrimSpace(c.FormValue("acting_for"))}, ok, auth.Actor(c))

	msg := ""
	if err == nil {
		msg = "Approved. More approvals are needed before it is signed."
		if !d.Final && d.Approval.Step != d.Request.CurrentStep {
			msg = fmt.Sprintf("Approved. Step %d is complete: the request moves on to step %d, whose approvers were told.",
				d.Approval.Step, d.Request.CurrentStep)
		}
		if d.Final {
			msg = "Approved. That was the last approval needed: the credential is being signed and sent to its recipient."
			if d.Request.BatchID != nil {
				msg = "Approved. That was the last approval needed: every credential of the batch is being signed; the batch's page shows the progress."
			}
		}
	}
	return h.decided(c, msg, err, "")
}

// stepUp is what the organization asks approvers to re-enter.
func (h *Approvals) stepUp(c *fiber.Ctx) (view.StepUp, error) {
	p, err := h.Svc.StepUpPolicy(c.UserContext(), auth.Current(c).Scope)
	if err != nil || p == store.StepUpNone {
		return view.StepUp{}, err
	}
	return view.StepUp{Method: string(p)}, nil
}

// confirm checks the step-up the request carries (approval.Service.Confirm):
// every approval goes through it, so the policy holds on every path.
func (h *Approvals) confirm(c *fiber.Ctx) (approval.Confirmed, error) {
	id := auth.Current(c)
	return h.Svc.Confirm(c.UserContext(), id.Scope, id.User.ID,
		approval.StepUp{Password: c.FormValue(approval.FieldPassword), Code: c.FormValue(approval.FieldCode)}, auth.Actor(c))
}

// Reject handles POST /approvals/:id/reject (note required).
func (h *Approvals) Reject(c *fiber.Ctx) error {
	id := auth.Current(c)
	note := strings.TrimSpace(c.FormValue("note"))
	if msg := checkNote(note); msg != "" {
		return h.refuse(c, note, msg)
	}
	d, err := h.Svc.Decide(c.UserContext(), id.Scope, store.Decision{RequestID: c.Params("id"), ApproverID: id.User.ID, Note: note,
		ActingForID: strings.TrimSpace(c.FormValue("acting_for"))}, auth.Actor(c))
	if errors.Is(err, store.ErrNoteRequired) {
		return h.refuse(c, note, "Say why you reject it: the requester reads your note.")
	}
	msg := ""
	if err == nil {
		msg = "Rejected. The requester was told, with your note; the credential will not be signed."
		if d.Request.BatchID != nil {
			msg = "Rejected. The requester was told, with your note; none of the batch's credentials will be signed."
		}
	}
	return h.decided(c, msg, err, note)
}

// checkNote is the note field's rule: required, at most
// store.MaxApprovalNote characters, no control or invisible characters.
func checkNote(note string) string {
	switch {
	case note == "":
		return "Say why you reject it: the requester reads your note."
	case len([]rune(note)) > store.MaxApprovalNote:
		return fmt.Sprintf("Keep the note under %d characters.", store.MaxApprovalNote)
	}
	if err := textrules.Check(note, textrules.MultiLine); err != nil {
		return "The note contains characters that are not allowed: " + err.Error() + "."
	}
	return ""
}

// refuse re-renders the decision panel with the note's error (422).
func (h *Approvals) refuse(c *fiber.Ctx, note, msg string) error {
	m, err := h.detail(c, c.Params("id"))
	if err != nil {
		return err
	}
	m.Decision.Note, m.Decision.NoteError = note, msg
	if c.Get("HX-Request") != "true" {
		return render.Page(c, fiber.StatusUnprocessableEntity, view.DetailPage(m))
	}
	return render.Component(c, fiber.StatusUnprocessableEntity, view.DecisionPanel(m.Decision))
}

// decisionRefusal words the store's refusals of a decision; "" for an
// error that is not one (returned to the error handler).
func decisionRefusal(err error) string {
	switch {
	case errors.Is(err, store.ErrApprovalNotPending):
		return "This request is no longer pending: someone else's decision ended it. Nothing was changed."
	case errors.Is(err, store.ErrAlreadyDecided):
		return "You have already decided on this request."
	case errors.Is(err, store.ErrOwnRequest):
		return "You asked for this credential: other people approve it."
	case errors.Is(err, store.ErrNotEligible):
		return "Your role does not allow you to approve this credential (any more), or not at the step it waits at."
	case errors.Is(err, approval.ErrStepUpRequired):
		return "Your organization's approval policy changed while you were deciding: confirm again to approve."
	case errors.Is(err, store.ErrNotDelegate):
		return "You are not standing in for this person now: their delegation has ended or names someone else."
	case errors.Is(err, store.ErrSampleNotViewed):
		return "Open the sample of the batch's rows first: TrustCred picked them at random for you to check before you approve the whole batch."
	}
	return ""
}

// decided answers a decision: the panel with the outcome (or the
// refusal, 409) for htmx, the request's page with a flash otherwise.
func (h *Approvals) decided(c *fiber.Ctx, msg string, err error, note string) error {
	status := fiber.StatusOK
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return err
		}
		if msg = decisionRefusal(err); msg == "" {
			return err
		}
		status = fiber.StatusConflict
	}
	if c.Get("HX-Request") != "true" {
		kind := layout.FlashSuccess
		if err != nil {
			kind = layout.FlashError
		}
		render.Flash(c, kind, msg)
		return render.Redirect(c, view.Path+"/"+c.Params("id"))
	}
	m, derr := h.detail(c, c.Params("id"))
	if derr != nil {
		return derr
	}
	m.Decision.Message, m.Decision.Error = msg, err != nil
	if err != nil {
		m.Decision.Note = note
	}
	c.Set("HX-Trigger", "approvals-changed")
	return render.Component(c, status, view.Decided(m))
}

// ApproveSelected handles POST /approvals/approve: each selected request
// approved in turn (each its own decision and transaction); the results
// say how many were approved and which were refused, and why.
func (h *Approvals) ApproveSelected(c *fiber.Ctx) error {
	id := auth.Current(c)
	ids := selectedIDs(c)
	var approved int
	var refused []string
	switch {
	case len(ids) == 0:
		refused = append(refused, "Select at least one credential to approve.")
	case len(ids) > MaxBulkApprovals:
		refused = append(refused, fmt.Sprintf("Select at most %d credentials at once.", MaxBulkApprovals))
	default:
		// One step-up for the whole selection (a code works once).
		ok, err := h.confirm(c)
		var stepUp *approval.StepUpError
		if errors.As(err, &stepUp) {
			m, _, err := h.index(c)
			if err != nil {
				return err
			}
			m.StepUp.Error = stepUp.Message
			if c.Get("HX-Request") == "true" {
				return render.Component(c, fiber.StatusUnprocessableEntity, view.Results(m))
			}
			render.SetTitle(c, "Approvals")
			return render.Page(c, fiber.StatusUnprocessableEntity, view.IndexPage(m))
		}
		if err != nil {
			return err
		}
		for _, reqID := range ids {
			_, err := h.Svc.ApproveConfirmed(c.UserContext(), id.Scope, reqID, ok, auth.Actor(c))
			switch {
			case err == nil:
				approved++
			case errors.Is(err, store.ErrNotFound):
				refused = append(refused, "One of the selected requests does not exist.")
			default:
				msg := decisionRefusal(err)
				if msg == "" {
					return err
				}
				refused = append(refused, msg)
			}
		}
	}
	m, status, err := h.index(c)
	if err != nil {
		return err
	}
	m.Notice = units(approved, "credential") + " approved."
	if len(refused) > 0 {
		m.Notice += " " + units(len(refused), "request") + " not: " + strings.Join(slices.Compact(refused), " ")
		m.NoticeError = approved == 0
	}
	c.Set("HX-Trigger", "approvals-changed")
	if c.Get("HX-Request") == "true" {
		return render.Component(c, status, view.Results(m))
	}
	render.SetTitle(c, "Approvals")
	return render.Page(c, status, view.IndexPage(m))
}

// selectedIDs are the form's id values, each once.
func selectedIDs(c *fiber.Ctx) []string {
	var ids []string
	for _, v := range c.Context().PostArgs().PeekMulti("id") {
		s := string(v)
		if !slices.Contains(ids, s) {
			ids = append(ids, s)
		}
	}
	return ids
}

// statusChanges are the organization's revocations and suspensions
// waiting for a second person (four eyes).
func (h *Approvals) statusChanges(c *fiber.Ctx) (view.StatusChanges, error) {
	id := auth.Current(c)
	rs, err := id.Scope.StatusChangeRequests(c.UserContext())
	if err != nil {
		return view.StatusChanges{}, err
	}
	var out view.StatusChanges
	if out.StepUp, err = h.stepUp(c); err != nil {
		return view.StatusChanges{}, err
	}
	now := time.Now()
	for _, r := range rs {
		row := view.StatusChangeRow{ID: r.ID, CredentialID: r.CredentialID, Action: map[store.StatusAction]string{
			store.ActionRevoke: "Revoke", store.ActionSuspend: "Suspend"}[r.Action], Reason: r.Reason, Requester: "an API key",
			Waiting: waited(now.Sub(r.CreatedAt)), WaitingISO: iso(r.CreatedAt), Own: r.RequesterID != nil && *r.RequesterID == id.User.ID}
		if r.Credential != nil {
			row.Recipient = r.Credential.RecipientAddress
			if n := r.Credential.RecipientName; n != nil && *n != "" {
				row.Recipient = *n
			}
		}
		switch {
		case r.Requester != nil:
			row.Requester = memberName(r.Requester)
		case r.Via == store.ViaSystem:
			row.Requester = "TrustCred"
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// ApproveStatusChange handles POST /approvals/status-changes/:id/approve:
// the waiting revocation or suspension is made now
// (approval.Service.DecideStatusChange: the organization's step-up first,
// as for approvals).
func (h *Approvals) ApproveStatusChange(c *fiber.Ctx) error {
	id := auth.Current(c)
	ok, err := h.confirm(c)
	var refused *approval.StepUpError
	if errors.As(err, &refused) {
		return h.statusChangeRowRefused(c, refused.Message, func(r *view.StatusChangeRow) { r.StepUpError = refused.Message })
	}
	if err != nil {
		return err
	}
	r, err := h.Svc.DecideStatusChange(c.UserContext(), id.Scope, c.Params("id"), id.User.ID, true, "", &ok, auth.Actor(c))
	msg := ""
	if err == nil {
		msg = map[store.StatusAction]string{store.ActionRevoke: "Approved: the credential is revoked. Verifiers now see it as revoked.",
			store.ActionSuspend: "Approved: the credential is suspended. Verifiers see it as suspended until it is unsuspended."}[r.Action]
	}
	return h.statusChangeDecided(c, msg, err, "")
}

// RejectStatusChange handles POST /approvals/status-changes/:id/reject
// (a note is required): the credential stays as it is.
func (h *Approvals) RejectStatusChange(c *fiber.Ctx) error {
	id := auth.Current(c)
	note := strings.TrimSpace(c.FormValue("note"))
	if msg := checkNote(note); msg != "" {
		return h.statusChangeRefused(c, note, msg)
	}
	_, err := h.Svc.DecideStatusChange(c.UserContext(), id.Scope, c.Params("id"), id.User.ID, false, note, nil, auth.Actor(c))
	if errors.Is(err, store.ErrNoteRequired) {
		return h.statusChangeRefused(c, note, "Say why you reject it: the requester reads your note.")
	}
	msg := ""
	if err == nil {
		msg = "Rejected: the credential stays as it is."
	}
	return h.statusChangeDecided(c, msg, err, note)
}

// statusChangeRefused answers a rejection whose note is refused: 422,
// the section with the message next to the row's note.
func (h *Approvals) statusChangeRefused(c *fiber.Ctx, note, msg string) error {
	return h.statusChangeRowRefused(c, msg, func(r *view.StatusChangeRow) { r.Note, r.NoteError = note, msg })
}

// statusChangeRowRefused answers a refused form of one status change
// (422): the section with mark applied to the request's row, or, when it
// no longer waits, the section saying so (404 for another organization's).
func (h *Approvals) statusChangeRowRefused(c *fiber.Ctx, msg string, mark func(*view.StatusChangeRow)) error {
	s, err := h.statusChanges(c)
	if err != nil {
		return err
	}
	found := false
	for i := range s.Rows {
		if s.Rows[i].ID == c.Params("id") {
			mark(&s.Rows[i])
			found = true
		}
	}
	if !found {
		if _, err := auth.Current(c).Scope.StatusChangeRequest(c.UserContext(), c.Params("id")); err != nil {
			return err // another organization's: 404
		}
		s.Notice, s.NoticeError = "This request is no longer pending: someone else's decision ended it. Nothing was changed.", true
	}
	return h.statusChangeAnswer(c, fiber.StatusUnprocessableEntity, s, msg)
}

// statusChangeDecided answers a decision on a status change: the section
// with the outcome (or the refusal, 409) for htmx, the inbox with a flash
// otherwise.
func (h *Approvals) statusChangeDecided(c *fiber.Ctx, msg string, err error, note string) error {
	status := fiber.StatusOK
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return err
		}
		switch {
		case errors.Is(err, store.ErrStatusChange):
			msg = "This change is no longer possible: " + statusRefusal(err)
		default:
			if msg = decisionRefusal(err); msg == "" {
				return err
			}
		}
		status = fiber.StatusConflict
	}
	s, serr := h.statusChanges(c)
	if serr != nil {
		return serr
	}
	s.Notice, s.NoticeError = msg, err != nil
	if err != nil && note != "" {
		for i := range s.Rows {
			if s.Rows[i].ID == c.Params("id") {
				s.Rows[i].Note = note
			}
		}
	}
	c.Set("HX-Trigger", "approvals-changed")
	return h.statusChangeAnswer(c, status, s, msg)
}

func (h *Approvals) statusChangeAnswer(c *fiber.Ctx, status int, s view.StatusChanges, msg string) error {
	if c.Get("HX-Request") == "true" {
		return render.Component(c, status, view.StatusChangesSection(s))
	}
	if status == fiber.StatusUnprocessableEntity {
		m, _, err := h.index(c)
		if err != nil {
			return err
		}
		m.StatusChanges = s
		render.SetTitle(c, "Approvals")
		return render.Page(c, status, view.IndexPage(m))
	}
	kind := layout.FlashSuccess
	if status != fiber.StatusOK {
		kind = layout.FlashError
	}
	render.Flash(c, kind, msg)
	return render.Redirect(c, view.Path)
}
