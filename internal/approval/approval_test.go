package approval_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/approval"
	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/interoptest"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/notify"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// recorder records the jobs enqueued through it (inside a transaction).
type recorder struct {
	mu   sync.Mutex
	jobs []river.JobArgs
}

func (q *recorder) EnqueueTx(_ context.Context, tx *sql.Tx, args river.JobArgs) error {
	if tx == nil {
		return errors.New("enqueued outside the transaction")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, args)
	return nil
}

func (q *recorder) kinds(kind string) []river.JobArgs {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []river.JobArgs
	for _, j := range q.jobs {
		if j.Kind() == kind {
			out = append(out, j)
		}
	}
	return out
}

type fixture struct {
	db        *store.DB
	is        *issuance.Issuer
	svc       *approval.Service
	jobs      *recorder
	org       *store.Organization
	sc        *store.Scoped
	tpl       *store.CredentialTemplate
	issuer    *store.User
	reviewers []*store.User
}

// setup: an active organization whose Degree schema needs 2 approvals
// of reviewers, an issuer and three reviewers; events published through a
// queue that only inserts, the signing job recorded.
func setup(t testing.TB, db *store.DB, baseURL string) *fixture {
	t.Helper()
	keys, err := secret.NewKeyring(secret.Key{Raw: secret.GenerateKey()})
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, storetest.Logger(t), jobs.NewWorkers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	f := &fixture{db: db, is: &issuance.Issuer{DB: db, Keys: keys, BaseURL: baseURL, Events: q}, jobs: &recorder{}}
	f.svc = &approval.Service{DB: db, Issuer: f.is, Queue: f.jobs, Emails: f.jobs}
	hash := "$2a$12$not.a.real.hash.but.a.password.is.set.here.for.tests...."
	err = db.Seed(context.Background(), func(create func(any) error) error {
		f.org = &store.Organization{Name: "Example University", Slug: "example-uni", Type: store.OrganizationEducational,
			Status: store.OrganizationActive, DID: "did:web:x:orgs:example-uni"}
		if err := create(f.org); err != nil {
			return err
		}
		fields := []store.SchemaField{{Name: "degree", Label: "Degree", Type: store.SchemaFieldText, Required: true}}
		def, err := credschema.Build("Degree", fields)
		if err != nil {
			return err
		}
		cs := &store.CredentialSchema{Name: "Degree", Version: "1", OrganizationID: f.org.ID, Active: true,
			Fields: datatypes.NewJSONSlice(fields), SchemaDefinition: datatypes.JSON(def)}
		if err := create(cs); err != nil {
			return err
		}
		f.tpl = &store.CredentialTemplate{Name: "BSc", OrganizationID: f.org.ID, SchemaID: cs.ID, Active: true,
			TemplateData: datatypes.NewJSONType(store.TemplateData{Kind: store.TemplateDiploma})}
		if err := create(f.tpl); err != nil {
			return err
		}
		f.tpl.Schema = cs
		if err := create(&store.MultisigRequirement{SchemaID: cs.ID, RequiredSignatures: 2, Active: true,
			ApproverRoles: datatypes.NewJSONSlice([]store.Role{store.RoleReviewer})}); err != nil {
			return err
		}
		mk := func(email, name string, role store.Role) (*store.User, error) {
			u := &store.User{Email: email, OrganizationID: &f.org.ID, Role: role, PasswordHash: &hash, EmailVerified: true,
				Profile: datatypes.NewJSONType(store.UserProfile{DisplayName: name})}
			return u, create(u)
		}
		if f.issuer, err = mk("issuer@uni.example", "Ivy Issuer", store.RoleIssuer); err != nil {
			return err
		}
		for i := range 3 {
			u, err := mk(fmt.Sprintf("reviewer%d@uni.example", i), fmt.Sprintf("Rita Registrar %d", i), store.RoleReviewer)
			if err != nil {
				return err
			}
			f.reviewers = append(f.reviewers, u)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.sc = db.Scoped(f.org.ID)
	return f
}

func actor(u *store.User) store.Actor { return store.Actor{UserID: &u.ID} }

func (f *fixture) park(t *testing.T) issuance.Outcome {
	t.Helper()
	out, err := f.is.Submit(context.Background(), f.sc, issuance.Request{Template: f.tpl, RecipientName: "Ada Lovelace",
		RecipientAddress: "ada@example.org", Data: map[string]any{"degree": "Mathematics"}}, store.ViaWeb, "", actor(f.issuer))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func published(t *testing.T, db *store.DB, ty events.Type) []events.Event {
	t.Helper()
	all, err := events.Pending(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Event
	for _, e := range all {
		if e.Type == ty {
			out = append(out, e)
		}
	}
	return out
}

// Issuing under a 2-of-3 requirement parks the credential; the first
// approval does not sign it; the second enqueues one signing job, which
// signs it with the approvals as evidence, makes it active, emails the
// recipient and publishes approval.decided and credential.issued; signing
// again changes nothing.
func TestApproveThenSign(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db, "https://creds.example.org")
		out := f.park(t)
		c := out.Credential
		if out.Signed || c.Status != store.CredentialPending || c.StatusListID != nil || c.IssuedAt != nil {
			t.Fatalf("parked outcome signed=%v %+v", out.Signed, c)
		}
		if _, ok := out.Document["proof"]; ok {
			t.Fatal("a pending credential has a proof")
		}
		if n := len(published(t, db, events.CredentialIssued)); n != 0 {
			t.Fatalf("%d credential.issued events for a pending credential", n)
		}
		asked := published(t, db, events.ApprovalRequested)
		if len(asked) != 1 {
			t.Fatalf("%d approval.requested events", len(asked))
		}
		var body events.ApprovalAsked
		if err := json.Unmarshal(asked[0].Data, &body); err != nil || body.Credential.Status != "pending" || body.RequestedBy != f.issuer.ID ||
			len(body.Required) != 1 || body.Required[0].Approvals != 2 {
			t.Fatalf("approval.requested %s (%v)", asked[0].Data, err)
		}
		req, err := f.sc.ApprovalRequestFor(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Approve(ctx, f.sc, req.ID, f.issuer.ID, actor(f.issuer)); !errors.Is(err, store.ErrOwnRequest) {
			t.Fatalf("requester approves: %v", err)
		}
		d, err := f.svc.Approve(ctx, f.sc, req.ID, f.reviewers[0].ID, actor(f.reviewers[0]))
		if err != nil || d.Final || len(f.jobs.kinds("approval_sign")) != 0 {
			t.Fatalf("first approval: %+v, %v, jobs %v", d, err, f.jobs.jobs)
		}
		if d, err = f.svc.Approve(ctx, f.sc, req.ID, f.reviewers[1].ID, actor(f.reviewers[1])); err != nil || !d.Final {
			t.Fatalf("second approval: %+v, %v", d, err)
		}
		signs := f.jobs.kinds("approval_sign")
		if len(signs) != 1 || signs[0].(approval.Sign).RequestID != req.ID {
			t.Fatalf("signing jobs %v", signs)
		}
		issued, err := f.svc.Sign(ctx, f.org.ID, req.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := f.sc.Credential(ctx, c.ID)
		if got.Status != store.CredentialActive || got.StatusListIndex == nil || got.IssuedAt == nil || got.PublicID != c.PublicID {
			t.Fatalf("signed credential %+v", got)
		}
		doc := issued.Document
		if err := vc.VerifyRDFC(ctx, doc, f.resolver(), vc.VerifyOptions{}); err != nil {
			t.Fatalf("signature: %v", err)
		}
		ev, _ := doc["evidence"].([]any)
		if len(ev) != 2 {
			t.Fatalf("evidence %v", doc["evidence"])
		}
		first := ev[0].(map[string]any)
		if first["approver"] != "Rita Registrar 0" || first["approverRole"] != "reviewer" || first["type"].([]any)[0] != "TrustCredApproval" ||
			fmt.Sprint(first["requiredApprovals"]) != "2" || fmt.Sprint(first["eligibleApprovers"]) != "3" || first["approvedAt"] == "" {
			t.Errorf("first evidence entry %v", first)
		}
		if subj := doc["credentialSubject"].(map[string]any); subj["degree"] != "Mathematics" || subj["name"] != "Ada Lovelace" {
			t.Errorf("signed subject %v", subj)
		}
		if n := len(published(t, db, events.CredentialIssued)); n != 1 {
			t.Errorf("%d credential.issued events", n)
		}
		decided := published(t, db, events.ApprovalDecided)
		var db2 events.ApprovalDecision
		if len(decided) != 1 || json.Unmarshal(decided[0].Data, &db2) != nil || db2.Decision != "approved" || len(db2.Approvers) != 2 ||
			db2.Credential.Status != "active" {
			t.Fatalf("approval.decided %v", decided)
		}
		if emails := f.jobs.kinds(notify.CredentialEmail{}.Kind()); len(emails) != 1 {
			t.Errorf("%d recipient emails", len(emails))
		}
		if _, err := f.svc.Sign(ctx, f.org.ID, req.ID); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Errorf("second signing: %v", err)
		}
		if n := len(published(t, db, events.CredentialIssued)); n != 1 {
			t.Errorf("%d credential.issued events after signing twice", n)
		}
	})
}

// A rejection ends the request with approval.decided (rejected, with the
// note) and no signing job.
func TestReject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db, "https://creds.example.org")
		c := f.park(t).Credential
		req, _ := f.sc.ApprovalRequestFor(ctx, c.ID)
		if _, err := f.svc.Reject(ctx, f.sc, req.ID, f.reviewers[0].ID, "", actor(f.reviewers[0])); !errors.Is(err, store.ErrNoteRequired) {
			t.Fatalf("rejection without note: %v", err)
		}
		if _, err := f.svc.Reject(ctx, f.sc, req.ID, f.reviewers[0].ID, "Wrong degree title", actor(f.reviewers[0])); err != nil {
			t.Fatal(err)
		}
		decided := published(t, db, events.ApprovalDecided)
		var body events.ApprovalDecision
		if len(decided) != 1 || json.Unmarshal(decided[0].Data, &body) != nil || body.Decision != "rejected" || body.Note != "Wrong degree title" ||
			body.Credential.Status != "rejected" {
			t.Fatalf("approval.decided %v", decided)
		}
		if len(f.jobs.kinds("approval_sign")) != 0 {
			t.Error("a rejected request enqueued its signing")
		}
		if _, err := f.svc.Approve(ctx, f.sc, req.ID, f.reviewers[1].ID, actor(f.reviewers[1])); !errors.Is(err, store.ErrApprovalNotPending) {
			t.Errorf("approval after rejection: %v", err)
		}
	})
}

