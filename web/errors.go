package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/errorpage"
	"github.com/trustcred/trustcred/web/auth"
	"github.com/trustcred/trustcred/web/render"
)

// errorHandler is the one place where errors become responses: store's
// not-found becomes 404, Fiber's errors keep their status, anything else is
// a 500 that is logged with the request id. Details reach the browser only
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
			return c.Status(code).JSON(problem{
				Type: "about:blank", Title: m.Title, Status: code, Detail: m.Message, Instance: c.Path(), RequestID: m.RequestID,
			}, "application/problem+json")
		}
		render.SetTitle(c, m.Title)
		return render.Page(c, code, errorpage.Page(m))
	}
}

// problem is an RFC 9457 Problem Details document.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"requestId,omitempty"`
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
