package store_test

import (
	"context"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// allModels lists one value of every model, in the order the tables are created.
func allModels() []any { return store.Models() }

// Tables present after each migration version.
var tablesAt = map[int64]int{0: 0, 1: 11, 2: 20, 3: 33, 4: 35, 5: 35, 6: 35, 7: 35, 8: 35, 9: 40, 10: 40, 11: 40, 12: 40, 13: 40, 14: 40, 15: 40, 16: 40, 17: 40, 18: 40, 19: 40, 20: 40, 21: 41, 22: 42, 23: 44, 24: 44, 25: 47, 26: 47, 27: 48, 28: 48, 29: 49, 30: 51, 31: 51, 32: 51, 33: 51, 34: 51, 35: 51, 36: 51, 37: 51, 38: 53, 39: 53, 40: 53, 41: 54, 42: 54, 43: 54, 44: 54}

// latest is the newest migration version.
const latest = 44

type dialect struct {
	name string // postgres or sqlite
	db   *gorm.DB
	m    *store.Migrator
}

// indexesSeen collects each dialect's idx_* index names, to compare the two.
var (
	indexesMu   sync.Mutex
	indexesSeen = map[string][]string{}
)

func TestSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m, err := db.Migrator(storetest.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		testDialect(t, dialect{name: string(db.Dialect()), db: store.Gorm(db), m: m})
	})
	pg, sq := indexesSeen["postgres"], indexesSeen["sqlite"]
	if pg == nil || sq == nil {
		storetest.Require(t, false, "index parity between dialects not checked: one dialect did not run")
		return
	}
	// GIN indexes have no SQLite counterpart.
	pg = slices.DeleteFunc(slices.Clone(pg), func(s string) bool {
		return s == "idx_enhanced_audit_logs_compliance_tags" || s == "idx_organizations_search" || s == "idx_credentials_recipient_search" || s == "idx_marketplace_search_document"
	})
	for _, n := range pg {
		if !slices.Contains(sq, n) {
			t.Errorf("index %s exists on postgres only", n)
		}
	}
	for _, n := range sq {
		if !slices.Contains(pg, n) {
			t.Errorf("index %s exists on sqlite only", n)
		}
	}
}

func testDialect(t *testing.T, d dialect) {
	ctx := context.Background()
	// The database arrives migrated. Down to 0 one version at a time, then up
	// one version at a time.
	expectTables(t, d, latest)
	for v := int64(latest - 1); v >= 0; v-- {
		if err := d.m.DownTo(ctx, v); err != nil {
			t.Fatalf("down to %d: %v", v, err)
		}
		expectTables(t, d, v)
	}
	for v := int64(1); v <= latest; v++ {
		if err := d.m.UpTo(ctx, v); err != nil {
			t.Fatalf("up to %d: %v", v, err)
		}
		expectTables(t, d, v)
	}
	if d.name == "sqlite" {
		sqliteChecks(t, d.db)
	}
	recordIndexes(t, d)

	t.Run("columns", func(t *testing.T) { testColumns(t, d) })
	t.Run("roundtrip", func(t *testing.T) { testRoundTrip(t, d) })
	t.Run("constraints", func(t *testing.T) { testConstraints(t, d) })
	t.Run("ondelete", func(t *testing.T) { testOnDelete(t, d) })
	t.Run("downkeepsdata", func(t *testing.T) { testDownKeepsData(t, d) })
}

func tables(t *testing.T, d dialect) []string {
	var names []string
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version' AND name NOT LIKE 'river_%' AND name NOT LIKE 'marketplace_search%' ORDER BY name"
	if d.name == "postgres" {
		q = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'goose_db_version' AND tablename NOT LIKE 'river_%' AND tablename <> 'marketplace_search' ORDER BY tablename"
	}
	if err := d.db.Raw(q).Scan(&names).Error; err != nil {
		t.Fatal(err)
	}
	return names
}

func expectTables(t *testing.T, d dialect, version int64) {
	t.Helper()
	var want []string
	for _, m := range allModels()[:tablesAt[version]] {
		want = append(want, m.(schema.Tabler).TableName())
	}
	sort.Strings(want)
	if got := tables(t, d); !slices.Equal(got, want) {
		t.Fatalf("at version %d tables are\n%v\nwant\n%v", version, got, want)
	}
	// credential_templates.category_id exists exactly from 00002 on.
	if version >= 1 {
		has := d.db.Migrator().HasColumn(&store.CredentialTemplate{}, "category_id")
		if has != (version >= 2) {
			t.Fatalf("at version %d credential_templates.category_id present = %v", version, has)
		}
	}
}

func sqliteChecks(t *testing.T, db *gorm.DB) {
	var fk int
	db.Raw("PRAGMA foreign_keys").Scan(&fk)
	if fk != 1 {
		t.Errorf("PRAGMA foreign_keys = %d", fk)
	}
	var ok string
	db.Raw("PRAGMA integrity_check").Scan(&ok)
	if ok != "ok" {
		t.Errorf("integrity_check: %s", ok)
	}
	var problems []map[string]any
	db.Raw("PRAGMA foreign_key_check").Scan(&problems)
	if len(problems) > 0 {
		t.Errorf("foreign_key_check: %v", problems)
	}
	var version string
	db.Raw("SELECT sqlite_version()").Scan(&version)
	t.Logf("SQLite %s", version)
}

func recordIndexes(t *testing.T, d dialect) {
	var names []string
	q := "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_%' ORDER BY name"
	if d.name == "postgres" {
		q = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE 'idx_%' ORDER BY indexname"
	}
	if err := d.db.Raw(q).Scan(&names).Error; err != nil {
		t.Fatal(err)
	}
	if d.name == "postgres" {
		var method string
		d.db.Raw(`SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE c.relname = 'idx_enhanced_audit_logs_compliance_tags'`).Scan(&method)
		if method != "gin" {
			t.Errorf("compliance_tags index method = %q, want gin", method)
		}
	}
	indexesMu.Lock()
	indexesSeen[d.name] = names
	indexesMu.Unlock()
	t.Logf("%d idx_* indexes", len(names))
}

// dbTypes lists the database type names accepted for each kind of Go field.
var dbTypes = map[string]map[schema.DataType][]string{
	"postgres": {
		schema.String: {"TEXT", "UUID", "INET"},
		schema.Bool:   {"BOOL"},
		schema.Int:    {"INT4", "INT8"},
		schema.Float:  {"NUMERIC"},
		schema.Time:   {"TIMESTAMPTZ"},
		schema.Bytes:  {"BYTEA"},
		"json":        {"JSONB"},
		"date":        {"DATE"},
	},
	"sqlite": {
		schema.String: {"TEXT"},
		schema.Bool:   {"BOOLEAN"},
		schema.Int:    {"INTEGER"},
		schema.Float:  {"NUMERIC"},
		schema.Time:   {"DATETIME"},
		schema.Bytes:  {"BLOB"},
		"json":        {"TEXT"},
		"date":        {"DATE"},
	},
}

// pgStringType is the PostgreSQL type of a column held in a Go string.
func pgStringType(table, column string) string {
	switch table + "." + column {
	case "credentials.public_id", "audit_logs.resource_id", "enhanced_audit_logs.resource_id",
		"ldap_user_mappings.ldap_user_id", "sms_deliveries.provider_message_id", "signing_keys.key_id",
		"webhook_deliveries.event_id", // evt_ and a UUIDv7: the webhook-id receivers see
		"notifications.event_id":      // the same event ids
		return "TEXT"
	}
	switch {
	case column == "ip_address":
		return "INET"
	case column == "id" || strings.HasSuffix(column, "_id"), column == "created_by", column == "adopted_by", column == "uploaded_by":
		return "UUID"
	}
	return "TEXT"
}

