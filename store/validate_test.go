package store_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm/schema"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// validModels returns, freshly built, one instance of every model that has validate
// tags, filled so that it passes.
func validModels() []any {
	return []any{
		&store.Organization{Name: "Example University", Slug: "example-uni", Type: store.OrganizationEducational,
			Domain: ptr("example.edu"), MetadataURI: ptr("https://example.edu/meta.json"), Status: store.OrganizationActive,
			Description: ptr("A university.\r\nFounded in 1900,\tin Example."), Website: ptr("https://example.edu"), ContactEmail: ptr("registrar@example.edu"),
			LogoKey: ptr("orgs/example-uni/logo"), StatusReason: ptr("documents checked"), DIDMethod: store.DIDWeb},
		&store.SigningKey{Status: store.KeyActive},
		&store.StatusList{Purpose: store.PurposeRevocation},
		&store.CredentialStatusChange{FromStatus: store.CredentialActive, ToStatus: store.CredentialRevoked, Via: store.ViaWeb},
		&store.IssuanceBatch{Status: store.BatchRunning},
		&store.IssuanceBatchRow{Status: store.RowIssued},
		&store.User{Email: "ada@example.edu", DID: ptr("did:key:z6MkExample"), Role: store.RoleIssuer},
		&store.CredentialSchema{Name: "Degree", Version: "1.0.0", SchemaURI: ptr("https://trustcred.test/schemas/degree-1"), ApprovalStatus: store.SchemaApproved},
		&store.Credential{RecipientAddress: "bob@example.com", MetadataURI: ptr("https://x.test/m"), Status: store.CredentialActive,
			RecipientName: ptr("Bob")},
		&store.VerificationLog{VerifierAddress: ptr("did:web:verifier.example"), VerificationMethod: store.VerifiedByQRCode},
		&store.IssuerCategory{Category: "higher-education"},
		&store.CredentialTemplate{Name: "BSc", Description: ptr("Bachelor")},
		&store.APIKey{Name: "CI", Permissions: datatypes.NewJSONSlice([]store.APIScope{store.ScopeCredentialsIssue, store.ScopeSchemasRead})},
		&store.Notification{Type: store.NotifyApprovalRequested, Title: "Approve", Message: "Please approve"},
		&store.NotificationPreference{NotificationType: store.NotifyCredentialIssued},
		&store.SMSDelivery{PhoneNumber: "+14155550123", Message: "hi", Status: store.SMSPending},
		&store.NotificationDelivery{Channel: store.ChannelSMS, Status: store.DeliveryDigest},
		&store.AuditLog{Action: "credential.issue", ResourceType: "credential"},
		&store.EnhancedAuditLog{Action: "login", ResourceType: "session", RiskScore: 100},
		&store.RetentionPolicy{DataType: store.RetainAuditLogs, RetentionPeriodDays: 365},
		&store.TemplateCategory{Name: "Degrees", Description: ptr("Academic degrees"), Icon: ptr("cap")},
		&store.TemplateReview{Rating: 5, ReviewText: ptr("Great")},
		&store.MarketplaceReport{Reason: store.ReportSpam, Details: "An advert"},
		&store.MarketplaceListing{Kind: store.TemplateBadge, Licence: store.LicenceCCBYSA, Name: "BSc", Summary: "A degree", Version: 1},
		&store.TemplateVersion{Version: 1},
		&store.TemplateAdoption{SourceVersion: 1, SourceName: "BSc", SourceIssuer: "Example University"},
		&store.MultisigRequirement{RequiredSignatures: 1, ApproverRoles: datatypes.NewJSONSlice([]store.Role{store.RoleReviewer})},
		&store.CredentialApproval{ApprovalStatus: store.ApprovalPending, ApprovalNotes: ptr("ok"), Round: 1, Step: 1, ApproverRole: ptr("reviewer")},
		&store.Webhook{Name: "CRM", URL: "https://crm.example.com/hook", RetryCount: 3,
			Events: datatypes.NewJSONSlice([]store.WebhookEvent{"credential.issued"})},
		&store.WebhookDelivery{EventType: "credential.issued", Cause: store.CauseEvent},
		&store.RealTimeAnalytics{MetricName: "verifications", MetricUnit: store.UnitCount},
		&store.AnalyticsModel{ModelName: "fraud", ModelType: store.ModelFraudDetection, ModelVersion: "1", AccuracyScore: ptr(0.0)},
		&store.ModelPrediction{ConfidenceScore: ptr(1.0)},
		&store.LDAPConfiguration{Name: "AD", ServerURL: "ldaps://ad.example.edu:636", BaseDN: "dc=example,dc=edu",
			BindDN: ptr("cn=svc,dc=example,dc=edu"), SyncIntervalMinutes: 60},
		&store.ERPIntegration{ERPType: store.ERPSAP, Name: "SAP", APIEndpoint: "https://sap.example.edu/api",
			WebhookURL: ptr("http://erp.example.edu/hook"), SyncDirection: store.SyncBidirectional},
		&store.OrganizationBranding{LogoURL: ptr("https://x.test/logo.png"), PrimaryColor: ptr("#1A2b3C"), SecondaryColor: nil,
			AccentColor: ptr("#ffffff"), CustomDomain: ptr("creds.example.edu")},
		&store.CustomCredentialTemplate{TemplateName: "Diploma A4", TemplateType: store.TemplateDiploma, PreviewImageURL: ptr("https://x.test/p.png")},
		&store.CustomField{FieldName: "gpa", FieldType: store.FieldSelect, FieldLabel: "GPA"},
		&store.ApprovalWorkflow{WorkflowName: "Two-step", WorkflowType: store.WorkflowCredentialIssuance, AutoApproveThreshold: 1,
			EscalationTimeoutHours: 24},
		&store.WorkflowInstance{ResourceType: "credential", Status: store.WorkflowInProgress},
		&store.ApprovalPolicy{StepUp: store.StepUpPassword},
		&store.CustomDomain{Domain: "certs.example.edu", Status: store.DomainVerified, LastError: ptr("No TXT record")},
		&store.BrandAsset{Name: "seal", ContentType: "image/jpeg", SHA256: strings.Repeat("0a", 32), Size: 1, Width: 1, Height: 1},
		&store.UserToken{Purpose: store.TokenPasswordReset},
		&store.ApprovalRequest{Status: store.RequestPending, Round: 1, CurrentStep: 1},
		&store.StatusChangeRequest{Action: store.ActionSuspend, Via: store.ViaAPI, Status: store.RequestPending},
		&store.ResourceApprovalRequest{ResourceType: store.KindSchema, Status: store.RequestPending, Round: 1, CurrentStep: 1},
		&store.ResourceApprovalDecision{Decision: store.DecisionApproved, Round: 1, Step: 1, ApproverRole: "reviewer"},
	}
}

