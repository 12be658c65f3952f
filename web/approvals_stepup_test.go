package web_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/approval"
	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

func setStepUp(t *testing.T, env *webtest.Env, org *store.Organization, s store.StepUp) {
	t.Helper()
	if _, err := env.DB.Scoped(org.ID).SaveApprovalPolicy(context.Background(), store.ApprovalPolicy{StepUp: s}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
}

// Step-up by password: the decision panel and "Approve selected" ask for
// it; no password, or a wrong one, is 422 with the sentence next to the
// field and nothing decided (a wrong one counts as a failed sign-in, and
// enough of them lock the account); the right one approves. The door
// itself refuses an approval without a step-up, so no path skips it.
func TestApprovalStepUpPassword(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		ctx := context.Background()
		org := env.Org("acme")
		tpl := degreeTemplate(t, env, org)
		requireApprovals(t, env, tpl.SchemaID, 2)
		setStepUp(t, env, org, store.StepUpPassword)
		first := pendingDegree(t, env, org, tpl, "Ada Lovelace")
		second := pendingDegree(t, env, org, tpl, "Grace Hopper")
		u := env.User(store.RoleReviewer, org)
		cl := env.Client()
		cl.Login(u)
		sc := env.DB.Scoped(org.ID)
		decided := func(reqID string) int {
			ds, err := sc.ApprovalDecisions(ctx, reqID)
			if err != nil {
				t.Fatal(err)
			}
			return len(ds)
		}

		if r := cl.Get("/approvals/" + first); r.Status != 200 || !r.Has("field-step_up_password") {
			t.Fatalf("the decision panel does not ask for the password: %d\n%s", r.Status, r.Body)
		}
		if r := cl.Get("/approvals"); !r.Has("field-step_up_password") {
			t.Fatalf("Approve selected does not ask for the password:\n%s", r.Body)
		}
		r := cl.Htmx("POST", "/approvals/"+first+"/approve", url.Values{})
		if r.Status != 422 || !strings.Contains(r.Body, "Enter your password to approve.") || !r.Has("error-step_up_password") {
			t.Fatalf("approve without the password: %d %s", r.Status, r.Body)
		}
		r = cl.Htmx("POST", "/approvals/"+first+"/approve", url.Values{"step_up_password": {"not it"}})
		if r.Status != 422 || !strings.Contains(r.Body, "This is not your password.") {
			t.Fatalf("approve with a wrong password: %d %s", r.Status, r.Body)
		}
		if n := decided(first); n != 0 {
			t.Fatalf("%d decisions after refused step-ups", n)
		}
		if got := user(t, env, u.ID); got.FailedLogins != 1 || audits(t, env, "approval.step_up_failed") != 1 {
			t.Errorf("a wrong step-up is not counted: %d failures, %d audits", got.FailedLogins, audits(t, env, "approval.step_up_failed"))
		}
		r = cl.Htmx("POST", "/approvals/"+first+"/approve", url.Values{"step_up_password": {webtest.Password}})
		if r.Status != 200 || !strings.Contains(r.Body, "More approvals are needed") || decided(first) != 1 {
			t.Fatalf("approve with the password: %d %s", r.Status, r.Body)
		}
		if got := user(t, env, u.ID); got.FailedLogins != 0 {
			t.Errorf("a right step-up leaves %d failures counted", got.FailedLogins)
		}
		// Without JavaScript the page comes back with the error.
		if r := cl.Post("/approvals/"+second+"/approve", url.Values{}); r.Status != 422 || !r.Has("approval-page") || !r.Has("error-step_up_password") {
			t.Errorf("plain form without the password: %d", r.Status)
		}

		// Approve selected: one step-up for the selection.
		r = cl.Htmx("POST", "/approvals/approve", url.Values{"id": {second}})
		if r.Status != 422 || !r.Has("error-step_up_password") || decided(second) != 0 {
			t.Fatalf("approve selected without the password: %d %s", r.Status, r.Body)
		}
		r = cl.Htmx("POST", "/approvals/approve", url.Values{"id": {second}, "step_up_password": {webtest.Password}})
		if r.Status != 200 || !strings.Contains(r.Body, "1 credential approved.") || decided(second) != 1 {
			t.Fatalf("approve selected with the password: %d %s", r.Status, r.Body)
		}

		// The door: no step-up, or another person's, is refused.
		other := env.User(store.RoleReviewer, org)
		if _, err := env.Services.Approvals.Approve(ctx, sc, first, other.ID, store.Actor{UserID: &other.ID}); !errors.Is(err, approval.ErrStepUpRequired) {
			t.Errorf("approval without a step-up through the door: %v", err)
		}
		ok, err := env.Services.Approvals.Confirm(ctx, sc, u.ID, approval.StepUp{Password: webtest.Password}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Services.Approvals.ApproveConfirmed(ctx, sc, first, ok, store.Actor{}); !errors.Is(err, store.ErrAlreadyDecided) {
			t.Errorf("a confirmed approval still follows the store's rules: %v", err)
		}
		// A policy changed to codes after the password was checked: refused.
		setStepUp(t, env, org, store.StepUpTOTP)
		if _, err := env.Services.Approvals.ApproveConfirmed(ctx, sc, second, ok, store.Actor{}); !errors.Is(err, approval.ErrStepUpRequired) {
			t.Errorf("a password step-up under a code policy: %v", err)
		}
		setStepUp(t, env, org, store.StepUpPassword)

		// Wrong passwords lock the account as wrong sign-ins do.
		locker := env.Client()
		victim := env.User(store.RoleReviewer, org)
		locker.Login(victim)
		for range store.MaxFailedLogins {
			r = locker.Htmx("POST", "/approvals/"+second+"/approve", url.Values{"step_up_password": {"guess"}})
		}
		if r.Status != 422 || !strings.Contains(r.Body, "locked") {
			t.Errorf("after %d wrong passwords: %d %s", store.MaxFailedLogins, r.Status, r.Body)
		}
		r = locker.Htmx("POST", "/approvals/"+second+"/approve", url.Values{"step_up_password": {webtest.Password}})
		if r.Status != 422 || !strings.Contains(r.Body, "locked") || decided(second) != 1 {
			t.Errorf("the right password on a locked account: %d %s", r.Status, r.Body)
		}
	})
}

