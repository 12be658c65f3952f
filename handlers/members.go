package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/member"
)

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 72 * time.Hour

// Members serves an organization's members page: the list, inline role
// changes, deactivation and invitations. Every store call goes through the
// request's organization-scoped handle, so another organization's member
// id is 404.
type Members struct {
	Mailer  mail.Mailer
	BaseURL string        // links in emails start with it
	Events  jobs.Enqueuer // member.removed is published through it
	Log     *slog.Logger
}

// Index renders GET /members: the page, or only the table for the search
// box and role filter (htmx requests targeting #members-table).
func (h *Members) Index(c *fiber.Ctx) error {
	id := auth.Current(c)
	f := member.Filter{Query: searchTerm(c.Query("q")), Role: c.Query("role")}
	filter := store.MemberFilter{Query: f.Query}
	if r := store.Role(f.Role); r.Assignable() {
		filter.Role = r
	} else {
		f.Role = ""
	}
	ms, err := id.Scope.Members(c.UserContext(), filter)
	if err != nil {
		return err
	}
	m := member.Index{Filter: f, Roles: memberRoles(), Truncated: len(ms) >= store.MemberLimit, Limit: store.MemberLimit}
	now := time.Now()
	for i := range ms {
		m.Rows = append(m.Rows, memberItem(&ms[i], id.User.ID, now))
	}
	c.Vary("HX-Target")
	if render.IsPartial(c) && c.Get("HX-Target") == "members-table" {
		return render.Page(c, fiber.StatusOK, member.Table(m))
	}
	render.SetTitle(c, "Members")
	return render.Page(c, fiber.StatusOK, member.IndexPage(m))
}

// ChangeRole handles POST /members/:id/role and returns the row.
func (h *Members) ChangeRole(c *fiber.Ctx) error {
	id := auth.Current(c)
	role := store.Role(c.FormValue("role"))
	if answered, err := h.approversWarning(c, "role", role); answered || err != nil {
		return err
	}
	m, err := id.Scope.ChangeMemberRole(c.UserContext(), c.Params("id"), role, auth.Actor(c))
	if err != nil {
		return h.refuse(c, err)
	}
	if m.ID == id.User.ID && !authz.Can(m.Role, authz.MembersManage) {
		// The administrator stepped down: the members page is no longer theirs.
		render.Flash(c, layout.FlashInfo, "You are now "+member.RoleLabel(string(m.Role))+" and can no longer manage members.")
		return render.Redirect(c, "/")
	}
	return h.done(c, m, "Role changed to "+member.RoleLabel(string(m.Role))+".", "")
}

// Deactivate handles POST /members/:id/deactivate and returns the row.
func (h *Members) Deactivate(c *fiber.Ctx) error {
	if answered, err := h.approversWarning(c, "deactivate", ""); answered || err != nil {
		return err
	}
	ctx := c.UserContext()
	var m *store.Member
	err := events.Change(ctx, auth.Current(c).Scope, h.Events, func(tx *store.Scoped) ([]events.Event, error) {
		before, err := tx.Member(ctx, c.Params("id"))
		if err != nil {
			return nil, err
		}
		now := time.Now()
		if m, err = tx.DeactivateMember(ctx, before.ID, now, auth.Actor(c)); err != nil || before.DeactivatedAt != nil {
			return nil, err // already deactivated: nothing happened, no event
		}
		e, err := events.New(tx.OrganizationID(), events.MemberRemoved, now, events.MemberOf(m, now))
		return []events.Event{e}, err
	})
	if err != nil {
		return h.refuse(c, err)
	}
	return h.done(c, m, "Deactivated and signed out everywhere.", "")
}

// Reactivate handles POST /members/:id/reactivate and returns the row.
func (h *Members) Reactivate(c *fiber.Ctx) error {
	m, err := auth.Current(c).Scope.ReactivateMember(c.UserContext(), c.Params("id"), auth.Actor(c))
	if err != nil {
		return h.refuse(c, err)
	}
	return h.done(c, m, "Reactivated: they can sign in again.", "")
}