// Many reviewers approving at once: exactly one final decision and one
// signing job.
func TestRacingApprovalsEnqueueOneSigning(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db, "https://creds.example.org")
		c := f.park(t).Credential
		req, _ := f.sc.ApprovalRequestFor(ctx, c.ID)
		var wg sync.WaitGroup
		var mu sync.Mutex
		finals := 0
		for range 3 {
			for _, u := range f.reviewers {
				wg.Go(func() {
					d, err := f.svc.Approve(ctx, f.sc, req.ID, u.ID, actor(u))
					if err != nil && !errors.Is(err, store.ErrApprovalNotPending) && !errors.Is(err, store.ErrAlreadyDecided) {
						t.Error(err)
					}
					if err == nil && d.Final {
						mu.Lock()
						finals++
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		if finals != 1 || len(f.jobs.kinds("approval_sign")) != 1 {
			t.Fatalf("%d final decisions, %d signing jobs; want 1 and 1", finals, len(f.jobs.kinds("approval_sign")))
		}
	})
}

// resolver resolves the organization's did:web from its DID document.
func (f *fixture) resolver() vc.KeyResolver {
	return func(ctx context.Context, vm string) (ed25519.PublicKey, error) {
		doc, err := f.is.DIDDocument(ctx, f.org)
		if err != nil {
			return nil, err
		}
		for _, m := range doc["verificationMethod"].([]any) {
			m := m.(map[string]any)
			if m["id"] == vm {
				return vc.DecodePublicKey(m["publicKeyMultibase"].(string))
			}
		}
		return nil, fmt.Errorf("%s not in the DID document", vm)
	}
}

// verifierSetup is setup with the organization's DID documents and
// status lists served over HTTP, for the independent verifier.
func verifierSetup(t *testing.T, db *store.DB) (*fixture, *httptest.Server) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f := setup(t, db, srv.URL)
	mux.HandleFunc("GET /orgs/{slug}/did.json", func(w http.ResponseWriter, r *http.Request) {
		org, err := db.OrganizationBySlug(r.Context(), r.PathValue("slug"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		doc, _ := f.is.DIDDocument(r.Context(), org)
		_ = json.NewEncoder(w).Encode(doc)
	})
	mux.HandleFunc("GET /status-lists/{id}", func(w http.ResponseWriter, r *http.Request) {
		sl, err := f.is.StatusListCredential(r.Context(), r.PathValue("id"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(sl.JSON)
	})
	return f, srv
}

// The independent verifier accepts a credential carrying its approvals
// as evidence, in both cryptosuites.
func TestIndependentVerifierAcceptsApprovedCredentials(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	f, srv := verifierSetup(t, db)
	ctx := context.Background()
	var docs []any
	for _, suite := range []string{vc.CryptosuiteRDFC, vc.CryptosuiteJCS} {
		td := f.tpl.TemplateData.Data()
		td.Cryptosuite = suite
		f.tpl.TemplateData = datatypes.NewJSONType(td)
		c := f.park(t).Credential
		req, _ := f.sc.ApprovalRequestFor(ctx, c.ID)
		for _, u := range f.reviewers[:2] {
			if _, err := f.svc.Approve(ctx, f.sc, req.ID, u.ID, actor(u)); err != nil {
				t.Fatal(err)
			}
		}
		issued, err := f.svc.Sign(ctx, f.org.ID, req.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p := issued.Document["proof"].(map[string]any); p["cryptosuite"] != suite {
			t.Fatalf("signed with %v, want %s", p["cryptosuite"], suite)
		}
		if !strings.Contains(string(issued.JSON), `"TrustCredApproval"`) {
			t.Fatal("no approval evidence")
		}
		docs = append(docs, issued.Document)
	}
	args := []string{"--resolve-base", srv.URL, "--map", srv.URL + "/=" + srv.URL + "/"}
	for i, r := range interoptest.VerifyJSON(t, docs, args...) {
		if !r.Verified {
			t.Errorf("approved credential %d not verified: %v", i, r.Errors)
		}
	}
}

// A bulk batch cannot be approved yet: its rows under a requirement are
// refused one by one with a clear error, nothing is stored or signed.
func TestBulkRowsUnderARequirementAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db, "https://creds.example.org")
		reqs := []issuance.Request{{Template: f.tpl, RecipientName: "Ada", RecipientAddress: "ada@example.org", Data: map[string]any{"degree": "Maths"}}}
		_, errs, err := f.is.SubmitBatch(ctx, f.sc, reqs, store.ViaSystem, nil, store.Actor{})
		if err != nil || !errors.Is(errs[0], issuance.ErrBulkApproval) || !errors.Is(errs[0], issuance.ErrCredential) {
			t.Fatalf("batch under a requirement: %v, %v", errs, err)
		}
		var n int64
		if err := db.SQL().QueryRow("SELECT count(*) FROM credentials").Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d credentials stored (%v)", n, err)
		}
	})
}

// A schema with a credential_issuance workflow and no rule parks its
// credentials too; the request signs once after the workflow's last step,
// and each evidence entry names the step it was given at.
func TestWorkflowParksAndSignsAfterItsSteps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db, "https://creds.example.org")
		rules, err := f.sc.Requirements(ctx)
		if err != nil || len(rules) != 1 {
			t.Fatalf("rules %v %v", rules, err)
		}
		if _, err := f.sc.SetRequirementActive(ctx, rules[0].ID, false, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		steps := []store.WorkflowStep{
			{Name: "Registrar", ApproverUserIDs: []string{f.reviewers[0].ID}, RequiredApprovals: 1},
			{Name: "Dean's office", ApproverRoles: []store.Role{store.RoleReviewer}, RequiredApprovals: 1},
		}
		if _, err := f.sc.CreateApprovalWorkflow(ctx, store.WorkflowChange{Name: "Degree issuance", Type: store.WorkflowCredentialIssuance,
			Steps: steps, EscalationTimeoutHours: 24, Active: true}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		out := f.park(t)
		if out.Signed || out.Credential.Status != store.CredentialPending {
			t.Fatalf("a credential under a workflow is signed at once: %+v", out.Credential)
		}
		req, err := f.sc.ApprovalRequestFor(ctx, out.Credential.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Approve(ctx, f.sc, req.ID, f.reviewers[1].ID, actor(f.reviewers[1])); !errors.Is(err, store.ErrNotEligible) {
			t.Fatalf("a reviewer not named by step 1 approves it: %v", err)
		}
		if d, err := f.svc.Approve(ctx, f.sc, req.ID, f.reviewers[0].ID, actor(f.reviewers[0])); err != nil || d.Final || len(f.jobs.kinds("approval_sign")) != 0 {
			t.Fatalf("step 1: %+v %v", d, err)
		}
		if d, err := f.svc.Approve(ctx, f.sc, req.ID, f.reviewers[1].ID, actor(f.reviewers[1])); err != nil || !d.Final {
			t.Fatalf("step 2: %+v %v", d, err)
		}
		if n := len(f.jobs.kinds("approval_sign")); n != 1 {
			t.Fatalf("%d signing jobs", n)
		}
		issued, err := f.svc.Sign(ctx, f.org.ID, req.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := vc.VerifyRDFC(ctx, issued.Document, f.resolver(), vc.VerifyOptions{}); err != nil {
			t.Fatalf("signature: %v", err)
		}
		ev, _ := issued.Document["evidence"].([]any)
		if len(ev) != 2 || fmt.Sprint(ev[0].(map[string]any)["approvalStep"]) != "1" || fmt.Sprint(ev[1].(map[string]any)["approvalStep"]) != "2" {
			t.Fatalf("evidence %v", issued.Document["evidence"])
		}
	})
}

// A delegate's approval names both people in its evidence entry.
func TestEvidenceNamesTheDelegate(t *testing.T) {
	role := "reviewer"
	away := &store.User{ID: "u-away", Email: "away@uni.example", Profile: datatypes.NewJSONType(store.UserProfile{DisplayName: "Ada Away"})}
	stand := &store.User{ID: "u-stand", Email: "stand@uni.example"}
	ev := approval.Evidence("https://x/c/1", []store.CredentialApproval{{ApproverID: stand.ID, Approver: stand, ActingForID: &away.ID, ActingFor: away,
		ApprovalStatus: store.ApprovalApproved, ApproverRole: &role, Step: 1}}, nil, 3)
	if len(ev) != 1 || ev[0].(map[string]any)["approver"] != "stand@uni.example acting for Ada Away" {
		t.Fatalf("evidence %v", ev)
	}
}

// The periodic timers job with a controlled clock: after half the step's
// deadline it reminds the two reviewers who have not decided, a second
// run sends nothing; past the final deadline it expires the request once
// and publishes approval.expired once.
func TestTimersJobRunsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db, "https://creds.example.org")
		if _, err := f.sc.CreateApprovalWorkflow(ctx, store.WorkflowChange{Name: "Degree issuance", Type: store.WorkflowCredentialIssuance,
			Steps:                  []store.WorkflowStep{{Name: "Registrar", ApproverRoles: []store.Role{store.RoleReviewer}, RequiredApprovals: 2, DeadlineHours: 8}},
			EscalationTimeoutHours: 24, Active: true}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		out := f.park(t)
		req, err := f.sc.ApprovalRequestFor(ctx, out.Credential.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Approve(ctx, f.sc, req.ID, f.reviewers[0].ID, actor(f.reviewers[0])); err != nil {
			t.Fatal(err)
		}
		now := start.Add(5 * time.Hour)
		w := &approval.TimersWorker{Service: f.svc, Now: func() time.Time { return now }}
		for run, want := range []int{2, 0} {
			done, err := w.Run(ctx)
			if err != nil || done[store.TimerRemind] != want || done[store.TimerExpire] != 0 {
				t.Fatalf("run %d at 5 h: %v %v", run, done, err)
			}
		}
		now = start.Add(33 * time.Hour)
		for run, want := range []int{1, 0} {
			done, err := w.Run(ctx)
			if err != nil || done[store.TimerExpire] != want {
				t.Fatalf("run %d at 33 h: %v %v", run, done, err)
			}
		}
		got, _ := f.sc.ApprovalRequest(ctx, req.ID)
		if got.Status != store.RequestCancelled || got.Credential.Status != store.CredentialRejected {
			t.Fatalf("after expiry: %s, credential %s", got.Status, got.Credential.Status)
		}
		// One approval.expired, published with the expiry; no approval.decided.
		expired := published(t, db, events.ApprovalExpired)
		var body events.ApprovalExpiry
		if len(expired) != 1 || json.Unmarshal(expired[0].Data, &body) != nil || body.RequestID != req.ID || body.Step != 1 ||
			body.StepName != "Registrar" || body.Credential.Status != "rejected" || body.Credential.ID != out.Credential.ID {
			t.Fatalf("approval.expired %v", expired)
		}
		if n := len(published(t, db, events.ApprovalDecided)); n != 0 {
			t.Errorf("%d approval.decided events for an expiry", n)
		}
	})
}
