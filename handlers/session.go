package handlers

import (
	"crypto/subtle"
	"errors"
	"net/mail"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/session"
)

// Sessions serves first-run setup, sign-in and sign-out.
type Sessions struct {
	DB         *store.DB
	Auth       *auth.Manager
	SetupToken string // printed by serve at start while no administrator exists
}

// dummyHash is compared against when an email is unknown, so that a wrong
// email takes as long as a wrong password and timing reveals nothing.
var dummyHash = func() string {
	h, err := password.Hash("not-a-real-password-just-for-timing")
	if err != nil {
		panic(err)
	}
	return h
}()

// loginFailed is the one message for every failed sign-in: it never says
// whether the email exists or the account is locked.
const loginFailed = "The email or password is incorrect, or the account is locked after too many attempts. Try again later, or reset your password."

// SetupForm renders GET /setup.
func (h *Sessions) SetupForm(c *fiber.Ctx) error {
	if done, err := h.DB.HasSuperAdmin(c.UserContext()); err != nil || done {
		return orNotFound(err)
	}
	render.SetTitle(c, "Set up")
	return render.Page(c, fiber.StatusOK, session.SetupPage(session.SetupForm{Token: c.Query("token")}))
}

// Setup handles POST /setup: creates the first super_admin and signs them in.
func (h *Sessions) Setup(c *fiber.Ctx) error {
	if done, err := h.DB.HasSuperAdmin(c.UserContext()); err != nil || done {
		return orNotFound(err)
	}
	f := session.SetupForm{Token: strings.TrimSpace(c.FormValue("token")), Email: strings.TrimSpace(c.FormValue("email")),
		Name: strings.TrimSpace(c.FormValue("name")), Errors: session.Errors{}}
	pw, confirm := c.FormValue("password"), c.FormValue("confirm")
	if h.SetupToken == "" || subtle.ConstantTimeCompare([]byte(f.Token), []byte(h.SetupToken)) != 1 {
		f.Errors["token"] = "This is not the setup token printed in the server log."
	}
	checkPersonName(f.Errors, "name", f.Name)
	if !validEmail(f.Email) {
		f.Errors["email"] = "Enter an email address such as you@example.org."
	}
	checkNewPassword(f.Errors, pw, confirm, f.Email)
	checkForm(c, f.Errors)
	if len(f.Errors) > 0 {
		return render.Page(c, fiber.StatusUnprocessableEntity, session.SetupPage(f))
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	u := &store.User{Email: f.Email, PasswordHash: &hash, EmailVerified: true,
		Profile: datatypes.NewJSONType(store.UserProfile{DisplayName: f.Name})}
	switch err := h.DB.CreateFirstAdmin(c.UserContext(), u, auth.Actor(c)); {
	case errors.Is(err, store.ErrSetupDone):
		return fiber.ErrNotFound
	case err != nil:
		return err
	}
	if err := h.Auth.Login(c, u); err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "Welcome to TrustCred. You are the platform administrator.")
	return render.Redirect(c, "/")
}

// LoginForm renders GET /login.
func (h *Sessions) LoginForm(c *fiber.Ctx) error {
	if auth.Current(c) != nil {
		return render.Redirect(c, auth.SafeNext(c.Query("next")))
	}
	render.SetTitle(c, "Sign in")
	return render.Page(c, fiber.StatusOK, session.LoginPage(session.LoginForm{Next: auth.SafeNext(c.Query("next"))}))
}

