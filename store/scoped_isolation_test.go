package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// isoFixture is organization A with one of everything, and organization B
// whose handle is pointed at A's ids.
type isoFixture struct {
	a, b        *store.Organization
	ids         []string // every id of A's objects (all UUIDs, the credential's public id too)
	schemaName  string
	memberEmail string
	tpl         *store.CredentialTemplate // A's
	batch       *store.IssuanceBatch      // A's
	rowID       string                    // a pending row of A's batch
	bSchemaID   string                    // B's own schema
	bTplID      string                    // B's own template
	// A's status list, an index of it no credential has, A's signing key
	statusListID, signingKeyID string
	freeIndex                  int
	// A's pending credential, its approval request and a reviewer
	pendingID, requestID, reviewerID string
	bActor                           store.Actor // a member of B
}

func isolationFixture(t *testing.T, db *store.DB) *isoFixture {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	a, b := org(t, db, "alpha"), org(t, db, "bravo")
	sa := db.Scoped(a.ID)
	admin := member(t, db, a, "admin@alpha.example", "Ada Admin", store.RoleAdmin)
	act := actorOf(admin)
	issuer := member(t, db, a, "issuer@alpha.example", "Ivo Issuer", store.RoleIssuer)
	invited, err := sa.InviteMember(ctx, "invited@alpha.example", store.RoleReviewer, link("alpha-invite", time.Hour), act)
	must(err)
	key, _ := newKey(t, sa, "alpha key", nil, store.ScopeCredentialsRead)
	tpl := batchTemplate(t, db, a)
	cs, err := sa.Schema(ctx, tpl.SchemaID)
	must(err)
	sk, err := sa.AddSigningKey(ctx, &store.SigningKey{KeyID: "z6MkAlpha", PublicKeyMultibase: "z6MkAlpha",
		PrivateKeyEncrypted: []byte("sealed")}, "did:key:z6MkAlpha", false, act)
	must(err)
	issue := func(to string) *store.Credential {
		in := store.Issue{IssuerDID: a.DID, Via: store.ViaWeb}
		in.Revocation, in.Suspension, err = sa.ReserveCredentialStatus(ctx, a.DID, "")
		must(err)
		c := &store.Credential{PublicID: uuid.NewString(), SchemaID: tpl.SchemaID, TemplateID: &tpl.ID, RecipientAddress: to}
		must(sa.StoreIssuedCredential(ctx, in, c, act))
		return c
	}
	c1, c2 := issue("bob@example.com"), issue("carol@example.com")
	_, err = sa.ChangeCredentialStatus(ctx, c2.ID, store.ActionSuspend, "", store.ViaWeb, act)
	must(err)
	batch := newBatch(t, sa, tpl, 2, 1)
	rows, err := sa.BatchRows(ctx, batch.ID)
	must(err)
	cat, err := sa.AddIssuerCategory(ctx, "Education", act)
	must(err)
	_, err = db.NotifyAdmins(ctx, a.ID, store.Notification{Type: store.NotifyCredentialIssued, Title: "Issued", Message: "A credential was issued"})
	must(err)
	valid := "valid"
	must(db.InsertVerificationLogs(ctx, []store.VerificationLog{{CredentialID: &c1.ID, OrganizationID: &a.ID, Verdict: &valid,
		VerificationMethod: store.VerifiedByAPI}}))
	hook := &store.Webhook{Name: "Alpha CRM", URL: "https://crm.alpha.example/hook", SecretKey: []byte("sealed"), Active: true,
		Events: datatypes.NewJSONSlice([]store.WebhookEvent{"credential.issued"})}
	must(sa.CreateWebhook(ctx, hook, act))
	attempt := &store.WebhookDelivery{WebhookID: hook.ID, EventType: "credential.issued", EventID: "evt_alpha", Attempt: 1,
		Cause: store.CauseEvent, Payload: datatypes.NewJSONType(store.WebhookPayload{Type: "credential.issued", Version: 1}),
		RequestHeaders: datatypes.NewJSONType(map[string]string{}), CreatedAt: time.Now()}
	_, err = sa.RecordWebhookAttempt(ctx, attempt)
	must(err)
	// A pending credential under a two-reviewer requirement, approved once.
	must(store.Gorm(db).Create(&store.MultisigRequirement{SchemaID: cs.ID, RequiredSignatures: 2, Active: true,
		ApproverRoles: datatypes.NewJSONSlice([]store.Role{store.RoleReviewer})}).Error)
	reviewer := member(t, db, a, "reviewer@alpha.example", "Rae Reviewer", store.RoleReviewer)
	pending := &store.Credential{PublicID: uuid.NewString(), SchemaID: tpl.SchemaID, TemplateID: &tpl.ID, RecipientAddress: "dora@example.com",
		EncryptedData: []byte("sealed")}
	areq, err := sa.StorePendingCredential(ctx, store.Pending{Via: store.ViaWeb, RequesterID: &issuer.ID}, pending, actorOf(issuer))
	must(err)
	_, err = sa.DecideApproval(ctx, store.Decision{RequestID: areq.ID, ApproverID: reviewer.ID, Approve: true}, actorOf(reviewer))
	must(err)
	// The approval configuration: a rule, a workflow, the policy, a delegation.
	rule, err := sa.CreateRequirement(ctx, store.RequirementChange{SchemaID: cs.ID, RuleName: "Alpha registrar", RequiredSignatures: 1,
		ApproverRoles: []store.Role{store.RoleAdmin}, ApproverUserIDs: []string{issuer.ID}, Active: true}, act)
	must(err)
	flow, err := sa.CreateApprovalWorkflow(ctx, store.WorkflowChange{Name: "Alpha issuance", Type: store.WorkflowCredentialIssuance, SchemaID: cs.ID,
		Steps: []store.WorkflowStep{{ApproverRoles: []store.Role{store.RoleIssuer}, RequiredApprovals: 1}}, Active: true}, act)
	must(err)
	// A pending credential under the workflow: its instance at step 1.
	underFlow := &store.Credential{PublicID: uuid.NewString(), SchemaID: tpl.SchemaID, TemplateID: &tpl.ID, RecipientAddress: "fay@example.com",
		EncryptedData: []byte("sealed")}
	flowReq, err := sa.StorePendingCredential(ctx, store.Pending{Via: store.ViaWeb, RequesterID: &admin.ID}, underFlow, actorOf(admin))
	must(err)
	policy, err := sa.SaveApprovalPolicy(ctx, store.ApprovalPolicy{FourEyesRevocation: true, StepUp: store.StepUpTOTP}, act)
	must(err)
	deleg, err := sa.CreateDelegation(ctx, admin.ID, issuer.ID, time.Now(), time.Now().Add(48*time.Hour), time.Now(), act)
	must(err)
	for _, c := range []string{"#112233", "#445566"} { // twice: A has a version to revert to
		_, err = sa.SaveBrandingLook(ctx, store.BrandingLook{PrimaryColor: &c, CustomCSS: new("h1 { color: " + c + " }")}, act)
		must(err)
	}
	_, err = sa.ClaimCustomDomain(ctx, "certs.alpha.example", act)
	must(err)
	for _, name := range []string{"alpha-seal", "alpha-paper"} {
		must(sa.AddBrandAsset(ctx, &store.BrandAsset{Name: name, ContentType: "image/png", SHA256: strings.Repeat("ab", 32),
			Size: 100, Width: 10, Height: 10}, nil, act))
	}
	brand, err := sa.Branding(ctx)
	must(err)
	// A reviewed charlie's marketplace template (adopted, a credential
	// issued from the copy); A's issuer found the review helpful and
	// reported it. Then charlie took the template out of the catalogue: a
	// review of a listed template is public (anyone votes on it or reports
	// it, TestMarketplaceReviews), this one is reachable by A alone.
	charlie := org(t, db, "charlie")
	cm := market{t: t, db: db, ctx: ctx}
	ctpl := cm.template(charlie, tplSpec{name: "Charlie certificate", description: "Charlie's", kind: store.TemplateCertificate, labels: []string{"Hours"}})
	cm.publish(charlie, ctpl, cm.category("Isolation", nil), "A certificate")
	cp, err := sa.AdoptTemplate(ctx, ctpl.ID, act)
	must(err)
	must(store.Gorm(db).Create(&store.Credential{PublicID: uuid.NewString(), SchemaID: cp.SchemaID, TemplateID: &cp.ID, IssuerID: a.ID,
		RecipientAddress: "erin@example.com", Status: store.CredentialActive}).Error)
	rv, err := sa.CreateTemplateReview(ctx, ctpl.ID, store.ReviewInput{Rating: 4, Text: "Good"}, act)
	must(err)
	_, err = sa.VoteHelpful(ctx, rv.ID, actorOf(issuer))
	must(err)
	must(sa.ReportReview(ctx, rv.ID, store.Report{Reason: store.ReportSpam}, actorOf(issuer)))
	must(db.Scoped(charlie.ID).UnpublishTemplate(ctx, ctpl.ID, store.Actor{}))
	// A revocation of c1 waiting for a second person (four eyes).
	scr, err := sa.RequestStatusChange(ctx, c1.ID, store.ActionRevoke, "Issued in error", store.ViaWeb, actorOf(issuer))
	must(err)
	field, err := sa.CreateCustomField(ctx, store.CustomFieldChange{Name: "student_number", Label: "Student number", Type: store.FieldText}, act)
	must(err)
	// A new schema waiting for a two-step schema_creation workflow,
	// approved at its first step.
	_, err = sa.CreateApprovalWorkflow(ctx, store.WorkflowChange{Name: "Alpha schemas", Type: store.WorkflowSchemaCreation,
		Steps: []store.WorkflowStep{{ApproverRoles: []store.Role{store.RoleReviewer}, RequiredApprovals: 1},
			{ApproverRoles: []store.Role{store.RoleAdmin}, RequiredApprovals: 1}}, Active: true}, act)
	must(err)
	waiting, err := sa.CreateSchema(ctx, schemaChange("Waiting", "1", "waiting"), actorOf(issuer))
	must(err)
	sreq, err := sa.ResourceApprovalFor(ctx, store.KindSchema, waiting.ID)
	must(err)
	_, err = sa.DecideResourceApproval(ctx, store.Decision{RequestID: sreq.ID, ApproverID: reviewer.ID, Approve: true}, actorOf(reviewer))
	must(err)
	f := &isoFixture{a: a, b: b, schemaName: cs.Name, memberEmail: issuer.Email, tpl: tpl, batch: batch, rowID: rows[0].ID,
		statusListID: *c1.StatusListID, signingKeyID: sk.ID, freeIndex: store.StatusListSize - 1}
	f.ids = []string{a.ID, admin.ID, issuer.ID, invited.ID, key.ID, cs.ID, tpl.ID, sk.ID, c1.ID, c2.ID, c1.PublicID,
		*c1.StatusListID, *c1.SuspensionListID, batch.ID, rows[0].ID, rows[2].ID, cat.ID, hook.ID, attempt.ID,
		rule.ID, flow.ID, policy.ID, deleg.ID, brand.ID, field.ID,
		reviewer.ID, pending.ID, areq.ID, cp.ID, cp.SchemaID, rv.ID, scr.ID, underFlow.ID, flowReq.ID, waiting.ID, sreq.ID}
	f.pendingID, f.requestID, f.reviewerID = pending.ID, areq.ID, reviewer.ID

	// B's own schema and template, for the calls that mix B's ids with A's.
	sb := db.Scoped(b.ID)
	bcs, err := sb.CreateSchema(ctx, schemaChange("Badge", "1", "badge"), store.Actor{})
	must(err)
	btpl, err := sb.CreateTemplate(ctx, templateChange(bcs.ID, "Bravo badge"), store.Actor{})
	must(err)
	f.bSchemaID, f.bTplID = bcs.ID, btpl.ID
	f.bActor = actorOf(member(t, db, b, "bo@bravo.example", "Bo Bravo", store.RoleAdmin))
	return f
}

