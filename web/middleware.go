package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/handlers"
	"github.com/trustcred/trustcred/internal/text"
	"github.com/trustcred/trustcred/render"
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

// rejectNUL refuses a request that carries a NUL in its path, or invalid
// UTF-8 or a control character (other than tab, CR and LF) in its query or
// a field of its form, urlencoded or multipart (names, values and uploaded files'
// names): PostgreSQL cannot store a NUL in text, and no one types the
// others. The answer is 400 with a message naming the parameter or field.
// A field a page form checks itself (handlers.FormField) is left to that
// form, which shows what is wrong next to the field (422).
func rejectNUL() fiber.Handler {
	return func(c *fiber.Ctx) error {
		var bad *render.Problem
		refuse := func(what, name string, err error) {
			if bad == nil {
				if text.Check(name, text.SingleLine) != nil { // never echo the character itself
					name = strings.Trim(strconv.QuoteToASCII(name), `"`)
				}
				bad = &render.Problem{Status: fiber.StatusBadRequest, Title: "Characters not allowed",
					Detail: fmt.Sprintf("The %s “%s” %s.", what, name, err.Error())}
			}
		}
		check := func(what, k string, v string, form bool) {
			if err := text.Check(k, text.SingleLine); err != nil {
				refuse(what+" name", k, err)
			} else if form && handlers.FormField(k) {
				return
			} else if err := text.Check(v, text.MultiLine); err != nil {
				refuse(what, k, err)
			}
		}
		if strings.IndexByte(c.Path(), 0) >= 0 {
			return &render.Problem{Status: fiber.StatusBadRequest, Title: "Characters not allowed",
				Detail: "The address " + text.ErrControl.Error() + "."}
		}
		c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) { check("parameter", string(k), string(v), false) })
		ct := c.Request().Header.ContentType()
		switch {
		case bytes.HasPrefix(ct, []byte(fiber.MIMEApplicationForm)):
			c.Request().PostArgs().VisitAll(func(k, v []byte) { check("field", string(k), string(v), true) })
		case bytes.HasPrefix(ct, []byte(fiber.MIMEMultipartForm)):
			// A body that is not a valid multipart form is the handler's to refuse.
			if mf, err := c.MultipartForm(); err == nil {
				for _, k := range slices.Sorted(maps.Keys(mf.Value)) { // the first bad field in a stable order
					for _, v := range mf.Value[k] {
						check("field", k, v, true)
					}
				}
				for _, k := range slices.Sorted(maps.Keys(mf.File)) {
					for _, f := range mf.File[k] {
						check("field", k, "", true)
						if handlers.FormField(k) {
							continue // its form checks the file's name and says so next to the field
						}
						if err := text.Check(f.Filename, text.SingleLine); err != nil {
							refuse("file name of the field", k, err)
						}
					}
				}
			}
		}
		if bad != nil {
			return bad
		}
		return c.Next()
	}
}