// Login handles POST /login: the password step, then either the second
// factor or a new session.
func (h *Sessions) Login(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f := session.LoginForm{Email: strings.TrimSpace(c.FormValue("email")), Next: auth.SafeNext(c.FormValue("next")), Errors: session.Errors{}}
	pw := c.FormValue("password")
	if f.Email == "" {
		f.Errors["email"] = "Enter your email address."
	}
	if pw == "" {
		f.Errors["password"] = "Enter your password."
	}
	checkForm(c, f.Errors)
	if len(f.Errors) > 0 {
		return render.Page(c, fiber.StatusUnprocessableEntity, session.LoginPage(f))
	}
	fail := func() error {
		f.Errors[""] = loginFailed
		render.SetTitle(c, "Sign in")
		return render.Page(c, fiber.StatusUnprocessableEntity, session.LoginPage(f))
	}

	u, err := h.DB.UserByEmail(ctx, f.Email)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.PasswordHash == nil {
		_ = password.Check(dummyHash, pw)
		if aerr := h.DB.Audit(auth.WithoutCancel(c), auth.Actor(c), "login.failed", "user", "",
			store.AuditDetails{Summary: "Sign-in with an unknown email", Extra: map[string]string{"email": store.NormalizeEmail(f.Email)}}); aerr != nil {
			return aerr
		}
		return fail()
	}
	if err != nil {
		return err
	}
	now := time.Now()
	if u.LockedUntil != nil && u.LockedUntil.After(now) {
		_ = password.Check(dummyHash, pw)
		return fail()
	}
	if err := password.Check(*u.PasswordHash, pw); err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			return err
		}
		if _, err := h.DB.LoginFailed(auth.WithoutCancel(c), u.ID, now, auth.Actor(c)); err != nil {
			return err
		}
		return fail()
	}
	// The password is right: from here on the user may learn about their
	// own account.
	if u.DeactivatedAt != nil {
		f.Errors[""] = "This account has been deactivated. Ask an administrator of your organization."
		return render.Page(c, fiber.StatusUnprocessableEntity, session.LoginPage(f))
	}
	if msg, err := refuseBlocked(c, h.DB, u); err != nil || msg != "" {
		if err != nil {
			return err
		}
		f.Errors[""] = msg
		render.SetTitle(c, "Sign in")
		return render.Page(c, fiber.StatusUnprocessableEntity, session.LoginPage(f))
	}
	if u.MFAEnabled {
		if err := h.Auth.BeginMFA(c, u, f.Next); err != nil {
			return err
		}
		return render.Redirect(c, "/login/mfa")
	}
	return h.finish(c, u, f.Next)
}

// refuseBlocked returns why u may not sign in when their organization is
// suspended or revoked (auditing the refusal), or "".
func refuseBlocked(c *fiber.Ctx, db *store.DB, u *store.User) (string, error) {
	if u.OrganizationID == nil || u.Role == store.RoleSuperAdmin {
		return "", nil
	}
	org, err := db.OrganizationByID(c.UserContext(), *u.OrganizationID)
	if err != nil || !auth.Blocked(u, org) {
		return "", err
	}
	actor := auth.Actor(c)
	actor.UserID, actor.OrganizationID = &u.ID, &org.ID
	if err := db.Audit(auth.WithoutCancel(c), actor, "login.refused", "user", u.ID, store.AuditDetails{
		Summary: "Sign-in refused: the organization is " + string(org.Status),
	}); err != nil {
		return "", err
	}
	return auth.BlockedMessage(org), nil
}

// finish records a successful sign-in and starts the session.
func (h *Sessions) finish(c *fiber.Ctx, u *store.User, next string) error {
	if err := h.DB.LoginSucceeded(c.UserContext(), u, time.Now(), auth.Actor(c)); err != nil {
		return err
	}
	if err := h.Auth.Login(c, u); err != nil {
		return err
	}
	return render.Redirect(c, auth.SafeNext(next))
}

// Logout handles POST /logout.
func (h *Sessions) Logout(c *fiber.Ctx) error {
	if err := h.Auth.Logout(c); err != nil {
		return err
	}
	render.Flash(c, layout.FlashInfo, "You have signed out.")
	return render.Redirect(c, "/login")
}

// validEmail accepts a bare address (no display name) whose domain has a
// dot, at most 254 bytes: what a person types in an email field.
func validEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	_, domain, _ := strings.Cut(s, "@")
	return strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".")
}

// orNotFound turns "nothing to do here" into 404, keeping real errors.
func orNotFound(err error) error {
	if err != nil {
		return err
	}
	return fiber.ErrNotFound
}
