// Package events is the one catalogue of TrustCred's domain events: what
// happened, to what, in which organization, with a versioned JSON payload
// and its JSON Schema. Every feature publishes its events from here (the
// issuance door, member and key changes, the console, bulk batches), in
// the transaction of the change they describe; webhooks, notifications
// and analytics consume them in jobs, never on the request path.
//
// Adding an event: a Type constant, its payload struct (json tags; doc
// tags describe the fields; omitempty marks an optional one), a row of
// Catalogue with a description and an example. The schema served at
// /api/v1/events/schemas is derived from the struct, so the two cannot
// drift; TestCatalogue checks every example against its schema.
package events

import (
	"time"
)

// Type names an event, as webhooks subscribe to it and receivers see it
// in the body's "type".
type Type string

// The events TrustCred publishes.
const (
	CredentialIssued      Type = "credential.issued"
	CredentialRevoked     Type = "credential.revoked"
	CredentialSuspended   Type = "credential.suspended"
	CredentialUnsuspended Type = "credential.unsuspended"
	CredentialExpired     Type = "credential.expired"
	CredentialVerified    Type = "credential.verified"
	BulkBatchCompleted    Type = "bulk_batch.completed"
	OrganizationApproved  Type = "organization.approved"
	OrganizationSuspended Type = "organization.suspended"
	MemberJoined          Type = "member.joined"
	MemberRemoved         Type = "member.removed"
	APIKeyCreated         Type = "api_key.created"
	APIKeyRevoked         Type = "api_key.revoked"
	ApprovalRequested     Type = "approval.requested"
	ApprovalDecided       Type = "approval.decided"
	ApprovalExpired       Type = "approval.expired"
	TemplatePublished     Type = "template.published"
	TemplateReviewed      Type = "template.reviewed"
	TemplateAdopted       Type = "template.adopted"
	TemplateReviewIn      Type = "template.review_received"
)

// Group is how the webhook form groups the events' checkboxes.
type Group string

const (
	GroupCredentials  Group = "Credentials"
	GroupBulk         Group = "Bulk issuance"
	GroupOrganization Group = "Organization"
	GroupMembers      Group = "Members"
	GroupAPIKeys      Group = "API keys"
	GroupApprovals    Group = "Approvals"
	GroupMarketplace  Group = "Marketplace"
)

// Spec describes one event type: its version, what it means, and its
// payload (Payload is a zero value of the payload struct, Example a filled
// one).
type Spec struct {
	Type        Type
	Version     int
	Group       Group
	Description string
	Payload     any
	Example     any
}

// Credential is the credential an event is about.
type Credential struct {
	ID         string     `json:"id" doc:"TrustCred's id of the credential (API: /api/v1/credentials/{id})"`
	PublicID   string     `json:"public_id" doc:"the credential's public id, as in its verification link"`
	VerifyURL  string     `json:"verify_url" doc:"the public verification page"`
	SchemaID   string     `json:"schema_id" doc:"the credential schema"`
	TemplateID string     `json:"template_id,omitempty" doc:"the template it was issued from, when any"`
	Recipient  string     `json:"recipient" doc:"the recipient's email address or DID"`
	Status     string     `json:"status" doc:"the status after the event: active, suspended, revoked or expired (pending or rejected in approval events)"`
	IssuedAt   *time.Time `json:"issued_at,omitempty" doc:"when it was signed"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty" doc:"when it expires, when it does"`
}

// Issued is the payload of credential.issued.
type Issued struct {
	Credential Credential `json:"credential" doc:"the credential issued"`
	Via        string     `json:"via" doc:"where the request came from: web, api or system (bulk issuance, demo)"`
	BatchID    string     `json:"batch_id,omitempty" doc:"the bulk batch it was issued in, when any"`
}

