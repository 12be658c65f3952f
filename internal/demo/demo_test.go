package demo

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/trustcred/trustcred/internal/apikey"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Tables the demo leaves empty: verification, approval and analytics rows
// come with their issues; sessions are made by signing in, bulk batches by
// uploading a CSV.
var notSeeded = map[string]bool{
	"verification_logs": true, "credential_approvals": true, "issuance_batches": true, "issuance_batch_rows": true,
	"credential_analytics": true, "real_time_analytics": true, "analytics_models": true,
	"model_predictions": true, "user_sessions": true,
	// Made by people using the product: links in emails, MFA enrolment.
	"user_tokens": true, "mfa_recovery_codes": true,
	// Image files live in the blob store, which the demo data set does not
	// write (it has no logos either): an image row without its file would
	// be a broken image.
	"brand_assets": true,
}

func keyring(t *testing.T) *secret.Keyring {
	t.Helper()
	k, err := secret.NewKeyring(secret.Key{Raw: secret.GenerateKey()})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		keys := keyring(t)
		res, err := Seed(ctx, db, keys, "http://localhost:8080")
		if err != nil {
			t.Fatal(err)
		}
		counts, err := db.TableCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(counts) != len(store.Models()) {
			t.Fatalf("%d tables counted, want %d", len(counts), len(store.Models()))
		}
		for table, n := range counts {
			if seeded := n > 0; seeded == notSeeded[table] {
				t.Errorf("%s has %d rows", table, n)
			}
		}
		// The degree (2 of the reviewers and admins) and the licence (1 of
		// the admins) need approval: their demo credentials wait for it.
		if n := counts["approval_requests"]; n != 6 {
			t.Errorf("%d approval requests, want 6 (three degrees, three licences)", n)
		}

		// The approval configuration holds by the store's own rules (the
		// degree's 2-of-N rule has enough reviewers and admins), and the
		// demo reviewers' workflow applies to degrees.
		var northID string
		if err := db.SQL().QueryRowContext(ctx, storetest.Rebind(db.Dialect(), "SELECT id FROM organizations WHERE slug = ?"), "northfield").Scan(&northID); err != nil {
			t.Fatal(err)
		}
		sc := db.Scoped(northID)
		// Northfield asks a second person before a revocation: one waits.
		if waiting, err := sc.StatusChangeRequests(ctx); err != nil || len(waiting) == 0 || waiting[0].Action != store.ActionRevoke ||
			waiting[0].Credential == nil || waiting[0].Credential.Status != store.CredentialActive {
			t.Errorf("northfield's waiting revocations: %+v %v", waiting, err)
		}
		if n := counts["status_change_requests"]; n == 0 {
			t.Error("no status change request in the demo")
		}
		rules, err := sc.Requirements(ctx)
		if err != nil || len(rules) == 0 {
			t.Fatalf("northfield rules: %v", err)
		}
		for _, r := range rules {
			if _, err := sc.UpdateRequirement(ctx, r.ID, store.RequirementChange{SchemaID: r.SchemaID, RuleName: r.RuleName,
				RequiredSignatures: r.RequiredSignatures, ApproverRoles: r.ApproverRoles, ApproverUserIDs: r.ApproverUserIDs, Active: r.Active}, store.Actor{}); err != nil {
				t.Errorf("demo rule %q does not hold: %v", r.RuleName, err)
			}
		}
		flows, err := sc.ApprovalWorkflows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range flows {
			if _, err := sc.UpdateApprovalWorkflow(ctx, w.ID, store.WorkflowChangeOf(&w), store.Actor{}); err != nil {
				t.Errorf("demo workflow %q does not hold: %v", w.WorkflowName, err)
			}
		}
		if p, _ := sc.ApprovalPolicy(ctx); !p.FourEyesRevocation {
			t.Error("northfield's approval policy was not seeded")
		}

		// The marketplace: several listed templates; every review comes
		// from an organization that issued credentials from its copy (the
		// store's own eligibility check), and each listing's aggregates
		// are its reviews'.
		listed, err := db.CrossOrg().Marketplace(ctx, store.MarketplaceFilter{}, store.MarketplacePage{})
		if err != nil || len(listed.Entries) < 3 {
			t.Fatalf("listed templates %d, %v; want at least 3", len(listed.Entries), err)
		}
		reviews := 0
		for _, e := range listed.Entries {
			p, err := db.CrossOrg().TemplateReviews(ctx, e.TemplateID, store.ReviewsNewest, nil, 100)
			if err != nil {
				t.Fatal(err)
			}
			sum := 0
			for _, r := range p.Reviews {
				sum += r.Rating
				reviews++
				if err := db.Scoped(r.OrganizationID).ReviewEligibility(ctx, e.TemplateID); err != nil {
					t.Errorf("%s's review of %q: %v", r.OrganizationName, e.Name, err)
				}
			}
			if e.RatingCount != len(p.Reviews) || e.RatingSum != sum {
				t.Errorf("%q: aggregates %d/%d, reviews %d/%d", e.Name, e.RatingCount, e.RatingSum, len(p.Reviews), sum)
			}
		}
		if reviews < 3 {
			t.Errorf("%d reviews, want at least 3", reviews)
		}

		// Every role is there, and the printed passwords sign in (two are
		// checked: bcrypt at cost 12 is slow on purpose).
		roles := map[store.Role]bool{}
		for i, a := range res.Accounts {
			roles[a.Role] = true
			if i%5 != 0 {
				continue
			}
			var hash string
			if err := db.SQL().QueryRowContext(ctx, storetest.Rebind(db.Dialect(), "SELECT password_hash FROM users WHERE email = ?"), a.Email).Scan(&hash); err != nil {
				t.Fatalf("%s: %v", a.Email, err)
			}
			if err := password.Check(hash, a.Password); err != nil {
				t.Errorf("%s: printed password does not match: %v", a.Email, err)
			}
		}
		for _, r := range []store.Role{store.RoleSuperAdmin, store.RoleAdmin, store.RoleIssuer, store.RoleReviewer, store.RoleVerifier, store.RoleRecipient} {
			if !roles[r] {
				t.Errorf("no %s account", r)
			}
		}

		// Organizations of different types and statuses, with did:web DIDs.
		var types, statuses int
		if err := db.SQL().QueryRowContext(ctx, "SELECT count(DISTINCT type), count(DISTINCT status) FROM organizations").Scan(&types, &statuses); err != nil {
			t.Fatal(err)
		}
		if types < 3 || statuses < 2 {
			t.Errorf("%d organization types, %d statuses", types, statuses)
		}
		var didWeb string
		if err := db.SQL().QueryRowContext(ctx, "SELECT did FROM organizations WHERE slug = 'northfield'").Scan(&didWeb); err != nil || didWeb != "did:web:localhost%3A8080:orgs:northfield" {
			t.Errorf("northfield DID %q (%v)", didWeb, err)
		}

		// The API key is stored as its hash only.
		var n int
		if err := db.SQL().QueryRowContext(ctx, storetest.Rebind(db.Dialect(), "SELECT count(*) FROM api_keys WHERE key_hash = ?"), apikey.Hash(res.APIKey)).Scan(&n); err != nil || n != 1 {
			t.Errorf("API key hash rows %d (%v)", n, err)
		}
		// Its scopes are ones the API checks.
		var perms string
		if err := db.SQL().QueryRowContext(ctx, storetest.Rebind(db.Dialect(), "SELECT permissions FROM api_keys WHERE key_hash = ?"), apikey.Hash(res.APIKey)).Scan(&perms); err != nil {
			t.Fatal(err)
		}
		var scopes []store.APIScope
		if err := json.Unmarshal([]byte(perms), &scopes); err != nil || len(scopes) == 0 {
			t.Fatalf("API key scopes %q (%v)", perms, err)
		}
		for _, sc := range scopes {
			if !sc.Offered() {
				t.Errorf("the demo API key holds %s, which no API route checks", sc)
			}
		}

		// Secrets are sealed: they open with the keyring under their column's
		// context, and the plaintext is not what the database holds.
		for _, c := range []struct{ query, context string }{
			{"SELECT secret_key FROM webhooks", "webhooks.secret_key"},
			{"SELECT bind_password_encrypted FROM ldap_configurations", "ldap_configurations.bind_password_encrypted"},
			{"SELECT api_key_encrypted FROM erp_integrations", "erp_integrations.api_key_encrypted"},
			{"SELECT api_secret_encrypted FROM erp_integrations", "erp_integrations.api_secret_encrypted"},
		} {
			var sealed secret.Sealed
			if err := db.SQL().QueryRowContext(ctx, c.query).Scan(&sealed); err != nil {
				t.Fatalf("%s: %v", c.query, err)
			}
			plain, err := keys.Open(sealed, c.context)
			if err != nil || len(plain) < 24 {
				t.Errorf("%s: does not open (%v)", c.context, err)
			}
			if _, err := keyring(t).Open(sealed, c.context); err == nil {
				t.Errorf("%s opens with another key", c.context)
			}
		}

		// Nothing is seeded twice.
		if _, err := Seed(ctx, db, keys, "http://localhost:8080"); !errors.Is(err, store.ErrNotEmpty) {
			t.Fatalf("second seed: %v, want ErrNotEmpty", err)
		}
		again, _ := db.TableCounts(ctx)
		for table, n := range counts {
			if again[table] != n {
				t.Errorf("%s: %d rows after the refused second seed, want %d", table, again[table], n)
			}
		}
	})
}

func TestSeedNeedsKeyring(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	if _, err := Seed(context.Background(), db, nil, "http://localhost:8080"); err == nil {
		t.Fatal("seed without a keyring succeeded")
	}
}
