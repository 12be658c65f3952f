package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/did"
	"github.com/trustcred/trustcred/internal/dnsverify"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/internal/slug"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/register"
)

// EmailConfirmationTTL is how long an email confirmation link works.
const EmailConfirmationTTL = 24 * time.Hour

// Registrations serves the public registration of an organization with its
// first administrator, and the confirmation of that administrator's email.
type Registrations struct {
	DB      *store.DB
	Mailer  mail.Mailer
	BaseURL string // links in emails, the DID and the public page's address start with it
	Log     *slog.Logger
}

// orgTypes are the organization types in the order the form lists them.
var orgTypes = []register.Option{
	{Value: string(store.OrganizationEducational), Label: "Educational institution"},
	{Value: string(store.OrganizationProfessional), Label: "Professional body"},
	{Value: string(store.OrganizationGovernment), Label: "Government agency"},
	{Value: string(store.OrganizationCorporate), Label: "Company"},
	{Value: string(store.OrganizationAssociation), Label: "Association"},
}

// orgTypeLabel is how a type is shown.
func orgTypeLabel(t store.OrganizationType) string {
	for _, o := range orgTypes {
		if o.Value == string(t) {
			return o.Label
		}
	}
	return string(t)
}

// Form renders GET /register.
func (h *Registrations) Form(c *fiber.Ctx) error {
	render.SetTitle(c, "Register your organization")
	return render.Page(c, fiber.StatusOK, register.RegisterPage(register.Form{Types: orgTypes, Slug: register.Slug{Prefix: h.slugPrefix()}}))
}

// Slug renders GET /register/slug: the URL name field for the name and
// URL name typed so far. While the URL name is still the one derived from
// the previous name (slug_source) or empty, it follows the name; once
// edited by hand it stays. A valid one is checked for availability.
func (h *Registrations) Slug(c *fiber.Ctx) error {
	name := cleanText(c.Query("name"))
	s := register.Slug{Value: strings.TrimSpace(c.Query("slug")), Source: cleanText(c.Query("slug_source")), Prefix: h.slugPrefix()}
	if s.Value == "" || s.Value == slug.From(s.Source) {
		s.Value, s.Source = slug.From(name), name
	}
	if s.Value == "" {
		return render.Component(c, fiber.StatusOK, register.SlugField(s))
	}
	if err := slug.Valid(s.Value); err != nil {
		s.Error = slugError(err)
		return render.Component(c, fiber.StatusOK, register.SlugField(s))
	}
	taken, err := h.DB.SlugTaken(c.UserContext(), s.Value)
	if err != nil {
		return err
	}
	if taken {
		s.Error = slugTaken
	} else {
		s.Available = true
	}
	return render.Component(c, fiber.StatusOK, register.SlugField(s))
}