// tenantTables are A's rows by table: what no call through B's handle may
// change.
var tenantTables = []struct{ table, where string }{
	{"organizations", "id = ?"},
	{"users", "organization_id = ?"},
	{"user_tokens", "organization_id = ?"},
	{"notifications", "user_id IN (SELECT id FROM users WHERE organization_id = ?)"},
	{"api_keys", "organization_id = ?"},
	{"audit_logs", "organization_id = ?"},
	{"credential_schemas", "organization_id = ?"},
	{"credential_templates", "organization_id = ?"},
	{"credentials", "issuer_id = ?"},
	{"credential_status_changes", "organization_id = ?"},
	{"issuance_batches", "organization_id = ?"},
	{"issuance_batch_rows", "batch_id IN (SELECT id FROM issuance_batches WHERE organization_id = ?)"},
	{"issuer_categories", "issuer_id = ?"},
	{"signing_keys", "organization_id = ?"},
	{"status_lists", "organization_id = ?"},
	{"verification_logs", "organization_id = ?"},
	{"webhooks", "organization_id = ?"},
	{"organization_branding", "organization_id = ?"},
	{"custom_domains", "organization_id = ?"},
	{"custom_fields", "organization_id = ?"},
	{"approval_requests", "organization_id = ?"},
	{"credential_approvals", "organization_id = ?"},
	{"webhook_deliveries", "webhook_id IN (SELECT id FROM webhooks WHERE organization_id = ?)"},
	{"multisig_requirements", "schema_id IN (SELECT id FROM credential_schemas WHERE organization_id = ?)"},
	{"approval_workflows", "organization_id = ?"},
	{"workflow_instances", "workflow_id IN (SELECT id FROM approval_workflows WHERE organization_id = ?)"},
	{"approval_policies", "organization_id = ?"},
	{"approval_delegations", "organization_id = ?"},
	{"template_reviews", "organization_id = ?"},
	{"template_review_votes", "organization_id = ?"},
	{"marketplace_reports", "organization_id = ?"},
	{"status_change_requests", "organization_id = ?"},
	{"brand_assets", "organization_id = ?"},
	{"resource_approval_requests", "organization_id = ?"},
	{"resource_approval_decisions", "organization_id = ?"},
}

