package web

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/trustcred/trustcred/internal/verify"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// The shapes a database outage takes besides a refused connection (which
// TestDatabaseOutage produces for real): each is a 503, a bug is not.
func TestUnavailableErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "53300"}, true},
		{fmt.Errorf("query: %w", io.ErrUnexpectedEOF), true},
		{sql.ErrConnDone, true},
		{errors.New("sql: database is closed"), true},
		{fmt.Errorf("page: %w", verify.ErrUnavailable), true},
		{&pgconn.PgError{Code: "23505"}, false},
		{store.ErrNotFound, false},
		{errors.New("template: nil pointer"), false},
	} {
		if got := unavailable(tc.err); got != tc.want {
			t.Errorf("%v: unavailable %v, want %v", tc.err, got, tc.want)
		}
	}
}

// A row action that fails (the member was deleted meanwhile, the
// permission withdrawn, a crash) answers an htmx request with a flash
// message retargeted to #flash, keeping its status; a page request still
// gets the error page.
func TestHtmxErrorsBecomeFlashMessages(t *testing.T) {
	d := Deps{Log: storetest.Logger(t)}
	app := fiber.New(fiber.Config{ErrorHandler: errorHandler(d.Log)})
	app.Use(middleware(d)...)
	app.Get("/gone", func(*fiber.Ctx) error { return store.ErrNotFound })
	app.Get("/refused", func(*fiber.Ctx) error { return fiber.ErrForbidden })
	app.Get("/conflict", func(*fiber.Ctx) error { return fiber.ErrConflict })
	app.Get("/fail", func(*fiber.Ctx) error { return errors.New("secret internal detail") })
	htmx := map[string]string{"HX-Request": "true"}
	for _, tc := range []struct {
		path   string
		status int
		says   string
	}{
		{"/gone", 404, "This item no longer exists"},
		{"/refused", 403, "does not have permission"},
		{"/conflict", 409, "changed meanwhile"},
		{"/fail", 500, "Reference: "},
	} {
		r := do(t, app, "GET", tc.path, htmx)
		if r.status != tc.status || r.header.Get("HX-Retarget") != "#flash" || r.header.Get("HX-Reswap") != "innerHTML" {
			t.Errorf("%s: %d, HX-Retarget %q, HX-Reswap %q", tc.path, r.status, r.header.Get("HX-Retarget"), r.header.Get("HX-Reswap"))
		}
		if !strings.Contains(r.body, testid("flash-error")) || !strings.Contains(r.body, tc.says) || strings.Contains(r.body, "<html") {
			t.Errorf("%s: not a flash message saying %q:\n%s", tc.path, tc.says, r.body)
		}
		if strings.Contains(r.body, "secret internal detail") {
			t.Errorf("%s: leaks the error", tc.path)
		}
		page := do(t, app, "GET", tc.path, nil)
		if page.header.Get("HX-Retarget") != "" || !strings.Contains(page.body, testid("error-page")) {
			t.Errorf("%s without htmx: not the error page", tc.path)
		}
	}
	// A boosted request navigates: it gets the whole error page.
	boosted := do(t, app, "GET", "/gone", map[string]string{"HX-Request": "true", "HX-Boosted": "true"})
	if boosted.header.Get("HX-Retarget") != "" || !strings.Contains(boosted.body, testid("error-page")) {
		t.Errorf("boosted: %q %s", boosted.header.Get("HX-Retarget"), boosted.body)
	}
}
