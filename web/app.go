// Package web assembles the Fiber application: middleware, the route table
// and the one error handler.
package web

import (
	"log/slog"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
)

// Deps is what the web tier needs from the rest of the process.
type Deps struct {
	Config     config.Config
	DB         *store.DB
	Migrator   *store.Migrator
	Jobs       *jobs.Queue
	Keys       *secret.Keyring
	Mailer     mail.Mailer
	Blobs      blob.Store // uploaded files (organization logos)
	Log        *slog.Logger
	SetupToken string // while no administrator exists: the token /setup asks for
	// Services are the long-lived services the handlers share, built once
	// by the caller (NewServices).
	Services Services
}

// New builds the application. It does not listen: the caller does, so that
// tests can drive it through app.Test.
func New(d Deps) *fiber.App {
	if d.Services.Issuer == nil || d.Services.Verify == nil || d.Services.DNS == nil {
		panic("web: Deps.Services is not built (web.NewServices)") // a wiring mistake, found at start
	}
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
	sessions := auth.New(d.DB, d.Keys, auth.Config{
		Idle: d.Config.SessionIdle, Lifetime: d.Config.SessionLifetime, Secure: strings.HasPrefix(d.Config.BaseURL, "https://"),
	}, d.Log)
	routes(app, d, sessions)
	return app
}

// middleware is the stack every request passes through, outermost first.
func middleware(d Deps) []any {
	return []any{
		clientAddress(d.Config.TrustedProxies),
		requestID(),
		compress(),
		requestLog(d.Log),
		recover.New(recover.Config{
			EnableStackTrace: true,
			StackTraceHandler: func(c *fiber.Ctx, e any) {
				d.Log.Error("panic", "request_id", RequestID(c), "panic", e, "stack", string(debug.Stack()))
			},
		}),
		securityHeaders(strings.HasPrefix(d.Config.BaseURL, "https://")),
		render.Install(d.Config.Dev),
		// Before any route, form parser or CSRF check can read the body.
		refuseEncodedBodies(),
		// A verified custom domain serves its organization's public pages only.
		customDomains(d.DB, d.Config.BaseURL),
	}
}

// pageMiddleware is what every page and form adds: who is signed in, CSRF,
// flash messages, the layout's user menu, and the first-run redirect.
func pageMiddleware(d Deps, m *auth.Manager) []any {
	return []any{rejectNUL(), m.Load(), m.CSRF(), m.Flashes(), auth.Chrome(), setupGate(d.DB)}
}

// setupGate sends every page to /setup until the first administrator
// exists. Once one does, it never asks the database again.
func setupGate(db *store.DB) fiber.Handler {
	var done atomic.Bool
	return func(c *fiber.Ctx) error {
		if done.Load() || c.Path() == "/setup" {
			return c.Next()
		}
		ok, err := db.HasSuperAdmin(c.UserContext())
		if err != nil {
			return err
		}
		if ok {
			done.Store(true)
			return c.Next()
		}
		return render.Redirect(c, "/setup")
	}
}

// refusalLimit allows max refused requests (status 400 and up) per minute
// per client IP on the routes it guards, then answers 429 until the
// minute is over; successful requests are not counted. The approve
// routes use it with the sign-in limit: a wrong step-up password or code
// is refused like a wrong sign-in. 0 disables it.
func refusalLimit(max int) fiber.Handler {
	if max <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return limiter.New(limiter.Config{
		Max:                    max,
		Expiration:             time.Minute,
		SkipSuccessfulRequests: true,
		LimitReached: func(*fiber.Ctx) error {
			return fiber.ErrTooManyRequests
		},
	})
}

// rateLimit allows max requests per minute per client IP on the routes it
// guards (sign-in, password reset); 0 disables it.
func rateLimit(max int) fiber.Handler {
	if max <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return limiter.New(limiter.Config{
		Max:        max,
		Expiration: time.Minute,
		LimitReached: func(*fiber.Ctx) error {
			return fiber.ErrTooManyRequests
		},
	})
}