// with returns the valid instance of T after mut has changed it.
func with[T any](mut func(*T)) any {
	for _, m := range validModels() {
		if p, ok := m.(*T); ok {
			mut(p)
			return p
		}
	}
	panic("no valid instance of " + reflect.TypeFor[T]().Name())
}

// hasTags reports whether a model has a validate tag that does something.
func hasTags(m any) bool {
	t := reflect.TypeOf(m).Elem()
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("validate"); tag != "" && tag != "-" {
			return true
		}
	}
	return false
}

// columns returns the column names of a model, as GORM names them.
func columns(t *testing.T, m any) []string {
	t.Helper()
	s, err := schema.Parse(m, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	return s.DBNames
}

func TestValidateAcceptsValidModels(t *testing.T) {
	valid := map[reflect.Type]bool{}
	for _, m := range validModels() {
		valid[reflect.TypeOf(m)] = true
		if err := store.Validate(m); err != nil {
			t.Errorf("%T: %v", m, err)
		}
	}
	for _, m := range allModels() {
		if hasTags(m) != valid[reflect.TypeOf(m)] {
			t.Errorf("%T: has validate tags = %v, has a valid instance = %v", m, hasTags(m), valid[reflect.TypeOf(m)])
		}
	}
}

func TestValidateRejects(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name  string
		model any
		field string // the one column named in the errors
		msg   string // the message, when checked
	}{
		{"organization name empty", with(func(o *store.Organization) { o.Name = "" }), "name", "is required"},
		{"organization name too long", with(func(o *store.Organization) { o.Name = long(201) }), "name", "must be at most 200 characters long"},
		{"slug with space", with(func(o *store.Organization) { o.Slug = "Bad Slug" }), "slug", ""},
		{"listing licence unknown", with(func(l *store.MarketplaceListing) { l.Licence = "GPL-3.0" }), "licence", ""},
		{"listing kind unknown", with(func(l *store.MarketplaceListing) { l.Kind = "poster" }), "kind", ""},
		{"listing summary empty", with(func(l *store.MarketplaceListing) { l.Summary = "" }), "summary", "is required"},
		{"adoption version zero", with(func(a *store.TemplateAdoption) { a.SourceVersion = 0 }), "source_version", ""},
		{"slug upper case", with(func(o *store.Organization) { o.Slug = "Example" }), "slug", ""},
		{"slug underscore", with(func(o *store.Organization) { o.Slug = "a_b" }), "slug", ""},
		{"slug leading dash", with(func(o *store.Organization) { o.Slug = "-a" }), "slug", ""},
		{"slug trailing dash", with(func(o *store.Organization) { o.Slug = "bad-" }), "slug", ""},
		{"slug double dash", with(func(o *store.Organization) { o.Slug = "a--b" }), "slug", ""},
		{"slug empty", with(func(o *store.Organization) { o.Slug = "" }), "slug", "is required"},
		{"slug too long", with(func(o *store.Organization) { o.Slug = long(64) }), "slug", ""},
		{"organization type", with(func(o *store.Organization) { o.Type = "bogus" }), "type",
			"must be one of: educational, professional, government, corporate, association"},
		{"organization status", with(func(o *store.Organization) { o.Status = "closed" }), "status", ""},
		{"organization status unset", with(func(o *store.Organization) { o.Status = "" }), "status", "is required"},
		{"organization domain", with(func(o *store.Organization) { o.Domain = ptr("not a domain") }), "domain", "must be a domain name, like example.edu"},
		{"organization metadata uri", with(func(o *store.Organization) { o.MetadataURI = ptr("nope") }), "metadata_uri", "must be a URL"},
		{"organization website scheme", with(func(o *store.Organization) { o.Website = ptr("ftp://example.edu") }), "website", "must be an http:// or https:// URL"},
		{"organization website blank", with(func(o *store.Organization) { o.Website = ptr("") }), "website", ""},
		{"organization contact email", with(func(o *store.Organization) { o.ContactEmail = ptr("registrar") }), "contact_email", "must be an email address"},
		{"organization description too long", with(func(o *store.Organization) { o.Description = ptr(long(2001)) }), "description", "must be at most 2000 characters long"},
		{"organization logo key", with(func(o *store.Organization) { o.LogoKey = ptr("../logo") }), "logo_key", ""},
		{"organization logo key blank", with(func(o *store.Organization) { o.LogoKey = ptr("") }), "logo_key", ""},
		{"organization status reason too long", with(func(o *store.Organization) { o.StatusReason = ptr(long(1001)) }), "status_reason", ""},
		// internal/text's rules, the same as the forms' and the API's.
		{"organization name with NUL", with(func(o *store.Organization) { o.Name = "Acme\x00" }), "name",
			"must be one line without control or invisible formatting characters"},
		{"organization name with an override", with(func(o *store.Organization) { o.Name = "Acme \u202Egnp.exe" }), "name", ""},
		{"organization name on two lines", with(func(o *store.Organization) { o.Name = "Acme\nUniversity" }), "name", ""},
		{"organization description with NUL", with(func(o *store.Organization) { o.Description = ptr("a\nb\x00") }), "description",
			"must be text without control characters"},
		{"status reason with an escape", with(func(o *store.Organization) { o.StatusReason = ptr("\x1b[2J") }), "status_reason", ""},
		{"recipient name with a zero-width space", with(func(c *store.Credential) { c.RecipientName = ptr("Ada\u200BLovelace") }), "recipient_name", ""},
		{"revocation reason with NUL", with(func(c *store.Credential) { c.RevocationReason = ptr("fraud\x00") }), "revocation_reason", ""},
		{"issuer category with an isolate", with(func(c *store.IssuerCategory) { c.Category = "Engi\u2067neering" }), "category", ""},
		{"template name with a byte order mark", with(func(c *store.CredentialTemplate) { c.Name = "\uFEFFDiploma" }), "name", ""},
		{"api key name with a tab", with(func(k *store.APIKey) { k.Name = "CI\tkey" }), "name", "must be one line of text without control characters"},
		{"email missing @", with(func(u *store.User) { u.Email = "ada" }), "email", "must be an email address"},
		{"email no domain", with(func(u *store.User) { u.Email = "ada@" }), "email", ""},
		{"email empty", with(func(u *store.User) { u.Email = "" }), "email", "is required"},
		{"user did empty", with(func(u *store.User) { u.DID = ptr("") }), "did", ""},
		{"user did scheme", with(func(u *store.User) { u.DID = ptr("web:example.com") }), "did", "must be a DID, like did:web:example.com"},
		{"user did no id", with(func(u *store.User) { u.DID = ptr("did:web:") }), "did", ""},
		{"user role", with(func(u *store.User) { u.Role = "owner" }), "role", ""},
		{"schema version", with(func(s *store.CredentialSchema) { s.Version = "" }), "version", "is required"},
		{"schema uri", with(func(s *store.CredentialSchema) { s.SchemaURI = ptr("/schemas/1") }), "schema_uri", ""},
		{"recipient address", with(func(c *store.Credential) { c.RecipientAddress = "bob" }), "recipient_address",
			"must be an email address or a DID"},
		{"credential status", with(func(c *store.Credential) { c.Status = "lost" }), "status", ""},
		{"revoked without revoked_at", with(func(c *store.Credential) { c.Status = store.CredentialRevoked }), "revoked_at",
			"is required when the status is revoked"},
		{"verification method", with(func(l *store.VerificationLog) { l.VerificationMethod = "fax" }), "verification_method", ""},
		{"verifier address", with(func(l *store.VerificationLog) { l.VerifierAddress = ptr("carol") }), "verifier_address", ""},
		{"issuer category", with(func(c *store.IssuerCategory) { c.Category = "" }), "category", ""},
		{"template name", with(func(c *store.CredentialTemplate) { c.Name = "" }), "name", ""},
		{"template description", with(func(c *store.CredentialTemplate) { c.Description = ptr(long(2001)) }), "description", ""},
		{"api key permission", with(func(k *store.APIKey) {
			k.Permissions = datatypes.NewJSONSlice([]store.APIScope{store.ScopeCredentialsRead, "admin"})
		}), "permissions", "may only contain: credentials:read, credentials:issue, credentials:revoke, webhooks:manage, " +
			"schemas:read, schemas:write, templates:read, templates:write"},
		{"api key name", with(func(k *store.APIKey) { k.Name = long(101) }), "name", ""},
		{"notification type", with(func(n *store.Notification) { n.Type = "spam" }), "type", ""},
		{"notification title", with(func(n *store.Notification) { n.Title = "" }), "title", ""},
		{"preference type", with(func(p *store.NotificationPreference) { p.NotificationType = "spam" }), "notification_type", ""},
		{"sms phone national", with(func(d *store.SMSDelivery) { d.PhoneNumber = "0612345678" }), "phone_number",
			"must be a phone number in international format, like +14155550123"},
		{"sms phone letters", with(func(d *store.SMSDelivery) { d.PhoneNumber = "+1415555O123" }), "phone_number", ""},
		{"sms phone leading zero", with(func(d *store.SMSDelivery) { d.PhoneNumber = "+0123" }), "phone_number", ""},
		{"sms phone 16 digits", with(func(d *store.SMSDelivery) { d.PhoneNumber = "+1234567890123456" }), "phone_number", ""},
		{"sms status", with(func(d *store.SMSDelivery) { d.Status = "lost" }), "status", ""},
		{"audit action", with(func(l *store.AuditLog) { l.Action = "" }), "action", ""},
		{"risk -1", with(func(l *store.EnhancedAuditLog) { l.RiskScore = -1 }), "risk_score", "must be at least 0"},
		{"risk 101", with(func(l *store.EnhancedAuditLog) { l.RiskScore = 101 }), "risk_score", "must be at most 100"},
		{"retention days 0", with(func(p *store.RetentionPolicy) { p.RetentionPeriodDays = 0 }), "retention_period_days", "must be at least 1"},
		{"retention days beyond INTEGER", with(func(p *store.RetentionPolicy) { p.RetentionPeriodDays = 3_000_000_000 }), "retention_period_days", ""},
		{"retention data type", with(func(p *store.RetentionPolicy) { p.DataType = "" }), "data_type", ""},
		{"category name", with(func(c *store.TemplateCategory) { c.Name = "" }), "name", ""},
		{"rating 0", with(func(r *store.TemplateReview) { r.Rating = 0 }), "rating", "must be at least 1"},
		{"rating 6", with(func(r *store.TemplateReview) { r.Rating = 6 }), "rating", "must be at most 5"},
		{"required signatures 0", with(func(r *store.MultisigRequirement) { r.RequiredSignatures = 0 }), "required_signatures", ""},
		{"approver role", with(func(r *store.MultisigRequirement) {
			r.ApproverRoles = datatypes.NewJSONSlice([]store.Role{"owner"})
		}), "approver_roles", ""},
		{"approval status", with(func(a *store.CredentialApproval) { a.ApprovalStatus = "maybe" }), "approval_status", ""},
		{"webhook url ftp", with(func(w *store.Webhook) { w.URL = "ftp://x" }), "url", "must be an http:// or https:// URL"},
		{"webhook url upper-case scheme", with(func(w *store.Webhook) { w.URL = "HTTPS://x.test" }), "url", ""},
		{"webhook url no host", with(func(w *store.Webhook) { w.URL = "https://" }), "url", ""},
		{"webhook event", with(func(w *store.Webhook) {
			w.Events = datatypes.NewJSONSlice([]store.WebhookEvent{"credential issued"})
		}), "events", ""},
		{"webhook retries", with(func(w *store.Webhook) { w.RetryCount = -1 }), "retry_count", ""},
		{"delivery event", with(func(d *store.WebhookDelivery) { d.EventType = "" }), "event_type", "is required"},
		{"metric unit", with(func(a *store.RealTimeAnalytics) { a.MetricUnit = "furlongs" }), "metric_unit", ""},
		{"model type", with(func(m *store.AnalyticsModel) { m.ModelType = "astrology" }), "model_type", ""},
		{"accuracy > 1", with(func(m *store.AnalyticsModel) { m.AccuracyScore = ptr(1.5) }), "accuracy_score", "must be at most 1"},
		{"accuracy < 0", with(func(m *store.AnalyticsModel) { m.AccuracyScore = ptr(-0.1) }), "accuracy_score", ""},
		{"confidence > 1", with(func(p *store.ModelPrediction) { p.ConfidenceScore = ptr(2.0) }), "confidence_score", ""},
		{"ldap url http", with(func(c *store.LDAPConfiguration) { c.ServerURL = "http://ad" }), "server_url", "must be an ldap:// or ldaps:// URL"},
		{"ldap url upper-case", with(func(c *store.LDAPConfiguration) { c.ServerURL = "LDAP://ad" }), "server_url", ""},
		{"ldap base dn", with(func(c *store.LDAPConfiguration) { c.BaseDN = "" }), "base_dn", ""},
		{"ldap interval", with(func(c *store.LDAPConfiguration) { c.SyncIntervalMinutes = 0 }), "sync_interval_minutes", ""},
		{"erp endpoint", with(func(i *store.ERPIntegration) { i.APIEndpoint = "ftp://x" }), "api_endpoint", ""},
		{"erp webhook url", with(func(i *store.ERPIntegration) { i.WebhookURL = ptr("nope") }), "webhook_url", ""},
		{"sync direction", with(func(i *store.ERPIntegration) { i.SyncDirection = "sideways" }), "sync_direction", ""},
		{"erp type", with(func(i *store.ERPIntegration) { i.ERPType = "" }), "erp_type", ""},
		{"colour name", with(func(b *store.OrganizationBranding) { b.PrimaryColor = ptr("red") }), "primary_color", "must be a colour like #1a2b3c"},
		{"colour short", with(func(b *store.OrganizationBranding) { b.AccentColor = ptr("#fff") }), "accent_color", ""},
		{"colour not hex", with(func(b *store.OrganizationBranding) { b.SecondaryColor = ptr("#12345g") }), "secondary_color", ""},
		{"colour with alpha", with(func(b *store.OrganizationBranding) { b.PrimaryColor = ptr("#12345678") }), "primary_color", ""},
		{"colour empty", with(func(b *store.OrganizationBranding) { b.PrimaryColor = ptr("") }), "primary_color", ""},
		{"custom domain", with(func(b *store.OrganizationBranding) { b.CustomDomain = ptr("https://creds.example.edu") }), "custom_domain", ""},
		{"favicon url blank", with(func(b *store.OrganizationBranding) { b.FaviconURL = ptr("") }), "favicon_url", ""},
		{"logo url script", with(func(b *store.OrganizationBranding) { b.LogoURL = ptr("javascript:alert(1)") }), "logo_url", ""},
		{"template type", with(func(c *store.CustomCredentialTemplate) { c.TemplateType = "poster" }), "template_type", ""},
		{"field type", with(func(f *store.CustomField) { f.FieldType = "color" }), "field_type", ""},
		{"field label", with(func(f *store.CustomField) { f.FieldLabel = "" }), "field_label", ""},
		{"workflow type", with(func(w *store.ApprovalWorkflow) { w.WorkflowType = "vacation" }), "workflow_type", ""},
		{"auto-approve threshold", with(func(w *store.ApprovalWorkflow) { w.AutoApproveThreshold = 0 }), "auto_approve_threshold", ""},
		{"escalation timeout", with(func(w *store.ApprovalWorkflow) { w.EscalationTimeoutHours = 0 }), "escalation_timeout_hours", ""},
		{"workflow status", with(func(i *store.WorkflowInstance) { i.Status = "paused" }), "status", ""},
		{"approval request status", with(func(r *store.ApprovalRequest) { r.Status = "maybe" }), "status", ""},
		{"approval request round", with(func(r *store.ApprovalRequest) { r.Round = 0 }), "round", ""},
		{"approval step", with(func(a *store.CredentialApproval) { a.Step = 0 }), "step", ""},
		{"workflow resource type", with(func(i *store.WorkflowInstance) { i.ResourceType = "" }), "resource_type", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := store.Validate(c.model)
			var fe store.FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("Validate = %v, want FieldErrors", err)
			}
			if len(fe) != 1 || fe[c.field] == "" {
				t.Fatalf("errors %v, want one for %s", fe, c.field)
			}
			if c.msg != "" && fe[c.field] != c.msg {
				t.Errorf("%s: %q, want %q", c.field, fe[c.field], c.msg)
			}
			if !slices.Contains(columns(t, c.model), c.field) {
				t.Errorf("%s is not a column of %T", c.field, c.model)
			}
			if !strings.Contains(err.Error(), c.field+" "+fe[c.field]) {
				t.Errorf("error text %q does not name %s", err, c.field)
			}
		})
	}
}