func testColumns(t *testing.T, d dialect) {
	for _, m := range allModels() {
		stmt := &gorm.Statement{DB: d.db}
		if err := stmt.Parse(m); err != nil {
			t.Fatal(err)
		}
		s := stmt.Schema
		cols, err := d.db.Migrator().ColumnTypes(m)
		if err != nil {
			t.Fatalf("%s: %v", s.Table, err)
		}
		byName := map[string]gorm.ColumnType{}
		for _, c := range cols {
			byName[c.Name()] = c
			if s.LookUpField(c.Name()) == nil {
				t.Errorf("%s.%s has no field in %s", s.Table, c.Name(), s.Name)
			}
		}
		for _, f := range s.Fields {
			if f.DBName == "" {
				continue
			}
			c, ok := byName[f.DBName]
			if !ok {
				t.Errorf("%s.%s (field %s) has no column", s.Table, f.DBName, f.Name)
				continue
			}
			typ := strings.ToUpper(c.DatabaseTypeName())
			want := dbTypes[d.name][f.DataType]
			if d.name == "postgres" && f.DataType == schema.String {
				want = []string{pgStringType(s.Table, f.DBName)}
			}
			if !slices.Contains(want, typ) {
				t.Errorf("%s.%s: database type %s, Go %s (%s) wants one of %v", s.Table, f.DBName, typ, f.FieldType, f.DataType, want)
			}
			nullable, known := c.Nullable()
			if !known || f.PrimaryKey {
				continue
			}
			goNullable := f.FieldType.Kind() == reflect.Pointer
			if goNullable && !nullable {
				t.Errorf("%s.%s is NOT NULL but field %s is a pointer", s.Table, f.DBName, f.Name)
			}
			if nullable && !goNullable && f.DataType != schema.Bytes {
				t.Errorf("%s.%s is nullable but field %s (%s) cannot hold NULL", s.Table, f.DBName, f.Name, f.FieldType)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

// testRoundTrip inserts one row of every model, reads each back and compares every
// column, updates each row and compares again, then deletes them.
func testRoundTrip(t *testing.T, d dialect) {
	db := d.db
	var created []any
	create := func(m any) {
		t.Helper()
		if err := db.Create(m).Error; err != nil {
			t.Fatalf("create %T: %v", m, err)
		}
		id := reflect.ValueOf(m).Elem().FieldByName("ID").String()
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 {
			t.Fatalf("%T id %q is not a UUIDv7", m, id)
		}
		back := reflect.New(reflect.TypeOf(m).Elem()).Interface()
		if err := db.First(back, "id = ?", id).Error; err != nil {
			t.Fatalf("read %T: %v", m, err)
		}
		compareRows(t, db, m, back)
		created = append(created, m)
	}
	now := time.Now().UTC()
	day := datatypes.Date(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC))
	ip := ptr("192.0.2.10")

	org := &store.Organization{Name: "Example University", Slug: "example-uni", Type: store.OrganizationEducational,
		Domain: ptr("example.edu"), Verified: true, DID: "did:web:trustcred.test:orgs:example-uni",
		MetadataURI: ptr("https://example.edu/meta.json"), Description: ptr("A university."), Website: ptr("https://example.edu"),
		ContactEmail: ptr("registrar@example.edu"), LogoKey: ptr("orgs/example-uni/logo"), StatusReason: ptr("approved"),
		StatusChangedAt: &now}
	create(org)
	if org.Status != store.OrganizationPending {
		t.Errorf("organization status defaulted to %q", org.Status)
	}
	user := &store.User{Email: "ada@example.edu", DID: ptr("did:key:z6MkExample"), OrganizationID: &org.ID, Role: store.RoleIssuer,
		Profile:       datatypes.NewJSONType(store.UserProfile{DisplayName: "Ada", Locale: "en"}),
		EmailVerified: true, MFAEnabled: true, LastLogin: &now, PasswordHash: ptr("$2a$10$hash"),
		MFASecretEncrypted: secret.Sealed{1, 2, 3}, FailedLogins: 2, LockedUntil: &now}
	create(user)
	cs := &store.CredentialSchema{Name: "Degree", Version: "1.0.0", OrganizationID: org.ID,
		SchemaDefinition: datatypes.JSON(`{"type": "object"}`), // as PostgreSQL's jsonb writes it back
		SchemaURI:        ptr("https://trustcred.test/schemas/degree-1"),
		Fields:           datatypes.NewJSONSlice([]store.SchemaField{{Name: "degree", Label: "Degree", Type: store.SchemaFieldText, Required: true}}),
		Active:           true}
	create(cs)
	tpl := &store.CredentialTemplate{Name: "BSc", Description: ptr("Bachelor"), OrganizationID: org.ID, SchemaID: cs.ID,
		TemplateData: datatypes.NewJSONType(store.TemplateData{Kind: store.TemplateBadge, Cryptosuite: "eddsa-rdfc-2022",
			Achievement: &store.Achievement{Name: "BSc"}, Defaults: map[string]string{"degree": "BSc"}}),
		IsPublic: true, Active: true}
	create(tpl)
	cred := &store.Credential{PublicID: "urn:uuid:" + uuid.NewString(), SchemaID: cs.ID, IssuerID: org.ID,
		RecipientAddress: "bob@example.com", RecipientUserID: &user.ID, MetadataURI: ptr("https://x.test/m"),
		EncryptedData: secret.Sealed("ciphertext"), DataHash: ptr("sha256:abc"), Status: store.CredentialActive,
		IssuedAt: &now, ExpiresAt: ptr(now.Add(24 * time.Hour)), TemplateID: &tpl.ID, RecipientName: ptr("Bob"),
		StatusListIndex: ptr(42), ProofType: ptr("eddsa-rdfc-2022")}
	create(cred)
	create(&store.VerificationLog{CredentialID: &cred.ID, OrganizationID: &org.ID, Verdict: ptr("valid"), VerifierAddress: ptr("carol@example.com"), VerifierUserID: &user.ID,
		VerificationResult: datatypes.NewJSONType(store.VerificationReport{Verified: true,
			Checks: []store.VerificationCheck{{Name: "proof", Passed: true}}}),
		VerificationMethod: store.VerifiedByQRCode, IPAddress: ip, UserAgent: ptr("test")})
	create(&store.IssuerCategory{IssuerID: org.ID, Category: "higher-education"})
	sess := &store.UserSession{UserID: user.ID, SessionToken: "hash-of-token", ExpiresAt: now.Add(time.Hour), IPAddress: ip,
		UserAgent: ptr("test"), LastSeenAt: &now}
	create(sess)
	create(&store.APIKey{OrganizationID: org.ID, Name: "CI", KeyHash: "hash", Permissions: datatypes.NewJSONSlice([]store.APIScope{store.ScopeCredentialsIssue}),
		Active: true, LastUsed: &now, ExpiresAt: &now, Prefix: "tc_live_ab"})
	note := &store.Notification{UserID: user.ID, Type: store.NotifyApprovalRequested, Title: "Approve", Message: "Please approve",
		Metadata: datatypes.NewJSONType(store.NotificationMetadata{CredentialID: cred.ID}), ReadAt: &now}
	create(note)
	create(&store.NotificationDelivery{NotificationID: note.ID, UserID: user.ID, Channel: store.ChannelEmail,
		Status: store.DeliveryPending, QueuedAt: &now})
	create(&store.AuditLog{UserID: &user.ID, OrganizationID: &org.ID, Action: "credential.issue", ResourceType: "credential",
		ResourceID: &cred.ID, Details: datatypes.NewJSONType(store.AuditDetails{Summary: "issued",
			Changes: []store.FieldChange{{Field: "status", From: "pending", To: "active"}}}), IPAddress: ip, UserAgent: ptr("test")})

	create(&store.CredentialAnalytics{OrganizationID: org.ID, Date: day, CredentialsIssued: 1, CredentialsRevoked: 2,
		CredentialsExpired: 3, VerificationRequests: 4, SuccessfulVerifications: 5, FailedVerifications: 6})
	parent := &store.TemplateCategory{Name: "Education", Active: true}
	create(parent)
	cat := &store.TemplateCategory{Name: "Degrees", Description: ptr("Academic degrees"), Icon: ptr("cap"), ParentCategoryID: &parent.ID, Active: true}
	create(cat)
	tpl.CategoryID = &cat.ID
	if err := db.Model(tpl).Update("category_id", cat.ID).Error; err != nil {
		t.Fatal(err)
	}
	review := &store.TemplateReview{TemplateID: tpl.ID, ReviewerID: user.ID, OrganizationID: org.ID, Rating: 5, ReviewText: ptr("Great"), HelpfulVotes: 3}
	create(review)
	create(&store.MultisigRequirement{SchemaID: cs.ID, RuleName: "Registrar", RequiredSignatures: 2, ApproverRoles: datatypes.NewJSONSlice([]store.Role{store.RoleReviewer, store.RoleAdmin}),
		ApproverUserIDs: datatypes.NewJSONSlice([]string{user.ID}), Active: true})
	ms := &store.MultisigRequirement{SchemaID: cs.ID, Active: true} // defaults: 1 signature, [] roles, [] people
	create(ms)
	if ms.RequiredSignatures != 1 || ms.ApproverRoles == nil || ms.ApproverUserIDs == nil {
		t.Errorf("multisig defaults: %d, %v", ms.RequiredSignatures, ms.ApproverRoles)
	}
	create(&store.CredentialApproval{CredentialID: cred.ID, ApproverID: user.ID, ApprovalStatus: store.ApprovalApproved,
		ApprovalNotes: ptr("ok"), ApprovedAt: &now})
	areq := &store.ApprovalRequest{OrganizationID: org.ID, CredentialID: cred.ID, SchemaID: cs.ID, RequesterID: &user.ID}
	create(areq)
	if areq.Status != store.RequestPending || areq.Round != 1 || areq.CurrentStep != 1 {
		t.Errorf("approval request defaults: %q %d %d", areq.Status, areq.Round, areq.CurrentStep)
	}
	create(&store.CredentialApproval{CredentialID: cred.ID, ApproverID: user.ID, ApprovalStatus: store.ApprovalRejected,
		ApprovalNotes: ptr("missing"), ApprovedAt: &now, RequestID: &areq.ID, OrganizationID: &org.ID, Round: 1, Step: 1,
		ApproverRole: ptr("reviewer"), ActingForID: &user.ID})
	hook := &store.Webhook{OrganizationID: org.ID, Name: "CRM", URL: "https://crm.example.com/hook",
		Events: datatypes.NewJSONSlice([]store.WebhookEvent{"credential.issued"}), SecretKey: secret.Sealed("k"),
		Active: true, RetryCount: 3, LastTriggered: &now}
	create(hook)
	create(&store.WebhookDelivery{WebhookID: hook.ID, EventType: "credential.issued", Cause: store.CauseEvent,
		Payload: datatypes.NewJSONType(store.WebhookPayload{Type: "credential.issued", Version: 1, Timestamp: now,
			Data: json.RawMessage(`{"credential_id":"x"}`)}), EventID: "evt_1", Attempt: 1,
		ResponseStatus: ptr(200), ResponseBody: ptr("ok"), DeliveryTimeMs: ptr(12), Success: true})
	create(&store.NotificationPreference{UserID: user.ID, NotificationType: store.NotifyCredentialIssued, EmailEnabled: true,
		SMSEnabled: true, PushEnabled: false, InAppEnabled: true})
	create(&store.SMSDelivery{UserID: user.ID, PhoneNumber: "+14155550123", Message: "hi", Status: store.SMSDelivered,
		Provider: ptr("twilio"), ProviderMessageID: ptr("SM1"), SentAt: &now, DeliveredAt: &now})

	create(&store.EnhancedAuditLog{UserID: &user.ID, OrganizationID: &org.ID, SessionID: &sess.ID, Action: "login",
		ResourceType: "session", ResourceID: &sess.ID, Details: datatypes.NewJSONType(store.AuditDetails{Summary: "login"}),
		IPAddress: ip, UserAgent: ptr("test"), Geolocation: datatypes.NewJSONType(store.Geolocation{Country: "FR", Latitude: ptr(48.85)}),
		RiskScore: 40, ComplianceTags: datatypes.NewJSONSlice([]store.ComplianceTag{store.ComplianceGDPR, store.ComplianceSOC2}),
		RetentionUntil: &day})
	create(&store.RetentionPolicy{OrganizationID: org.ID, DataType: store.RetainAuditLogs, RetentionPeriodDays: 365,
		RetentionReason: ptr("SOC2"), Active: true})
	ldap := &store.LDAPConfiguration{OrganizationID: org.ID, Name: "AD", ServerURL: "ldaps://ad.example.edu",
		BaseDN: "dc=example,dc=edu", BindDN: ptr("cn=svc,dc=example,dc=edu"), BindPasswordEncrypted: secret.Sealed("pw"),
		UserSearchFilter: ptr("(objectClass=person)"), GroupSearchFilter: ptr("(objectClass=group)"), SyncEnabled: true,
		LastSyncAt: &now}
	create(ldap)
	if ldap.SyncIntervalMinutes != 60 {
		t.Errorf("sync interval defaulted to %d", ldap.SyncIntervalMinutes)
	}
	create(&store.LDAPUserMapping{LDAPConfigID: ldap.ID, LDAPUserID: "cn=ada,dc=example,dc=edu", LocalUserID: user.ID,
		LDAPGroups: datatypes.NewJSONSlice([]string{"cn=staff"}), LastSyncAt: &now})
	create(&store.ERPIntegration{OrganizationID: org.ID, ERPType: store.ERPSAP, Name: "SAP", APIEndpoint: "https://sap.example.edu/api",
		APIKeyEncrypted: secret.Sealed("key"), APISecretEncrypted: secret.Sealed("sec"), WebhookURL: ptr("https://x.test/h"),
		SyncEnabled: true, LastSyncAt: &now})
	create(&store.RealTimeAnalytics{OrganizationID: org.ID, MetricName: "verifications", MetricValue: 1234.56,
		MetricUnit: store.UnitCount, DimensionKey: "method", DimensionValue: "api", Timestamp: now})
	model := &store.AnalyticsModel{OrganizationID: org.ID, ModelName: "fraud", ModelType: store.ModelFraudDetection, ModelVersion: "1",
		ModelData: []byte{0, 1, 2}, AccuracyScore: ptr(0.9876), TrainingDataSize: 5_000_000_000, LastTrainedAt: &now, Active: true}
	create(model)
	create(&store.ModelPrediction{ModelID: model.ID, InputData: datatypes.NewJSONType(store.PredictionInput{SubjectType: "credential",
		Features: map[string]float64{"age": 3}}), PredictionResult: datatypes.NewJSONType(store.PredictionOutcome{Label: "ok", Score: 0.1}),
		ConfidenceScore: ptr(0.5)})
	create(&store.OrganizationBranding{OrganizationID: org.ID, LogoURL: ptr("https://x.test/logo.png"), PrimaryColor: ptr("#1A2b3C"),
		SecondaryColor: ptr("#000000"), AccentColor: ptr("#ffffff"), CustomCSS: ptr(".a{}"), CustomJS: ptr("1"),
		DisplayFont: ptr("Merriweather"), FaviconURL: ptr("https://x.test/f.ico"), CustomDomain: ptr("creds.example.edu"), SSLCertificate: []byte("PEM"),
		SSLPrivateKey: secret.Sealed("sealed-key")})
	create(&store.CustomCredentialTemplate{OrganizationID: org.ID, TemplateName: "Diploma A4", TemplateType: store.TemplateDiploma,
		DesignData:      datatypes.NewJSONType(store.DesignData{PageSize: "A4", Elements: []store.DesignElement{{Kind: "field", Field: "degree", X: 10, Y: 20}}}),
		PreviewImageURL: ptr("https://x.test/p.png"), IsActive: true})
	create(&store.CustomField{OrganizationID: org.ID, FieldName: "gpa", FieldType: store.FieldSelect, FieldLabel: "GPA",
		FieldDescription: ptr("grade"), ValidationRules: datatypes.NewJSONType(store.ValidationRules{MaxLength: ptr(3)}),
		Options: datatypes.NewJSONSlice([]store.FieldOption{{Value: "a", Label: "A"}}), IsRequired: true, IsActive: true})
	wf := &store.ApprovalWorkflow{OrganizationID: org.ID, WorkflowName: "Two-step", WorkflowType: store.WorkflowCredentialIssuance,
		Steps:             datatypes.NewJSONSlice([]store.WorkflowStep{{Name: "review", ApproverRoles: []store.Role{store.RoleReviewer}, RequiredApprovals: 1, DeadlineHours: 48}}),
		EscalationEnabled: true, Active: true, SchemaID: &cs.ID, BulkSampleSize: 5}
	create(wf)
	create(&store.ApprovalPolicy{OrganizationID: org.ID, FourEyesRevocation: true, StepUp: store.StepUpTOTP})
	// The delegate has no organization here: the members association above counts one member.
	delegate := &store.User{Email: "grace@example.edu", Role: store.RoleReviewer}
	create(delegate)
	create(&store.ApprovalDelegation{OrganizationID: org.ID, UserID: user.ID, DelegateID: delegate.ID, StartsAt: now, EndsAt: now.Add(72 * time.Hour)})
	if wf.AutoApproveThreshold != 1 || wf.EscalationTimeoutHours != 24 {
		t.Errorf("workflow defaults: %d, %d", wf.AutoApproveThreshold, wf.EscalationTimeoutHours)
	}
	wi := &store.WorkflowInstance{WorkflowID: wf.ID, ResourceType: "credential", ResourceID: cred.ID, CompletedAt: &now}
	create(wi)
	create(&store.UserToken{UserID: user.ID, OrganizationID: &org.ID, Purpose: store.TokenInvitation,
		TokenHash: strings.Repeat("a", 64), CreatedBy: &user.ID, ExpiresAt: now.Add(72 * time.Hour)})
	create(&store.MFARecoveryCode{UserID: user.ID, CodeHash: strings.Repeat("b", 64)})
	key := &store.SigningKey{OrganizationID: org.ID, KeyID: "key-1", PublicKeyMultibase: "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
		PrivateKeyEncrypted: secret.Sealed("sealed")}
	create(key)
	if key.Status != store.KeyActive {
		t.Errorf("signing key status defaulted to %q", key.Status)
	}
	list := &store.StatusList{OrganizationID: org.ID, Purpose: store.PurposeRevocation, IssuerDID: org.DID, Size: 8, Bitstring: []byte{0}}
	create(list)
	if list.Version != 1 || list.NextIndex != 0 {
		t.Errorf("status list defaults: version %d next %d", list.Version, list.NextIndex)
	}
	create(&store.CredentialStatusChange{CredentialID: cred.ID, OrganizationID: org.ID, FromStatus: store.CredentialActive,
		ToStatus: store.CredentialSuspended, Reason: ptr("checking"), ActorUserID: &user.ID, Via: store.ViaWeb})
	batch := &store.IssuanceBatch{OrganizationID: org.ID, TemplateID: &tpl.ID, CreatedBy: &user.ID, Filename: ptr("grads.csv"),
		ColumnMapping: datatypes.NewJSONType(map[string]string{"degree": "Degree"}), TotalRows: 2}
	create(batch)
	if batch.Status != store.BatchValidated {
		t.Errorf("batch status defaulted to %q", batch.Status)
	}
	create(&store.IssuanceBatchRow{BatchID: batch.ID, RowNumber: 1, DataEncrypted: secret.Sealed("row")})
	create(&store.MarketplaceListing{TemplateID: tpl.ID, OrganizationID: org.ID, Kind: store.TemplateBadge, Licence: store.LicenceCCBY,
		Name: "BSc", Summary: "A bachelor's degree", Description: "Bachelor", Labels: "Degree", Version: 1, PublishedAt: now,
		Adoptions: 2, RatingCount: 1, RatingSum: 5, Adoptions30d: 1, TrendingAt: &now, AlignmentTerms: "\nF:ESCO\nT:Physics\n"})
	create(&store.TemplateVersion{TemplateID: tpl.ID, Version: 1, PublishedAt: now, Snapshot: datatypes.NewJSONType(store.TemplateSnapshot{
		Name: "BSc", Data: store.TemplateData{Kind: store.TemplateBadge}, Schema: store.SchemaSnapshot{Name: "Degree", Version: "1.0.0",
			Fields: []store.SchemaField{{Name: "degree", Label: "Degree", Type: store.SchemaFieldText}}}})})
	if tpl.Version != 1 {
		t.Errorf("template version defaulted to %d", tpl.Version)
	}
	verifiedAt := now.Add(-time.Hour)
	create(&store.CustomDomain{OrganizationID: org.ID, Domain: "certs.example.edu", Status: store.DomainVerified,
		VerifiedAt: &verifiedAt, LastCheckedAt: &now, TLSCertificate: ptr("-----BEGIN CERTIFICATE-----"), TLSKey: secret.Sealed("sealed key"),
		TLSNotAfter: &now, TLSWarnedDays: ptr(30), IssuerDID: true})
	create(&store.TemplateReviewVote{ReviewID: review.ID, UserID: user.ID, OrganizationID: org.ID})
	create(&store.MarketplaceReport{OrganizationID: org.ID, ReporterID: &user.ID, TemplateID: tpl.ID, ReviewID: &review.ID,
		Reason: store.ReportOffensive, Details: "Rude", Resolution: ptr("hidden")})
	create(&store.StatusChangeRequest{OrganizationID: org.ID, CredentialID: cred.ID, Action: store.ActionRevoke, Reason: "Issued in error",
		Via: store.ViaWeb, RequesterID: &user.ID})
	create(&store.BrandAsset{OrganizationID: org.ID, Name: "seal", ContentType: "image/png", SHA256: strings.Repeat("ab", 32), Size: 120,
		Width: 40, Height: 30, UploadedBy: &user.ID, DeletedAt: &now})
	rar := &store.ResourceApprovalRequest{OrganizationID: org.ID, ResourceType: store.KindSchema, ResourceID: cs.ID, InstanceID: &wi.ID,
		RequesterID: &user.ID}
	create(rar)
	if rar.Status != store.RequestPending || rar.Round != 1 || rar.CurrentStep != 1 {
		t.Errorf("resource approval request defaults: %q %d %d", rar.Status, rar.Round, rar.CurrentStep)
	}
	create(&store.ResourceApprovalDecision{OrganizationID: org.ID, RequestID: rar.ID, ApproverID: delegate.ID, ActingForID: &user.ID,
		Decision: store.DecisionApproved, Note: ptr("fine"), ApproverRole: "reviewer", DecidedAt: now})
	// (An adoption's template is the copy; one template serves as both here.)
	create(&store.TemplateAdoption{OrganizationID: org.ID, TemplateID: tpl.ID, SourceTemplateID: &tpl.ID, SourceVersion: 1,
		SourceName: "BSc", SourceIssuer: "Example University", AdoptedBy: &user.ID})
	if wi.Status != store.WorkflowInProgress || wi.CurrentStep != 1 || wi.StartedAt.IsZero() {
		t.Errorf("workflow instance defaults: %q %d %v", wi.Status, wi.CurrentStep, wi.StartedAt)
	}

	// Every model has a row.
	seen := map[string]bool{}
	for _, m := range created {
		seen[m.(schema.Tabler).TableName()] = true
	}
	for _, m := range allModels() {
		if name := m.(schema.Tabler).TableName(); !seen[name] {
			t.Errorf("no row inserted into %s", name)
		}
	}

	// Associations load.
	var loaded store.Credential
	if err := db.Preload("Schema").Preload("Issuer").Preload("Approvals").Preload("VerificationLogs").
		First(&loaded, "id = ?", cred.ID).Error; err != nil {
		t.Fatal(err)
	}
	if loaded.Schema == nil || loaded.Issuer == nil || len(loaded.Approvals) != 2 || len(loaded.VerificationLogs) != 1 {
		t.Errorf("credential associations: %+v", loaded)
	}
	var loadedOrg store.Organization
	if err := db.Preload("Members").Preload("Schemas").Preload("Templates.Reviews").Preload("Templates.Category").
		First(&loadedOrg, "id = ?", org.ID).Error; err != nil {
		t.Fatal(err)
	}
	if len(loadedOrg.Members) != 1 || len(loadedOrg.Schemas) != 1 || len(loadedOrg.Templates) != 1 ||
		len(loadedOrg.Templates[0].Reviews) != 1 || loadedOrg.Templates[0].Category == nil {
		t.Errorf("organization associations: %+v", loadedOrg)
	}
	var loadedWF store.ApprovalWorkflow
	if err := db.Preload("Instances").First(&loadedWF, "id = ?", wf.ID).Error; err != nil || len(loadedWF.Instances) != 1 {
		t.Errorf("workflow instances: %v %+v", err, loadedWF)
	}

	// Update every row: change at least one non-key column through Save, Updates with a
	// map (zero values and NULLs included) or Select+Updates, then read back and compare.
	later := now.Add(time.Minute)
	nextMonth := datatypes.Date(time.Time(day).AddDate(0, 1, 0))
	updated := map[string]bool{}
	for _, m := range created {
		var res *gorm.DB
		switch x := m.(type) {
		case *store.Organization:
			x.Name, x.Status, x.Domain, x.Verified = "Example University (renamed)", store.OrganizationActive, nil, false
			x.Website, x.LogoKey, x.StatusReason, x.StatusChangedAt = ptr("http://example.edu/about"), nil, ptr("documents checked"), &later
			res = db.Model(x).Updates(map[string]any{"name": x.Name, "status": x.Status, "domain": nil, "verified": false,
				"website": x.Website, "logo_key": nil, "status_reason": x.StatusReason, "status_changed_at": later})
		case *store.User:
			x.Role, x.MFAEnabled, x.MFASecretEncrypted, x.FailedLogins, x.LockedUntil = store.RoleAdmin, false, nil, 0, nil
			x.Profile = datatypes.NewJSONType(store.UserProfile{DisplayName: "Ada L.", Phone: "+14155550123", Timezone: "Europe/London"})
			res = db.Save(x)
		case *store.CredentialSchema:
			x.Version, x.Active, x.SchemaURI = "1.1.0", false, nil
			x.Fields = append(x.Fields, store.SchemaField{Name: "year", Label: "Year", Type: store.SchemaFieldNumber})
			res = db.Save(x)
		case *store.CredentialTemplate:
			x.Description, x.IsPublic = nil, false
			x.TemplateData = datatypes.NewJSONType(store.TemplateData{Kind: store.TemplateCertificate, Cryptosuite: "eddsa-jcs-2022", ValidityDays: 365})
			res = db.Model(x).Select("description", "is_public", "template_data").Updates(x)
		case *store.Credential:
			x.Status, x.RevokedAt, x.RevocationReason, x.RecipientName = store.CredentialRevoked, &later, ptr("issued in error"), nil
			res = db.Save(x)
		case *store.VerificationLog:
			x.VerificationMethod, x.VerifierAddress = store.VerifiedByAPI, nil
			x.VerificationResult = datatypes.NewJSONType(store.VerificationReport{Verified: false, Errors: []string{"revoked"}})
			res = db.Save(x)
		case *store.IssuerCategory:
			x.Category = "universities"
			res = db.Model(x).Updates(map[string]any{"category": x.Category})
		case *store.UserSession:
			x.LastSeenAt, x.RevokedAt, x.UserAgent = &later, &later, nil
			res = db.Save(x)
		case *store.APIKey:
			x.Name, x.Active, x.LastUsed = "CI (rotated)", false, nil
			x.Permissions = datatypes.NewJSONSlice([]store.APIScope{store.ScopeCredentialsRead, store.ScopeSchemasRead})
			res = db.Save(x)
		case *store.Notification:
			x.Title, x.ReadAt = "Approval needed", nil
			res = db.Model(x).Updates(map[string]any{"title": x.Title, "read_at": nil})
		case *store.AuditLog:
			x.UserAgent = nil
			x.Details = datatypes.NewJSONType(store.AuditDetails{Summary: "issued", Reason: "annotated"})
			res = db.Save(x)
		case *store.CredentialAnalytics:
			x.CredentialsIssued, x.FailedVerifications = 10, 0
			res = db.Model(x).Updates(map[string]any{"credentials_issued": 10, "failed_verifications": 0})
		case *store.TemplateCategory:
			x.Description, x.Icon, x.Active = ptr("Updated "+x.Name), nil, false
			res = db.Save(x)
		case *store.TemplateReview:
			x.Rating, x.ReviewText, x.HelpfulVotes, x.HiddenAt, x.HiddenReason = 4, nil, 4, &now, ptr("abuse")
			res = db.Model(x).Updates(map[string]any{"rating": 4, "review_text": nil, "helpful_votes": 4, "hidden_at": now, "hidden_reason": "abuse"})
		case *store.TemplateReviewVote:
			res = db.Save(x)
		case *store.MarketplaceReport:
			x.ResolvedAt, x.Resolution, x.Details = &now, ptr("dismissed"), ""
			res = db.Save(x)
		case *store.MultisigRequirement:
			x.RequiredSignatures, x.Active = 3, false
			x.ApproverRoles = datatypes.NewJSONSlice([]store.Role{store.RoleAdmin})
			res = db.Save(x)
		case *store.CredentialApproval:
			x.ApprovalStatus, x.ApprovalNotes = store.ApprovalRejected, ptr("missing transcript")
			res = db.Save(x)
		case *store.Webhook:
			x.URL, x.SecretKey, x.Active, x.RetryCount, x.LastTriggered = "https://crm.example.com/hook/v2", secret.Sealed("k2"), false, 0, nil
			x.Events = datatypes.NewJSONSlice([]store.WebhookEvent{"credential.issued", "credential.revoked"})
			res = db.Save(x)
		case *store.WebhookDelivery:
			x.ResponseStatus, x.Success, x.ErrorMessage, x.DeliveryTimeMs = ptr(500), false, ptr("server error"), nil
			res = db.Save(x)
		case *store.NotificationPreference:
			x.SMSEnabled, x.PushEnabled = false, true
			res = db.Model(x).Updates(map[string]any{"sms_enabled": false, "push_enabled": true})
		case *store.SMSDelivery:
			x.Status, x.ErrorMessage, x.DeliveredAt = store.SMSFailed, ptr("unreachable"), nil
			res = db.Save(x)
		case *store.NotificationDelivery:
			x.Status, x.Attempts, x.SentAt, x.QueuedAt = store.DeliverySent, 1, &now, nil
			res = db.Save(x)
		case *store.EnhancedAuditLog:
			x.RiskScore, x.RetentionUntil, x.UserAgent = 90, &nextMonth, nil
			x.ComplianceTags = datatypes.NewJSONSlice([]store.ComplianceTag{store.ComplianceISO27001})
			x.Geolocation = datatypes.NewJSONType(store.Geolocation{Country: "GB", City: "London"})
			res = db.Save(x)
		case *store.RetentionPolicy:
			x.RetentionPeriodDays, x.RetentionReason = 730, nil
			res = db.Model(x).Updates(map[string]any{"retention_period_days": 730, "retention_reason": nil})
		case *store.LDAPConfiguration:
			x.SyncIntervalMinutes, x.SyncEnabled, x.BindDN, x.BindPasswordEncrypted, x.LastSyncAt = 15, false, nil, nil, &later
			res = db.Save(x)
		case *store.LDAPUserMapping:
			x.LDAPGroups, x.LastSyncAt = datatypes.NewJSONSlice([]string{"cn=staff", "cn=faculty"}), nil
			res = db.Save(x)
		case *store.ERPIntegration:
			x.SyncDirection, x.SyncEnabled, x.WebhookURL, x.APISecretEncrypted = store.SyncInbound, false, nil, nil
			res = db.Save(x)
		case *store.RealTimeAnalytics:
			x.MetricValue, x.MetricUnit = 99.5, store.UnitPercentage
			res = db.Model(x).Updates(map[string]any{"metric_value": 99.5, "metric_unit": store.UnitPercentage})
		case *store.AnalyticsModel:
			x.ModelVersion, x.ModelData, x.AccuracyScore, x.TrainingDataSize, x.Active = "2", []byte{9}, nil, 0, false
			res = db.Save(x)
		case *store.ModelPrediction:
			x.ConfidenceScore = ptr(0.75)
			x.PredictionResult = datatypes.NewJSONType(store.PredictionOutcome{Label: "fraud", Score: 0.8, Explanation: []string{"velocity"}})
			res = db.Save(x)
		case *store.OrganizationBranding:
			x.PrimaryColor, x.AccentColor, x.CustomJS, x.CustomDomain = ptr("#ABCDEF"), nil, nil, ptr("credentials.example.edu")
			x.SSLCertificate, x.SSLPrivateKey = nil, nil
			res = db.Save(x)
		case *store.CustomDomain:
			x.Status, x.VerifiedAt, x.LastError = store.DomainPending, nil, ptr("the TXT record is gone")
			res = db.Save(x)
		case *store.CustomCredentialTemplate:
			x.TemplateType, x.IsActive, x.PreviewImageURL = store.TemplateCertificate, false, nil
			x.DesignData = datatypes.NewJSONType(store.DesignData{PageSize: "Letter", Orientation: "landscape"})
			res = db.Save(x)
		case *store.CustomField:
			x.FieldType, x.Options, x.IsRequired = store.FieldText, nil, false // nil options are stored as []
			x.ValidationRules = datatypes.NewJSONType(store.ValidationRules{MinLength: ptr(1), Pattern: "^[A-F]$"})
			res = db.Save(x)
		case *store.ApprovalWorkflow:
			x.AutoApproveThreshold, x.EscalationEnabled, x.EscalationTimeoutHours = 2, false, 48
			x.Steps = append(x.Steps, store.WorkflowStep{Name: "sign-off", ApproverRoles: []store.Role{store.RoleAdmin}, RequiredApprovals: 2})
			x.SchemaID, x.BulkSampleSize = nil, 0
			res = db.Save(x)
		case *store.ApprovalRequest:
			x.Status, x.Round, x.CurrentStep, x.DecidedAt = store.RequestRejected, 2, 1, &later
			res = db.Save(x)
		case *store.WorkflowInstance:
			x.Status, x.CurrentStep, x.CompletedAt = store.WorkflowApproved, 2, &later
			res = db.Save(x)
		case *store.ApprovalPolicy:
			x.FourEyesRevocation, x.FourEyesSuspension, x.StepUp = false, true, store.StepUpPassword
			res = db.Save(x)
		case *store.ApprovalDelegation:
			x.EndsAt = x.EndsAt.Add(24 * time.Hour)
			res = db.Save(x)
		case *store.StatusChangeRequest:
			x.Status, x.DecisionNote, x.DecidedAt = store.RequestRejected, ptr("Not without the registrar"), &later
			res = db.Save(x)
		case *store.ResourceApprovalRequest:
			x.Status, x.DecisionNote, x.DecidedAt, x.CurrentStep, x.InstanceID = store.RequestRejected, ptr("Not this one"), &later, 2, nil
			res = db.Save(x)
		case *store.ResourceApprovalDecision:
			x.Decision, x.Note, x.ActingForID = store.DecisionRejected, nil, nil
			res = db.Save(x)
		case *store.UserToken:
			x.UsedAt = &later
			res = db.Save(x)
		case *store.MFARecoveryCode:
			x.UsedAt = &later
			res = db.Save(x)
		case *store.SigningKey:
			x.Status, x.RetiredAt = store.KeyRetired, &later
			res = db.Save(x)
		case *store.StatusList:
			x.Bitstring, x.NextIndex, x.Version, x.Credential, x.CredentialVersion = []byte{0x80}, 1, 2, ptr("{}"), ptr(2)
			res = db.Save(x)
		case *store.CredentialStatusChange:
			x.Reason, x.Via = nil, store.ViaAPI
			res = db.Save(x)
		case *store.IssuanceBatch:
			x.Status, x.IssuedCount, x.StartedAt, x.SendEmail = store.BatchRunning, 1, &later, true
			res = db.Save(x)
		case *store.IssuanceBatchRow:
			x.Status, x.CredentialID, x.Error = store.RowIssued, &cred.ID, nil
			res = db.Save(x)
		case *store.MarketplaceListing:
			x.Licence, x.Summary, x.Version, x.Adoptions, x.RatingCount, x.RatingSum = store.LicenceCC0, "Updated", 2, 3, 2, 9
			x.AlignmentTerms = "\nT:Chemistry\n"
			res = db.Save(x)
		case *store.TemplateVersion:
			x.Snapshot = datatypes.NewJSONType(store.TemplateSnapshot{Name: "BSc 2", Data: store.TemplateData{Kind: store.TemplateBadge}})
			res = db.Save(x)
		case *store.TemplateAdoption:
			x.SourceTemplateID, x.AdoptedBy = nil, nil
			res = db.Save(x)
		case *store.BrandAsset:
			x.UploadedBy, x.DeletedAt, x.ContentType = nil, nil, "image/webp"
			res = db.Save(x)
		default:
			t.Fatalf("no update for %T", m)
		}
		if res.Error != nil {
			t.Fatalf("update %T: %v", m, res.Error)
		}
		if res.RowsAffected != 1 {
			t.Errorf("update %T affected %d rows", m, res.RowsAffected)
		}
		back := reflect.New(reflect.TypeOf(m).Elem()).Interface()
		if err := db.First(back, "id = ?", reflect.ValueOf(m).Elem().FieldByName("ID").String()).Error; err != nil {
			t.Fatalf("read %T after update: %v", m, err)
		}
		compareRows(t, db, m, back)
		updated[m.(schema.Tabler).TableName()] = true
	}
	for _, m := range allModels() {
		if name := m.(schema.Tabler).TableName(); !updated[name] {
			t.Errorf("no row updated in %s", name)
		}
	}

	// Delete in reverse order; every table ends empty.
	for i := len(created) - 1; i >= 0; i-- {
		res := db.Delete(created[i])
		if res.Error != nil {
			t.Fatalf("delete %T: %v", created[i], res.Error)
		}
		if res.RowsAffected != 1 {
			t.Errorf("delete %T affected %d rows", created[i], res.RowsAffected)
		}
	}
	for _, m := range allModels() {
		var n int64
		db.Model(m).Count(&n)
		if n != 0 {
			t.Errorf("%T: %d rows left", m, n)
		}
	}
}

// compareRows compares every column field of two rows of the same model.
func compareRows(t *testing.T, db *gorm.DB, want, got any) {
	t.Helper()
	s, err := schema.Parse(want, &sync.Map{}, db.NamingStrategy)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	wv, gv := reflect.ValueOf(want).Elem(), reflect.ValueOf(got).Elem()
	for _, f := range s.Fields {
		if f.DBName == "" {
			continue
		}
		a, err1 := norm(f.ReflectValueOf(ctx, wv).Interface())
		b, err2 := norm(f.ReflectValueOf(ctx, gv).Interface())
		if err := errors.Join(err1, err2); err != nil {
			t.Errorf("%s.%s: %v", s.Table, f.DBName, err)
			continue
		}
		if a != b {
			t.Errorf("%s.%s: wrote %s, read %s", s.Table, f.DBName, a, b)
		}
	}
}

// norm renders a field value in a form that survives the round trip: times to the
// microsecond in UTC, numbers to 4 decimals, bytes in hex, JSON via its Valuer.
func norm(v any) (string, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "NULL", nil
		}
		v = rv.Elem().Interface()
	}
	if vr, ok := v.(driver.Valuer); ok {
		var err error
		if v, err = vr.Value(); err != nil {
			return "", err
		}
	}
	switch x := v.(type) {
	case nil:
		return "NULL", nil
	case time.Time:
		return x.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano), nil
	case []byte:
		if x == nil {
			return "NULL", nil
		}
		return "0x" + hex.EncodeToString(x), nil
	case float64:
		return fmt.Sprintf("%.4f", math.Round(x*1e4)/1e4), nil
	}
	return fmt.Sprint(v), nil
}

