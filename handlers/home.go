package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/dashboard"
	"github.com/trustcred/trustcred/views/home"
)

// Home serves the landing page, or a signed-in user's dashboard.
type Home struct {
	DB *store.DB
}

// Dashboard sizes.
const (
	dashboardPending = 10 // newest registrations a platform operator sees
	dashboardEvents  = 5  // newest audit entries an org administrator sees
)

// Index renders GET /: the landing page, or the dashboard for the role:
// platform operators see the registrations awaiting approval and platform
// counts; members who manage members see the members by status; those who
// read the audit log see its latest entries; members of an organization
// awaiting approval see only that, and their account.
func (h *Home) Index(c *fiber.Ctx) error {
	id := auth.Current(c)
	if id == nil {
		return render.Page(c, fiber.StatusOK, home.IndexPage())
	}
	ctx := c.UserContext()
	nav := auth.Nav(id)
	m := dashboard.Model{Name: nav.Name, Organization: nav.Organization, Role: nav.Role, Email: id.User.Email,
		EmailUnverified: !id.User.EmailVerified}
	if m.Name == "" {
		m.Name = id.User.Email
	}
	for _, item := range nav.Nav[1:] { // everything but the dashboard itself
		m.Links = append(m.Links, dashboard.Link{Label: item.Label, Href: item.Href, Text: "Open " + item.Label + "."})
	}
	m.Links = append(m.Links, dashboard.Link{Label: "Your account", Href: "/account", Text: "Password, two-factor authentication and sessions."})
	role := id.User.Role

	if authz.Can(role, authz.PlatformManage) {
		p, err := h.platform(c)
		if err != nil {
			return err
		}
		m.Platform = p
	}
	switch {
	case id.Org == nil:
	case id.Org.Status != store.OrganizationActive:
		m.OrgPending = id.Org.Status == store.OrganizationPending
	case authz.Can(role, authz.MembersManage) || authz.Can(role, authz.AuditRead):
		o := &dashboard.Org{Status: statusLabel(id.Org.Status)}
		if authz.Can(role, authz.MembersManage) {
			mc, err := id.Scope.MemberCounts(ctx)
			if err != nil {
				return err
			}
			o.Members = []dashboard.Count{
				{Label: "Active members", Value: mc.Active, Href: "/members", TestID: "count-members"},
				{Label: "Pending invitations", Value: mc.Invited, Href: "/members", TestID: "count-invitations"},
				{Label: "Deactivated", Value: mc.Deactivated, Href: "/members", TestID: "count-deactivated"},
			}
		}
		if authz.Can(role, authz.AuditRead) {
			page, err := id.Scope.AuditLogs(ctx, store.AuditFilter{Limit: dashboardEvents})
			if err != nil {
				return err
			}
			o.Audit = true
			for _, e := range page.Entries {
				ev := dashboard.Event{At: e.CreatedAt.UTC().Format("2 Jan 15:04 UTC"), Action: e.Action, Summary: e.Details.Data().Summary}
				if e.ActorEmail != nil {
					ev.Actor = *e.ActorEmail
				}
				o.Events = append(o.Events, ev)
			}
		}
		m.Org = o
	}
	render.SetTitle(c, "Dashboard")
	return render.Page(c, fiber.StatusOK, dashboard.Page(m))
}

// platform is the platform operator's panel.
func (h *Home) platform(c *fiber.Ctx) (*dashboard.Platform, error) {
	ctx := c.UserContext()
	pc, err := h.DB.PlatformCounts(ctx)
	if err != nil {
		return nil, err
	}
	pending, err := h.DB.LatestPendingRegistrations(ctx, dashboardPending)
	if err != nil {
		return nil, err
	}
	p := &dashboard.Platform{PendingLink: store.PendingRegistrationsLink}
	for _, s := range []store.OrganizationStatus{store.OrganizationPending, store.OrganizationActive, store.OrganizationSuspended, store.OrganizationRevoked} {
		p.Counts = append(p.Counts, dashboard.Count{Label: statusLabel(s) + " organizations", Value: pc.Organizations[s],
			Href: "/admin/organizations?status=" + string(s), TestID: "count-" + string(s)})
	}
	p.Counts = append(p.Counts, dashboard.Count{Label: "Users", Value: pc.Users, TestID: "count-users"})
	for _, r := range pending {
		p.Pending = append(p.Pending, dashboard.Pending{Name: r.Name, Slug: r.Slug, Type: orgTypeLabel(r.Type),
			AdminEmail: r.AdminEmail, AdminEmailVerified: r.AdminEmailVerified, Registered: r.CreatedAt.UTC().Format("2 Jan 2006 15:04 UTC")})
	}
	return p, nil
}

// statusLabel is how an organization status is shown: "Active".
func statusLabel(s store.OrganizationStatus) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}