// snapshot is, per tenant table, the number of A's rows and a digest of
// every column of them (updated_at, status, counters, bitstrings…).
func snapshot(t *testing.T, db *store.DB, orgID string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tt := range tenantTables {
		var rows []map[string]any
		if err := store.Gorm(db).Table(tt.table).Where(tt.where, orgID).Order("id").Find(&rows).Error; err != nil {
			t.Fatalf("%s: %v", tt.table, err)
		}
		if len(rows) == 0 {
			t.Fatalf("the fixture has no %s row for A: the snapshot would prove nothing", tt.table)
		}
		out[tt.table] = fmt.Sprintf("%d rows, %x", len(rows), sha256.Sum256([]byte(fmt.Sprint(rows))))
	}
	return out
}

// isolationExpect is what a call through B's handle with A's ids must give.
type isolationExpect int

const (
	// notFound: the method takes an id of one object: ErrNotFound.
	notFound isolationExpect = iota
	// empty: a list narrowed by A's ids (or a list of B's own things): no
	// error, as a filter that matches nothing is an empty page and not a
	// 404, and nothing of A in the result.
	empty
	// own: the method works on B's own organization (creates, settings):
	// it may succeed or refuse, but the result has nothing of A.
	own
	// refused: the method gets one of A's ids in a form field (a
	// template's schema): ErrNotFound for the object itself, or a field
	// error on the foreign id's field, as the form shows it.
	refused
)