func TestValidateReportsEveryField(t *testing.T) {
	err := store.Validate(&store.Organization{Slug: "Bad Slug", Type: "bogus"})
	var fe store.FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("Validate = %v", err)
	}
	want := store.FieldErrors{
		"name":       "is required",
		"slug":       "must be lower-case letters and digits separated by single hyphens, like example-university",
		"type":       "must be one of: educational, professional, government, corporate, association",
		"status":     "is required",
		"did_method": "is required",
	}
	if !reflect.DeepEqual(fe, want) {
		t.Errorf("errors\n%v\nwant\n%v", fe, want)
	}
	if got := err.Error(); !strings.HasPrefix(got, "store: invalid Organization: did_method is required; name is required; slug must") {
		t.Errorf("error text %q", got)
	}
	// Not a struct: an error, but not FieldErrors.
	if err := store.Validate(nil); err == nil || errors.As(err, &fe) {
		t.Errorf("Validate(nil) = %v", err)
	}
	// Associations are not validated with the row.
	cred := with(func(c *store.Credential) { c.Issuer = &store.Organization{} })
	if err := store.Validate(cred); err != nil {
		t.Errorf("a credential with an invalid loaded issuer: %v", err)
	}
}

// enumConsts collects, from the store package's source, the string constants declared
// with each named type.
func enumConsts(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	out := map[string][]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				typ, ok := vs.Type.(*ast.Ident)
				if !ok {
					continue
				}
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						out[typ.Name] = append(out[typ.Name], s)
					}
				}
			}
		}
	}
	return out
}

