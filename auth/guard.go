package auth

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/nav"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/dashboard"
	"github.com/trustcred/trustcred/views/layout"
)

// User lets any signed-in user through (their own account pages).
func (m *Manager) User() fiber.Handler { return m.guard(authz.AccountUse, false) }

// Org lets through a signed-in member of an organization whose role has p.
// A user without an organization gets 404: organization pages do not exist
// for them.
func (m *Manager) Org(p authz.Permission) fiber.Handler { return m.guard(p, true) }

// Platform lets through platform operators only (platform.manage).
func (m *Manager) Platform() fiber.Handler { return m.guard(authz.PlatformManage, false) }

func (m *Manager) guard(p authz.Permission, needOrg bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := Current(c)
		if id == nil {
			return signInFirst(c)
		}
		// A member awaiting the organization's user_registration workflow
		// sees no organization page whatever their role (Load gave them no
		// Scope either).
		if needOrg && Awaiting(id) {
			return MembershipPending(c, id)
		}
		if !authz.Can(id.User.Role, p) {
			return fiber.ErrForbidden
		}
		if needOrg && id.Scope == nil {
			return fiber.ErrNotFound
		}
		// An organization awaiting approval has no pages yet.
		if needOrg && id.Org.Status != store.OrganizationActive {
			render.SetTitle(c, "Not available yet")
			return render.Page(c, fiber.StatusForbidden, dashboard.NotActiveYetPage(id.Org.Name, id.Org.Status == store.OrganizationPending))
		}
		// An organization that requires a second factor sends members
		// without one to enrol before anything else.
		if p != authz.AccountUse && id.Org != nil && id.Org.RequireMFA && !id.User.MFAEnabled {
			render.Flash(c, layout.FlashInfo, "Your organization requires two-factor authentication. Set it up to continue.")
			return render.Redirect(c, "/account/mfa")
		}
		return c.Next()
	}
}

// signInFirst sends an anonymous visitor to the sign-in page, coming back
// here afterwards.
func signInFirst(c *fiber.Ctx) error {
	if strings.HasPrefix(c.Path(), "/api/") {
		return fiber.ErrUnauthorized
	}
	next := c.OriginalURL()
	// A form post, or an htmx request for a part of a page (such as the
	// bell's poll once the session has ended): come back to the page.
	if c.Method() != fiber.MethodGet || c.Get("HX-Request") == "true" {
		next = c.Get("HX-Current-URL")
		if u, err := url.Parse(next); err == nil {
			next = u.RequestURI()
		}
	}
	target := "/login"
	if render.IsLocalPath(next) && next != "/" {
		target += "?next=" + url.QueryEscape(next)
	}
	return render.Redirect(c, target)
}

// Nav is who the layout shows as signed in, with their sidebar: only what
// their role may open (package nav's table).
func Nav(id *Identity) *layout.User {
	u := &layout.User{Email: id.User.Email, Role: string(id.User.Role), Organization: "Platform"}
	if id.Org != nil {
		u.Organization = id.Org.Name
	}
	if p := id.User.Profile.Data(); p.DisplayName != "" {
		u.Name = p.DisplayName
	}
	if !Awaiting(id) {
		u.Nav = nav.For(id.User.Role, id.Org != nil && id.Org.Status == store.OrganizationActive)
	}
	return u
}

// Awaiting reports whether the signed-in member waits for their
// organization's user_registration workflow (store/approval_users.go).
func Awaiting(id *Identity) bool {
	return id != nil && id.Org != nil && id.User.AwaitingApprovalSince != nil && id.User.Role != store.RoleSuperAdmin
}

// MembershipPending answers a page a member awaiting approval may not
// see: 403, "Your membership of <org> awaits approval".
func MembershipPending(c *fiber.Ctx, id *Identity) error {
	render.SetTitle(c, "Membership awaits approval")
	return render.Page(c, fiber.StatusForbidden, dashboard.MembershipPendingPage(id.Org.Name))
}

// Chrome is the middleware that tells the layout who is signed in.
func Chrome() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if id := Current(c); id != nil {
			render.SetUser(c, Nav(id))
		}
		return c.Next()
	}
}
