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
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	view "github.com/trustcred/trustcred/views/approvals_settings"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/ui"
)

// ApprovalSettings serves /settings/approvals (org admins,
// approvals.manage): multi-signature rules per schema, approval workflows
// with their step editor, and the organization's approval policy. Every
// rule that makes a configuration valid is the store's; the pages word its
// answers next to the fields.
type ApprovalSettings struct{}

// Index renders GET /settings/approvals.
func (h *ApprovalSettings) Index(c *fiber.Ctx) error {
	sc, ctx := auth.Current(c).Scope, c.UserContext()
	m := view.Index{}
	rules, err := sc.Requirements(ctx)
	if err != nil {
		return err
	}
	for i := range rules {
		r := &rules[i]
		row := view.RuleRow{ID: r.ID, Name: r.RuleName, Active: r.Active,
			Summary: fmt.Sprintf("%d of %s", r.RequiredSignatures, approversSummary(r.ApproverRoles, len(r.ApproverUserIDs)))}
		if r.Schema != nil {
			row.Schema = r.Schema.Name + " " + r.Schema.Version
		}
		m.Rules = append(m.Rules, row)
	}
	flows, err := sc.ApprovalWorkflows(ctx)
	if err != nil {
		return err
	}
	schemas, err := h.schemaOptions(c)
	if err != nil {
		return err
	}
	m.HasSchemas = len(schemas) > 0
	for i := range flows {
		m.Workflows = append(m.Workflows, workflowRow(&flows[i], schemas))
	}
	p, err := sc.ApprovalPolicy(ctx)
	if err != nil {
		return err
	}
	m.Policy = view.Policy{FourEyesRevocation: p.FourEyesRevocation, FourEyesSuspension: p.FourEyesSuspension, StepUp: string(p.StepUp), Errors: view.Errors{}}
	render.SetTitle(c, "Approval rules")
	return render.Page(c, fiber.StatusOK, view.IndexPage(m))
}

func workflowRow(w *store.ApprovalWorkflow, schemas []ui.Option) view.WorkflowRow {
	row := view.WorkflowRow{ID: w.ID, Name: w.WorkflowName, Type: view.TypeLabel(string(w.WorkflowType)), Active: w.Active, Escalation: "Off"}
	if w.WorkflowType == store.WorkflowCredentialIssuance {
		row.Applies = "Every schema"
		if w.SchemaID != nil {
			row.Applies = "Schema removed"
			for _, o := range schemas {
				if o.Value == *w.SchemaID {
					row.Applies = o.Label
				}
			}
		}
	}
	var parts []string
	for _, st := range w.Steps {
		parts = append(parts, fmt.Sprintf("%d of %s", st.RequiredApprovals, approversSummary(st.ApproverRoles, len(st.ApproverUserIDs))))
	}
	row.Steps = count(len(w.Steps), "step", "steps")
	if len(parts) > 0 {
		row.Steps += ": " + strings.Join(parts, " → ")
	}
	if w.EscalationEnabled {
		row.Escalation = "After " + count(w.EscalationTimeoutHours, "hour", "hours")
	}
	return row
}

// approversSummary is "reviewers or admins" / "reviewers or 2 named people".
func approversSummary(roles []store.Role, named int) string {
	var parts []string
	for _, r := range roles {
		parts = append(parts, string(r)+"s")
	}
	if named > 0 {
		parts = append(parts, count(named, "named person", "named people"))
	}
	return strings.Join(parts, " or ")
}

func count(n int, one, many string) string { return plural(int64(n), one, many) }

// schemaOptions are the organization's schemas for a Select.
func (h *ApprovalSettings) schemaOptions(c *fiber.Ctx) ([]ui.Option, error) {
	list, err := auth.Current(c).Scope.Schemas(c.UserContext())
	if err != nil {
		return nil, err
	}
	out := make([]ui.Option, len(list))
	for i, s := range list {
		out[i] = ui.Option{Value: s.ID, Label: s.Name + " " + s.Version}
	}
	return out, nil
}

