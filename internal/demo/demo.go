// Package demo seeds a realistic, coherent data set into an empty database,
// so that a newcomer sees TrustCred with organizations, people, schemas,
// templates and settings in place. Passwords and the API key are random and
// returned once, for the caller to print; secrets are sealed with the
// server's keyring like any other.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/apikey"
	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/did"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/internal/webhook"
	"github.com/trustcred/trustcred/store"
)

// Account is a seeded user and the password to sign in with.
type Account struct {
	Email, Password, Organization string
	Role                          store.Role
}

// Result is what the caller must show the operator: it is not stored
// anywhere in plain text.
type Result struct {
	Accounts     []Account
	APIKey       string // full key, shown once
	APIKeyOrg    string
	Organization []string // slugs
}

// Seed fills an empty database; store.ErrNotEmpty if it has data already.
func Seed(ctx context.Context, db *store.DB, keys *secret.Keyring, baseURL string) (Result, error) {
	var res Result
	if keys == nil {
		return res, errors.New("demo: no keyring to seal secrets with")
	}
	// Hash the passwords before the transaction, on every core: bcrypt is
	// slow on purpose, and a transaction should not wait for it.
	creds, err := newCredentials(accounts)
	if err != nil {
		return res, err
	}
	var s *seeder
	err = db.Seed(ctx, func(create func(any) error) error {
		s = &seeder{create: create, keys: keys, baseURL: baseURL, now: time.Now().UTC(), res: &res, creds: creds}
		return s.run()
	})
	if err != nil {
		return res, err
	}
	return res, issueDemo(ctx, db, &issuance.Issuer{DB: db, Keys: keys, BaseURL: baseURL}, s.toIssue)
}

// demoIssue is a template the demo issues credentials of, with the
// schema fields the template's defaults do not fill.
type demoIssue struct {
	template *store.CredentialTemplate
	data     map[string]any
}

// demoRecipients receive the demo credentials.
var demoRecipients = []struct{ name, email string }{
	{"Grace Hopper", "grace.hopper@example.net"},
	{"Alan Turing", "alan.turing@example.net"},
	{"Katherine Johnson", "katherine.johnson@example.net"},
}

// issueDemo signs real credentials for the demo organizations (their keys
// are made on the way), then revokes and suspends one per template, so
// that every status shows in the product.
func issueDemo(ctx context.Context, db *store.DB, is *issuance.Issuer, todo []demoIssue) error {
	actor := store.Actor{UserAgent: "trustcred demo"}
	for _, d := range todo {
		sc := db.Scoped(d.template.OrganizationID)
		var ids []string
		for _, r := range demoRecipients {
			out, err := is.Submit(ctx, sc, issuance.Request{Template: d.template, RecipientName: r.name,
				RecipientAddress: r.email, Data: d.data}, store.ViaSystem, "", actor)
			if err != nil {
				return fmt.Errorf("demo: issue %s: %w", d.template.Name, err)
			}
			if out.Signed {
				ids = append(ids, out.Credential.ID)
			}
		}
		if len(ids) < 3 {
			// The schema needs approval: pending requests for the
			// demo's reviewers, nothing to revoke or suspend.
			continue
		}
		if _, err := is.ChangeStatus(ctx, sc, ids[1], store.ActionRevoke, "Issued in error (demo)", store.ViaSystem, actor); err != nil {
			return err
		}
		if _, err := is.ChangeStatus(ctx, sc, ids[2], store.ActionSuspend, "Under review (demo)", store.ViaSystem, actor); err != nil {
			return err
		}
		// Where a revocation needs a second person, one waits for the
		// demo's reviewers and admins (Approvals).
		p, err := sc.ApprovalPolicy(ctx)
		if err != nil {
			return err
		}
		if p.FourEyesRevocation {
			if _, err := sc.RequestStatusChange(ctx, ids[0], store.ActionRevoke, "The recipient asked for a corrected credential (demo)",
				store.ViaSystem, actor); err != nil {
				return err
			}
		}
	}
	return nil
}

// accounts is the number of users the demo creates.
const accounts = 10

type credential struct{ password, hash string }