// testConstraints checks that the database refuses what the migrations forbid.
func testConstraints(t *testing.T, d dialect) {
	db := d.db
	org := &store.Organization{Name: "C", Slug: "c-org", Type: store.OrganizationCorporate, DID: "did:web:x:orgs:c-org"}
	if err := db.Create(org).Error; err != nil {
		t.Fatal(err)
	}
	defer db.Delete(org)
	user := &store.User{Email: "c@example.com", OrganizationID: &org.ID}
	if err := db.Create(user).Error; err != nil {
		t.Fatal(err)
	}
	cs := &store.CredentialSchema{Name: "S", Version: "1", OrganizationID: org.ID}
	if err := db.Create(cs).Error; err != nil {
		t.Fatal(err)
	}
	tpl := &store.CredentialTemplate{Name: "T", OrganizationID: org.ID, SchemaID: cs.ID}
	if err := db.Create(tpl).Error; err != nil {
		t.Fatal(err)
	}
	cred := &store.Credential{PublicID: "c-1", SchemaID: cs.ID, IssuerID: org.ID, RecipientAddress: "r"}
	must(t, db.Create(cred).Error)
	wf := &store.ApprovalWorkflow{OrganizationID: org.ID, WorkflowName: "w", WorkflowType: store.WorkflowSchemaCreation}
	must(t, db.Create(wf).Error)
	missing := uuid.Must(uuid.NewV7()).String()

	refused := []struct {
		name  string
		want  string // check, unique, foreign key, null
		model any
	}{
		{"organization type", "check", &store.Organization{Name: "x", Slug: "x1", Type: "bogus", DID: "did:web:x1"}},
		{"organization status", "check", &store.Organization{Name: "x", Slug: "x2", Type: store.OrganizationCorporate, DID: "did:web:x2", Status: "closed"}},
		{"slug not URL-safe", "check", &store.Organization{Name: "x", Slug: "Bad Slug", Type: store.OrganizationCorporate, DID: "did:web:x3"}},
		{"slug trailing dash", "check", &store.Organization{Name: "x", Slug: "bad-", Type: store.OrganizationCorporate, DID: "did:web:x4"}},
		{"slug double dash", "check", &store.Organization{Name: "x", Slug: "a--b", Type: store.OrganizationCorporate, DID: "did:web:x5"}},
		{"duplicate slug", "unique", &store.Organization{Name: "x", Slug: "c-org", Type: store.OrganizationCorporate, DID: "did:web:x6"}},
		{"duplicate did", "unique", &store.Organization{Name: "x", Slug: "x7", Type: store.OrganizationCorporate, DID: org.DID}},
		{"did scheme", "check", &store.Organization{Name: "x", Slug: "x8", Type: store.OrganizationCorporate, DID: "web:x8"}},
		{"duplicate name, other case", "unique", &store.Organization{Name: "c", Slug: "x9", Type: store.OrganizationCorporate, DID: "did:web:x9"}},
		{"website scheme", "check", &store.Organization{Name: "x", Slug: "x10", Type: store.OrganizationCorporate, DID: "did:web:x10", Website: ptr("ftp://x.test")}},
		{"contact email shape", "check", &store.Organization{Name: "x", Slug: "x11", Type: store.OrganizationCorporate, DID: "did:web:x11", ContactEmail: ptr("nobody")}},
		{"logo key empty", "check", &store.Organization{Name: "x", Slug: "x12", Type: store.OrganizationCorporate, DID: "did:web:x12", LogoKey: ptr("")}},
		{"user role", "check", &store.User{Email: "r@example.com", Role: "owner"}},
		{"duplicate email", "unique", &store.User{Email: "c@example.com"}},
		{"user org missing (FK)", "foreign key", &store.User{Email: "fk@example.com", OrganizationID: &missing}},
		{"credential status", "check", &store.Credential{PublicID: "p1", SchemaID: cs.ID, IssuerID: org.ID, RecipientAddress: "a", Status: "lost"}},
		{"revoked without revoked_at", "check", &store.Credential{PublicID: "p2", SchemaID: cs.ID, IssuerID: org.ID, RecipientAddress: "a", Status: store.CredentialRevoked}},
		{"credential schema missing (FK)", "foreign key", &store.Credential{PublicID: "p3", SchemaID: missing, IssuerID: org.ID, RecipientAddress: "a"}},
		{"schema duplicate name+version", "unique", &store.CredentialSchema{Name: "S", Version: "1", OrganizationID: org.ID}},
		{"verification method", "check", &store.VerificationLog{CredentialID: &cred.ID, VerificationMethod: "fax"}},
		{"notification type", "check", &store.Notification{UserID: user.ID, Type: "spam", Title: "t", Message: "m"}},
		{"rating 6", "check", &store.TemplateReview{TemplateID: tpl.ID, ReviewerID: user.ID, OrganizationID: org.ID, Rating: 6}},
		{"rating 0", "check", &store.TemplateReview{TemplateID: tpl.ID, ReviewerID: user.ID, OrganizationID: org.ID, Rating: 0}},
		{"required signatures", "check", &store.MultisigRequirement{SchemaID: cs.ID, RequiredSignatures: -1}},
		{"approval status", "check", &store.CredentialApproval{CredentialID: cred.ID, ApproverID: user.ID, ApprovalStatus: "maybe"}},
		{"webhook url", "check", &store.Webhook{OrganizationID: org.ID, Name: "w", URL: "ftp://x", SecretKey: secret.Sealed("k")}},
		{"webhook secret missing", "null", &store.Webhook{OrganizationID: org.ID, Name: "w", URL: "https://x"}},
		{"sms phone", "check", &store.SMSDelivery{UserID: user.ID, PhoneNumber: "0612345678", Message: "m"}},
		{"sms phone letters", "check", &store.SMSDelivery{UserID: user.ID, PhoneNumber: "+1415555O123", Message: "m"}},
		{"sms status", "check", &store.SMSDelivery{UserID: user.ID, PhoneNumber: "+14155550123", Message: "m", Status: "lost"}},
		{"preference type", "check", &store.NotificationPreference{UserID: user.ID, NotificationType: "spam"}},
		{"risk score", "check", &store.EnhancedAuditLog{Action: "a", ResourceType: "r", RiskScore: 101}},
		{"retention days", "check", &store.RetentionPolicy{OrganizationID: org.ID, DataType: store.RetainUserData, RetentionPeriodDays: 0}},
		{"ldap url", "check", &store.LDAPConfiguration{OrganizationID: org.ID, Name: "l", ServerURL: "http://ad", BaseDN: "dc=x"}},
		{"sync direction", "check", &store.ERPIntegration{OrganizationID: org.ID, ERPType: store.ERPCustom, Name: "e", APIEndpoint: "https://e", SyncDirection: "sideways"}},
		{"metric unit", "check", &store.RealTimeAnalytics{OrganizationID: org.ID, MetricName: "m", MetricUnit: "furlongs"}},
		{"model type", "check", &store.AnalyticsModel{OrganizationID: org.ID, ModelName: "m", ModelType: "astrology", ModelVersion: "1"}},
		{"accuracy > 1", "check", &store.AnalyticsModel{OrganizationID: org.ID, ModelName: "m", ModelType: store.ModelFraudDetection, ModelVersion: "1", AccuracyScore: ptr(1.5)}},
		{"color name", "check", &store.OrganizationBranding{OrganizationID: org.ID, PrimaryColor: ptr("red")}},
		{"color short", "check", &store.OrganizationBranding{OrganizationID: org.ID, AccentColor: ptr("#fff")}},
		{"color not hex", "check", &store.OrganizationBranding{OrganizationID: org.ID, SecondaryColor: ptr("#12345g")}},
		{"template type", "check", &store.CustomCredentialTemplate{OrganizationID: org.ID, TemplateName: "t", TemplateType: "poster"}},
		{"field type", "check", &store.CustomField{OrganizationID: org.ID, FieldName: "f", FieldType: "color", FieldLabel: "F"}},
		{"workflow type", "check", &store.ApprovalWorkflow{OrganizationID: org.ID, WorkflowName: "w", WorkflowType: "vacation"}},
		{"workflow status", "check", &store.WorkflowInstance{WorkflowID: wf.ID, ResourceType: "credential", ResourceID: missing, Status: "paused"}},
		{"schema approval status", "check", &store.CredentialSchema{Name: "S2", Version: "1", OrganizationID: org.ID, ApprovalStatus: "maybe"}},
		{"resource kind", "check", &store.ResourceApprovalRequest{OrganizationID: org.ID, ResourceType: "template", ResourceID: missing}},
		{"resource decision", "check", &store.ResourceApprovalDecision{OrganizationID: org.ID, RequestID: missing, ApproverID: user.ID, Decision: "maybe", ApproverRole: "admin"}},
	}
	for _, c := range refused {
		err := db.Create(c.model).Error
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			db.Delete(c.model)
			continue
		}
		if msg := refusal(err); !strings.Contains(msg, c.want) {
			t.Errorf("%s: refused for another reason than %s: %v", c.name, c.want, err)
		}
	}

	// A second branding row for the same organization is refused.
	b := &store.OrganizationBranding{OrganizationID: org.ID, PrimaryColor: ptr("#abcdef")}
	if err := db.Create(b).Error; err != nil {
		t.Fatalf("valid branding refused: %v", err)
	}
	if err := db.Create(&store.OrganizationBranding{OrganizationID: org.ID}).Error; err == nil {
		t.Error("second branding row for one organization accepted")
	}
	// JSON columns must keep their shape.
	key := &store.APIKey{OrganizationID: org.ID, Name: "k", KeyHash: "h-shape", Prefix: "p"}
	if err := db.Create(key).Error; err != nil {
		t.Fatalf("api key: %v", err)
	}
	if err := db.Exec("UPDATE api_keys SET permissions = '{}' WHERE id = ?", key.ID).Error; err == nil {
		t.Error("api_keys.permissions accepted an object")
	}
	if err := db.Exec("UPDATE users SET profile = '[]' WHERE id = ?", user.ID).Error; err == nil {
		t.Error("users.profile accepted an array")
	}
	if err := db.Exec("UPDATE users SET profile = 'not json' WHERE id = ?", user.ID).Error; err == nil {
		t.Error("users.profile accepted malformed JSON")
	}
	// A category cannot be its own parent.
	cat := &store.TemplateCategory{Name: "Self"}
	if err := db.Create(cat).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Model(cat).Update("parent_category_id", cat.ID).Error; err == nil {
		t.Error("category accepted itself as parent")
	}
	db.Delete(cat)
}

