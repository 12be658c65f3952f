package handlers

import (
	"context"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
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
			var msgs []string
			for _, k := range []string{"", "actor", "action", "resource", "from", "to"} {
				if msg := f.Errors[k]; msg != "" {
					msgs = append(msgs, msg)
				}
			}
			m.Filter.Errors[""] = strings.Join(msgs, " ")
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
		q := filterQuery(f)
		if p.Next != nil {
			q.Set("before", p.Next.String())
			m.Older = path + "?" + q.Encode()
			q.Del("before")
		}
		if sf.Before != nil {
			m.Newest = path
			if enc := q.Encode(); enc != "" {
				m.Newest += "?" + enc
			}
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
	day := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			f.Errors[field] = "Enter a date as yyyy-mm-dd, such as " + time.Now().UTC().Format(time.DateOnly) + "."
		}
		return d
	}
	sf.From = day("from", f.From)
	if to := day("to", f.To); !to.IsZero() {
		sf.To = to.AddDate(0, 0, 1) // the whole day
		if !sf.From.IsZero() && to.Before(sf.From) {
			f.Errors["to"] = "Choose a day on or after the “From” day."
		}
	}
	if b := c.Query("before"); b != "" {
		cur, err := store.ParseCursor(b)
		if err != nil || !cur.Timed() {
			f.Errors[""] = "This page link is not valid. Start again from the newest events."
		}
		sf.Before = cur
	}
	return f, sf
}

// filterQuery is the filter as query parameters, without empty ones.
func filterQuery(f audit.Filter) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"actor": f.Actor, "action": f.Action, "resource": f.Resource, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
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
