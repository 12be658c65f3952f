package web_test

import (
	"context"
	"flag"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// featureTitle is a feature's title on the public home page.
var featureTitle = regexp.MustCompile(`<h3 class="font-medium text-slate-900">([^<]+)</h3>`)

// TestHomePagePromisesOnlyWhatWorks: every feature the public home page
// lists is checked here against the product, as a visitor who read it
// would check it. A feature added to the page without a check fails, so
// the page cannot promise what the product does not do.
func TestHomePagePromisesOnlyWhatWorks(t *testing.T) {
	e := webtest.New(t, store.SQLite)
	ctx := context.Background()
	home := e.Client().Get("/")
	start := strings.Index(home.Body, `data-testid="home-features"`)
	if home.Status != 200 || start < 0 {
		t.Fatalf("home page: %d", home.Status)
	}
	var titles []string
	for _, m := range featureTitle.FindAllStringSubmatch(home.Body[start:], -1) {
		titles = append(titles, html.UnescapeString(m[1]))
	}
	if len(titles) < 3 {
		t.Fatalf("home page features: %q", titles)
	}

	c := issueOne(t, e, "uni")
	admin := e.User(store.RoleAdmin, c.org)
	staff := e.Client()
	staff.Login(admin)

	checks := map[string]func(t *testing.T){
		"Real Verifiable Credentials": func(t *testing.T) {
			ctxs, _ := c.doc["@context"].([]any)
			proof, _ := c.doc["proof"].(map[string]any)
			if len(ctxs) == 0 || ctxs[0] != vc.ContextCredentialsV2 || proof["type"] != "DataIntegrityProof" ||
				!strings.HasPrefix(proof["cryptosuite"].(string), "eddsa-") {
				t.Errorf("not a VC 2.0 with an Ed25519 Data Integrity proof: %v %v", ctxs, proof)
			}
		},
		"Issue one or thousands": func(t *testing.T) {
			for _, p := range []string{"/credentials/issue", "/credentials/bulk/new"} {
				if r := staff.Get(p); r.Status != 200 {
					t.Errorf("%s: %d", p, r.Status)
				}
			}
			if !slices.Contains(store.APIScopes(), store.ScopeCredentialsIssue) {
				t.Errorf("no API scope to issue with")
			}
		},
		"Verify anywhere": func(t *testing.T) {
			anyone := e.Client()
			if r := anyone.Get("/v/" + c.cred.PublicID); r.Status != 200 || !strings.Contains(r.Body, `data-verdict="valid"`) ||
				!strings.Contains(r.Body, "/qr.") {
				t.Errorf("public page: %d, or no verdict or QR code", r.Status)
			}
			if r := anyone.Get("/verify"); r.Status != 200 {
				t.Errorf("/verify: %d", r.Status)
			}
			r := anyone.Raw("POST", "/api/v1/credentials/verify", "application/json",
				[]byte(`{"verifiableCredential":`+string(c.json)+`}`), nil)
			if r.Status != 200 || !strings.Contains(r.Body, `"verified":true`) {
				t.Errorf("verification API: %d %.300s", r.Status, r.Body)
			}
		},
		"Revoke and suspend": func(t *testing.T) {
			if r := staff.Htmx("POST", "/credentials/"+c.cred.ID+"/revoke", url.Values{"reason": {"Issued in error"}}); r.Status != 200 {
				t.Fatalf("revoke: %d", r.Status)
			}
			entries, _ := c.doc["credentialStatus"].([]any)
			if len(entries) == 0 {
				t.Fatal("no credentialStatus")
			}
			list, _ := entries[0].(map[string]any)["statusListCredential"].(string)
			r := e.Client().Get(strings.TrimPrefix(list, e.Config.BaseURL))
			age := regexp.MustCompile(`max-age=(\d+)`).FindStringSubmatch(r.Header.Get("Cache-Control"))
			if r.Status != 200 || age == nil {
				t.Fatalf("status list %s: %d %q", list, r.Status, r.Header.Get("Cache-Control"))
			}
			if n, _ := strconv.Atoi(age[1]); n > 60 {
				t.Errorf("verifiers may keep the status list %d s: not 'within a minute'", n)
			}
			if r := e.Client().Get("/v/" + c.cred.PublicID); !strings.Contains(r.Body, `data-verdict="revoked"`) {
				t.Errorf("the public page does not say revoked")
			}
		},
		"Self-hosted": func(t *testing.T) {
			cfg, err := config.Load(flag.NewFlagSet("serve", flag.ContinueOnError), nil, func(string) string { return "" })
			if err != nil || cfg.DatabaseURL != "" {
				t.Errorf("with no settings the server does not run on the embedded database: %v %q", err, cfg.DatabaseURL)
			}
		},
		"An audit trail": func(t *testing.T) {
			for _, action := range []string{"login", "credential.issued", "credential.revoked"} {
				page, err := e.DB.Scoped(c.org.ID).AuditLogs(ctx, store.AuditFilter{Action: action})
				if err != nil || len(page.Entries) == 0 {
					t.Errorf("no %s in the audit trail: %v", action, err)
				}
			}
		},
	}
	for _, title := range titles {
		check, ok := checks[title]
		if !ok {
			t.Errorf("the home page promises %q and nothing here checks it: add a check", title)
			continue
		}
		t.Run(title, check)
	}
}