// StatusChanged is the payload of credential.revoked, .suspended,
// .unsuspended and .expired.
type StatusChanged struct {
	Credential     Credential `json:"credential" doc:"the credential, with its new status"`
	PreviousStatus string     `json:"previous_status" doc:"its status before the change"`
	Reason         string     `json:"reason,omitempty" doc:"the reason given, when one was"`
	Via            string     `json:"via" doc:"where the change came from: web, api or system (expiry)"`
	ChangedAt      time.Time  `json:"changed_at" doc:"when the change took effect"`
}

// Verified is the payload of credential.verified, published for
// verifications of the organization's credentials, at most once per
// credential per window (verifylog.VerifiedWindow, 10 minutes).
type Verified struct {
	Credential Credential `json:"credential" doc:"the credential verified"`
	Verdict    string     `json:"verdict" doc:"the verification's verdict: valid, invalid, revoked, suspended, expired or unavailable"`
	Channel    string     `json:"channel" doc:"how it was verified: page (the public page, its QR code or the /verify upload) or api"`
	VerifiedAt time.Time  `json:"verified_at" doc:"when"`
	Count      int        `json:"count" doc:"the verifications this event stands for: this one and those since the credential's previous credential.verified event"`
}

// BatchCompleted is the payload of bulk_batch.completed.
type BatchCompleted struct {
	BatchID     string    `json:"batch_id" doc:"the bulk batch"`
	FileName    string    `json:"file_name" doc:"the uploaded CSV's name"`
	Total       int       `json:"total" doc:"rows in the batch"`
	Issued      int       `json:"issued" doc:"rows issued"`
	Failed      int       `json:"failed" doc:"rows that failed (see the batch's results CSV)"`
	CompletedAt time.Time `json:"completed_at" doc:"when the last row was processed"`
}

// Organization is the payload of organization.approved and .suspended.
type Organization struct {
	ID     string    `json:"id" doc:"the organization"`
	Name   string    `json:"name" doc:"its name"`
	Slug   string    `json:"slug" doc:"its public profile's slug (/orgs/{slug})"`
	Reason string    `json:"reason,omitempty" doc:"the platform operator's reason, for a suspension"`
	At     time.Time `json:"at" doc:"when the decision took effect"`
}

// Member is the payload of member.joined and member.removed.
type Member struct {
	UserID string    `json:"user_id" doc:"the member's user id"`
	Email  string    `json:"email" doc:"the member's email address"`
	Role   string    `json:"role" doc:"the member's role"`
	At     time.Time `json:"at" doc:"when they joined (accepted the invitation) or were removed (deactivated)"`
}

// APIKey is the payload of api_key.created and api_key.revoked.
type APIKey struct {
	ID     string    `json:"id" doc:"the key's id"`
	Name   string    `json:"name" doc:"the key's name"`
	Prefix string    `json:"prefix" doc:"the key's visible prefix (the key itself is never sent)"`
	Scopes []string  `json:"scopes" doc:"the scopes it grants"`
	At     time.Time `json:"at" doc:"when it was created or revoked"`
}

// ApprovalAsked is the payload of approval.requested.
type ApprovalAsked struct {
	RequestID    string          `json:"request_id" doc:"the approval request (the reviewer's inbox: /approvals/{request_id}; a schema's: /approvals/resources/{request_id})"`
	ResourceType string          `json:"resource_type" doc:"what waits: credential, schema (a new credential schema under the organization's schema_creation workflow) or user (a person joining under its user_registration workflow)"`
	Credential   Credential      `json:"credential,omitzero" doc:"the credential waiting for approval: status pending, not signed, no issued_at (resource_type credential)"`
	Schema       *ApprovalSchema `json:"schema,omitempty" doc:"the schema waiting for approval (resource_type schema)"`
	Person       *ApprovalPerson `json:"person,omitempty" doc:"the person waiting to become a member (resource_type user, the organization's user_registration workflow)"`
	RequestedBy  string          `json:"requested_by,omitempty" doc:"the user id of the person who asked, when a person did (not an API key)"`
	Via          string          `json:"via" doc:"where the request came from: web, api or system"`
	Required     []Rule          `json:"required" doc:"the rules that must all hold before the credential is signed"`
	Batch        *BatchRef       `json:"batch,omitempty" doc:"for a bulk batch (one request for all its rows): the batch; credential is then its first row's"`
}

