package web

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/trustcred/trustcred/internal/verify"
	"github.com/trustcred/trustcred/store"
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
