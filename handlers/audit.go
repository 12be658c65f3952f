package handlers

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/form"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/audit"
)

// Audit serves the audit trail: an organization's to its admins, every
// organization's to platform operators.
type Audit struct {
	DB       *store.DB
	PageSize int // 0: store.DefaultAuditPage
}

// Org renders GET /audit: the organization's events.
func (h *Audit) Org(c *fiber.Ctx) error {
	s := auth.Current(c).Scope
	return h.list(c, "/audit", false, s.AuditLogs)
}

// Platform renders GET /admin/audit: every event (platform operators).
func (h *Audit) Platform(c *fiber.Ctx) error {
	return h.list(c, "/admin/audit", true, h.DB.AllAuditLogs)
}

func (h *Audit) list(c *fiber.Ctx, path string, platform bool, query func(context.Context, store.AuditFilter) (store.AuditPage, error)) error {
	m := audit.Model{Path: path, Platform: platform}
	f, sf := parseAuditFilter(c)
	m.Filter = f
	status := fiber.StatusOK
	if len(f.Errors) > 0 {
		status = fiber.StatusUnprocessableEntity
		if render.IsPartial(c) {
			// Only the results are swapped in: say there what is wrong.
			m.Filter.Errors[""] = form.Summary(f.Errors, "actor", "action", "resource", "from", "to")
		}
	} else {
		sf.Limit = h.PageSize
		p, err := query(c.UserContext(), sf)
		if err != nil {
			return err
		}
		for _, e := range p.Entries {
			m.Entries = append(m.Entries, auditEntry(e))
		}
		if p.Next != nil {
			m.Older = auditURL(path, f, p.Next.String())
		}
		if sf.Before != nil {
			m.Newest = auditURL(path, f, "")
		}
	}
	render.SetTitle(c, "Audit log")
	if render.IsPartial(c) {
		return render.Page(c, status, audit.Results(m))
	}
	return render.Page(c, status, audit.Page(m))
}

// parseAuditFilter reads and checks the query string.
func parseAuditFilter(c *fiber.Ctx) (audit.Filter, store.AuditFilter) {
	f := audit.Filter{Actor: strings.TrimSpace(c.Query("actor")), Action: strings.TrimSpace(c.Query("action")),
		Resource: strings.TrimSpace(c.Query("resource")), From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to")),
		Errors: audit.Errors{}}
	sf := store.AuditFilter{ActorEmail: f.Actor, Action: f.Action, ResourceType: f.Resource}
	for field, v := range map[string]string{"actor": f.Actor, "action": f.Action, "resource": f.Resource} {
		if utf8.RuneCountInString(v) > 254 {
			f.Errors[field] = "Use at most 254 characters."
		}
	}
	days := form.ParseDays(f.Errors, f.From, f.To)
	sf.From, sf.To = days.From, days.End()
	if b := c.Query("before"); b != "" {
		sf.Before = form.ParseCursor(f.Errors, b)
	}
	return f, sf
}

// auditURL is the log at path with the filter, and a page cursor unless
// before is "".
func auditURL(path string, f audit.Filter, before string) string {
	return form.Link(path, map[string]string{"actor": f.Actor, "action": f.Action, "resource": f.Resource,
		"from": f.From, "to": f.To, "before": before})
}

func auditEntry(e store.AuditEntry) audit.Entry {
	out := audit.Entry{ID: e.ID, At: e.CreatedAt.UTC().Format("2006-01-02 15:04:05 UTC"), AtISO: e.CreatedAt.UTC().Format(time.RFC3339),
		Action: e.Action, Summary: e.Details.Data().Summary, ResourceType: e.ResourceType}
	if e.ActorEmail != nil {
		out.Actor = *e.ActorEmail
	}
	if e.ResourceID != nil {
		out.ResourceID = *e.ResourceID
	}
	if e.IPAddress != nil {
		out.IP = *e.IPAddress
	}
	if e.OrganizationName != nil {
		out.Organization = *e.OrganizationName
	}
	return out
}
