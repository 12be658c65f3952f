package storetest

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/store"
)

// Rebind writes a raw query's ? placeholders as the dialect wants them:
// unchanged for SQLite, $1, $2… for PostgreSQL. It is for tests that read
// or write rows through db.SQL(); question marks inside quoted literals are
// not told apart, so keep literals out of such queries.
func Rebind(d store.Dialect, q string) string {
	if d != store.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Explain returns the query plan of q (SQL with its values inlined, as
// gorm's ToSQL writes it) as the planner would choose it for a large
// table: SQLite's EXPLAIN QUERY PLAN details, one per row; PostgreSQL's
// EXPLAIN lines with sequential scans switched off (a table of a few test
// rows is scanned whatever its indexes), and any other planner methods
// named in off ("enable_bitmapscan") switched off too, for that
// transaction only.
func Explain(t testing.TB, db *store.DB, q string, off ...string) []string {
	t.Helper()
	ctx := context.Background()
	var plan []string
	switch db.Dialect() {
	case store.SQLite:
		rows, err := db.SQL().QueryContext(ctx, "EXPLAIN QUERY PLAN "+q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	case store.Postgres:
		tx, err := db.SQL().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		for _, m := range append([]string{"enable_seqscan"}, off...) {
			if !strings.HasPrefix(m, "enable_") || strings.ContainsAny(m, " ;'\"") {
				t.Fatalf("storetest.Explain: %q is not a planner method setting", m)
			}
			if _, err := tx.ExecContext(ctx, "SET LOCAL "+m+" = off"); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := tx.QueryContext(ctx, "EXPLAIN "+q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("storetest.Explain: dialect %v", db.Dialect())
	}
	return plan
}
