package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/nyaruka/phonenumbers"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/account"
	"github.com/trustcred/trustcred/views/layout"
)

// Account serves a user's own account pages.
type Account struct {
	DB   *store.DB
	Auth *auth.Manager
}

// Overview renders GET /account.
func (h *Account) Overview(c *fiber.Ctx) error {
	id := auth.Current(c)
	nav := auth.Nav(id)
	render.SetTitle(c, "Your account")
	return render.Page(c, fiber.StatusOK, account.OverviewPage(account.Overview{
		Email: id.User.Email, Name: nav.Name, Role: nav.Role, Organization: nav.Organization, MFAEnabled: id.User.MFAEnabled,
		Phone: account.PhoneForm{Value: id.User.Profile.Data().Phone}, Approver: approver(id),
	}))
}

// SavePhone handles POST /account/phone: the number is checked as a phone
// number that can exist (github.com/nyaruka/phonenumbers, in international
// format) and stored normalized to E.164; empty removes it. For htmx the
// form comes back; otherwise back to the page with a message.
func (h *Account) SavePhone(c *fiber.Ctx) error {
	id := auth.Current(c)
	raw := strings.TrimSpace(c.FormValue("phone"))
	e164, why := PhoneE164(raw)
	if why != "" {
		f := account.PhoneForm{Value: raw, Error: why}
		if render.IsPartial(c) {
			return render.Page(c, fiber.StatusUnprocessableEntity, account.Phone(f))
		}
		nav := auth.Nav(id)
		render.SetTitle(c, "Your account")
		return render.Page(c, fiber.StatusUnprocessableEntity, account.OverviewPage(account.Overview{
			Email: id.User.Email, Name: nav.Name, Role: nav.Role, Organization: nav.Organization, MFAEnabled: id.User.MFAEnabled, Phone: f,
			Approver: approver(id)}))
	}
	if err := id.Account.SetPhone(c.UserContext(), e164); err != nil {
		return err
	}
	if render.IsPartial(c) {
		return render.Page(c, fiber.StatusOK, account.Phone(account.PhoneForm{Value: e164, Saved: true}))
	}
	if e164 == "" {
		render.Flash(c, layout.FlashSuccess, "Phone number removed.")
	} else {
		render.Flash(c, layout.FlashSuccess, "Phone number saved: "+e164+".")
	}
	return render.Redirect(c, "/account")
}

// PhoneE164 checks a phone number typed by a person and returns it in
// E.164, or why it is not one ("" in, "" out: no number).
func PhoneE164(raw string) (e164, why string) {
	if raw == "" {
		return "", ""
	}
	if len(raw) > 40 {
		return "", "That is too long for a phone number."
	}
	if !strings.HasPrefix(raw, "+") {
		return "", "Start with + and the country code, for example +44 7911 123456."
	}
	n, err := phonenumbers.Parse(raw, "")
	if err != nil {
		return "", "This is not a complete phone number. After + and the country code, use digits and spaces only."
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", "This number does not exist in the numbering plan of its country code. Check the digits."
	}
	return phonenumbers.Format(n, phonenumbers.E164), ""
}

// approver reports whether the person may decide approvals in an active
// organization: the account page links to their delegation page.
func approver(id *auth.Identity) bool {
	return id.Org != nil && id.Org.Status == store.OrganizationActive && authz.Can(id.User.Role, authz.ApprovalsDecide)
}