// Resend handles POST /members/:id/resend: a new invitation link replaces
// the old ones and is emailed. Returns the row.
func (h *Members) Resend(c *fiber.Ctx) error {
	id := auth.Current(c)
	token := auth.NewToken()
	expires := time.Now().Add(InvitationTTL)
	m, err := id.Scope.ResendInvitation(c.UserContext(), c.Params("id"), store.EmailLink{TokenHash: auth.HashToken(token), ExpiresAt: expires}, auth.Actor(c))
	if err != nil {
		return h.refuse(c, err)
	}
	if err := h.sendInvitation(c, &m.User, token, expires); err != nil {
		return h.unsent(c, m, h.invitationLink(token), err)
	}
	return h.done(c, m, "A new invitation link was sent to "+m.Email+".", "")
}

// InviteForm renders GET /members/invite.
func (h *Members) InviteForm(c *fiber.Ctx) error {
	render.SetTitle(c, "Invite a member")
	return render.Page(c, fiber.StatusOK, member.InvitePage(member.InviteForm{Roles: memberRoles()}))
}

// Invite handles POST /members/invite: the account and its invitation link
// are created in one transaction, then the link is emailed. When email
// fails the invitation stays, and the administrator is told to resend it.
func (h *Members) Invite(c *fiber.Ctx) error {
	id := auth.Current(c)
	f := member.InviteForm{Email: strings.TrimSpace(c.FormValue("email")), Role: c.FormValue("role"), Roles: memberRoles(), Errors: member.Errors{}}
	if !validEmail(f.Email) {
		f.Errors["email"] = "Enter an email address such as name@example.org."
	}
	if !store.Role(f.Role).Assignable() {
		f.Errors["role"] = "Choose one of the roles in the list."
	}
	checkForm(c, f.Errors)
	invalid := func() error {
		render.SetTitle(c, "Invite a member")
		return render.Page(c, fiber.StatusUnprocessableEntity, member.InvitePage(f))
	}
	if len(f.Errors) > 0 {
		return invalid()
	}
	token := auth.NewToken()
	expires := time.Now().Add(InvitationTTL)
	m, err := id.Scope.InviteMember(c.UserContext(), f.Email, store.Role(f.Role), store.EmailLink{TokenHash: auth.HashToken(token), ExpiresAt: expires}, auth.Actor(c))
	if errors.Is(err, store.ErrEmailTaken) {
		f.Errors["email"] = "An account with this email already exists."
		return invalid()
	}
	if err != nil {
		return err
	}
	if err := h.sendInvitation(c, &m.User, token, expires); err != nil {
		// The link is shown this once (never stored: only its hash is), so
		// that the invitation does not wait for email to work.
		c.Set(fiber.HeaderCacheControl, "no-store")
		render.SetTitle(c, "Invitation created")
		return render.Page(c, fiber.StatusCreated, member.InvitedPage(member.Invited{Email: m.Email, Link: h.invitationLink(token), Problem: mailFailure(err)}))
	}
	render.Flash(c, layout.FlashSuccess, "Invitation sent to "+m.Email+". The link works for 72 hours.")
	return render.Redirect(c, "/members?q="+url.QueryEscape(m.Email))
}

// invitationLink is the invitation page of token.
func (h *Members) invitationLink(token string) string { return h.BaseURL + "/invitations/" + token }

// unsent answers a resend whose email did not go out: the row with the
// problem and the new link for htmx, otherwise the link's page; either is
// the only place the link is ever shown.
func (h *Members) unsent(c *fiber.Ctx, m *store.Member, link string, err error) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if render.IsPartial(c) {
		item := memberItem(m, auth.Current(c).User.ID, time.Now())
		item.Error = "A new link was created, but " + mailFailure(err) + " Copy the link below and send it to them yourself."
		item.InviteLink = link
		return render.Page(c, fiber.StatusOK, member.Row(item))
	}
	render.SetTitle(c, "Invitation created")
	return render.Page(c, fiber.StatusOK, member.InvitedPage(member.Invited{Email: m.Email, Link: link, Problem: mailFailure(err)}))
}

// sendInvitation emails the invitation link. Failures are logged here.
func (h *Members) sendInvitation(c *fiber.Ctx, u *store.User, token string, expires time.Time) error {
	id := auth.Current(c)
	inviter := auth.Nav(id).Name
	if inviter == "" {
		inviter = id.User.Email
	}
	msg := invitationEmail(u.Email, inviter, id.Org.Name, member.RoleLabel(string(u.Role)), h.invitationLink(token), expires)
	ctx, cancel := context.WithTimeout(auth.WithoutCancel(c), mailBudget)
	defer cancel()
	if err := h.Mailer.Send(ctx, msg); err != nil {
		logUnsent(h.Log, "invitation email not sent", err, "user_id", u.ID)
		return err
	}
	return nil
}