// testOnDelete checks the ON DELETE rules that matter most.
func testOnDelete(t *testing.T, d dialect) {
	db := d.db
	org := &store.Organization{Name: "D", Slug: "d-org", Type: store.OrganizationGovernment, DID: "did:web:x:orgs:d-org"}
	must(t, db.Create(org).Error)
	user := &store.User{Email: "d@example.com", OrganizationID: &org.ID, Role: store.RoleAdmin}
	must(t, db.Create(user).Error)
	cs := &store.CredentialSchema{Name: "S", Version: "1", OrganizationID: org.ID}
	must(t, db.Create(cs).Error)
	tpl := &store.CredentialTemplate{Name: "T", OrganizationID: org.ID, SchemaID: cs.ID}
	must(t, db.Create(tpl).Error)
	cat := &store.TemplateCategory{Name: "Del"}
	must(t, db.Create(cat).Error)
	must(t, db.Model(tpl).Update("category_id", cat.ID).Error)
	cred := &store.Credential{PublicID: "del-1", SchemaID: cs.ID, IssuerID: org.ID, RecipientAddress: "r", RecipientUserID: &user.ID, TemplateID: &tpl.ID}
	must(t, db.Create(cred).Error)
	sess := &store.UserSession{UserID: user.ID, SessionToken: "del-sess", ExpiresAt: time.Now().Add(time.Hour)}
	must(t, db.Create(sess).Error)
	ea := &store.EnhancedAuditLog{UserID: &user.ID, OrganizationID: &org.ID, SessionID: &sess.ID, Action: "a", ResourceType: "r"}
	must(t, db.Create(ea).Error)

	// SET NULL: category → template, session → audit entry.
	must(t, db.Delete(cat).Error)
	var reloadedTpl store.CredentialTemplate
	must(t, db.First(&reloadedTpl, "id = ?", tpl.ID).Error)
	if reloadedTpl.CategoryID != nil {
		t.Error("deleting a category did not clear credential_templates.category_id")
	}
	must(t, db.Delete(sess).Error)
	var reloadedEA store.EnhancedAuditLog
	must(t, db.First(&reloadedEA, "id = ?", ea.ID).Error)
	if reloadedEA.SessionID != nil {
		t.Error("deleting a session did not clear enhanced_audit_logs.session_id")
	}
	// SET NULL: template → credential.
	must(t, db.Delete(tpl).Error)
	var reloadedCred store.Credential
	must(t, db.First(&reloadedCred, "id = ?", cred.ID).Error)
	if reloadedCred.TemplateID != nil {
		t.Error("deleting a template did not clear credentials.template_id")
	}
	// CASCADE from the organization; SET NULL on users and audit entries.
	must(t, db.Delete(org).Error)
	var n int64
	db.Model(&store.Credential{}).Where("id = ?", cred.ID).Count(&n)
	if n != 0 {
		t.Error("deleting an organization left its credentials")
	}
	var reloadedUser store.User
	must(t, db.First(&reloadedUser, "id = ?", user.ID).Error)
	if reloadedUser.OrganizationID != nil {
		t.Error("deleting an organization did not clear users.organization_id")
	}
	must(t, db.First(&reloadedEA, "id = ?", ea.ID).Error)
	if reloadedEA.OrganizationID != nil {
		t.Error("deleting an organization did not clear enhanced_audit_logs.organization_id")
	}
	must(t, db.Delete(user).Error)
	must(t, db.First(&reloadedEA, "id = ?", ea.ID).Error)
	if reloadedEA.UserID != nil {
		t.Error("deleting a user did not clear enhanced_audit_logs.user_id")
	}
	must(t, db.Delete(ea).Error)
}