type valider interface{ Valid() bool }

// enumField is a model field whose type, or whose elements' type, has a Valid method.
type enumField struct {
	index int
	typ   reflect.Type // the enum type
	list  bool         // a JSON list of enum values
}

func enumFields(m any) []enumField {
	var out []enumField
	t := reflect.TypeOf(m).Elem()
	for i := range t.NumField() {
		ft := t.Field(i).Type
		list := false
		if ft.Kind() == reflect.Slice {
			ft, list = ft.Elem(), true
		}
		if ft.Kind() == reflect.String && ft.Implements(reflect.TypeFor[valider]()) {
			out = append(out, enumField{i, ft, list})
		}
	}
	return out
}

func oneof(tag string) []string {
	for r := range strings.SplitSeq(tag, ",") {
		if v, ok := strings.CutPrefix(r, "oneof="); ok {
			return strings.Fields(v)
		}
	}
	return nil
}

// TestValidateEnumsAgreeWithValid: for every enum field (a type with a Valid method),
// each declared constant passes the tag exactly when Valid accepts it, every value the
// tag lists is Valid, and a bogus value fails both.
func TestValidateEnumsAgreeWithValid(t *testing.T) {
	consts := enumConsts(t)
	checked := 0
	for _, m := range allModels() {
		for _, f := range enumFields(m) {
			sf := reflect.TypeOf(m).Elem().Field(f.index)
			name := reflect.TypeOf(m).Elem().Name() + "." + sf.Name
			listed := oneof(sf.Tag.Get("validate"))
			if listed == nil {
				t.Errorf("%s (%s) has no oneof tag", name, f.typ.Name())
				continue
			}
			values := append(slices.Clone(consts[f.typ.Name()]), listed...)
			if len(consts[f.typ.Name()]) == 0 {
				t.Errorf("%s: no constants of %s found", name, f.typ.Name())
			}
			for _, v := range append(values, "bogus", "") {
				ev := reflect.ValueOf(v).Convert(f.typ)
				valid := ev.Interface().(valider).Valid()
				if slices.Contains(listed, v) && !valid {
					t.Errorf("%s: tag lists %q, which Valid refuses", name, v)
				}
				model := valueOf(t, m)
				field := reflect.ValueOf(model).Elem().Field(f.index)
				if f.list {
					s := reflect.MakeSlice(field.Type(), 1, 1)
					s.Index(0).Set(ev)
					field.Set(s)
				} else {
					field.Set(ev)
				}
				if c, ok := model.(*store.Credential); ok && v == string(store.CredentialRevoked) {
					c.RevokedAt = ptr(time.Now()) // the CHECK that revoked needs revoked_at
				}
				err := store.Validate(model)
				if valid && err != nil {
					t.Errorf("%s = %q: Valid accepts it, Validate says %v", name, v, err)
				}
				if !valid && err == nil {
					t.Errorf("%s = %q: Valid refuses it, Validate accepts it", name, v)
				}
				if v == "bogus" && valid {
					t.Errorf("%s: Valid accepts %q", name, v)
				}
			}
			checked++
		}
	}
	if checked < 20 {
		t.Errorf("only %d enum fields checked", checked)
	}
}

