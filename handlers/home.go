package handlers

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/dashboard"
	"github.com/trustcred/trustcred/views/home"
	"github.com/trustcred/trustcred/views/ui"
)

// Home serves the landing page, or a signed-in user's dashboard.
type Home struct {
	DB  *store.DB
	Now func() time.Time // the clock (time.Now when nil)
}

// Dashboard sizes.
const (
	dashboardPending   = 10 // newest registrations a platform operator sees
	dashboardEvents    = 5  // newest audit entries an org administrator sees
	dashboardPersonal  = 5  // a verifier's own verifications, a recipient's credentials
	dashboardTimestamp = "2 Jan 15:04 UTC"
)

// Index renders GET /: the landing page, or the dashboard for the role.
// Platform operators see the registrations awaiting approval and platform
// counts; members of an active organization who may read its work see this
// month's figures, the bulk batches still to finish, the latest
// verifications, the latest audit entries (with audit.read) and members by
// status (with members.manage), and a new organization its getting-started
// checklist; a verifier gets the verify box and their own latest
// verifications, a recipient the credentials issued to them; members of an
// organization awaiting approval see only that. Everyone gets the quick
// actions their role may take.
func (h *Home) Index(c *fiber.Ctx) error {
	id := auth.Current(c)
	if id == nil {
		return render.Page(c, fiber.StatusOK, home.IndexPage())
	}
	if auth.Awaiting(id) {
		return auth.MembershipPending(c, id)
	}
	ctx := c.UserContext()
	who := auth.Nav(id)
	role := id.User.Role
	active := id.Org != nil && id.Org.Status == store.OrganizationActive
	m := dashboard.Model{Name: who.Name, Organization: who.Organization, Role: who.RoleLabel(), Email: id.User.Email,
		EmailUnverified: !id.User.EmailVerified, Actions: quickActions(role, active)}
	if m.Name == "" {
		m.Name = id.User.Email
	}

	if authz.Can(role, authz.PlatformManage) {
		p, err := h.platform(c)
		if err != nil {
			return err
		}
		m.Platform = p
	}
	switch {
	case id.Org == nil:
	case !active:
		m.OrgPending = id.Org.Status == store.OrganizationPending
	case authz.Can(role, authz.OrgView):
		o, steps, err := h.org(c, id)
		if err != nil {
			return err
		}
		m.Org, m.Checklist = o, steps
	}
	if !authz.Can(role, authz.OrgView) && !authz.Can(role, authz.PlatformManage) {
		// People who do not work on the organization's credentials: what
		// they came for.
		if authz.Can(role, authz.CredentialsVerify) {
			mine, err := id.Account.RecentVerifications(ctx, dashboardPersonal)
			if err != nil {
				return err
			}
			v := &dashboard.Verifier{}
			for _, e := range mine {
				row := dashboard.Verification{At: e.VerifiedAt.UTC().Format(dashboardTimestamp), Verdict: verdictLabel(e.Verdict),
					Issuer: deref(e.IssuerName)}
				if e.PublicID != nil {
					row.Href = "/v/" + *e.PublicID
				}
				v.Recent = append(v.Recent, row)
			}
			m.Verifier = v
		} else {
			got, err := id.Account.ReceivedCredentials(ctx, dashboardPersonal)
			if err != nil {
				return err
			}
			r := &dashboard.Recipient{EmailVerified: id.User.EmailVerified}
			for _, e := range got {
				rc := dashboard.Received{Name: deref(e.TemplateName), Issuer: e.IssuerName, Href: "/v/" + e.PublicID,
					Status: credentialStatusLabel(e.Status)}
				if rc.Name == "" {
					rc.Name = "Credential"
				}
				if e.IssuedAt != nil {
					rc.Issued = e.IssuedAt.UTC().Format("2 Jan 2006")
				}
				r.Credentials = append(r.Credentials, rc)
			}
			m.Recipient = r
		}
	}
	render.SetTitle(c, "Dashboard")
	return render.Page(c, fiber.StatusOK, dashboard.Page(m))
}

