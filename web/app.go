// Package web assembles the Fiber application: middleware, the route table
// and the one error handler.
package web

import (
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/web/render"
)

// Deps is what the web tier needs from the rest of the process.
type Deps struct {
	Config   config.Config
	DB       *store.DB
	Migrator *store.Migrator
	Jobs     *jobs.Queue
	Log      *slog.Logger
}

// New builds the application. It does not listen: the caller does, so that
// tests can drive it through app.Test.
func New(d Deps) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "TrustCred",
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler(d.Log),
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		BodyLimit:             8 << 20,
	})
	app.Use(middleware(d)...)
	routes(app, d)
	return app
}

// middleware is the stack every request passes through, outermost first.
func middleware(d Deps) []any {
	return []any{
		requestID(),
		requestLog(d.Log),
		recover.New(recover.Config{
			EnableStackTrace: true,
			StackTraceHandler: func(c *fiber.Ctx, e any) {
				d.Log.Error("panic", "request_id", RequestID(c), "panic", e, "stack", string(debug.Stack()))
			},
		}),
		securityHeaders(strings.HasPrefix(d.Config.BaseURL, "https://")),
		render.Install(d.Config.Dev),
	}
}