// Register handles POST /register: the organization (pending), its admin
// and the confirmation link in one transaction, then the email. A
// registration whose email could not be sent is kept, and the page says so.
func (h *Registrations) Register(c *fiber.Ctx) error {
	f := register.Form{
		Name: cleanText(c.FormValue("name")), Type: c.FormValue("type"), Domain: strings.TrimSpace(c.FormValue("domain")),
		Slug:      register.Slug{Value: strings.TrimSpace(c.FormValue("slug")), Source: cleanText(c.FormValue("slug_source")), Prefix: h.slugPrefix()},
		AdminName: cleanText(c.FormValue("admin_name")), Email: strings.TrimSpace(c.FormValue("email")),
		Types: orgTypes, Errors: register.Errors{},
	}
	pw, confirm := c.FormValue("password"), c.FormValue("confirm")
	switch {
	case f.Name == "":
		f.Errors["name"] = "Enter the organization's name."
	case utf8.RuneCountInString(f.Name) > 200:
		f.Errors["name"] = "Use at most 200 characters."
	case !printable(f.Name):
		f.Errors["name"] = "Use letters, digits, spaces and punctuation only."
	}
	if !store.OrganizationType(f.Type).Valid() {
		f.Errors["type"] = "Choose one of the types in the list."
	}
	domain, err := dnsverify.ParseDomain(f.Domain)
	switch {
	case f.Domain == "":
		f.Errors["domain"] = "Enter the organization's web domain, such as example.edu."
	case err != nil:
		f.Errors["domain"] = "Enter a domain name such as example.edu, without https:// or a path."
	}
	if f.Slug.Value == "" {
		f.Slug.Value, f.Slug.Source = slug.From(f.Name), f.Name
		if slug.Valid(f.Slug.Value) != nil && f.Errors["name"] == "" {
			f.Slug.Error = "Choose a URL name: the name does not give one. Use 3 to 63 lower-case letters a to z, digits and single hyphens."
		}
	} else if err := slug.Valid(f.Slug.Value); err != nil {
		f.Slug.Error = slugError(err)
	}
	checkPersonName(f.Errors, "admin_name", f.AdminName)
	if !validEmail(f.Email) {
		f.Errors["email"] = "Enter an email address such as you@example.org."
	}
	checkNewPassword(f.Errors, pw, confirm, f.Email)
	checkForm(c, f.Errors)
	if msg, ok := f.Errors["slug"]; ok { // the URL name shows its own error
		f.Slug.Error = msg
		delete(f.Errors, "slug")
	}
	invalid := func() error {
		render.SetTitle(c, "Register your organization")
		return render.Page(c, fiber.StatusUnprocessableEntity, register.RegisterPage(f))
	}
	if len(f.Errors) > 0 || f.Slug.Error != "" {
		return invalid()
	}

	id, err := did.Web(h.BaseURL, "orgs", f.Slug.Value)
	if err != nil {
		return err
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	token := auth.NewToken()
	expires := time.Now().Add(EmailConfirmationTTL)
	reg := store.Registration{
		Organization: &store.Organization{Name: f.Name, Slug: f.Slug.Value, Type: store.OrganizationType(f.Type), Domain: &domain, DID: id},
		Admin: &store.User{Email: f.Email, PasswordHash: &hash,
			Profile: datatypes.NewJSONType(store.UserProfile{DisplayName: f.AdminName})},
		Confirmation: store.EmailLink{TokenHash: auth.HashToken(token), ExpiresAt: expires},
	}
	err = h.DB.RegisterOrganization(c.UserContext(), reg, auth.Actor(c))
	// Organization names and URL names are public; whether an email has an
	// account is not. A taken name or URL name is said next to its field;
	// a taken email alone is answered as a registration is (the same page,
	// after the same work), and its owner is told by email, as the password
	// reset does.
	if errors.Is(err, store.ErrSlugTaken) || errors.Is(err, store.ErrNameTaken) {
		if errors.Is(err, store.ErrSlugTaken) {
			f.Slug.Error = slugTaken
		}
		if errors.Is(err, store.ErrNameTaken) {
			f.Errors["name"] = "An organization with this name is already registered. If it is yours, ask its administrators to invite you."
		}
		return invalid()
	}
	emailTaken := errors.Is(err, store.ErrEmailTaken)
	if err != nil && !emailTaken {
		return err
	}
	done := register.Done{Organization: f.Name, Email: reg.Admin.Email}
	msg := confirmationEmail(reg.Admin.Email, f.Name, h.BaseURL+"/confirm-email/"+token, expires)
	if emailTaken {
		msg = accountExistsEmail(reg.Admin.Email, f.Name, h.BaseURL)
	}
	if err := h.send(c, msg); err != nil {
		done.MailProblem = mailFailure(err)
	}
	render.SetTitle(c, "Registration received")
	return render.Page(c, fiber.StatusCreated, register.DonePage(done))
}

// sendConfirmation emails an email confirmation link. Failures are logged.
func (h *Registrations) sendConfirmation(c *fiber.Ctx, u *store.User, org, token string, expires time.Time) error {
	return h.send(c, confirmationEmail(u.Email, org, h.BaseURL+"/confirm-email/"+token, expires))
}

// send emails a registration message within the mail budget. Failures are
// logged (without the address: it may be someone else's account).
func (h *Registrations) send(c *fiber.Ctx, m mail.Message) error {
	ctx, cancel := context.WithTimeout(auth.WithoutCancel(c), mailBudget)
	defer cancel()
	if err := h.Mailer.Send(ctx, m); err != nil {
		logUnsent(h.Log, "registration email not sent", err, "subject", m.Subject)
		return err
	}
	return nil
}

// slugPrefix is what the URL name follows in the public page's address.
func (h *Registrations) slugPrefix() string {
	host := h.BaseURL
	if u, err := url.Parse(h.BaseURL); err == nil && u.Host != "" {
		host = u.Host + strings.TrimSuffix(u.Path, "/")
	}
	return host + "/orgs/"
}

const slugTaken = "This URL name is already taken: choose another."

// slugError is the message for a URL name that slug.Valid refuses.
func slugError(err error) string {
	if errors.Is(err, slug.ErrReserved) {
		return "This URL name is reserved: choose another."
	}
	return "The URL name " + err.Error() + "."
}

// cleanText is a single-line text field as typed: valid UTF-8, trimmed.
// Whether it holds control characters is checked on the raw value.
func cleanText(s string) string { return strings.TrimSpace(strings.ToValidUTF8(s, "")) }

// Confirm handles GET /confirm-email/:token: the link sets the account's
// email as confirmed, once.
func (h *Registrations) Confirm(c *fiber.Ctx) error {
	privateLink(c)
	u, err := h.DB.ConfirmEmail(c.UserContext(), linkHash(c), time.Now(), auth.Actor(c))
	if errors.Is(err, store.ErrTokenInvalid) {
		return linkGone(c, "Email confirmation", register.InvalidPage())
	}
	if err != nil {
		return err
	}
	m := register.Confirmed{Email: u.Email}
	if u.Organization != nil {
		m.Organization, m.Pending = u.Organization.Name, u.Organization.Status == store.OrganizationPending
	}
	if id := auth.Current(c); id != nil && id.User.ID == u.ID {
		m.SignedIn = true
	}
	render.SetTitle(c, "Email confirmed")
	return render.Page(c, fiber.StatusOK, register.ConfirmedPage(m))
}

// Resend handles POST /confirm-email/resend: a new confirmation link for
// the signed-in user's address replaces the old ones and is emailed.
func (h *Registrations) Resend(c *fiber.Ctx) error {
	id := auth.Current(c)
	token := auth.NewToken()
	expires := time.Now().Add(EmailConfirmationTTL)
	u, err := id.Account.RenewEmailConfirmation(c.UserContext(), store.EmailLink{TokenHash: auth.HashToken(token), ExpiresAt: expires}, auth.Actor(c))
	if errors.Is(err, store.ErrEmailVerified) {
		render.Flash(c, layout.FlashInfo, "Your email address is already confirmed.")
		return render.Redirect(c, "/")
	}
	if err != nil {
		return err
	}
	org := "your organization"
	if id.Org != nil {
		org = id.Org.Name
	}
	if err := h.sendConfirmation(c, u, org, token, expires); err != nil {
		render.Flash(c, layout.FlashError, "A new link was created, but "+mailFailure(err))
	} else {
		render.Flash(c, layout.FlashSuccess, "We sent a new confirmation link to "+u.Email+". It works once, within 24 hours.")
	}
	return render.Redirect(c, "/")
}