// choices are the roles (with how many people hold each) and people an
// admin may pick as approvers.
func approverChoices(c *fiber.Ctx) ([]view.Role, []view.Person, error) {
	people, err := auth.Current(c).Scope.Approvers(c.UserContext())
	if err != nil {
		return nil, nil, err
	}
	holders := map[store.Role]int{}
	persons := make([]view.Person, len(people))
	for i, p := range people {
		holders[p.Role]++
		persons[i] = view.Person{ID: p.ID, Label: p.Label(), Role: string(p.Role)}
	}
	roles := make([]view.Role, len(store.ApproverRoles))
	for i, r := range store.ApproverRoles {
		roles[i] = view.Role{Value: string(r), Label: roleLabel(r), Holders: holders[r]}
	}
	return roles, persons, nil
}

func roleLabel(r store.Role) string {
	switch r {
	case store.RoleReviewer:
		return "Reviewers"
	case store.RoleAdmin:
		return "Admins"
	case store.RoleIssuer:
		return "Issuers"
	}
	return string(r)
}

// SavePolicy handles POST /settings/approvals/policy.
func (h *ApprovalSettings) SavePolicy(c *fiber.Ctx) error {
	p := view.Policy{FourEyesRevocation: c.FormValue("four_eyes_revocation") == "on", FourEyesSuspension: c.FormValue("four_eyes_suspension") == "on",
		StepUp: c.FormValue("step_up"), Errors: view.Errors{}}
	checkForm(c, p.Errors)
	if len(p.Errors) == 0 {
		_, err := auth.Current(c).Scope.SaveApprovalPolicy(c.UserContext(), store.ApprovalPolicy{FourEyesRevocation: p.FourEyesRevocation,
			FourEyesSuspension: p.FourEyesSuspension, StepUp: store.StepUp(p.StepUp)}, auth.Actor(c))
		var fe store.FieldErrors
		switch {
		case err == nil:
			if render.IsPartial(c) {
				p.Saved = true
				return render.Component(c, fiber.StatusOK, view.PolicyForm(p))
			}
			render.Flash(c, layout.FlashSuccess, "The approval policy is saved.")
			return render.Redirect(c, view.Path)
		case errors.As(err, &fe):
			maps(p.Errors, fe)
		default:
			return err
		}
	}
	if render.IsPartial(c) {
		return render.Component(c, fiber.StatusUnprocessableEntity, view.PolicyForm(p))
	}
	render.Flash(c, layout.FlashError, "The approval policy was not saved: "+firstFieldError(p.Errors))
	return render.Redirect(c, view.Path)
}

func maps(dst view.Errors, fe store.FieldErrors) {
	for k, v := range fe {
		dst[k] = v
	}
}

func firstFieldError(errs view.Errors) string {
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return ""
	}
	return errs[keys[0]]
}

// ---- rules ----

// NewRule renders GET /settings/approvals/rules/new.
func (h *ApprovalSettings) NewRule(c *fiber.Ctx) error {
	f := view.RuleForm{Required: "2", Roles: []string{string(store.RoleReviewer)}, Active: true, Errors: view.Errors{}, SchemaID: c.Query("schema")}
	return h.rulePage(c, fiber.StatusOK, f)
}

func (h *ApprovalSettings) rulePage(c *fiber.Ctx, status int, f view.RuleForm) error {
	var err error
	if f.Schemas, err = h.schemaOptions(c); err != nil {
		return err
	}
	if f.AllRoles, f.Persons, err = approverChoices(c); err != nil {
		return err
	}
	if f.ID == "" {
		render.SetTitle(c, "New multi-signature rule")
	} else {
		render.SetTitle(c, "Edit multi-signature rule")
	}
	return render.Page(c, status, view.RulePage(f))
}

// parseRule reads the rule form; number problems go into its errors.
func parseRule(c *fiber.Ctx) (view.RuleForm, store.RequirementChange) {
	f := view.RuleForm{SchemaID: c.FormValue("schema_id"), Name: c.FormValue("rule_name"), Required: strings.TrimSpace(c.FormValue("required")),
		Active: c.FormValue("active") == "on", Errors: view.Errors{}}
	f.Roles, f.People = formList(c, "roles"), formList(c, "people")
	ch := store.RequirementChange{SchemaID: f.SchemaID, RuleName: f.Name, Active: f.Active, ApproverUserIDs: f.People}
	for _, r := range f.Roles {
		ch.ApproverRoles = append(ch.ApproverRoles, store.Role(r))
	}
	ch.RequiredSignatures = wholeNumber(f.Errors, "required", f.Required, true)
	checkForm(c, f.Errors)
	return f, ch
}

