package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/trustcred/trustcred/internal/mfa"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// enrol turns MFA on for u through the store, returning the secret and the
// recovery codes.
func enrol(t *testing.T, env *webtest.Env, u *store.User) (string, []string) {
	t.Helper()
	key, err := mfa.NewKey("TrustCred", u.Email)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := env.Keys.Seal([]byte(key.Secret), "users.mfa_secret_encrypted")
	if err != nil {
		t.Fatal(err)
	}
	codes, hashes := mfa.NewRecoveryCodes(mfa.RecoveryCodes)
	if err := env.DB.Account(u.ID).EnableMFA(context.Background(), sealed, 0, hashes, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return key.Secret, codes
}

// code is the TOTP code of secret at now+offset.
func code(t *testing.T, secret string, offset time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, time.Now().Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrong is a well-formed code that is not c.
func wrong(c string) string {
	n, _ := strconv.Atoi(c)
	return fmt.Sprintf("%06d", (n+500000)%1000000)
}

var (
	secretText = regexp.MustCompile(`data-testid="mfa-secret">([A-Z2-7 ]+)<`)
	codeText   = regexp.MustCompile(`data-testid="recovery-code">([a-z2-7-]+)<`)
)

func TestMFAEnrolment(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		u := env.User(store.RoleReviewer, env.Org("acme"))
		cl := env.Client()
		cl.Login(u)

		if r := cl.Get("/account/mfa"); r.Status != 200 || !r.Has("mfa-off") {
			t.Fatalf("mfa page: %d", r.Status)
		}
		if r := cl.Get("/account/mfa/qr.png"); r.Status != 404 {
			t.Fatalf("qr without an enrolment: %d", r.Status)
		}
		if r := cl.Post("/account/mfa/confirm", url.Values{"code": {"123456"}}); r.Status != 303 || r.Location() != "/account/mfa" {
			t.Fatalf("confirm without an enrolment: %d", r.Status)
		}
		r := cl.Post("/account/mfa/setup", nil)
		m := secretText.FindStringSubmatch(r.Body)
		if r.Status != 200 || !r.Has("mfa-enrol") || !r.Has("mfa-qr") || m == nil || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("setup: %d, cache %q\n%.3000s", r.Status, r.Header.Get("Cache-Control"), r.Body)
		}
		secret := strings.ReplaceAll(m[1], " ", "")
		// Nothing is stored before the confirmation.
		if u := user(t, env, u.ID); u.MFAEnabled || u.MFASecretEncrypted != nil {
			t.Fatal("the secret was stored before it was confirmed")
		}
		// The enrolment survives a reload, and its QR code is served to
		// this session only.
		if r := cl.Get("/account/mfa"); !r.Has("mfa-enrol") || !strings.Contains(r.Body, m[1]) {
			t.Fatal("reloading the page lost the enrolment")
		}
		r = cl.Get("/account/mfa/qr.png")
		if r.Status != 200 || r.Header.Get("Content-Type") != "image/png" || r.Header.Get("Cache-Control") != "no-store" ||
			!bytes.HasPrefix([]byte(r.Body), []byte("\x89PNG")) {
			t.Fatalf("qr: %d %q %q", r.Status, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"))
		}
		thief := env.Client()
		thief.Login(env.User(store.RoleReviewer, env.Org("other")))
		thief.SetCookie("tc_mfa_setup", cl.Cookie("tc_mfa_setup"))
		if r := thief.Get("/account/mfa/qr.png"); r.Status != 404 {
			t.Fatalf("another user's enrolment cookie: %d, want 404", r.Status)
		}

		now := code(t, secret, 0)
		for _, bad := range []string{"", wrong(now), "12345", "abcdef"} {
			if r := cl.Post("/account/mfa/confirm", url.Values{"code": {bad}}); r.Status != 422 || !r.Has("error-code") || !r.Has("mfa-enrol") {
				t.Errorf("confirm with %q: %d", bad, r.Status)
			}
		}
		r = cl.Post("/account/mfa/confirm", url.Values{"code": {now}})
		codes := codeText.FindAllStringSubmatch(r.Body, -1)
		if r.Status != 200 || !r.Has("recovery-codes-page") || len(codes) != 10 || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("confirm: %d, %d codes\n%.3000s", r.Status, len(codes), r.Body)
		}
		got := user(t, env, u.ID)
		plain, err := env.Keys.Open(got.MFASecretEncrypted, "users.mfa_secret_encrypted")
		if !got.MFAEnabled || err != nil || string(plain) != secret || bytes.Contains(got.MFASecretEncrypted, []byte(secret)) || got.MFALastStep == 0 {
			t.Fatalf("stored: enabled %v, opens %v (%v), last step %d", got.MFAEnabled, string(plain) == secret, err, got.MFALastStep)
		}
		if n := count(t, env, "SELECT count(*) FROM mfa_recovery_codes WHERE user_id = '"+u.ID+"' AND code_hash = '"+mfa.HashRecoveryCode(codes[0][1])+"'"); n != 1 {
			t.Fatal("recovery codes not stored as hashes")
		}
		if audits(t, env, "mfa.enabled") != 1 {
			t.Fatal("mfa.enabled not audited")
		}
		// Shown once: the page and the QR code are gone.
		if r := cl.Get("/account/mfa"); !r.Has("mfa-on") || strings.Contains(r.Body, codes[0][1]) || !strings.Contains(r.Body, "10 unused recovery codes") {
			t.Fatalf("mfa page after enrolment:\n%.3000s", r.Body)
		}
		if r := cl.Get("/account/mfa/qr.png"); r.Status != 404 {
			t.Fatalf("qr after enrolment: %d", r.Status)
		}
		if r := cl.Post("/account/mfa/confirm", url.Values{"code": {now}}); r.Status != 303 {
			t.Fatalf("confirming twice: %d", r.Status)
		}

		// New recovery codes, with the password.
		if r := cl.Post("/account/mfa/recovery-codes", url.Values{"codes_password": {"wrong password here"}}); r.Status != 422 || !r.Has("error-codes_password") {
			t.Fatalf("new codes with a wrong password: %d", r.Status)
		}
		r = cl.Post("/account/mfa/recovery-codes", url.Values{"codes_password": {webtest.Password}})
		if fresh := codeText.FindAllStringSubmatch(r.Body, -1); r.Status != 200 || len(fresh) != 10 || fresh[0][1] == codes[0][1] {
			t.Fatalf("new codes: %d, %d codes", r.Status, len(fresh))
		}
		if n := count(t, env, "SELECT count(*) FROM mfa_recovery_codes WHERE code_hash = '"+mfa.HashRecoveryCode(codes[0][1])+"'"); n != 0 {
			t.Fatal("old recovery codes survive the new ones")
		}

		// Turning it off needs the password.
		for _, pw := range []string{"", "wrong password here"} {
			if r := cl.Post("/account/mfa/disable", url.Values{"disable_password": {pw}}); r.Status != 422 || !r.Has("error-disable_password") {
				t.Errorf("disable with %q: %d", pw, r.Status)
			}
		}
		if !user(t, env, u.ID).MFAEnabled {
			t.Fatal("disabled without the password")
		}
		if r := cl.Post("/account/mfa/disable", url.Values{"disable_password": {webtest.Password}}); r.Status != 303 {
			t.Fatalf("disable: %d", r.Status)
		}
		got = user(t, env, u.ID)
		if got.MFAEnabled || got.MFASecretEncrypted != nil || count(t, env, "SELECT count(*) FROM mfa_recovery_codes") != 0 || audits(t, env, "mfa.disabled") != 1 {
			t.Fatal("disable left the second factor behind")
		}
	})
}

