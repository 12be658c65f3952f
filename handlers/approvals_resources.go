package handlers

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/form"
	"github.com/trustcred/trustcred/internal/approval"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	view "github.com/trustcred/trustcred/views/approvals"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/member"
	"github.com/trustcred/trustcred/views/schemas"
	"github.com/trustcred/trustcred/views/ui"
)

// The inbox's requests of the other kinds (a new credential schema
// waiting for the organization's schema_creation workflow): listed beside
// the credentials' (the type filter), each with its page
// (/approvals/resources/:id: the schema's fields, who made it, the steps,
// the history) and the same decision panel, through
// approval.Service.DecideResource (the store's rules, the step-up
// policy).

// stepViews are a request's workflow steps as its page shows them.
func stepViews(steps []store.ApprovalStep) []view.Step {
	var out []view.Step
	for _, st := range steps {
		v := view.Step{Number: st.Step, Name: st.Name, Given: min(st.Approvals, st.Required), Required: st.Required, State: "next",
			Escalated: st.Escalated}
		switch {
		case st.Done:
			v.State = "done"
		case st.Current:
			v.State = "current"
		}
		if st.DueAt != nil {
			v.Due, v.DueISO = stamp(*st.DueAt), iso(*st.DueAt)
		}
		out = append(out, v)
	}
	return out
}

// actingForOptions are the people the signed-in person stands in for now
// (to decide in their place), the requester excepted.
func actingForOptions(c *fiber.Ctx, requesterID *string) ([]ui.Option, error) {
	id := auth.Current(c)
	absent, err := id.Scope.StandingInFor(c.UserContext(), id.User.ID, time.Now())
	if err != nil {
		return nil, err
	}
	var out []ui.Option
	for _, u := range absent {
		if requesterID == nil || *requesterID != u.ID {
			out = append(out, ui.Option{Value: u.ID, Label: "For " + memberName(&u) + " (standing in)"})
		}
	}
	return out, nil
}

// resources is the inbox's section of waiting schemas and members (k:
// one kind, "" for both): the page after cur (nil: the first), oldest first, its pager links keeping the other
// parameters of the inbox (params).
func (h *Approvals) resources(c *fiber.Ctx, k store.ApprovalKind, cur *store.Cursor, params map[string]string) (view.Resources, error) {
	page, err := auth.Current(c).Scope.ResourceInbox(c.UserContext(), k, store.InboxPage{Cursor: cur})
	if err != nil {
		return view.Resources{}, err
	}
	now := time.Now()
	var out view.Resources
	for _, e := range page.Entries {
		r := view.ResourceRow{ID: e.ID, Name: "The new " + e.Name, Requester: "a former member", Step: e.StepName, By: "Made by",
			Waiting: waited(now.Sub(e.CreatedAt)), WaitingISO: iso(e.CreatedAt)}
		if e.ResourceType == store.KindUser {
			r.By = "Invited by"
		}
		if e.RequesterEmail != nil {
			r.Requester = *e.RequesterEmail
		}
		out.Rows = append(out.Rows, r)
	}
	links := make(map[string]string, len(params)+1)
	for k, v := range params {
		links[k] = v
	}
	if cur != nil {
		delete(links, view.ResourcesAfter)
		out.Newer = form.Link(view.Path, links)
	}
	if page.Next != nil {
		links[view.ResourcesAfter] = page.Next.String()
		out.Older = form.Link(view.Path, links)
	}
	return out, nil
}

// ShowResource renders GET /approvals/resources/:id.
func (h *Approvals) ShowResource(c *fiber.Ctx) error {
	m, err := h.resourceDetail(c, c.Params("id"))
	if err != nil {
		return err
	}
	if m.Person != nil {
		render.SetTitle(c, "Approve a new member")
	} else {
		render.SetTitle(c, "Approve a schema")
	}
	return render.Page(c, fiber.StatusOK, view.ResourcePage(m))
}