// org is the organization's panel and, while it is new, its checklist.
func (h *Home) org(c *fiber.Ctx, id *auth.Identity) (*dashboard.Org, []dashboard.Step, error) {
	ctx := c.UserContext()
	role := id.User.Role
	now := time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	d, err := id.Scope.Dashboard(ctx, now)
	if err != nil {
		return nil, nil, err
	}
	o := &dashboard.Org{}
	o.Stats = append(o.Stats,
		monthStat("Credentials issued this month", d.Issued, d.IssuedBefore, "/credentials", "stat-issued"),
		monthStat("Verifications this month", d.Verified, d.VerifiedBefore, "/verifications", "stat-verifications"))
	if authz.Can(role, authz.CredentialsIssue) {
		o.Batches = true
		o.Stats = append(o.Stats, ui.StatProps{Label: "Bulk batches in progress", Value: itoa(d.PendingBatchCount), Href: "/credentials/bulk",
			Detail: "Checked and waiting, queued or running", Trend: ui.TrendNone, TestID: "stat-batches"})
		for _, b := range d.PendingBatches {
			row := dashboard.Batch{Href: "/credentials/bulk/" + b.ID, Status: batchStatusLabel(b.Status),
				Rows: itoa(int64(b.TotalRows - b.InvalidRows)), Created: b.CreatedAt.UTC().Format(dashboardTimestamp)}
			if b.Filename != nil {
				row.Name = *b.Filename
			}
			if b.Template != nil {
				row.Template = b.Template.Name
			}
			o.PendingBatches = append(o.PendingBatches, row)
		}
	}
	for _, v := range d.RecentVerifications {
		row := dashboard.Verification{At: v.VerifiedAt.UTC().Format(dashboardTimestamp), Verdict: verdictLabel(v.Verdict),
			Credential: deref(v.RecipientName)}
		if v.CredentialID != nil {
			row.Href = "/credentials/" + *v.CredentialID
		}
		if row.Credential == "" && v.PublicID != nil {
			row.Credential = *v.PublicID
		}
		o.Verifications = append(o.Verifications, row)
	}
	if authz.Can(role, authz.MembersManage) {
		mc, err := id.Scope.MemberCounts(ctx)
		if err != nil {
			return nil, nil, err
		}
		o.Members = []ui.StatProps{
			{Label: "Active members", Value: itoa(mc.Active), Href: "/members", TestID: "count-members"},
			{Label: "Pending invitations", Value: itoa(mc.Invited), Href: "/members", TestID: "count-invitations"},
			{Label: "Deactivated", Value: itoa(mc.Deactivated), Href: "/members", TestID: "count-deactivated"},
		}
	}
	if authz.Can(role, authz.AuditRead) {
		page, err := id.Scope.AuditLogs(ctx, store.AuditFilter{Limit: dashboardEvents})
		if err != nil {
			return nil, nil, err
		}
		o.Audit = true
		for _, e := range page.Entries {
			ev := dashboard.Event{At: e.CreatedAt.UTC().Format(dashboardTimestamp), Action: e.Action, Summary: e.Details.Data().Summary}
			if e.ActorEmail != nil {
				ev.Actor = *e.ActorEmail
			}
			o.Events = append(o.Events, ev)
		}
	}
	return o, checklist(role, d.Setup), nil
}

// checklist is a new organization's getting-started steps, each ticked
// from its data and linking to the page that does it when the role may
// open it; nil once every step is done, or for a role that can do none.
func checklist(role store.Role, s store.Setup) []dashboard.Step {
	steps := []struct {
		done                    bool
		p                       authz.Permission
		label, text, href, test string
	}{
		{s.Profile, authz.OrgManage, "Describe your organization and add its logo",
			"Verifiers see them on your public page and on every credential.", "/settings/profile", "step-profile"},
		{s.Schemas > 0, authz.SchemasWrite, "Create your first schema",
			"The fields a credential carries, such as a degree and its grade.", "/schemas/new", "step-schema"},
		{s.Templates > 0, authz.SchemasWrite, "Create your first template",
			"A schema with a name, a design and defaults, ready to issue.", "/templates/new", "step-template"},
		{s.Credentials > 0, authz.CredentialsIssue, "Issue your first credential",
			"One by one from a form, or many at once from a CSV file.", "/credentials/issue", "step-credential"},
		{s.Members > 1, authz.MembersManage, "Invite a colleague",
			"Give them the role they need: issuer, reviewer, verifier or administrator.", "/members/invite", "step-invite"},
	}
	var out []dashboard.Step
	left, able := 0, 0
	for _, st := range steps {
		can := authz.Can(role, st.p)
		step := dashboard.Step{Label: st.label, Text: st.text, Done: st.done, TestID: st.test}
		if can {
			step.Href = st.href
		}
		if !st.done {
			left++
			if can {
				able++
			}
		}
		out = append(out, step)
	}
	if left == 0 || able == 0 {
		return nil
	}
	return out
}

