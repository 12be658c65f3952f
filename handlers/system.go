// Package handlers holds the HTTP handlers, one file per area. Each is thin:
// parse, validate, one domain or store call, render or redirect.
package handlers

import (
	"context"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/home"
)

// System answers the health probes and the home page's status panel.
type System struct {
	DB       *store.DB
	Migrator *store.Migrator
	Jobs     *jobs.Queue
	Log      *slog.Logger
}

// health is one readiness evaluation.
type health struct {
	dbErr      error
	migrations store.MigrationStatus
	migErr     error
}

func (h health) ready() bool {
	return h.dbErr == nil && h.migErr == nil && !h.migrations.Pending()
}

func (s *System) check(ctx context.Context) health {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var r health
	if r.dbErr = s.DB.Ping(ctx); r.dbErr != nil {
		s.Log.Warn("readiness: database unreachable", "error", r.dbErr)
		return r
	}
	if r.migrations, r.migErr = s.Migrator.Status(ctx); r.migErr != nil {
		s.Log.Warn("readiness: migration status unavailable", "error", r.migErr)
	}
	return r
}

// Live answers GET /healthz: the process is up and serving.
func (s *System) Live(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"status": "ok"})
}

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// Ready answers GET /readyz: 200 when the database answers and every
// migration is applied, 503 with the reason otherwise. Raw errors are
// logged, not sent.
func (s *System) Ready(c *fiber.Ctx) error {
	r := s.check(c.UserContext())
	body := readiness{Status: "ok", Checks: map[string]string{"database": "ok", "migrations": "up to date"}}
	switch {
	case r.dbErr != nil:
		body.Checks["database"] = "unreachable"
		body.Checks["migrations"] = "unknown"
	case r.migErr != nil:
		body.Checks["migrations"] = "status unavailable"
	case r.migrations.Pending():
		body.Checks["migrations"] = r.migrations.Describe()
	}
	status := fiber.StatusOK
	if !r.ready() {
		status, body.Status = fiber.StatusServiceUnavailable, "unavailable"
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(body)
}

// Status renders the home page's system status panel (an htmx partial).
func (s *System) Status(c *fiber.Ctx) error {
	r := s.check(c.UserContext())
	db := home.Check{Name: "Database", OK: r.dbErr == nil, Detail: "reachable"}
	if !db.OK {
		db.Detail = "unreachable"
	} else if render.Dev(c) {
		db.Detail = "reachable (" + string(s.DB.Dialect()) + ")"
	}
	schema := home.Check{Name: "Schema", OK: r.dbErr == nil && r.migErr == nil && !r.migrations.Pending(), Detail: "up to date"}
	switch {
	case r.dbErr != nil || r.migErr != nil:
		schema.Detail = "unknown"
	case r.migrations.Pending():
		schema.Detail = "migrations pending"
	}
	queue := home.Check{Name: "Job queue", OK: true, Detail: "ready"}
	if s.Jobs.Working() {
		queue.Detail = "working"
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return render.Page(c, fiber.StatusOK, home.StatusPanel(home.Status{Checks: []home.Check{db, schema, queue}}))
}