func (h *Approvals) resourceDetail(c *fiber.Ctx, reqID string) (view.ResourceDetail, error) {
	id := auth.Current(c)
	ctx, sc := c.UserContext(), id.Scope
	req, err := sc.ResourceApprovalRequest(ctx, reqID)
	if err != nil {
		return view.ResourceDetail{}, err
	}
	m := view.ResourceDetail{Detail: view.Detail{ID: req.ID, Status: string(req.Status), Requester: "a former member", RequestedAt: stamp(req.CreatedAt)}}
	if req.Requester != nil {
		m.Requester = memberName(req.Requester)
	}
	made := "made the schema and asked for approval"
	if req.ResourceType == store.KindUser {
		pa, err := sc.MemberApproval(ctx, req)
		if err != nil {
			return view.ResourceDetail{}, err
		}
		m.Person = &view.Person{Name: memberName(&pa.Member.User), Email: pa.Member.Email, Role: member.RoleLabel(string(pa.Member.Role)),
			InvitedBy: m.Requester, Joined: stamp(pa.AskedAt), JoinedISO: iso(pa.AskedAt)}
		m.Schema = "New member " + m.Person.Name
		made = "invited " + m.Person.Name + ", who joined and awaits approval"
	} else {
		cs, err := sc.Schema(ctx, req.ResourceID)
		if err != nil {
			return view.ResourceDetail{}, err
		}
		m.Schema, m.SchemaName, m.SchemaVersion = cs.Name+" "+cs.Version, cs.Name, cs.Version
		for _, f := range cs.Fields {
			m.Fields = append(m.Fields, schemas.Field{Name: f.Name, Label: f.Label, Type: typeLabel(f.Type), Required: f.Required, Rules: rules(f)})
		}
	}
	steps, err := sc.ResourceApprovalSteps(ctx, req.ID)
	if err != nil {
		return view.ResourceDetail{}, err
	}
	m.Steps = stepViews(steps)
	decisions, err := sc.ResourceApprovalDecisions(ctx, req.ID)
	if err != nil {
		return view.ResourceDetail{}, err
	}
	m.History = append(m.History, view.Event{When: stamp(req.CreatedAt), WhenISO: iso(req.CreatedAt), Who: m.Requester, What: made})
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
		what := string(a.Decision) + " as " + a.ApproverRole
		if a.Step <= len(steps) {
			what += fmt.Sprintf(" at step %d “%s”", a.Step, steps[a.Step-1].Name)
		}
		e := view.Event{When: stamp(a.DecidedAt), WhenISO: iso(a.DecidedAt), Who: who, What: what}
		if a.Note != nil {
			e.Note = *a.Note
		}
		m.History = append(m.History, e)
		if a.Round == req.Round && (a.ApproverID == id.User.ID || a.ActingForID != nil && *a.ActingForID == id.User.ID) {
			decided = true
		}
	}
	if req.Status == store.RequestCancelled && req.DecisionNote != nil {
		m.History = append(m.History, view.Event{When: stamp(*req.DecidedAt), WhenISO: iso(*req.DecidedAt), Who: "TrustCred", What: "cancelled the request",
			Note: *req.DecisionNote})
	}
	m.Decision = view.Decision{ID: req.ID, Base: view.ResourcePath + "/" + req.ID}
	if m.Decision.StepUp, err = h.stepUp(c); err != nil {
		return view.ResourceDetail{}, err
	}
	if m.Decision.ActingFor, err = actingForOptions(c, req.RequesterID); err != nil {
		return view.ResourceDetail{}, err
	}
	switch {
	case req.Status != store.RequestPending:
		m.Decision.Why = "This request is " + string(req.Status) + ": there is nothing left to decide."
	case req.RequesterID != nil && *req.RequesterID == id.User.ID && m.Person != nil:
		m.Decision.Why = "You invited this person: other people approve them."
	case req.RequesterID != nil && *req.RequesterID == id.User.ID:
		m.Decision.Why = "You made this schema: other people approve it."
	case decided:
		m.Decision.Why = "You have decided on this request. The others' decisions are still needed."
	default:
		m.Decision.CanDecide = true
	}
	return m, nil
}