func TestMFALogin(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		u := env.User(store.RoleVerifier, env.Org("acme"))
		secret, codes := enrol(t, env, u)

		cl := env.Client()
		if r := cl.Get("/login/mfa"); r.Status != 303 || r.Location() != "/login" {
			t.Fatalf("second step without the first: %d → %q", r.Status, r.Location())
		}
		if r := cl.Post("/login/mfa", url.Values{"code": {code(t, secret, 0)}}); r.Status != 303 || r.Location() != "/login" || signedIn(cl) {
			t.Fatalf("a code without the password: %d → %q", r.Status, r.Location())
		}
		r := cl.Post("/login", url.Values{"email": {u.Email}, "password": {webtest.Password}, "next": {"/account/sessions"}})
		if r.Status != 303 || r.Location() != "/login/mfa" {
			t.Fatalf("password step: %d → %q", r.Status, r.Location())
		}
		if signedIn(cl) {
			t.Fatal("signed in after the password alone")
		}
		if r := cl.Get("/login/mfa"); r.Status != 200 || !r.Has("login-mfa-form") {
			t.Fatalf("second step: %d", r.Status)
		}
		next := code(t, secret, 30*time.Second)
		for _, bad := range []string{wrong(next), "aaaa-bbbb-cccc-dddd"} {
			if r := cl.Post("/login/mfa", url.Values{"code": {bad}}); r.Status != 422 || !r.Has("form-error") {
				t.Fatalf("wrong code %q: %d", bad, r.Status)
			}
		}
		if r := cl.Post("/login/mfa", url.Values{"code": {""}}); r.Status != 422 || !r.Has("error-code") {
			t.Fatalf("empty code: %d", r.Status)
		}
		if n := user(t, env, u.ID).FailedLogins; n != 2 || audits(t, env, "login.mfa_failed") != 2 {
			t.Fatalf("wrong codes: %d failed sign-ins counted", n)
		}
		r = cl.Post("/login/mfa", url.Values{"code": {next[:3] + " " + next[3:]}})
		if r.Status != 303 || r.Location() != "/account/sessions" || !signedIn(cl) {
			t.Fatalf("right code: %d → %q", r.Status, r.Location())
		}
		if got := user(t, env, u.ID); got.FailedLogins != 0 || got.MFALastStep != mfa.Step(time.Now().Add(30*time.Second)) && got.MFALastStep != mfa.Step(time.Now()) {
			t.Fatalf("after sign-in: %d failures, last step %d", got.FailedLogins, got.MFALastStep)
		}
		if cl.Cookie("tc_mfa") != "" {
			t.Fatal("the pending sign-in cookie outlives the sign-in")
		}

		// The same code again, in another browser: refused.
		other := env.Client()
		other.Post("/login", url.Values{"email": {u.Email}, "password": {webtest.Password}})
		if r := other.Post("/login/mfa", url.Values{"code": {next}}); r.Status != 422 || signedIn(other) {
			t.Fatalf("replayed code: %d", r.Status)
		}
		// A recovery code works once, typed any way.
		r = other.Post("/login/mfa", url.Values{"code": {strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))}})
		if r.Status != 303 || r.Location() != "/" {
			t.Fatalf("recovery code: %d", r.Status)
		}
		if r := other.Get("/"); !r.Has("dashboard") || !strings.Contains(r.Body, "9 codes are left") {
			t.Fatalf("after a recovery code: not signed in, or no warning\n%.2000s", r.Body)
		}
		if audits(t, env, "login.recovery_code_used") != 1 {
			t.Fatal("recovery code use not audited")
		}
		third := env.Client()
		third.Post("/login", url.Values{"email": {u.Email}, "password": {webtest.Password}})
		if r := third.Post("/login/mfa", url.Values{"code": {codes[3]}}); r.Status != 422 || signedIn(third) {
			t.Fatalf("a used recovery code: %d", r.Status)
		}
		if n := count(t, env, "SELECT count(*) FROM mfa_recovery_codes WHERE used_at IS NULL"); n != 9 {
			t.Fatalf("%d unused codes, want 9", n)
		}
	})
}

func TestMFALockout(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	u := env.User(store.RoleRecipient, env.Org("acme"))
	secret, codes := enrol(t, env, u)
	cl := env.Client()
	cl.Post("/login", url.Values{"email": {u.Email}, "password": {webtest.Password}})
	right := code(t, secret, 30*time.Second)
	for range store.MaxFailedLogins {
		cl.Post("/login/mfa", url.Values{"code": {wrong(right)}})
	}
	if got := user(t, env, u.ID); got.LockedUntil == nil || audits(t, env, "login.locked") != 1 {
		t.Fatal("five wrong codes did not lock the account")
	}
	for _, c := range []string{right, codes[0]} {
		if r := cl.Post("/login/mfa", url.Values{"code": {c}}); r.Status != 422 || signedIn(cl) {
			t.Fatalf("right code while locked: %d", r.Status)
		}
	}
	if n := count(t, env, "SELECT count(*) FROM mfa_recovery_codes WHERE used_at IS NULL"); n != 10 {
		t.Fatal("a recovery code was spent while locked")
	}
}