// isolation names the expectation of every exported method of *Scoped.
// A new method fails TestScopedIsolation until it is added here.
var isolation = map[string]isolationExpect{
	"APIKey": notFound, "RevokeAPIKey": notFound, "IssuableTemplate": notFound, "CreateBatch": notFound,
	"Batch": notFound, "BatchRows": notFound, "PendingBatchRows": notFound, "RemapBatch": notFound,
	"QueueBatch": notFound, "StartBatch": notFound, "FailBatchRow": notFound, "CompleteBatch": notFound,
	"CancelBatch": notFound, "QueueBatchZip": notFound, "StartBatchZip": notFound, "IssuedBatchRows": notFound,
	"BatchZipProgress": notFound, "FinishBatchZip": notFound, "FailBatchZip": notFound, "CredentialVerificationCount": notFound, "ReserveCredentialStatus": notFound,
	"StoreIssuedCredential":  notFound,
	"ChangeCredentialStatus": notFound, "Credential": notFound, "CredentialByPublicID": notFound,
	"Member": notFound, "ChangeMemberRole": notFound, "DeactivateMember": notFound, "ReactivateMember": notFound,
	"ResendInvitation": notFound, "RemoveIssuerCategory": notFound, "Schema": notFound, "SchemaInUse": notFound,
	"UpdateSchema": notFound, "NewSchemaVersion": notFound, "SetSchemaActive": notFound, "InTx": notFound,
	"SigningKey": notFound, "Template": notFound, "CreateTemplate": refused, "UpdateTemplate": refused,
	"SetTemplateActive": notFound, "Listing": notFound, "PublishTemplate": notFound, "UnpublishTemplate": notFound,
	"AdoptTemplate": notFound, "Adoption": notFound, "TemplateUpdate": notFound, "CustomField": notFound, "UpdateCustomField": notFound, "DeleteCustomField": notFound,
	"CustomFields": empty, "CreateCustomField": own, "AdoptionSource": notFound, "ApplyTemplateUpdate": notFound, "Category": notFound,
	"DesignDocument": notFound, "DesignRow": notFound, "SaveDesign": notFound, "Designs": empty,
	"Webhook": notFound, "UpdateWebhook": notFound, "RotateWebhookSecret": notFound, "DeleteWebhook": notFound,
	"RecordWebhookAttempt": notFound, "MarkWebhookWarned": notFound, "DisableWebhook": notFound,
	"WebhookDeliveries": notFound, "WebhookDelivery": notFound, "FailedDeliveriesSince": notFound,
	"ApprovalRequest": notFound, "ApprovalRequestFor": notFound, "EligibleApprovers": notFound, "ApprovalTally": notFound, "DecideApproval": notFound,
	"ApprovalSteps": notFound, "StandingInFor": empty,
	"RemindApprovers": notFound, "EscalateApproval": notFound, "ExpireApproval": notFound,
	"EditPendingCredential": notFound, "ActivatePendingCredential": notFound, "StorePendingCredential": notFound,
	"OpenBatchApproval": notFound, "ViewBatchSample": notFound, "BatchApprovalOf": notFound, "BatchRowOf": notFound,
	"ActivateBatchCredentials": notFound, "StoreParkedCredentials": notFound, "BatchSample": empty, "PendingBatchCredentials": empty, "MemberApproval": notFound,
	"ApprovalDecisions": empty, "ApprovalRequirements": empty, "ApprovalInbox": empty, "PendingApprovals": own,
	"Requirement": notFound, "UpdateRequirement": notFound, "SetRequirementActive": notFound, "DeleteRequirement": notFound,
	"ApprovalWorkflow": notFound, "UpdateApprovalWorkflow": notFound, "SetApprovalWorkflowActive": notFound,
	"DeleteApprovalWorkflow": notFound, "IssuanceWorkflow": notFound, "CreateDelegation": notFound, "DeleteDelegation": notFound,
	"ApproversLost": notFound, "CreateRequirement": refused, "CreateApprovalWorkflow": refused,
	"Requirements": empty, "ApprovalWorkflows": empty, "Approvers": empty, "Delegations": empty, "ActiveDelegate": empty,
	"ApprovalPolicy": own, "SaveApprovalPolicy": own,
	// B's own custom domain: B's handle never reaches A's (the fixture's
	// certs.alpha.example stays claimed, unchanged, by A).
	"CustomDomain": own, "ClaimCustomDomain": own, "RecordCustomDomainCheck": own, "RemoveCustomDomain": own,
	"SetCustomDomainCertificate": own, "RemoveCustomDomainCertificate": own, "WarnCertificateExpiry": own, "SetDomainIssuerDID": own, "CredentialsIssuedAs": empty,
	"NotifyMembers": empty, "NotifyAdmins": own, "ClaimVerifiedEvent": notFound,
	// Reviews: B, with a member acting, reaches none of A's.
	"ReviewEligibility": notFound, "ListedTemplate": notFound, "TemplateReviewBy": empty, "CreateTemplateReview": notFound, "UpdateTemplateReview": notFound,
	"VoteHelpful": notFound, "VotedHelpful": empty, "ReportReview": notFound, "ReportTemplate": notFound,
	"RequestStatusChange": notFound, "StatusChangeRequest": notFound, "DecideStatusChange": notFound, "StatusChangeRequests": empty,
	"WaitingStatusChange": empty, "WithdrawStatusChange": notFound,
	"DecideResourceApproval": notFound, "ResourceApprovalRequest": notFound, "ResourceApprovalFor": notFound, "ResourceApprovalSteps": notFound,
	"ResourceApprovalDecisions": empty, "ResourceInbox": empty, "ResourceWorkflow": own,
	"RemindResourceApprovers": notFound, "EscalateResourceApproval": notFound, "ExpireResourceApproval": notFound,

	"APIKeys": empty, "AuditLogs": empty, "IssuableTemplates": empty, "Batches": empty, "APICredentials": empty,
	"Credentials": empty, "CredentialsByID": empty, "CredentialFilterChoices": empty, "CredentialStatusHistory": empty, "Members": empty,
	"IssuerCategories": empty, "Schemas": empty, "SchemaVersions": empty, "SigningKeys": empty,
	"Templates": empty, "AvailableUpdates": empty, "Verifications": empty, "Webhooks": empty, "DeliveringWebhooks": empty,

	"APISchema": own, "CreateAPIKey": own, "ReserveCredentialStatuses": own, "StoreIssuedCredentials": notFound,
	"MemberCounts": own, "Dashboard": own, "InviteMember": own, "UpdateProfile": own, "MarkDomainVerified": own, "SetLogo": own,
	"AddIssuerCategory": own, "CreateSchema": own, "OrganizationID": own, "Organization": own,
	"Branding": own, "SaveBrandingLook": own, "RevertBrandingLook": own, "SetFavicon": own,
	// The image library: B's handle never reads, deletes or reuses A's images
	// (by A's image's name: explicitArgs).
	"BrandAssets": empty, "BrandAsset": notFound, "DeleteBrandAsset": notFound, "AddBrandAsset": own, "AssetCSSOptions": own,
	"SetRequireMFA": own, "CreateWebhook": own, "ActiveSigningKey": own, "AddSigningKey": own, "SetDIDMethod": own, "SQLTx": own,
}

