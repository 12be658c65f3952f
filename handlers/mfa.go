package handlers

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/mfa"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/account"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/session"
)

// SecondFactor serves TOTP two-factor authentication: enrolment, recovery
// codes and turning it off on the account pages, and the second step of a
// sign-in.
//
// A secret being enrolled lives only in an encrypted, session-bound cookie
// (auth.Manager.BeginEnrolment) until a code confirms it; then it is sealed
// with the keyring into users.mfa_secret_encrypted.
type SecondFactor struct {
	DB   *store.DB
	Auth *auth.Manager
	Keys *secret.Keyring
}

const (
	// mfaIssuer is the name authenticator apps show for the account.
	mfaIssuer = "TrustCred"
	// mfaSecretContext binds the sealed secret to its column.
	mfaSecretContext = mfa.SecretContext
	// mfaQRPath serves the QR code of the enrolment in progress.
	mfaQRPath = "/account/mfa/qr.png"
)

// mfaLoginFailed is the one message for a refused second factor.
const mfaLoginFailed = "The code is wrong or was already used, or the account is locked after too many attempts. Try the next code your app shows."

// Show renders GET /account/mfa.
func (h *SecondFactor) Show(c *fiber.Ctx) error {
	return h.page(c, fiber.StatusOK, account.Errors{})
}

// page renders the MFA page in the state the account and this browser are
// in: on, being set up, or off.
func (h *SecondFactor) page(c *fiber.Ctx, status int, errs account.Errors) error {
	id := auth.Current(c)
	m := account.MFA{Enabled: id.User.MFAEnabled, OrgRequires: id.Org != nil && id.Org.RequireMFA, Errors: errs}
	if m.Enabled {
		n, err := id.Account.RecoveryCodesLeft(c.UserContext())
		if err != nil {
			return err
		}
		m.CodesLeft = n
	} else if s, ok := h.Auth.PendingEnrolment(c); ok {
		m.Setup = &account.Enrolment{Secret: s, QRURL: mfaQRPath}
		c.Set(fiber.HeaderCacheControl, "no-store") // the page shows the secret
	}
	render.SetTitle(c, "Two-factor authentication")
	return render.Page(c, status, account.MFAPage(m))
}

// Setup handles POST /account/mfa/setup: a new secret for this browser to
// confirm (any secret being set up before is replaced).
func (h *SecondFactor) Setup(c *fiber.Ctx) error {
	id := auth.Current(c)
	if id.User.MFAEnabled {
		render.Flash(c, layout.FlashInfo, "Two-factor authentication is already on.")
		return render.Redirect(c, "/account/mfa")
	}
	key, err := mfa.NewKey(mfaIssuer, mfaLabel(id.User.Email))
	if err != nil {
		return err
	}
	if err := h.Auth.BeginEnrolment(c, key.Secret); err != nil {
		return err
	}
	render.SetTitle(c, "Two-factor authentication")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return render.Page(c, fiber.StatusOK, account.MFAPage(account.MFA{
		OrgRequires: id.Org != nil && id.Org.RequireMFA,
		Setup:       &account.Enrolment{Secret: key.Secret, QRURL: mfaQRPath},
	}))
}

// QR serves GET /account/mfa/qr.png: the QR code of this browser's
// enrolment in progress, never cached. 404 without one.
func (h *SecondFactor) QR(c *fiber.Ctx) error {
	s, ok := h.Auth.PendingEnrolment(c)
	if !ok || auth.Current(c).User.MFAEnabled {
		return fiber.ErrNotFound
	}
	key, err := mfa.KeyFromSecret(mfaIssuer, mfaLabel(auth.Current(c).User.Email), s)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, "image/png")
	return c.Send(key.QR)
}

