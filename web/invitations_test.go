package web_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/mailtest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

const newPassword = "a brand new and unusual passphrase"

// An admin invites by email through a real SMTP server; the invitee opens
// the link from the email, joins and is signed in; the link works once;
// an expired link is refused; resending replaces the link.
func TestInvitationEndToEnd(t *testing.T) {
	srv := mailtest.Start(t)
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d, webtest.WithSMTP(srv.SMTPURL()))
		acme := env.Org("acme")
		admin := env.User(store.RoleAdmin, acme)
		adm := env.Client()
		adm.Login(admin)

		// Validation, field by field.
		for _, bad := range []struct{ email, role, field string }{
			{"not-an-email", "issuer", "email"},
			{"x@acme.example", "super_admin", "role"},
			{"x@acme.example", "", "role"},
			{strings.ToUpper(admin.Email), "issuer", "email"}, // has an account already
		} {
			res := adm.Post("/members/invite", url.Values{"email": {bad.email}, "role": {bad.role}})
			if res.Status != 422 || !res.Has("error-"+bad.field) {
				t.Errorf("invite %q as %q: %d, error on %s shown %v", bad.email, bad.role, res.Status, bad.field, res.Has("error-"+bad.field))
			}
		}

		to := mailtest.Address(t)
		res := adm.Post("/members/invite", url.Values{"email": {to}, "role": {"issuer"}})
		if res.Status != 303 || res.Location() != "/members?q="+url.QueryEscape(to) {
			t.Fatalf("invite: %d → %q\n%.500s", res.Status, res.Location(), res.Body)
		}
		page := adm.Get(res.Location())
		if !page.Has("flash-success") || !strings.Contains(rowOf(page.Body, to), `data-testid="status-invited"`) {
			t.Fatalf("after inviting: flash %v, row %q", page.Has("flash-success"), rowOf(page.Body, to))
		}
		msg := srv.WaitFor(t, to, waitMail)
		if !strings.Contains(msg.Subject, "Acme Org") || !strings.Contains(msg.Text, "as Issuer") {
			t.Errorf("email: %q\n%s", msg.Subject, msg.Text)
		}
		link := linkIn(t, env, msg.Text, "/invitations/")
		invitee := scalar[string](t, env, "SELECT id FROM users WHERE email = ?", to)
		if v := scalar[bool](t, env, "SELECT email_verified FROM users WHERE id = ?", invitee); v {
			t.Error("an invited member's email is verified before they accept")
		}

		// The invitee's browser.
		cl := env.Client()
		res = cl.Get(link)
		if res.Status != 200 || !strings.Contains(res.Body, "Join Acme Org as Issuer") || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("invitation page: %d\n%.500s", res.Status, res.Body)
		}
		for _, bad := range []struct {
			form  url.Values
			field string
		}{
			{url.Values{"name": {""}, "password": {newPassword}, "confirm": {newPassword}}, "name"},
			{url.Values{"name": {"Nia"}, "password": {"short"}, "confirm": {"short"}}, "password"},
			{url.Values{"name": {"Nia"}, "password": {to}, "confirm": {to}}, "password"},
			{url.Values{"name": {"Nia"}, "password": {newPassword}, "confirm": {"something else"}}, "confirm"},
		} {
			if res := cl.Post(link, bad.form); res.Status != 422 || !res.Has("error-"+bad.field) {
				t.Errorf("accept with a bad %s: %d", bad.field, res.Status)
			}
		}
		res = cl.Post(link, url.Values{"name": {"Nia Newcomer"}, "password": {newPassword}, "confirm": {newPassword}})
		if res.Status != 303 || res.Location() != "/" {
			t.Fatalf("accept: %d → %q\n%.500s", res.Status, res.Location(), res.Body)
		}
		home := cl.Get("/")
		if !home.Has("dashboard") || !strings.Contains(home.Body, "Welcome, Nia Newcomer") || !strings.Contains(home.Body, to) {
			t.Fatalf("after accepting, not signed in:\n%.800s", home.Body)
		}
		if v := scalar[bool](t, env, "SELECT email_verified FROM users WHERE id = ?", invitee); !v {
			t.Error("email not verified after accepting")
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM audit_logs WHERE action = 'invitation.accepted' AND user_id = ? AND organization_id = ?", invitee, acme.ID); n != 1 {
			t.Errorf("acceptance audited %d times", n)
		}
		if n := scalar[int](t, env, "SELECT count(*) FROM audit_logs WHERE action = 'member.invited' AND user_id = ? AND resource_id = ?", admin.ID, invitee); n != 1 {
			t.Errorf("invitation audited %d times", n)
		}
		// Single use.
		again := env.Client()
		if res := again.Get(link); res.Status != 410 || !res.Has("invitation-invalid") {
			t.Errorf("the link a second time: %d", res.Status)
		}
		if res := again.Post(link, url.Values{"name": {"Mallory"}, "password": {newPassword}, "confirm": {newPassword}}); res.Status != 410 {
			t.Errorf("accepting a used link: %d", res.Status)
		}
		// The admin sees the member active.
		if row := rowOf(adm.Get("/members").Body, to); !strings.Contains(row, `data-testid="status-active"`) || !strings.Contains(row, "Nia Newcomer") {
			t.Errorf("the joined member's row: %s", row)
		}

		// An expired link is refused, and the row says so; resending
		// replaces it with a working one.
		late := mailtest.Address(t)
		adm.Post("/members/invite", url.Values{"email": {late}, "role": {"reviewer"}})
		oldLink := linkIn(t, env, srv.WaitFor(t, late, waitMail).Text, "/invitations/")
		lateID := scalar[string](t, env, "SELECT id FROM users WHERE email = ?", late)
		if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), "UPDATE user_tokens SET expires_at = ? WHERE user_id = ?"), time.Now().Add(-time.Minute).UTC(), lateID); err != nil {
			t.Fatal(err)
		}
		if res := env.Client().Get(oldLink); res.Status != 410 || !res.Has("invitation-invalid") {
			t.Fatalf("an expired link: %d", res.Status)
		}
		if row := rowOf(adm.Get("/members").Body, late); !strings.Contains(row, `data-testid="status-invitation-expired"`) {
			t.Errorf("the expired invitation's row: %s", row)
		}
		res = adm.Htmx("POST", "/members/"+lateID+"/resend", nil)
		if res.Status != 200 || !res.Has("member-notice") || !res.Has("status-invited") {
			t.Fatalf("resend: %d\n%s", res.Status, res.Body)
		}
		var newLink string
		deadline := time.Now().Add(waitMail)
		for newLink == "" || newLink == oldLink {
			if time.Now().After(deadline) {
				t.Fatal("no second invitation email")
			}
			newLink = linkIn(t, env, srv.WaitFor(t, late, waitMail).Text, "/invitations/")
		}
		if res := env.Client().Get(newLink); res.Status != 200 || !strings.Contains(res.Body, "Join Acme Org as Reviewer") {
			t.Errorf("the resent link: %d", res.Status)
		}
		if res := env.Client().Get(oldLink); res.Status != 410 {
			t.Errorf("the replaced link: %d", res.Status)
		}
		// Nothing to resend to a member who joined.
		if res := adm.Htmx("POST", "/members/"+invitee+"/resend", nil); res.Status != 422 || !res.Has("member-error") {
			t.Errorf("resending to a member who joined: %d", res.Status)
		}
		// Deactivating an invited member kills their link.
		adm.Htmx("POST", "/members/"+lateID+"/deactivate", nil)
		if res := env.Client().Get(newLink); res.Status != 410 {
			t.Errorf("the link of a deactivated invitee: %d", res.Status)
		}
	})
}

