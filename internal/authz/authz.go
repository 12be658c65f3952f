// Package authz is the one table that says which role may do what. Every
// route in web/routes.go names the Permission it needs; handlers never
// check roles themselves.
package authz

import (
	"slices"

	"github.com/trustcred/trustcred/store"
)

// Permission is one thing a user may be allowed to do.
type Permission string

const (
	// Signed in, whatever the role: one's own account, password, sessions, MFA.
	AccountUse Permission = "account.use"
	// The organization's dashboard and read-only views of its work.
	OrgView Permission = "org.view"
	// The organization's profile and security settings (require MFA).
	OrgManage Permission = "org.manage"
	// Invite members, change their roles, deactivate them.
	MembersManage Permission = "members.manage"
	// Create and revoke the organization's API keys.
	APIKeysManage Permission = "apikeys.manage"
	// Design credential schemas and templates.
	SchemasWrite Permission = "schemas.write"
	// Publish the organization's templates to the marketplace, or take them out.
	TemplatesPublish Permission = "templates.publish"
	// Issue credentials.
	CredentialsIssue Permission = "credentials.issue"
	// Revoke and suspend credentials.
	CredentialsRevoke Permission = "credentials.revoke"
	// Approve or reject pending issuance.
	ApprovalsDecide Permission = "approvals.decide"
	// Configure approvals: multi-signature rules, workflows, the approval
	// policy (/settings/approvals).
	ApprovalsManage Permission = "approvals.manage"
	// Logo, colours, custom domain.
	BrandingManage Permission = "branding.manage"
	// Webhooks and their delivery history.
	WebhooksManage Permission = "webhooks.manage"
	// LDAP and ERP integrations.
	IntegrationsManage Permission = "integrations.manage"
	// The organization's audit trail.
	AuditRead Permission = "audit.read"
	// Verify credentials from inside the product (verification history).
	CredentialsVerify Permission = "credentials.verify"
	// Platform operations: organizations, marketplace moderation, every audit trail.
	PlatformManage Permission = "platform.manage"
)

// All lists every permission.
var All = []Permission{
	AccountUse, OrgView, OrgManage, MembersManage, APIKeysManage, SchemasWrite, CredentialsIssue,
	CredentialsRevoke, ApprovalsDecide, ApprovalsManage, BrandingManage, WebhooksManage, IntegrationsManage, AuditRead,
	CredentialsVerify, PlatformManage, TemplatesPublish,
}

// roles is the permission table.
var roles = map[store.Role][]Permission{
	store.RoleSuperAdmin: All,
	store.RoleAdmin: {AccountUse, OrgView, OrgManage, MembersManage, APIKeysManage, SchemasWrite, CredentialsIssue,
		CredentialsRevoke, ApprovalsDecide, ApprovalsManage, BrandingManage, WebhooksManage, IntegrationsManage, AuditRead, CredentialsVerify, TemplatesPublish},
	store.RoleIssuer:    {AccountUse, OrgView, SchemasWrite, CredentialsIssue, CredentialsRevoke, CredentialsVerify},
	store.RoleReviewer:  {AccountUse, OrgView, ApprovalsDecide, CredentialsVerify},
	store.RoleVerifier:  {AccountUse, CredentialsVerify},
	store.RoleRecipient: {AccountUse},
}

// Can reports whether role has permission p.
func Can(role store.Role, p Permission) bool { return slices.Contains(roles[role], p) }

// Permissions lists what role may do.
func Permissions(role store.Role) []Permission { return slices.Clone(roles[role]) }
