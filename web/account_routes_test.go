package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// TestAccountRoutesByRole is the route × role table of the account,
// second-factor and security settings routes. Columns: super_admin
// (platform), admin, issuer, reviewer, verifier, recipient (organization
// A), anonymous, and organization B's admin acting on A's ids.
func TestAccountRoutesByRole(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		orgA, orgB := env.Org("alpha"), env.Org("beta")
		roles := []string{"super_admin", "admin", "issuer", "reviewer", "verifier", "recipient", "anonymous", "admin_of_b"}
		clients := make([]*webtest.Client, len(roles))
		var adminA *store.User
		for i, r := range roles {
			clients[i] = env.Client()
			var u *store.User
			switch r {
			case "anonymous":
				continue
			case "super_admin":
				u = env.User(store.RoleSuperAdmin, nil)
			case "admin_of_b":
				u = env.User(store.RoleAdmin, orgB)
			default:
				u = env.User(store.Role(r), orgA)
			}
			if r == "admin" {
				adminA = u
			}
			clients[i].Login(u)
		}
		// One of organization A's admin's sessions, on another device.
		now := time.Now().UTC()
		aSession := &store.UserSession{UserID: adminA.ID, SessionToken: strings.Repeat("a", 64), ExpiresAt: now.Add(time.Hour), LastSeenAt: &now}
		if err := env.DB.CreateSession(context.Background(), aSession); err != nil {
			t.Fatal(err)
		}
		revokeA := "/account/sessions/" + aSession.ID + "/revoke"

		type want [8]int
		for _, tc := range []struct {
			method, path string
			form         url.Values
			want         want
		}{
			//                                                              super admin issuer reviewer verifier recipient anon B-admin
			{"GET", "/account/password", nil, want{200, 200, 200, 200, 200, 200, 303, 200}},
			{"POST", "/account/password", url.Values{}, want{422, 422, 422, 422, 422, 422, 303, 422}},
			{"GET", "/account/sessions", nil, want{200, 200, 200, 200, 200, 200, 303, 200}},
			{"POST", "/account/sessions/revoke-others", nil, want{303, 303, 303, 303, 303, 303, 303, 303}},
			{"POST", revokeA, nil, want{404, 303, 404, 404, 404, 404, 303, 404}},
			{"GET", "/account/mfa", nil, want{200, 200, 200, 200, 200, 200, 303, 200}},
			{"GET", "/account/mfa/qr.png", nil, want{404, 404, 404, 404, 404, 404, 303, 404}},
			{"POST", "/account/mfa/setup", nil, want{200, 200, 200, 200, 200, 200, 303, 200}},
			{"GET", "/account/mfa/qr.png", nil, want{200, 200, 200, 200, 200, 200, 303, 200}},
			{"POST", "/account/mfa/confirm", url.Values{"code": {""}}, want{422, 422, 422, 422, 422, 422, 303, 422}},
			{"POST", "/account/mfa/disable", url.Values{}, want{303, 303, 303, 303, 303, 303, 303, 303}},
			{"POST", "/account/mfa/recovery-codes", url.Values{}, want{303, 303, 303, 303, 303, 303, 303, 303}},
			{"GET", "/login/mfa", nil, want{303, 303, 303, 303, 303, 303, 303, 303}},
			{"POST", "/login/mfa", url.Values{"code": {"123456"}}, want{303, 303, 303, 303, 303, 303, 303, 303}},
			{"GET", "/settings/security", nil, want{404, 200, 403, 403, 403, 403, 303, 200}},
			{"POST", "/settings/security", url.Values{}, want{404, 303, 403, 403, 403, 403, 303, 303}},
		} {
			for i, role := range roles {
				cl := clients[i]
				var r *webtest.Response
				if tc.method == "GET" {
					r = cl.Get(tc.path)
				} else {
					r = cl.Post(tc.path, tc.form)
				}
				if r.Status != tc.want[i] {
					t.Errorf("%s %s as %s: %d, want %d", tc.method, tc.path, role, r.Status, tc.want[i])
				}
				if role == "anonymous" && !strings.HasPrefix(r.Location(), "/login") {
					t.Errorf("%s %s as anonymous: → %q, want the sign-in page", tc.method, tc.path, r.Location())
				}
			}
		}
		for i, role := range roles {
			if role != "anonymous" && !signedIn(clients[i]) {
				t.Errorf("%s was signed out by the table", role)
			}
		}
		if s, err := env.DB.Account(adminA.ID).Session(context.Background(), aSession.ID); err != nil || s.RevokedAt == nil {
			t.Fatalf("organization A's admin could not revoke their own session: %v", err)
		}
	})
}