// ApprovalSchema is a credential schema an approval request is about.
type ApprovalSchema struct {
	ID      string `json:"id" doc:"the schema"`
	Name    string `json:"name" doc:"its name"`
	Version string `json:"version" doc:"its version"`
	Status  string `json:"approval_status" doc:"pending, approved or rejected"`
}

// ApprovalPerson is the person a user_registration request is about.
type ApprovalPerson struct {
	ID    string `json:"id" doc:"the user"`
	Name  string `json:"name,omitempty" doc:"their name, as they gave it when they joined"`
	Email string `json:"email" doc:"their email"`
	Role  string `json:"role" doc:"the role they were invited to"`
}

// BatchRef is the bulk batch an approval request is for.
type BatchRef struct {
	BatchID  string `json:"batch_id" doc:"the batch (its page: /credentials/bulk/{batch_id})"`
	FileName string `json:"file_name,omitempty" doc:"the uploaded file's name"`
	Count    int    `json:"count" doc:"how many credentials the decision applies to (the batch's valid rows)"`
	Sample   int    `json:"sample" doc:"how many rows TrustCred picked at random for the reviewers to read"`
}

// Rule is one multi-signature requirement of an approval request.
type Rule struct {
	Approvals int      `json:"approvals" doc:"how many approvals it needs"`
	Roles     []string `json:"roles" doc:"the roles whose holders may give them"`
	Given     int      `json:"given" doc:"how many of them were given (in the current round)"`
}

// Approver is one decision on an approval request.
type Approver struct {
	UserID    string    `json:"user_id" doc:"the person who decided"`
	Name      string    `json:"name" doc:"their name (or email address)"`
	Role      string    `json:"role" doc:"the role that made them eligible when they decided"`
	Decision  string    `json:"decision" doc:"approved or rejected"`
	Note      string    `json:"note,omitempty" doc:"their note, when they wrote one"`
	DecidedAt time.Time `json:"decided_at" doc:"when"`
}

// ApprovalDecision is the payload of approval.decided.
type ApprovalDecision struct {
	RequestID    string          `json:"request_id" doc:"the approval request"`
	ResourceType string          `json:"resource_type" doc:"what was decided on: credential, schema or user"`
	Credential   Credential      `json:"credential,omitzero" doc:"the credential: active (signed) once approved, rejected once rejected (resource_type credential)"`
	Schema       *ApprovalSchema `json:"schema,omitempty" doc:"the schema: usable once approved, never once rejected (resource_type schema)"`
	Person       *ApprovalPerson `json:"person,omitempty" doc:"the person: a member once approved, their account closed once rejected (resource_type user)"`
	Decision     string          `json:"decision" doc:"approved or rejected"`
	Note         string          `json:"note,omitempty" doc:"the rejection's note"`
	Approvers    []Approver      `json:"approvers" doc:"the decisions of the round that ended the request, oldest first"`
	DecidedAt    time.Time       `json:"decided_at" doc:"when the request was decided"`
	Batch        *BatchRef       `json:"batch,omitempty" doc:"for a bulk batch: the batch, published once for all its rows when the decision is made (each row's credential.issued follows as it is signed)"`
}

// ApprovalExpiry is the payload of approval.expired.
type ApprovalExpiry struct {
	RequestID  string     `json:"request_id" doc:"the approval request"`
	Credential Credential `json:"credential" doc:"the credential, now rejected: it will never be signed"`
	Step       int        `json:"step" doc:"the workflow step it waited at when its final deadline passed"`
	StepName   string     `json:"step_name" doc:"that step's name"`
	ExpiredAt  time.Time  `json:"expired_at" doc:"when it expired"`
	Batch      *BatchRef  `json:"batch,omitempty" doc:"for a bulk batch (one request for all its rows): the batch, published once when it expires, every row of it rejected; credential is then its first row's"`
}