// Step-up by authenticator code: an approver without a second factor is
// told to turn it on; a wrong code is 422; the right code approves once
// (the same code again is refused, as at sign-in).
func TestApprovalStepUpTOTP(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		tpl := degreeTemplate(t, env, org)
		requireApprovals(t, env, tpl.SchemaID, 2)
		setStepUp(t, env, org, store.StepUpTOTP)
		first := pendingDegree(t, env, org, tpl, "Ada Lovelace")
		second := pendingDegree(t, env, org, tpl, "Grace Hopper")

		plain := env.Client()
		plain.Login(env.User(store.RoleReviewer, org))
		if r := plain.Get("/approvals/" + first); !r.Has("field-step_up_code") {
			t.Fatalf("the decision panel does not ask for a code:\n%s", r.Body)
		}
		r := plain.Htmx("POST", "/approvals/"+first+"/approve", url.Values{"step_up_code": {"123456"}})
		if r.Status != 422 || !strings.Contains(r.Body, "turn on two-factor authentication") {
			t.Fatalf("approver without a second factor: %d %s", r.Status, r.Body)
		}

		u := env.User(store.RoleReviewer, org)
		cl := env.Client()
		cl.Login(u) // before the second factor: Login signs in with the password only
		secret, _ := enrol(t, env, u)
		now := code(t, secret, 0)
		r = cl.Htmx("POST", "/approvals/"+first+"/approve", url.Values{"step_up_code": {wrong(now)}})
		if r.Status != 422 || !strings.Contains(r.Body, "The code is wrong") || !r.Has("error-step_up_code") {
			t.Fatalf("a wrong code: %d %s", r.Status, r.Body)
		}
		r = cl.Htmx("POST", "/approvals/"+first+"/approve", url.Values{"step_up_code": {now}})
		if r.Status != 200 || !strings.Contains(r.Body, "More approvals are needed") {
			t.Fatalf("the right code: %d %s", r.Status, r.Body)
		}
		r = cl.Htmx("POST", "/approvals/"+second+"/approve", url.Values{"step_up_code": {now}})
		if r.Status != 422 || !strings.Contains(r.Body, "already used") {
			t.Fatalf("the same code again: %d %s", r.Status, r.Body)
		}
		r = cl.Htmx("POST", "/approvals/approve", url.Values{"id": {second}, "step_up_code": {code(t, secret, 30*time.Second)}})
		if r.Status != 200 || !strings.Contains(r.Body, "1 credential approved.") {
			t.Fatalf("approve selected with the next code: %d %s", r.Status, r.Body)
		}
	})
}

// The approve routes refuse a client whose approvals were refused too
// often in a minute (the sign-in limit, counted per IP; successful
// approvals do not count): guessing a step-up password is no faster from
// the approve button than from the sign-in form, before the account's own
// lock-out.
func TestApprovalStepUpRateLimit(t *testing.T) {
	env := webtest.New(t, store.SQLite, webtest.WithConfig(func(c *config.Config) { c.LoginRateLimit = 3 }))
	org := env.Org("acme")
	tpl := degreeTemplate(t, env, org)
	requireApprovals(t, env, tpl.SchemaID, 2)
	setStepUp(t, env, org, store.StepUpPassword)
	first := pendingDegree(t, env, org, tpl, "Ada Lovelace")
	second := pendingDegree(t, env, org, tpl, "Grace Hopper")
	u := env.User(store.RoleReviewer, org)
	cl := env.Client()
	cl.Login(u)
	// Successful approvals are not counted.
	for _, id := range []string{first, second} {
		if r := cl.Htmx("POST", "/approvals/"+id+"/approve", url.Values{"step_up_password": {webtest.Password}}); r.Status != 200 {
			t.Fatalf("approval: %d %s", r.Status, r.Body)
		}
	}
	third := pendingDegree(t, env, org, tpl, "Alan Turing")
	for i := range 3 {
		if r := cl.Htmx("POST", "/approvals/"+third+"/approve", url.Values{"step_up_password": {"guess"}}); r.Status != 422 {
			t.Fatalf("wrong password %d: %d", i+1, r.Status)
		}
	}
	if r := cl.Htmx("POST", "/approvals/approve", url.Values{"id": {third}, "step_up_password": {webtest.Password}}); r.Status != 429 {
		t.Fatalf("after 3 refusals in a minute: %d", r.Status)
	}
	if got := user(t, env, u.ID); got.LockedUntil != nil {
		t.Errorf("the account is locked after 3 wrong passwords")
	}
}