// Confirm handles POST /account/mfa/confirm: a code from the app proves it
// holds the secret; the secret is stored sealed, ten recovery codes are
// made and shown, once.
func (h *SecondFactor) Confirm(c *fiber.Ctx) error {
	id := auth.Current(c)
	if id.User.MFAEnabled {
		render.Flash(c, layout.FlashInfo, "Two-factor authentication is already on.")
		return render.Redirect(c, "/account/mfa")
	}
	s, ok := h.Auth.PendingEnrolment(c)
	if !ok {
		render.Flash(c, layout.FlashError, "The set-up took too long or was started elsewhere. Start again.")
		return render.Redirect(c, "/account/mfa")
	}
	code := strings.TrimSpace(c.FormValue("code"))
	if code == "" {
		return h.page(c, fiber.StatusUnprocessableEntity, account.Errors{"code": "Enter the 6-digit code your app shows."})
	}
	step, err := mfa.Verify(s, code, time.Now(), 0)
	if errors.Is(err, mfa.ErrInvalidCode) || errors.Is(err, mfa.ErrReplayed) {
		return h.page(c, fiber.StatusUnprocessableEntity, account.Errors{
			"code": "That code does not match. Check that the app's clock is right and enter the code it shows now."})
	}
	if err != nil {
		return err
	}
	sealed, err := h.Keys.Seal([]byte(s), mfaSecretContext)
	if err != nil {
		return err
	}
	codes, hashes := mfa.NewRecoveryCodes(mfa.RecoveryCodes)
	switch err := id.Account.EnableMFA(c.UserContext(), sealed, step, hashes, auth.Actor(c)); {
	case errors.Is(err, store.ErrMFAEnabled):
		h.Auth.EndEnrolment(c)
		render.Flash(c, layout.FlashInfo, "Two-factor authentication is already on.")
		return render.Redirect(c, "/account/mfa")
	case err != nil:
		return err
	}
	h.Auth.EndEnrolment(c)
	return h.showCodes(c, codes, true)
}

// showCodes renders new recovery codes: the one time they are shown.
func (h *SecondFactor) showCodes(c *fiber.Ctx, codes []string, enrolled bool) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	render.SetTitle(c, "Recovery codes")
	return render.Page(c, fiber.StatusOK, account.RecoveryCodesPage(account.RecoveryCodes{Codes: codes, New: enrolled}))
}

// Disable handles POST /account/mfa/disable, which needs the password.
func (h *SecondFactor) Disable(c *fiber.Ctx) error {
	id := auth.Current(c)
	if !id.User.MFAEnabled {
		render.Flash(c, layout.FlashInfo, "Two-factor authentication is already off.")
		return render.Redirect(c, "/account/mfa")
	}
	if msg, err := checkOwnPassword(id.User, c.FormValue("disable_password")); err != nil || msg != "" {
		if err != nil {
			return err
		}
		return h.page(c, fiber.StatusUnprocessableEntity, account.Errors{"disable_password": msg})
	}
	switch err := id.Account.DisableMFA(c.UserContext(), auth.Actor(c)); {
	case errors.Is(err, store.ErrMFADisabled):
	case err != nil:
		return err
	}
	render.Flash(c, layout.FlashSuccess, "Two-factor authentication is off.")
	return render.Redirect(c, "/account/mfa")
}

// RecoveryCodes handles POST /account/mfa/recovery-codes: new codes for
// old, with the password.
func (h *SecondFactor) RecoveryCodes(c *fiber.Ctx) error {
	id := auth.Current(c)
	if !id.User.MFAEnabled {
		render.Flash(c, layout.FlashInfo, "Two-factor authentication is off: there are no recovery codes.")
		return render.Redirect(c, "/account/mfa")
	}
	if msg, err := checkOwnPassword(id.User, c.FormValue("codes_password")); err != nil || msg != "" {
		if err != nil {
			return err
		}
		return h.page(c, fiber.StatusUnprocessableEntity, account.Errors{"codes_password": msg})
	}
	codes, hashes := mfa.NewRecoveryCodes(mfa.RecoveryCodes)
	switch err := id.Account.ReplaceRecoveryCodes(c.UserContext(), hashes, auth.Actor(c)); {
	case errors.Is(err, store.ErrMFADisabled):
		render.Flash(c, layout.FlashInfo, "Two-factor authentication is off: there are no recovery codes.")
		return render.Redirect(c, "/account/mfa")
	case err != nil:
		return err
	}
	render.Flash(c, layout.FlashSuccess, "New recovery codes made; the old ones no longer work.")
	return h.showCodes(c, codes, false)
}

// checkOwnPassword returns the message to show next to a password field
// that must hold the user's password, or "" when it does.
func checkOwnPassword(u *store.User, pw string) (msg string, err error) {
	switch {
	case pw == "":
		return "Enter your password.", nil
	case u.PasswordHash == nil:
		return "Your account has no TrustCred password.", nil
	}
	switch err := password.Check(*u.PasswordHash, pw); {
	case errors.Is(err, password.ErrMismatch):
		return "This is not your password.", nil
	case err != nil:
		return "", err
	}
	return "", nil
}