// explicitArgs builds the argument lists of the methods whose parameters
// automaticArgs cannot fill (functions, pointers, slices, enumerations) or
// that need particular values.
func explicitArgs(ctx context.Context, f *isoFixture) map[string][][]any {
	var act store.Actor
	perID := func(build func(id string) []any) [][]any {
		var calls [][]any
		for _, id := range f.ids {
			calls = append(calls, build(id))
		}
		return calls
	}
	cred := func() *store.Credential {
		return &store.Credential{PublicID: uuid.NewString(), SchemaID: f.tpl.SchemaID, TemplateID: &f.tpl.ID, RecipientAddress: "eve@example.com"}
	}
	var statusChanges [][]any
	for _, action := range []store.StatusAction{store.ActionRevoke, store.ActionSuspend, store.ActionUnsuspend} {
		statusChanges = append(statusChanges, perID(func(id string) []any {
			return []any{ctx, id, action, "a reason", store.ViaWeb, act}
		})...)
	}
	review := store.ReviewInput{Rating: 1, Text: "Bravo was here"}
	report := store.Report{Reason: store.ReportSpam}
	return map[string][][]any{
		"CreateTemplateReview": perID(func(id string) []any { return []any{ctx, id, review, f.bActor} }),
		"UpdateTemplateReview": perID(func(id string) []any { return []any{ctx, id, review, f.bActor} }),
		"VoteHelpful":          perID(func(id string) []any { return []any{ctx, id, f.bActor} }),
		"VotedHelpful":         perID(func(id string) []any { return []any{ctx, id, f.ids} }),
		"ReportReview":         perID(func(id string) []any { return []any{ctx, id, report, f.bActor} }),
		"ReportTemplate":       perID(func(id string) []any { return []any{ctx, id, report, f.bActor} }),
		"ApproversLost":        perID(func(id string) []any { return []any{ctx, id, store.RoleVerifier} }),
		// B's own policy, whatever ids the value carries.
		"SaveApprovalPolicy": perID(func(id string) []any {
			return []any{ctx, store.ApprovalPolicy{ID: id, OrganizationID: f.a.ID, FourEyesSuspension: true, StepUp: store.StepUpPassword}, act}
		}),
		"BrandAsset":       {{ctx, "alpha-paper"}},
		"DeleteBrandAsset": {{ctx, "alpha-paper", act}},
		// B's own image of a name A uses: B's, A's row unchanged.
		"AddBrandAsset": {{ctx, &store.BrandAsset{Name: "alpha-seal", ContentType: "image/png", SHA256: strings.Repeat("cd", 32),
			Size: 100, Width: 10, Height: 10}, func() error { return nil }, act}},
		"SaveDesign":   perID(func(id string) []any { return []any{ctx, id, "Taken over", []byte(`{"version":1}`), act} }),
		"CreateAPIKey": {{ctx, &store.APIKey{Name: "bravo key", KeyHash: "bravo-hash", Prefix: "tc_bravo"}, act}},
		"CreateBatch": {{ctx, &store.IssuanceBatch{TemplateID: &f.tpl.ID},
			[]store.IssuanceBatchRow{{RowNumber: 1, DataEncrypted: []byte("sealed")}}, act}},
		"RemapBatch": perID(func(id string) []any {
			return []any{ctx, id, map[string]string{"email": "email"}, []store.RowCheck{{ID: f.rowID}}, act}
		}),
		"QueueBatch":   perID(func(id string) []any { return []any{ctx, id, true, act} }),
		"FailBatchRow": {{ctx, f.batch.ID, f.rowID, "a reason"}},
		"FinishBatchZip": perID(func(id string) []any {
			return []any{ctx, id, "orgs/bravo/certificates.zip", "fingerprint", 1, store.ZipErrors{{Row: 1, Reason: "r"}}}
		}),
		"CompleteBatch": perID(func(id string) []any {
			return []any{ctx, id, func(*store.Scoped, *store.IssuanceBatch) error { return nil }}
		}),
		"APICredentials":          {{ctx, store.CredentialStatus(""), "", store.MaxAPIPage}, {ctx, store.CredentialSuspended, "", store.MaxAPIPage}},
		"ReserveCredentialStatus": {{ctx, f.b.DID, f.rowID}}, // A's batch row
		"StoreIssuedCredential": {
			{ctx, store.Issue{IssuerDID: f.a.DID, Via: store.ViaSystem, BatchRowID: f.rowID}, cred(), act},
			// B's own issuance of a credential signed as A's schema and template.
			{ctx, store.Issue{IssuerDID: f.b.DID, Via: store.ViaWeb}, cred(), act},
		},
		"ChangeCredentialStatus": statusChanges,
		"RequestStatusChange": append(perID(func(id string) []any {
			return []any{ctx, id, store.ActionRevoke, "a reason", store.ViaWeb, act}
		}), perID(func(id string) []any { return []any{ctx, id, store.ActionSuspend, "", store.ViaAPI, act} })...),
		"DecideStatusChange": append(perID(func(id string) []any { return []any{ctx, id, f.reviewerID, true, "", act} }),
			perID(func(id string) []any { return []any{ctx, id, f.reviewerID, false, "no", act} })...),
		"WithdrawStatusChange":      perID(func(id string) []any { return []any{ctx, id, f.reviewerID, act} }),
		"ReserveCredentialStatuses": {{ctx, f.b.DID, 2}},
		"CredentialsByID":           {{ctx, f.ids}},
		// A's batch row; credentials of B that would point at A's schema,
		// template, status list or signing key.
		"StoreIssuedCredentials": {
			{ctx, []store.Issue{{IssuerDID: f.b.DID, Via: store.ViaSystem, BatchRowID: f.rowID}}, []*store.Credential{cred()}, act},
			{ctx, []store.Issue{{IssuerDID: f.b.DID, Via: store.ViaWeb}}, []*store.Credential{cred()}, act},
			{ctx, []store.Issue{{IssuerDID: f.b.DID, Via: store.ViaWeb, Revocation: store.StatusEntry{ListID: f.statusListID, Index: f.freeIndex}}},
				[]*store.Credential{{PublicID: uuid.NewString(), SchemaID: f.bSchemaID, RecipientAddress: "dan@example.com"}}, act},
			{ctx, []store.Issue{{IssuerDID: f.b.DID, Via: store.ViaWeb}}, []*store.Credential{{PublicID: uuid.NewString(), SchemaID: f.bSchemaID,
				SigningKeyID: &f.signingKeyID, RecipientAddress: "dan@example.com"}}, act},
		},
		"DeliveringWebhooks": {{ctx, store.WebhookEvent("credential.issued")}},
		"ApprovalInbox":      {{ctx, store.InboxFilter{}, store.InboxPage{}}, {ctx, store.InboxFilter{SchemaID: f.tpl.SchemaID}, store.InboxPage{}}},
		"PendingApprovals":   {{ctx, f.reviewerID, store.RoleReviewer}},
		"DecideResourceApproval": append(perID(func(id string) []any {
			return []any{ctx, store.Decision{RequestID: id, ApproverID: f.reviewerID, Approve: true}, act}
		}), perID(func(id string) []any {
			return []any{ctx, store.Decision{RequestID: id, ApproverID: f.reviewerID, Note: "no"}, act}
		})...),
		"ResourceApprovalFor": perID(func(id string) []any { return []any{ctx, store.KindSchema, id} }),
		"ResourceInbox":       {{ctx, store.ApprovalKind(""), store.InboxPage{}}, {ctx, store.KindSchema, store.InboxPage{}}},
		"ResourceWorkflow":    {{ctx, store.KindSchema}},
		"DecideApproval": append(perID(func(id string) []any {
			return []any{ctx, store.Decision{RequestID: id, ApproverID: f.reviewerID, Approve: true}, act}
		}), perID(func(id string) []any {
			return []any{ctx, store.Decision{RequestID: id, ApproverID: f.reviewerID, Note: "no"}, act}
		})...),
		"EditPendingCredential": perID(func(id string) []any { return []any{ctx, id, secret.Sealed("edited"), "hash", act} }),
		"ActivatePendingCredential": perID(func(id string) []any {
			return []any{ctx, store.Issue{IssuerDID: f.b.DID, Via: store.ViaSystem}, &store.Credential{ID: id, SchemaID: f.bSchemaID}, act}
		}),
		// B's pending credential of A's schema and template.
		"StorePendingCredential": {{ctx, store.Pending{Via: store.ViaWeb}, cred(), act}},
		// A's member, as if B's request named them.
		"MemberApproval": perID(func(id string) []any {
			return []any{ctx, &store.ResourceApprovalRequest{ResourceType: store.KindUser, ResourceID: id}}
		}),
		// A's batch, through B's handle: nothing of it is read or changed.
		"OpenBatchApproval":        perID(func(id string) []any { return []any{ctx, id, (*string)(nil), act} }),
		"BatchSample":              {{ctx, &store.ApprovalRequest{BatchID: &f.batch.ID, SampleRows: []int{1}}}},
		"PendingBatchCredentials":  {{ctx, &store.ApprovalRequest{BatchID: &f.batch.ID}, 10}},
		"ActivateBatchCredentials": perID(func(id string) []any { return []any{ctx, id, []store.Issue{}, []*store.Credential{}, act} }),
		// A's batch row, and a credential of B that would point at A's schema and template.
		"StoreParkedCredentials": {{ctx, []store.Issue{{IssuerDID: f.b.DID, Via: store.ViaSystem, BatchRowID: f.rowID}}, []*store.Credential{cred()}, act}},
		"CreateWebhook": {{ctx, &store.Webhook{Name: "Bravo hook", URL: "https://bravo.example/hook", SecretKey: []byte("sealed"), Active: true,
			Events: datatypes.NewJSONSlice([]store.WebhookEvent{"credential.issued"})}, act}},
		"RotateWebhookSecret": perID(func(id string) []any {
			return []any{ctx, id, secret.Sealed("next"), secret.Sealed("previous"), time.Now(), act}
		}),
		"NotifyMembers": perID(func(id string) []any {
			return []any{ctx, []string{id}, store.Notification{Type: store.NotifySystemAlert, Title: "t", Message: "m"}}
		}),
		"ClaimVerifiedEvent": perID(func(id string) []any { return []any{ctx, id, time.Now(), time.Minute} }),
		"NotifyAdmins":       {{ctx, store.Notification{Type: store.NotifySystemAlert, Title: "t", Message: "m"}}},
		"RecordWebhookAttempt": perID(func(id string) []any {
			return []any{ctx, &store.WebhookDelivery{WebhookID: id, EventType: "credential.issued", EventID: "evt_bravo", Attempt: 1,
				Cause: store.CauseTest, CreatedAt: time.Now()}}
		}),
		"ChangeMemberRole": perID(func(id string) []any { return []any{ctx, id, store.RoleAdmin, act} }),
		"InviteMember": {
			{ctx, "newcomer@bravo.example", store.RoleIssuer, link("bravo-invite", time.Hour), act},
			{ctx, f.memberEmail, store.RoleAdmin, link("bravo-steal", time.Hour), act}, // A's member's address
		},
		"ResendInvitation": perID(func(id string) []any { return []any{ctx, id, link("bravo-resend", time.Hour), act} }),
		"UpdateProfile":    {{ctx, store.OrganizationProfile{Name: f.a.Name, Slug: f.a.Slug, DID: f.a.DID, Type: f.a.Type}, act}},
		"SchemaVersions":   {{ctx, f.schemaName}},
		"CreateSchema":     {{ctx, schemaChange(f.schemaName, "1", "degree"), act}},
		"UpdateSchema":     perID(func(id string) []any { return []any{ctx, id, schemaChange("Degree", "9", "degree"), act} }),
		"NewSchemaVersion": perID(func(id string) []any {
			return []any{ctx, id, schemaChange(f.schemaName, "", "degree"), act}
		}),
		"InTx": perID(func(id string) []any {
			return []any{ctx, func(tx *store.Scoped) error { _, err := tx.Schema(ctx, id); return err }}
		}),
		"AddSigningKey": {{ctx, &store.SigningKey{KeyID: "z6MkBravo", PublicKeyMultibase: "z6MkBravo",
			PrivateKeyEncrypted: []byte("sealed")}, "did:key:z6MkBravo", true, act}},
		"SetDIDMethod":   {{ctx, store.DIDWeb, f.b.DID, act}},
		"CreateTemplate": {{ctx, templateChange(f.tpl.SchemaID, "Stolen schema"), act}},
		"UpdateTemplate": append(perID(func(id string) []any {
			return []any{ctx, id, templateChange(f.bSchemaID, "Renamed"), act}
		}), []any{ctx, f.bTplID, templateChange(f.tpl.SchemaID, "Stolen schema"), act}),
	}
}