// ApproveResource handles POST /approvals/resources/:id/approve.
func (h *Approvals) ApproveResource(c *fiber.Ctx) error {
	id := auth.Current(c)
	ok, err := h.confirm(c)
	var refused *approval.StepUpError
	if errors.As(err, &refused) {
		m, err := h.resourceDetail(c, c.Params("id"))
		if err != nil {
			return err
		}
		m.Decision.StepUp.Error = refused.Message
		return h.resourceAnswer(c, fiber.StatusUnprocessableEntity, m)
	}
	if err != nil {
		return err
	}
	d, err := h.Svc.DecideResource(c.UserContext(), id.Scope, store.Decision{RequestID: c.Params("id"), Approve: true,
		ActingForID: strings.TrimSpace(c.FormValue("acting_for"))}, &ok, auth.Actor(c))
	msg := ""
	if err == nil {
		user := d.Request.ResourceType == store.KindUser
		msg = "Approved. More approvals are needed before the schema can be used."
		if user {
			msg = "Approved. More approvals are needed before the membership opens."
		}
		if !d.Final && d.Decision.Step != d.Request.CurrentStep {
			msg = fmt.Sprintf("Approved. Step %d is complete: the request moves on to step %d, whose approvers were told.", d.Decision.Step, d.Request.CurrentStep)
		}
		if d.Final {
			msg = "Approved. That was the last approval needed: the schema is active and its author was told."
			if user {
				msg = "Approved. That was the last approval needed: the membership is open and the person and their inviter were told."
			}
		}
	}
	return h.resourceDecided(c, msg, err, "")
}

// RejectResource handles POST /approvals/resources/:id/reject (note required).
func (h *Approvals) RejectResource(c *fiber.Ctx) error {
	id := auth.Current(c)
	note := strings.TrimSpace(c.FormValue("note"))
	if msg := checkNote(note); msg != "" {
		m, err := h.resourceDetail(c, c.Params("id"))
		if err != nil {
			return err
		}
		m.Decision.Note, m.Decision.NoteError = note, msg
		return h.resourceAnswer(c, fiber.StatusUnprocessableEntity, m)
	}
	d, err := h.Svc.DecideResource(c.UserContext(), id.Scope, store.Decision{RequestID: c.Params("id"), ApproverID: id.User.ID, Note: note,
		ActingForID: strings.TrimSpace(c.FormValue("acting_for"))}, nil, auth.Actor(c))
	msg := ""
	if err == nil {
		msg = "Rejected. Its author was told, with your note; the schema will not be used."
		if d.Request.ResourceType == store.KindUser {
			msg = "Rejected. The person's account is closed; they and their inviter were told."
		}
	}
	return h.resourceDecided(c, msg, err, note)
}

// resourceAnswer is the decision panel for htmx, the page otherwise.
func (h *Approvals) resourceAnswer(c *fiber.Ctx, status int, m view.ResourceDetail) error {
	if c.Get("HX-Request") != "true" {
		return render.Page(c, status, view.ResourcePage(m))
	}
	return render.Component(c, status, view.DecisionPanel(m.Decision))
}

// resourceDecided answers a decision as decided does for a credential's.
func (h *Approvals) resourceDecided(c *fiber.Ctx, msg string, err error, note string) error {
	status := fiber.StatusOK
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return err
		}
		if msg = decisionRefusal(err); msg == "" {
			return err
		}
		msg = strings.ReplaceAll(strings.ReplaceAll(msg, "You asked for this credential", "You made this schema"), "approve this credential", "approve this schema")
		status = fiber.StatusConflict
	}
	if c.Get("HX-Request") != "true" {
		kind := layout.FlashSuccess
		if err != nil {
			kind = layout.FlashError
		}
		render.Flash(c, kind, msg)
		return render.Redirect(c, view.ResourcePath+"/"+c.Params("id"))
	}
	m, derr := h.resourceDetail(c, c.Params("id"))
	if derr != nil {
		return derr
	}
	m.Decision.Message, m.Decision.Error = msg, err != nil
	if err != nil {
		m.Decision.Note = note
	}
	c.Set("HX-Trigger", "approvals-changed")
	return render.Component(c, status, view.Decided(m.Detail))
}