func newCredentials(n int) ([]credential, error) {
	out := make([]credential, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := range out {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i].password = password.Random(16)
			out[i].hash, errs[i] = password.Hash(out[i].password)
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

type seeder struct {
	create  func(any) error
	keys    *secret.Keyring
	baseURL string
	now     time.Time
	res     *Result
	creds   []credential // one per account, used in order
	toIssue []demoIssue  // credentials to sign once the seed is committed
	err     error        // first error; later steps are skipped
}

// add creates each model unless an earlier step failed.
func (s *seeder) add(models ...any) {
	for _, m := range models {
		if s.err == nil {
			s.err = s.create(m)
		}
	}
}

func (s *seeder) seal(plain, context string) secret.Sealed {
	if s.err != nil {
		return nil
	}
	v, err := s.keys.Seal([]byte(plain), context)
	if err != nil {
		s.err = err
	}
	return v
}

func (s *seeder) org(name, slug string, typ store.OrganizationType, status store.OrganizationStatus, domain string, verified bool) *store.Organization {
	id, err := did.Web(s.baseURL, "orgs", slug)
	if err != nil && s.err == nil {
		s.err = err
	}
	o := &store.Organization{
		Name: name, Slug: slug, Type: typ, Status: status, Domain: &domain, Verified: verified, DID: id,
		MetadataURI: ptr("https://" + domain + "/about"),
	}
	s.add(o)
	s.res.Organization = append(s.res.Organization, slug)
	return o
}

func (s *seeder) user(email, name, title string, role store.Role, org *store.Organization) *store.User {
	if len(s.creds) == 0 {
		s.err = errors.New("demo: more users than prepared passwords")
		return &store.User{}
	}
	pw, hash := s.creds[0].password, s.creds[0].hash
	s.creds = s.creds[1:]
	u := &store.User{
		Email: email, Role: role, EmailVerified: true, PasswordHash: &hash,
		Profile: datatypes.NewJSONType(store.UserProfile{DisplayName: name, Title: title, Locale: "en", Timezone: "Europe/London"}),
	}
	orgName := "(platform)"
	if org != nil {
		u.OrganizationID, orgName = &org.ID, org.Slug
	}
	s.add(u)
	s.res.Accounts = append(s.res.Accounts, Account{Email: email, Password: pw, Organization: orgName, Role: role})
	return u
}

func (s *seeder) run() error {
	s.orgs()
	if s.err == nil && len(s.creds) != 0 {
		s.err = fmt.Errorf("demo: %d prepared passwords unused", len(s.creds))
	}
	return s.err
}

// orgs seeds three organizations of different kinds and states, and
// everything that hangs off them.
func (s *seeder) orgs() {
	north := s.org("Northfield University", "northfield", store.OrganizationEducational, store.OrganizationActive, "northfield.edu", true)
	guild := s.org("Guild of Structural Engineers", "structural-guild", store.OrganizationProfessional, store.OrganizationActive, "structural-guild.org", false)
	harbor := s.org("Harbor City Licensing Office", "harbor-city-licensing", store.OrganizationGovernment, store.OrganizationPending, "licensing.harbor-city.gov", false)

	// People: every role, in every organization that needs one.
	operator := s.user("operator@trustcred.example", "Pat Operator", "Platform operator", store.RoleSuperAdmin, nil)
	nAdmin := s.user("admin@northfield.edu", "Alice Moreau", "Registrar", store.RoleAdmin, north)
	nIssuer := s.user("issuer@northfield.edu", "Ibrahim Khan", "Credentials officer", store.RoleIssuer, north)
	nReviewer := s.user("reviewer@northfield.edu", "Rita Okafor", "Dean of Studies", store.RoleReviewer, north)
	nReviewer2 := s.user("provost@northfield.edu", "Paul Lindqvist", "Provost", store.RoleReviewer, north)
	_ = s.user("hr@acme-hiring.example", "Vera Stone", "HR screening", store.RoleVerifier, nil)
	student := s.user("sam.student@northfield.edu", "Sam Student", "BSc candidate", store.RoleRecipient, north)
	gAdmin := s.user("admin@structural-guild.org", "George Adeyemi", "Membership secretary", store.RoleAdmin, guild)
	gIssuer := s.user("issuer@structural-guild.org", "Ines Duarte", "Licensing officer", store.RoleIssuer, guild)
	hAdmin := s.user("admin@licensing.harbor-city.gov", "Henry Walsh", "Licensing director", store.RoleAdmin, harbor)
	_ = hAdmin

	s.add(
		&store.IssuerCategory{IssuerID: north.ID, Category: "Higher education"},
		&store.IssuerCategory{IssuerID: north.ID, Category: "Continuing education"},
		&store.IssuerCategory{IssuerID: guild.ID, Category: "Engineering"},
		&store.IssuerCategory{IssuerID: guild.ID, Category: "Professional licensing"},
		&store.IssuerCategory{IssuerID: harbor.ID, Category: "Government licensing"},
	)

	// Marketplace categories, with a parent/child level.
	academic := &store.TemplateCategory{Name: "Academic", Description: ptr("Degrees, diplomas and course certificates"), Icon: ptr("academic-cap"), Active: true}
	professional := &store.TemplateCategory{Name: "Professional", Description: ptr("Licences and professional memberships"), Icon: ptr("briefcase"), Active: true}
	s.add(academic, professional)
	degrees := &store.TemplateCategory{Name: "Degrees", ParentCategoryID: &academic.ID, Icon: ptr("scroll"), Active: true}
	courses := &store.TemplateCategory{Name: "Course certificates", ParentCategoryID: &academic.ID, Icon: ptr("badge-check"), Active: true}
	licences := &store.TemplateCategory{Name: "Licences", ParentCategoryID: &professional.ID, Icon: ptr("identification"), Active: true}
	s.add(degrees, courses, licences)

	// Schemas and templates.
	degree := s.schema(north, "Bachelor's Degree", "1.0", []store.SchemaField{
		{Name: "degree", Label: "Degree", Type: store.SchemaFieldText, Required: true},
		{Name: "major", Label: "Major", Type: store.SchemaFieldText, Required: true},
		{Name: "honours", Label: "Honours", Type: store.SchemaFieldSelect, Options: []store.FieldOption{
			{Value: "first", Label: "First class"}, {Value: "upper-second", Label: "Upper second"}, {Value: "lower-second", Label: "Lower second"}, {Value: "third", Label: "Third"}}},
		{Name: "conferred", Label: "Date conferred", Type: store.SchemaFieldDate, Required: true},
	})
	course := s.schema(north, "Course Certificate", "1.0", []store.SchemaField{
		{Name: "course", Label: "Course", Type: store.SchemaFieldText, Required: true},
		{Name: "hours", Label: "Study hours", Type: store.SchemaFieldNumber, Validation: store.ValidationRules{Min: ptr(1.0), Max: ptr(2000.0)}},
	})
	chartered := s.schema(guild, "Chartered Engineer", "2.0", []store.SchemaField{
		{Name: "licence_number", Label: "Licence number", Type: store.SchemaFieldText, Required: true,
			Validation: store.ValidationRules{Pattern: "^CE-[0-9]{6}$"}},
		{Name: "discipline", Label: "Discipline", Type: store.SchemaFieldText, Required: true},
	})

	bsc := &store.CredentialTemplate{
		Name: "BSc Computer Science", Description: ptr("Bachelor of Science in Computer Science, signed by the Registrar."),
		OrganizationID: north.ID, SchemaID: degree.ID, IsPublic: true, Active: true, CategoryID: &degrees.ID,
		TemplateData: datatypes.NewJSONType(store.TemplateData{Kind: store.TemplateDiploma, Cryptosuite: "eddsa-rdfc-2022",
			Defaults: map[string]string{"degree": "Bachelor of Science", "major": "Computer Science"}}),
	}
	dataSci := &store.CredentialTemplate{
		Name: "Data Science Fundamentals", Description: ptr("Open Badge for the 40-hour data science course."),
		OrganizationID: north.ID, SchemaID: course.ID, IsPublic: true, Active: true, CategoryID: &courses.ID,
		TemplateData: datatypes.NewJSONType(store.TemplateData{Kind: store.TemplateBadge, Cryptosuite: "eddsa-jcs-2022", ValidityDays: 3 * 365,
			Achievement: &store.Achievement{Name: "Data Science Fundamentals", Description: "Completed 40 hours of data science study.",
				Criteria: "Pass all four assessed notebooks and the final project.",
				Alignment: []store.Alignment{{TargetName: "Data analysis", TargetURL: "https://esco.ec.europa.eu/en/classification/skill_main",
					TargetFramework: "ESCO", TargetDescription: "Analyse data to find patterns and support decisions."}}},
			Defaults: map[string]string{"course": "Data Science Fundamentals", "hours": "40"}}),
	}
	ceLicence := &store.CredentialTemplate{
		Name: "Chartered Engineer Licence", Description: ptr("Annual licence to practise as a chartered structural engineer."),
		OrganizationID: guild.ID, SchemaID: chartered.ID, IsPublic: false, Active: true, CategoryID: &licences.ID,
		TemplateData: datatypes.NewJSONType(store.TemplateData{Kind: store.TemplateLicense, Cryptosuite: "eddsa-rdfc-2022", ValidityDays: 365}),
	}
	s.add(bsc, dataSci, ceLicence)
	bsc.Schema, dataSci.Schema, ceLicence.Schema = degree, course, chartered
	s.toIssue = append(s.toIssue,
		demoIssue{bsc, map[string]any{"honours": "first", "conferred": "2026-06-30"}},
		demoIssue{dataSci, map[string]any{"hours": 40}},
		demoIssue{ceLicence, map[string]any{"licence_number": "CE-104233", "discipline": "Structural"}},
	)
	// The marketplace: Northfield publishes its degree and its badge, the
	// guild a safety induction; each adopted the other's (the guild
	// Northfield's badge for its CPD courses, Northfield the induction for
	// its estates team) and issued credentials from its copy, which is
	// what lets them review it.
	safety := &store.TemplateCategory{Name: "Health and safety", ParentCategoryID: &professional.ID, Icon: ptr("shield-check"), Active: true}
	s.add(safety)
	induction := s.schema(guild, "Site Safety Induction", "1.0", []store.SchemaField{
		{Name: "site", Label: "Construction site", Type: store.SchemaFieldText, Required: true},
		{Name: "inducted_on", Label: "Date of induction", Type: store.SchemaFieldDate, Required: true},
	})
	inductionTpl := &store.CredentialTemplate{
		Name: "Site Safety Induction", Description: ptr("Certifies that a worker completed the site safety induction: hazards, PPE and emergency routes."),
		OrganizationID: guild.ID, SchemaID: induction.ID, IsPublic: true, Active: true, CategoryID: &safety.ID,
		TemplateData: datatypes.NewJSONType(store.TemplateData{Kind: store.TemplateCertificate, Cryptosuite: "eddsa-rdfc-2022", ValidityDays: 365,
			Display: store.TemplateDisplay{Title: "Site Safety Induction", Criteria: "Attended the two-hour induction and passed the walk-round check."}}),
	}
	s.add(inductionTpl)
	s.publish(bsc, degree, store.LicenceCCBY, "A bachelor's degree with major, honours and date conferred", 0, 0, 0, 20*24*time.Hour)
	s.publish(dataSci, course, store.LicenceCCBYSA, "Open Badge for a 40-hour course, with study hours", 1, 2, 9, 12*24*time.Hour)
	s.publish(inductionTpl, induction, store.LicenceCC0, "Safety induction for construction sites, renewed yearly", 1, 1, 5, 3*24*time.Hour)
	dataSciCopy := s.schema(guild, "Course Certificate", "1.0", course.Fields)
	copied := &store.CredentialTemplate{
		Name: dataSci.Name, Description: dataSci.Description, OrganizationID: guild.ID, SchemaID: dataSciCopy.ID, Active: true, CategoryID: &courses.ID,
		TemplateData: datatypes.NewJSONType(store.Snapshot(dataSci, course).Data),
	}
	s.add(copied)
	s.add(&store.TemplateAdoption{OrganizationID: guild.ID, TemplateID: copied.ID, SourceTemplateID: &dataSci.ID, SourceVersion: 1,
		SourceName: dataSci.Name, SourceIssuer: north.Name, AdoptedBy: &gIssuer.ID, CreatedAt: s.now.Add(-5 * 24 * time.Hour)})
	inductionCopy := s.schema(north, "Site Safety Induction", "1.0", induction.Fields)
	inductionCopied := &store.CredentialTemplate{
		Name: inductionTpl.Name, Description: inductionTpl.Description, OrganizationID: north.ID, SchemaID: inductionCopy.ID, Active: true, CategoryID: &safety.ID,
		TemplateData: datatypes.NewJSONType(store.Snapshot(inductionTpl, induction).Data),
	}
	s.add(inductionCopied)
	s.add(&store.TemplateAdoption{OrganizationID: north.ID, TemplateID: inductionCopied.ID, SourceTemplateID: &inductionTpl.ID, SourceVersion: 1,
		SourceName: inductionTpl.Name, SourceIssuer: guild.Name, AdoptedBy: &nAdmin.ID, CreatedAt: s.now.Add(-2 * 24 * time.Hour)})
	copied.Schema, inductionCopied.Schema = dataSciCopy, inductionCopy
	s.toIssue = append(s.toIssue,
		demoIssue{copied, map[string]any{"course": "Structural Data Analysis (CPD)", "hours": 12}},
		demoIssue{inductionCopied, map[string]any{"site": "North campus library extension", "inducted_on": "2026-05-04"}},
	)

	// Reviews from that use: two of the badge (the guild), one of the
	// induction (Northfield); each found helpful once; one reported, so
	// that the moderation queue has an entry.
	badgeReview := &store.TemplateReview{TemplateID: dataSci.ID, ReviewerID: gIssuer.ID, OrganizationID: guild.ID, Rating: 4,
		ReviewText: ptr("Good badge; criteria could link to the syllabus."), HelpfulVotes: 1, CreatedAt: s.now.Add(-4 * 24 * time.Hour)}
	cpdReview := &store.TemplateReview{TemplateID: dataSci.ID, ReviewerID: gAdmin.ID, OrganizationID: guild.ID, Rating: 5,
		ReviewText: ptr("Clear fields; we adapted it for our **CPD courses** in an afternoon."), HelpfulVotes: 1, CreatedAt: s.now.Add(-3 * 24 * time.Hour)}
	inductionReview := &store.TemplateReview{TemplateID: inductionTpl.ID, ReviewerID: nAdmin.ID, OrganizationID: north.ID, Rating: 5,
		ReviewText: ptr("Exactly what our estates team needed:\n\n- the site and date, nothing more\n- contractors check it on their phones"), CreatedAt: s.now.Add(-24 * time.Hour)}
	for _, r := range []*store.TemplateReview{badgeReview, cpdReview, inductionReview} {
		r.UpdatedAt = r.CreatedAt // never edited
	}
	s.add(badgeReview, cpdReview, inductionReview)
	s.add(
		&store.TemplateReviewVote{ReviewID: badgeReview.ID, UserID: nIssuer.ID, OrganizationID: north.ID},
		&store.TemplateReviewVote{ReviewID: cpdReview.ID, UserID: gIssuer.ID, OrganizationID: guild.ID},
		&store.MarketplaceReport{OrganizationID: north.ID, ReporterID: &nIssuer.ID, TemplateID: dataSci.ID, ReviewID: &badgeReview.ID,
			Reason: store.ReportMisleading, Details: "The criteria do link to the syllabus since May."},
	)

	// Approvals: degrees need two signatures; a two-step issuance workflow.
	s.add(
		// 2 of Northfield's 3 reviewers and admins (Rita, Paul, Alice).
		&store.MultisigRequirement{SchemaID: degree.ID, RuleName: "Registrar's office", RequiredSignatures: 2,
			ApproverRoles: datatypes.NewJSONSlice([]store.Role{store.RoleReviewer, store.RoleAdmin}), Active: true},
		&store.MultisigRequirement{SchemaID: chartered.ID, RuleName: "Membership secretary", RequiredSignatures: 1,
			ApproverRoles: datatypes.NewJSONSlice([]store.Role{store.RoleAdmin}), Active: true},
	)
	flow := &store.ApprovalWorkflow{
		OrganizationID: north.ID, WorkflowName: "Degree issuance", WorkflowType: store.WorkflowCredentialIssuance,
		Steps: datatypes.NewJSONSlice([]store.WorkflowStep{
			{Name: "Department check", ApproverRoles: []store.Role{store.RoleReviewer}, RequiredApprovals: 1, DeadlineHours: 72},
			{Name: "Registrar sign-off", ApproverRoles: []store.Role{store.RoleAdmin}, ApproverUserIDs: []string{nAdmin.ID}, RequiredApprovals: 1, DeadlineHours: 48},
		}),
		AutoApproveThreshold: 2, EscalationEnabled: true, EscalationTimeoutHours: 48, Active: true,
		SchemaID: &degree.ID, BulkSampleSize: 10,
	}
	schemaFlow := &store.ApprovalWorkflow{
		OrganizationID: north.ID, WorkflowName: "New schema review", WorkflowType: store.WorkflowSchemaCreation,
		Steps: datatypes.NewJSONSlice([]store.WorkflowStep{
			{Name: "Provost review", ApproverRoles: []store.Role{store.RoleReviewer}, ApproverUserIDs: []string{nReviewer2.ID}, RequiredApprovals: 1},
		}),
		AutoApproveThreshold: 1, EscalationTimeoutHours: 24, Active: true,
	}
	s.add(flow, schemaFlow)
	// Northfield asks a second person before a revocation and the password
	// before an approval; the Dean of Studies is away next week and the
	// Provost decides for her.
	s.add(
		&store.ApprovalPolicy{OrganizationID: north.ID, FourEyesRevocation: true, StepUp: store.StepUpPassword},
		&store.ApprovalDelegation{OrganizationID: north.ID, UserID: nReviewer.ID, DelegateID: nReviewer2.ID,
			StartsAt: s.now.Add(7 * 24 * time.Hour), EndsAt: s.now.Add(14 * 24 * time.Hour)},
	)
	// Northfield has claimed its certificates domain and not yet published
	// the TXT record.
	s.add(&store.CustomDomain{OrganizationID: north.ID, Domain: "credentials.northfield.edu", Status: store.DomainPending,
		LastCheckedAt: ptr(s.now.Add(-time.Hour)), LastError: ptr("No TXT record was found at _trustcred.credentials.northfield.edu.")})
	s.add(&store.WorkflowInstance{WorkflowID: schemaFlow.ID, ResourceType: "schema", ResourceID: course.ID,
		CurrentStep: 1, Status: store.WorkflowApproved, CompletedAt: ptr(s.now.Add(-72 * time.Hour))})
	// Two schemas went through that review since: one waits for the
	// Provost, who turned the other down with a note.
	ethics := s.schema(north, "Research Ethics Training", "1.0", []store.SchemaField{
		{Name: "course", Label: "Course", Type: store.SchemaFieldText, Required: true},
		{Name: "hours", Label: "Hours", Type: store.SchemaFieldNumber, Required: true},
	}, func(cs *store.CredentialSchema) { cs.Active, cs.ApprovalStatus = false, store.SchemaPendingApproval })
	labSafety := s.schema(north, "Lab Safety Induction", "0.1", []store.SchemaField{
		{Name: "lab", Label: "Laboratory", Type: store.SchemaFieldText, Required: true},
	}, func(cs *store.CredentialSchema) { cs.Active, cs.ApprovalStatus = false, store.SchemaRejected })
	ethicsRun := &store.WorkflowInstance{WorkflowID: schemaFlow.ID, ResourceType: "schema", ResourceID: ethics.ID,
		CurrentStep: 1, Status: store.WorkflowInProgress, StepStartedAt: ptr(s.now.Add(-20 * time.Hour))}
	labRun := &store.WorkflowInstance{WorkflowID: schemaFlow.ID, ResourceType: "schema", ResourceID: labSafety.ID,
		CurrentStep: 1, Status: store.WorkflowRejected, CompletedAt: ptr(s.now.Add(-30 * time.Hour))}
	s.add(ethicsRun, labRun)
	labNote := "Use the faculty's existing induction schema: this one lacks the supervisor's sign-off."
	labRequest := &store.ResourceApprovalRequest{OrganizationID: north.ID, ResourceType: store.KindSchema, ResourceID: labSafety.ID,
		InstanceID: &labRun.ID, RequesterID: &nAdmin.ID, Status: store.RequestRejected, DecisionNote: &labNote,
		DecidedAt: ptr(s.now.Add(-30 * time.Hour))}
	s.add(
		&store.ResourceApprovalRequest{OrganizationID: north.ID, ResourceType: store.KindSchema, ResourceID: ethics.ID,
			InstanceID: &ethicsRun.ID, RequesterID: &nAdmin.ID},
		labRequest,
	)
	s.add(&store.ResourceApprovalDecision{OrganizationID: north.ID, RequestID: labRequest.ID, ApproverID: nReviewer2.ID,
		Decision: store.DecisionRejected, Note: &labNote, ApproverRole: string(store.RoleReviewer), DecidedAt: s.now.Add(-30 * time.Hour)})

	// Integrations: webhooks, LDAP and ERP with sealed secrets, an API key.
	hook := &store.Webhook{
		OrganizationID: north.ID, Name: "Student records system", URL: "https://sis.northfield.edu/hooks/trustcred",
		Events:    datatypes.NewJSONSlice([]store.WebhookEvent{"credential.issued", "credential.revoked"}),
		SecretKey: s.seal(webhook.NewSecret(), webhook.SecretContext), Active: true, RetryCount: 5,
	}
	s.add(hook)
	s.add(&store.WebhookDelivery{WebhookID: hook.ID, EventType: "credential.issued", EventID: "evt_demo_test_1",
		Attempt: 1, Cause: store.CauseTest, RequestHeaders: datatypes.NewJSONType(map[string]string{"Content-Type": "application/json"}),
		Payload: datatypes.NewJSONType(store.WebhookPayload{Type: "credential.issued", Version: 1, Timestamp: s.now.Add(-2 * time.Hour),
			Data: json.RawMessage(`{"note":"a test event from the demo data"}`)}),
		ResponseStatus: ptr(200), ResponseBody: ptr("ok"), DeliveryTimeMs: ptr(84), Success: true})
	ldap := &store.LDAPConfiguration{
		OrganizationID: north.ID, Name: "Campus directory", ServerURL: "ldaps://ldap.northfield.edu:636",
		BaseDN: "dc=northfield,dc=edu", BindDN: ptr("cn=trustcred,ou=services,dc=northfield,dc=edu"),
		BindPasswordEncrypted: s.seal(password.Random(24), "ldap_configurations.bind_password_encrypted"),
		UserSearchFilter:      ptr("(&(objectClass=person)(mail=*))"), GroupSearchFilter: ptr("(objectClass=groupOfNames)"),
		SyncEnabled: true, SyncIntervalMinutes: 60, LastSyncAt: ptr(s.now.Add(-30 * time.Minute)),
	}
	s.add(ldap)
	s.add(&store.LDAPUserMapping{LDAPConfigID: ldap.ID, LDAPUserID: "uid=sstudent,ou=people,dc=northfield,dc=edu", LocalUserID: student.ID,
		LDAPGroups: datatypes.NewJSONSlice([]string{"cn=students,ou=groups,dc=northfield,dc=edu"}), LastSyncAt: ldap.LastSyncAt})
	s.add(&store.ERPIntegration{
		OrganizationID: guild.ID, ERPType: store.ERPNetSuite, Name: "Membership ledger", APIEndpoint: "https://erp.structural-guild.org/api/v1",
		APIKeyEncrypted:    s.seal(password.Random(32), "erp_integrations.api_key_encrypted"),
		APISecretEncrypted: s.seal(password.Random(40), "erp_integrations.api_secret_encrypted"),
		WebhookURL:         ptr("https://erp.structural-guild.org/hooks/trustcred"), SyncEnabled: true, SyncDirection: store.SyncInbound,
	})
	key, visible, hash := apikey.New()
	s.add(&store.APIKey{OrganizationID: north.ID, Name: "Student records system", KeyHash: hash, Prefix: visible, Active: true,
		Permissions: datatypes.NewJSONSlice([]store.APIScope{store.ScopeCredentialsIssue, store.ScopeCredentialsRead}),
		ExpiresAt:   ptr(s.now.AddDate(1, 0, 0))})
	s.res.APIKey, s.res.APIKeyOrg = key, north.Slug

	// Notifications and their preferences.
	for _, u := range []*store.User{nAdmin, nIssuer, nReviewer, nReviewer2} {
		s.add(&store.NotificationPreference{UserID: u.ID, NotificationType: store.NotifyApprovalRequested, EmailEnabled: true, InAppEnabled: true})
	}
	welcome := &store.Notification{UserID: nAdmin.ID, Type: store.NotifySystemAlert, Title: "Welcome to TrustCred",
		Message: "Your organization is active. Invite your team and design your first credential.", Metadata: datatypes.NewJSONType(store.NotificationMetadata{OrganizationID: north.ID, Link: "/settings"})}
	s.add(
		&store.NotificationPreference{UserID: student.ID, NotificationType: store.NotifyCredentialIssued, EmailEnabled: true, SMSEnabled: true, InAppEnabled: true},
		welcome,
		&store.Notification{UserID: hAdmin.ID, Type: store.NotifySystemAlert, Title: "Registration received",
			Message: "A platform operator will review your organization shortly.", Metadata: datatypes.NewJSONType(store.NotificationMetadata{OrganizationID: harbor.ID})},
		&store.SMSDelivery{UserID: student.ID, PhoneNumber: "+447700900123", Message: "Northfield University: your TrustCred account is ready.",
			Status: store.SMSDelivered, Provider: ptr("demo"), ProviderMessageID: ptr("demo-0001"), SentAt: ptr(s.now.Add(-time.Hour)), DeliveredAt: ptr(s.now.Add(-time.Hour + 5*time.Second))},
	)
	// The welcome notification went out by email too (its delivery row is
	// what keeps it from being sent twice).
	s.add(&store.NotificationDelivery{NotificationID: welcome.ID, UserID: nAdmin.ID, Channel: store.ChannelEmail,
		Status: store.DeliverySent, Attempts: 1, SentAt: ptr(s.now.Add(-time.Hour))})

	// Branding, designs and custom fields.
	s.add(
		&store.OrganizationBranding{OrganizationID: north.ID, PrimaryColor: ptr("#1e3a8a"), SecondaryColor: ptr("#f1f5f9"), AccentColor: ptr("#b45309"),
			CustomDomain: ptr("credentials.northfield.edu")},
		&store.OrganizationBranding{OrganizationID: guild.ID, PrimaryColor: ptr("#0f766e"), SecondaryColor: ptr("#ecfeff"), AccentColor: ptr("#9a3412")},
		&store.CustomCredentialTemplate{OrganizationID: north.ID, TemplateName: "Northfield diploma (A4 landscape)", TemplateType: store.TemplateDiploma, IsActive: true,
			DesignData: datatypes.NewJSONType(store.DesignData{PageSize: "A4", Orientation: "landscape", Elements: []store.DesignElement{
				{Kind: "text", Text: "Northfield University", X: 50, Y: 12, FontSize: 28, Align: "center", Color: "#1e3a8a"},
				{Kind: "field", Field: "degree", X: 50, Y: 40, FontSize: 22, Align: "center"},
				{Kind: "field", Field: "major", X: 50, Y: 50, FontSize: 16, Align: "center"},
				{Kind: "qr_code", X: 88, Y: 80, Width: 10, Height: 10},
			}})},
		&store.CustomField{OrganizationID: north.ID, FieldName: "student_number", FieldType: store.FieldText, FieldLabel: "Student number",
			FieldDescription: ptr("Eight digits, from the student record."), ValidationRules: datatypes.NewJSONType(store.ValidationRules{Pattern: "^[0-9]{8}$"}),
			IsRequired: true, IsActive: true},
		&store.CustomField{OrganizationID: north.ID, FieldName: "campus", FieldType: store.FieldSelect, FieldLabel: "Campus",
			Options: datatypes.NewJSONSlice([]store.FieldOption{{Value: "city", Label: "City campus"}, {Value: "riverside", Label: "Riverside"}}), IsActive: true},
	)

	// Compliance: retention policies and audit trails.
	s.add(
		&store.RetentionPolicy{OrganizationID: north.ID, DataType: store.RetainAuditLogs, RetentionPeriodDays: 7 * 365, RetentionReason: ptr("Institutional records policy"), Active: true},
		&store.RetentionPolicy{OrganizationID: north.ID, DataType: store.RetainUserData, RetentionPeriodDays: 2 * 365, RetentionReason: ptr("GDPR storage limitation"), Active: true},
		&store.RetentionPolicy{OrganizationID: guild.ID, DataType: store.RetainCredentials, RetentionPeriodDays: 10 * 365, RetentionReason: ptr("Licensing regulation"), Active: true},
		&store.AuditLog{UserID: &operator.ID, OrganizationID: &north.ID, Action: "organization.approved", ResourceType: "organization", ResourceID: &north.ID,
			Details: datatypes.NewJSONType(store.AuditDetails{Summary: "Approved Northfield University"}), IPAddress: ptr("192.0.2.10"), UserAgent: ptr("demo")},
		&store.AuditLog{UserID: &nAdmin.ID, OrganizationID: &north.ID, Action: "member.invited", ResourceType: "user", ResourceID: &nIssuer.ID,
			Details: datatypes.NewJSONType(store.AuditDetails{Summary: "Invited issuer@northfield.edu as issuer"}), IPAddress: ptr("192.0.2.20")},
		&store.EnhancedAuditLog{UserID: &nAdmin.ID, OrganizationID: &north.ID, Action: "integration.ldap.configured", ResourceType: "ldap_configuration", ResourceID: &ldap.ID,
			Details: datatypes.NewJSONType(store.AuditDetails{Summary: "Configured the campus directory"}), IPAddress: ptr("192.0.2.20"), UserAgent: ptr("demo"),
			Geolocation: datatypes.NewJSONType(store.Geolocation{Country: "GB", City: "London"}), RiskScore: 20,
			ComplianceTags: datatypes.NewJSONSlice([]store.ComplianceTag{store.ComplianceGDPR, store.ComplianceISO27001}),
			RetentionUntil: ptr(datatypes.Date(s.now.AddDate(7, 0, 0)))},
	)
}

func (s *seeder) schema(org *store.Organization, name, version string, fields []store.SchemaField, set ...func(*store.CredentialSchema)) *store.CredentialSchema {
	def, err := credschema.Build(name, fields)
	if err != nil {
		panic(fmt.Sprintf("demo schema %s: %v", name, err)) // the demo data is fixed: a test catches this
	}
	cs := &store.CredentialSchema{
		Name: name, Version: version, OrganizationID: org.ID, Active: true,
		Fields: datatypes.NewJSONSlice(fields), SchemaDefinition: datatypes.JSON(def),
	}
	for _, f := range set {
		f(cs)
	}
	s.add(cs)
	return cs
}

// publish lists version 1 of a template in the marketplace, as
// store.PublishTemplate would, with its aggregates (which the template's
// adoptions and reviews seeded here must match).
func (s *seeder) publish(t *store.CredentialTemplate, schema *store.CredentialSchema, licence store.Licence, summary string,
	adoptions, ratings, ratingSum int, ago time.Duration) {
	snap := store.Snapshot(t, schema)
	at := s.now.Add(-ago)
	var fields []string
	for _, f := range schema.Fields {
		fields = append(fields, f.Label)
	}
	s.add(
		&store.TemplateVersion{TemplateID: t.ID, Version: 1, Snapshot: datatypes.NewJSONType(snap), PublishedAt: at},
		&store.MarketplaceListing{TemplateID: t.ID, OrganizationID: t.OrganizationID, Kind: snap.Data.Kind, Licence: licence,
			Name: snap.Name, Summary: summary, Description: snap.Description, Labels: strings.Join(fields, "\n"), Version: 1, PublishedAt: at,
			Adoptions: adoptions, RatingCount: ratings, RatingSum: ratingSum, AlignmentTerms: store.AlignmentTerms(snap.Data.Achievement)},
	)
}

func ptr[T any](v T) *T { return &v }
