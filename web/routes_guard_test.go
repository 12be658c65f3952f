package web_test

import (
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// guard is what a route requires, as web/routes.go declares it.
type guard struct {
	kind  string // public, user, org, platform, apikey
	perm  authz.Permission
	scope store.APIScope // apikey: the scope the key needs ("" for any key)
}

var (
	guardPublic   = guard{kind: "public"}
	guardUser     = guard{kind: "user", perm: authz.AccountUse}
	guardPlatform = guard{kind: "platform", perm: authz.PlatformManage}
	guardAPIKey   = guard{kind: "apikey"}
)

func guardOrg(p authz.Permission) guard { return guard{kind: "org", perm: p} }

func guardScope(s store.APIScope) guard { return guard{kind: "apikey", scope: s} }

// routeGuards is every route of the application and its guard. A route
// added to web/routes.go without a line here fails TestEveryRouteIsGuarded.
var routeGuards = map[string]guard{
	"GET /settings/keys":                                           guardOrg(authz.OrgManage),
	"GET /settings/domain":                                         guardOrg(authz.BrandingManage),
	"POST /settings/domain":                                        guardOrg(authz.BrandingManage),
	"POST /settings/domain/check":                                  guardOrg(authz.BrandingManage),
	"POST /settings/domain/delete":                                 guardOrg(authz.BrandingManage),
	"POST /settings/domain/certificate":                            guardOrg(authz.BrandingManage),
	"POST /settings/domain/certificate/delete":                     guardOrg(authz.BrandingManage),
	"POST /settings/domain/did":                                    guardOrg(authz.BrandingManage),
	"POST /settings/keys/rotate":                                   guardOrg(authz.OrgManage),
	"POST /settings/keys/method":                                   guardOrg(authz.OrgManage),
	"GET /credentials":                                             guardOrg(authz.OrgView),
	"GET /credentials/issue":                                       guardOrg(authz.CredentialsIssue),
	"POST /credentials/issue":                                      guardOrg(authz.CredentialsIssue),
	"POST /credentials/issue/preview":                              guardOrg(authz.CredentialsIssue),
	"GET /credentials/:id":                                         guardOrg(authz.OrgView),
	"GET /credentials/:id/credential.json":                         guardOrg(authz.OrgView),
	"GET /credentials/:id/certificate.pdf":                         guardOrg(authz.OrgView),
	"GET /settings/designs":                                        guardOrg(authz.BrandingManage),
	"GET /settings/designs/new":                                    guardOrg(authz.BrandingManage),
	"POST /settings/designs":                                       guardOrg(authz.BrandingManage),
	"POST /settings/designs/builder":                               guardOrg(authz.BrandingManage),
	"POST /settings/designs/preview":                               guardOrg(authz.BrandingManage),
	"GET /settings/designs/:id":                                    guardOrg(authz.BrandingManage),
	"POST /settings/designs/:id":                                   guardOrg(authz.BrandingManage),
	"GET /credentials/:id/revoke":                                  guardOrg(authz.CredentialsRevoke),
	"POST /credentials/:id/revoke":                                 guardOrg(authz.CredentialsRevoke),
	"POST /credentials/:id/status-change/withdraw":                 guardOrg(authz.CredentialsRevoke),
	"GET /credentials/:id/suspend":                                 guardOrg(authz.CredentialsRevoke),
	"POST /credentials/:id/suspend":                                guardOrg(authz.CredentialsRevoke),
	"GET /credentials/:id/unsuspend":                               guardOrg(authz.CredentialsRevoke),
	"POST /credentials/:id/unsuspend":                              guardOrg(authz.CredentialsRevoke),
	"POST /sms/twilio/status":                                      guardPublic, // Twilio's signature instead (TestSMSStatusCallback)
	"GET /healthz":                                                 guardPublic,
	"GET /readyz":                                                  guardPublic,
	"GET /static/*":                                                guardPublic,
	"GET /status":                                                  guardPublic,
	"GET /":                                                        guardPublic,
	"GET /setup":                                                   guardPublic,
	"POST /setup":                                                  guardPublic,
	"GET /login":                                                   guardPublic,
	"POST /login":                                                  guardPublic,
	"GET /login/mfa":                                               guardPublic,
	"POST /login/mfa":                                              guardPublic,
	"POST /logout":                                                 guardPublic,
	"GET /password/forgot":                                         guardPublic,
	"POST /password/forgot":                                        guardPublic,
	"GET /password/reset/:token":                                   guardPublic,
	"POST /password/reset/:token":                                  guardPublic,
	"GET /invitations/:token":                                      guardPublic,
	"POST /invitations/:token":                                     guardPublic,
	"GET /register":                                                guardPublic,
	"POST /register":                                               guardPublic,
	"GET /register/slug":                                           guardPublic,
	"GET /confirm-email/:token":                                    guardPublic,
	"POST /confirm-email/resend":                                   guardUser,
	"GET /orgs/:slug":                                              guardPublic,
	"GET /marketplace":                                             guardPublic,
	"GET /marketplace/:id":                                         guardPublic,
	"POST /marketplace/:id/adopt":                                  guardOrg(authz.SchemasWrite),
	"POST /marketplace/:id/reviews":                                guardOrg(authz.OrgView),
	"POST /marketplace/:id/reviews/:rid":                           guardOrg(authz.OrgView),
	"POST /marketplace/:id/reviews/:rid/helpful":                   guardOrg(authz.OrgView),
	"POST /marketplace/:id/reviews/:rid/report":                    guardOrg(authz.OrgView),
	"POST /marketplace/:id/report":                                 guardOrg(authz.OrgView),
	"GET /templates/:id/publish":                                   guardOrg(authz.TemplatesPublish),
	"POST /templates/:id/publish":                                  guardOrg(authz.TemplatesPublish),
	"POST /templates/:id/unpublish":                                guardOrg(authz.TemplatesPublish),
	"GET /verifications":                                           guardOrg(authz.OrgView),
	"GET /v/:id":                                                   guardPublic,
	"GET /v/:id/credential.json":                                   guardPublic,
	"GET /v/:id/qr.:format":                                        guardPublic,
	"GET /v/:id/certificate.pdf":                                   guardPublic,
	"GET /verify":                                                  guardPublic,
	"POST /verify":                                                 guardPublic,
	"POST /api/v1/credentials/verify":                              guardPublic,
	"POST /api/v1/presentations/verify":                            guardPublic,
	"GET /account":                                                 guardUser,
	"POST /account/phone":                                          guardUser,
	"GET /account/password":                                        guardUser,
	"POST /account/password":                                       guardUser,
	"GET /account/sessions":                                        guardUser,
	"POST /account/sessions/revoke-others":                         guardUser,
	"POST /account/sessions/:id/revoke":                            guardUser,
	"GET /account/mfa":                                             guardUser,
	"POST /account/mfa/setup":                                      guardUser,
	"GET /account/mfa/qr.png":                                      guardUser,
	"POST /account/mfa/confirm":                                    guardUser,
	"POST /account/mfa/disable":                                    guardUser,
	"POST /account/mfa/recovery-codes":                             guardUser,
	"GET /notifications":                                           guardUser,
	"GET /notifications/count":                                     guardUser,
	"GET /notifications/latest":                                    guardUser,
	"POST /notifications/read-all":                                 guardUser,
	"GET /notifications/preferences":                               guardUser,
	"GET /notifications/deliveries":                                guardUser,
	"POST /notifications/preferences":                              guardUser,
	"POST /notifications/:id/read":                                 guardUser,
	"GET /notifications/:id/open":                                  guardUser,
	"GET /settings/security":                                       guardOrg(authz.OrgManage),
	"POST /settings/security":                                      guardOrg(authz.OrgManage),
	"GET /settings/profile":                                        guardOrg(authz.OrgManage),
	"POST /settings/profile":                                       guardOrg(authz.OrgManage),
	"POST /settings/profile/logo":                                  guardOrg(authz.OrgManage),
	"POST /settings/profile/logo/delete":                           guardOrg(authz.OrgManage),
	"POST /settings/profile/verify-domain":                         guardOrg(authz.OrgManage),
	"POST /settings/categories":                                    guardOrg(authz.OrgManage),
	"POST /settings/categories/:id/delete":                         guardOrg(authz.OrgManage),
	"GET /orgs/:slug/logo":                                         guardPublic,
	"GET /brand/:org/:file":                                        guardPublic,
	"GET /brand-assets/:org/:name":                                 guardPublic,
	"GET /orgs/:slug/did.json":                                     guardPublic,
	"GET /.well-known/did.json":                                    guardPublic,
	"GET /status-lists/:id":                                        guardPublic,
	"GET /ns/credentials/v1":                                       guardPublic,
	"GET /api-keys":                                                guardOrg(authz.APIKeysManage),
	"POST /api-keys":                                               guardOrg(authz.APIKeysManage),
	"POST /api-keys/:id/revoke":                                    guardOrg(authz.APIKeysManage),
	"GET /audit":                                                   guardOrg(authz.AuditRead),
	"GET /credentials/bulk":                                        guardOrg(authz.CredentialsIssue),
	"POST /credentials/bulk":                                       guardOrg(authz.CredentialsIssue),
	"GET /credentials/bulk/new":                                    guardOrg(authz.CredentialsIssue),
	"GET /credentials/bulk/template.csv":                           guardOrg(authz.CredentialsIssue),
	"GET /credentials/bulk/:id":                                    guardOrg(authz.CredentialsIssue),
	"GET /credentials/bulk/:id/review":                             guardOrg(authz.CredentialsIssue),
	"POST /credentials/bulk/:id/mapping":                           guardOrg(authz.CredentialsIssue),
	"POST /credentials/bulk/:id/issue":                             guardOrg(authz.CredentialsIssue),
	"POST /credentials/bulk/:id/cancel":                            guardOrg(authz.CredentialsIssue),
	"GET /credentials/bulk/:id/progress":                           guardOrg(authz.CredentialsIssue),
	"GET /credentials/bulk/:id/results.csv":                        guardOrg(authz.CredentialsIssue),
	"GET /credentials/bulk/:id/zip":                                guardOrg(authz.CredentialsIssue),
	"POST /credentials/bulk/:id/zip":                               guardOrg(authz.CredentialsIssue),
	"GET /credentials/bulk/:id/certificates.zip":                   guardOrg(authz.CredentialsIssue),
	"GET /members":                                                 guardOrg(authz.MembersManage),
	"GET /members/invite":                                          guardOrg(authz.MembersManage),
	"POST /members/invite":                                         guardOrg(authz.MembersManage),
	"POST /members/:id/role":                                       guardOrg(authz.MembersManage),
	"POST /members/:id/deactivate":                                 guardOrg(authz.MembersManage),
	"POST /members/:id/reactivate":                                 guardOrg(authz.MembersManage),
	"POST /members/:id/resend":                                     guardOrg(authz.MembersManage),
	"GET /schemas":                                                 guardOrg(authz.OrgView),
	"GET /schemas/new":                                             guardOrg(authz.SchemasWrite),
	"POST /schemas":                                                guardOrg(authz.SchemasWrite),
	"POST /schemas/builder":                                        guardOrg(authz.SchemasWrite),
	"POST /schemas/preview":                                        guardOrg(authz.SchemasWrite),
	"GET /schemas/:id":                                             guardOrg(authz.OrgView),
	"GET /schemas/:id/schema.json":                                 guardOrg(authz.OrgView),
	"GET /schemas/:id/edit":                                        guardOrg(authz.SchemasWrite),
	"POST /schemas/:id":                                            guardOrg(authz.SchemasWrite),
	"POST /schemas/:id/activate":                                   guardOrg(authz.SchemasWrite),
	"POST /schemas/:id/deactivate":                                 guardOrg(authz.SchemasWrite),
	"GET /templates":                                               guardOrg(authz.OrgView),
	"GET /templates/new":                                           guardOrg(authz.SchemasWrite),
	"POST /templates":                                              guardOrg(authz.SchemasWrite),
	"GET /templates/:id/edit":                                      guardOrg(authz.SchemasWrite),
	"POST /templates/:id":                                          guardOrg(authz.SchemasWrite),
	"POST /templates/:id/activate":                                 guardOrg(authz.SchemasWrite),
	"POST /templates/:id/deactivate":                               guardOrg(authz.SchemasWrite),
	"GET /templates/:id/update":                                    guardOrg(authz.SchemasWrite),
	"GET /settings/fields":                                         guardOrg(authz.SchemasWrite),
	"POST /settings/fields":                                        guardOrg(authz.OrgManage),
	"GET /settings/fields/:id":                                     guardOrg(authz.OrgManage),
	"POST /settings/fields/:id":                                    guardOrg(authz.OrgManage),
	"POST /settings/fields/:id/delete":                             guardOrg(authz.OrgManage),
	"POST /templates/:id/update":                                   guardOrg(authz.SchemasWrite),
	"GET /admin/audit":                                             guardPlatform,
	"GET /api/v1/organization":                                     guardAPIKey,
	"POST /api/v1/credentials/issue":                               guardScope(store.ScopeCredentialsIssue),
	"POST /api/v1/credentials/status":                              guardScope(store.ScopeCredentialsRevoke),
	"GET /api/v1/credentials":                                      guardScope(store.ScopeCredentialsRead),
	"GET /api/v1/credentials/:publicId":                            guardScope(store.ScopeCredentialsRead),
	"GET /api/v1/approvals":                                        guardScope(store.ScopeCredentialsRead),
	"GET /api/v1/approvals/:id":                                    guardScope(store.ScopeCredentialsRead),
	"GET /api/v1/webhooks":                                         guardScope(store.ScopeWebhooksManage),
	"POST /api/v1/webhooks":                                        guardScope(store.ScopeWebhooksManage),
	"GET /api/v1/webhooks/:id":                                     guardScope(store.ScopeWebhooksManage),
	"PATCH /api/v1/webhooks/:id":                                   guardScope(store.ScopeWebhooksManage),
	"DELETE /api/v1/webhooks/:id":                                  guardScope(store.ScopeWebhooksManage),
	"POST /api/v1/webhooks/:id/rotate":                             guardScope(store.ScopeWebhooksManage),
	"POST /api/v1/webhooks/:id/test":                               guardScope(store.ScopeWebhooksManage),
	"GET /api/v1/webhooks/:id/deliveries":                          guardScope(store.ScopeWebhooksManage),
	"POST /api/v1/webhooks/:id/deliveries/redeliver-failed":        guardScope(store.ScopeWebhooksManage),
	"GET /api/v1/webhooks/:id/deliveries/:deliveryId":              guardScope(store.ScopeWebhooksManage),
	"POST /api/v1/webhooks/:id/deliveries/:deliveryId/redeliver":   guardScope(store.ScopeWebhooksManage),
	"GET /api/v1/marketplace/templates":                            guardAPIKey,
	"GET /api/v1/marketplace/templates/:id":                        guardAPIKey,
	"POST /api/v1/marketplace/templates/:id/adopt":                 guardScope(store.ScopeTemplatesWrite),
	"GET /api/v1/events/schemas":                                   guardPublic,
	"GET /api/v1/events/schemas/:type":                             guardPublic,
	"GET /docs/events":                                             guardPublic,
	"GET /admin/organizations":                                     guardPlatform,
	"GET /admin/organizations/:id":                                 guardPlatform,
	"POST /admin/organizations/:id/approve":                        guardPlatform,
	"GET /admin/organizations/:id/suspend":                         guardPlatform,
	"POST /admin/organizations/:id/suspend":                        guardPlatform,
	"POST /admin/organizations/:id/reactivate":                     guardPlatform,
	"GET /admin/organizations/:id/revoke":                          guardPlatform,
	"POST /admin/organizations/:id/revoke":                         guardPlatform,
	"POST /admin/organizations/:id/verified":                       guardPlatform,
	"GET /admin/marketplace":                                       guardPlatform,
	"POST /admin/marketplace/reviews/:id/hide":                     guardPlatform,
	"POST /admin/marketplace/reviews/:id/restore":                  guardPlatform,
	"POST /admin/marketplace/templates/:id/unlist":                 guardPlatform,
	"POST /admin/marketplace/templates/:id/restore":                guardPlatform,
	"POST /admin/marketplace/reports/:id/dismiss":                  guardPlatform,
	"GET /settings/approvals":                                      guardOrg(authz.ApprovalsManage),
	"POST /settings/approvals/policy":                              guardOrg(authz.ApprovalsManage),
	"GET /settings/approvals/rules/new":                            guardOrg(authz.ApprovalsManage),
	"POST /settings/approvals/rules":                               guardOrg(authz.ApprovalsManage),
	"GET /settings/approvals/rules/:id":                            guardOrg(authz.ApprovalsManage),
	"POST /settings/approvals/rules/:id":                           guardOrg(authz.ApprovalsManage),
	"POST /settings/approvals/rules/:id/activate":                  guardOrg(authz.ApprovalsManage),
	"POST /settings/approvals/rules/:id/deactivate":                guardOrg(authz.ApprovalsManage),
	"POST /settings/approvals/rules/:id/delete":                    guardOrg(authz.ApprovalsManage),
	"GET /settings/approvals/workflows/new":                        guardOrg(authz.ApprovalsManage),
	"POST /settings/approvals/workflows/editor":                    guardOrg(authz.ApprovalsManage),
	"POST /settings/approvals/workflows":                           guardOrg(authz.ApprovalsManage),
	"GET /settings/approvals/workflows/:id":                        guardOrg(authz.ApprovalsManage),
	"POST /settings/approvals/workflows/:id":                       guardOrg(authz.ApprovalsManage),
	"POST /settings/approvals/workflows/:id/activate":              guardOrg(authz.ApprovalsManage),
	"POST /settings/approvals/workflows/:id/deactivate":            guardOrg(authz.ApprovalsManage),
	"POST /settings/approvals/workflows/:id/delete":                guardOrg(authz.ApprovalsManage),
	"GET /account/delegation":                                      guardOrg(authz.ApprovalsDecide),
	"POST /account/delegation":                                     guardOrg(authz.ApprovalsDecide),
	"POST /account/delegation/:id/delete":                          guardOrg(authz.ApprovalsDecide),
	"GET /settings/branding":                                       guardOrg(authz.BrandingManage),
	"POST /settings/branding":                                      guardOrg(authz.BrandingManage),
	"POST /settings/branding/check":                                guardOrg(authz.BrandingManage),
	"GET /settings/branding/preview":                               guardOrg(authz.BrandingManage),
	"POST /settings/branding/preview":                              guardOrg(authz.BrandingManage),
	"GET /settings/branding/email-preview":                         guardOrg(authz.BrandingManage),
	"POST /settings/branding/email-preview":                        guardOrg(authz.BrandingManage),
	"POST /settings/branding/revert":                               guardOrg(authz.BrandingManage),
	"POST /settings/branding/favicon":                              guardOrg(authz.BrandingManage),
	"POST /settings/branding/favicon/delete":                       guardOrg(authz.BrandingManage),
	"GET /settings/branding/images":                                guardOrg(authz.BrandingManage),
	"POST /settings/branding/images":                               guardOrg(authz.BrandingManage),
	"POST /settings/branding/images/:name/delete":                  guardOrg(authz.BrandingManage),
	"GET /settings/webhooks":                                       guardOrg(authz.WebhooksManage),
	"GET /approvals":                                               guardOrg(authz.ApprovalsDecide),
	"GET /approvals/count":                                         guardOrg(authz.ApprovalsDecide),
	"POST /approvals/approve":                                      guardOrg(authz.ApprovalsDecide),
	"GET /approvals/:id":                                           guardOrg(authz.ApprovalsDecide),
	"GET /approvals/:id/sample":                                    guardOrg(authz.ApprovalsDecide),
	"POST /approvals/:id/approve":                                  guardOrg(authz.ApprovalsDecide),
	"POST /approvals/:id/reject":                                   guardOrg(authz.ApprovalsDecide),
	"GET /approvals/resources/:id":                                 guardOrg(authz.ApprovalsDecide),
	"POST /approvals/resources/:id/approve":                        guardOrg(authz.ApprovalsDecide),
	"POST /approvals/resources/:id/reject":                         guardOrg(authz.ApprovalsDecide),
	"POST /approvals/status-changes/:id/approve":                   guardOrg(authz.ApprovalsDecide),
	"POST /approvals/status-changes/:id/reject":                    guardOrg(authz.ApprovalsDecide),
	"GET /settings/webhooks/new":                                   guardOrg(authz.WebhooksManage),
	"POST /settings/webhooks":                                      guardOrg(authz.WebhooksManage),
	"GET /settings/webhooks/:id":                                   guardOrg(authz.WebhooksManage),
	"POST /settings/webhooks/:id":                                  guardOrg(authz.WebhooksManage),
	"POST /settings/webhooks/:id/rotate":                           guardOrg(authz.WebhooksManage),
	"POST /settings/webhooks/:id/delete":                           guardOrg(authz.WebhooksManage),
	"POST /settings/webhooks/:id/test":                             guardOrg(authz.WebhooksManage),
	"GET /settings/webhooks/:id/deliveries":                        guardOrg(authz.WebhooksManage),
	"GET /settings/webhooks/:id/deliveries/:deliveryId":            guardOrg(authz.WebhooksManage),
	"POST /settings/webhooks/:id/deliveries/:deliveryId/redeliver": guardOrg(authz.WebhooksManage),
	"POST /settings/webhooks/:id/redeliver-failed":                 guardOrg(authz.WebhooksManage),
}

func registered(env *webtest.Env) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range env.App.GetRoutes(true) {
		if r.Method == "HEAD" {
			continue
		}
		k := r.Method + " " + r.Path
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Every route in web/routes.go has a declared guard here, and every
// declared route exists.
func TestEveryRouteIsGuarded(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	got := registered(env)
	for _, r := range got {
		if _, ok := routeGuards[r]; !ok {
			t.Errorf("route %s has no line in routeGuards: declare its guard and let the table test it", r)
		}
	}
	for r := range routeGuards {
		found := false
		for _, g := range got {
			found = found || g == r
		}
		if !found {
			t.Errorf("routeGuards lists %s, which is not registered", r)
		}
	}
}

// Each route's guard holds for every role, an anonymous visitor and a
// platform operator without an organization. (Objects of another
// organization — 404 — are tested per area, where real ids exist.)
func TestRouteGuardsForEveryRole(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	a := env.Org("alpha")
	actors := map[string]*webtest.Client{"anonymous": env.Client()}
	roles := map[string]store.Role{}
	super := env.User(store.RoleSuperAdmin, nil)
	actors["super_admin"], roles["super_admin"] = env.Client(), store.RoleSuperAdmin
	actors["super_admin"].Login(super)
	for _, r := range []store.Role{store.RoleAdmin, store.RoleIssuer, store.RoleReviewer, store.RoleVerifier, store.RoleRecipient} {
		cl := env.Client()
		cl.Login(env.User(r, a))
		actors[string(r)], roles[string(r)] = cl, r
	}
	actors["anonymous"].Get("/login") // a CSRF token, as any visitor has
	_, noScopes := createKey(t, env, a, nil)
	_, allScopes := createKey(t, env, a, nil, store.APIScopes()...)

	names := []string{"anonymous", "super_admin", "admin", "issuer", "reviewer", "verifier", "recipient"}
	for _, route := range registered(env) {
		g := routeGuards[route]
		method, path, _ := strings.Cut(route, " ")
		target := strings.NewReplacer(":id", "0190a0a0-0000-7000-8000-000000000000", ":token", "unknown-token", ":slug", "alpha", ":publicId", "unknown", ":deliveryId", "0190a0a0-0000-7000-8000-000000000001",
			":type", "credential.issued", "*", "css/app.css").Replace(path)
		for _, who := range names {
			if route == "POST /logout" && who != "anonymous" {
				continue // it would sign the actor out for the rest of the table
			}
			cl := actors[who]
			var r *webtest.Response
			switch method {
			case "GET":
				r = cl.Get(target)
			case "POST":
				r = cl.Post(target, nil)
			default:
				r = cl.Do(method, target, nil, map[string]string{"X-CSRF-Token": cl.CSRF()})
			}
			if route == "POST /logout" {
				cl.Get("/login") // signing out replaced the CSRF token
			}
			toLogin := r.Status == 303 && strings.HasPrefix(r.Location(), "/login")
			want := ""
			switch {
			case g.kind == "public":
				if r.Status >= 500 || toLogin && path != "/login/mfa" && path != "/logout" {
					want = "an answer (public route)"
				}
			case g.kind == "apikey":
				if r.Status != 401 {
					want = "401 (no API key)"
				}
			case who == "anonymous":
				if !toLogin {
					want = "303 to /login"
				}
			case !authz.Can(roles[who], g.perm):
				if r.Status != 403 {
					want = "403"
				}
			case g.kind == "org" && who == "super_admin":
				if r.Status != 404 {
					want = "404 (no organization)"
				}
			default:
				if r.Status == 403 || toLogin || r.Status >= 500 {
					want = "through the guard"
				}
			}
			if want != "" {
				t.Errorf("%s as %s: %d %s, want %s", route, who, r.Status, r.Location(), want)
			}
		}
		if g.kind == "apikey" {
			// A key without scopes passes only where none is needed; a
			// key with every scope passes everywhere.
			for _, k := range []struct {
				key  string
				pass bool
			}{{noScopes, g.scope == ""}, {allScopes, true}} {
				r := env.Client().Do(method, target, nil, map[string]string{"Authorization": "Bearer " + k.key})
				if passed := r.Status != 401 && r.Status != 403; passed != k.pass || r.Status >= 500 {
					t.Errorf("%s with a key (through the guard: %v): %d %s", route, k.pass, r.Status, r.Body)
				}
			}
		}
	}
}

// BenchmarkLogin measures a whole sign-in request (form parsing, user
// lookup, bcrypt at cost 12, session insert, audit entry):
// go test -run '^$' -bench Login ./web/
func BenchmarkLogin(b *testing.B) {
	env := webtest.New(b, store.SQLite)
	u := env.User(store.RoleAdmin, env.Org("bench"))
	cl := env.Client()
	cl.Get("/login")
	body := fmt.Sprintf("email=%s&password=%s&csrf_token=%s", u.Email, strings.ReplaceAll(webtest.Password, " ", "+"), cl.CSRF())
	cookie := "tc_csrf=" + cl.Cookie("tc_csrf")
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/login", strings.NewReader(body))
		req.Host = "localhost" // not an unknown host (httptest says example.com), which custom domain routing answers 404
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", cookie)
		res, err := env.App.Test(req, -1)
		if err != nil || res.StatusCode != 303 {
			b.Fatalf("login: %v %v", res.StatusCode, err)
		}
		res.Body.Close()
	}
}
