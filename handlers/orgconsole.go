package handlers

import (
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/orgconsole"
)

// OrgConsole serves the platform operators' organizations console at
// /admin/organizations: the list, and the lifecycle actions on a row
// (approve, suspend, reactivate, revoke) and its verified mark. Every
// action returns the row alone to htmx, or redirects to the list with a
// flash message otherwise.
type OrgConsole struct {
	DB       *store.DB
	Issuer   *issuance.Issuer // makes an organization's signing key when it becomes active
	Events   jobs.Enqueuer    // organization.approved and .suspended are published through it
	Log      *slog.Logger
	PageSize int // 0: store.DefaultOrganizationPage
}

// Index renders GET /admin/organizations: the page, or only the results
// for htmx (search, filters, sorting, paging). A bad filter value is 422
// with its message next to the field.
func (h *OrgConsole) Index(c *fiber.Ctx) error {
	f, sf, page := parseConsoleQuery(c)
	m := orgconsole.Model{Filter: f}
	if len(f.Errors) == 0 {
		page.Limit = h.PageSize
		l, err := h.DB.AllOrganizations(c.UserContext(), sf, page)
		switch {
		case errors.Is(err, store.ErrBadCursor):
			f.Errors[""] = badPageLink
		case errors.Is(err, store.ErrBadFilter):
			f.Errors[""] = "This filter is not valid. Start again with Clear."
		case err != nil:
			return err
		}
		for i := range l.Entries {
			m.Rows = append(m.Rows, consoleItem(&l.Entries[i]))
		}
		if l.Next != nil {
			m.Next = consoleURL(f, "after", l.Next.String())
		}
		if l.Prev != nil {
			m.Prev = consoleURL(f, "before", l.Prev.String())
		}
		if page.After != nil || page.Before != nil {
			m.First = consoleURL(f, "", "")
		}
	}
	m.Columns = consoleColumns(f)
	status := fiber.StatusOK
	if len(f.Errors) > 0 {
		status = fiber.StatusUnprocessableEntity
		m.Rows, m.Next, m.Prev = nil, "", ""
		if render.IsPartial(c) {
			// Only the results are swapped in: say there what is wrong.
			var msgs []string
			for _, k := range []string{"", "q", "type", "status", "verified", "sort", "dir"} {
				if msg := f.Errors[k]; msg != "" {
					msgs = append(msgs, msg)
				}
			}
			f.Errors[""] = strings.Join(msgs, " ")
		}
	}
	render.SetTitle(c, "Organizations")
	if render.IsPartial(c) {
		return render.Page(c, status, orgconsole.Results(m))
	}
	return render.Page(c, status, orgconsole.Page(m))
}

const badPageLink = "This page link is not valid. Start again from the first page."

// parseConsoleQuery reads and checks the query string: every value must be
// one the form offers.
func parseConsoleQuery(c *fiber.Ctx) (orgconsole.Filter, store.OrganizationFilter, store.OrganizationPage) {
	f := orgconsole.Filter{Query: consoleSearch(c.Query("q")), Type: c.Query("type"), Status: c.Query("status"),
		Verified: c.Query("verified"), Sort: c.Query("sort"), Dir: c.Query("dir"), Errors: orgconsole.Errors{}}
	sf := store.OrganizationFilter{Query: f.Query, Type: store.OrganizationType(f.Type), Status: store.OrganizationStatus(f.Status)}
	if utf8.RuneCountInString(f.Query) > store.MaxOrganizationQuery {
		f.Errors["q"] = "Search with at most 100 characters."
	}
	if f.Type != "" && !sf.Type.Valid() {
		f.Errors["type"] = "Choose a type from the list."
	}
	if f.Status != "" && !sf.Status.Valid() {
		f.Errors["status"] = "Choose a status from the list."
	}
	switch f.Verified {
	case "":
	case "yes", "no":
		v := f.Verified == "yes"
		sf.Verified = &v
	default:
		f.Errors["verified"] = "Choose verified, not verified or any."
	}
	// A bad order is reported, and the form goes on with the default one.
	sf.Sort = store.OrganizationSort(f.Sort)
	if f.Sort != "" && !sf.Sort.Valid() {
		f.Errors["sort"] = "Sort by name, created or status."
	}
	if f.Sort == "" || !sf.Sort.Valid() {
		f.Sort, sf.Sort = string(store.SortOrganizationsByCreated), store.SortOrganizationsByCreated
	}
	if f.Dir != "" && f.Dir != "asc" && f.Dir != "desc" {
		f.Errors["dir"] = "Sort ascending (asc) or descending (desc)."
		f.Dir = ""
	}
	if f.Dir == "" {
		f.Dir = defaultDir(f.Sort)
	}
	sf.Desc = f.Dir == "desc"
	var page store.OrganizationPage
	after, before := c.Query("after"), c.Query("before")
	if after != "" && before != "" {
		f.Errors[""] = badPageLink
	}
	for _, p := range []struct {
		token string
		into  **store.Cursor
	}{{after, &page.After}, {before, &page.Before}} {
		if p.token == "" {
			continue
		}
		cur, err := store.ParseCursor(p.token)
		if err != nil || !sf.Sort.Fits(cur) {
			f.Errors[""] = badPageLink
		}
		*p.into = cur
	}
	return f, sf, page
}