// valueOf returns a fresh valid instance of m's type.
func valueOf(t *testing.T, m any) any {
	t.Helper()
	for _, v := range validModels() {
		if reflect.TypeOf(v) == reflect.TypeOf(m) {
			return v
		}
	}
	t.Fatalf("no valid instance of %T", m)
	return nil
}

var (
	createTableRE = regexp.MustCompile(`^CREATE TABLE (\w+) \(`)
	checkInRE     = regexp.MustCompile(`^\s+(\w+)\s.*CHECK \((\w+) IN \(([^)]*)\)\)`)
	quotedRE      = regexp.MustCompile(`'([^']*)'`)
)

// checkIns reads the CHECK (column IN (…)) constraints of one dialect's migrations:
// table → column → allowed values.
func checkIns(t *testing.T, dialect string) map[string]map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "migrations", dialect, "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s migrations: %v", dialect, err)
	}
	out := map[string]map[string][]string{}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		table := ""
		for line := range strings.Lines(string(b)) {
			if m := createTableRE.FindStringSubmatch(line); m != nil {
				table = m[1]
				out[table] = map[string][]string{}
				continue
			}
			if m := checkInRE.FindStringSubmatch(line); m != nil && table != "" && m[1] == m[2] {
				var values []string
				for _, q := range quotedRE.FindAllStringSubmatch(m[3], -1) {
					values = append(values, q[1])
				}
				out[table][m[1]] = values
			}
		}
	}
	return out
}