// done answers a successful row action: the row with a notice for htmx,
// otherwise back to the list with a flash message.
func (h *Members) done(c *fiber.Ctx, m *store.Member, notice, problem string) error {
	if render.IsPartial(c) {
		item := memberItem(m, auth.Current(c).User.ID, time.Now())
		item.Notice, item.Error = notice, problem
		return render.Page(c, fiber.StatusOK, member.Row(item))
	}
	if problem != "" {
		render.Flash(c, layout.FlashError, m.Email+": "+problem)
	} else {
		render.Flash(c, layout.FlashSuccess, m.Email+": "+notice)
	}
	return render.Redirect(c, "/members")
}

// refuse answers a row action the store refused: the row as it is with the
// reason (422, which htmx swaps), or back to the list with the reason in a
// flash. Unknown members (another organization's too) are 404.
func (h *Members) refuse(c *fiber.Ctx, err error) error {
	why := refusal(err)
	if why == "" {
		return err
	}
	m, merr := auth.Current(c).Scope.Member(c.UserContext(), c.Params("id"))
	if merr != nil {
		return merr
	}
	if render.IsPartial(c) {
		item := memberItem(m, auth.Current(c).User.ID, time.Now())
		item.Error = why
		return render.Page(c, fiber.StatusUnprocessableEntity, member.Row(item))
	}
	render.Flash(c, layout.FlashError, m.Email+": "+why)
	return render.Redirect(c, "/members")
}

// refusal is the message for a member change the rules refuse, or "".
func refusal(err error) string {
	switch {
	case errors.Is(err, store.ErrLastAdmin):
		return "This is the organization's last active administrator. Make another member an administrator first."
	case errors.Is(err, store.ErrSelfDeactivation):
		return "You cannot deactivate your own account."
	case errors.Is(err, store.ErrRoleNotAssignable):
		return "Choose one of the roles in the list."
	case errors.Is(err, store.ErrPlatformAdmin):
		return "Platform administrators are managed by the operator, not here."
	case errors.Is(err, store.ErrNotInvited):
		return "This member has already joined or is deactivated: there is no invitation to resend."
	}
	return ""
}

// logUnsent logs an email that did not go out, unless email is not
// configured at all: serve warned of that once at start, and the person who
// asked is told on the page; an error line per invitation or reset would
// only repeat it.
func logUnsent(log *slog.Logger, msg string, err error, args ...any) {
	if errors.Is(err, mail.ErrNotConfigured) {
		return
	}
	log.Error(msg, append(args, "error", err)...)
}

// mailFailure says why an email did not go out, without internals.
func mailFailure(err error) string {
	if errors.Is(err, mail.ErrNotConfigured) {
		return "the email could not be sent: email is not configured on this server; ask your operator."
	}
	return "the email could not be sent: the mail server did not accept it. Try again later."
}

// searchTerm cleans a search box's text: valid UTF-8 without control
// characters (PostgreSQL refuses NUL), trimmed, at most 100 characters.
func searchTerm(q string) string {
	q = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(q, ""))
	q = strings.TrimSpace(q)
	if r := []rune(q); len(r) > 100 {
		q = string(r[:100])
	}
	return q
}

func memberRoles() []string {
	roles := make([]string, len(store.MemberRoles))
	for i, r := range store.MemberRoles {
		roles[i] = string(r)
	}
	return roles
}

func memberItem(m *store.Member, self string, now time.Time) member.Item {
	it := member.Item{ID: m.ID, Name: m.Profile.Data().DisplayName, Email: m.Email, Role: string(m.Role),
		InvitationExpired: m.InvitationExpired(now), MFA: m.MFAEnabled, Self: m.ID == self, Roles: memberRoles()}
	switch m.Status() {
	case store.MemberDeactivated:
		it.Status = member.StatusDeactivated
	case store.MemberInvited:
		it.Status = member.StatusInvited
	case store.MemberAwaitingApproval:
		it.Status = member.StatusAwaiting
	default:
		it.Status = member.StatusActive
	}
	if m.LastLogin != nil {
		it.LastLogin = m.LastLogin.UTC().Format("2 Jan 2006 15:04 UTC")
	}
	return it
}