var (
	ctxType   = reflect.TypeFor[context.Context]()
	actorType = reflect.TypeFor[store.Actor]()
	timeType  = reflect.TypeFor[time.Time]()
)

// automaticArgs builds a method's argument lists from its parameter types:
// a context, plain strings, bools, ints, times, Actor, and structs whose
// string fields named …ID take the id. For a method that takes an id, one
// list per A id; for own methods, a value of B's instead. ok is false if a
// parameter has another type.
func automaticArgs(ctx context.Context, mt reflect.Type, f *isoFixture, exp isolationExpect) (calls [][]reflect.Value, ok bool) {
	values := f.ids
	if exp == own {
		values = []string{"bravo-own"}
	}
	takesID := false
	build := func(id string) ([]reflect.Value, bool) {
		var args []reflect.Value
		for i := 1; i < mt.NumIn(); i++ { // In(0) is the receiver
			p := mt.In(i)
			switch {
			case p == ctxType:
				args = append(args, reflect.ValueOf(ctx))
			case p == actorType:
				args = append(args, reflect.ValueOf(store.Actor{}))
			case p == timeType:
				args = append(args, reflect.ValueOf(time.Now().UTC()))
			case p == reflect.TypeFor[string]():
				takesID = true
				args = append(args, reflect.ValueOf(id))
			case p == reflect.TypeFor[bool]():
				args = append(args, reflect.ValueOf(true))
			case p == reflect.TypeFor[int]():
				args = append(args, reflect.ValueOf(10))
			case p.Kind() == reflect.Struct && p.PkgPath() == reflect.TypeFor[store.Actor]().PkgPath():
				v := reflect.New(p).Elem()
				for j := 0; j < p.NumField(); j++ {
					if fl := p.Field(j); fl.IsExported() && fl.Type.Kind() == reflect.String && strings.HasSuffix(fl.Name, "ID") {
						takesID = true
						v.Field(j).SetString(id)
					}
				}
				args = append(args, v)
			default:
				return nil, false
			}
		}
		return args, true
	}
	for _, id := range values {
		args, ok := build(id)
		if !ok {
			return nil, false
		}
		calls = append(calls, args)
		if !takesID {
			break // one call is enough
		}
	}
	return calls, true
}

