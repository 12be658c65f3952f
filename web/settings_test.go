package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

func TestRequireMFA(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org, other := env.Org("acme"), env.Org("other")
		admin, member, otherAdmin := env.User(store.RoleAdmin, org), env.User(store.RoleIssuer, org), env.User(store.RoleAdmin, other)
		cl := env.Client()
		cl.Login(admin)

		r := cl.Get("/settings/security")
		if r.Status != 200 || !r.Has("security-form") || strings.Contains(r.Body, "checked") || !r.Has("self-mfa-off") {
			t.Fatalf("security page: %d", r.Status)
		}
		if r := cl.Post("/settings/security", url.Values{"require_mfa": {"maybe"}}); r.Status != 422 || !r.Has("error-require_mfa") {
			t.Fatalf("a bad value: %d", r.Status)
		}
		// Another organization's admin changes only their own.
		oc := env.Client()
		oc.Login(otherAdmin)
		if r := oc.Post("/settings/security", url.Values{"require_mfa": {"on"}}); r.Status != 303 {
			t.Fatalf("other admin: %d", r.Status)
		}
		if o, _ := env.DB.OrganizationByID(context.Background(), org.ID); o.RequireMFA {
			t.Fatal("another organization's admin changed this one")
		}

		r = cl.Post("/settings/security", url.Values{"require_mfa": {"on"}})
		if r.Status != 303 || r.Location() != "/settings/security" {
			t.Fatalf("require: %d → %q", r.Status, r.Location())
		}
		if o, _ := env.DB.OrganizationByID(context.Background(), org.ID); !o.RequireMFA || audits(t, env, "org.require_mfa_changed") != 2 {
			t.Fatal("require_mfa not stored or not audited")
		}
		// Now the admin, who has no second factor, is sent to set one up;
		// their own account pages stay open.
		r = cl.Get("/settings/security")
		if r.Status != 303 || r.Location() != "/account/mfa" {
			t.Fatalf("guarded page without MFA: %d → %q", r.Status, r.Location())
		}
		if r := cl.Get("/account/mfa"); r.Status != 200 || !r.Has("mfa-required") || !strings.Contains(r.Body, "requires two-factor") {
			t.Fatalf("mfa page: %d", r.Status)
		}
		mc := env.Client()
		mc.Login(member)
		if r := mc.Get("/account/sessions"); r.Status != 200 {
			t.Fatalf("a member's own account pages under require_mfa: %d", r.Status)
		}
		// After enrolling, the admin gets through.
		secret := strings.ReplaceAll(secretText.FindStringSubmatch(cl.Post("/account/mfa/setup", nil).Body)[1], " ", "")
		if r := cl.Post("/account/mfa/confirm", url.Values{"code": {code(t, secret, 0)}}); r.Status != 200 {
			t.Fatalf("confirm: %d", r.Status)
		}
		if r := cl.Get("/settings/security"); r.Status != 200 || !strings.Contains(r.Body, "checked") || r.Has("self-mfa-off") {
			t.Fatalf("security page after enrolling: %d", r.Status)
		}
	})
}
