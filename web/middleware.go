package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/web/auth"
)

type localKey int

const keyRequestID localKey = iota

// RequestID returns the id of the current request, as logged and as shown
// on error pages.
func RequestID(c *fiber.Ctx) string {
	id, _ := c.Locals(keyRequestID).(string)
	return id
}

// requestID takes a well-formed X-Request-ID from a proxy or makes one, and
// echoes it in the response.
func requestID() fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Get(fiber.HeaderXRequestID)
		if !validRequestID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Locals(keyRequestID, id)
		c.Set(fiber.HeaderXRequestID, id)
		return c.Next()
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// requestLog writes one structured line per request. Errors are rendered
// here (through the app's error handler) so that the logged status is the
// one the client got.
func requestLog(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		if err := c.Next(); err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case status >= 400:
			level = slog.LevelWarn
		case strings.HasPrefix(c.Path(), "/static/") || c.Path() == "/healthz" || c.Path() == "/readyz":
			level = slog.LevelDebug
		}
		log.LogAttrs(c.UserContext(), level, "request",
			slog.String("request_id", RequestID(c)),
			slog.String("method", c.Method()),
			slog.String("path", auth.LogPath(c.Path())),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.Int("bytes", len(c.Response().Body())),
			slog.String("ip", c.IP()),
			slog.Bool("htmx", c.Get("HX-Request") == "true"),
		)
		return nil
	}
}

// contentSecurityPolicy allows only this origin's scripts, styles and images:
// no inline script or style anywhere in the application.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries.
func securityHeaders(https bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := &c.Response().Header
		h.Set(fiber.HeaderContentSecurityPolicy, contentSecurityPolicy)
		h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		h.Set(fiber.HeaderReferrerPolicy, "strict-origin-when-cross-origin")
		h.Set(fiber.HeaderXFrameOptions, "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set(fiber.HeaderPermissionsPolicy, "camera=(), microphone=(), geolocation=(), payment=()")
		if https {
			h.Set(fiber.HeaderStrictTransportSecurity, "max-age=63072000; includeSubDomains")
		}
		return c.Next()
	}
}

// rejectNUL refuses a request whose query or form carries a NUL byte or
// invalid UTF-8: no legitimate form sends them, PostgreSQL cannot store a
// NUL in text, and letting them through turns a typo-level attack into a 500.
func rejectNUL() fiber.Handler {
	return func(c *fiber.Ctx) error {
		bad := false
		check := func(k, v []byte) {
			if !bad && (bytes.IndexByte(k, 0) >= 0 || bytes.IndexByte(v, 0) >= 0 || !utf8.Valid(k) || !utf8.Valid(v)) {
				bad = true
			}
		}
		c.Request().URI().QueryArgs().VisitAll(check)
		if strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEApplicationForm) {
			c.Request().PostArgs().VisitAll(check)
		}
		if bad || strings.IndexByte(c.Path(), 0) >= 0 {
			return fiber.NewError(fiber.StatusBadRequest, "the request contains characters that are not allowed")
		}
		return c.Next()
	}
}