// refusingMailer is a mail server that does not accept the message.
type refusingMailer struct{}

func (refusingMailer) Send(context.Context, mail.Message) error {
	return errors.New("550 mailbox unavailable")
}

// Without email (none configured, or the server refused the message) the
// invitation is kept and the admin gets the link to pass on, once: copied
// from the page, it opens the invitation; only its hash is stored.
// Resending makes a new link (shown in the row) and the old one stops
// working.
func TestInvitationWithoutEmail(t *testing.T) {
	for name, m := range map[string]mail.Mailer{"not configured": mail.Unconfigured{}, "refused": refusingMailer{}} {
		t.Run(name, func(t *testing.T) {
			env := webtest.New(t, store.SQLite, webtest.WithMailer(m))
			acme := env.Org("acme")
			adm := env.Client()
			adm.Login(env.User(store.RoleAdmin, acme))
			res := adm.Post("/members/invite", url.Values{"email": {"offline@acme.example"}, "role": {"verifier"}})
			if res.Status != 201 || !res.Has("invitation-link-page") || !res.Has("invitation-not-sent") || !res.Has("copy-invitation-link") {
				t.Fatalf("invite without email: %d\n%.3000s", res.Status, res.Body)
			}
			if strings.Contains(res.Body, "Invitation sent") {
				t.Error("the page says the invitation was sent")
			}
			if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("the page with the link has Cache-Control %q", cc)
			}
			link := invitationLink.FindString(res.Body)
			if link == "" {
				t.Fatalf("no invitation link on the page:\n%.3000s", res.Body)
			}
			token := strings.TrimPrefix(link, "/invitations/")
			id := scalar[string](t, env, "SELECT id FROM users WHERE email = 'offline@acme.example'")
			if n := scalar[int](t, env, "SELECT count(*) FROM user_tokens WHERE user_id = ? AND token_hash = ?", id, auth.HashToken(token)); n != 1 {
				t.Errorf("the link's token is not stored as its hash (%d rows)", n)
			}
			if n := scalar[int](t, env, "SELECT count(*) FROM user_tokens WHERE token_hash = ?", token); n != 0 {
				t.Error("the token itself is stored")
			}
			if r := env.Client().Get(link); r.Status != 200 {
				t.Fatalf("the copied link: %d", r.Status)
			}
			// Shown once: the members page does not show it again.
			if page := adm.Get("/members"); strings.Contains(page.Body, token) {
				t.Error("the members page shows the link again")
			}

			res = adm.Htmx("POST", "/members/"+id+"/resend", nil)
			fresh := invitationLink.FindString(res.Body)
			if res.Status != 200 || !res.Has("member-error") || !res.Has("copy-invitation-link") || fresh == "" || fresh == link {
				t.Fatalf("resend without email: %d, link %q\n%s", res.Status, fresh, res.Body)
			}
			if r := env.Client().Get(link); r.Status == 200 {
				t.Error("the first link still works after a resend")
			}
			if r := env.Client().Get(fresh); r.Status != 200 {
				t.Errorf("the new link: %d", r.Status)
			}
			if n := scalar[int](t, env, "SELECT count(*) FROM user_tokens WHERE user_id = ? AND used_at IS NULL", id); n != 1 {
				t.Errorf("%d live links after resending, want 1", n)
			}
		})
	}
}

var invitationLink = regexp.MustCompile(`/invitations/[A-Za-z0-9_-]{20,}`)