// quickActions are the shortcuts of the dashboard, for what the role may do.
func quickActions(role store.Role, active bool) []dashboard.Action {
	var out []dashboard.Action
	for _, a := range []struct {
		p            authz.Permission
		org          bool
		label, href  string
		test         string
		primary      bool
		skipWithPerm authz.Permission // not when the role has this one (a better action is there)
	}{
		{authz.CredentialsIssue, true, "Issue a credential", "/credentials/issue", "action-issue", true, ""},
		{authz.CredentialsIssue, true, "Upload a CSV for bulk issuance", "/credentials/bulk/new", "action-bulk", false, ""},
		{authz.SchemasWrite, true, "New schema", "/schemas/new", "action-schema", false, ""},
		{authz.SchemasWrite, true, "New template", "/templates/new", "action-template", false, ""},
		{authz.MembersManage, true, "Invite a member", "/members/invite", "action-invite", false, ""},
		{authz.OrgView, true, "Browse credentials", "/credentials", "action-credentials", false, authz.CredentialsIssue},
		{authz.PlatformManage, false, "Review registrations", store.PendingRegistrationsLink, "action-registrations", true, ""},
		{authz.AccountUse, false, "Verify a credential", "/verify", "action-verify", false, ""},
	} {
		if a.org && !active || !authz.Can(role, a.p) || a.skipWithPerm != "" && authz.Can(role, a.skipWithPerm) {
			continue
		}
		out = append(out, dashboard.Action{Label: a.label, Href: a.href, TestID: a.test, Primary: a.primary})
	}
	return out
}

// monthStat is a figure of this month with its trend against the same
// stretch of last month.
func monthStat(label string, now, before int64, href, testID string) ui.StatProps {
	s := ui.StatProps{Label: label, Value: itoa(now), Href: href, TestID: testID}
	switch {
	case now > before:
		s.Trend, s.Detail = ui.TrendUp, "Up from "+itoa(before)+" by this day last month"
	case now < before:
		s.Trend, s.Detail = ui.TrendDown, "Down from "+itoa(before)+" by this day last month"
	default:
		s.Trend, s.Detail = ui.TrendFlat, "Same as by this day last month"
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// verdictLabel is a logged verdict in words.
func verdictLabel(v *string) string {
	switch deref(v) {
	case "valid":
		return "Valid"
	case "revoked":
		return "Revoked"
	case "suspended":
		return "Suspended"
	case "expired":
		return "Expired"
	case "invalid":
		return "Not valid"
	case "unavailable":
		return "Could not check"
	}
	return "Not recorded"
}

// credentialStatusLabel is a credential's status as its holder reads it.
func credentialStatusLabel(s store.CredentialStatus) string {
	return statusWord(string(s))
}

// batchStatusLabel is a bulk batch's status as the dashboard shows it.
func batchStatusLabel(s store.BatchStatus) string {
	if s == store.BatchValidated {
		return "Checked, waiting to be issued"
	}
	return statusWord(string(s))
}

func statusWord(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// platform is the platform operator's panel.
func (h *Home) platform(c *fiber.Ctx) (*dashboard.Platform, error) {
	ctx := c.UserContext()
	pc, err := h.DB.PlatformCounts(ctx)
	if err != nil {
		return nil, err
	}
	pending, err := h.DB.LatestPendingRegistrations(ctx, dashboardPending)
	if err != nil {
		return nil, err
	}
	p := &dashboard.Platform{PendingLink: store.PendingRegistrationsLink}
	for _, s := range []store.OrganizationStatus{store.OrganizationPending, store.OrganizationActive, store.OrganizationSuspended, store.OrganizationRevoked} {
		p.Counts = append(p.Counts, ui.StatProps{Label: statusLabel(s) + " organizations", Value: itoa(pc.Organizations[s]),
			Href: "/admin/organizations?status=" + string(s), TestID: "count-" + string(s)})
	}
	p.Counts = append(p.Counts, ui.StatProps{Label: "Users", Value: itoa(pc.Users), TestID: "count-users"})
	for _, r := range pending {
		p.Pending = append(p.Pending, dashboard.Pending{Name: r.Name, Slug: r.Slug, Type: orgTypeLabel(r.Type),
			AdminEmail: r.AdminEmail, AdminEmailVerified: r.AdminEmailVerified, Registered: r.CreatedAt.UTC().Format("2 Jan 2006 15:04 UTC")})
	}
	return p, nil
}

// statusLabel is how an organization status is shown: "Active".
func statusLabel(s store.OrganizationStatus) string {
	return statusWord(string(s))
}