// formList is every value posted under name, each once.
func formList(c *fiber.Ctx, name string) []string {
	var out []string
	for _, v := range c.Context().PostArgs().PeekMulti(name) {
		if s := string(v); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// wholeNumber reads a number field: empty is 0 unless required.
func wholeNumber(errs view.Errors, field, v string, required bool) int {
	if v == "" {
		if required {
			errs[field] = "Enter a number."
		}
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1_000_000 {
		errs[field] = "Enter a whole number, like 2."
		return 0
	}
	return n
}

// ruleErrors puts the store's refusal into the form's fields.
func ruleErrors(err error, f *view.RuleForm) bool {
	var fe store.FieldErrors
	if !errors.As(err, &fe) {
		return false
	}
	names := map[string]string{"approver_roles": "roles", "approver_user_ids": "people", "required_signatures": "required"}
	for k, v := range fe {
		if n, ok := names[k]; ok {
			k = n
		}
		if !slices.Contains([]string{"schema_id", "rule_name", "required", "roles", "people"}, k) {
			k = ""
		}
		f.Errors[k] = v
	}
	return true
}

func summarizeForm(errs view.Errors, what string) {
	if errs[""] != "" {
		return
	}
	if n := len(errs); n == 1 {
		errs[""] = "The " + what + " was not saved: fix the problem marked below."
	} else {
		errs[""] = fmt.Sprintf("The %s was not saved: fix the %d problems marked below.", what, n)
	}
}

// CreateRule handles POST /settings/approvals/rules.
func (h *ApprovalSettings) CreateRule(c *fiber.Ctx) error {
	f, ch := parseRule(c)
	if len(f.Errors) == 0 {
		_, err := auth.Current(c).Scope.CreateRequirement(c.UserContext(), ch, auth.Actor(c))
		if err == nil {
			render.Flash(c, layout.FlashSuccess, "The rule is saved.")
			return render.Redirect(c, view.Path)
		}
		if !ruleErrors(err, &f) {
			return err
		}
	}
	summarizeForm(f.Errors, "rule")
	return h.rulePage(c, fiber.StatusUnprocessableEntity, f)
}

// EditRule renders GET /settings/approvals/rules/:id.
func (h *ApprovalSettings) EditRule(c *fiber.Ctx) error {
	r, err := auth.Current(c).Scope.Requirement(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	f := view.RuleForm{ID: r.ID, SchemaID: r.SchemaID, Name: r.RuleName, Required: strconv.Itoa(r.RequiredSignatures), Active: r.Active,
		People: r.ApproverUserIDs, Errors: view.Errors{}}
	for _, role := range r.ApproverRoles {
		f.Roles = append(f.Roles, string(role))
	}
	return h.rulePage(c, fiber.StatusOK, f)
}

// UpdateRule handles POST /settings/approvals/rules/:id.
func (h *ApprovalSettings) UpdateRule(c *fiber.Ctx) error {
	sc, ctx := auth.Current(c).Scope, c.UserContext()
	r, err := sc.Requirement(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	f, ch := parseRule(c)
	f.ID = r.ID
	if len(f.Errors) == 0 {
		_, err := sc.UpdateRequirement(ctx, r.ID, ch, auth.Actor(c))
		if err == nil {
			render.Flash(c, layout.FlashSuccess, "The rule is saved.")
			return render.Redirect(c, view.Path)
		}
		if !ruleErrors(err, &f) {
			return err
		}
	}
	summarizeForm(f.Errors, "rule")
	return h.rulePage(c, fiber.StatusUnprocessableEntity, f)
}

// SetRuleActive handles POST /settings/approvals/rules/:id/activate and
// /deactivate.
func (h *ApprovalSettings) SetRuleActive(active bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		_, err := auth.Current(c).Scope.SetRequirementActive(c.UserContext(), c.Params("id"), active, auth.Actor(c))
		var fe store.FieldErrors
		switch {
		case err == nil && active:
			render.Flash(c, layout.FlashSuccess, "The rule is active: credentials of its schema issued from now on wait for its approvals.")
		case err == nil:
			render.Flash(c, layout.FlashSuccess, "The rule is inactive: it no longer applies.")
		case errors.As(err, &fe):
			render.Flash(c, layout.FlashError, "The rule was not activated: "+firstFieldError(view.Errors(fe))+" Edit it first.")
		default:
			return err
		}
		return render.Redirect(c, view.Path)
	}
}

// DeleteRule handles POST /settings/approvals/rules/:id/delete.
func (h *ApprovalSettings) DeleteRule(c *fiber.Ctx) error {
	if err := auth.Current(c).Scope.DeleteRequirement(c.UserContext(), c.Params("id"), auth.Actor(c)); err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "The rule is deleted.")
	return render.Redirect(c, view.Path)
}

// ---- workflows ----

// NewWorkflow renders GET /settings/approvals/workflows/new: one step to
// begin with.
func (h *ApprovalSettings) NewWorkflow(c *fiber.Ctx) error {
	f := view.WorkflowForm{Type: string(store.WorkflowCredentialIssuance), Active: true, EscalationTimeout: "24", BulkSample: "0", Errors: view.Errors{},
		Steps: []view.Step{{Required: "1", Roles: []string{string(store.RoleReviewer)}}}}
	return h.workflowPage(c, fiber.StatusOK, f)
}

func (h *ApprovalSettings) fillWorkflow(c *fiber.Ctx, f *view.WorkflowForm) error {
	var err error
	if f.Schemas, err = h.schemaOptions(c); err != nil {
		return err
	}
	f.AllRoles, f.Persons, err = approverChoices(c)
	f.Max = store.MaxWorkflowSteps
	return err
}

func (h *ApprovalSettings) workflowPage(c *fiber.Ctx, status int, f view.WorkflowForm) error {
	if err := h.fillWorkflow(c, &f); err != nil {
		return err
	}
	if f.ID == "" {
		render.SetTitle(c, "New approval workflow")
	} else {
		render.SetTitle(c, "Edit approval workflow")
	}
	return render.Page(c, status, view.WorkflowPage(f))
}

// parseWorkflow reads the workflow form with its steps, as typed; number
// problems go into its errors.
func parseWorkflow(c *fiber.Ctx) (view.WorkflowForm, store.WorkflowChange) {
	f := view.WorkflowForm{ID: c.FormValue("workflow_id"), Name: c.FormValue("name"), Type: c.FormValue("type"), SchemaID: c.FormValue("schema_id"),
		AutoApprove: strings.TrimSpace(c.FormValue("auto_approve")), Escalation: c.FormValue("escalation") == "on",
		EscalationTimeout: strings.TrimSpace(c.FormValue("escalation_timeout")), BulkSample: strings.TrimSpace(c.FormValue("bulk_sample")),
		Active: c.FormValue("active") == "on", Errors: view.Errors{}}
	n, err := strconv.Atoi(c.FormValue("step_count"))
	if err != nil || n < 0 {
		n = 0
	}
	n = min(n, store.MaxWorkflowSteps+1)
	for i := range n {
		f.Steps = append(f.Steps, view.Step{Name: c.FormValue(view.StepField(i, "name")), Required: strings.TrimSpace(c.FormValue(view.StepField(i, "required"))),
			Deadline: strings.TrimSpace(c.FormValue(view.StepField(i, "deadline"))),
			Roles:    formList(c, view.StepField(i, "roles")), People: formList(c, view.StepField(i, "people"))})
	}
	return f, workflowChange(&f)
}

// workflowChange is the store's change of f; number problems go into
// f.Errors.
func workflowChange(f *view.WorkflowForm) store.WorkflowChange {
	ch := store.WorkflowChange{Name: f.Name, Type: store.WorkflowType(f.Type), Active: f.Active, EscalationEnabled: f.Escalation}
	if ch.Type == store.WorkflowCredentialIssuance {
		ch.SchemaID = f.SchemaID
	}
	for i, s := range f.Steps {
		st := store.WorkflowStep{Name: strings.TrimSpace(s.Name), ApproverUserIDs: s.People,
			RequiredApprovals: wholeNumber(f.Errors, view.StepField(i, "required"), s.Required, true),
			DeadlineHours:     wholeNumber(f.Errors, view.StepField(i, "deadline"), s.Deadline, false)}
		for _, r := range s.Roles {
			st.ApproverRoles = append(st.ApproverRoles, store.Role(r))
		}
		if s.Deadline == "0" {
			f.Errors[view.StepField(i, "deadline")] = "Between 1 and 8760 hours, or empty for no deadline."
		}
		ch.Steps = append(ch.Steps, st)
	}
	ch.AutoApproveThreshold = wholeNumber(f.Errors, "auto_approve", f.AutoApprove, false)
	ch.EscalationTimeoutHours = wholeNumber(f.Errors, "escalation_timeout", f.EscalationTimeout, f.Escalation)
	ch.BulkSampleSize = wholeNumber(f.Errors, "bulk_sample", f.BulkSample, false)
	return ch
}

// workflowErrors puts the store's refusal into the form's fields.
func workflowErrors(err error, f *view.WorkflowForm) bool {
	var fe store.FieldErrors
	if !errors.As(err, &fe) {
		return false
	}
	names := map[string]string{"workflow_name": "name", "workflow_type": "type", "auto_approve_threshold": "auto_approve",
		"escalation_timeout_hours": "escalation_timeout", "bulk_sample_size": "bulk_sample"}
	steps := map[string]string{"approver_roles": "roles", "approver_user_ids": "people", "required": "required", "deadline_hours": "deadline", "name": "name"}
	for k, v := range fe {
		switch {
		case names[k] != "":
			k = names[k]
		case strings.HasPrefix(k, "steps."):
			parts := strings.SplitN(k, ".", 3)
			i, err := strconv.Atoi(parts[1])
			if len(parts) == 3 && err == nil && steps[parts[2]] != "" {
				k = view.StepField(i, steps[parts[2]])
			} else {
				k = "steps"
			}
		case !slices.Contains([]string{"name", "type", "schema_id", "steps", "active"}, k):
			k = ""
		}
		f.Errors[k] = v
	}
	return true
}

// CreateWorkflow handles POST /settings/approvals/workflows.
func (h *ApprovalSettings) CreateWorkflow(c *fiber.Ctx) error {
	f, ch := parseWorkflow(c)
	f.ID = ""
	checkForm(c, f.Errors)
	if len(f.Errors) == 0 {
		_, err := auth.Current(c).Scope.CreateApprovalWorkflow(c.UserContext(), ch, auth.Actor(c))
		if err == nil {
			render.Flash(c, layout.FlashSuccess, "The workflow “"+strings.TrimSpace(f.Name)+"” is saved.")
			return render.Redirect(c, view.Path)
		}
		if !workflowErrors(err, &f) {
			return err
		}
	}
	summarizeForm(f.Errors, "workflow")
	return h.workflowPage(c, fiber.StatusUnprocessableEntity, f)
}

// EditWorkflow renders GET /settings/approvals/workflows/:id.
func (h *ApprovalSettings) EditWorkflow(c *fiber.Ctx) error {
	w, err := auth.Current(c).Scope.ApprovalWorkflow(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	f := view.WorkflowForm{ID: w.ID, Name: w.WorkflowName, Type: string(w.WorkflowType), Active: w.Active, Escalation: w.EscalationEnabled,
		EscalationTimeout: strconv.Itoa(w.EscalationTimeoutHours), BulkSample: strconv.Itoa(w.BulkSampleSize), AutoApprove: strconv.Itoa(w.AutoApproveThreshold),
		Errors: view.Errors{}}
	if w.SchemaID != nil {
		f.SchemaID = *w.SchemaID
	}
	total := 0
	for _, st := range w.Steps {
		s := view.Step{Name: st.Name, Required: strconv.Itoa(st.RequiredApprovals), People: st.ApproverUserIDs}
		if st.DeadlineHours > 0 {
			s.Deadline = strconv.Itoa(st.DeadlineHours)
		}
		for _, r := range st.ApproverRoles {
			s.Roles = append(s.Roles, string(r))
		}
		f.Steps = append(f.Steps, s)
		total += st.RequiredApprovals
	}
	if w.AutoApproveThreshold == total {
		f.AutoApprove = "" // every step runs: the default
	}
	return h.workflowPage(c, fiber.StatusOK, f)
}

// UpdateWorkflow handles POST /settings/approvals/workflows/:id.
func (h *ApprovalSettings) UpdateWorkflow(c *fiber.Ctx) error {
	sc, ctx := auth.Current(c).Scope, c.UserContext()
	w, err := sc.ApprovalWorkflow(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	f, ch := parseWorkflow(c)
	f.ID = w.ID
	checkForm(c, f.Errors)
	if len(f.Errors) == 0 {
		saved, err := sc.UpdateApprovalWorkflow(ctx, w.ID, ch, auth.Actor(c))
		if err == nil {
			render.Flash(c, layout.FlashSuccess, "The workflow “"+saved.WorkflowName+"” is saved.")
			return render.Redirect(c, view.Path)
		}
		if !workflowErrors(err, &f) {
			return err
		}
	}
	summarizeForm(f.Errors, "workflow")
	return h.workflowPage(c, fiber.StatusUnprocessableEntity, f)
}

// Editor handles POST /settings/approvals/workflows/editor: one change of
// the step editor (op: add, remove:i, up:i, down:i) to the form as typed,
// which comes back with everything typed kept; nothing is saved. htmx gets
// the form alone, a plain form post the whole page.
func (h *ApprovalSettings) Editor(c *fiber.Ctx) error {
	f, _ := parseWorkflow(c)
	if f.ID != "" {
		// An existing workflow's form: it must be the organization's.
		if _, err := auth.Current(c).Scope.ApprovalWorkflow(c.UserContext(), f.ID); err != nil {
			return err
		}
	}
	f.Errors = view.Errors{}
	op, arg, _ := strings.Cut(c.FormValue("op"), ":")
	i, err := strconv.Atoi(arg)
	if op != "add" && (err != nil || i < 0 || i >= len(f.Steps)) {
		return fiber.NewError(fiber.StatusBadRequest, "unknown step")
	}
	switch op {
	case "add":
		if len(f.Steps) >= store.MaxWorkflowSteps {
			f.Errors["steps"] = fmt.Sprintf("A workflow has at most %d steps.", store.MaxWorkflowSteps)
			break
		}
		f.Steps = append(f.Steps, view.Step{Required: "1"})
		f.Focus = view.StepField(len(f.Steps)-1, "name")
	case "remove":
		f.Steps = slices.Delete(f.Steps, i, i+1)
		f.Focus = "step-add"
		if len(f.Steps) > 0 {
			f.Focus = view.StepField(min(i, len(f.Steps)-1), "name")
		}
	case "up", "down":
		j := i - 1
		if op == "down" {
			j = i + 1
		}
		if j < 0 || j >= len(f.Steps) {
			return fiber.NewError(fiber.StatusBadRequest, "unknown step")
		}
		f.Steps[i], f.Steps[j] = f.Steps[j], f.Steps[i]
		// Keep the focus on the same button of the moved step, or on its
		// other one at the top or the bottom.
		f.Focus = view.StepID(j) + "-" + op
		if (op == "up" && j == 0) || (op == "down" && j == len(f.Steps)-1) {
			f.Focus = view.StepID(j) + "-remove"
		}
	default:
		return fiber.NewError(fiber.StatusBadRequest, "unknown step editor action")
	}
	if err := h.fillWorkflow(c, &f); err != nil {
		return err
	}
	if render.IsPartial(c) {
		return render.Component(c, fiber.StatusOK, view.WorkflowFormView(f))
	}
	render.SetTitle(c, "Approval workflow")
	return render.Page(c, fiber.StatusOK, view.WorkflowPage(f))
}

// SetWorkflowActive handles POST /settings/approvals/workflows/:id/activate
// and /deactivate.
func (h *ApprovalSettings) SetWorkflowActive(active bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		w, err := auth.Current(c).Scope.SetApprovalWorkflowActive(c.UserContext(), c.Params("id"), active, auth.Actor(c))
		var fe store.FieldErrors
		switch {
		case err == nil && active:
			render.Flash(c, layout.FlashSuccess, "The workflow “"+w.WorkflowName+"” is active.")
		case err == nil:
			render.Flash(c, layout.FlashSuccess, "The workflow “"+w.WorkflowName+"” is inactive: no new request goes through it.")
		case errors.As(err, &fe):
			render.Flash(c, layout.FlashError, "The workflow was not activated: "+firstFieldError(view.Errors(fe)))
		default:
			return err
		}
		return render.Redirect(c, view.Path)
	}
}

// DeleteWorkflow handles POST /settings/approvals/workflows/:id/delete.
func (h *ApprovalSettings) DeleteWorkflow(c *fiber.Ctx) error {
	err := auth.Current(c).Scope.DeleteApprovalWorkflow(c.UserContext(), c.Params("id"), auth.Actor(c))
	switch {
	case errors.Is(err, store.ErrWorkflowInUse):
		render.Flash(c, layout.FlashError, "Requests have gone through this workflow, and deleting it would delete their history. Deactivate it instead.")
	case err != nil:
		return err
	default:
		render.Flash(c, layout.FlashSuccess, "The workflow is deleted.")
	}
	return render.Redirect(c, view.Path)
}

// ---- delegation (an approver's own) ----

// Delegation serves /account/delegation: an approver names who decides in
// their place while they are away.
type Delegation struct{}

// delegationLayout is how the page reads and writes its times: minutes,
// in UTC (the page says so).
const delegationLayout = "2006-01-02T15:04"

// Show renders GET /account/delegation.
func (h *Delegation) Show(c *fiber.Ctx) error {
	now := time.Now().UTC()
	m := view.DelegationPage{Errors: view.Errors{}, Starts: now.Format(delegationLayout), Ends: now.Add(7 * 24 * time.Hour).Format(delegationLayout)}
	return h.page(c, fiber.StatusOK, m)
}

func (h *Delegation) page(c *fiber.Ctx, status int, m view.DelegationPage) error {
	id := auth.Current(c)
	now := time.Now()
	ds, err := id.Scope.Delegations(c.UserContext(), id.User.ID, now)
	if err != nil {
		return err
	}
	for _, d := range ds {
		row := view.Delegation{ID: d.ID, From: d.StartsAt.UTC().Format("2 Jan 2006 15:04 UTC"), Until: d.EndsAt.UTC().Format("2 Jan 2006 15:04 UTC"),
			Now: !d.StartsAt.After(now)}
		if d.Delegate != nil {
			row.Delegate = approverLabel(d.Delegate)
		}
		m.Delegations = append(m.Delegations, row)
	}
	people, err := id.Scope.Approvers(c.UserContext())
	if err != nil {
		return err
	}
	for _, p := range people {
		if p.ID != id.User.ID {
			m.Persons = append(m.Persons, view.Person{ID: p.ID, Label: p.Label(), Role: string(p.Role)})
		}
	}
	render.SetTitle(c, "Delegation")
	return render.Page(c, status, view.DelegationView(m))
}

func approverLabel(u *store.User) string {
	if n := u.Profile.Data().DisplayName; n != "" {
		return n + " (" + u.Email + ")"
	}
	return u.Email
}

// Create handles POST /account/delegation.
func (h *Delegation) Create(c *fiber.Ctx) error {
	id := auth.Current(c)
	m := view.DelegationPage{Delegate: c.FormValue("delegate_id"), Starts: strings.TrimSpace(c.FormValue("starts_at")),
		Ends: strings.TrimSpace(c.FormValue("ends_at")), Errors: view.Errors{}}
	checkForm(c, m.Errors)
	parse := func(field, v string) time.Time {
		t, err := time.Parse(delegationLayout, v)
		if err != nil {
			if _, ok := m.Errors[field]; !ok {
				m.Errors[field] = "Enter a date and time, like 2026-12-24T09:00."
			}
		}
		return t
	}
	starts, ends := parse("starts_at", m.Starts), parse("ends_at", m.Ends)
	if m.Delegate == "" {
		m.Errors["delegate_id"] = "Choose who decides in your place."
	}
	if len(m.Errors) == 0 {
		_, err := id.Scope.CreateDelegation(c.UserContext(), id.User.ID, m.Delegate, starts, ends, time.Now(), auth.Actor(c))
		var fe store.FieldErrors
		switch {
		case err == nil:
			render.Flash(c, layout.FlashSuccess, "Your delegate is set.")
			return render.Redirect(c, view.DelegationPath)
		case errors.As(err, &fe):
			for k, v := range fe {
				if !slices.Contains([]string{"delegate_id", "starts_at", "ends_at"}, k) {
					k = ""
				}
				m.Errors[k] = v
			}
		default:
			return err
		}
	}
	summarizeForm(m.Errors, "delegation")
	return h.page(c, fiber.StatusUnprocessableEntity, m)
}

// Delete handles POST /account/delegation/:id/delete: one's own only.
func (h *Delegation) Delete(c *fiber.Ctx) error {
	id := auth.Current(c)
	if err := id.Scope.DeleteDelegation(c.UserContext(), id.User.ID, c.Params("id"), auth.Actor(c)); err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "The delegation is removed.")
	return render.Redirect(c, view.DelegationPath)
}