// TestValidateOneofMatchesMigrations: every column with a CHECK (… IN (…)) has a oneof
// tag listing exactly those values, on both dialects.
func TestValidateOneofMatchesMigrations(t *testing.T) {
	for _, dialect := range []string{"postgres", "sqlite"} {
		checks := checkIns(t, dialect)
		n := 0
		for _, m := range allModels() {
			table := m.(schema.Tabler).TableName()
			s, err := schema.Parse(m, &sync.Map{}, schema.NamingStrategy{})
			if err != nil {
				t.Fatal(err)
			}
			for col, allowed := range checks[table] {
				f := s.LookUpField(col)
				if f == nil {
					t.Errorf("%s: %s.%s has no field", dialect, table, col)
					continue
				}
				listed := oneof(f.Tag.Get("validate"))
				if !slices.Equal(slices.Sorted(slices.Values(listed)), slices.Sorted(slices.Values(allowed))) {
					t.Errorf("%s: %s.%s allows %v, tag lists %v", dialect, table, col, allowed, listed)
				}
				n++
			}
		}
		if n != 37 {
			t.Errorf("%s: %d CHECK IN columns, want 37", dialect, n)
		}
	}
}

// TestValidateAgreesWithDatabase writes values near the edges of each format and range
// that a CHECK constraint guards: whatever Validate accepts the database must accept
// (Validate may be stricter).
func TestValidateAgreesWithDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, sdb *store.DB) {
		db := store.Gorm(sdb)
		org := &store.Organization{Name: "A", Slug: "agree", Type: store.OrganizationCorporate, DID: "did:web:x:orgs:agree"}
		must(t, db.Create(org).Error)
		user := &store.User{Email: "agree@example.com"}
		must(t, db.Create(user).Error)
		cs := &store.CredentialSchema{Name: "S", Version: "1", OrganizationID: org.ID}
		must(t, db.Create(cs).Error)
		tpl := &store.CredentialTemplate{Name: "T", OrganizationID: org.ID, SchemaID: cs.ID}
		must(t, db.Create(tpl).Error)
		rows := []any{
			&store.Webhook{OrganizationID: org.ID, Name: "w", URL: "https://x.test", SecretKey: []byte("k")},
			&store.LDAPConfiguration{OrganizationID: org.ID, Name: "l", ServerURL: "ldap://ad", BaseDN: "dc=x"},
			&store.ERPIntegration{OrganizationID: org.ID, ERPType: store.ERPCustom, Name: "e", APIEndpoint: "https://e.test"},
			&store.OrganizationBranding{OrganizationID: org.ID},
			&store.SMSDelivery{UserID: user.ID, PhoneNumber: "+14155550123", Message: "m"},
			&store.TemplateReview{TemplateID: tpl.ID, ReviewerID: user.ID, OrganizationID: org.ID, Rating: 3},
			&store.EnhancedAuditLog{Action: "a", ResourceType: "r"},
			&store.RetentionPolicy{OrganizationID: org.ID, DataType: store.RetainUserData, RetentionPeriodDays: 1},
			&store.MultisigRequirement{SchemaID: cs.ID},
			&store.AnalyticsModel{OrganizationID: org.ID, ModelName: "m", ModelType: store.ModelChurnPrediction, ModelVersion: "1"},
			&store.ApprovalWorkflow{OrganizationID: org.ID, WorkflowName: "w", WorkflowType: store.WorkflowSchemaCreation},
			&store.ApprovalPolicy{OrganizationID: org.ID, StepUp: store.StepUpNone},
			&store.CustomDomain{OrganizationID: org.ID, Domain: "certs.example.edu", Status: store.DomainPending},
			&store.MarketplaceReport{OrganizationID: org.ID, TemplateID: tpl.ID, Reason: store.ReportSpam},
		}
		for _, r := range rows {
			must(t, db.Create(r).Error)
		}
		rowOf := func(m any) any {
			for _, r := range append([]any{org, user}, rows...) {
				if reflect.TypeOf(r) == reflect.TypeOf(m) {
					return r
				}
			}
			t.Fatalf("no row of %T", m)
			return nil
		}
		urls := []any{"https://x.test/h", "http://x", "https://", "HTTPS://x.test", "ftp://x", "https:// x", "x.test", ""}
		ldap := []any{"ldaps://ad", "ldap://ad:389", "ldap://", "LDAP://ad", "http://ad", "ldapx://ad"}
		colours := []any{"#1A2b3C", "#000000", "#fff", "#12345g", "#1234567", " #123456", "red", ""}
		cases := []struct {
			model  any
			column string
			values []any
		}{
			{&store.Organization{}, "slug", []any{"a", "abc-123", "", "-a", "a-", "a--b", "A", "a_b", "a b", "é", "ab\n", strings.Repeat("a", 64)}},
			{&store.Organization{}, "type", []any{"educational", "association", "Educational", "bogus", ""}},
			{&store.Organization{}, "status", []any{"pending", "revoked", "closed", ""}},
			{&store.Organization{}, "name", []any{"x", ""}},
			{&store.Organization{}, "website", urls},
			{&store.Organization{}, "contact_email", []any{"info@example.com", "a@b", "@b", "a@", "info", "", "Info <info@example.com>"}},
			{&store.Organization{}, "logo_key", []any{"orgs/a/logo", "a", "", "A", "../x", "/x"}},
			{&store.User{}, "email", []any{"ada@example.com", "a@b", "@b", "a@", "ada", "", "Ada <ada@example.com>"}},
			{&store.User{}, "did", []any{"did:key:z6Mk", "did:web:example.com%3A8080", "did:", "did:web:", "DID:web:x", "web:x", ""}},
			{&store.User{}, "role", []any{"super_admin", "recipient", "owner", ""}},
			{&store.Webhook{}, "url", urls},
			{&store.Webhook{}, "retry_count", []any{-1, 0, 10, 11}},
			{&store.LDAPConfiguration{}, "server_url", ldap},
			{&store.LDAPConfiguration{}, "sync_interval_minutes", []any{-1, 0, 1, 10080}},
			{&store.ERPIntegration{}, "api_endpoint", urls},
			{&store.ERPIntegration{}, "sync_direction", []any{"inbound", "bidirectional", "sideways", ""}},
			{&store.OrganizationBranding{}, "primary_color", colours},
			{&store.OrganizationBranding{}, "accent_color", colours},
			{&store.SMSDelivery{}, "phone_number", []any{"+14155550123", "+12", "+1", "+0123", "0612345678", "+1415555O123",
				"+123456789012345", "+1234567890123456", "+1 415", ""}},
			{&store.SMSDelivery{}, "status", []any{"pending", "failed", "lost", ""}},
			{&store.TemplateReview{}, "rating", []any{-1, 0, 1, 5, 6}},
			{&store.MarketplaceReport{}, "reason", []any{"spam", "offensive", "misleading", "copyright", "other", "rude", ""}},
			{&store.EnhancedAuditLog{}, "risk_score", []any{-1, 0, 100, 101}},
			{&store.RetentionPolicy{}, "retention_period_days", []any{-1, 0, 1, 36500, 3_000_000_000}},
			{&store.MultisigRequirement{}, "required_signatures", []any{-1, 0, 1, 100}},
			{&store.AnalyticsModel{}, "accuracy_score", []any{-0.01, 0.0, 0.5, 1.0, 1.0001}},
			{&store.AnalyticsModel{}, "model_type", []any{"usage_prediction", "astrology", ""}},
			{&store.ApprovalWorkflow{}, "auto_approve_threshold", []any{0, 1, 100}},
			{&store.ApprovalWorkflow{}, "escalation_timeout_hours", []any{0, 1, 8760}},
			{&store.ApprovalWorkflow{}, "bulk_sample_size", []any{-1, 0, 1000}},
			{&store.ApprovalPolicy{}, "step_up", []any{"none", "password", "totp", "sms", "TOTP", ""}},
			{&store.CustomDomain{}, "status", []any{"pending", "verified", "failed", ""}},
		}
		for _, c := range cases {
			row := rowOf(c.model)
			for _, v := range c.values {
				m := valueOf(t, c.model)
				setColumn(t, m, c.column, v)
				verr := store.Validate(m)
				dberr := db.Model(row).Update(c.column, v).Error
				if verr == nil && dberr != nil {
					t.Errorf("%T.%s = %#v: Validate accepts what the database refuses: %v", c.model, c.column, v, dberr)
				}
			}
		}
	})
}

// setColumn sets the field of a model that holds column to v, converting v to the
// field's type (through a pointer when the field is one).
func setColumn(t *testing.T, m any, column string, v any) {
	t.Helper()
	s, err := schema.Parse(m, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	f := s.LookUpField(column)
	if f == nil {
		t.Fatalf("%T has no column %s", m, column)
	}
	fv := reflect.ValueOf(m).Elem().FieldByName(f.Name)
	typ := fv.Type()
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	val := reflect.ValueOf(v).Convert(typ)
	if fv.Kind() == reflect.Pointer {
		p := reflect.New(typ)
		p.Elem().Set(val)
		val = p
	}
	fv.Set(val)
}
