package handlers

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	view "github.com/trustcred/trustcred/views/approvals_settings"
	"github.com/trustcred/trustcred/views/member"
)

// approversWarning stops a role change (action "role", to role) or a
// deactivation (action "deactivate") that would leave an active approval
// rule or workflow step with fewer eligible approvers than it requires,
// unless the admin confirmed it (confirm_approvers=yes): the member's row
// comes back with what would break and a button to go ahead (422, which
// htmx swaps; without htmx, a page with the row). It reports whether it
// answered.
func (h *Members) approversWarning(c *fiber.Ctx, action string, role store.Role) (bool, error) {
	if c.FormValue("confirm_approvers") == "yes" || (action == "role" && !role.Assignable()) {
		return false, nil
	}
	id, ctx := auth.Current(c), c.UserContext()
	needs, err := id.Scope.ApproversLost(ctx, c.Params("id"), role)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil // the change itself answers 404
	}
	if err != nil || len(needs) == 0 {
		return false, err
	}
	m, err := id.Scope.Member(ctx, c.Params("id"))
	if err != nil {
		return false, err
	}
	item := memberItem(m, id.User.ID, time.Now())
	item.WarningAction, item.WarningRole = action, string(role)
	for _, n := range needs {
		left := "only " + view.People(n.Left) + " would be left to give them"
		if n.Left == 0 {
			left = "nobody would be left to give them"
		}
		waiting := ""
		switch {
		case n.Waiting >= store.MaxPendingCount:
			waiting = fmt.Sprintf(" More than %d requests wait for it now.", store.MaxPendingCount-1)
		case n.Waiting > 0:
			waiting = " " + count(n.Waiting, "request waits", "requests wait") + " for it now."
		}
		item.Warning = append(item.Warning, fmt.Sprintf("%s needs %s; %s.%s", capitalize(n.What), count(n.Required, "approval", "approvals"), left, waiting))
	}
	if render.IsPartial(c) {
		return true, render.Page(c, fiber.StatusUnprocessableEntity, member.Row(item))
	}
	render.SetTitle(c, "Confirm the change")
	return true, render.Page(c, fiber.StatusUnprocessableEntity, member.WarningPage(item))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