// defaultDir is the direction a column sorts in first: names A to Z,
// newest first, statuses A to Z.
func defaultDir(sort string) string {
	if sort == string(store.SortOrganizationsByCreated) {
		return "desc"
	}
	return "asc"
}

// consoleSearch cleans the search box's text: valid UTF-8 without control
// characters, trimmed. Its length is checked, not cut.
func consoleSearch(q string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(q, "")))
}

// consoleURL is the list with the filter, and one more parameter (a page
// cursor) unless key is "". The default order is left out.
func consoleURL(f orgconsole.Filter, key, value string) string {
	q := url.Values{}
	for k, v := range map[string]string{"q": f.Query, "type": f.Type, "status": f.Status, "verified": f.Verified} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Sort != string(store.SortOrganizationsByCreated) || f.Dir != defaultDir(f.Sort) {
		q.Set("sort", f.Sort)
		q.Set("dir", f.Dir)
	}
	if key != "" {
		q.Set(key, value)
	}
	if len(q) == 0 {
		return orgconsole.Path
	}
	return orgconsole.Path + "?" + q.Encode()
}

// consoleColumns are the sortable headings: Name, Created, Status. The
// current one toggles its direction; the others start in their default.
func consoleColumns(f orgconsole.Filter) []orgconsole.Column {
	var cols []orgconsole.Column
	for _, k := range []struct{ key, label string }{{"name", "Name"}, {"created", "Created"}, {"status", "Status"}} {
		g := f
		g.Sort, g.Dir = k.key, defaultDir(k.key)
		col := orgconsole.Column{Key: k.key, Label: k.label}
		if f.Sort == k.key {
			col.Sorted, g.Dir = "ascending", "desc"
			if f.Dir == "desc" {
				col.Sorted, g.Dir = "descending", "asc"
			}
		}
		col.Href = consoleURL(g, "", "")
		cols = append(cols, col)
	}
	return cols
}

func consoleItem(e *store.OrganizationEntry) orgconsole.Item {
	it := orgconsole.Item{ID: e.ID, Name: e.Name, Slug: e.Slug, Type: string(e.Type), Status: string(e.Status), Verified: e.Verified,
		Created: e.CreatedAt.UTC().Format("2 Jan 2006"), CreatedISO: e.CreatedAt.UTC().Format(time.RFC3339), Members: e.Members}
	if e.Domain != nil {
		it.Domain = *e.Domain
	}
	return it
}

