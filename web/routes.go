package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/handlers"
)

// routes lists every route of the application, grouped by the guard it
// needs. A route not listed here does not exist.
func routes(app *fiber.App, d Deps) {
	system := &handlers.System{DB: d.DB, Migrator: d.Migrator, Jobs: d.Jobs, Log: d.Log}
	home := handlers.Home{}

	// Probes and assets: no session, no CSRF, not logged at info level.
	app.Get("/healthz", system.Live)
	app.Get("/readyz", system.Ready)
	app.Get("/static/*", serveStatic)

	// Public pages.
	app.Get("/", home.Index)
	app.Get("/status", system.Status)
}