// testDownKeepsData migrates down to phase 1 and back with data in place: rolling back
// 00003 (which drops credential_templates.category_id) must not touch phase-1 rows.
func testDownKeepsData(t *testing.T, d dialect) {
	ctx := context.Background()
	db := d.db
	org := &store.Organization{Name: "K", Slug: "k-org", Type: store.OrganizationAssociation, DID: "did:web:x:orgs:k-org"}
	must(t, db.Create(org).Error)
	cs := &store.CredentialSchema{Name: "S", Version: "1", OrganizationID: org.ID}
	must(t, db.Create(cs).Error)
	cat := &store.TemplateCategory{Name: "Keep"}
	must(t, db.Create(cat).Error)
	tpl := &store.CredentialTemplate{Name: "T", OrganizationID: org.ID, SchemaID: cs.ID, CategoryID: &cat.ID}
	must(t, db.Create(tpl).Error)
	cred := &store.Credential{PublicID: "keep-1", SchemaID: cs.ID, IssuerID: org.ID, RecipientAddress: "r", TemplateID: &tpl.ID}
	must(t, db.Create(cred).Error)

	if err := d.m.DownTo(ctx, 1); err != nil {
		t.Fatalf("down to 1 with data: %v", err)
	}
	expectTables(t, d, 1)
	var templateID *string
	must(t, db.Raw("SELECT template_id FROM credentials WHERE id = ?", cred.ID).Scan(&templateID).Error)
	if templateID == nil || *templateID != tpl.ID {
		t.Errorf("credentials.template_id after down = %v, want %s", templateID, tpl.ID)
	}
	var n int64
	must(t, db.Raw("SELECT count(*) FROM credential_templates WHERE id = ?", tpl.ID).Scan(&n).Error)
	if n != 1 {
		t.Error("credential_templates row lost by down")
	}
	if d.name == "sqlite" {
		sqliteChecks(t, db)
	}
	if err := d.m.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	expectTables(t, d, latest)
	must(t, db.Delete(org).Error)
}

// refusal describes why the database refused a write. GORM translates some
// driver errors (TranslateError) into sentinels whose text no longer names
// the constraint, so those are named here.
func refusal(err error) string {
	msg := strings.ReplaceAll(strings.ToLower(err.Error()), "not-null", "not null")
	switch {
	case errors.Is(err, gorm.ErrDuplicatedKey):
		msg += " (unique)"
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		msg += " (foreign key)"
	case errors.Is(err, gorm.ErrCheckConstraintViolated):
		msg += " (check)"
	}
	return msg
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
