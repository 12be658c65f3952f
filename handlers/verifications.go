package handlers

import (
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/form"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	view "github.com/trustcred/trustcred/views/verification"
)

// Verifications serves an organization's verification history.
type Verifications struct{}

// Index renders GET /verifications, filtered by credential (public id),
// method, result and days; an htmx request gets only the results.
func (h *Verifications) Index(c *fiber.Ctx) error {
	sc := auth.Current(c).Scope
	f := view.HistoryFilter{Credential: strings.TrimSpace(c.Query("credential")), Method: c.Query("method"),
		Verdict: c.Query("verdict"), From: c.Query("from"), To: c.Query("to"), Errors: map[string]string{}}
	var sf store.VerificationFilter
	if f.Credential != "" {
		cred, err := sc.CredentialByPublicID(c.UserContext(), f.Credential)
		if err != nil {
			f.Errors["credential"] = "No credential of your organization has this public id."
		} else {
			sf.CredentialID = cred.ID
		}
	}
	if f.Method != "" {
		if m := store.VerificationMethod(f.Method); m.Valid() {
			sf.Method = m
		} else {
			f.Errors["method"] = "Choose a method from the list."
		}
	}
	if f.Verdict == "" || slices.Contains(view.Verdicts, f.Verdict) {
		sf.Verdict = f.Verdict
	} else {
		f.Errors["verdict"] = "Choose a result from the list."
	}
	days := form.ParseDays(f.Errors, f.From, f.To)
	sf.From, sf.To = days.From, days.End()
	if cur := c.Query("before"); cur != "" {
		// A bad page link alone still shows the newest verifications.
		sf.Before = form.ParseCursor(f.Errors, cur)
	}
	m := view.History{Filter: f}
	status := fiber.StatusOK
	if len(f.Errors) > 0 && !(len(f.Errors) == 1 && f.Errors[""] != "") {
		status = fiber.StatusUnprocessableEntity
		if render.IsPartial(c) {
			m.Filter.Errors[""] = form.Summary(f.Errors, "credential", "method", "verdict", "from", "to")
		}
	} else {
		p, err := sc.Verifications(c.UserContext(), sf)
		if err != nil {
			return err
		}
		m.Total, m.Valid, m.Revoked, m.Suspended, m.Expired, m.Invalid, m.Unavailable = p.Counts.Total, p.Counts.Valid, p.Counts.Revoked,
			p.Counts.Suspended, p.Counts.Expired, p.Counts.Invalid, p.Counts.Unavailable
		for _, e := range p.Entries {
			verdict := deref(e.Verdict)
			m.Entries = append(m.Entries, view.HistoryEntry{At: e.VerifiedAt.UTC().Format("2 Jan 2006 15:04:05 UTC"),
				AtISO: e.VerifiedAt.UTC().Format(time.RFC3339), PublicID: deref(e.PublicID), Recipient: deref(e.RecipientName),
				Method: string(e.VerificationMethod), Verdict: verdict, IP: deref(e.IPAddress), UserAgent: deref(e.UserAgent)})
		}
		link := func(before string) string {
			return form.Link("/verifications", map[string]string{"credential": f.Credential, "method": f.Method,
				"verdict": f.Verdict, "from": f.From, "to": f.To, "before": before})
		}
		if sf.Before != nil {
			m.Newest = link("")
		}
		if p.Next != nil {
			m.Older = link(p.Next.String())
		}
	}
	if render.IsPartial(c) {
		return render.Component(c, status, view.HistoryResults(m))
	}
	render.SetTitle(c, "Verifications")
	return render.Page(c, status, view.HistoryPage(m))
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