// TestScopedIsolation calls every exported method of *Scoped through
// organization B's handle with organization A's ids: an id-taking method
// is ErrNotFound, a list has nothing of A, and none of A's rows changes.
func TestScopedIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := isolationFixture(t, db)
		before := snapshot(t, db, f.a.ID)
		explicit := explicitArgs(ctx, f)
		handle := reflect.ValueOf(db.Scoped(f.b.ID))
		typ := handle.Type()
		errType := reflect.TypeFor[error]()
		seen := map[string]bool{}
		for i := range typ.NumMethod() {
			m := typ.Method(i)
			seen[m.Name] = true
			exp, ok := isolation[m.Name]
			if !ok {
				t.Errorf("Scoped.%s has no entry in isolation: say what another organization's ids must give", m.Name)
				continue
			}
			var calls [][]reflect.Value
			if lists, ok := explicit[m.Name]; ok {
				for _, l := range lists {
					args := make([]reflect.Value, len(l))
					for j, a := range l {
						args[j] = reflect.ValueOf(a)
					}
					calls = append(calls, args)
				}
			} else if calls, ok = automaticArgs(ctx, m.Type, f, exp); !ok {
				t.Errorf("Scoped.%s: its parameters cannot be built automatically; add it to explicitArgs", m.Name)
				continue
			}
			for _, args := range calls {
				out := handle.Method(i).Call(args)
				var err error
				if n := len(out); n > 0 && out[n-1].Type() == errType {
					if !out[n-1].IsNil() {
						err = out[n-1].Interface().(error)
					}
					out = out[:n-1]
				}
				what := fmt.Sprintf("Scoped.%s%v", m.Name, describe(args))
				switch {
				case exp == notFound && !errors.Is(err, store.ErrNotFound):
					t.Errorf("%s = %v, want ErrNotFound", what, err)
				case exp == empty && err != nil:
					t.Errorf("%s = %v, want an empty result", what, err)
				case exp == refused && !errors.Is(err, store.ErrNotFound) && fieldError(err, "schema_id") == "":
					t.Errorf("%s = %v, want ErrNotFound or a field error on schema_id", what, err)
				}
				if err == nil {
					if id := mentions(out, f.ids); id != "" {
						t.Errorf("%s returned A's %s", what, id)
					}
				}
			}
		}
		for name := range isolation {
			if !seen[name] {
				t.Errorf("isolation names %s, which *Scoped does not have", name)
			}
		}
		after := snapshot(t, db, f.a.ID)
		for table, want := range before {
			if after[table] != want {
				t.Errorf("A's %s changed: %s, then %s", table, want, after[table])
			}
		}
	})
}

// mentions is the first of ids found in the results' JSON (or their
// printed form), "" for none.
func mentions(out []reflect.Value, ids []string) string {
	var b strings.Builder
	for _, v := range out {
		j, err := json.Marshal(v.Interface())
		if err != nil {
			j = fmt.Appendf(nil, "%+v", v.Interface())
		}
		b.Write(j)
	}
	for _, id := range ids {
		if strings.Contains(b.String(), id) {
			return id
		}
	}
	return ""
}

// describe prints the arguments but the context and functions, as JSON
// where it can, for failure messages.
func describe(args []reflect.Value) []string {
	var out []string
	for _, a := range args {
		if a.Type().Implements(ctxType) || a.Kind() == reflect.Func {
			continue
		}
		j, err := json.Marshal(a.Interface())
		if err != nil {
			j = fmt.Appendf(nil, "%+v", a.Interface())
		}
		out = append(out, string(j))
	}
	return out
}