// mfaLabel is the account name in the authenticator app (no colons: the
// otpauth:// label is "issuer:account").
func mfaLabel(email string) string { return strings.ReplaceAll(email, ":", "_") }

// LoginForm renders GET /login/mfa, the second step of a sign-in.
func (h *SecondFactor) LoginForm(c *fiber.Ctx) error {
	if _, _, ok := h.Auth.PendingMFA(c); !ok {
		if auth.Current(c) != nil {
			return render.Redirect(c, "/")
		}
		return render.Redirect(c, "/login")
	}
	render.SetTitle(c, "Two-factor authentication")
	return render.Page(c, fiber.StatusOK, session.MFAPage(session.MFAForm{}))
}

// Login handles POST /login/mfa: a TOTP code (each step once) or a
// recovery code (each code once). A wrong one counts as a failed sign-in.
func (h *SecondFactor) Login(c *fiber.Ctx) error {
	ctx := c.UserContext()
	userID, next, ok := h.Auth.PendingMFA(c)
	if !ok {
		render.Flash(c, layout.FlashInfo, "Your sign-in took too long. Sign in again.")
		return render.Redirect(c, "/login")
	}
	render.SetTitle(c, "Two-factor authentication")
	f := session.MFAForm{Errors: session.Errors{}}
	code := strings.TrimSpace(c.FormValue("code"))
	if code == "" {
		f.Errors["code"] = "Enter the 6-digit code from your app, or a recovery code."
		return render.Page(c, fiber.StatusUnprocessableEntity, session.MFAPage(f))
	}
	u, err := h.DB.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) || err == nil && (u.DeactivatedAt != nil || !u.MFAEnabled) {
		render.Flash(c, layout.FlashInfo, "Sign in again.")
		return render.Redirect(c, "/login")
	}
	if err != nil {
		return err
	}
	refuse := func() error {
		f.Errors[""] = mfaLoginFailed
		return render.Page(c, fiber.StatusUnprocessableEntity, session.MFAPage(f))
	}
	now := time.Now()
	if u.LockedUntil != nil && u.LockedUntil.After(now) {
		return refuse()
	}
	fail := func() error {
		if _, err := h.DB.MFAFailed(auth.WithoutCancel(c), u.ID, now, auth.Actor(c)); err != nil {
			return err
		}
		return refuse()
	}
	acct := h.DB.Account(u.ID)
	if totpCode(code) {
		plain, err := h.Keys.Open(u.MFASecretEncrypted, mfaSecretContext)
		if err != nil {
			return fmt.Errorf("open the mfa secret of %s: %w", u.ID, err)
		}
		step, err := mfa.Verify(string(plain), code, now, u.MFALastStep)
		if errors.Is(err, mfa.ErrInvalidCode) || errors.Is(err, mfa.ErrReplayed) {
			return fail()
		}
		if err != nil {
			return err
		}
		switch err := acct.AcceptTOTPStep(ctx, step); {
		case errors.Is(err, store.ErrCodeUsed):
			return fail() // the same code, in a request that raced this one
		case err != nil:
			return err
		}
	} else {
		left, err := acct.UseRecoveryCode(ctx, mfa.HashRecoveryCode(code), now, auth.Actor(c))
		if errors.Is(err, store.ErrCodeUsed) {
			return fail()
		}
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("You signed in with a recovery code: it will not work again. %s left.", plural(left, "code is", "codes are"))
		if left < 3 {
			msg += " Make new ones on the two-factor authentication page."
		}
		render.Flash(c, layout.FlashInfo, msg)
	}
	// The organization may have been suspended since the password step.
	if msg, err := refuseBlocked(c, h.DB, u); err != nil || msg != "" {
		if err != nil {
			return err
		}
		f.Errors[""] = msg
		return render.Page(c, fiber.StatusUnprocessableEntity, session.MFAPage(f))
	}
	if err := h.DB.LoginSucceeded(ctx, u, now, auth.Actor(c)); err != nil {
		return err
	}
	if err := h.Auth.Login(c, u); err != nil {
		return err
	}
	return render.Redirect(c, auth.SafeNext(next))
}

// totpCode reports whether code looks like a TOTP code (six digits, spaces
// allowed) rather than a recovery code.
func totpCode(code string) bool {
	code = strings.Join(strings.Fields(code), "")
	return len(code) == mfa.Digits && strings.Trim(code, "0123456789") == ""
}