// Template is the payload of template.published.
type Template struct {
	ID       string    `json:"id" doc:"the template (its marketplace page: /marketplace/{id})"`
	Name     string    `json:"name" doc:"its name, as published"`
	Kind     string    `json:"kind" doc:"certificate, diploma, license or badge"`
	Version  int       `json:"version" doc:"the version published (adopters copy this one)"`
	Licence  string    `json:"licence" doc:"the licence it is offered under (SPDX: CC-BY-4.0, CC-BY-SA-4.0, CC0-1.0, CC-BY-ND-4.0)"`
	Category string    `json:"category,omitempty" doc:"its marketplace category, when any"`
	At       time.Time `json:"at" doc:"when it was published"`
}

// Review is the payload of template.reviewed.
type Review struct {
	ID           string    `json:"id" doc:"the review"`
	TemplateID   string    `json:"template_id" doc:"the marketplace template reviewed (its page: /marketplace/{template_id})"`
	TemplateName string    `json:"template_name" doc:"its name, as listed"`
	Rating       int       `json:"rating" doc:"the stars given, 1 to 5"`
	Edited       bool      `json:"edited" doc:"true when the member changed an earlier review"`
	ReviewerID   string    `json:"reviewer_id" doc:"the member who wrote it"`
	At           time.Time `json:"at" doc:"when it was written or changed"`
}

// ReviewReceived is the payload of template.review_received, an event of
// the publisher's organization: what the reviewing organization made
// public on the template's page.
type ReviewReceived struct {
	ReviewID     string    `json:"review_id" doc:"the review"`
	TemplateID   string    `json:"template_id" doc:"the organization's template that was reviewed (its marketplace page: /marketplace/{template_id})"`
	TemplateName string    `json:"template_name" doc:"its name, as listed"`
	Rating       int       `json:"rating" doc:"the stars given, 1 to 5"`
	Reviewer     string    `json:"reviewer" doc:"the name of the organization whose member wrote it"`
	At           time.Time `json:"at" doc:"when it was written"`
}

// Adoption is the payload of template.adopted, an event of the
// publisher's organization.
type Adoption struct {
	TemplateID string    `json:"template_id" doc:"the publisher's template that was adopted (its marketplace page: /marketplace/{template_id})"`
	Name       string    `json:"name" doc:"its name, as published in the version adopted"`
	Version    int       `json:"version" doc:"the version adopted"`
	Adopter    string    `json:"adopter" doc:"the name of the organization that adopted it"`
	Adoptions  int       `json:"adoptions" doc:"how many times the template has been adopted, this one included"`
	At         time.Time `json:"at" doc:"when it was adopted"`
}

var (
	exampleTime    = time.Date(2026, 6, 1, 9, 30, 0, 0, time.UTC)
	exampleExpires = time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)
	exampleCred    = Credential{ID: "0b7e0c9e-6b1e-4d53-9a8e-4f3a0f2f5c11", PublicID: "c7d1f0a2-2f3e-4c55-8d0e-5b6a7c8d9e10",
		VerifyURL: "https://credentials.example.edu/v/c7d1f0a2-2f3e-4c55-8d0e-5b6a7c8d9e10", SchemaID: "5a0c2d1e-9f8b-4c7a-b6e5-d4c3b2a19f80",
		TemplateID: "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918", Recipient: "ada@example.org", Status: "active",
		IssuedAt: &exampleTime, ExpiresAt: &exampleExpires}
)

func withStatus(c Credential, s string) Credential { c.Status = s; return c }

