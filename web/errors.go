package web

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/verify"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/errorpage"
	"github.com/trustcred/trustcred/views/ui"
)

// errorHandler is the one place where errors become responses: store's
// not-found becomes 404, Fiber's errors keep their status, a database that
// cannot be reached (or a verification that could not be completed) is a
// 503 with Retry-After, anything else is a 500; 5xx are logged with the
// request id. Details reach the browser only
// in development mode; API clients get Problem Details JSON.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		code := fiber.StatusInternalServerError
		var (
			fe *fiber.Error
			pr *render.Problem
		)
		switch {
		case errors.Is(err, store.ErrNotFound):
			code = fiber.StatusNotFound
		case errors.As(err, &pr):
			code = pr.Status
		case errors.As(err, &fe):
			code = fe.Code
		case unavailable(err):
			code = fiber.StatusServiceUnavailable
		}
		if code == fiber.StatusServiceUnavailable {
			c.Set(fiber.HeaderRetryAfter, retryAfter)
		}
		if code >= 500 {
			log.ErrorContext(c.UserContext(), "request failed",
				"request_id", RequestID(c), "method", c.Method(), "path", auth.LogPath(c.Path()), "error", err)
		}
		m := errorpage.Model{Status: code, RequestID: RequestID(c)}
		m.Title, m.Message = errorText(code)
		if pr != nil {
			m.Title, m.Message = pr.Title, pr.Detail
		}
		if render.Dev(c) && code >= 500 {
			m.Detail = err.Error()
		}
		c.Response().Header.Del(fiber.HeaderETag)
		c.Set(fiber.HeaderCacheControl, "no-store")
		if wantsJSON(c) {
			doc := problem{Type: "about:blank", Title: m.Title, Status: code, Detail: m.Message, Instance: c.Path(), RequestID: m.RequestID}
			if pr != nil {
				doc.Errors = pr.Errors
			}
			return c.Status(code).JSON(doc, "application/problem+json")
		}
		if render.IsPartial(c) {
			return flashError(c, code, m)
		}
		render.SetTitle(c, m.Title)
		return render.Page(c, code, errorpage.Page(m))
	}
}

// flashError answers an htmx request that failed (a row action on a
// member deleted meanwhile, a permission withdrawn, a crash) with the
// error as a flash message in the page's #flash region instead of its
// target: the page stays as it was and says what happened. The status is
// kept; the layout's htmx configuration swaps 4xx and 5xx answers, and
// HX-Retarget sends this one to #flash.
func flashError(c *fiber.Ctx, code int, m errorpage.Model) error {
	c.Vary("HX-Request")
	c.Set("HX-Retarget", "#flash")
	c.Set("HX-Reswap", "innerHTML")
	msg := m.Title + ". " + m.Message
	if t, ok := htmxErrorText(code); ok && m.Title == errorTextTitle(code) {
		msg = t
	}
	if code >= 500 && m.RequestID != "" {
		msg += " Reference: " + m.RequestID + "."
	}
	return render.Component(c, code, ui.Flash("error", msg))
}

// htmxErrorText is what a failed action on a page says in its flash
// message: unlike an error page, the user is still on the page that sent
// the action.
func htmxErrorText(code int) (string, bool) {
	switch code {
	case fiber.StatusNotFound:
		return "This item no longer exists: it may have been deleted meanwhile. Reload the page to see the current list.", true
	case fiber.StatusConflict:
		return "This item changed meanwhile, so the action was not done. Reload the page and try again.", true
	case fiber.StatusForbidden:
		return "Your account does not have permission to do this. Ask an administrator of your organization if you need it.", true
	}
	return "", false
}

func errorTextTitle(code int) string {
	title, _ := errorText(code)
	return title
}

// retryAfter is the Retry-After of a 503, in seconds: a database restart or
// failover takes about this long.
const retryAfter = "10"

// unavailable reports whether err means that something the request needs
// cannot be reached right now, rather than a bug: the database refusing or
// dropping connections (pgx's connect errors, PostgreSQL's connection,
// shutdown and too-many-connections codes, database/sql's closed
// connections and pool, a cut connection), or a verification whose checks
// could not be made (verify.ErrUnavailable).
func unavailable(err error) bool {
	var (
		connect *pgconn.ConnectError
		pg      *pgconn.PgError
		op      *net.OpError
	)
	switch {
	case errors.Is(err, verify.ErrUnavailable), errors.As(err, &connect), errors.As(err, &op),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &pg):
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03" || pg.Code == "53300"
	}
	// database/sql's error for a closed pool is not exported.
	return strings.Contains(err.Error(), "sql: database is closed")
}

// problem is an RFC 9457 Problem Details document.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"requestId,omitempty"`
	// Errors: what is wrong where, for a request refused field by field.
	Errors []render.FieldError `json:"errors,omitempty"`
}

func wantsJSON(c *fiber.Ctx) bool {
	if p := c.Path(); strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/status-lists/") ||
		strings.HasPrefix(p, "/orgs/") && strings.HasSuffix(p, "/did.json") || strings.HasPrefix(p, "/ns/") {
		return true
	}
	accept := c.Get(fiber.HeaderAccept)
	return strings.Contains(accept, "json") && !strings.Contains(accept, "text/html")
}

func errorText(code int) (title, message string) {
	switch code {
	case fiber.StatusNotFound:
		return "Page not found", "There is nothing at this address. Check the link, or start again from the home page."
	case fiber.StatusMethodNotAllowed:
		return "Not allowed here", "This address does not accept that kind of request."
	case fiber.StatusRequestEntityTooLarge:
		return "Too large", "What you sent is larger than this server accepts."
	case fiber.StatusBadRequest:
		return "Bad request", "The request could not be understood: it contains characters or values this page does not accept."
	case fiber.StatusForbidden:
		return "Not allowed", "Your account does not have permission to do this. Ask an administrator of your organization if you need it."
	case fiber.StatusTooManyRequests:
		return "Too many requests", "You have sent too many requests in a short time. Wait a moment and try again."
	case fiber.StatusServiceUnavailable:
		return "Temporarily unavailable", "The service cannot answer right now. Try again in a moment."
	}
	if code >= 500 {
		return "Something went wrong", "The server could not complete your request. It has been logged; quote the reference below if you report it."
	}
	return http.StatusText(code), "The request could not be completed."
}
