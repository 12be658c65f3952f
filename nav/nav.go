// Package nav is the staff navigation: one table of every section a
// signed-in person can open from the sidebar, with the permission its page
// needs and the group it sits in. The layout shows a person only the rows
// their role may open (authz.Can); a new section adds one row here, and
// web/nav_test.go holds every row to the route it links to.
package nav

import (
	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
)

// Group is a heading of the sidebar, in the order shown.
type Group string

const (
	Overview     Group = "Overview"
	Credentials  Group = "Credentials"
	Design       Group = "Design"
	Organization Group = "Organization"
	Platform     Group = "Platform"
)

// Groups lists the sidebar's groups in order. A group no row of a person's
// sidebar falls into is not shown.
var Groups = []Group{Overview, Credentials, Design, Organization, Platform}

// Where a row's page lives, which decides who can have it.
type Where int

const (
	// Anyone: any signed-in person (their own pages, public pages).
	Anyone Where = iota
	// InOrganization: a page of the person's organization, which must be
	// active (an organization awaiting approval has no pages yet).
	InOrganization
	// OnPlatform: a platform operator's page, across organizations.
	OnPlatform
)

// Entry is one row of the table: a link of the sidebar.
type Entry struct {
	Group       Group
	Label, Href string
	Permission  authz.Permission // what the page's route requires (web/routes.go)
	Where       Where
	TestID      string // data-testid of the link, "nav-" + this
}

// Table is every sidebar link, in the order shown within its group. Later
// sections (approvals, marketplace, branding, insights, integrations) slot in as one row each.
var Table = []Entry{
	{Overview, "Dashboard", "/", authz.AccountUse, Anyone, "dashboard"},

	{Credentials, "Issue", "/credentials/issue", authz.CredentialsIssue, InOrganization, "issue"},
	{Credentials, "Bulk issuance", "/credentials/bulk", authz.CredentialsIssue, InOrganization, "bulk"},
	{Credentials, "Credentials", "/credentials", authz.OrgView, InOrganization, "credentials"},
	{Credentials, "Verifications", "/verifications", authz.OrgView, InOrganization, "verifications"},
	{Credentials, "Verify a credential", "/verify", authz.AccountUse, Anyone, "verify"},
	{Credentials, "Approvals", "/approvals", authz.ApprovalsDecide, InOrganization, "approvals"},

	{Design, "Schemas", "/schemas", authz.OrgView, InOrganization, "schemas"},
	{Design, "Templates", "/templates", authz.OrgView, InOrganization, "templates"},
	{Design, "Field library", "/settings/fields", authz.SchemasWrite, InOrganization, "fields"},
	{Design, "Certificate designs", "/settings/designs", authz.BrandingManage, InOrganization, "designs"},
	{Design, "Marketplace", "/marketplace", authz.AccountUse, Anyone, "marketplace"},

	{Organization, "Members", "/members", authz.MembersManage, InOrganization, "members"},
	{Organization, "API keys", "/api-keys", authz.APIKeysManage, InOrganization, "api-keys"},
	{Organization, "Webhooks", "/settings/webhooks", authz.WebhooksManage, InOrganization, "webhooks"},
	{Organization, "Approval rules", "/settings/approvals", authz.ApprovalsManage, InOrganization, "approval-settings"},
	{Organization, "Branding", "/settings/branding", authz.BrandingManage, InOrganization, "branding"},
	{Organization, "Image library", "/settings/branding/images", authz.BrandingManage, InOrganization, "brand-images"},
	{Organization, "Security", "/settings/security", authz.OrgManage, InOrganization, "security"},
	{Organization, "Signing keys", "/settings/keys", authz.OrgManage, InOrganization, "signing-keys"},
	{Organization, "Profile", "/settings/profile", authz.OrgManage, InOrganization, "profile"},
	{Organization, "Custom domain", "/settings/domain", authz.BrandingManage, InOrganization, "custom-domain"},
	{Organization, "Audit log", "/audit", authz.AuditRead, InOrganization, "audit"},

	{Platform, "Organizations", "/admin/organizations", authz.PlatformManage, OnPlatform, "organizations"},
	{Platform, "Platform audit log", "/admin/audit", authz.PlatformManage, OnPlatform, "platform-audit"},
	{Platform, "Marketplace moderation", "/admin/marketplace", authz.PlatformManage, OnPlatform, "marketplace-moderation"},
}

// Counts are the links that show a count beside their label, loaded (and
// refreshed) by htmx from this URL: the approvals waiting for the person.
var Counts = map[string]string{"/approvals": "/approvals/count"}

// Allowed reports whether a person of role, in an organization that is
// active or not (orgActive false also for no organization), may open e.
func (e Entry) Allowed(role store.Role, orgActive bool) bool {
	if e.Where == InOrganization && !orgActive {
		return false
	}
	return authz.Can(role, e.Permission)
}

// For is the sidebar of a person of role: the groups, in order, each with
// the rows that person may open; empty groups are left out.
func For(role store.Role, orgActive bool) []layout.NavGroup {
	var out []layout.NavGroup
	for _, g := range Groups {
		ng := layout.NavGroup{Label: string(g)}
		for _, e := range Table {
			if e.Group == g && e.Allowed(role, orgActive) {
				ng.Items = append(ng.Items, layout.NavItem{Label: e.Label, Href: e.Href, TestID: "nav-" + e.TestID, CountHref: Counts[e.Href]})
			}
		}
		if len(ng.Items) > 0 {
			out = append(out, ng)
		}
	}
	return out
}