// Catalogue lists every event TrustCred publishes, in the order the docs
// show them.
var Catalogue = []Spec{
	{CredentialIssued, 1, GroupCredentials, "A credential was signed and stored: from the issue form, the API or a bulk batch row (batch_id set), published with it.",
		Issued{}, Issued{Credential: exampleCred, Via: "api"}},
	{CredentialRevoked, 1, GroupCredentials, "A credential was revoked: its status list says so from now on, for good.",
		StatusChanged{}, StatusChanged{Credential: withStatus(exampleCred, "revoked"), PreviousStatus: "active", Reason: "Issued in error", Via: "web", ChangedAt: exampleTime}},
	{CredentialSuspended, 1, GroupCredentials, "A credential was suspended: verifiers see it as suspended until it is unsuspended.",
		StatusChanged{}, StatusChanged{Credential: withStatus(exampleCred, "suspended"), PreviousStatus: "active", Reason: "Under review", Via: "api", ChangedAt: exampleTime}},
	{CredentialUnsuspended, 1, GroupCredentials, "A suspended credential is active again.",
		StatusChanged{}, StatusChanged{Credential: exampleCred, PreviousStatus: "suspended", Via: "web", ChangedAt: exampleTime}},
	{CredentialExpired, 1, GroupCredentials, "A credential reached its expiry date: published by the expiry job, which runs every 10 minutes.",
		StatusChanged{}, StatusChanged{Credential: withStatus(exampleCred, "expired"), PreviousStatus: "active", Via: "system", ChangedAt: exampleTime}},
	{CredentialVerified, 1, GroupCredentials, "Someone verified one of the organization's credentials: its public page or QR code, the /verify upload or the API. Rate-capped: at most one event per credential per 10 minutes (per server process), published with the first verification after the window; count says how many verifications it stands for. Published with the verification log, a second or so after the verification, never on its request.",
		Verified{}, Verified{Credential: exampleCred, Verdict: "valid", Channel: "page", VerifiedAt: exampleTime, Count: 3}},
	{BulkBatchCompleted, 1, GroupBulk, "Every row of a bulk batch was processed.",
		BatchCompleted{}, BatchCompleted{BatchID: "3f2e1d0c-9b8a-4766-8554-4433221100ff", FileName: "graduates-2026.csv", Total: 1200, Issued: 1198, Failed: 2, CompletedAt: exampleTime}},
	{OrganizationApproved, 1, GroupOrganization, "The platform operator approved the organization: it can issue credentials.",
		Organization{}, Organization{ID: "9d8c7b6a-5f4e-4d3c-8b2a-190f8e7d6c5b", Name: "Example University", Slug: "example-university", At: exampleTime}},
	{OrganizationSuspended, 1, GroupOrganization, "The platform operator suspended the organization: it cannot issue until reinstated.",
		Organization{}, Organization{ID: "9d8c7b6a-5f4e-4d3c-8b2a-190f8e7d6c5b", Name: "Example University", Slug: "example-university", Reason: "Unpaid invoice", At: exampleTime}},
	{MemberJoined, 1, GroupMembers, "Someone joined the organization: they accepted an invitation, or the operator created their account in it.",
		Member{}, Member{UserID: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", Email: "grace@example.edu", Role: "issuer", At: exampleTime}},
	{MemberRemoved, 1, GroupMembers, "A member was deactivated: they can no longer sign in.",
		Member{}, Member{UserID: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", Email: "grace@example.edu", Role: "issuer", At: exampleTime}},
	{APIKeyCreated, 1, GroupAPIKeys, "An API key was created.",
		APIKey{}, APIKey{ID: "6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2910", Name: "Student records", Prefix: "tc_live_ab12", Scopes: []string{"credentials:issue", "credentials:read"}, At: exampleTime}},
	{APIKeyRevoked, 1, GroupAPIKeys, "An API key was revoked: requests with it are refused from now on.",
		APIKey{}, APIKey{ID: "6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2910", Name: "Student records", Prefix: "tc_live_ab12", Scopes: []string{"credentials:issue", "credentials:read"}, At: exampleTime}},
	{ApprovalRequested, 1, GroupApprovals, "A credential was issued under an active approval requirement of its schema: it is stored pending (not signed, its public page says it awaits approval) until the reviewers approve it; or a new credential schema waits for the organization's schema_creation workflow (resource_type schema).",
		ApprovalAsked{}, ApprovalAsked{RequestID: "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", ResourceType: "credential", Credential: examplePending,
			RequestedBy: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", Via: "web", Required: []Rule{{Approvals: 2, Roles: []string{"reviewer"}}}}},
	{ApprovalDecided, 1, GroupApprovals, "An approval request ended: approved (the credential was signed and is active; credential.issued follows with it) or rejected (the credential will never be signed); for resource_type schema, the schema became usable or was rejected.",
		ApprovalDecision{}, ApprovalDecision{RequestID: "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", ResourceType: "credential", Credential: exampleCred, Decision: "approved",
			Approvers: []Approver{
				{UserID: "3b4c5d6e-7f80-4a1b-9c2d-3e4f5a6b7c8d", Name: "Rita Registrar", Role: "reviewer", Decision: "approved", DecidedAt: exampleTime},
				{UserID: "4c5d6e7f-8091-4b2c-8d3e-4f5a6b7c8d9e", Name: "Dean Dale", Role: "reviewer", Decision: "approved", Note: "Checked the transcript", DecidedAt: exampleTime},
			}, DecidedAt: exampleTime}},
	{ApprovalExpired, 1, GroupApprovals, "An approval request of a multi-step workflow was left undecided past its final deadline (the step's deadline plus the escalation timeout): it is cancelled and its credential rejected; nobody decided, so approval.decided is not published. Published by the workflows' timer job, which runs every 5 minutes.",
		ApprovalExpiry{}, ApprovalExpiry{RequestID: "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", Credential: withStatus(examplePending, "rejected"), Step: 2,
			StepName: "Dean's office", ExpiredAt: exampleTime}},
	{TemplatePublished, 1, GroupMarketplace, "A template of the organization was published to the marketplace (or a new version of it), after its quality check.",
		Template{}, Template{ID: "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918", Name: "First Aid Certificate", Kind: "certificate", Version: 2,
			Licence: "CC-BY-4.0", Category: "Health and safety", At: exampleTime}},
	{TemplateReviewed, 1, GroupMarketplace, "A member of the organization reviewed a marketplace template the organization uses (or changed their review).",
		Review{}, Review{ID: "8f7e6d5c-4b3a-4291-8f7e-6d5c4b3a2919", TemplateID: "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918", TemplateName: "First Aid Certificate",
			Rating: 4, ReviewerID: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", At: exampleTime}},
	{TemplateAdopted, 1, GroupMarketplace, "Another organization adopted one of the organization's marketplace templates (\"Use this template\"): it now has its own copy. Published in the adoption's transaction, as an event of the publisher's organization.",
		Adoption{}, Adoption{TemplateID: "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918", Name: "First Aid Certificate", Version: 2,
			Adopter: "Harbor Lifeguard Academy", Adoptions: 14, At: exampleTime}},
	{TemplateReviewIn, 1, GroupMarketplace, "A member of another organization reviewed one of the organization's marketplace templates (a new review, not an edit). Published in the review's transaction, as an event of the publisher's organization.",
		ReviewReceived{}, ReviewReceived{ReviewID: "8f7e6d5c-4b3a-4291-8f7e-6d5c4b3a2919", TemplateID: "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918",
			TemplateName: "First Aid Certificate", Rating: 4, Reviewer: "Harbor Lifeguard Academy", At: exampleTime}},
}

var examplePending = func() Credential {
	c := withStatus(exampleCred, "pending")
	c.IssuedAt = nil
	return c
}()

// Lookup returns the spec of an event type.
func Lookup(t Type) (Spec, bool) {
	for _, s := range Catalogue {
		if s.Type == t {
			return s, true
		}
	}
	return Spec{}, false
}

// Known reports whether t is an event TrustCred publishes.
func Known(t Type) bool { _, ok := Lookup(t); return ok }
