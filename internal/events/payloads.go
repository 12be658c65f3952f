package events

import (
	"context"
	"strings"
	"time"

	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
)

// APIKeyOf is the payload of an API key event.
func APIKeyOf(k *store.APIKey, at time.Time) APIKey {
	scopes := make([]string, len(k.Permissions))
	for i, s := range k.Permissions {
		scopes[i] = string(s)
	}
	return APIKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: scopes, At: at.UTC()}
}

// MemberOf is the payload of a member event.
func MemberOf(m *store.Member, at time.Time) Member {
	return Member{UserID: m.ID, Email: m.Email, Role: string(m.Role), At: at.UTC()}
}

// CredentialOf is the credential part of a credential event: c as stored
// (its status after the change), verifyURL its public page.
func CredentialOf(c *store.Credential, verifyURL string) Credential {
	out := Credential{ID: c.ID, PublicID: c.PublicID, VerifyURL: verifyURL, SchemaID: c.SchemaID,
		Recipient: c.RecipientAddress, Status: string(c.Status)}
	if c.TemplateID != nil {
		out.TemplateID = *c.TemplateID
	}
	if c.IssuedAt != nil {
		t := c.IssuedAt.UTC()
		out.IssuedAt = &t
	}
	if c.ExpiresAt != nil {
		t := c.ExpiresAt.UTC()
		out.ExpiresAt = &t
	}
	return out
}

// OrganizationOf is the payload of an organization event.
func OrganizationOf(o *store.Organization, reason string, at time.Time) Organization {
	return Organization{ID: o.ID, Name: o.Name, Slug: o.Slug, Reason: reason, At: at.UTC()}
}

// Joined publishes member.joined for u, who just joined tx's organization,
// through q: the then of store.DB.AcceptInvitation and CreateUserThen, so
// that the member and the event commit together. A nil q gives nil
// (nothing is published).
func Joined(ctx context.Context, q jobs.Enqueuer) func(tx *store.Scoped, u *store.User) error {
	if q == nil {
		return nil
	}
	return func(tx *store.Scoped, u *store.User) error {
		now := time.Now()
		e, err := New(tx.OrganizationID(), MemberJoined, now, Member{UserID: u.ID, Email: u.Email, Role: string(u.Role), At: now.UTC()})
		if err != nil {
			return err
		}
		return Publish(ctx, tx, q, e)
	}
}

// lifecycleEvents are the organization lifecycle actions that publish an
// event (reactivation and revocation publish none).
var lifecycleEvents = map[store.OrganizationAction]Type{
	store.ApproveOrganization: OrganizationApproved,
	store.SuspendOrganization: OrganizationSuspended,
}

// Lifecycle publishes the event of a platform operator's lifecycle action
// (organization.approved, organization.suspended) through q: the then of
// store.DB.ChangeOrganizationStatusThen, so that the status and the event
// commit together. nil (nothing to publish) for the other actions and for
// a nil q.
func Lifecycle(ctx context.Context, q jobs.Enqueuer, action store.OrganizationAction, reason string) func(tx *store.Scoped, o *store.Organization) error {
	t, ok := lifecycleEvents[action]
	if q == nil || !ok {
		return nil
	}
	if action != store.SuspendOrganization {
		reason = ""
	}
	return func(tx *store.Scoped, o *store.Organization) error {
		at := time.Now()
		if o.StatusChangedAt != nil {
			at = *o.StatusChangedAt
		}
		e, err := New(tx.OrganizationID(), t, at, OrganizationOf(o, strings.TrimSpace(reason), at))
		if err != nil {
			return err
		}
		return Publish(ctx, tx, q, e)
	}
}

// RulesOf is the required part of approval.requested: the active
// multi-signature requirements of the credential's schema.
func RulesOf(reqs []store.MultisigRequirement) []Rule {
	var out []Rule
	for _, r := range reqs {
		roles := make([]string, len(r.ApproverRoles))
		for i, role := range r.ApproverRoles {
			roles[i] = string(role)
		}
		out = append(out, Rule{Approvals: r.RequiredSignatures, Roles: roles})
	}
	return out
}