// Row handles GET /admin/organizations/:id: the row as it is (what Cancel
// brings back), or without htmx the list narrowed to it.
func (h *OrgConsole) Row(c *fiber.Ctx) error {
	e, err := h.DB.OrganizationEntry(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if render.IsPartial(c) {
		return render.Page(c, fiber.StatusOK, orgconsole.Row(consoleItem(e)))
	}
	return render.Redirect(c, listOf(e))
}

// listOf is the list narrowed to one organization.
func listOf(e *store.OrganizationEntry) string {
	return orgconsole.Path + "?q=" + url.QueryEscape(e.Slug)
}

// Approve handles POST /admin/organizations/:id/approve (pending → active).
func (h *OrgConsole) Approve(c *fiber.Ctx) error {
	return h.change(c, store.ApproveOrganization, "")
}

// Reactivate handles POST /admin/organizations/:id/reactivate (suspended → active).
func (h *OrgConsole) Reactivate(c *fiber.Ctx) error {
	return h.change(c, store.ReactivateOrganization, "")
}

// SuspendForm handles GET /admin/organizations/:id/suspend: the form that
// asks for the reason, in the row (htmx) or on its own page.
func (h *OrgConsole) SuspendForm(c *fiber.Ctx) error {
	return h.confirmForm(c, store.SuspendOrganization)
}

// RevokeForm handles GET /admin/organizations/:id/revoke: the form that
// asks for the reason and the organization's slug, typed.
func (h *OrgConsole) RevokeForm(c *fiber.Ctx) error {
	return h.confirmForm(c, store.RevokeOrganization)
}

// Suspend handles POST /admin/organizations/:id/suspend (active →
// suspended, with a reason).
func (h *OrgConsole) Suspend(c *fiber.Ctx) error { return h.confirmed(c, store.SuspendOrganization) }

// Revoke handles POST /admin/organizations/:id/revoke (→ revoked, for
// good, with a reason and the slug typed as confirmation).
func (h *OrgConsole) Revoke(c *fiber.Ctx) error { return h.confirmed(c, store.RevokeOrganization) }

func (h *OrgConsole) confirmForm(c *fiber.Ctx, action store.OrganizationAction) error {
	e, err := h.DB.OrganizationEntry(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !action.AllowedFrom(e.Status) {
		return h.refuse(c, e, &store.TransitionError{Action: action, From: e.Status})
	}
	cf := orgconsole.Confirm{Row: consoleItem(e), Action: string(action), Errors: orgconsole.Errors{}, Back: listOf(e)}
	return h.confirmPage(c, fiber.StatusOK, cf)
}

func (h *OrgConsole) confirmPage(c *fiber.Ctx, status int, cf orgconsole.Confirm) error {
	if render.IsPartial(c) {
		return render.Page(c, status, orgconsole.ConfirmRow(cf))
	}
	if cf.Revoke() {
		render.SetTitle(c, "Revoke "+cf.Row.Name)
	} else {
		render.SetTitle(c, "Suspend "+cf.Row.Name)
	}
	return render.Page(c, status, orgconsole.ConfirmPage(cf))
}

func (h *OrgConsole) confirmed(c *fiber.Ctx, action store.OrganizationAction) error {
	e, err := h.DB.OrganizationEntry(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	cf := orgconsole.Confirm{Row: consoleItem(e), Action: string(action), Reason: strings.TrimSpace(strings.ToValidUTF8(c.FormValue("reason"), "")),
		Typed: strings.TrimSpace(c.FormValue("confirm")), Errors: orgconsole.Errors{}, Back: listOf(e)}
	switch {
	case cf.Reason == "":
		cf.Errors["reason"] = "Give a reason: the organization's administrators will read it."
	case utf8.RuneCountInString(cf.Reason) > store.MaxStatusReason:
		cf.Errors["reason"] = "Use at most 1,000 characters."
	}
	if action == store.RevokeOrganization && cf.Typed != e.Slug {
		cf.Errors["confirm"] = "Type the organization's address, " + e.Slug + ", exactly as shown."
	}
	checkForm(c, cf.Errors)
	if len(cf.Errors) > 0 {
		return h.confirmPage(c, fiber.StatusUnprocessableEntity, cf)
	}
	return h.change(c, action, cf.Reason)
}

// change takes the action and answers with the row (htmx) or a redirect.
func (h *OrgConsole) change(c *fiber.Ctx, action store.OrganizationAction, reason string) error {
	e, err := h.DB.ChangeOrganizationStatusThen(c.UserContext(), c.Params("id"), action, reason, auth.Actor(c),
		events.Lifecycle(c.UserContext(), h.Events, action, reason))
	if errors.Is(err, store.ErrTransitionRefused) || errors.Is(err, store.ErrReasonRequired) || errors.Is(err, store.ErrReasonTooLong) {
		current, cerr := h.DB.OrganizationEntry(c.UserContext(), c.Params("id"))
		if cerr != nil {
			return cerr
		}
		return h.refuse(c, current, err)
	}
	if err != nil {
		return err
	}
	if e.Status == store.OrganizationActive {
		h.ensureKey(c, e)
	}
	return h.done(c, e, lifecycleNotice[action])
}

// ensureKey gives an organization that just became active its signing key.
// A failure is logged, not shown: issuance makes the key when it needs it.
func (h *OrgConsole) ensureKey(c *fiber.Ctx, e *store.OrganizationEntry) {
	if h.Issuer == nil {
		return
	}
	if _, err := h.Issuer.EnsureKey(c.UserContext(), h.DB.Scoped(e.ID), auth.Actor(c)); err != nil && h.Log != nil {
		h.Log.Error("making the signing key of an activated organization", "organization", e.ID, "err", err)
	}
}

var lifecycleNotice = map[store.OrganizationAction]string{
	store.ApproveOrganization:    "Approved: the organization is active and its administrators were notified.",
	store.SuspendOrganization:    "Suspended: its members cannot sign in. Its administrators were notified.",
	store.ReactivateOrganization: "Reactivated: its members can sign in again. Its administrators were notified.",
	store.RevokeOrganization:     "Revoked for good. Its administrators were notified; its credentials are kept.",
}

// SetVerified handles POST /admin/organizations/:id/verified: verified=true
// sets the mark, verified=false clears it.
func (h *OrgConsole) SetVerified(c *fiber.Ctx) error {
	v := c.FormValue("verified")
	if v != "true" && v != "false" {
		e, err := h.DB.OrganizationEntry(c.UserContext(), c.Params("id"))
		if err != nil {
			return err
		}
		return h.refuseWith(c, e, "Choose to set or to clear the verified mark.")
	}
	e, err := h.DB.SetOrganizationVerified(c.UserContext(), c.Params("id"), v == "true", auth.Actor(c))
	if err != nil {
		return err
	}
	if e.Verified {
		return h.done(c, e, "Marked as verified.")
	}
	return h.done(c, e, "The verified mark was cleared.")
}

// done answers a successful row action: the row with a notice for htmx,
// otherwise the list narrowed to the organization, with a flash message.
func (h *OrgConsole) done(c *fiber.Ctx, e *store.OrganizationEntry, notice string) error {
	if render.IsPartial(c) {
		it := consoleItem(e)
		it.Notice = notice
		return render.Page(c, fiber.StatusOK, orgconsole.Row(it))
	}
	render.Flash(c, layout.FlashSuccess, e.Name+": "+notice)
	return render.Redirect(c, listOf(e))
}

// refuse answers an action the lifecycle refuses: the row as it is with
// the reason (422, which htmx swaps), or the list with the reason in a
// flash message.
func (h *OrgConsole) refuse(c *fiber.Ctx, e *store.OrganizationEntry, err error) error {
	return h.refuseWith(c, e, lifecycleRefusal(err))
}

func (h *OrgConsole) refuseWith(c *fiber.Ctx, e *store.OrganizationEntry, why string) error {
	if render.IsPartial(c) {
		it := consoleItem(e)
		it.Error = why
		return render.Page(c, fiber.StatusUnprocessableEntity, orgconsole.Row(it))
	}
	render.Flash(c, layout.FlashError, e.Name+": "+why)
	return render.Redirect(c, listOf(e))
}

// lifecycleRefusal says why the store refused a lifecycle action.
func lifecycleRefusal(err error) string {
	var te *store.TransitionError
	switch {
	case errors.Is(err, store.ErrReasonRequired):
		return "Give a reason: the organization's administrators will read it."
	case errors.Is(err, store.ErrReasonTooLong):
		return "Use at most 1,000 characters for the reason."
	case errors.As(err, &te) && te.From == store.OrganizationRevoked:
		return "This organization is revoked. Revocation is final: it cannot be " + lifecyclePast[te.Action] + "."
	case errors.As(err, &te) && te.Action.Target() == te.From:
		return "This organization is already " + string(te.From) + "."
	case errors.As(err, &te):
		return "Only " + lifecycleFrom[te.Action] + " organizations can be " + lifecyclePast[te.Action] + "; this one is " + string(te.From) + "."
	}
	return "This organization changed meanwhile. Reload the page and try again."
}

var (
	lifecyclePast = map[store.OrganizationAction]string{store.ApproveOrganization: "approved", store.SuspendOrganization: "suspended",
		store.ReactivateOrganization: "reactivated", store.RevokeOrganization: "revoked"}
	lifecycleFrom = map[store.OrganizationAction]string{store.ApproveOrganization: "pending", store.SuspendOrganization: "active",
		store.ReactivateOrganization: "suspended", store.RevokeOrganization: "pending, active or suspended"}
)
